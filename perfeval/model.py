"""The data every stage passes on: what was read, what was found, what was scored.

Stages communicate only through these values (STYLE.md 4, 6): a form becomes a ``Project``
whose every figure keeps the cell it came from, a problem becomes an ``Issue``, and scoring
turns a ``Project`` into a ``ProjectResult``. Writers take a ``Batch``.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field, fields
from pathlib import Path

ERROR = "错误"
WARNING = "警告"
INFO = "提示"
LEVELS = (ERROR, WARNING, INFO)
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}  # errors first

SCORED = "已评分"
NOT_SCORED = "未评分"

OUTPUT_KIND = "产出指标"
EFFECT_KIND = "效益指标"
SATISFACTION_KIND = "满意度指标"
COST_KIND = "成本指标"
INDICATOR_KINDS = (OUTPUT_KIND, EFFECT_KIND, SATISFACTION_KIND)


def record(cls):
    """A frozen dataclass with __slots__, pickled as its class and a tuple of its fields.

    A batch of 10,000 forms holds about a million of these values, and every one of them crosses
    from a worker process to the main process: slots take a third less memory than a __dict__,
    and the tuple pickles faster than either default (the dataclass' own __getstate__ for slots
    builds a list field by field). The reader interns cell addresses and the normaliser amounts'
    texts, and a worker sends the results of several files in one pickle, so that the main process
    gets one "E14" per batch of files rather than one per value.
    """
    cls = dataclass(frozen=True, slots=True)(cls)
    names = [f.name for f in fields(cls)]
    get = operator.attrgetter(*names)
    if len(names) == 1:
        cls.__reduce__ = lambda self: (cls, (get(self),))
    else:
        cls.__reduce__ = lambda self: (cls, get(self))
    return cls


@record
class Issue:
    """One problem found in the input, pointing at the file, sheet and cell it concerns."""

    code: str
    level: str  # ERROR | WARNING | INFO
    message: str  # Chinese: what is wrong and what to do
    file: str = ""  # path relative to the inbox, as shown to users
    sheet: str = ""
    cell: str = ""  # A1 address, "" when the issue concerns a whole sheet or file
    project: str = ""  # project name, "" for file-level issues
    unit: str = ""  # of an issue without a file (U001): the reporting unit it concerns


@record
class Amount:
    """A money or points figure read from a cell: the number (万元 for money) and where it came from."""

    value: float | None = None
    cell: str = ""
    text: str = ""  # the cell as written, for messages ("81.2", "81.20万元", "")

    @property
    def missing(self) -> bool:
        return self.value is None


@record
class Value:
    """A parsed 年度指标值 or 实际完成值 (grammar: FORM.md §5, parser: ``perfeval.values``).

    ``number`` is after the multiplier: "6.76万份" gives 67600.0 with unit "份"; "98%" gives 98.0 with
    unit "%". ``comparator`` is what was written (">=", ">", "<=", "<", "="), or "" when none was.
    """

    text: str = ""
    cell: str = ""
    kind: str = "empty"  # "number" | "date" | "qualitative" | "empty" | "unparsed"
    comparator: str = ""
    number: float | None = None
    unit: str = ""
    approximate: bool = False  # 余 多 约 近 左右
    date: dt.date | None = None  # a deadline or completion date
    grade: str = ""  # 达成 | 部分达成 | 未达成, for qualitative values and deadline words like 按时
    notes: tuple[str, ...] = ()  # parser remarks in Chinese, e.g. "“近”与“余”同时出现"


@record
class Indicator:
    """One 三级指标 row of the form."""

    level1: str  # 一级指标, normalised: 产出指标 | 效益指标 | 满意度指标 | 成本指标 (or as written)
    level2: str  # 二级指标 as written (数量指标, 质量指标, ...)
    name: str  # 三级指标
    target: Value
    actual: Value
    weight: Amount  # 分值
    score_written: Amount  # 得分 as the unit wrote it
    deviation: str = ""  # 偏差原因分析及改进措施
    row: int = 0  # 1-based sheet row
    name_cell: str = ""
    deviation_cell: str = ""


@record
class FundsRow:
    """One row of the 项目资金 block: 年初预算数 a0, 全年预算数 A, 全年执行数 B."""

    label: str
    initial: Amount = Amount()
    budget: Amount = Amount()
    actual: Amount = Amount()


@record
class Funds:
    """The 项目资金（万元） block. Amounts are in 万元 after normalisation."""

    total: FundsRow = FundsRow("年度资金总额")
    appropriation: FundsRow | None = None  # 其中：当年财政拨款
    own_level: FundsRow | None = None  # 本级/区级/县级/市级资金
    carryover: FundsRow | None = None  # 上年结转资金
    other: FundsRow | None = None  # 其他资金
    weight: Amount = Amount()  # 分值 on the total row (10 by default)
    rate_written: Amount = Amount()  # 执行率 as written, as a fraction (0.5034)
    score_written: Amount = Amount()  # 得分 as written

    @property
    def parts(self) -> list[FundsRow]:
        """The component rows that should add up to the total (appropriation + carry-over + other)."""
        return [r for r in (self.appropriation, self.carryover, self.other) if r is not None]


@record
class Project:
    """One filled 自评表: the form's fields, normalised, each traceable to its cell."""

    file: str  # path relative to the inbox
    sheet: str
    name: str
    code: str = ""  # 项目编码 (from the extra fields or a code prefix on the name)
    department: str = ""  # 主管部门
    implementer: str = ""  # 实施单位
    year: int | None = None  # from the title line （2021年度）
    goal: str = ""  # 年度总体目标 · 预期目标
    achievement: str = ""  # 年度总体目标 · 实际完成情况
    funds: Funds = Funds()
    indicators: tuple[Indicator, ...] = ()
    total_written: Amount = Amount()  # 总分 row as written
    project_type: str = ""  # 经常性 | 一次性
    fund_use: str = ""  # 资金用途、使用方向
    filler: str = ""  # 填报人
    phone: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # field name -> A1 (name, department, ...)
    declared_points: dict[str, float] = field(default_factory=dict)  # "产出指标": 50 from "产出指标(50分)"
    unit: str = ""  # the reporting unit the project belongs to (perfeval.units), "" until assigned


@record
class IndicatorScore:
    """perfeval's score of one indicator, with the rule applied in words."""

    indicator: Indicator
    method: str  # "正向" | "反向" | "等于" | "时效" | "定性" | "" (not scored automatically)
    score: float | None  # 核定得分; None when it needs a manual score
    explanation: str  # 评分说明, e.g. "60余次 ≥ 50次，完成率120.00%，得满分10分"
    ratio: float | None = None  # 完成率 B/A where both are numbers
    grade: str = ""  # 达成 | 部分达成 | 未达成 when scored by grade (定性, 时效)


@record
class ProjectResult:
    """A project with its scores (核定) beside what the unit wrote (填报), and its issues."""

    project: Project
    rate: float | None  # B/A as a fraction
    budget_score: float | None
    budget_explanation: str
    indicators: tuple[IndicatorScore, ...]
    subtotals: dict[str, float]  # 产出指标 / 效益指标 / 满意度指标 (成本指标 counted under 产出)
    total: float | None  # 核定总分; None when 未评分
    grade: str  # 优 | 良 | 中 | 差, "" when 未评分
    status: str  # SCORED | NOT_SCORED
    reason: str = ""  # why 未评分
    issues: tuple[Issue, ...] = ()

    @property
    def total_written(self) -> float | None:
        """填报总分: the form's 总分 row, else the sum of the scores written on it."""
        if self.project.total_written.value is not None:
            return self.project.total_written.value
        written = [self.project.funds.score_written.value] + [
            i.score_written.value for i in self.project.indicators
        ]
        if all(v is None for v in written):
            return None
        return round(sum(v or 0.0 for v in written), 2)

    def count(self, level: str) -> int:
        return sum(1 for i in self.issues if i.level == level)


@record
class UnitInfo:
    """The 单位情况 sheet (FORM.md §4), or what could be inferred from the forms."""

    name: str = ""
    year: int | None = None
    department: str = ""
    own_level_name: str = "本级"  # 区级 / 县级 / 市级 / 本级
    funds_management: str = ""  # 资金使用管理情况
    evaluation_work: str = ""  # 绩效评价工作情况
    problems: str = ""  # 存在的问题
    suggestions: str = ""  # 有关建议
    other_notes: str = ""  # 其他需要说明的问题
    contact: str = ""
    phone: str = ""
    report_date: str = ""
    source: str = ""  # file it came from, "" when inferred


@record
class FileRecord:
    """One input file: its identity and what became of it."""

    path: Path
    name: str  # relative to the inbox
    sha256: str
    status: str  # "已读取" | "无法读取" | "无自评表" | "重复提交" (every form it holds repeats an earlier one)
    projects: int = 0  # its projects counted in the batch (a repeated form is not)
    unit: str = ""  # of a 重复提交 file: the unit its forms belong to (the others': their projects')


@dataclass(frozen=True)
class Batch:
    """Everything one run produced; the writers' only input."""

    results: tuple[ProjectResult, ...]
    files: tuple[FileRecord, ...]
    issues: tuple[Issue, ...]  # every issue, file-level ones included, in a stable order
    unit: UnitInfo
    rules: object  # perfeval.rules.Rules (kept untyped here to avoid an import cycle)
    year: int | None
    version: str
    run_time: dt.datetime
    units: tuple[UnitInfo, ...] = ()  # every reporting unit, when the batch holds more than one
    ignored: tuple[str, ...] = ()  # files in the inbox that are not spreadsheets, listed once

    @property
    def multi_unit(self) -> bool:
        return len(self.units) > 1

    def for_unit(self, name: str) -> Batch:
        """The part of the batch that belongs to one unit: its projects, its files' issues, its 单位情况."""
        return self.by_unit([name])[name]

    def by_unit(self, names: list[str] | None = None) -> dict[str, Batch]:
        """``for_unit`` of every unit (or of ``names``), in one pass over the batch: a city's 600 units
        must not each scan its 10,000 projects."""
        names = [u.name for u in self.units] if names is None else names
        known = {u.name: u for u in self.units}
        results: dict[str, list[ProjectResult]] = {name: [] for name in names}
        for r in self.results:
            if r.project.unit in results:
                results[r.project.unit].append(r)
        owner: dict[str, list[str]] = {}  # file -> the units it belongs to
        units = {}
        for name in names:
            unit = units[name] = known.get(name) or UnitInfo(name=name, year=self.year)
            for file in {r.project.file for r in results[name]} | ({unit.source} if unit.source else set()):
                owner.setdefault(file, []).append(name)
        for f in self.files:
            if f.unit in units:  # a repeated form's file: its F004 concerns its unit
                owner.setdefault(f.name, []).append(f.unit)
        issues: dict[str, list[Issue]] = {name: [] for name in names}
        for i in self.issues:
            if i.file:
                for name in owner.get(i.file, ()):
                    issues[name].append(i)
            elif i.unit in issues:  # a batch-level issue (U001) concerns the unit it is about
                issues[i.unit].append(i)
        files: dict[str, list[FileRecord]] = {name: [] for name in names}
        for f in self.files:
            for name in owner.get(f.name, ()):
                files[name].append(f)
        return {name: Batch(tuple(results[name]), tuple(files[name]), tuple(issues[name]), units[name], self.rules,
                            self.year, self.version, self.run_time, (units[name],)) for name in names}
