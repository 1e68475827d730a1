"""The blank forms ``perfeval template`` writes, and forms filled from a Project."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from perfeval.model import Amount, Funds, FundsRow, Indicator, Project, UnitInfo, Value
from perfeval.template import (
    FORM_FILE, FORM_SHEET, GUIDE_SHEET, PINNED_TIME, UNIT_FILE, UNIT_SHEET, describe_workbook,
    write_form, write_templates, write_unit_sheet,
)

COMMITTED = Path(__file__).resolve().parent.parent / "input_templates"

# The standard layout the reader relies on (template brief §2): cell -> label.
BLANK_LABELS = {
    "A1": "项目支出绩效自评表", "A2": "（2021年度）", "A3": "项目名称", "A4": "主管部门", "F4": "实施单位",
    "A5": "项目资金（万元）", "C5": "年初预算数", "D5": "全年预算数", "E5": "全年执行数", "F5": "分值",
    "G5": "执行率", "H5": "得分", "B6": "年度资金总额", "F6": 10, "B7": "其中：当年财政拨款",
    "B8": "其中：本级资金", "B9": "上年结转资金", "B10": "其他资金", "F7": "—", "G9": "—", "H10": "—",
    "A11": "年度总体目标", "B11": "预期目标", "F11": "实际完成情况", "A13": "绩效指标", "B13": "一级指标",
    "C13": "二级指标", "D13": "三级指标", "E13": "年度指标值", "F13": "实际完成值", "G13": "分值",
    "H13": "得分", "I13": "偏差原因分析及改进措施",
    "B14": "产出指标", "C14": "数量指标", "C16": "质量指标", "C18": "时效指标", "C20": "成本指标",
    "B22": "效益指标", "C22": "经济效益指标", "C24": "社会效益指标", "C26": "生态效益指标",
    "C28": "可持续影响指标", "B30": "满意度指标", "C30": "服务对象满意度指标",
    "A32": "总分", "G32": 100, "A33": "补充信息", "B33": "项目编码", "D33": "项目类型",
    "E33": "资金用途、使用方向", "G33": "填报人", "H33": "联系电话",
}
BLANK_MERGES = {
    "A1:I1", "A2:I2", "B3:I3", "B4:E4", "G4:I4", "A5:A10", "H5:I5", "H6:I6", "A11:A12", "B11:E11",
    "F11:I11", "B12:E12", "F12:I12", "A13:A31", "B14:B21", "B22:B29", "B30:B31", "C14:C15", "C30:C31",
    "A32:F32", "A33:A34", "B33:C33", "E33:F33", "H33:I33", "B34:C34", "E34:F34", "H34:I34",
}
INPUT_CELLS = ("B3", "B4", "G4", "C6", "D6", "E6", "H6", "C10", "E10", "B12", "F12", "D14", "E14", "F14",
               "G14", "H14", "I14", "I31", "H32", "B34", "D34", "E34", "G34", "H34")
LABEL_CELLS = ("A3", "A4", "F4", "C5", "B6", "F6", "G6", "B8", "F8", "A11", "B13", "I13", "A32", "G32", "B33")


def two_run_project(name: str = "金融监管工作经费") -> Project:
    """A small filled project: two 产出 rows in one 二级 run, then 效益 and 满意度."""
    def indicator(level1, level2, label, target, actual, weight, score, deviation=""):
        return Indicator(level1, level2, label, Value(text=target), Value(text=actual),
                         Amount(weight), Amount(score), deviation)

    own = FundsRow("其中：区级资金", Amount(22.5), Amount(22.5), Amount(20.25))
    funds = Funds(
        total=FundsRow("年度资金总额", Amount(22.5), Amount(22.5), Amount(20.25)),
        appropriation=FundsRow("其中：当年财政拨款", Amount(22.5), Amount(22.5), Amount(20.25)),
        own_level=own, carryover=FundsRow("上年结转资金", Amount(None), Amount(0.0), Amount(0.0)),
        weight=Amount(10.0), score_written=Amount(9.0))
    return Project(
        file="x.xlsx", sheet=FORM_SHEET, name=name, code="0012", department="长沙市开福区人民政府",
        implementer="长沙市开福区金融事务中心", year=2022, goal="计划组织10场银企对接会。",
        achievement="全年共组织14场银企对接会。", funds=funds,
        indicators=(
            indicator("产出指标", "数量指标", "银企对接会", "≥10场", "14场", 25, 25),
            indicator("产出指标", "数量指标", "防非处非工作专班", "16个", "16个", 25, 25),
            indicator("效益指标", "社会效益指标", "市民理性投资意识", "有效提升", "部分达成", 30, 20, "宣传覆盖面不足"),
            indicator("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10),
        ),
        total_written=Amount(89.0), project_type="经常性", fund_use="用于金融行业监管工作",
        filler="文琼", phone="07310000")


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> list[Path]:
    return write_templates(tmp_path_factory.mktemp("templates"), 2021)


def test_write_templates_returns_both_files(templates):
    assert [p.name for p in templates] == [FORM_FILE, UNIT_FILE]
    assert all(p.stat().st_size > 0 for p in templates)


@pytest.mark.parametrize("name", [FORM_FILE, UNIT_FILE])
def test_templates_match_committed_copies_by_content(templates, name):
    fresh = describe_workbook(next(p for p in templates if p.name == name))
    committed = describe_workbook(COMMITTED / name)
    assert fresh == committed


def test_blank_form_labels_sit_at_the_standard_positions(templates):
    ws = load_workbook(templates[0])[FORM_SHEET]
    for ref, label in BLANK_LABELS.items():
        assert ws[ref].value == label, ref
    assert BLANK_MERGES <= {str(r) for r in ws.merged_cells.ranges}
    assert ws["G6"].value == '=IF(D6>0,E6/D6,"")'
    assert ws["G6"].number_format == "0.00%"
    assert ws["C6"].number_format == "0.00"
    assert ws.max_row == 34


def test_blank_form_input_cells_are_empty_and_unlocked(templates):
    ws = load_workbook(templates[0])[FORM_SHEET]
    for ref in INPUT_CELLS:
        assert ws[ref].value is None, ref
        assert ws[ref].protection.locked is False, ref
    for ref in LABEL_CELLS:
        assert ws[ref].protection.locked is True, ref
    assert ws.protection.sheet is True
    assert ws.protection.password is None and ws.protection.hashValue is None
    assert ws.protection.insertRows is False  # inserting indicator rows stays allowed


def test_blank_form_validations(templates):
    ws = load_workbook(templates[0])[FORM_SHEET]
    found = {dv.formula1: {str(r) for r in dv.sqref.ranges} for dv in ws.data_validations.dataValidation}
    assert found['"产出指标,效益指标,满意度指标,成本指标"'] == {"B14:B31"}
    assert found['"数量指标,质量指标,时效指标,成本指标,经济效益指标,社会效益指标,生态效益指标,'
                 '可持续影响指标,服务对象满意度指标"'] == {"C14:C31"}
    assert found['"经常性,一次性"'] == {"D34"}
    assert {"C6:E10", "G14:H31"} <= found["0"]
    decimal = next(dv for dv in ws.data_validations.dataValidation if dv.formula1 == "0")
    assert (decimal.type, decimal.operator) == ("decimal", "greaterThanOrEqual")


def test_blank_form_has_guide_and_notes_but_no_placeholders(templates):
    wb = load_workbook(templates[0])
    assert wb.sheetnames == [FORM_SHEET, GUIDE_SHEET]
    guide = " ".join(str(c.value) for row in wb[GUIDE_SHEET].iter_rows() for c in row if c.value)
    for phrase in ("万元", "≥50次", "6.5万份", "2021年12月底前", "偏差", "50分", "30分", "10分"):
        assert phrase in guide
    # No guide cell may read like a form label, or the reader could take the guide for a form.
    labels = {v for v in BLANK_LABELS.values() if isinstance(v, str)}
    assert not labels & {c.value for row in wb[GUIDE_SHEET].iter_rows() for c in row}
    ws = wb[FORM_SHEET]
    assert "≥50次" in ws["E13"].comment.text
    assert ws["A5"].comment.text.startswith("金额单位：万元")


def test_blank_form_is_read_by_calamine_at_the_same_positions(templates):
    sheet = CalamineWorkbook.from_path(str(templates[0])).get_sheet_by_name(FORM_SHEET)
    rows = sheet.to_python(skip_empty_area=False)
    assert rows[2][0] == "项目名称" and rows[3][5] == "实施单位"
    assert rows[12][1:9] == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                             "偏差原因分析及改进措施"]
    assert ((12, 0), (30, 0)) in sheet.merged_cell_ranges


def test_year_argument_reaches_the_title(tmp_path):
    form, unit = write_templates(tmp_path, 2023)
    assert load_workbook(form)[FORM_SHEET]["A2"].value == "（2023年度）"
    assert load_workbook(unit)[UNIT_SHEET]["B3"].value == 2023


def test_output_is_byte_identical_and_properties_pinned(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_form(first, two_run_project())
    write_form(second, two_run_project())
    assert first.read_bytes() == second.read_bytes()
    props = load_workbook(first).properties
    assert props.creator == "perfeval"
    assert props.created == PINNED_TIME and props.modified == PINNED_TIME
    assert not list(tmp_path.glob(".*.tmp"))


def test_filled_form_values(tmp_path):
    path = tmp_path / "filled.xlsx"
    write_form(path, two_run_project())
    ws = load_workbook(path)[FORM_SHEET]
    assert ws["A2"].value == "（2022年度）"  # the project's own year
    assert (ws["B3"].value, ws["B4"].value, ws["G4"].value) == (
        "金融监管工作经费", "长沙市开福区人民政府", "长沙市开福区金融事务中心")
    assert (ws["C6"].value, ws["D6"].value, ws["E6"].value) == (22.5, 22.5, 20.25)
    assert ws["D6"].number_format == "0.00"
    assert ws["G6"].data_type == "n" and ws["G6"].value == pytest.approx(0.9)  # computed, not a formula
    assert ws["H6"].value == 9.0 and ws["F6"].value == 10.0
    assert ws["B8"].value == "其中：区级资金" and ws["E8"].value == 20.25
    assert ws["C9"].value is None and ws["D9"].value == 0.0
    assert (ws["B12"].value, ws["F12"].value) == ("计划组织10场银企对接会。", "全年共组织14场银企对接会。")


def test_filled_form_indicator_rows_merge_runs(tmp_path):
    path = tmp_path / "filled.xlsx"
    write_form(path, two_run_project())
    ws = load_workbook(path)[FORM_SHEET]
    merges = {str(r) for r in ws.merged_cells.ranges}
    assert {"A13:A17", "B14:B15", "C14:C15", "A18:F18", "A19:A20", "B20:C20"} <= merges
    assert "B16:B17" not in merges
    assert [ws.cell(r, 4).value for r in range(14, 18)] == [
        "银企对接会", "防非处非工作专班", "市民理性投资意识", "服务对象满意度"]
    assert (ws["E14"].value, ws["F14"].value, ws["G14"].value, ws["H14"].value) == ("≥10场", "14场", 25, 25)
    assert ws["G16"].number_format == "0.00" and ws["I16"].value == "宣传覆盖面不足"
    assert (ws["B16"].value, ws["C16"].value, ws["B17"].value, ws["C17"].value) == (
        "效益指标", "社会效益指标", "满意度指标", "服务对象满意度指标")
    assert (ws["A18"].value, ws["G18"].value, ws["H18"].value) == ("总分", 100, 89.0)
    assert [ws[c].value for c in ("B20", "D20", "E20", "G20", "H20")] == [
        "0012", "经常性", "用于金融行业监管工作", "文琼", "07310000"]
    assert ws["B20"].data_type == "s" and ws["B20"].number_format == "@"
    found = {dv.formula1: {str(r) for r in dv.sqref.ranges} for dv in ws.data_validations.dataValidation}
    assert found['"经常性,一次性"'] == {"D20"}
    assert "G14:H17" in found["0"]
    assert ws.protection.sheet is True and ws["D14"].protection.locked is False


def test_text_starting_with_equals_is_written_as_text(tmp_path):
    path = tmp_path / "hostile.xlsx"
    write_form(path, two_run_project(name='=HYPERLINK("http://x","点我")'))
    cell = load_workbook(path)[FORM_SHEET]["B3"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","点我")'


def test_project_without_indicators_gets_the_blank_rows(tmp_path):
    path = tmp_path / "prefilled.xlsx"
    project = Project(file="", sheet="", name="新项目", funds=Funds(total=FundsRow("年度资金总额",
                      Amount(5.0), Amount(5.0), Amount(None))))
    write_form(path, project)
    ws = load_workbook(path)[FORM_SHEET]
    assert ws["B3"].value == "新项目" and ws["D6"].value == 5.0
    assert ws["G6"].value is None  # no B, so no rate
    assert ws["C30"].value == "服务对象满意度指标" and ws["A32"].value == "总分"


def test_unit_sheet_blank_and_filled(tmp_path, templates):
    blank = load_workbook(templates[1])
    assert blank.sheetnames == [UNIT_SHEET, GUIDE_SHEET]
    ws = blank[UNIT_SHEET]
    assert (ws["A1"].value, ws["B1"].value) == ("项目", "内容")
    assert [ws.cell(r, 1).value for r in range(2, 14)] == [
        "单位名称", "年度", "主管部门", "本级资金名称", "资金使用管理情况", "绩效评价工作情况", "存在的问题",
        "有关建议", "其他需要说明的问题", "联系人", "联系电话", "报送日期"]
    assert ws["B3"].value == 2021 and ws["B2"].value is None and ws["B6"].protection.locked is False

    path = tmp_path / "unit.xlsx"
    unit = UnitInfo(name="长沙市开福区金融事务中心", year=2021, department="长沙市开福区人民政府",
                    own_level_name="区级", problems="1、问题一\n2、问题二", other_notes="无",
                    contact="文琼", phone="0731-00000000", report_date="2022年3月1日")
    write_unit_sheet(path, unit)
    ws = load_workbook(path)[UNIT_SHEET]
    assert [ws.cell(r, 2).value for r in (2, 3, 4, 5, 8, 10, 11, 12, 13)] == [
        "长沙市开福区金融事务中心", 2021, "长沙市开福区人民政府", "区级", "1、问题一\n2、问题二", "无", "文琼",
        "0731-00000000", "2022年3月1日"]
    assert ws["B6"].value is None


def test_describe_workbook_sees_differences(tmp_path, templates):
    path = tmp_path / "filled.xlsx"
    write_form(path, two_run_project())
    blank, filled = describe_workbook(templates[0]), describe_workbook(path)
    assert blank[FORM_SHEET]["values"]["A3"] == "项目名称"
    assert blank[FORM_SHEET]["merged"] != filled[FORM_SHEET]["merged"]
    assert blank[FORM_SHEET]["validations"] != filled[FORM_SHEET]["validations"]
    assert filled[FORM_SHEET]["values"]["D6"] == 22.5
