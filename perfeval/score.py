"""Stage 5: score every project by the rules (SCORING.md), each figure with the rule in words.

Pure functions of the parsed project and the rules: no I/O, nothing printed. Rounding is
ROUND_HALF_UP to two decimals, per indicator and for the budget score; the total is their sum.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal

from perfeval.model import (
    COST_KIND, EFFECT_KIND, NOT_SCORED, OUTPUT_KIND, SATISFACTION_KIND, SCORED, Indicator,
    IndicatorScore, Project, ProjectResult, Value,
)
from perfeval.rules import Rules
from perfeval.values import comparable, deadline_of

FORWARD, REVERSE, EQUAL, DEADLINE, QUALITATIVE = "正向", "反向", "等于", "时效", "定性"


# Enough digits for any double (up to 1.8e308) to keep its two decimals: the default 28 raise
# InvalidOperation from 1e26 on, which a form can hold (a ratio of two absurd indicator values).
WIDE = Context(prec=400)


def round2(x: float) -> float:
    """ROUND_HALF_UP to 2 decimals, as a finance officer's calculator does (5.035 -> 5.04), on the number's
    15 significant digits, all a double holds reliably: 4.5 × 85% (17/20) is 3.8249999999999997 in binary,
    3.825 on the calculator, hence 3.83."""
    if not math.isfinite(x):
        return x
    rounded = float(Decimal(f"{x:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=WIDE))
    return rounded if math.isfinite(rounded) else x  # the largest doubles round up past the largest


def fmt(x: float) -> str:
    """A number as people write it: 10, 2.5, 67600, 0.35 (no trailing zeros)."""
    return f"{x:,.4f}".rstrip("0").rstrip(".").replace(",", "") if x is not None else ""


def pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def score_project(project: Project, rules: Rules) -> ProjectResult:
    """The 核定 scores of one project; status 未评分 with the reason when it cannot be scored."""
    rate, budget_score, budget_text = score_budget(project, rules)
    scores = tuple(score_indicator(i, rules, project.year) for i in project.indicators)
    subtotals = {OUTPUT_KIND: 0.0, EFFECT_KIND: 0.0, SATISFACTION_KIND: 0.0}
    for s in scores:
        if s.score is not None:
            kind = indicator_kind(s.indicator)
            subtotals[kind] = round2(subtotals.get(kind, 0.0) + s.score)
    reasons = unscorable_reasons(project, rules, budget_score, scores)
    if reasons:
        return ProjectResult(project, rate, budget_score, budget_text, scores, subtotals, None, "",
                             NOT_SCORED, "；".join(reasons))
    total = round2(budget_score + sum(s.score for s in scores))
    return ProjectResult(project, rate, budget_score, budget_text, scores, subtotals, total,
                         rules.grade_of(total), SCORED)


def indicator_kind(indicator: Indicator) -> str:
    """Which subtotal an indicator counts in: 成本指标 counts under 产出 (财预〔2021〕101号)."""
    level1 = indicator.level1
    if level1 in (OUTPUT_KIND, COST_KIND) or level1.startswith(("产出", "成本")):
        return OUTPUT_KIND
    if level1.startswith("效益"):
        return EFFECT_KIND
    if level1.startswith("满意"):
        return SATISFACTION_KIND
    return level1 or OUTPUT_KIND


def budget_base(project: Project, rules: Rules) -> float | None:
    """A: 全年预算数 (or 年初预算数 under rate_base = initial; also the fallback when a form has only
    年初预算数)."""
    total = project.funds.total
    if rules.rate_base == "initial":
        return total.initial.value if total.initial.value is not None else total.budget.value
    return total.budget.value if total.budget.value is not None else total.initial.value


def score_budget(project: Project, rules: Rules) -> tuple[float | None, float | None, str]:
    """(rate, score, explanation) of 预算执行率."""
    a = budget_base(project, rules)
    b = project.funds.total.actual.value
    w = rules.budget_points
    if not a:
        return None, None, "全年预算数未填写或为0，无法计算执行率"
    if b is None:
        return None, None, "全年执行数未填写，无法计算执行率"
    rate = b / a
    if rules.budget_mode == "interval":
        points = next((p for floor, p in rules.budget_intervals if rate >= floor - 1e-12), 0.0)
        return rate, round2(points), f"执行率{pct(rate)}，按区间计分得{fmt(round2(points))}分"
    score = round2(w * min(rate, 1.0))
    capped = "（超过100%按100%计）" if rate > 1 else ""
    return rate, score, f"执行率 = {b:.2f} ÷ {a:.2f} = {pct(rate)}{capped}，得分 = {fmt(w)} × {pct(min(rate, 1.0))} = {score:.2f}分"


def unscorable_reasons(project: Project, rules: Rules, budget_score: float | None,
                       scores: tuple[IndicatorScore, ...]) -> list[str]:
    """Why a project gets no total (SCORING.md §3): no budget, no indicators, weights off, manual scores."""
    reasons = []
    if budget_score is None:
        reasons.append("预算执行率无法计算")
    if not project.indicators:
        reasons.append("没有绩效指标")
    else:
        weights = sum(i.weight.value or 0.0 for i in project.indicators)
        if abs(weights - rules.indicator_points) > rules.tolerance:
            reasons.append(f"指标分值合计{fmt(round2(weights))}分，不等于{fmt(rules.indicator_points)}分")
        manual = [s.indicator.name or f"第{s.indicator.row}行" for s in scores if s.score is None]
        if manual:
            reasons.append(f"指标“{'、'.join(manual[:3])}”{'等' if len(manual) > 3 else ''}需人工评分")
    return reasons


def score_indicator(indicator: Indicator, rules: Rules, year: int | None = None) -> IndicatorScore:
    """One indicator's 核定得分 by its kind (正向/反向/等于/时效/定性); ``year`` (the form's) resolves
    deadlines written without one ("年底前")."""
    w = indicator.weight.value
    t, a = indicator.target, indicator.actual
    if w is None:
        return IndicatorScore(indicator, "", None, "未填写分值，无法评分")
    if a.kind == "empty":
        return IndicatorScore(indicator, "", 0.0, f"未填写实际完成值，得0分")
    if t.kind == "number" and a.kind == "number" and not _not_measured(a):
        return _score_numeric(indicator, w, rules)
    if t.kind == "date":
        return _score_deadline(indicator, w, rules, year)
    return _score_qualitative(indicator, w, rules)


def is_cost(indicator: Indicator) -> bool:
    return indicator.level1.startswith("成本") or indicator.level2.startswith("成本")


def _not_measured(actual: Value) -> bool:
    return any("不是实测值" in n or "完成百分比" in n for n in actual.notes)


def direction(indicator: Indicator) -> str:
    """正向 / 反向 / 等于 from the target's comparator (a 成本 target without one is 反向)."""
    cmp = indicator.target.comparator
    if cmp in (">=", ">"):
        return FORWARD
    if cmp in ("<=", "<"):
        return REVERSE
    if not cmp and is_cost(indicator):
        return REVERSE
    return EQUAL


_COMPARATOR_WORDS = re.compile(
    r"^\s*(≥|[>＞][=＝]|≧|＞|>|≤|[<＜][=＝]|≦|＜|<|=|＝|═|不低于|不少于|至少|达到|大于等于|大于|高于|不超过|不高于|小于等于|低于)\s*")


def bare(text: str) -> str:
    """A target without its comparator, for sentences: "≥50次" -> "50次"."""
    return _COMPARATOR_WORDS.sub("", text)


def _score_numeric(indicator: Indicator, w: float, rules: Rules) -> IndicatorScore:
    pair = comparable(indicator.target, indicator.actual)
    t_text, a_text = bare(indicator.target.text), indicator.actual.text
    kind = direction(indicator)
    if pair is None:
        return IndicatorScore(indicator, "", None,
                              f"目标“{indicator.target.text}”与实际“{a_text}”计量单位不一致，无法自动评分，需人工评分")
    t, a, unit = pair
    approx = "（约数，按{}计）".format(fmt(a)) if indicator.actual.approximate else ""
    ratio = a / t if t else None
    if kind == REVERSE:
        if a <= t:
            return IndicatorScore(indicator, kind, round2(w), f"{a_text} ≤ {t_text}{approx}，达到目标，得满分{fmt(w)}分", ratio)
        if t <= 0:
            return IndicatorScore(indicator, kind, 0.0, f"{a_text} 超过目标 {t_text}，得0分", ratio)
        if rules.reverse_mode == "ratio":
            s = round2(w * t / a)
            return IndicatorScore(indicator, kind, s, f"{a_text} 超过目标 {t_text}，得分 = {fmt(w)} × {fmt(t)} ÷ {fmt(a)} = {s:.2f}分", ratio)
        s = round2(w * max(0.0, 1 - (a - t) / t))
        return IndicatorScore(indicator, kind, s,
                              f"{a_text} 超过目标 {t_text} {pct((a - t) / t)}，得分 = {fmt(w)} × (1 − {pct((a - t) / t)}) = {s:.2f}分", ratio)
    if t == 0:  # 等于 0 ("0起") or a forward target of 0
        ok = a <= 0 if kind == EQUAL else a >= 0
        s = round2(w) if ok else 0.0
        return IndicatorScore(indicator, kind, s, f"目标{t_text}，实际{a_text}，{'达到目标，得满分' + fmt(w) + '分' if ok else '未达到目标，得0分'}", None)
    if a >= t:
        s, text = round2(w), f"{a_text} ≥ {t_text}{approx}，完成率{pct(ratio)}，得满分{fmt(w)}分"
        if rules.over_penalty and ratio >= rules.over_ratio:
            cut = round2(min(w * rules.over_k * (ratio - rules.over_ratio), w * 0.2))
            s = round2(w - cut)
            text += f"；超额完成{pct(ratio)}，扣{cut:.2f}分，得{s:.2f}分"
        return IndicatorScore(indicator, kind, s, text, ratio)
    s = round2(w * max(ratio, 0.0))
    return IndicatorScore(indicator, kind, s,
                          f"{a_text} < {t_text}{approx}，完成率{pct(ratio)}，得分 = {fmt(w)} × {pct(ratio)} = {s:.2f}分", ratio)


def _score_deadline(indicator: Indicator, w: float, rules: Rules, year: int | None = None) -> IndicatorScore:
    t, a = indicator.target, indicator.actual
    due, done = deadline_of(t, year), _completion_date(a, year)
    if due is not None and done is not None:
        if done <= due:
            return IndicatorScore(indicator, DEADLINE, round2(w), f"{a.text}，在{t.text}内完成，得满分{fmt(w)}分",
                                  grade="达成")
        return _by_grade(indicator, w, rules, "未达成", DEADLINE, f"“{a.text}”晚于“{t.text}”")
    grade = a.grade or _grade_of_actual(a)
    if grade:
        return _by_grade(indicator, w, rules, grade, DEADLINE, f"实际完成值“{a.text}”评为{grade}")
    return _manual(indicator, w, rules, DEADLINE)


def _completion_date(a: Value, year: int | None) -> dt.date | None:
    """When an actual says the work was done: a date, or a year alone ("鉴定工作2022年完成" -> 2022-12-31)."""
    if a.kind == "date":
        return deadline_of(a, year)
    if a.kind == "number" and a.unit == "年" and a.number is not None and 2000 <= a.number <= 2100:
        return dt.date(int(a.number), 12, 31)
    return None


def _grade_of_actual(a: Value) -> str:
    """A grade for an actual that is not a measurement: "已完成100%" by its percentage."""
    if a.kind == "number" and a.unit == "%" and a.number is not None:
        return "达成" if a.number >= 100 else ("部分达成" if a.number >= 60 else "未达成")
    if a.kind == "number":
        return "达成"
    return ""


def _score_qualitative(indicator: Indicator, w: float, rules: Rules) -> IndicatorScore:
    t, a = indicator.target, indicator.actual
    grade = a.grade
    why = f"实际完成值“{a.text}”评为{grade}" if grade else ""
    if not grade and t.kind == "number" and a.kind == "number":
        # a quantity target with an actual that is not a measurement ("≥266米", "已完成100%")
        pair = comparable(t, a)
        if pair is not None and a.unit != "%":
            grade = "达成" if pair[1] >= pair[0] else "部分达成"
        else:
            grade = _grade_of_actual(a)
        why = f"实际完成值“{a.text}”不是实测值，按定性评为{grade}"
    if not grade and a.text and a.text == t.text:
        grade, why = "达成", f"实际完成值与目标值相同（“{a.text}”），评为达成"
    if not grade:
        return _manual(indicator, w, rules, QUALITATIVE)
    return _by_grade(indicator, w, rules, grade, QUALITATIVE, why)


def _by_grade(indicator: Indicator, w: float, rules: Rules, grade: str, method: str, why: str) -> IndicatorScore:
    """A grade's score: the unit's own 得分 when it lies in the grade's band, else the default share."""
    low, high = rules.band_of(grade)
    written = indicator.score_written.value
    if written is not None and w > 0 and _in_band(written / w, low, high, grade):
        s = round2(written)
        return IndicatorScore(indicator, method, s,
                              f"{why}，填报得分{fmt(written)}分在{grade}区间（{pct(low)}–{pct(high)}）内，予以认可",
                              grade=grade)
    share = rules.default_share(grade)
    s = round2(w * share)
    lead = f"{why}，按{grade}默认比例{pct(share)}" if written is None else \
        f"{why}，填报得分{fmt(written)}分不在{grade}区间（{pct(low)}–{pct(high)}），按默认比例{pct(share)}"
    full = "得满分" if s == round2(w) else "得"
    return IndicatorScore(indicator, method, s, f"{lead}{full}{s:.2f}分", grade=grade)


def _in_band(share: float, low: float, high: float, grade: str) -> bool:
    """Bands are half-open, [low, high), except 达成 which includes full points."""
    upper_ok = share <= high + 1e-9 if grade == "达成" else share < high - 1e-9
    return share >= low - 1e-9 and upper_ok


def _manual(indicator: Indicator, w: float, rules: Rules, method: str) -> IndicatorScore:
    """No grade can be read from the actual: accept a written score within [0, w], else manual."""
    written = indicator.score_written.value
    a = indicator.actual
    if written is not None and 0 <= written <= w + 1e-9:
        return IndicatorScore(indicator, method, round2(written),
                              f"实际完成值“{a.text}”无法自动判定等级，采用填报得分{fmt(written)}分，请人工复核")
    return IndicatorScore(indicator, "", None, f"实际完成值“{a.text}”无法自动判定，需人工评分")
