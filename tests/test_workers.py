"""Isolation: a worker that crashes natively, stalls or runs out of memory costs its item, not the batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfeval.workers import WORKERS_MEMORY, headroom, map_isolated


def square_or_misbehave(n: int) -> int:
    if n == 13:
        os.abort()  # what python-calamine does on a huge allocation: no try/except catches it
    if n == 21:
        time.sleep(60)
    if n == 34:
        try:
            bytearray(4 << 30)  # beyond the worker's memory limit
        except MemoryError:
            return -34
    return n * n


def failed(n: int, reason: str) -> int:
    return {"crash": -1, "timeout": -2}[reason]


def test_results_in_order_and_each_failure_costs_one_item():
    items = list(range(40))
    results = map_isolated(square_or_misbehave, items, jobs=2, on_failure=failed, timeout=3)
    expected = [n * n for n in items]
    expected[13], expected[21], expected[34] = -1, -2, -34
    assert results == expected


def misbehave_late(n: int) -> int:
    if n in (13, 157):
        os.abort()
    if n == 90:
        time.sleep(60)
    return n * n


def test_many_chunks_more_than_are_submitted_at_once():
    """A batch of more chunks than the pool is given ahead: the chunks not yet submitted when a
    worker crashes or stalls are run by the next pool, each item once, in order."""
    items = list(range(240))  # 30 chunks of 8; a few per worker are submitted ahead
    results = map_isolated(misbehave_late, items, jobs=2, on_failure=failed, timeout=3)
    expected = [n * n for n in items]
    expected[13], expected[157], expected[90] = -1, -1, -2
    assert results == expected
    seen = []
    assert map_isolated(abs, items, jobs=2, on_failure=failed, progress=seen.append) == items
    assert sum(seen) == len(items)


def test_jobs_do_not_change_results():
    items = [n for n in range(30) if n not in (13, 21)]
    one = map_isolated(square_or_misbehave, items, jobs=1, on_failure=failed)
    four = map_isolated(square_or_misbehave, items, jobs=4, on_failure=failed)
    assert one == four == [n * n if n != 34 else -34 for n in items]


def allocate(megabytes: int) -> bool:
    try:
        block = bytearray(megabytes << 20)
    except MemoryError:
        return False
    del block
    return True


def test_workers_share_one_memory_budget():
    """Two workers may each take what the largest accepted form needs (about 125 MB) but not so
    much that together they pass the batch's 1 GB; one worker alone may take the whole share."""
    sizes = [150] * 8 + [headroom(2) >> 20] * 8  # 16 items: two workers
    assert map_isolated(allocate, sizes, jobs=2, on_failure=lambda n, reason: None) == [True] * 8 + [False] * 8
    assert 2 * headroom(2) <= WORKERS_MEMORY and headroom(1) == WORKERS_MEMORY
    assert map_isolated(allocate, [500], jobs=1, on_failure=lambda n, reason: None) == [True]


def shout_and_abort(n: int) -> int:
    if n == 3:
        os.write(2, b"NATIVE-CRASH-REPORT\n")  # what a Rust abort prints before it kills the process
        os.abort()
    return n


@pytest.mark.parametrize("debug", [False, True])
def test_a_native_crash_report_stays_off_the_users_terminal(debug):
    env = {k: v for k, v in os.environ.items() if k != "PERFEVAL_DEBUG"} | ({"PERFEVAL_DEBUG": "1"} if debug else {})
    code = ("from tests.test_workers import shout_and_abort; from perfeval.workers import map_isolated; "
            "print(map_isolated(shout_and_abort, list(range(10)), 2, lambda n, reason: reason))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent, env=env)
    assert done.stdout.strip() == "[0, 1, 2, 'crash', 4, 5, 6, 7, 8, 9]", done.stderr
    assert ("NATIVE-CRASH-REPORT" in done.stderr) == debug, done.stderr


def test_empty_input():
    assert map_isolated(square_or_misbehave, [], jobs=2, on_failure=failed) == []


def raise_on_seven(n: int) -> int:
    if n == 7:
        raise RuntimeError("a bug")
    return n


def test_an_exception_costs_its_item_only():
    for jobs in (0, 2):
        results = map_isolated(raise_on_seven, list(range(10)), jobs=jobs,
                               on_failure=lambda n, reason: reason)
        assert results == [0, 1, 2, 3, 4, 5, 6, "error", 8, 9]


class Unsendable:
    """A result the worker cannot send back: pickling it runs out of memory, as a huge result does."""

    def __reduce__(self):
        raise MemoryError


def unsendable_results(n: int):
    if n == 5:
        return Unsendable()
    if n == 11:
        return lambda: n  # cannot be pickled at all
    if n == 15:
        raise MemoryError  # the worker's memory limit reached while reading
    return n


def test_a_result_that_cannot_come_back_costs_its_item_only():
    """The chunk whose results cannot be sent back is run again item by item; the batch goes on."""
    for jobs in (1, 2):
        results = map_isolated(unsendable_results, list(range(20)), jobs=jobs, on_failure=lambda n, reason: reason)
        assert results == [0, 1, 2, 3, 4, "memory", 6, 7, 8, 9, 10, "error", 12, 13, 14, "memory", *range(16, 20)]


def note_pid_then_sleep(task: tuple[str, int]) -> int:
    folder, n = task
    with open(os.path.join(folder, f"{os.getpid()}.pid"), "w") as note:
        note.write(str(os.getppid()))  # the fork server
    time.sleep(0.5)
    return n


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for an init that may not reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_caller_is_killed(tmp_path):
    script = ("import sys; from perfeval.workers import WORKERS_MEMORY, headroom, map_isolated; from tests.test_workers import "
              "note_pid_then_sleep as f; map_isolated(f, [(sys.argv[1], n) for n in range(200)], 2, "
              "lambda item, reason: -1)")
    caller = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=Path(__file__).parent.parent)
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = {int(p.stem) for p in tmp_path.glob("*.pid")}
    servers = {int(p.read_text()) for p in tmp_path.glob("*.pid")}
    assert len(workers) == 2 and all(running(pid) for pid in workers | servers)
    caller.kill()  # SIGKILL: no cleanup of its own runs
    caller.wait()
    deadline = time.monotonic() + 15
    while any(running(pid) for pid in workers | servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers | servers if running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers and fork server outlive the caller"
