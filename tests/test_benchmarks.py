"""benchmarks/run.py over a folder of forms from elsewhere (``--inbox``): how a reviewer measures a batch of
their own. Timing targets are not asserted here (the example inbox is far too small for per-form figures);
what is: the folder is measured as it is, counted as perfeval reads it, and left untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "seed-2021"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the launcher reads /proc")


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_benchmark_measures_an_existing_inbox(tmp_path):
    inbox = tmp_path / "收件箱"
    shutil.copytree(EXAMPLES, inbox, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(inbox / "01_公共打击和处置非法集资专项工作经费.xlsx", inbox / "坏文件.xlsx")
    (inbox / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated")  # calamine cannot read it: the floor goes on
    before = digests(inbox)
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--inbox", str(inbox),
                           "--repeat", "1", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    assert digests(inbox) == before
    result = json.loads(out.read_text(encoding="utf-8"))["results"][0]
    assert result["inbox"] == str(inbox)
    # five form workbooks, 单位情况.xlsx and the bad file read too; one unit
    assert (result["n"], result["forms"], result["units"], result["files_read"]) == (5, 5, 1, 7)
    assert result["floor_failed_files"] == 1
    assert result["faulty_workbooks"] >= 1
    for stage in ("floor", "check", "run"):
        assert result["stages"][stage]["runs_s"] and result["stages"][stage]["median_s"] > 0
    assert result["stages"]["check"]["exit_codes"] == [1] and result["stages"]["run"]["exit_codes"] == [1]
    assert result["outputs"]["reports"] == 1 and result["outputs"]["returns"] >= 4
    assert set(result["targets"]) == {"check_ms", "check_floor_ratio", "run_ms", "memory_mb"}
    assert "收件箱：5 个工作簿（5 张自评表，1 个单位；perfeval 读取文件 7 个" in done.stdout
    assert "不足 100 个工作簿：每表耗时以进程启动" in done.stdout  # its FAILs say why


def test_benchmark_needs_a_size_or_an_inbox(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py")], capture_output=True, text=True)
    assert done.returncode == 2 and "--inbox" in done.stderr
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--inbox", str(tmp_path / "无")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "文件夹不存在" in done.stderr
