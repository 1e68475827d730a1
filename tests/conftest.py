"""Shared fixtures: a small scored batch built from model values, for the writers' tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from perfeval.model import (
    ERROR, INFO, NOT_SCORED, SCORED, WARNING, Amount, Batch, FileRecord, Funds, FundsRow, Indicator,
    IndicatorScore, Issue, Project, ProjectResult, UnitInfo, Value,
)
from perfeval.rules import load_rules

RUN_TIME = dt.datetime(2022, 3, 1, 9, 30, 0)


def _amount(value, cell=""):
    return Amount(value, cell, "" if value is None else f"{value}")


def _funds(a0, a, b, first_row=6):
    total = FundsRow("年度资金总额", _amount(a0, f"C{first_row}"), _amount(a, f"D{first_row}"),
                     _amount(b, f"E{first_row}"))
    own = FundsRow("其中：区级资金", _amount(a0, "C8"), _amount(a, "D8"), _amount(b, "E8"))
    rate = round(b / a, 4) if a else None
    score = round(10 * min(rate, 1), 2) if rate is not None else None
    return Funds(total=total, appropriation=own, own_level=own, weight=_amount(10.0, "F6"),
                 rate_written=_amount(rate, "G6"), score_written=_amount(score, "H6"))


def _indicator(row, level1, level2, name, target, actual, weight, written, deviation="", **parsed):
    t = Value(text=target, cell=f"E{row}", **parsed.get("t", {}))
    a = Value(text=actual, cell=f"F{row}", **parsed.get("a", {}))
    return Indicator(level1, level2, name, t, a, _amount(weight, f"G{row}"), _amount(written, f"H{row}"),
                     deviation, row, f"D{row}", f"I{row}")


def sample_projects() -> list[Project]:
    """Two projects in the seed's style: one scored, one with low execution and a missed target."""
    num = lambda n, unit, cmp="", approx=False: {"kind": "number", "number": n, "unit": unit,
                                                "comparator": cmp, "approximate": approx}
    p1 = Project(
        file="01_公共打击和处置非法集资专项工作经费.xlsx", sheet="项目支出绩效自评表",
        name="（公共）打击和处置非法集资专项工作经费", code="KF2021001", department="长沙市开福区人民政府",
        implementer="长沙市开福区金融事务中心", year=2021,
        goal="组织大型宣传活动50次、“七进”集中宣讲活动750次。",
        achievement="开展大型集中宣传活动60余次，“七进”集中宣讲活动792次。",
        funds=_funds(81.20, 81.20, 40.88),
        indicators=(
            _indicator(14, "产出指标", "数量指标", "大型集中宣传活动", "≥50次", "60余次", 25, 25,
                       t=num(50, "次", ">="), a=num(60, "次", approx=True)),
            _indicator(15, "产出指标", "数量指标", "“七进”集中宣讲活动", "≥750次", "792次", 25, 25,
                       t=num(750, "次", ">="), a=num(792, "次")),
            _indicator(16, "效益指标", "社会效益指标", "群众防范非法集资意识", "有效提升", "有效提升", 30, 30,
                       t={"kind": "qualitative", "grade": ""}, a={"kind": "qualitative", "grade": "达成"}),
            _indicator(17, "满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10,
                       t=num(90, "%", ">="), a=num(95, "%")),
        ),
        total_written=_amount(95.03, "H18"), project_type="经常性", fund_use="用于维护打非领导小组及成员单位工作运转",
        filler="文琼", phone="0731-00000000",
        cells={"name": "B3", "department": "B4", "implementer": "G4"},
    )
    p2 = Project(
        file="05_打非案件司法鉴定中介费.xlsx", sheet="项目支出绩效自评表", name="打非案件司法鉴定中介费",
        department="长沙市开福区人民政府", implementer="长沙市开福区金融事务中心", year=2021,
        goal="通过招投标方式聘请专业司法鉴定机构对打非案件进行鉴定。",
        achievement="2021年完成招标，具体鉴定工作在2022年完成。",
        funds=_funds(85.50, 85.50, 1.37),
        indicators=(
            _indicator(14, "产出指标", "数量指标", "完成鉴定案件数", "≥3件", "0件", 50, 20,
                       "鉴定工作跨年度实施，2022年完成", t=num(3, "件", ">="), a=num(0, "件")),
            _indicator(15, "效益指标", "社会效益指标", "防范化解金融风险", "有效防范", "部分达成", 40, 30,
                       t={"kind": "qualitative"}, a={"kind": "qualitative", "grade": "部分达成"}),
        ),
        project_type="经常性", fund_use="用于打非案件鉴定工作",
        cells={"name": "B3", "department": "B4", "implementer": "G4"},
    )
    return [p1, p2]


def sample_batch() -> Batch:
    """A scored batch of the two sample projects, with issues at every level."""
    p1, p2 = sample_projects()
    i1 = (
        IndicatorScore(p1.indicators[0], "正向", 25.0, "60余次 ≥ 50次，完成率120.00%，得满分25分", 1.2),
        IndicatorScore(p1.indicators[1], "正向", 25.0, "792次 ≥ 750次，完成率105.60%，得满分25分", 1.056),
        IndicatorScore(p1.indicators[2], "定性", 30.0, "实际完成值“有效提升”评为达成，得满分30分"),
        IndicatorScore(p1.indicators[3], "正向", 10.0, "95% ≥ 90%，完成率105.56%，得满分10分", 1.0556),
    )
    warn = Issue("B005", WARNING, "全年执行数 40.88 万元，全年预算数 81.20 万元，执行率 50.34% 低于 60%，请在偏差原因分析中说明原因",
                 p1.file, p1.sheet, "E6", p1.name)
    r1 = ProjectResult(p1, 0.5034, 5.03, "执行率50.34%，得分 = 10 × 50.34% = 5.03分", i1,
                       {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0}, 95.03, "优", SCORED,
                       issues=(warn,))
    err = Issue("T010", ERROR, "指标分值合计 90.00 分，应为 90 分", p2.file, p2.sheet, "G14", p2.name)
    info = Issue("B007", INFO, "全年预算数与年初预算数一致", p2.file, p2.sheet, "D6", p2.name)
    i2 = (
        IndicatorScore(p2.indicators[0], "正向", 0.0, "0件 < 3件，完成率0.00%，得分 = 50 × 0.00% = 0.00分", 0.0),
        IndicatorScore(p2.indicators[1], "定性", 28.0, "实际完成值评为部分达成，按70%得28.00分"),
    )
    r2 = ProjectResult(p2, 0.016, None, "执行率1.60%", i2, {"产出指标": 0.0, "效益指标": 28.0, "满意度指标": 0.0},
                       None, "", NOT_SCORED, "指标分值合计不等于90分", issues=(err, info))
    bad = Issue("F001", ERROR, "文件无法打开：文件已损坏，请重新保存后再提交", "坏文件.xlsx")
    files = tuple(FileRecord(Path("/inbox") / n, n, "0" * 64, s, k) for n, s, k in (
        (p1.file, "已读取", 1), (p2.file, "已读取", 1), ("坏文件.xlsx", "无法读取", 0)))
    unit = UnitInfo(name="长沙市开福区金融事务中心", year=2021, department="长沙市开福区人民政府",
                    own_level_name="区级", funds_management="项目资金按管理办法统筹支配。",
                    evaluation_work="由办公室牵头开展绩效自评。", problems="“打早打小”受制约。",
                    suggestions="强化宣传教育。", other_notes="无", source="单位情况.xlsx")
    return Batch((r1, r2), files, (bad, warn, err, info), unit, load_rules(), 2021, "0.1.0", RUN_TIME)


@pytest.fixture
def batch() -> Batch:
    return sample_batch()
