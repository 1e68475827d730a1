"""Per-file work in isolated worker processes: reading the forms and writing the marked-up copies.

Readers are native code: python-calamine aborts the whole process (SIGABRT, which no try/except
catches) when a file makes it allocate too much, and a malformed file could hang a parser. So each
file is handled in a worker process with a memory limit, and a worker that dies or stalls costs
its file, not the batch: the files it might have been working on are re-run one by one in a fresh
worker, which pins the culprit down; every other file goes on in a new pool. Results come back in
input order, so ``--jobs 4`` gives exactly what ``--jobs 1`` gives.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Bytes all workers together may map beyond what each had when it started, shared among them, so
# that the batch stays under 1 GB whatever the files hold: the largest form the reader accepts
# (200,000 cells) needs about 125 MB to read or to copy through openpyxl, so even 4 workers keep a
# 2x margin. A worker that reaches its share fails its file (F007), not the batch.
WORKERS_MEMORY = 640 << 20
MIN_HEADROOM = 256 << 20
FILE_TIMEOUT = 30.0  # seconds without any result before the running files are suspected
CHUNK = 8
AHEAD = 4  # chunks submitted per worker before the first result: none of them waits for work


DEBUG_ENV = "PERFEVAL_DEBUG"  # set (to anything) to keep the workers' own error output


def _quiet_stderr() -> None:
    """A native crash prints its own report (python-calamine: "memory allocation of … failed" and,
    with RUST_BACKTRACE set, a page of frames) on the worker's stderr, which is the user's terminal.
    The file's F007 already says what happened; the report would only alarm the user."""
    os.environ["RUST_BACKTRACE"] = "0"
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    except OSError:
        pass


def headroom(jobs: int) -> int:
    """What one of ``jobs`` workers may map beyond its start."""
    return max(MIN_HEADROOM, WORKERS_MEMORY // max(1, jobs))


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_progress = None  # in a worker: the shared per-item state array (0 waiting, 1 started, 2 finished)


def _start_worker(extra_bytes: int, states, caller: int) -> None:
    global _progress
    _progress = states
    # A worker's parent is the fork server, not the caller: when the caller is killed (SIGKILL, the
    # OOM killer), nothing tells the idle workers, and they would wait for work forever, keeping the
    # fork server alive with them. A watcher thread ends the worker when the caller is gone.
    threading.Thread(target=_exit_with, args=(caller,), daemon=True, name="perfeval-caller-watch").start()
    if not os.environ.get(DEBUG_ENV):
        _quiet_stderr()
    try:
        import resource

        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + extra_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):
        pass  # no RLIMIT_AS here (Windows, macOS): the process isolation still holds


def _exit_with(caller: int) -> None:
    """Block until the process ``caller`` ends, then end this process."""
    try:
        handle = os.pidfd_open(caller)  # Linux 5.3+: readable when the process ends
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
    else:
        while process_alive(caller):
            time.sleep(1.0)
    os._exit(1)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts)."""
    if os.name == "nt":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):  # no such process number
        return False
    return True


def _windows_process_alive(pid: int) -> bool:
    """On Windows, signal 0 is CTRL_C_EVENT: os.kill(pid, 0) would interrupt the process, not test it."""
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists, run by another user
    try:
        code = ctypes.c_ulong()
        return not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) or code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


class _Raised:
    """Stands for an item whose function raised: a bug, not a bad input, but it costs one item only."""

    def __init__(self, exc: BaseException) -> None:
        self.text = f"{type(exc).__name__}: {exc}"
        self.reason = "memory" if isinstance(exc, MemoryError) else "error"  # the worker's memory limit reached


def _call(func: Callable[[T], R], item: T) -> R | _Raised:
    try:
        return func(item)
    except BaseException as exc:  # the batch goes on; on_failure reports it (a native panic too)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return _Raised(exc)


def _run_chunk(func: Callable[[T], R], chunk: list[tuple[int, T]]) -> list[R | _Raised]:
    values = []
    for index, item in chunk:
        _progress[index] = 1
        values.append(_call(func, item))
        _progress[index] = 2
    return values


def _context():
    # forkserver: workers start from a small clean process (not a copy of the caller, which may hold
    # large libraries), fast after the first; spawn where there is no fork.
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["perfeval.pipeline"])
        return context
    return multiprocessing.get_context("spawn")


def start_early(jobs: int) -> None:
    """Start the process that workers are forked from, and that imports the reading code, now: it
    starts up while the caller goes on (listing the inbox, loading the rules) instead of after."""
    if jobs <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        from multiprocessing import forkserver

        _context()
        forkserver.ensure_running()
    except Exception:  # the pool starts it later, or reads in this process (``map_isolated``)
        pass


class _Pool:
    """A ProcessPoolExecutor whose workers record which item they are on, and that can be killed."""

    def __init__(self, jobs: int, states) -> None:
        self.states = states
        self.executor = ProcessPoolExecutor(jobs, mp_context=_context(), initializer=_start_worker,
                                            initargs=(headroom(jobs), states, os.getpid()))

    def in_flight(self, indices) -> set[int]:
        return {i for i in indices if self.states[i] == 1}

    def kill(self) -> None:
        for process in list((self.executor._processes or {}).values()):  # no public API for this
            process.kill()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def map_isolated(func: Callable[[T], R], items: Sequence[T], jobs: int,
                 on_failure: Callable[[T, str], R], progress: Callable[[int], None] | None = None,
                 timeout: float = FILE_TIMEOUT) -> list[R]:
    """``func(item)`` for every item, in worker processes; ``on_failure(item, reason)`` stands in for an
    item whose worker crashed ("crash"), stalled ("timeout"), reached its memory limit, in ``func`` or while
    sending the result back ("memory"), or whose ``func`` raised ("error": a bug, but it costs one item).
    ``func`` must be a module-level function that turns bad input into results. ``jobs`` 0 runs everything in
    this process, without isolation (for library callers and small tests)."""
    if jobs <= 0:
        return [_settle(_step(_call(func, item), progress), item, on_failure) for item in items]
    jobs = max(1, min(jobs, -(-len(items) // CHUNK)))  # no idle workers for a small batch
    try:
        states = _context().Array("b", max(1, len(items)), lock=False)
    except OSError:  # no shared memory to be had (/dev/shm full, or a file size limit): read here instead
        return map_isolated(func, items, 0, on_failure, progress, timeout)
    results: dict[int, R] = {}
    todo = list(range(len(items)))
    while todo:
        suspects, reason = _run_pool(func, items, todo, jobs, states, results, progress, timeout)
        if reason and not suspects:
            # Workers die before starting any item: the environment, not a file, is at fault (a main
            # module that cannot be re-imported, no /dev/shm...). Go on without isolation.
            rest = [i for i in todo if i not in results]
            results.update((i, _step(_call(func, items[i]), progress)) for i in rest)
        for index in sorted(suspects):
            results[index] = _run_alone(func, index, items[index], states, on_failure, timeout, reason)
            if progress:
                progress(1)
        todo = [i for i in todo if i not in results]
    return [_settle(results[i], items[i], on_failure) for i in range(len(items))]


def _settle(value, item, on_failure):
    return on_failure(item, value.reason) if isinstance(value, _Raised) else value


def _step(result: R, progress: Callable[[int], None] | None) -> R:
    if progress:
        progress(1)
    return result


def _run_pool(func, items, todo, jobs, states, results, progress, timeout) -> tuple[set[int], str]:
    """Run ``todo`` in chunks; when a worker dies or stalls, return the items that were in flight.

    Only a few chunks per worker are submitted ahead: ``wait`` installs its waiter on every future
    it is given, so waiting on all the chunks of a 10,000-file batch after each result cost the main
    process O(chunks²) (≈ 3 s of CPU taken from the workers at 10,000 files)."""
    pool = _Pool(jobs, states)
    chunks: dict[Future, list[int]] = {}
    alone: set[int] = set()  # items of chunks whose results could not be sent back
    starts = iter(range(0, len(todo), CHUNK))

    def submit_next() -> set[Future]:
        """The next chunk submitted (none when all are)."""
        start = next(starts, None)
        if start is None:
            return set()
        indices = todo[start:start + CHUNK]
        future = pool.executor.submit(_run_chunk, func, [(i, items[i]) for i in indices])
        chunks[future] = indices
        return {future}

    try:
        try:
            pending = set().union(*(submit_next() for _ in range(jobs * AHEAD)))
        except BrokenProcessPool:
            suspects = pool.in_flight(todo)
            pool.kill()
            return suspects, "crash"
        while pending:
            done, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            if not done:
                suspects = pool.in_flight(todo)
                pool.kill()
                return suspects | alone, "timeout"
            for future in done:
                try:
                    values = future.result()
                    pending |= submit_next()
                except BrokenProcessPool:
                    suspects = pool.in_flight(todo)
                    pool.kill()
                    return suspects | alone, "crash"
                except Exception:
                    # the chunk's results could not come back (a MemoryError in the worker while pickling
                    # them): its items are run again one by one, after the pool, which goes on
                    alone.update(chunks.pop(future))
                    pending |= submit_next()
                    continue
                for index, value in zip(chunks.pop(future), values):
                    results[index] = value
                if progress:
                    progress(len(values))
        return alone, ""
    finally:
        pool.close()


def _run_alone(func, index, item, states, on_failure, timeout, reason):
    """One suspect in a fresh single worker: its own result, or ``on_failure`` when it fails again."""
    states[index] = 0
    pool = _Pool(1, states)
    try:
        future = pool.executor.submit(_run_chunk, func, [(index, item)])
        done, _ = wait({future}, timeout=timeout)
        if not done:
            pool.kill()
            return on_failure(item, "timeout")
        try:
            return future.result()[0]
        except BrokenProcessPool:
            return on_failure(item, "crash")
        except MemoryError:  # its result too large to be sent back
            return on_failure(item, "memory")
        except Exception:
            return on_failure(item, "error")
    finally:
        pool.close()
