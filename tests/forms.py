"""Build small 自评表 workbooks in code, in the standard layout or a variant of it.

A ``FormSpec`` is a clean, fully consistent form (every check passes); tests change one thing and
write it with ``write_spec``. Layout knobs reproduce what published forms do: a title block above,
shifted columns, blank rows, labels with spaces and full-width brackets.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import openpyxl


@dataclass
class Ind:
    level1: str
    level2: str
    name: str
    target: object
    actual: object
    weight: object
    score: object = None
    deviation: str = ""


def clean_indicators() -> list[Ind]:
    return [
        Ind("产出指标", "数量指标", "大型集中宣传活动", "≥50次", "60次", 20, 20),
        Ind("产出指标", "数量指标", "宣传手册", "6.5万份", "6.76万份", 10, 10),
        Ind("产出指标", "质量指标", "宣传覆盖率", "≥90%", "95%", 10, 10),
        Ind("产出指标", "时效指标", "完成时间", "2021年12月底前", "2021年11月完成", 10, 10),
        Ind("效益指标", "社会效益指标", "群众防范意识", "有效提升", "显著提升", 30, 30),
        Ind("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10),
    ]


@dataclass
class FormSpec:
    name: object = "金融监管工作经费"
    department: object = "长沙市开福区人民政府"
    implementer: object = "长沙市开福区金融事务中心"
    year: int = 2021
    # funds rows: label -> (a0, A, B)
    funds: dict = field(default_factory=lambda: {
        "年度资金总额": (22.5, 22.5, 22.5),
        "其中：当年财政拨款": (22.5, 22.5, 22.5),
        "其中：区级资金": (22.5, 22.5, 22.5),
        "上年结转资金": (None, None, None),
        "其他资金": (None, None, None),
    })
    funds_weight: object = 10
    rate: object = 1.0
    budget_score: object = 10
    goal: object = "组织10场银企对接会。"
    achievement: object = "全年共组织14场银企对接会。"
    indicators: list = field(default_factory=clean_indicators)
    total: object = 100
    code: object = "KF2021004"
    project_type: object = "经常性"
    fund_use: object = "用于金融行业监管工作"
    # layout knobs
    title_rows: int = 0  # extra rows above the title
    col_offset: int = 0  # columns shifted right
    sheet: str = "项目支出绩效自评表"
    labels: dict = field(default_factory=dict)  # standard label -> label written instead
    header_funds: tuple = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
    header_indicators: tuple = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                "偏差原因分析及改进措施")
    blank_row_before_indicators: bool = False


def spec(**changes) -> FormSpec:
    return replace(FormSpec(), **changes)


def write_spec(path: Path, s: FormSpec, wb: openpyxl.Workbook | None = None) -> Path:
    """Write the form to ``path`` (or add it as a sheet of ``wb`` and return without saving)."""
    own = wb is None
    if own:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = s.sheet
    else:
        ws = wb.create_sheet(s.sheet)
    lab = lambda text: s.labels.get(text, text)
    c0 = 1 + s.col_offset
    col = lambda k: openpyxl.utils.get_column_letter(c0 + k)
    r = 1 + s.title_rows
    ws[f"{col(0)}{r}"] = "项目支出绩效自评表"
    ws.merge_cells(f"{col(0)}{r}:{col(8)}{r}")
    ws[f"{col(0)}{r + 1}"] = f"（{s.year}年度）"
    r += 2
    ws[f"{col(0)}{r}"] = lab("项目名称")
    ws[f"{col(1)}{r}"] = s.name
    ws.merge_cells(f"{col(1)}{r}:{col(8)}{r}")
    r += 1
    ws[f"{col(0)}{r}"] = lab("主管部门")
    ws[f"{col(1)}{r}"] = s.department
    ws[f"{col(5)}{r}"] = lab("实施单位")
    ws[f"{col(6)}{r}"] = s.implementer
    r += 1
    funds_top = r
    ws[f"{col(0)}{r}"] = lab("项目资金（万元）")
    for k, h in enumerate(s.header_funds):
        ws[f"{col(2 + k)}{r}"] = lab(h)
    for label, amounts in s.funds.items():
        r += 1
        ws[f"{col(1)}{r}"] = label
        n = len(s.header_funds) - 3  # amount columns come first, then 分值, 执行率, 得分
        for k, v in enumerate(amounts[-n:]):
            if v is not None:
                ws[f"{col(2 + k)}{r}"] = v
        if label == "年度资金总额":
            for k, v in enumerate((s.funds_weight, s.rate, s.budget_score)):
                if v is not None:
                    ws[f"{col(2 + n + k)}{r}"] = v
    ws.merge_cells(f"{col(0)}{funds_top}:{col(0)}{r}")
    r += 1
    ws[f"{col(0)}{r}"] = lab("年度总体目标")
    ws[f"{col(1)}{r}"] = lab("预期目标")
    ws[f"{col(5)}{r}"] = lab("实际完成情况")
    ws[f"{col(1)}{r + 1}"] = s.goal
    ws[f"{col(5)}{r + 1}"] = s.achievement
    ws.merge_cells(f"{col(1)}{r + 1}:{col(4)}{r + 1}")
    ws.merge_cells(f"{col(5)}{r + 1}:{col(8)}{r + 1}")
    r += 2
    if s.blank_row_before_indicators:
        r += 1
    ws[f"{col(0)}{r}"] = lab("绩效指标")
    for k, h in enumerate(s.header_indicators):
        ws[f"{col(1 + k)}{r}"] = lab(h)
    first = r + 1
    last_level1 = last_level2 = None
    for ind in s.indicators:
        r += 1
        values = [ind.level1 if ind.level1 != last_level1 else None,
                  ind.level2 if (ind.level1, ind.level2) != (last_level1, last_level2) else None,
                  ind.name, ind.target, ind.actual, ind.weight, ind.score, ind.deviation or None]
        last_level1, last_level2 = ind.level1, ind.level2
        for k, v in enumerate(values):
            if v is not None:
                ws[f"{col(1 + k)}{r}"] = v
    if r >= first:
        ws.merge_cells(f"{col(0)}{first - 1}:{col(0)}{r}")
    r += 1
    ws[f"{col(0)}{r}"] = lab("总分")
    ws[f"{col(6)}{r}"] = 100
    if s.total is not None:
        ws[f"{col(7)}{r}"] = s.total
    r += 1
    for k, (label, value) in enumerate((("项目编码", s.code), ("项目类型", s.project_type),
                                        ("资金用途、使用方向", s.fund_use))):
        ws[f"{col(1 + 2 * k)}{r}"] = label
        if value is not None:
            ws[f"{col(1 + 2 * k)}{r + 1}"] = value
    ws[f"{col(0)}{r}"] = "补充信息"
    if own:
        wb.save(path)
    return path
