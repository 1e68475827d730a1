"""Where perfeval's time goes: per-stage timings and cProfile listings of ``check`` and ``run``.

    python benchmarks/profile_stages.py DIR [--top 25] [--save PREFIX] [--no-cprofile]

DIR is a generated batch (``generate.py``). Everything runs in this one process (``jobs=0``), so
that the profiler sees the readers and the marked-up copies too; the wall times of a real
``perfeval run`` with worker processes are ``run.py``'s business.

Two passes over the batch:

1. timings without the profiler: each stage function is wrapped with a stopwatch (discover, file
   bytes + precheck, calamine sheet loading, find_form, normalise with parse_value inside it, score,
   checks, SHA-256, units/batch checks, summary workbook, Word report, result.json, marked-up copies);
2. the same under cProfile, listed by cumulative and by own time (``--save`` keeps the .prof files
   for snakeviz or pstats).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from perfeval import checks, normalise, pipeline, reader, result_json, summary_workbook, word_report
from perfeval.discover import find_workbooks
from perfeval.rules import load_rules

# (label, module, attribute): the functions timed in pass 1, innermost last where they nest
PROBES = (
    ("读取：文件字节与预检 precheck", reader, "precheck"),
    ("读取：calamine 打开+取表 _load_sheet", reader, "_load_sheet"),
    ("读取：定位表格 find_form", reader, "find_form"),
    ("读取：单位情况 read_unit_sheet", reader, "read_unit_sheet"),
    ("整理 normalise_form（含 parse_value）", pipeline, "normalise_form"),
    ("  其中 parse_value", normalise, "parse_value"),
    ("评分 score_project", pipeline, "score_project"),
    ("审核 check_project", checks, "check_project"),
    ("SHA-256", pipeline, "sha256_of"),
    ("单位归属 assign_units", pipeline, "assign_units"),
    ("汇总表 write_summary", summary_workbook, "write_summary"),
    ("Word 报告 write_report", word_report, "write_report"),
    ("result.json write_result", result_json, "write_result"),
    ("退回修改副本 write_returns", pipeline, "write_returns"),
)


# Stages whose memory is worth a look: the peak RSS while one call runs (Linux: reset with
# /proc/self/clear_refs, read back as VmHWM), beside the RSS the process held when it started.
MEMORY_PROBES = {"单位归属 assign_units", "汇总表 write_summary", "Word 报告 write_report", "result.json write_result",
                 "退回修改副本 write_returns"}


def reset_peak() -> bool:
    """Start a new RSS high-water mark for this process; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def memory_mb(field: str) -> float:
    """VmRSS or VmHWM of this process in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Stopwatch:
    """Accumulated seconds and calls per label, for functions wrapped by ``wrap``; for the labels in
    ``MEMORY_PROBES`` also the RSS before the first call and the highest peak during any call."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.rss_before: dict[str, float] = {}
        self.peak: dict[str, float] = defaultdict(float)
        self.originals: list[tuple[object, str, object]] = []

    def restore(self) -> None:
        """Put every wrapped function back."""
        for module, name, original in reversed(self.originals):
            setattr(module, name, original)
        self.originals.clear()

    def wrap(self, label: str, module, name: str) -> bool:
        """Replace ``module.name`` by a timed version; False when perfeval no longer has it."""
        original = getattr(module, name, None)
        if original is None:
            return False

        watch_memory = label in MEMORY_PROBES

        def timed(*args, **kwargs):
            if watch_memory:
                self.rss_before.setdefault(label, memory_mb("VmRSS"))
                reset_peak()
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1
                if watch_memory:
                    self.peak[label] = max(self.peak[label], memory_mb("VmHWM"))

        self.originals.append((module, name, original))
        setattr(module, name, timed)
        return True


def run_pipeline(folder: Path, outdir: Path, with_outputs: bool):
    """``perfeval check`` (and ``run`` with ``with_outputs``) in this process; (batch, seconds per part)."""
    rules = load_rules(None, inbox=folder)
    parts = {}
    started = time.perf_counter()
    inbox = find_workbooks([folder], exclude=outdir)
    parts["发现文件 discover"] = time.perf_counter() - started
    started = time.perf_counter()
    reset_peak()
    batch = pipeline.evaluate([folder], rules, exclude=outdir, jobs=0)
    parts["check 合计 evaluate"] = time.perf_counter() - started
    parts["  evaluate 后 RSS / 峰值 MB"] = (memory_mb("VmRSS"), memory_mb("VmHWM"))
    if with_outputs:
        started = time.perf_counter()
        pipeline.write_outputs(batch, outdir, jobs=0)
        parts["输出合计 write_outputs"] = time.perf_counter() - started
    return batch, inbox, parts


def time_stages(folder: Path) -> None:
    """Pass 1: wall time per stage, no profiler."""
    watch = Stopwatch()
    missing = [label for label, module, name in PROBES if not watch.wrap(label, module, name)]
    outdir = Path(tempfile.mkdtemp(prefix="perfeval-profile-"))
    try:
        batch, inbox, parts = run_pipeline(folder, outdir / "out", with_outputs=True)
    finally:
        watch.restore()
        shutil.rmtree(outdir, ignore_errors=True)
    files = len(inbox.workbooks)
    forms = len(batch.results)
    print(f"\n== 分阶段耗时（单进程，无分析器）：{files} 个文件，{forms} 张自评表 ==")
    print(f"{'阶段':<40}{'秒':>9}{'ms/文件':>10}{'调用次数':>10}{'开始时 RSS MB':>15}{'峰值 RSS MB':>13}")
    for label, seconds in parts.items():
        if isinstance(seconds, tuple):
            print(f"{label:<40}{seconds[0]:>9.0f}{seconds[1]:>10.0f}")
        else:
            print(f"{label:<40}{seconds:>9.2f}{seconds * 1000 / files:>10.2f}")
    for label, _, _ in PROBES:
        if label in watch.seconds:
            s = watch.seconds[label]
            memory = (f"{watch.rss_before[label]:>15.0f}{watch.peak[label]:>13.0f}" if label in watch.peak else "")
            print(f"{label:<40}{s:>9.2f}{s * 1000 / files:>10.2f}{watch.calls[label]:>10}{memory}")
    if missing:
        print("（perfeval 中已无这些函数，未计时：" + "、".join(missing) + "）")


def profile_commands(folder: Path, top: int, save: str | None) -> None:
    """Pass 2: cProfile of check (evaluate) and of the outputs (write_outputs), listed two ways."""
    outdir = Path(tempfile.mkdtemp(prefix="perfeval-profile-"))
    try:
        rules = load_rules(None, inbox=folder)
        check_profile = cProfile.Profile()
        check_profile.enable()
        batch = pipeline.evaluate([folder], rules, exclude=outdir / "out", jobs=0)
        check_profile.disable()
        run_profile = cProfile.Profile()
        run_profile.enable()
        pipeline.write_outputs(batch, outdir / "out", jobs=0)
        run_profile.disable()
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    for name, profile in (("check（evaluate）", check_profile), ("run 的输出部分（write_outputs）", run_profile)):
        for key in ("cumulative", "tottime"):
            text = io.StringIO()
            stats = pstats.Stats(profile, stream=text)
            stats.strip_dirs().sort_stats(key).print_stats(top)
            print(f"\n== cProfile：{name}，按 {key} 排序，前 {top} 项 ==")
            print(text.getvalue().strip("\n"))
        if save:
            profile.dump_stats(f"{save}-{'check' if profile is check_profile else 'outputs'}.prof")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``profile_stages.py DIR [--top N] [--save PREFIX] [--no-cprofile]``."""
    parser = argparse.ArgumentParser(description="perfeval 分阶段耗时与 cProfile 分析")
    parser.add_argument("folder", type=Path, help="generate.py 生成的批次文件夹")
    parser.add_argument("--top", type=int, default=25, help="每个列表显示的函数数（默认 25）")
    parser.add_argument("--save", default=None, help="保存 .prof 文件的路径前缀")
    parser.add_argument("--no-cprofile", action="store_true", help="只测分阶段耗时")
    args = parser.parse_args(argv)
    time_stages(args.folder)
    if not args.no_cprofile:
        profile_commands(args.folder, args.top, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
