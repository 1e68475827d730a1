"""Scoring branches of SCORING.md, on parsed values, with each preset."""

from __future__ import annotations

import math

import pytest

from perfeval.model import Amount, Funds, FundsRow, Indicator, Project
from perfeval.rules import load_rules
from perfeval.score import round2, score_budget, score_indicator, score_project
from perfeval.values import parse_value

CAIYU = load_rules()
LEGACY = load_rules(preset="legacy")


def ind(target, actual, weight=10, written=None, level1="产出指标", level2="数量指标", deviation=""):
    return Indicator(level1, level2, "指标", parse_value(target, "E14"), parse_value(actual, "F14", actual=True),
                     Amount(weight, "G14"), Amount(written, "H14"), deviation, 14, "D14", "I14")


def project(a=81.20, b=40.88, a0=None, indicators=()):
    total = FundsRow("年度资金总额", Amount(a0), Amount(a), Amount(b))
    return Project("f.xlsx", "s", "项目", funds=Funds(total=total), indicators=tuple(indicators))


def test_round_half_up():
    assert round2(5.035) == 5.04 and round2(2.675) == 2.68 and round2(5.0344) == 5.03
    assert round2(4.5 * (17 / 20)) == 3.83 and round2(-4.5 * (17 / 20)) == -3.83  # 3.8249999999999997 in binary
    assert round2(1e300) == 1e300 and round2(0.004999999) == 0.0 and round2(1.7976931348623157e308) < math.inf


def test_a_score_that_ends_in_five_rounds_up_as_on_a_calculator():
    """分值 4.5, ≥20人次 against 17人次: 4.5 × 17 / 20 = 3.825 -> 3.83, as the unit wrote it (no T014)."""
    [score] = score_project(project(indicators=[ind("≥20人次", "17人次", 4.5, written=3.83)]), CAIYU).indicators
    assert score.score == 3.83


def test_budget_seed_example():
    rate, score, text = score_budget(project(), CAIYU)
    assert round(rate, 4) == 0.5034 and score == 5.03
    assert "50.34%" in text and "5.03" in text


def test_budget_capped_above_full_execution():
    rate, score, text = score_budget(project(a=10, b=12), CAIYU)
    assert rate == 1.2 and score == 10.0 and "超过100%" in text


def test_budget_interval_mode():
    rules = load_rules(budget_mode="interval")
    assert score_budget(project(a=100, b=92), rules)[1] == 9.0
    assert score_budget(project(a=100, b=50), rules)[1] == 0.0


def test_budget_rate_base_initial_and_missing():
    assert score_budget(project(a=100, b=50, a0=50), load_rules(rate_base="initial"))[0] == 1.0
    assert score_budget(project(a=None, b=50), CAIYU)[1] is None
    assert score_budget(project(a=0, b=50), CAIYU)[1] is None


def test_legacy_budget_points():
    assert score_budget(project(a=100, b=50), LEGACY)[1] == 10.0


@pytest.mark.parametrize("target,actual,weight,expected,method", [
    ("≥50次", "60余次", 10, 10.0, "正向"),
    ("≥50次", "40次", 10, 8.0, "正向"),
    ("6.5万份", "6.76万份", 10, 10.0, "等于"),
    ("≥95%", "0.98", 10, 10.0, "正向"),
    ("≤5%", "4%", 10, 10.0, "反向"),
    ("≤100万元", "120万元", 10, 8.0, "反向"),
    ("0起", "0起", 10, 10.0, "等于"),
    ("0起", "2起", 10, 0.0, "等于"),
])
def test_numeric_indicator(target, actual, weight, expected, method):
    s = score_indicator(ind(target, actual, weight), CAIYU)
    assert (s.score, s.method) == (expected, method), s.explanation


def test_reverse_ratio_mode():
    s = score_indicator(ind("≤100万元", "125万元"), load_rules(reverse_mode="ratio"))
    assert s.score == 8.0


def test_cost_without_comparator_is_reverse():
    s = score_indicator(ind("100万元", "110万元", level1="成本指标", level2="经济成本指标"), CAIYU)
    assert s.method == "反向" and s.score == 9.0


def test_explanation_in_words():
    s = score_indicator(ind("≥50次", "60余次"), CAIYU)
    assert s.explanation == "60余次 ≥ 50次（约数，按60计），完成率120.00%，得满分10分"


@pytest.mark.parametrize("target", ["＞＝50次", "＞=50次", ">＝50次", "≥ 50次"])
def test_explanation_names_the_target_without_its_comparator(target):
    s = score_indicator(ind(target, "55次"), CAIYU)
    assert s.explanation.startswith("55次 ≥ 50次，") and s.score == 10


def test_over_penalty():
    rules = load_rules(over_penalty=True, over_k=0.5)
    s = score_indicator(ind("≥10场", "14场"), rules)
    assert s.score == 9.5  # 10 − 10 × 0.5 × (1.4 − 1.3)


@pytest.mark.parametrize("actual,written,expected,grade", [
    ("显著提升", None, 30.0, "达成"),
    ("基本达成", None, 21.0, "部分达成"),
    ("未完成", None, 9.0, "未达成"),
    ("显著提升", 27, 27.0, "达成"),  # within [80%, 100%]: accepted
    ("显著提升", 10, 30.0, "达成"),  # outside its band: default share, T013
    ("基本达成", 20, 20.0, "部分达成"),
])
def test_qualitative_bands(actual, written, expected, grade):
    s = score_indicator(ind("有效提升", actual, 30, written, "效益指标", "社会效益指标"), CAIYU)
    assert (s.score, s.grade, s.method) == (expected, grade, "定性"), s.explanation


def test_legacy_bands():
    s = score_indicator(ind("有效提升", "基本达成", 10, 5, "效益指标", "社会效益指标"), LEGACY)
    assert s.score == 5.0  # 50% lies in legacy's 部分达成 band [50%, 80%)
    s = score_indicator(ind("有效提升", "基本达成", 10, 5, "效益指标", "社会效益指标"), CAIYU)
    assert s.score == 7.0


def test_deadline():
    assert score_indicator(ind("2021年12月底前", "2021年11月完成", level2="时效指标"), CAIYU).score == 10.0
    late = score_indicator(ind("2021年12月底前", "2022年3月完成", level2="时效指标"), CAIYU)
    assert late.method == "时效" and late.score == 3.0


def test_quantity_target_with_completion_word_is_qualitative():
    s = score_indicator(ind("≥50次", "已完成"), CAIYU)
    assert s.method == "定性" and s.score == 10.0


def test_units_that_cannot_be_compared_need_a_manual_score():
    s = score_indicator(ind("≥50家", "60人"), CAIYU)
    assert s.score is None and "单位" in s.explanation


def test_project_total_and_grade():
    inds = [ind("≥50次", "60次", 50), ind("有效提升", "显著提升", 30, None, "效益指标", "社会效益指标"),
            ind("≥90%", "95%", 10, None, "满意度指标", "服务对象满意度指标")]
    r = score_project(project(indicators=inds), CAIYU)
    assert r.total == 95.03 and r.grade == "优" and r.status == "已评分"
    assert r.subtotals == {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0}


def test_project_with_wrong_weights_is_not_scored():
    r = score_project(project(indicators=[ind("≥50次", "60次", 80)]), CAIYU)
    assert r.total is None and r.status == "未评分" and "80" in r.reason


@pytest.mark.parametrize("total,grade", [(95, "优"), (90, "优"), (89.99, "良"), (80, "良"), (60, "中"), (59.99, "差")])
def test_grades(total, grade):
    assert CAIYU.grade_of(total) == grade


def test_deadline_with_a_year_only_actual_and_a_yearless_target():
    late = score_indicator(ind("2021年12月底前", "鉴定工作2022年完成", 15, level2="时效指标"), CAIYU, 2021)
    assert (late.method, late.grade, late.score) == ("时效", "未达成", 4.5)
    on_time = score_indicator(ind("年底前", "2021年11月完成", level2="时效指标"), CAIYU, 2021)
    assert on_time.score == 10.0
