"""The benchmark of QUALITY.md "Performance": perfeval against the raw cost of reading the same files.

    python benchmarks/run.py N [N ...] [--jobs J] [--keep DIR] [--repeat R] [--seed S] [--json FILE]
    python benchmarks/run.py --inbox DIR [--inbox DIR ...] [--jobs J] [--repeat R] [--json FILE]

For each N, a batch of N 自评表 workbooks is generated (``generate.py``; reused from ``--keep DIR`` when
it is already there for the same N, seed and generator version); with ``--inbox``, a folder of forms
from elsewhere is measured as it is (never written to), N being the number of its workbooks that hold
a form, counted with its forms and units by an untimed ``perfeval check --json``. Then in one run, each
measurement in a fresh process and the three interleaved so that drift on a noisy machine hits them
alike:

(a) the floor: python-calamine merely reading the same files (``CalamineWorkbook.from_path``, then
    ``to_python()`` and ``merged_cell_ranges`` of every sheet), one process;
(b) ``python -m perfeval check DIR -q``;
(c) ``python -m perfeval run DIR -o OUT -q`` (summary workbook, Word report(s), marked-up copies,
    result.json).

Each is wall time from process start to exit, repeated ``--repeat`` times (default 3); the median is
quoted. Peak memory is reported twice: the largest single process (``ru_maxrss`` of RUSAGE_CHILDREN in
a small launcher that reaps every descendant) and the whole process tree (proportional set size summed
over the command and all its descendants, sampled every 50 ms), because perfeval reads in worker
processes.
With several N, the per-form cost of the largest batch is compared with the smallest (linear growth:
10,000 forms ≤ 10.5 × 1,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/ is not a package)

# QUALITY.md targets, per form workbook
CHECK_MS = 2.0
CHECK_FLOOR_RATIO = 4.0
RUN_MS = 25.0
MEMORY_MB = 500.0
GROWTH = 10.5 / 10  # per-form cost of 10,000 forms over that of 1,000
SAMPLE_SECONDS = 0.05
SMALL_BATCH = 100  # below this, start-up dominates the per-form figures

# Runs one command and reports its wall time and the peak RSS of its largest descendant. A process
# forked from a big parent inherits the parent's RSS high-water mark into its own ru_maxrss, so the
# command is started from this small launcher, not from the benchmark (which holds openpyxl). As a
# child subreaper (prctl PR_SET_CHILD_SUBREAPER) it also reaps the multiprocessing forkserver that
# perfeval's main process leaves behind, so the readers' workers count in RUSAGE_CHILDREN.
LAUNCHER = r"""
import ctypes, json, os, resource, signal, subprocess, sys, time

def children():
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    if int(stat.read().rsplit(b")", 1)[1].split()[1]) == os.getpid():
                        found.append(int(name))
            except (OSError, ValueError, IndexError):
                pass
    return found

def reap(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                time.sleep(0.01)
        except ChildProcessError:
            return True
    return False

try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
except (OSError, AttributeError):
    pass
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
left = []
if not reap(5):
    # processes the command left behind (an idle multiprocessing forkserver and its workers): they
    # are its descendants, reparented here; note them, then end them so they do not pile up
    while (pids := children()):
        left += pids
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        reap(2)
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "exit": code, "left_behind": len(left),
               "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, out)
"""

FLOOR_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
from python_calamine import CalamineWorkbook
imported = time.perf_counter()
cells = merged = 0
with open(sys.argv[1], encoding="utf-8") as listing:
    paths = listing.read().splitlines()
failed = 0
for path in paths:
    try:  # a batch from elsewhere may hold files calamine cannot read: they cost the floor what they cost
        book = CalamineWorkbook.from_path(path)
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = sheet.to_python()
            cells += sum(len(row) for row in rows)
            merged += len(sheet.merged_cell_ranges or ())
    except Exception:
        failed += 1
print(json.dumps({"import_s": imported - started, "read_s": time.perf_counter() - imported,
                  "files": len(paths), "failed": failed, "cells": cells, "merged": merged}))
"""


@dataclass
class Measure:
    """One run of one command."""

    seconds: float
    max_rss_mb: float  # the largest single process
    tree_mb: float  # the whole process tree at its peak (PSS)
    exit_code: int
    stdout: str = ""
    left_behind: int = 0  # processes still alive 5 s after the command exited


@dataclass
class Stage:
    """Repeated runs of one command and their medians."""

    name: str
    runs: list[Measure] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def max_rss_mb(self) -> float:
        return max(m.max_rss_mb for m in self.runs)

    @property
    def tree_mb(self) -> float:
        return max(m.tree_mb for m in self.runs)


# --- measuring a command ----------------------------------------------------------------------

def read_children() -> dict[int, list[int]]:
    """ppid -> pids of every process visible in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def memory_of(pid: int) -> int:
    """Proportional set size of a process in kB (RSS where smaps_rollup is missing); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(root: int) -> int:
    """kB held by ``root`` and all its descendants right now."""
    children = read_children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += memory_of(pid)
        todo.extend(children.get(pid, ()))
    return total


def measure(command: list[str]) -> Measure:
    """Run ``command`` to completion through ``LAUNCHER``: wall time, peak memory of its largest process
    and of its process tree."""
    peak = [0]
    done = threading.Event()
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        process = subprocess.Popen([sys.executable, "-c", LAUNCHER, report.name, *command],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_memory(process.pid) - memory_of(process.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # read stdout before waiting: a full pipe would block the child
        stdout = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
        process.wait()
        done.set()
        sampler.join()
        measured = json.loads(report.read() or "{}")
    if not measured:
        raise SystemExit(f"无法测量：{' '.join(command)}")
    return Measure(measured["seconds"], measured["maxrss_kb"] / 1024, peak[0] / 1024, measured["exit"], stdout,
                   measured["left_behind"])


# --- the batch --------------------------------------------------------------------------------

def prepare_batch(n: int, seed: int, keep: Path | None) -> tuple[Path, dict, bool]:
    """The batch folder (reused when its marker matches), its marker, and whether it is temporary."""
    if keep is None:
        folder = Path(tempfile.mkdtemp(prefix=f"perfeval-bench-{n}-"))
        temporary = True
    else:
        folder = keep / f"n{n}"  # always a subfolder: DIR itself may hold the batches of other N
        temporary = False
        marker = folder / generate.MARKER
        if marker.is_file():
            found = json.loads(marker.read_text(encoding="utf-8"))
            if (found.get("n"), found.get("seed"), found.get("generator")) == (n, seed, generate.GENERATOR_VERSION):
                print(f"复用已生成的批次 {folder}（{found['workbooks']} 个工作簿）")
                return folder, found, False
    print(f"生成 {n} 个自评表工作簿到 {folder} …", flush=True)
    found = generate.generate(n, folder, seed, quiet=True)
    print(f"  用时 {found['seconds']:.1f} 秒；{found['forms']} 张自评表，{found['units']} 个单位，"
          f"{found['faulty_workbooks']} 个工作簿含错误或警告")
    return folder, found, temporary


def describe_inbox(folder: Path, jobs: list[str]) -> dict:
    """A batch from elsewhere, described as ``generate`` describes its own: its forms and units as
    perfeval finds them (an untimed ``check --json``), and the workbooks with an error or a warning."""
    done = subprocess.run([sys.executable, "-m", "perfeval", "check", str(folder), "--json", *jobs],
                          capture_output=True, text=True, encoding="utf-8")
    if done.returncode not in (0, 1):
        raise SystemExit(f"perfeval check {folder} 退出码 {done.returncode}：{done.stderr.strip()[-500:]}")
    data = json.loads(done.stdout)
    faulty = {i["file"] for i in data["issues"] if i["file"] and i["level"] in ("错误", "警告")}
    return {"forms": len(data["projects"]), "units": len(data["units"]) or 1, "faulty_workbooks": len(faulty),
            "workbooks": sum(1 for f in data["files"] if f.get("projects")), "source": str(folder)}


def list_workbooks(folder: Path, listing: Path) -> int:
    """Write the workbooks perfeval will read (its own discovery) to ``listing``; return their number."""
    from perfeval.discover import find_workbooks

    paths = find_workbooks([folder]).workbooks
    listing.write_text("\n".join(str(p) for p in paths), encoding="utf-8")
    return len(paths)


def count_outputs(outdir: Path) -> dict:
    """What ``perfeval run`` wrote: reports, marked-up copies, sizes."""
    from perfeval.outputs import RETURNS_DIR

    returns = list((outdir / RETURNS_DIR).glob("*.xlsx")) if (outdir / RETURNS_DIR).is_dir() else []
    reports = list(outdir.glob("*.docx"))
    size = sum(p.stat().st_size for p in outdir.rglob("*") if p.is_file())
    return {"reports": len(reports), "returns": len(returns), "bytes": size}


# --- one N ----------------------------------------------------------------------------------

def bench(n: int | None, args: argparse.Namespace, inbox: Path | None = None) -> dict:
    """Generate or reuse the batch of ``n`` (or take the folder ``inbox`` as it is), run the floor, check
    and run ``--repeat`` times."""
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    if inbox is None:
        folder, marker, temporary = prepare_batch(n, args.seed, args.keep)
    else:
        folder, temporary = inbox, False
        print(f"测量已有的收件文件夹 {folder}（不写入）…", flush=True)
        marker = describe_inbox(folder, jobs)
    work = Path(tempfile.mkdtemp(prefix="perfeval-bench-out-"))
    try:
        listing = work / "files.txt"
        files = list_workbooks(folder, listing)
        if inbox is not None:  # N as for a generated batch: the workbooks that hold a form
            n = marker["workbooks"] or files
            print(f"  含自评表的工作簿 {n} 个（perfeval 读取文件 {files} 个），自评表 {marker['forms']} 张，"
                  f"{marker['units']} 个单位")
        python = sys.executable
        commands = {
            "floor": [python, "-c", FLOOR_SCRIPT, str(listing)],
            "check": [python, "-m", "perfeval", "check", str(folder), "-q", *jobs],
            "run": [python, "-m", "perfeval", "run", str(folder), "-o", str(work / "out"), "-q", *jobs],
        }
        measure(commands["floor"])  # warm the page cache: every stage then reads from memory
        stages = {name: Stage(name) for name in commands}
        for repeat in range(args.repeat):
            for name, command in commands.items():
                if name == "run":
                    shutil.rmtree(work / "out", ignore_errors=True)
                result = measure(command)
                if name == "floor":
                    result.stdout = result.stdout.strip()
                elif result.exit_code not in (0, 1):
                    raise SystemExit(f"{' '.join(command)} 退出码 {result.exit_code}")
                stages[name].runs.append(result)
                print(f"  第{repeat + 1}轮 {name:5s} {result.seconds:7.2f} 秒  峰值内存 单进程 {result.max_rss_mb:6.0f} MB"
                      f"  进程树 {result.tree_mb:6.0f} MB"
                      + (f"  退出后遗留进程 {result.left_behind} 个" if result.left_behind else ""), flush=True)
        outputs = count_outputs(work / "out")
        floor_detail = json.loads(stages["floor"].runs[-1].stdout)
        return summarise(n, files, marker, stages, outputs, floor_detail)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def summarise(n: int, files: int, marker: dict, stages: dict[str, Stage], outputs: dict, floor_detail: dict) -> dict:
    """Figures, ratios and verdicts for one N."""
    floor, check, run = (stages[k] for k in ("floor", "check", "run"))
    per = lambda s: s.seconds * 1000 / n  # noqa: E731
    memory = max(check.tree_mb, run.tree_mb)
    targets = {
        "check_ms": (per(check), CHECK_MS, per(check) <= CHECK_MS),
        "check_floor_ratio": (check.seconds / floor.seconds, CHECK_FLOOR_RATIO, check.seconds / floor.seconds <= CHECK_FLOOR_RATIO),
        "run_ms": (per(run), RUN_MS, per(run) <= RUN_MS),
        "memory_mb": (memory, MEMORY_MB, memory <= MEMORY_MB),
    }
    return {
        "n": n, "files_read": files, "forms": marker["forms"], "units": marker["units"],
        "faulty_workbooks": marker["faulty_workbooks"], **({"inbox": marker["source"]} if "source" in marker else {}),
        "stages": {name: {"median_s": s.seconds, "ms_per_form": per(s), "runs_s": [m.seconds for m in s.runs],
                          "max_process_rss_mb": s.max_rss_mb, "tree_pss_mb": s.tree_mb,
                          "left_behind": [m.left_behind for m in s.runs],
                          "exit_codes": [m.exit_code for m in s.runs]} for name, s in stages.items()},
        "floor_in_process_ms_per_file": floor_detail["read_s"] * 1000 / max(1, floor_detail["files"]),
        "floor_failed_files": floor_detail.get("failed", 0),
        "floor_import_s": floor_detail["import_s"],
        "ratios": {"check/floor": check.seconds / floor.seconds, "run/floor": run.seconds / floor.seconds},
        "outputs": outputs,
        "targets": {k: {"value": v, "limit": limit, "pass": ok} for k, (v, limit, ok) in targets.items()},
    }


# --- reporting --------------------------------------------------------------------------------

def machine() -> dict:
    """Where and on what the benchmark ran."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    from perfeval import __version__
    from perfeval.workers import default_jobs

    def git(*argv: str) -> str:
        try:
            return subprocess.run(["git", *argv], cwd=HERE.parent, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": git("rev-parse", "--short", "HEAD")
            + ("+未提交修改" if dirty else ""), "cpu": cpu, "cores": os.cpu_count(), "jobs": default_jobs(),
            "memory_gb": round(memory / 1048576, 1), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "perfeval": __version__}


def print_result(r: dict) -> None:
    """The table for one N."""
    n = r["n"]
    where = f"{r['inbox']}：" if "inbox" in r else ""
    print(f"\n== {where}{n:,} 个工作簿（{r['forms']:,} 张自评表，{r['units']} 个单位；perfeval 读取文件 {r['files_read']:,} 个，"
          f"含单位情况）==")
    print(f"{'阶段':<8}{'中位数 s':>10}{'ms/表':>9}{'÷下限':>8}{'单进程峰值 MB':>14}{'进程树峰值 MB':>14}   各轮 s")
    floor_s = r["stages"]["floor"]["median_s"]
    for name, label in (("floor", "calamine"), ("check", "check"), ("run", "run")):
        s = r["stages"][name]
        runs = " ".join(f"{x:.2f}" for x in s["runs_s"])
        print(f"{label:<10}{s['median_s']:>10.2f}{s['ms_per_form']:>9.2f}{s['median_s'] / floor_s:>8.2f}"
              f"{s['max_process_rss_mb']:>14.0f}{s['tree_pss_mb']:>14.0f}   {runs}")
    print(f"下限进程内读取 {r['floor_in_process_ms_per_file']:.3f} ms/文件（另加解释器启动与导入 {r['floor_import_s'] * 1000:.0f} ms）"
          + (f"；calamine 无法读取 {r['floor_failed_files']} 个" if r["floor_failed_files"] else ""))
    o = r["outputs"]
    print(f"run 输出：报告 {o['reports']} 份，退回修改副本 {o['returns']} 份（{o['returns'] / n:.1%}），共 {o['bytes'] / 1048576:.1f} MB")
    names = {"check_ms": "check ≤ 2 ms/表", "check_floor_ratio": "check ≤ 4 × 下限", "run_ms": "run ≤ 25 ms/表",
             "memory_mb": "峰值内存 ≤ 500 MB"}
    for key, t in r["targets"].items():
        print(f"  {names[key]:<18} 实测 {t['value']:8.2f}  {'PASS' if t['pass'] else 'FAIL'}")
    if n < SMALL_BATCH:
        print(f"  （不足 {SMALL_BATCH} 个工作簿：每表耗时以进程启动（约 0.2 秒）为主，各项目标按 1,000 个工作簿的批次衡量）")


def print_growth(results: list[dict]) -> dict | None:
    """Linear growth between the smallest and the largest N."""
    if len(results) < 2:
        return None
    small, large = min(results, key=lambda r: r["n"]), max(results, key=lambda r: r["n"])
    growth = {}
    print(f"\n== 线性增长：{large['n']:,} 对 {small['n']:,}（允许 {GROWTH * large['n'] / small['n']:.2f} 倍）==")
    for name in ("floor", "check", "run"):
        ratio = large["stages"][name]["median_s"] / small["stages"][name]["median_s"]
        limit = GROWTH * large["n"] / small["n"]
        growth[name] = {"ratio": ratio, "limit": limit, "pass": ratio <= limit}
        print(f"  {name:<6} {ratio:6.2f} 倍  {'PASS' if ratio <= limit else 'FAIL'}")
    return growth


def compile_bytecode() -> str:
    """perfeval as users run it: ``pip install`` compiles an installed package's bytecode, and a
    development checkout writes its own on the first run. Under PYTHONDONTWRITEBYTECODE=1 (set on
    some CI and sandbox machines) an editable install would instead compile all of perfeval's
    source again in every process it starts (≈ 0.15 s per ``check``: the main process and the
    workers' fork server), which no user pays. Existing bytecode is read even with that setting."""
    import compileall

    import perfeval

    package = Path(perfeval.__file__).resolve().parent
    if not compileall.compile_dir(str(package), quiet=1):
        return f"未能编译 {package} 的字节码：计时含每次启动时的编译"
    return f"已编译 {package} 的字节码（如 pip 安装所做）"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``run.py N [N ...] [--jobs J] [--keep DIR] [--repeat R] [--seed S] [--json FILE]``,
    or ``--inbox DIR`` (repeatable) for folders of forms from elsewhere."""
    parser = argparse.ArgumentParser(description="perfeval 性能基准：与 python-calamine 读取同一批文件的耗时对比")
    parser.add_argument("n", type=int, nargs="*", help="工作簿数量，可给多个（如 1000 10000）以检查线性增长")
    parser.add_argument("--inbox", type=Path, action="append", default=[],
                        help="测量已有的收件文件夹（如另行生成的 1000 份自评表），可给多个；不生成批次，也不写入该文件夹")
    parser.add_argument("--jobs", type=int, default=None, help="传给 perfeval 的 --jobs（默认由 perfeval 取 CPU 核数）")
    parser.add_argument("--keep", type=Path, default=None, help="保留并复用生成的批次的文件夹（每个 N 用子文件夹 nN）")
    parser.add_argument("--repeat", type=int, default=3, help="每个阶段重复次数，取中位数（默认 3）")
    parser.add_argument("--seed", type=int, default=2021, help="生成批次的随机种子")
    parser.add_argument("--json", type=Path, default=None, help="把结果写入该 JSON 文件")
    args = parser.parse_args(argv)
    if not args.n and not args.inbox:
        parser.error("请给出工作簿数量 N，或用 --inbox 指定已有的收件文件夹")
    for folder in args.inbox:
        if not folder.is_dir():
            parser.error(f"--inbox {folder}：文件夹不存在")
    info = machine()
    info["bytecode"] = compile_bytecode()
    print(f"{info['date']}  提交 {info['commit']}  perfeval {info['perfeval']}  Python {info['python']}")
    print(f"{info['cpu']}，{info['cores']} 核，内存 {info['memory_gb']} GB，{info['system']}；"
          f"perfeval 并行进程 {args.jobs or info['jobs']}")
    print(info["bytecode"])
    results = [bench(n, args) for n in args.n] + [bench(None, args, inbox=folder.resolve()) for folder in args.inbox]
    for r in results:
        print_result(r)
    growth = print_growth(results)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "repeat": args.repeat, "seed": args.seed if args.n else None,
                                         "results": results, "growth": growth}, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    passed = all(t["pass"] for r in results for t in r["targets"].values()) and all(
        g["pass"] for name, g in (growth or {}).items() if name != "floor")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
