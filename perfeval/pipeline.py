"""The batch, stage by stage: discover → read → normalise → score → check → write.

Scoring runs before the checks because several checks compare what the unit wrote with
perfeval's own figures (B006, T013–T015, S001); both are pure and neither depends on the order
for anything else. Outputs are written into a temporary folder beside their final place and
moved there as one set when complete (``outputs.commit``), so an interrupted run leaves the
previous outputs intact, or, killed while moving them, has them finished by the next command.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from perfeval import __version__, checks, outputs
from perfeval.outputs import REPORT_NAME, RESULT_NAME, RETURNS_DIR, SUMMARY_NAME, numbered_names
from perfeval.discover import Inbox, find_workbooks
from perfeval.model import ERROR, LEVEL_RANK, LEVELS, WARNING, Batch, FileRecord, Issue, Project, ProjectResult, UnitInfo
from perfeval.normalise import normalise_form
from perfeval.reader import MAX_FILE, Workbook, open_regular, read_workbook
from perfeval.rules import Rules
from perfeval.score import score_project
from perfeval.units import assign_units
from perfeval.workers import map_isolated



@dataclass(frozen=True)
class Outputs:
    """Where a run wrote its files."""

    folder: Path
    summary: Path
    reports: tuple[Path, ...]  # 绩效自评报告.docx, or one <单位名称>绩效自评报告.docx per unit
    result: Path
    returns: tuple[Path, ...]
    batch: Batch  # the batch as written: with an F008 for every marked copy that could not be made


def evaluate(paths: list[Path], rules: Rules, year: int | None = None, exclude: Path | None = None,
             now: dt.datetime | None = None, jobs: int = 0, progress: Progress | None = None) -> Batch:
    """Read, normalise, score and check every form under ``paths``; no output is written.
    ``jobs`` worker processes read the files (0: read in this process, without isolation)."""
    inbox = find_workbooks(paths, exclude=exclude)
    if progress:
        progress.start("读取", len(inbox.workbooks))
    readings = read_all(inbox, rules, jobs, progress)
    results = [r for reading in readings for r in reading.results]
    projects, units = assign_units([r.project for r in results],
                                   [r.book.unit for r in readings if r.book.unit is not None])
    unit = units[0] if len(units) == 1 else combined_unit(units)
    year = year or unit.year
    batch_issues: dict[tuple[str, str], list[Issue]] = {}
    duplicates, repeats = checks.check_duplicates(projects)
    for issue in [i for p in projects for i in checks.check_year(p, year)] + duplicates:
        batch_issues.setdefault((issue.file, issue.sheet), []).append(issue)
    results = [attach_issues(replace(r, project=p), batch_issues.get((p.file, p.sheet), []))
               for r, p in zip(results, projects)]
    file_issues = [i for r in readings for i in r.book.issues] + missing_unit_sheets(units)
    all_issues = tuple(order_issues(file_issues, results, inbox))  # a repeated form's issues too
    each = iter([(r, k in repeats) for k, r in enumerate(results)])  # in reading order
    files = []
    for path, reading in zip(inbox.workbooks, readings):  # by position: two files may show one name
        mine = islice(each, len(reading.results))
        files.append(file_record(path, inbox, reading, [r.project.unit for r, repeat in mine if repeat]))
    results = [r for k, r in enumerate(results) if k not in repeats]  # a form sent twice counts once
    units = tuple(replace(u, year=u.year or year) for u in units)
    return Batch(tuple(results), tuple(files), all_issues, replace(unit, year=unit.year or year), rules, year,
                 __version__, now or dt.datetime.now().replace(microsecond=0), units,
                 tuple(inbox.relative(p) for p in inbox.ignored))


def combined_unit(units: list[UnitInfo]) -> UnitInfo:
    """The batch's heading for several units: their common 主管部门 (the bureau's view)."""
    departments = {u.department for u in units if u.department}
    years = [u.year for u in units if u.year]
    name = departments.pop() if len(departments) == 1 else "各单位"
    return UnitInfo(name=name, year=max(set(years), key=years.count) if years else None)


def missing_unit_sheets(units: list[UnitInfo]) -> list[Issue]:
    """U001 for every unit without a 单位情况 sheet."""
    return [checks.issue("U001", f"单位“{u.name}”未提供“单位情况”表，报告的单位情况、存在的问题等段落将根据数据生成；"
                                 "可用 perfeval template 生成 单位情况.xlsx 填写后放入该单位的文件夹", unit=u.name)
            for u in units if not u.source]


@dataclass(frozen=True)
class Reading:
    """One file read, normalised, scored and checked (in a worker): what the batch needs of it."""

    book: Workbook  # its forms already turned into ``results`` and dropped
    results: tuple[ProjectResult, ...]  # with every issue except the batch-level ones (F004, F006)
    sha256: str


def read_all(inbox: Inbox, rules: Rules, jobs: int, progress: Progress | None = None) -> list[Reading]:
    """Every workbook of the inbox, in order; in isolated workers when ``jobs`` > 0."""
    tasks = [(path, inbox.relative(path), rules) for path in inbox.workbooks]
    return map_isolated(read_task, tasks, jobs, read_failed, progress.advance if progress else None)


def read_task(task: tuple[Path, str, Rules]) -> Reading:
    """One file, in a worker: everything up to the checks is per file, so all of it runs in parallel."""
    path, name, rules = task
    book = read_workbook(path, name)
    results = []
    for form in book.forms:
        project, found = normalise_form(form)
        result = score_project(project, rules)
        results.append(attach_issues(result, bounded(checks.check_project(result, rules) + found, project)))
    return Reading(replace(book, forms=[]), tuple(results), book.sha256 or sha256_of(path))


# A form within the cell limits can still raise some 20,000 issues (4,900 indicator rows without values), and
# every issue stays in memory to the end of the run and goes twice into result.json: thirty such files took a
# run past 1 GB with a 5 GB result.json. No one corrects a form from a list that long.
MAX_ISSUES = 500


def bounded(issues: list[Issue], project: Project) -> list[Issue]:
    """A form's issues, the first MAX_ISSUES of them by level (errors first, and of those the file's own
    F-issues), and one F007 counting the rest; fewer are returned as they are."""
    if len(issues) <= MAX_ISSUES:
        return issues
    kept = sorted(issues, key=lambda i: (LEVEL_RANK.get(i.level, 3), i.code[0] != "F"))[:MAX_ISSUES]
    levels = Counter(i.level for i in issues)
    counts = "、".join(f"{level} {levels[level]:,} 个" for level in LEVELS if levels[level])
    message = (f"该表问题过多（共 {len(issues):,} 个：{counts}），只列出按级别排在前面的 {MAX_ISSUES} 个，"
               "其余未列出；请先按已列出的问题修改，再重新检查")
    return kept + [checks.issue("F007", message, file=project.file, sheet=project.sheet, project=project.name)]


def read_failed(task: tuple[Path, str, Rules], reason: str) -> Reading:
    """What a file whose reader crashed or stalled becomes: an F007 issue, the batch goes on."""
    why = {"timeout": "读取超时", "crash": "读取时解析程序异常退出（内存不足或文件异常）",
           "memory": "读取时超出内存上限（文件内容过多）"}.get(
        reason, "读取时发生程序错误（请将此文件反馈给 perfeval 维护人员）")
    message = f"{why}，文件可能过大、已损坏或含有异常内容，已跳过；请在 Excel 中打开后另存再提交"
    book = Workbook(task[1], issues=[checks.issue("F007", message, file=task[1])], readable=False)
    return Reading(book, (), sha256_of(task[0]))


class Progress:
    """What a stage reports as it goes; the command line draws it, the library only calls it."""

    def start(self, label: str, total: int) -> None:
        """A stage of ``total`` steps begins."""

    def advance(self, steps: int) -> None:
        """``steps`` more are done."""


def attach_issues(result: ProjectResult, issues: list[Issue]) -> ProjectResult:
    return replace(result, issues=result.issues + tuple(issues))


def order_issues(file_issues: list[Issue], results: list[ProjectResult], inbox: Inbox) -> list[Issue]:
    """File order first, then each file's own problems before its projects' issues."""
    position = {inbox.relative(p): n for n, p in enumerate(inbox.workbooks)}
    keyed = [((position.get(i.file, -1), 0, 0, n), i) for n, i in enumerate(file_issues)]
    for k, r in enumerate(results):
        for n, i in enumerate(r.issues):
            keyed.append(((position.get(i.file, -1), 1 + k, LEVEL_RANK.get(i.level, 3), n), i))
    return [i for _, i in sorted(keyed, key=lambda pair: pair[0])]


def file_record(path: Path, inbox: Inbox, reading: Reading, repeated: Sequence[str] = ()) -> FileRecord:
    """The file's status; "重复提交" when every form it holds repeats one read before (F004), with the
    unit of those forms (``repeated``: the unit of each; its issues stay that unit's although none of
    its projects is counted)."""
    book = reading.book
    status = "无法读取" if not book.readable else ("已读取" if reading.results or book.unit else "无自评表")
    if status == "无自评表" and any(i.code == "F007" for i in book.issues):
        status = "无法读取"  # a sheet too large to read may be the one with the form
    if status == "已读取" and reading.results and len(repeated) == len(reading.results) and not book.unit:
        return FileRecord(path, inbox.relative(path), reading.sha256, "重复提交", 0, repeated[0])
    return FileRecord(path, inbox.relative(path), reading.sha256, status, len(reading.results) - len(repeated))


def sha256_of(path: Path) -> str:
    """The file's SHA-256, "" when it cannot be read, is no regular file or is beyond the reader's size
    limit (the reader has said why; a FIFO would block, a sparse 1 TB file take hours)."""
    digest = hashlib.sha256()
    try:
        handle = open_regular(path)
        if handle is None:
            return ""
        with handle:
            if os.fstat(handle.fileno()).st_size > MAX_FILE:
                return ""
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def run(inbox: Path, outdir: Path, rules: Rules, year: int | None = None, now: dt.datetime | None = None,
        jobs: int = 0, progress: Progress | None = None) -> tuple[Batch, Outputs]:
    """The whole batch: evaluate the inbox, then write every output into ``outdir``."""
    batch = evaluate([inbox], rules, year, exclude=outdir, now=now, jobs=jobs, progress=progress)
    outputs = write_outputs(batch, outdir, jobs, progress)
    return outputs.batch, outputs


def write_outputs(batch: Batch, outdir: Path, jobs: int = 0, progress: Progress | None = None) -> Outputs:
    """Summary workbook, Word report, marked-up copies and result.json, each renamed into place
    only when complete."""
    from perfeval.result_json import write_result
    from perfeval.summary_workbook import write_summary
    from perfeval.word_report import write_report

    outdir.mkdir(parents=True, exist_ok=True)
    outputs.finish_interrupted(outdir)
    staging = Path(tempfile.mkdtemp(prefix=outputs.staging_prefix(), dir=outdir))
    try:
        # the copies first: their worker processes are gone before the writers below take memory
        returns_dir = staging / RETURNS_DIR
        returns_dir.mkdir()
        returned, notes = write_returns(batch, returns_dir, jobs, progress)
        batch = with_issues(batch, notes)
        write_summary(batch, staging / SUMMARY_NAME)
        reports = report_names(batch)
        parts = batch.by_unit(list(reports)) if batch.multi_unit else {}
        for unit, name in reports.items():
            write_report(parts.pop(unit) if batch.multi_unit else batch, staging / name)
        write_result(batch, staging / RESULT_NAME)
        _share(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # complete: put in place now, or, when this is stopped half-way, by the next command
    outputs.commit(staging, outdir, [SUMMARY_NAME, *reports.values(), RESULT_NAME])
    shutil.rmtree(staging, ignore_errors=True)
    final_returns = outdir / RETURNS_DIR
    return Outputs(outdir, outdir / SUMMARY_NAME, tuple(outdir / n for n in reports.values()),
                   outdir / RESULT_NAME, tuple(final_returns / n for n in returned), batch)


def report_names(batch: Batch) -> dict[str, str]:
    """Unit name -> report file name (``outputs.report_names``)."""
    return outputs.report_names([u.name for u in batch.units] if batch.multi_unit else [batch.unit.name])


def _share(folder: Path) -> None:
    """Temporary files are created private (0600); outputs get the user's normal permissions."""
    mask = os.umask(0)
    os.umask(mask)
    for path in folder.rglob("*"):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)


def write_returns(batch: Batch, folder: Path, jobs: int = 0,
                  progress: Progress | None = None) -> tuple[list[str], list[Issue]]:
    """A marked-up copy of every readable input with 错误 or 警告, names made unique; and an F008
    for every copy that could not be made, an F009 for every copy that lacks some of its workbook's
    content (nothing goes missing without a word)."""
    from perfeval.returns import returned_name

    by_file: dict[str, list[Issue]] = {}
    for issue in batch.issues:
        by_file.setdefault(issue.file, []).append(issue)
    returned = [(record, by_file.get(record.name, [])) for record in batch.files]
    returned = [(record, issues) for record, issues in returned
                if record.status != "无法读取" and any(i.level in (ERROR, WARNING) for i in issues)]
    # "单位A/表.xlsx" and "单位A_表.xlsx", or "X_Y" and "x_y", would make one copy's name
    names = numbered_names([returned_name(record.name)[: -len(".xlsx")] for record, _ in returned], ".xlsx")
    tasks = [(record.path, tuple(issues), folder / name, record.sha256) for (record, issues), name in zip(returned, names)]
    files = [record.name for record, _ in returned]
    if progress:
        progress.start("退回修改", len(tasks))
    done = map_isolated(copy_task, tasks, jobs, copy_failed, progress.advance if progress else None)
    notes = []
    for file, (name, reason, left) in zip(files, done):
        if not name:
            notes.append(checks.issue("F008", f"未生成退回修改副本：{reason}。请按汇总表“审核问题”中该文件的问题"
                                              "直接修改原文件", file=file))
        elif left:
            notes.append(checks.issue("F009", f"退回修改副本 {name} 中没有原文件的{'、'.join(left)}（此文件只能以通用方式"
                                              "复制）。为保留这些内容，请对照副本所列问题在原文件上修改后报送",
                                      file=file))
    return [name for name, _, _ in done if name], notes


def copy_task(task: tuple[Path, tuple[Issue, ...], Path, str]) -> tuple[str, str, tuple[str, ...]]:
    """One marked-up copy, in a worker: (the copy's name, "", what it left out of the workbook) or
    ("", why it could not be made, ())."""
    from perfeval.returns import MarkedCopyError, write_marked_copy

    source, issues, dest, sha256 = task
    try:
        left = write_marked_copy(source, issues, dest, sha256)
    except MarkedCopyError as exc:
        return "", str(exc), ()
    return dest.name, "", tuple(left)


def copy_failed(task, reason: str) -> tuple[str, str, tuple[str, ...]]:
    return "", {"timeout": "生成副本超时", "crash": "生成副本时程序异常退出（内存不足或文件异常）",
                "memory": "生成副本时超出内存上限（文件过大或标注的问题过多）"}.get(
        reason, "生成副本时发生程序错误（请将此文件反馈给 perfeval 维护人员）"), ()


def with_issues(batch: Batch, extra: list[Issue]) -> Batch:
    """The batch with ``extra`` file issues, each after the last issue of its file."""
    if not extra:
        return batch
    pending: dict[str, list[Issue]] = {}
    for issue in extra:
        pending.setdefault(issue.file, []).append(issue)
    merged: list[Issue] = []
    issues = batch.issues
    for n, issue in enumerate(issues):
        merged.append(issue)
        if issue.file in pending and (n + 1 == len(issues) or issues[n + 1].file != issue.file):
            merged.extend(pending.pop(issue.file))
    merged.extend(i for rest in pending.values() for i in rest)
    return replace(batch, issues=tuple(merged))
