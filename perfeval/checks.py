"""Stage 4: the check catalogue (CHECKS.md), one registry of codes, levels and titles.

Every issue perfeval reports goes through ``issue()``, which takes the level from the registry, so
a code cannot be used without being catalogued. Project checks are small functions registered with
``@check``; they receive the scored project (checks compare what the unit wrote against perfeval's
own figures) and yield issues. Codes raised by other stages (F…, U001) are declared here too, so
that ``perfeval list-checks`` and the 评分规则 sheet show the whole catalogue.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from perfeval.model import ERROR, INFO, WARNING, Issue, Project, ProjectResult
from perfeval.rules import Rules
from perfeval.score import budget_base, indicator_kind
from perfeval.values import FORMULA_ERRORS, formula_error


@dataclass(frozen=True)
class Check:
    """A catalogued check: permanent code, level, and a Chinese title."""

    code: str
    level: str
    title: str
    func: Callable[[ProjectResult, Rules], Iterator[Issue]] | None = None


REGISTRY: dict[str, Check] = {}


def declare(code: str, level: str, title: str) -> None:
    """Catalogue a code raised outside the project checks (by the reader, normaliser or pipeline)."""
    if code in REGISTRY:
        raise ValueError(f"check code {code} registered twice")
    REGISTRY[code] = Check(code, level, title)


def check(code: str, level: str, title: str):
    """Register a project check: ``@check("B001", ERROR, "…")`` over ``f(result, rules) -> issues``."""
    def register(func):
        declare(code, level, title)
        REGISTRY[code] = Check(code, level, title, func)
        return func
    return register


def issue(code: str, message: str, *, file: str = "", sheet: str = "", cell: str = "", project: str = "",
          unit: str = "", level: str | None = None) -> Issue:
    """An issue of a catalogued code; ``level`` overrides the catalogue's only where CHECKS.md says so
    (B007 is 提示, or 警告 beyond 10%)."""
    return Issue(code, level or REGISTRY[code].level, message, file, sheet, cell, project, unit)


def _at(r: ProjectResult | Project, code: str, cell: str, message: str, level: str | None = None) -> Issue:
    p = r.project if isinstance(r, ProjectResult) else r
    return issue(code, message, file=p.file, sheet=p.sheet, cell=cell, project=p.name, level=level)


def check_project(result: ProjectResult, rules: Rules) -> list[Issue]:
    """Every registered project check over one scored project, in catalogue order."""
    found: list[Issue] = []
    for entry in sorted(REGISTRY.values(), key=lambda c: c.code):
        if entry.func is not None:
            found.extend(entry.func(result, rules))
    return found


def w2(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def pct(x: float) -> str:
    return f"{x * 100:.2f}%"


# ---- file and batch level (raised by other stages) ----------------------------------------

declare("F001", ERROR, "文件无法打开（损坏、加密、不完整或不是电子表格）")
declare("F002", ERROR, "工作簿中没有找到自评表")
declare("F003", WARNING, "公式没有缓存值，已推算或缺失")
declare("F004", ERROR, "同一项目重复提交")
declare("F005", WARNING, "单元格中保留了模板的填写说明文字")
declare("F006", WARNING, "自评表年度与本批年度不一致")
declare("F007", ERROR, "文件过大或单元格过多，超出读取上限")
declare("F008", WARNING, "未能生成退回修改副本")
declare("F009", INFO, "退回修改副本未保留原文件的部分内容")
declare("F010", ERROR, "一个工作表中有多张自评表，只读取了第一张")
declare("F011", WARNING, "隐藏的行中有指标，已读取并计入")
declare("B011", WARNING, "金额无法识别为数字")
declare("B013", INFO, "未填全年预算数，以年初预算数作为全年预算数")
declare("U001", WARNING, "没有单位情况表，报告文字由数据生成")


# What Windows, WPS, macOS and browsers add to a file's name for a copy of it: "X - 副本", "X - 副本 (2)",
# "X - Copy", "X copy", "X copy 2", "X副本", "X (1)", "X（2）"
_COPY_SUFFIX = re.compile(r"(?:\s*-\s*(?:副本|copy)|\s+copy|副本)(?:\s*[(（]\d{1,3}[)）]|\s+\d{1,3})?$"
                          r"|\s*[(（]\d{1,3}[)）]$", re.IGNORECASE)


def _copy_depth(file: str) -> int:
    """How many copy suffixes the file's name carries: 附件(3).xlsx 1, 附件(3) - 副本.xlsx 2, 表.xlsx 0."""
    stem, depth = file.rsplit("/", 1)[-1].rsplit(".", 1)[0], 0
    while (found := _COPY_SUFFIX.search(stem)) is not None and found.start() > 0:
        stem, depth = stem[:found.start()], depth + 1
    return depth


def check_duplicates(projects: list[Project]) -> tuple[list[Issue], set[int]]:
    """F004: the same project (编码, else 名称 + 实施单位) submitted more than once. Also returns the
    positions of the copies that repeat an earlier form of the same unit field for field (one file
    saved twice, or linked): the batch counts those once, by the first copy. Forms that only share a
    code, or a name and 实施单位, are both counted: one may be another project whose form was copied
    with its code, and leaving it out would drop its figures from every total.

    "First" is in reading order, except that a file named as a copy of another ("X - 副本.xlsx",
    "X (1).xlsx") comes after it, the more copy suffixes the later: "X - 副本.xlsx" sorts before
    "X.xlsx", and staff would find the original marked 重复提交 and the copy kept."""
    keys = [p.code or f"{p.name}|{p.implementer}" for p in projects]
    counts = Counter(keys)
    found, repeats = [], set()
    first: dict[str, Project] = {}  # the first form of each project key
    # each distinct form of those keys by its content, so that a thousand forms sharing one code (a
    # generator or a template that fills it in) are told apart in one pass, not compared pairwise
    distinct: dict[tuple, Project] = {}
    order = sorted(range(len(projects)), key=lambda k: _copy_depth(projects[k].file) if counts[keys[k]] > 1 else 0)
    for k in order:
        key, p = keys[k], projects[k]
        if counts[key] < 2 or not p.name:
            continue
        content = _content(p)
        if key not in first:
            first[key] = distinct[content] = p
            continue
        same = distinct.get(content)
        if same is not None:
            repeats.add(k)
            message = (f"项目“{p.name}”与 {same.file}（{same.sheet}）中的自评表内容完全相同，属重复提交，"
                       "汇总和报告只计一次；请删除重复的自评表")
        else:
            f = first[key]
            message = (f"项目“{p.name}”已在 {f.file}（{f.sheet}）中提交过，两份内容不同，汇总中均已计入；"
                       "请核对后删除多余的一份（如为不同项目，请更正项目编码或名称）")
            distinct[content] = p
        found.append((k, _at(p, "F004", p.cells.get("name", ""), message)))
    return [issue for _, issue in sorted(found, key=lambda pair: pair[0])], repeats


def _content(p: Project) -> tuple:
    """The form's every field, the unit included, but where in that unit's files it was found, as a key
    (its two dicts as sorted items). The same form in two units' folders counts in both: which unit it
    belongs to is for staff to settle, and keeping only the first would move one unit's project into
    another's figures."""
    content = (replace(p, file="", sheet="", cells=None, declared_points=None), tuple(sorted(p.cells.items())),
               tuple(sorted(p.declared_points.items())))
    try:
        hash(content)
    except TypeError:  # no field holds a list or a dict but these two; should one ever, it is a form of its own
        return (id(p),)
    return content


def check_year(project: Project, year: int | None) -> list[Issue]:
    """F006: the form's year differs from the batch year."""
    if year is None or project.year is None or project.year == year:
        return []
    return [_at(project, "F006", project.cells.get("year", ""),
                f"自评表标题年度为 {project.year} 年，本批评价年度为 {year} 年，请核对是否用错了表")]


# ---- project fields -----------------------------------------------------------------------

@check("P001", ERROR, "必填项为空：项目名称、主管部门、实施单位")
def check_required(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    p = r.project
    for key, label in (("name", "项目名称"), ("department", "主管部门"), ("implementer", "实施单位")):
        if not getattr(p, key):
            yield _at(r, "P001", p.cells.get(key, ""), f"{label}未填写，请补充")


@check("P002", WARNING, "预期目标或实际完成情况为空")
def check_goals(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    p = r.project
    for key, label in (("goal", "年度总体目标·预期目标"), ("achievement", "年度总体目标·实际完成情况")):
        if not getattr(p, key):
            yield _at(r, "P002", p.cells.get(key, ""), f"{label}未填写，请简要说明")


# ---- funds --------------------------------------------------------------------------------

_COLUMNS = (("initial", "年初预算数"), ("budget", "全年预算数"), ("actual", "全年执行数"))


@check("B001", ERROR, "年度资金总额不等于各资金来源之和，或为空而分项有金额")
def check_funds_total(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    funds = r.project.funds
    parts = funds.parts
    for key, label in _COLUMNS:
        values = [getattr(row, key).value for row in parts if getattr(row, key).value is not None]
        if not values:
            continue
        total = getattr(funds.total, key)
        s = sum(values)
        if total.value is None and total.text and s > rules.tolerance:  # B011 has said why
            yield _at(r, "B001", total.cell, f"年度资金总额的{label}“{total.text[:40]}”不是数字，但各资金来源合计 {s:.2f} 万元，"
                                             "请填写总额")
        elif total.value in (None, 0) and s > rules.tolerance:
            yield _at(r, "B001", total.cell, f"年度资金总额的{label}为空或为0，但各资金来源合计 {s:.2f} 万元，请填写总额")
        elif total.value is not None and abs(total.value - s) > rules.tolerance:
            yield _at(r, "B001", total.cell,
                      f"年度资金总额的{label} {total.value:.2f} 万元，不等于财政拨款、上年结转和其他资金之和 {s:.2f} 万元"
                      f"（相差 {total.value - s:.2f} 万元），请核对")


@check("B002", ERROR, "全年预算数为空或为0，无法计算执行率")
def check_budget_present(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    total = r.project.funds.total
    if not total.budget.value and not total.initial.value:
        yield _at(r, "B002", total.budget.cell, "全年预算数未填写或为0，无法计算预算执行率，请填写全年预算数（万元）")


@check("B012", ERROR, "全年执行数未填写")
def check_actual_present(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    total = r.project.funds.total
    if total.actual.value is None and total.actual.text and (total.budget.value or total.initial.value):
        yield _at(r, "B012", total.actual.cell, f"全年执行数“{total.actual.text[:40]}”不是数字，无法计算预算执行率；"
                                                "请填写数值，未支出请填 0")
    elif total.actual.value is None and (total.budget.value or total.initial.value):
        yield _at(r, "B012", total.actual.cell, "全年执行数未填写，无法计算预算执行率；未支出请填 0")


@check("B003", WARNING, "全年执行数大于全年预算数")
def check_overspent(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    total = r.project.funds.total
    a, b = total.budget.value, total.actual.value
    if a and b is not None and b > a + rules.tolerance:
        yield _at(r, "B003", total.actual.cell,
                  f"全年执行数 {b:.2f} 万元大于全年预算数 {a:.2f} 万元（执行率 {pct(b / a)}），请核对金额或说明超支原因")


def _rate_explained(p: Project) -> bool:
    words = ("执行率", "资金", "支出", "预算", "拨付", "结转", "跨年")
    return any(w in i.deviation for i in p.indicators for w in words)


@check("B004", WARNING, "执行率低于90%且未说明原因")
def check_rate_explained(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    if r.rate is not None and r.rate < rules.explain_rate and not _rate_explained(r.project):
        t = r.project.funds.total
        yield _at(r, "B004", t.actual.cell,
                  f"全年执行数 {t.actual.value:.2f} 万元，全年预算数 {budget_base(r.project, rules):.2f} 万元，"
                  f"执行率 {pct(r.rate)} 低于 {rules.explain_rate:.0%}，请在偏差原因分析中说明原因")


@check("B005", WARNING, "执行率低于60%")
def check_low_rate(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    if r.rate is not None and r.rate < rules.low_rate:
        t = r.project.funds.total
        yield _at(r, "B005", t.actual.cell,
                  f"执行率 {pct(r.rate)} 低于 {rules.low_rate:.0%}（执行 {t.actual.value:.2f} 万元 / 预算 "
                  f"{budget_base(r.project, rules):.2f} 万元），将在报告中重点说明，请核实资金未支出的原因")


@check("B006", WARNING, "表上执行率或得分与计算结果不一致")
def check_written_rate(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    funds = r.project.funds
    if r.rate is not None and funds.rate_written.value is not None and abs(funds.rate_written.value - r.rate) > 0.0001:
        yield _at(r, "B006", funds.rate_written.cell,
                  f"表上执行率为 {pct(funds.rate_written.value)}，按全年执行数÷全年预算数计算应为 {pct(r.rate)}，请更正")
    if r.budget_score is not None and funds.score_written.value is not None and \
            abs(funds.score_written.value - r.budget_score) > rules.tolerance:
        yield _at(r, "B006", funds.score_written.cell,
                  f"表上预算执行得分为 {funds.score_written.value:.2f} 分，按规则应为 {r.budget_score:.2f} 分"
                  f"（{r.budget_explanation}），核定得分以计算结果为准")


@check("B007", INFO, "全年预算数与年初预算数不同（预算调整）；相差超过10%为警告")
def check_adjusted(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    t = r.project.funds.total
    a0, a = t.initial.value, t.budget.value
    if a0 and a is not None and abs(a - a0) > rules.tolerance:
        change = (a - a0) / a0
        level = WARNING if abs(change) > 0.10 else INFO
        yield _at(r, "B007", t.budget.cell,
                  f"全年预算数 {a:.2f} 万元与年初预算数 {a0:.2f} 万元不同（调整 {pct(change)}）"
                  + ("，调整幅度超过10%，请在报告中说明预算调整原因" if level == WARNING else ""), level)


@check("B009", ERROR, "金额为负数")
def check_negative(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    funds = r.project.funds
    for row in [funds.total, *funds.parts, *([funds.own_level] if funds.own_level else [])]:
        for key, label in _COLUMNS:
            amount = getattr(row, key)
            if amount.value is not None and amount.value < 0:
                yield _at(r, "B009", amount.cell, f"{row.label}的{label}为负数（{amount.value:.2f}），请更正")


@check("B010", ERROR, "“其中”行金额大于总额")
def check_part_exceeds(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    funds = r.project.funds
    for row in (funds.appropriation, funds.own_level):
        if row is None:
            continue
        for key, label in _COLUMNS:
            part, total = getattr(row, key).value, getattr(funds.total, key).value
            if part is not None and total is not None and part > total + rules.tolerance:
                yield _at(r, "B010", getattr(row, key).cell,
                          f"{row.label}的{label} {part:.2f} 万元大于年度资金总额 {total:.2f} 万元，请核对")


@check("B008", WARNING, "金额疑似以元而非万元填报（超过10万，或表上注明元）")
def check_yuan_amounts(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    t = r.project.funds.total
    big = [a for a in (t.initial, t.budget, t.actual) if a.value is not None and a.value > 100_000]
    if big:
        yield _at(r, "B008", big[0].cell,
                  f"金额 {big[0].value:,.2f} 万元超过 10 万万元，疑似按“元”填报，请确认金额单位为万元")


# ---- indicators ---------------------------------------------------------------------------

@check("T001", ERROR, "没有绩效指标")
def check_has_indicators(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    if not r.project.indicators:
        yield _at(r, "T001", "", "自评表中没有填写绩效指标（三级指标），无法评分，请按年初设定的绩效目标填写")


@check("T002", ERROR, "指标未填写年度指标值")
def check_target_present(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for i in r.project.indicators:
        if i.target.kind == "empty":
            yield _at(r, "T002", i.target.cell, f"指标“{i.name}”未填写年度指标值，请按年初绩效目标填写")


@check("T003", ERROR, "指标未填写实际完成值")
def check_actual_value_present(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for i in r.project.indicators:
        if i.actual.kind == "empty":
            yield _at(r, "T003", i.actual.cell, f"指标“{i.name}”未填写实际完成值，请填写实际完成情况")


@check("T004", WARNING, "指标值无法识别，需人工评分")
def check_parsable(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        i = s.indicator
        for v, label in ((i.target, "年度指标值"), (i.actual, "实际完成值")):
            if v.kind == "unparsed" and v.text in FORMULA_ERRORS:
                yield _at(r, "T004", v.cell, f"指标“{i.name}”的{label}{formula_error(v.text)}，请修正公式或直接填写数值")
            elif v.kind == "unparsed":
                yield _at(r, "T004", v.cell, f"指标“{i.name}”的{label}“{v.text}”无法识别，请按“≥50次”“95%”等格式填写")
        if s.score is None and i.weight.value is not None and i.actual.kind != "empty" and s.method == "" \
                and not _units_differ(s):
            yield _at(r, "T004", i.actual.cell, f"指标“{i.name}”：{s.explanation}")


def _units_differ(s) -> bool:
    i = s.indicator
    return i.target.kind == "number" and i.actual.kind == "number" and "计量单位不一致" in s.explanation


@check("T005", WARNING, "目标值与实际值计量单位不同且无法换算")
def check_units(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        if _units_differ(s):
            i = s.indicator
            yield _at(r, "T005", i.actual.cell,
                      f"指标“{i.name}”目标“{i.target.text}”与实际“{i.actual.text}”计量单位不同，无法换算，请统一单位")


def _missed(s) -> bool:
    w = s.indicator.weight.value
    if s.ratio is not None and s.method in ("正向", "等于"):
        return s.ratio < 1 - 1e-9
    if s.method == "反向" and s.score is not None and w is not None:
        return s.score < w - 1e-9
    return s.grade in ("部分达成", "未达成")


def _met(s) -> bool:
    if s.ratio is not None and s.method in ("正向", "等于"):
        return s.ratio >= 1 - 1e-9
    if s.method == "反向":
        return not _missed(s)
    return s.grade == "达成"


@check("T006", WARNING, "未完成目标且未填写偏差原因分析")
def check_missed_explained(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        i = s.indicator
        if _missed(s) and not i.deviation:
            yield _at(r, "T006", i.deviation_cell,
                      f"指标“{i.name}”目标“{i.target.text}”，实际“{i.actual.text}”，未完成目标，请填写偏差原因分析及改进措施")


@check("T007", WARNING, "完成值达到目标130%以上且未说明偏差原因")
def check_over_explained(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        i = s.indicator
        if s.ratio is not None and s.method == "正向" and s.ratio >= rules.over_ratio - 1e-9 and not i.deviation:
            yield _at(r, "T007", i.deviation_cell,
                      f"指标“{i.name}”目标“{i.target.text}”，实际“{i.actual.text}”，完成率 {pct(s.ratio)}，"
                      f"超过 {rules.over_ratio:.0%}，请在偏差原因分析中说明（目标是否设定偏低）")


@check("T008", WARNING, "数量目标的实际完成值不是实测值")
def check_measured(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        i = s.indicator
        if i.target.kind != "number":
            continue
        not_measured = i.actual.kind == "qualitative" or any(
            "不是实测值" in n or "完成百分比" in n for n in i.actual.notes)
        if not_measured and i.actual.kind != "empty":
            yield _at(r, "T008", i.actual.cell,
                      f"指标“{i.name}”目标为数量“{i.target.text}”，实际完成值“{i.actual.text}”不是实际数值，"
                      f"已按定性评分，请填写实际完成的数量")


@check("T009", INFO, "实际完成值照抄了年度指标值")
def check_copied(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for i in r.project.indicators:
        if i.target.text and i.actual.text == i.target.text and i.target.kind != "number":
            yield _at(r, "T009", i.actual.cell, f"指标“{i.name}”的实际完成值与年度指标值完全相同（“{i.actual.text}”），按达成计")


@check("T010", ERROR, "指标分值合计不符（应为100减预算执行分值，或与表头声明的分值不符）")
def check_weights(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    p = r.project
    if not p.indicators:
        return
    total = sum(i.weight.value or 0.0 for i in p.indicators)
    first = p.indicators[0].weight.cell
    if abs(total - rules.indicator_points) > rules.tolerance:
        yield _at(r, "T010", first, f"各指标分值合计 {total:.2f} 分，应为 {rules.indicator_points:.0f} 分"
                                    f"（100 分减预算执行率 {rules.budget_points:.0f} 分），请调整分值")
    for kind, points in p.declared_points.items():
        rows = [i for i in p.indicators if kind == "绩效指标" or i.level1.startswith(kind[:2])]
        s = sum(i.weight.value or 0.0 for i in rows)
        if abs(s - points) > rules.tolerance:
            yield _at(r, "T010", p.cells.get(f"declared:{kind}", first),
                      f"表头“{kind}”标明 {points:g} 分，其下指标分值合计 {s:.2f} 分，请核对")


@check("T011", WARNING, "产出/效益/满意度分值比例与50/30/10不同")
def check_split(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    p = r.project
    if not p.indicators:
        return
    sums: dict[str, float] = {}
    for i in p.indicators:
        kind = indicator_kind(i)
        sums[kind] = sums.get(kind, 0.0) + (i.weight.value or 0.0)
    expected = dict(rules.split)
    if not sums.get("满意度指标") and "满意度指标" in expected:
        expected["效益指标"] = expected.get("效益指标", 0) + expected.pop("满意度指标")
    got = {k: sums.get(k, 0.0) for k in expected}
    if any(abs(got[k] - v) > rules.tolerance for k, v in expected.items()):
        have = "/".join(f"{k[:-2]}{got[k]:g}" for k in expected)
        want = "/".join(f"{v:g}" for v in expected.values())
        yield _at(r, "T011", p.indicators[0].weight.cell,
                  f"分值分配为 {have}，与原则上的 {want} 不同，请确认或在报告中说明")


@check("T012", ERROR, "得分大于分值或为负数")
def check_score_range(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for i in r.project.indicators:
        s, w = i.score_written.value, i.weight.value
        if s is None:
            continue
        if s < 0 or (w is not None and s > w + rules.tolerance):
            yield _at(r, "T012", i.score_written.cell,
                      f"指标“{i.name}”得分 {s:g} 分" + ("为负数" if s < 0 else f"超过分值 {w:g} 分") + "，请更正")


@check("T013", ERROR, "定性指标得分不在其等级的分数区间内")
def check_band(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        i = s.indicator
        written, w = i.score_written.value, i.weight.value
        if not s.grade or written is None or not w or "不在" not in s.explanation:
            continue
        low, high = rules.band_of(s.grade)
        yield _at(r, "T013", i.score_written.cell,
                  f"指标“{i.name}”实际“{i.actual.text}”为{s.grade}，得分应在 {w * low:g}–{w * high:g} 分之间，"
                  f"填报 {written:g} 分，核定按 {s.score:.2f} 分")


@check("T014", WARNING, "填报得分与计算得分相差超过0.01")
def check_written_score(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        i = s.indicator
        written = i.score_written.value
        if written is None or s.score is None or s.grade:
            continue  # graded indicators are T013's
        if abs(written - s.score) > rules.tolerance:
            yield _at(r, "T014", i.score_written.cell,
                      f"指标“{i.name}”填报得分 {written:g} 分，按规则计算为 {s.score:.2f} 分（{s.explanation}）")


@check("T015", WARNING, "完成目标却扣分，或未完成目标却得满分")
def check_score_logic(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    for s in r.indicators:
        i = s.indicator
        written, w = i.score_written.value, i.weight.value
        if written is None or w is None:
            continue
        if _met(s) and written < w - rules.tolerance:
            yield _at(r, "T015", i.score_written.cell,
                      f"指标“{i.name}”已完成目标（目标“{i.target.text}”，实际“{i.actual.text}”），但填报得分 {written:g} 分低于分值 {w:g} 分，请说明扣分理由或更正")
        elif _missed(s) and written >= w - rules.tolerance:
            yield _at(r, "T015", i.score_written.cell,
                      f"指标“{i.name}”未完成目标（目标“{i.target.text}”，实际“{i.actual.text}”），却得满分 {w:g} 分，请更正")


STANDARD_LEVEL2 = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
}


@check("T016", INFO, "二级指标不在标准范围内，或与一级指标不匹配")
def check_level2(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    seen = set()
    for i in r.project.indicators:
        allowed = STANDARD_LEVEL2.get(i.level1)
        if allowed is None or not i.level2 or (i.level1, i.level2) in seen:
            continue
        seen.add((i.level1, i.level2))
        if i.level2 not in allowed and i.level2.rstrip("指标") + "指标" not in allowed:
            yield _at(r, "T016", "", f"一级指标“{i.level1}”下的二级指标“{i.level2}”不是标准二级指标（{'、'.join(allowed)}）")


@check("T017", WARNING, "产出指标没有数量指标，或没有效益指标")
def check_structure(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    p = r.project
    if not p.indicators:
        return
    if not any(indicator_kind(i) == "产出指标" and i.level2.startswith("数量") for i in p.indicators):
        yield _at(r, "T017", "", "产出指标中没有数量指标，请至少设置一项数量指标")
    if not any(indicator_kind(i) == "效益指标" for i in p.indicators):
        yield _at(r, "T017", "", "没有效益指标，请设置反映项目效益的指标")


@check("S001", ERROR, "表上总分不等于各项得分之和")
def check_total(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    p = r.project
    written_total = p.total_written.value
    if written_total is None:
        return
    parts = [p.funds.score_written.value] + [i.score_written.value for i in p.indicators]
    if all(v is None for v in parts):
        return
    s = sum(v or 0.0 for v in parts)
    if abs(written_total - s) > rules.tolerance:
        yield _at(r, "S001", p.total_written.cell,
                  f"表上总分 {written_total:g} 分，但预算执行得分与各指标得分合计为 {s:.2f} 分，请更正")


# ---- narratives ---------------------------------------------------------------------------

_NEAR_AND_MORE = re.compile(r"近[^，。；、,;\s]{0,6}?\d+(?:\.\d+)?[万亿千百]?余")
_MEASURE_GAP = re.compile(
    r"(?<![\d０-９一二三四五六七八九十百千万两余多几数每各])(为|对|向|给|共|计|达|组织|引导|开展|服务)"
    r"(家|个|名|次|场|项|份|条|起|件|人次)(?=[\u4e00-\u9fff])")
_GAP_WORDS = ("个人", "个体", "个别", "家长", "家庭", "家属", "家乡", "名义", "名单", "次要", "项目", "份额",
              "条件", "条例", "件事", "人次数", "家园", "次数", "人数", "家数", "个数", "件数", "项数", "场次",
              "名额", "起数")


def lint_text(text: str) -> list[str]:
    """Contradictions and gaps in a narrative: 近…余 together, a measure word with no number."""
    found = []
    for m in _NEAR_AND_MORE.finditer(text):
        found.append(f"“{m.group(0)}”中“近”与“余”同时出现，表述矛盾")
    for m in _MEASURE_GAP.finditer(text):
        word = text[m.start(2): m.start(2) + 3]
        if any(word.startswith(g) for g in _GAP_WORDS):
            continue
        found.append(f"“{text[max(0, m.start() - 4): m.end() + 3]}”中“{m.group(2)}”前缺少数字")
    return found


@check("N001", WARNING, "文字表述矛盾或缺漏（如“近…余”、“为家企业”）")
def check_narratives(r: ProjectResult, rules: Rules) -> Iterator[Issue]:
    p = r.project
    texts = [(p.goal, p.cells.get("goal", ""), "预期目标"), (p.achievement, p.cells.get("achievement", ""), "实际完成情况")]
    texts += [(i.deviation, i.deviation_cell, f"指标“{i.name}”的偏差原因") for i in p.indicators]
    for text, cell, where in texts:
        for problem in lint_text(text or ""):
            yield _at(r, "N001", cell, f"{where}：{problem}，请修改表述")
