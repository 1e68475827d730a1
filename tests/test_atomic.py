"""Nothing lost: inputs never written, outputs replaced whole, an interrupted run leaves the old ones."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import openpyxl
import pytest

from tests.forms import spec, write_spec

OUTPUTS = ("绩效自评汇总.xlsx", "绩效自评报告.docx", "result.json")


def make_inbox(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        write_spec(folder / f"{n:03d}_项目.xlsx", spec(name=f"第{n}号项目", code=f"XM{n:04d}"))
    return folder


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def perfeval(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "perfeval", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def assert_complete(out: Path) -> None:
    openpyxl.load_workbook(out / OUTPUTS[0])
    docx.Document(out / OUTPUTS[1])
    json.loads((out / OUTPUTS[2]).read_text(encoding="utf-8"))
    visible = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert visible <= set(OUTPUTS) | {"退回修改"}


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_run_leaves_previous_outputs_whole(tmp_path, sig):
    inbox, out = make_inbox(tmp_path / "inbox", 30), tmp_path / "out"
    first = perfeval("run", str(inbox), "-o", str(out), "-q", "--jobs", "1")
    first.wait(timeout=120)
    before = {name: digest(out / name) for name in OUTPUTS}
    make_inbox(tmp_path / "inbox", 45)  # the next run would write different outputs
    inputs = {p.name: digest(p) for p in inbox.iterdir()}
    for delay in (0.5, 1.0, 1.6):
        second = perfeval("run", str(inbox), "-o", str(out), "-q", "--jobs", "1")
        time.sleep(delay)
        second.send_signal(sig)
        second.wait(timeout=120)
        assert_complete(out)
        if sig == signal.SIGINT and second.returncode == 130:
            assert not list(out.glob(".perfeval-*")), "Ctrl-C cleans up its staging folder"
            assert "已中断" in second.stderr.read().decode("utf-8")
        elif sig == signal.SIGINT:  # not 130 (click's "Aborted!" is 1): only a run that finished first
            assert json.loads((out / "result.json").read_text(encoding="utf-8"))["totals"]["projects"] == 45
    assert {p.name: digest(p) for p in inbox.iterdir() } == inputs
    # a completed run afterwards writes the new outputs and removes what a killed run left behind
    final = perfeval("run", str(inbox), "-o", str(out), "-q")
    final.wait(timeout=120)
    assert_complete(out)
    assert not list(out.glob(".perfeval-*"))
    assert json.loads((out / "result.json").read_text(encoding="utf-8"))["totals"]["projects"] == 45
    assert digest(out / "result.json") != before["result.json"]
