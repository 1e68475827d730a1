"""Stage 3: turn what was read into typed, comparable data.

Amounts become 万元 (a form that says 金额单位：元 is converted, and the conversion is noted),
指标值 are parsed by ``perfeval.values``, code prefixes are split off names, 一级指标 labels lose
their points, and template instruction text left in a cell counts as no value (F005). Formulas
that were never calculated (F003) are derived where the form allows: the funds total as the sum of
its rows, 执行率 as B/A, its 得分 as 分值 × 执行率.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import replace
from functools import lru_cache

from perfeval import checks
from perfeval.model import Amount, Funds, FundsRow, Indicator, Issue, Project, UnitInfo
from perfeval.reader import (EMPTY, MAX_FORM_TEXT, MAX_INDICATORS, TOO_LONG, RawCell, RawForm, UnitSheet,
                             cap_long_texts, cap_total_text, cut_name, normalise_label)
from perfeval.values import (
    FORMULA_ERRORS, clean_text, format_number, formula_error, is_empty, parse_amount, parse_value,
    written_money_unit,
)

_CODE_PREFIX = re.compile(r"^\s*([0-9A-Za-z][0-9A-Za-z\-]{3,}[0-9A-Za-z])\s*[-—－_:：\s]\s*(\S.*)$")
_INSTRUCTION = re.compile(r"(\d+\s*字以内|请填写|请根据|对照年度目标|填写说明|如实填写|此处填写|按照.*填写)")
# every _INSTRUCTION alternative holds one of these: a cheap test before the regex
_may_be_instruction = re.compile("[填请照字]").search
_LEVEL1 = {"产出": "产出指标", "效益": "效益指标", "满意度": "满意度指标", "成本": "成本指标"}


class _Context:
    """Issues found while normalising one form, with its file/sheet/project filled in."""

    def __init__(self, form: RawForm) -> None:
        self.form = form
        self.project = ""
        self.issues: list[Issue] = []
        self.yuan: list[Amount] = []  # money cells that say 元 themselves ("50000元"), converted

    def add(self, code: str, cell: str, message: str) -> None:
        self.issues.append(checks.issue(code, message, file=self.form.file, sheet=self.form.sheet, cell=cell,
                                        project=self.project))


def split_code(text: str) -> tuple[str, str]:
    """'219001-池州市贵池区棠溪镇人民政府' -> ('219001', '池州市贵池区棠溪镇人民政府')."""
    m = _CODE_PREFIX.match(text)
    if m and any(ch.isdigit() for ch in m.group(1)):
        return m.group(1), m.group(2).strip()
    return "", text.strip()


def normalise_form(form: RawForm) -> tuple[Project, list[Issue]]:
    """A ``Project`` from a ``RawForm``, and the issues normalisation found (F005, B008, B011, B013)."""
    ctx = _Context(form)
    groups = (form.fields, *form.funds.values(), *form.indicators)
    cut = [c for cells in groups for c in cap_long_texts(cells)]
    trimmed = cap_total_text(groups)
    text = lambda key: _text(ctx, form.fields.get(key))
    line = lambda key: _one_line(text(key))
    code, name = _named(ctx, "name", *split_code(line("name")))
    ctx.project = name
    for cell, length in cut:
        ctx.add("F007", cell, TOO_LONG.format(length))
    if form.indicators_cut:
        ctx.add("F007", "", f"表中绩效指标超过 {MAX_INDICATORS} 行（不是正常的自评表，可能是程序生成或异常的文件），"
                            f"只读取了前 {MAX_INDICATORS} 行；请删除多余的行后另存")
    if trimmed:
        total, count, kept = trimmed
        ctx.add("F007", "", f"表中文字合计 {total:,} 字，超过每张自评表 {MAX_FORM_TEXT:,} 字的上限（可能是程序生成或异常的文件），"
                            f"其中 {count:,} 个较长的单元格只读取了前 {kept:,} 字，金额、分值照常读取并评分；请删除多余内容后另存")
    dept_code, department = _named(ctx, "department", *split_code(line("department")))
    _, implementer = _named(ctx, "implementer", *split_code(line("implementer")))
    own_code = line("code")
    year = form.fields.get("year")
    cells = {k: v.cell for k, v in form.fields.items() if v.cell}
    declared = {}
    for kind, raw in form.declared.items():
        label = _LEVEL1.get(kind[:2], kind) if kind != "绩效指标" else kind
        declared[label] = float(raw.value)
        cells[f"declared:{label}"] = raw.cell
    funds, indicators = _funds(ctx), tuple(_indicators(ctx))
    total = _amount(ctx, form.fields.get("total_score"), money=False)
    written = [a.value for a in (funds.score_written, *(i.score_written for i in indicators)) if a.value is not None]
    total = _recalculated(ctx, total, round(sum(written), 2) if written else None, "各项得分之和")
    project = Project(
        file=form.file, sheet=form.sheet, name=name, code=own_code or code, department=department,
        implementer=implementer, year=year.value if year else None, goal=text("goal"),
        achievement=text("achievement"), funds=funds, indicators=indicators, total_written=total,
        project_type=text("project_type"), fund_use=text("fund_use"), filler=text("filler"),
        phone=text("phone"), cells=cells, declared_points=declared,
    )
    return project, ctx.issues


_NAME_LABELS = {"name": "项目名称", "department": "主管部门", "implementer": "实施单位"}


def _named(ctx: _Context, key: str, code: str, name: str) -> tuple[str, str]:
    """(code, name) with the name within ``cut_name``'s limit, and an F007 on its cell when it was longer."""
    name, message = cut_name(_NAME_LABELS[key], name)
    if message:
        raw = ctx.form.fields.get(key)
        ctx.add("F007", raw.cell if raw else "", message)
    return code, name


_LINE_BREAK = re.compile(r"(?<!\s)\s*[\r\n]+\s*")


def _one_line(text: str) -> str:
    """A name typed over several lines in one cell (Alt+Enter) is one name: "金融监管\n工作经费"."""
    return _LINE_BREAK.sub("", text) if "\n" in text or "\r" in text else text


_empty_text = lru_cache(maxsize=4096)(is_empty)  # the same labels, units and markers recur form after form


def _empty(v: object) -> bool:
    """``values.is_empty`` with the common cases first: most cells are "" or numbers."""
    cls = v.__class__
    if cls is float or cls is int:
        return v != v  # NaN
    if cls is str:
        return not v or _empty_text(v)
    return is_empty(v)


def _clean(v: object) -> str:
    """``values.clean_text`` without its chain of type checks for the usual str, float and int."""
    cls = v.__class__
    if cls is float and v - v == 0:  # finite
        return format_number(v)
    if cls is int:
        return str(v)
    return clean_text(v)


def _text(ctx: _Context, raw: RawCell | None, value: bool = False) -> str:
    """A text field as written; "" when empty, a template instruction (F005) or, unless it is an
    indicator ``value`` (its parser names it: T004), a formula's error value (F003)."""
    if raw is None or _empty(raw.value):
        return ""
    text = _clean(raw.value)
    if text in FORMULA_ERRORS and not value:
        ctx.add("F003", raw.cell, f"单元格{formula_error(text)}，按未填写处理；请修正公式或直接填写内容")
        return ""
    if len(text) < 120 and _may_be_instruction(text) and _INSTRUCTION.search(text):
        ctx.add("F005", raw.cell, f"单元格仍是模板的填写说明“{text[:30]}”，请替换为实际内容")
        return ""
    return text


# An amount, 分值 or 得分 beyond this is no figure of a form (1 万亿 万元 is a hundred times a
# year's national budget): it would only overflow the sums.
MAX_AMOUNT = 1e12


def _amount(ctx: _Context, raw: RawCell | None, money: bool = True, percent: bool = False) -> Amount:
    if raw is None:
        return Amount()
    if raw.cell in ctx.form.uncached:
        ctx.add("F003", raw.cell, "该单元格是公式，但没有计算结果（文件由程序生成、未在 Excel/WPS 中保存过）；"
                                  "资金总额按各来源之和推算，执行率和得分由 perfeval 按规则计算，建议在 Excel 中打开后保存再提交")
        return Amount(None, raw.cell, "")
    v = raw.value
    if _empty(v):
        return Amount(None, raw.cell, "")
    text = sys.intern(_clean(v))  # "10", "22.50": the same few texts in every form
    if v.__class__ is float or v.__class__ is int:
        value = float(v)
    else:
        try:
            value = parse_amount(v)
        except ValueError:
            what = "（金额以万元为单位）" if money else ""
            if text in FORMULA_ERRORS:
                ctx.add("B011", raw.cell, f"单元格{formula_error(text)}，请修正公式或直接填写数值{what}")
            else:
                ctx.add("B011", raw.cell, f"“{text}”不是数字，请填写数值{what}")
            return Amount(None, raw.cell, text)
    if value is not None and not abs(value) < MAX_AMOUNT:
        ctx.add("B011", raw.cell, f"“{text[:40]}”超出合理范围（绝对值应小于 1 万亿），请核对数值和金额单位")
        return Amount(None, raw.cell, text)
    # the cell's own unit ("50000元", "5万元") before the form's (金额单位：元)
    unit = written_money_unit(v) if money else ""
    if value is not None and money and (unit or ctx.form.amount_unit) == "元":
        value = value / 10000
        if unit == "元" and ctx.form.amount_unit != "元":
            ctx.yuan.append(Amount(value, raw.cell, text))
    if value is not None and percent and value > 1.5 and "%" not in text and "％" not in text:
        value = value / 100  # a rate typed as 50.34 into a cell that is not formatted as percent
    return Amount(value, raw.cell, text)


def _funds(ctx: _Context) -> Funds:
    form = ctx.form
    rows: dict[str, FundsRow] = {}
    for kind, columns in form.funds.items():
        rows[kind] = FundsRow(
            sys.intern(form.funds_labels.get(kind, "")),
            _amount(ctx, columns.get("initial")),
            _amount(ctx, columns.get("budget")),
            _amount(ctx, columns.get("actual")),
        )
    total = _derive_total(ctx, rows)
    if ctx.yuan:
        first = ctx.yuan[0]
        more = f"等 {len(ctx.yuan)} 个单元格" if len(ctx.yuan) > 1 else ""
        ctx.add("B008", first.cell, f"金额“{first.text}”{more}写明单位为元，已按 1 万元 = 10000 元换算为万元（如 "
                                    f"{first.value:.2f} 万元）；请核对，并按万元填写数值")
    written = written_money_unit(total.budget.text)  # the example's own unit, if it says one
    if form.amount_unit == "元" and form.funds and written == "万元":
        ctx.add("B008", form.amount_unit_cell,
                f"表上金额单位为“元”，但金额单元格写明了万元（如全年预算数“{total.budget.text}”），已按单元格所写的万元读取，"
                "请核对并统一金额单位")
    elif form.amount_unit == "元" and form.funds:
        written = total.budget.text if written == "元" else f"{total.budget.text} 元"
        ctx.add("B008", form.amount_unit_cell,
                f"表上金额单位为“元”，已按 1 万元 = 10000 元换算为万元（如全年预算数 {written} = "
                f"{(total.budget.value or 0):.2f} 万元），请核对")
    if total.budget.value is None and total.initial.value is not None and "budget" not in form.funds_columns:
        ctx.add("B013", total.initial.cell, "表中没有全年预算数栏，以年初预算数作为全年预算数计算执行率")
    cols = form.funds.get("total", {})
    a, b = total.budget.value, total.actual.value
    shown_rate = round(b / a, 6) if a and b is not None else None  # what the unit's 执行率 formula shows: B/A
    rate = _amount(ctx, cols.get("rate"), money=False, percent=True)
    rate = _formula_result(ctx, rate, shown_rate, "全年执行数 ÷ 全年预算数")
    weight = _amount(ctx, cols.get("weight"), money=False)
    score = _amount(ctx, cols.get("score"), money=False)
    # likewise the 得分 formula: 分值 × 执行率, at most the 分值
    shown_score = round((weight.value or 10.0) * min(rate.value, 1.0), 2) if rate.value is not None else None
    score = _formula_result(ctx, score, shown_score, "分值 × 执行率")
    return Funds(
        total=total, appropriation=rows.get("appropriation"), own_level=rows.get("own_level"),
        carryover=rows.get("carryover"), other=rows.get("other"),
        weight=weight, rate_written=rate, score_written=score,
    )


def _derive_total(ctx: _Context, rows: dict[str, FundsRow]) -> FundsRow:
    """The 年度资金总额 row, with formula cells that have no cached value derived from its parts."""
    total = rows.get("total", FundsRow("年度资金总额"))
    parts = [rows[k] for k in ("appropriation", "carryover", "other") if k in rows]
    derived = {}
    for key in ("initial", "budget", "actual"):
        amount = getattr(total, key)
        values = [getattr(p, key).value for p in parts if getattr(p, key).value is not None]
        found = _formula_result(ctx, amount, round(sum(values), 6) if values else None, "其下各来源之和")
        if found is not amount:
            derived[key] = found
    return replace(total, **derived) if derived else total


def _formula_result(ctx: _Context, amount: Amount, derived: float | None, how: str) -> Amount:
    """A formula cell as the form says the formula would show it (``derived``, ``how``) where the file
    holds no result Excel would show: a formula never calculated (its F003 is ``_amount``'s), or a saved 0
    to be recalculated (``_recalculated``)."""
    if derived is not None and amount.value is None and amount.cell and amount.cell in ctx.form.uncached:
        return Amount(derived, amount.cell, "")
    return _recalculated(ctx, amount, derived, how)


def _recalculated(ctx: _Context, amount: Amount, derived: float | None, how: str) -> Amount:
    """A formula's saved 0 in a workbook marked to be recalculated on opening, as the form says the formula
    would show it (``derived``, ``how``), when that is not 0: XlsxWriter saves 0 for every formula it is given
    no result for, and Excel shows the real one. A true 0, or one nothing can be derived for, stays 0."""
    if amount.value != 0 or amount.cell not in ctx.form.recalculated or not derived:
        return amount
    ctx.add("F003", amount.cell, f"该单元格是公式，文件中保存的结果为 0，但文件要求打开时重新计算（由程序生成、未在 Excel/WPS "
                                 f"中保存过），已按{how}推算为 {format_number(derived)}；建议在 Excel 中打开后保存再提交")
    return Amount(derived, amount.cell, "")


@lru_cache(maxsize=1024)
def level1_name(text: str) -> str:
    """'产出指标(50分)' -> '产出指标'; '产出' -> '产出指标'."""
    label = _drop_brackets(normalise_label(text))
    return _LEVEL1.get(label[:3] if label.startswith("满意度") else label[:2], label)


@lru_cache(maxsize=1024)
def _level2_name(text: str) -> str:
    return _drop_brackets(text).strip()


# a bracket with no closing one on its line is passed over to the line's end in one step (a lazy scan from
# each of them went to the end again); closed ones are removed
_BRACKETS = re.compile(r"[(（][^)）\n]*+(?:[)）]|(?=\n)|\Z)")


def _drop_brackets(text: str) -> str:
    return _BRACKETS.sub(lambda m: "" if m.group().endswith((")", "）")) else m.group(), text)


def _indicators(ctx: _Context) -> list[Indicator]:
    found = []
    for row in ctx.form.indicators:
        level1 = level1_name(_clean(row["level1"].value))
        level2 = _level2_name(_clean(row["level2"].value))
        cost = level1 == "成本指标" or level2.startswith("成本")
        target_raw = _combine(row, "target", "nature", "unit")
        actual_raw = _combine(row, "actual", None, "actual_unit")
        name_cell = row.get("name", EMPTY)
        target_text = _text(ctx, target_raw, value=True)
        actual_text = _text(ctx, actual_raw, value=True)
        found.append(Indicator(
            level1=level1, level2=level2, name=_one_line(_text(ctx, row.get("name"))),
            target=parse_value(target_raw.value if target_text else "", target_raw.cell, cost=cost),
            actual=parse_value(actual_raw.value if actual_text else "", actual_raw.cell, cost=cost, actual=True),
            weight=_amount(ctx, row.get("weight"), money=False),
            score_written=_amount(ctx, row.get("score"), money=False),
            deviation=_text(ctx, row.get("deviation")),
            row=_row_of(name_cell.cell or target_raw.cell),
            name_cell=name_cell.cell, deviation_cell=row.get("deviation", EMPTY).cell,
        ))
    return found


# 指标性质 as Sichuan-style forms fill it: a comparator, or a word for the indicator's direction
_NATURE_WORDS = {"正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤", "定性": "", "定性指标": "",
                 "定量": "", "定量指标": "", "等于": "=", "区间": ""}


_PERCENT_UNITS = frozenset({"%", "％", "百分比", "(%)", "（%）"})


def _combine(row: dict[str, RawCell], value_key: str, nature_key: str | None, unit_key: str) -> RawCell:
    """Sichuan-style split columns: 指标性质 | 指标值 | 度量单位 read as one value text."""
    value = row.get(value_key, EMPTY)
    nature = row.get(nature_key) if nature_key else None
    unit = row.get(unit_key) or (row.get("unit") if value_key == "actual" else None)
    if (nature is None or _empty(nature.value)) and (unit is None or _empty(unit.value)):
        return value
    if _empty(value.value):
        return value
    text = _clean(value.value)
    if nature is not None and not _empty(nature.value):
        word = _clean(nature.value)
        text = _NATURE_WORDS.get(word, word) + text
    if unit is not None and not _empty(unit.value):
        written = _clean(unit.value)
        shown = "%" if written in _PERCENT_UNITS else written
        if not text.endswith(shown):  # a percent cell already reads "0.8%" (``reader._show_percents``)
            text += written
    return RawCell(text, value.cell)


def _row_of(cell: str) -> int:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits else 0


def unit_info(sheets: list[UnitSheet], projects: list[Project]) -> UnitInfo:
    """The unit from its 单位情况 sheet, else inferred from the forms (the most common 实施单位)."""
    if sheets:
        items = sheets[0].items
        get = lambda key: clean_text(items[key].value) if key in items and not is_empty(items[key].value) else ""
        year_text = get("年度")
        year_match = re.search(r"(\d{4})", year_text)
        own = get("本级资金名称").replace("资金", "") or _own_level_from_forms(projects)
        return UnitInfo(
            name=get("单位名称") or _most_common(p.implementer for p in projects),
            year=int(year_match.group(1)) if year_match else _most_common((p.year for p in projects), None),
            department=get("主管部门") or _most_common(p.department for p in projects),
            own_level_name=own, funds_management=get("资金使用管理情况"), evaluation_work=get("绩效评价工作情况"),
            problems=get("存在的问题"), suggestions=get("有关建议"), other_notes=get("其他需要说明的问题"),
            contact=get("联系人"), phone=get("联系电话"), report_date=get("报送日期"), source=sheets[0].file)
    return UnitInfo(
        name=_most_common(p.implementer for p in projects), year=_most_common((p.year for p in projects), None),
        department=_most_common(p.department for p in projects), own_level_name=_own_level_from_forms(projects))


def _own_level_from_forms(projects: list[Project]) -> str:
    labels = [p.funds.own_level.label for p in projects if p.funds.own_level is not None]
    for label in labels:
        m = re.search(r"(区级|县级|市级|省级|本级)", label)
        if m:
            return m.group(1)
    return "本级"


def _most_common(values, default=""):
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else default
