"""The reader: forms found by their labels, wherever they sit, read into Projects with their cells."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from perfeval.normalise import normalise_form
from perfeval.reader import normalise_label, read_workbook
from tests.corpus import write_ods_package
from tests.forms import Ind, clean_indicators, spec, write_spec


def read_one(path: Path):
    book = read_workbook(path, path.name)
    assert len(book.forms) == 1, book.issues
    project, issues = normalise_form(book.forms[0])
    return project, issues


@pytest.mark.parametrize("text,label", [
    ("全年预算数（A）", "全年预算数"), ("执行率（B/A）", "执行率"), ("项目资金\n（万元）", "项目资金"),
    ("产出指标(50分)", "产出指标"), ("主 管 部 门", "主管部门"), ("项目名称：", "项目名称"),
    ("\u3000实施单位\u3000", "实施单位"), ("分值（10分）", "分值"),
    # typed with the IME in full-width mode
    ("全年预算数（Ａ）", "全年预算数"), ("执行率（Ｂ／Ａ）", "执行率"), ("分值（１０分）", "分值"), ("执行率［Ｂ／Ａ］", "执行率"),
    ("实际完成值【Ｂ】", "实际完成值"),
])
def test_normalise_label(text, label):
    assert normalise_label(text) == label


def test_standard_form(tmp_path):
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", spec()))
    assert issues == []
    assert (project.name, project.department, project.implementer, project.year) == (
        "金融监管工作经费", "长沙市开福区人民政府", "长沙市开福区金融事务中心", 2021)
    assert project.cells["name"] == "B3"
    f = project.funds
    assert (f.total.initial.value, f.total.budget.value, f.total.actual.value) == (22.5, 22.5, 22.5)
    assert (f.total.budget.cell, f.total.actual.cell) == ("D6", "E6")
    assert f.own_level.label == "其中：区级资金" and f.appropriation.budget.value == 22.5
    assert (f.weight.value, f.rate_written.value, f.score_written.value) == (10, 1.0, 10)
    assert project.goal == "组织10场银企对接会。" and project.achievement == "全年共组织14场银企对接会。"
    assert len(project.indicators) == 6
    first = project.indicators[0]
    assert (first.level1, first.level2, first.name, first.target.text, first.actual.text) == (
        "产出指标", "数量指标", "大型集中宣传活动", "≥50次", "60次")
    assert (first.target.comparator, first.target.number, first.target.unit, first.target.cell) == (">=", 50, "次", "E14")
    assert (first.weight.value, first.score_written.value, first.row) == (20, 20, 14)
    # 一级/二级 carried down from the merged (here: left blank) cells
    assert project.indicators[1].level2 == "数量指标" and project.indicators[2].level1 == "产出指标"
    assert project.indicators[5].level1 == "满意度指标"
    assert project.total_written.value == 100
    assert (project.code, project.project_type, project.fund_use) == ("KF2021004", "经常性", "用于金融行业监管工作")


def test_moved_form_with_title_block_and_shifted_columns(tmp_path):
    s = spec(title_rows=3, col_offset=2, blank_row_before_indicators=True,
             labels={"项目名称": "项 目 名 称", "主管部门": "主管部门：", "全年预算数": "全年预算数（A）",
                     "全年执行数": "全年执行数（B）", "执行率": "执行率（B/A）", "年度指标值": "年度指标值（A）"})
    project, _ = read_one(write_spec(tmp_path / "f.xlsx", s))
    assert project.name == "金融监管工作经费" and project.department == "长沙市开福区人民政府"
    assert project.funds.total.budget.cell == "F9"
    assert len(project.indicators) == 6 and project.indicators[0].target.cell == "G18"


def test_full_width_letters_in_headings(tmp_path):
    """全年预算数（Ａ）, 全年执行数（Ｂ）, 年度指标值（Ａ）: typed in full-width mode, the columns are still found
    (they were lost: A taken from 年初预算数, or the funds block and every indicator dropped)."""
    s = spec(labels={"全年预算数": "全年预算数（Ａ）", "全年执行数": "全年执行数（Ｂ）", "执行率": "执行率（Ｂ／Ａ）",
                     "年度指标值": "年度指标值（Ａ）", "实际完成值": "实际完成值（Ｂ）"},
             funds={"年度资金总额": (20.0, 25.0, 22.5), "其中：当年财政拨款": (20.0, 25.0, 22.5)})
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", s))
    t = project.funds.total
    assert (t.initial.value, t.budget.value, t.actual.value) == (20.0, 25.0, 22.5)
    assert (t.budget.cell, t.actual.cell) == ("D6", "E6")
    assert len(project.indicators) == 6 and project.indicators[0].actual.text == "60次"
    assert "B013" not in [i.code for i in issues]


def test_rows_struck_out_with_markers_are_no_indicators(tmp_path):
    """Unused rows filled with "/" or 无 (0 points) are left out like blank rows; a row with points stays."""
    inds = clean_indicators()
    inds[4:4] = [Ind("产出指标", "时效指标", "/", "/", "/", "/", "/", "/"),
                 Ind("产出指标", "成本指标", "无", "无", "无", 0, 0),
                 Ind("产出指标", "成本指标", "——", "—", "—", "—", "—")]
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", spec(indicators=inds)))
    assert [i.name for i in project.indicators] == [i.name for i in clean_indicators()]
    assert issues == []
    # a struck-out name with points is still an indicator: its missing values are reported
    inds[4] = Ind("产出指标", "时效指标", "/", "/", "/", 5, "/")
    project, _ = read_one(write_spec(tmp_path / "g.xlsx", spec(indicators=inds)))
    assert len(project.indicators) == 7 and project.indicators[4].weight.value == 5


def test_a_repeated_header_row_is_no_indicator(tmp_path):
    """A form of two pages pasted together repeats the indicator header between the rows."""
    inds = clean_indicators()
    inds[3:3] = [Ind("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")]
    inds[4].level1 = "产出指标 "  # the page's own 一级指标 cell again, after the header
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", spec(indicators=inds)))
    assert [i.name for i in project.indicators] == [i.name for i in clean_indicators()]
    assert project.indicators[3].level1 == "产出指标" and project.indicators[3].row == 18
    assert issues == []
    # the lower row of a two-row header is skipped too; an indicator merely named like a heading is read
    inds = clean_indicators()
    inds[3:3] = [Ind("产出指标", "时效指标", "", "年度指标值", "实际完成值", None, None),
                 Ind("产出指标", "时效指标", "指标名称", "≥1次", "1次", 0, 0)]
    project, _ = read_one(write_spec(tmp_path / "g.xlsx", spec(indicators=inds)))
    assert [i.name for i in project.indicators][2:5] == ["宣传覆盖率", "指标名称", "完成时间"]


def test_synonym_labels(tmp_path):
    s = spec(labels={"全年预算数": "调整后预算数", "全年执行数": "预算执行数", "分值": "权重", "年度指标值": "指标值",
                     "实际完成值": "全年实际值", "偏差原因分析及改进措施": "未完成原因分析", "主管部门": "预算部门",
                     "实施单位": "项目实施单位", "预期目标": "年初设定目标", "实际完成情况": "年度总体目标完成情况"})
    project, _ = read_one(write_spec(tmp_path / "f.xlsx", s))
    assert project.funds.total.budget.value == 22.5 and project.department == "长沙市开福区人民政府"
    assert project.implementer == "长沙市开福区金融事务中心" and project.goal and project.achievement
    assert project.indicators[0].weight.value == 20 and project.indicators[0].actual.text == "60次"


def test_funds_without_initial_column(tmp_path):
    s = spec(header_funds=("预算数", "执行数", "分值", "执行率", "得分"),
             funds={"年度资金总额": (30.0, 27.0), "其中：财政拨款": (30.0, 27.0)}, rate=0.9, budget_score=9)
    project, _ = read_one(write_spec(tmp_path / "f.xlsx", s))
    t = project.funds.total
    assert (t.initial.value, t.budget.value, t.actual.value) == (None, 30.0, 27.0)
    assert project.funds.appropriation.actual.value == 27.0


def test_only_initial_budget_falls_back_with_a_note(tmp_path):
    s = spec(header_funds=("年初预算数", "全年执行数", "分值", "执行率", "得分"), funds={"年度资金总额": (40.0, 30.0)})
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", s))
    assert project.funds.total.initial.value == 40.0 and project.funds.total.budget.value is None
    assert [i.code for i in issues] == ["B013"]


def test_amounts_in_yuan_are_converted(tmp_path):
    s = spec(labels={"项目资金（万元）": "项目资金（元）"},
             funds={"年度资金总额": (225000, 225000, 180000), "其中：当年财政拨款": (225000, 225000, 180000)})
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", s))
    assert project.funds.total.budget.value == 22.5 and project.funds.total.actual.value == 18.0
    assert [i.code for i in issues] == ["B008"]


@pytest.mark.parametrize("line", ["填报单位：某某区教育中心\u3000\u3000\u3000金额单位：元", "（金额单位：元）"])
def test_amount_unit_after_the_units_name_in_one_cell(tmp_path, line):
    """The usual line under the title holds the unit's name and the amount unit in one cell."""
    wb = openpyxl.Workbook()
    write_spec(tmp_path / "x", spec(sheet="自评表", title_rows=1, funds={"年度资金总额": (50000, 60000, 54000)}), wb)
    wb["自评表"]["A1"] = line
    wb.save(tmp_path / "f.xlsx")
    project, issues = read_one(tmp_path / "f.xlsx")
    assert (project.funds.total.budget.value, project.funds.total.actual.value) == (6.0, 5.4)
    assert [i.code for i in issues] == ["B008"]


@pytest.mark.parametrize("where, text", [("name", "人均补助标准（单位：元/人）"), ("name", "生均公用经费（单位：元）"),
                                         ("deviation", "计量单位：元")])
def test_an_indicators_own_unit_is_no_amount_unit(tmp_path, where, text):
    """"单位：元" in an indicator row is that indicator's unit, not the form's amounts'."""
    inds = clean_indicators()
    setattr(inds[1], where, text)
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", spec(indicators=inds)))
    assert project.funds.total.budget.value == 22.5 and issues == []


def test_a_units_name_that_begins_with_yuan_is_no_amount_unit(tmp_path):
    wb = openpyxl.Workbook()
    write_spec(tmp_path / "x", spec(sheet="自评表", title_rows=1), wb)
    wb["自评表"]["A1"] = "填报单位：元宝区财政局"
    wb.save(tmp_path / "f.xlsx")
    project, issues = read_one(tmp_path / "f.xlsx")
    assert project.funds.total.budget.value == 22.5 and issues == []


def test_amount_columns_headed_in_yuan(tmp_path):
    s = spec(header_funds=("年初预算数（元）", "全年预算数（元）", "全年执行数（元）", "分值", "执行率", "得分"),
             funds={"年度资金总额": (50000, 60000, 54000), "其中：当年财政拨款": (50000, 60000, 54000)})
    project, issues = read_one(write_spec(tmp_path / "f.xlsx", s))
    t = project.funds.total
    assert (t.initial.value, t.budget.value, t.actual.value) == (5.0, 6.0, 5.4)
    assert [i.code for i in issues] == ["B008"]


def test_the_lowest_of_several_level_rows_is_the_units_own(tmp_path):
    """中央/省级/市级/区级资金 under 当年财政拨款: a 区级 unit's own funds are the 区级 row, not the first one."""
    funds = {"年度资金总额": (100.0, 100.0, 90.0), "其中：当年财政拨款": (100.0, 100.0, 90.0),
             "中央资金": (10.0, 10.0, 9.0), "省级资金": (20.0, 20.0, 18.0), "市级资金": (30.0, 30.0, 27.0),
             "区级资金": (40.0, 40.0, 36.0)}
    project, _ = read_one(write_spec(tmp_path / "f.xlsx", spec(funds=funds, rate=0.9, budget_score=9)))
    own = project.funds.own_level
    assert (own.label, own.budget.value, own.actual.value, own.budget.cell) == ("区级资金", 40.0, 36.0, "D11")
    # a row called 本级 is the unit's own, wherever it stands
    funds = {"年度资金总额": (100.0, 100.0, 90.0), "其中：本级资金": (60.0, 60.0, 54.0), "区级资金": (40.0, 40.0, 36.0)}
    project, _ = read_one(write_spec(tmp_path / "g.xlsx", spec(funds=funds, rate=0.9, budget_score=9)))
    assert project.funds.own_level.budget.value == 60.0
    # a template prints every level and a 市级 unit fills its own: an empty lower row is not it
    funds = {"年度资金总额": (100.0, 100.0, 90.0), "其中：当年财政拨款": (100.0, 100.0, 90.0),
             "省级资金": (40.0, 40.0, 36.0), "市级资金": (60.0, 60.0, 54.0), "区级资金": (None, None, None)}
    project, _ = read_one(write_spec(tmp_path / "h.xlsx", spec(funds=funds, rate=0.9, budget_score=9)))
    assert (project.funds.own_level.label, project.funds.own_level.budget.value) == ("市级资金", 60.0)


def test_code_prefix_on_name_is_kept_as_code(tmp_path):
    s = spec(name="51000021R000000019951-工资性支出", code=None, department="219001-池州市贵池区棠溪镇人民政府")
    project, _ = read_one(write_spec(tmp_path / "f.xlsx", s))
    assert (project.code, project.name) == ("51000021R000000019951", "工资性支出")
    assert project.department == "池州市贵池区棠溪镇人民政府"


def test_header_points_are_declared(tmp_path):
    inds = [Ind("产出指标(50分)", "数量指标", "a", "≥1次", "1次", 50, 50),
            Ind("效益指标(30分)", "社会效益指标", "b", "有效", "有效", 30, 30),
            Ind("满意度指标(10分)", "服务对象满意度指标", "c", "≥90%", "95%", 10, 10)]
    project, _ = read_one(write_spec(tmp_path / "f.xlsx", spec(indicators=inds)))
    assert project.declared_points == {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0}
    assert [i.level1 for i in project.indicators] == ["产出指标", "效益指标", "满意度指标"]


def test_several_projects_in_one_workbook_and_other_sheets_ignored(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本工作簿包含两个项目"
    write_spec(tmp_path / "x", spec(sheet="项目一"), wb)
    write_spec(tmp_path / "x", spec(sheet="项目二", name="第二个项目"), wb)
    wb.save(tmp_path / "f.xlsx")
    book = read_workbook(tmp_path / "f.xlsx", "f.xlsx")
    assert [f.sheet for f in book.forms] == ["项目一", "项目二"] and book.issues == []


def test_form_on_a_notes_sheet_is_read_when_no_other_sheet_holds_one(tmp_path):
    """填表说明 sheets are read last, and only when the others hold no form."""
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active["A1"] = "2021年度项目支出绩效自评"
    write_spec(tmp_path / "x", spec(sheet="填表说明", name="填在说明页上的项目"), wb)
    wb.save(tmp_path / "only.xlsx")
    assert [f.fields["name"].value for f in read_workbook(tmp_path / "only.xlsx", "only.xlsx").forms] == [
        "填在说明页上的项目"]

    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "1. 项目名称：按预算批复填写。"
    write_spec(tmp_path / "x", spec(sheet="自评表"), wb)
    wb.save(tmp_path / "usual.xlsx")
    book = read_workbook(tmp_path / "usual.xlsx", "usual.xlsx")
    assert [f.sheet for f in book.forms] == ["自评表"] and book.issues == []


def test_signature_rows_below_are_ignored(tmp_path):
    path = write_spec(tmp_path / "f.xlsx", spec())
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.append([])
    ws.append(["项目负责人：", "张三", "", "财务负责人：", "李四", "", "填报日期：", "2022年1月10日"])
    wb.save(path)
    project, _ = read_one(path)
    assert len(project.indicators) == 6


def test_split_target_columns(tmp_path):
    """Sichuan-style: 指标性质 | 指标值 | 度量单位 instead of one 年度指标值 cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [
        ["项目支出绩效自评表（2021年度）"],
        ["项目名称", "乡村道路养护"], ["主管部门", "某县交通运输局", "", "实施单位", "某县公路事务中心"],
        ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["", "年度资金总额", 100, 100, 95, 10, 0.95, 9.5],
        ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["产出指标", "数量指标", "养护里程", "≥", 266, "公里", 270, 50, 50],
        ["效益指标", "社会效益指标", "通行条件", "定性", "明显改善", "", "明显改善", 30, 30],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥", 90, "%", 92, 10, 10],
    ]
    for row in rows:
        ws.append(row)
    wb.save(tmp_path / "f.xlsx")
    project, _ = read_one(tmp_path / "f.xlsx")
    first = project.indicators[0]
    assert (first.target.comparator, first.target.number, first.target.unit) == (">=", 266, "公里")
    assert first.actual.number == 270
    assert project.funds.total.actual.value == 95
    assert project.indicators[2].target.unit == "%"


# a split 指标值 | 度量单位 form down to its first indicator, 指标值 0.9 and 实际完成值 0.92 in percent cells
SPLIT_HEAD = (
    ["项目支出绩效自评表（2021年度）"], ["项目名称", "乡村道路养护"],
    ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
    ["", "年度资金总额", 100, 100, 95, 10, 0.95, 9.5],
    ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分"],
    ["满意度指标", "服务对象满意度指标", "群众满意度", "≥", 0.9, "％", 0.92, 10, 10],
)


def test_split_target_columns_with_values_shown_as_percentages(tmp_path):
    """指标值 0.9 shown as 90% beside 度量单位 ％: "≥90%", not "≥90%％" (nor "≥0.9％" before)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [
        *SPLIT_HEAD,
        ["产出指标", "质量指标", "差错率", "≤", 0.005, "百分比", 0.008, 10, 8],
    ]:
        ws.append(row)
    for cell in ("E6", "G6", "E7", "G7"):
        ws[cell].number_format = "0.0%"
    wb.save(tmp_path / "f.xlsx")
    project, _ = read_one(tmp_path / "f.xlsx")
    assert [(i.target.text, i.actual.text) for i in project.indicators] == [("≥90%", "92%"), ("≤0.5%", "0.8%")]


def test_no_satisfaction_and_cost_as_level1(tmp_path):
    inds = [Ind("产出指标", "数量指标", "a", "≥1次", "1次", 40, 40),
            Ind("成本指标", "经济成本指标", "单位成本", "100元", "95元", 10, 10),
            Ind("效益指标", "社会效益指标", "b", "有效", "有效", 40, 40)]
    project, _ = read_one(write_spec(tmp_path / "f.xlsx", spec(indicators=inds)))
    assert [i.level1 for i in project.indicators] == ["产出指标", "成本指标", "效益指标"]


def test_corrupt_and_fake_files_are_reported_not_raised(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"garbage")
    (tmp_path / "b.xlsx").write_bytes(b"%PDF-1.4 fake")
    (tmp_path / "c.xlsx").write_bytes(b"")
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        book = read_workbook(tmp_path / name, name)
        assert not book.forms and [i.code for i in book.issues] == ["F001"], name
    assert "PDF" in read_workbook(tmp_path / "b.xlsx", "b.xlsx").issues[0].message


def test_encrypted_workbook_says_so(tmp_path):
    # Office saves password-protected .xlsx files as an OLE compound document
    (tmp_path / "e.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    book = read_workbook(tmp_path / "e.xlsx", "e.xlsx")
    assert book.issues[0].message == "文件已加密，请另存为未加密的工作簿"


def test_formulas_without_cached_values_are_derived(tmp_path):
    """A form written by a program keeps formulas with no cached value: F003, and the total derived."""
    path = write_spec(tmp_path / "f.xlsx", spec(rate=None, budget_score=None))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["C6"], ws["D6"], ws["E6"] = "=SUM(C7,C9:C10)", "=SUM(D7,D9:D10)", "=SUM(E7,E9:E10)"
    ws["G6"] = "=IF(D6>0,E6/D6,\"\")"
    wb.save(path)
    project, issues = read_one(path)
    assert project.funds.total.budget.value == 22.5 and project.funds.total.actual.value == 22.5
    assert project.funds.rate_written.value == 1.0 and project.funds.rate_written.cell == "G6"  # B/A, derived
    assert sorted(i.cell for i in issues if i.code == "F003") == ["C6", "D6", "E6", "G6"]


def percent_form(tmp_path: Path) -> Path:
    """The standard form with values typed as percentages: 差错率 0.8% against ≤0.5% (0.0%), 宣传覆盖率 90% / 95%
    (0% and 0.00%), a 95 shown as 95% by a literal (0"%"), and the 执行率 shown as 100.00%."""
    indicators = clean_indicators()
    indicators[1] = Ind("产出指标", "质量指标", "差错率", "≤0.5%", 0.008, 10, 10)
    path = write_spec(tmp_path / "f.xlsx", spec(indicators=indicators))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["F15"].number_format = "0.0%"
    ws["E16"], ws["F16"] = 0.9, 0.95  # 宣传覆盖率 ≥90% / 95%, both typed as percentages
    ws["E16"].number_format = "0%"
    ws["F16"].number_format = "0.00%"
    ws["F19"] = 95
    ws["F19"].number_format = '0"%"'  # shows 95%: the number is the percentage already
    ws["G6"].number_format = "0.00%"  # the 执行率 1.0, shown as 100.00%
    wb.save(path)
    return path


def test_indicator_values_shown_as_percentages_are_read_as_shown(tmp_path):
    """Typing "0.8%" into an Excel cell stores 0.008 with a percent format, and calamine gives 0.008: against
    "≤0.5%" that passed. A value Excel shows as a percentage is read as it shows, by the style's number format:
    built in (0%), the workbook's own (0.0%), in the target column too; a "%" the format only prints after
    the number (0.0"%") or a percent-formatted amount is not one."""
    from perfeval.rules import load_rules
    from perfeval.score import score_project

    path = percent_form(tmp_path)
    project, issues = read_one(path)
    assert [(i.target.text, i.actual.text) for i in project.indicators[1:3]] == [("≤0.5%", "0.8%"), ("90%", "95%")]
    assert project.indicators[5].actual.number == 95 and project.funds.rate_written.value == 1.0
    scores = score_project(project, load_rules()).indicators
    assert scores[1].score < 10 and scores[2].score == 10 and scores[5].score == 10


def _written_as(path: Path, suffix: str) -> Path:
    """The form at ``path`` (an .xlsx) saved again as .xls (BIFF8 through xlwt, each number with its number
    format: 0% and 0.00% built in, others the workbook's own FORMAT records) or as .ods (a number shown as a
    percentage stored as office:value-type="percentage", as LibreOffice saves one; merged cells spanned)."""
    from xml.sax.saxutils import escape

    import xlwt

    ws = openpyxl.load_workbook(path).active
    out = path.with_suffix(suffix)
    if suffix == ".xls":
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet(ws.title)
        styles: dict[str, object] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    style = styles.setdefault(cell.number_format, xlwt.easyxf(num_format_str=cell.number_format))
                    sheet.write(cell.row - 1, cell.column - 1, cell.value, style)
        for merged in ws.merged_cells.ranges:
            sheet.merge(merged.min_row - 1, merged.max_row - 1, merged.min_col - 1, merged.max_col - 1)
        book.save(str(out))
        return out
    spans = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    covered = {(r, c) for m in ws.merged_cells.ranges for r in range(m.min_row, m.max_row + 1)
               for c in range(m.min_col, m.max_col + 1)} - set(spans)
    rows = []
    for row in ws.iter_rows(min_row=1, min_col=1):
        cells = []
        for cell in row:
            if (cell.row, cell.column) in covered:
                cells.append("<table:covered-table-cell/>")
                continue
            attrs = ""
            if (cell.row, cell.column) in spans:
                m = spans[cell.row, cell.column]
                attrs = (f' table:number-rows-spanned="{m.max_row - m.min_row + 1}"'
                         f' table:number-columns-spanned="{m.max_col - m.min_col + 1}"')
            v = cell.value
            if v is None:
                cells.append(f"<table:table-cell{attrs}/>")
            elif isinstance(v, (int, float)):
                kind = "percentage" if cell.number_format in ("0%", "0.0%", "0.00%") else "float"
                cells.append(f'<table:table-cell{attrs} office:value-type="{kind}" office:value="{v}">'
                             f"<text:p>{v}</text:p></table:table-cell>")
            else:
                cells.append(f'<table:table-cell{attrs} office:value-type="string"><text:p>{escape(str(v))}'
                             "</text:p></table:table-cell>")
        rows.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="{escape(ws.title)}">' + "".join(rows)
               + "</table:table></office:spreadsheet></office:body></office:document-content>")
    write_ods_package(out, content)
    return out


@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_indicator_values_shown_as_percentages_are_read_as_shown_in_xls_and_ods(tmp_path, suffix):
    """The same form as ``test_indicator_values_shown_as_percentages_are_read_as_shown``, saved as .xls or .ods:
    calamine gives the bare 0.95 of a cell shown as 95% there too, and neither format has a styles part to
    look it up in. The .xls cells' XF records (in NUMBER, RK and MULRK records) and the .ods cells' value type
    say it instead: 差错率 0.8% against ≤0.5%, 宣传覆盖率 90% / 95%, as read from the .xlsx."""
    from perfeval.rules import load_rules
    from perfeval.score import score_project

    path = percent_form(tmp_path)
    project, issues = read_one(_written_as(path, suffix))
    assert [(i.target.text, i.actual.text) for i in project.indicators[1:3]] == [("≤0.5%", "0.8%"), ("90%", "95%")]
    assert [i.target.cell for i in project.indicators[1:3]] == ["E15", "E16"]
    assert project.indicators[5].actual.number == 95 and project.funds.rate_written.value == 1.0
    scores = score_project(project, load_rules()).indicators
    assert scores[1].score < 10 and scores[2].score == 10 and scores[5].score == 10


def test_split_target_columns_shown_as_percentages_in_xls_and_ods(tmp_path):
    """A split 指标值 | 度量单位 ％ layout typed in percent cells, saved as .xls and .ods: "≥90%" and "92%"
    as from the .xlsx, not "≥0.9％"/"0.92％" (completion 1% of the target: a 10-point indicator scored 0.1)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [
        *SPLIT_HEAD,
        ["产出指标", "质量指标", "合格率", "≥", 90, "%", 0.96, 10, 10],  # a number beside a percent cell
    ]:
        ws.append(row)
    for cell in ("E6", "G6", "G7"):
        ws[cell].number_format = "0%"
    wb.save(tmp_path / "f.xlsx")
    for suffix in (".xls", ".ods"):
        project, _ = read_one(_written_as(tmp_path / "f.xlsx", suffix))
        assert [i.actual.cell for i in project.indicators] == ["G6", "G7"]
        assert [(i.target.text, i.actual.text) for i in project.indicators] == [("≥90%", "92%"), ("≥90%", "96%")]


def _xlsxwriter_copy(path: Path, out: Path, formulas: dict[str, str]) -> Path:
    """The form at ``path`` written again by XlsxWriter, with ``formulas`` in some cells: XlsxWriter stores
    <v>0</v> as each formula's result and marks the workbook fullCalcOnLoad, for Excel to recalculate."""
    import xlsxwriter

    ws = openpyxl.load_workbook(path).active
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet(ws.title)
    for row in ws.iter_rows():
        for cell in row:
            if cell.coordinate in formulas:
                sheet.write_formula(cell.coordinate, formulas[cell.coordinate])
            elif cell.value is not None:
                sheet.write(cell.coordinate, cell.value)
    for merged in ws.merged_cells.ranges:
        first = ws.cell(merged.min_row, merged.min_col).value
        sheet.merge_range(merged.min_row - 1, merged.min_col - 1, merged.max_row - 1, merged.max_col - 1, first)
    book.close()
    return out


def _without_full_calc(path: Path) -> Path:
    """The workbook as Excel saves it: without XlsxWriter's mark to recalculate on opening."""
    import zipfile

    out = path.with_name("saved.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                assert b' fullCalcOnLoad="1"' in data
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            target.writestr(item, data)
    return out


def test_results_xlsxwriter_left_for_excel_to_calculate_are_not_read_as_zero(tmp_path):
    """An XlsxWriter form's formulas hold 0 until Excel recalculates (the workbook says so): 全年执行数, 执行率,
    得分 and 总分 are read as the form says they would show (F003 saying so: 22.5, 100%, 10, 80), not as 0
    (B012/B006 and S001, errors). A formula whose 0 is true, or that nothing derives (an indicator's 得分), stays 0."""
    path = _xlsxwriter_copy(write_spec(tmp_path / "f.xlsx", spec()), tmp_path / "x.xlsx",
                            {"E6": "=SUM(E7,E9:E10)", "G6": "=E6/D6", "H6": "=ROUND(MIN(G6,1)*F6,2)",
                             "H14": "=0*G14", "H20": "=SUM(H14:H19)+H6"})
    project, issues = read_one(path)
    funds = project.funds
    assert (funds.total.actual.value, funds.rate_written.value, funds.score_written.value) == (22.5, 1.0, 10)
    assert project.indicators[0].score_written.value == 0 and project.total_written.value == 80
    assert sorted((i.code, i.cell) for i in issues) == [("F003", c) for c in ("E6", "G6", "H20", "H6")]
    assert all("保存的结果为 0" in i.message for i in issues)


def test_a_formula_whose_saved_result_is_zero_is_read_as_zero(tmp_path):
    """Without the recalculation mark a formula's saved 0 is its result, as Excel saved it."""
    path = _xlsxwriter_copy(write_spec(tmp_path / "f.xlsx", spec()), tmp_path / "x.xlsx", {"H6": "=0*F6"})
    project, issues = read_one(_without_full_calc(path))
    assert project.funds.score_written.value == 0 and "F003" not in {i.code for i in issues}



def test_a_percent_cell_whose_percentage_overflows_is_left_as_it_is(tmp_path):
    """1e300 (or 1.7e308, inf × 100) in a percent cell stays the number it is, not "inf%" or 303 digits."""
    indicators = clean_indicators()
    indicators[1] = Ind("产出指标", "质量指标", "差错率", "≤0.5%", 1e300, 10, 0)
    path = write_spec(tmp_path / "f.xlsx", spec(indicators=indicators))
    wb = openpyxl.load_workbook(path)
    wb.active["F15"].number_format = "0.0%"
    wb.save(path)
    project, _ = read_one(path)
    assert project.indicators[1].actual.number == 1e300 and "%" not in project.indicators[1].actual.text
