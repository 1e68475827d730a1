"""Pre-filled forms from a 项目清单: reading the list, writing one locked form per project."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl import load_workbook

from perfeval.model import Project
from perfeval.pipeline import evaluate
from perfeval.rules import load_rules
from perfeval.template import (
    FORM_SHEET, GUIDE_SHEET, PROJECT_LIST_SHEET, ProjectListError, read_project_list, write_prefilled,
    write_template_list,
)

HEADER = ["项目名称", "项目编码", "主管部门", "实施单位", "年初预算数（万元）", "全年预算数（万元）", "项目类型",
          "资金用途、使用方向"]
DEPARTMENT = "长沙市开福区人民政府"
CENTER = "长沙市开福区金融事务中心"
THREE = [
    ["（公共）打击和处置非法集资专项工作经费", "KF2021001", DEPARTMENT, CENTER, 81.2, 81.2, "经常性",
     "用于维护打非领导小组及成员单位工作运转"],
    ["金融监管工作经费", "KF2021004", DEPARTMENT, CENTER, 22.5, 25, "经常性", "用于金融行业监管工作"],
    ["打非案件司法鉴定中介费", "KF2021005", DEPARTMENT, CENTER, 85.5, 85.5, "一次性", "用于打非案件鉴定工作"],
]
# Cells of a pre-filled form (blank indicator block: the 补充信息 values sit on row 34).
PREFILLED = {"B3": "name", "B4": "department", "G4": "implementer", "C6": "a0", "D6": "A", "C7": "a0",
             "D7": "A", "B34": "code", "D34": "type", "E34": "use"}
MERGED_PARTS = ("I3", "E4", "I4", "C34", "F34")  # covered cells of the merged pre-filled ranges
EDITABLE = ("E6", "E7", "H6", "C8", "D9", "E10", "B12", "F12", "D14", "E14", "F14", "G14", "H14", "I14",
            "B22", "C22", "D31", "H32", "G34", "H34")


def write_list(path: Path, rows: list[list], header: list = HEADER, above: list[list] = ()) -> Path:
    """A 项目清单 workbook: optional rows above the header, the header, the project rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = PROJECT_LIST_SHEET
    for row in (*above, header, *rows):
        ws.append(list(row))
    wb.save(path)
    return path


def fill_form(path: Path, destination: Path) -> None:
    """Fill a pre-filled form the way staff would: 执行数, goals, four indicators, scores."""
    wb = load_workbook(path)
    ws = wb[FORM_SHEET]
    ws["E6"], ws["E7"], ws["H6"] = 20.25, 20.25, 8.1
    ws["B12"], ws["F12"] = "计划组织10场银企对接会。", "全年共组织14场银企对接会。"
    rows = {14: ("银企对接会", "≥10场", "14场", 30, 30, "企业融资需求高于预期"),
            16: ("对接企业覆盖率", "≥90%", "95%", 20, 20, None),
            24: ("市民理性投资意识", "有效提升", "显著提升", 30, 30, None),
            30: ("服务对象满意度", "≥90%", "95%", 10, 10, None)}
    for row, values in rows.items():
        for column, value in zip("DEFGHI", values):
            ws[f"{column}{row}"] = value
    ws["H32"], ws["G34"], ws["H34"] = 98.1, "文琼", "0731-00000000"
    wb.save(destination)


@pytest.fixture(scope="module")
def three_forms(tmp_path_factory) -> tuple[list[Project], list[Path]]:
    folder = tmp_path_factory.mktemp("prefill")
    projects = read_project_list(write_list(folder / "项目清单.xlsx", THREE))
    return projects, write_prefilled(projects, folder / "forms", 2021)


# --- forms ---------------------------------------------------------------------------------------

def test_three_projects_give_three_named_forms(three_forms):
    projects, paths = three_forms
    assert [p.name for p in paths] == ["KF2021001_（公共）打击和处置非法集资专项工作经费.xlsx",
                                       "KF2021004_金融监管工作经费.xlsx", "KF2021005_打非案件司法鉴定中介费.xlsx"]
    assert all(p.is_file() and p.parent.name == "forms" for p in paths)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_prefilled_values_are_written_and_locked(three_forms, index):
    name, code, department, implementer, a0, budget, kind, use = THREE[index]
    ws = load_workbook(three_forms[1][index])[FORM_SHEET]
    expected = {"name": name, "department": department, "implementer": implementer, "a0": a0, "A": budget,
                "code": code, "type": kind, "use": use}
    for ref, key in PREFILLED.items():
        assert ws[ref].value == expected[key], ref
        assert ws[ref].protection.locked is True, ref
    for ref in MERGED_PARTS:
        assert ws[ref].protection.locked is True, ref
    for ref in EDITABLE:
        assert ws[ref].protection.locked is False, ref
        assert ws[ref].value is None or ref in ("B22", "C22"), ref  # the 一级/二级 labels of blank rows
    assert ws.protection.sheet is True and ws.protection.password is None
    assert ws["A2"].value == "（2021年度）"
    assert ws["G6"].value == '=IF(D6>0,E6/D6,"")'  # the rate appears once 执行数 is typed


def test_prefilled_form_keeps_the_blank_template_around_it(three_forms):
    wb = load_workbook(three_forms[1][1])
    ws = wb[FORM_SHEET]
    assert ws["C14"].value == "数量指标" and ws["C30"].value == "服务对象满意度指标"
    assert (ws["A32"].value, ws["G32"].value) == ("总分", 100)
    assert ws["B33"].value == "项目编码" and ws["B34"].data_type == "s"
    assert "项目清单" in ws["B3"].comment.text
    guide = [c.value for row in wb[GUIDE_SHEET].iter_rows() for c in row if c.value]
    assert any("预填" in str(v) for v in guide)


def test_fields_the_list_left_empty_stay_editable(tmp_path):
    rows = [["新项目", None, DEPARTMENT, None, None, 12, None, None]]
    (path,) = write_prefilled(read_project_list(write_list(tmp_path / "清单.xlsx", rows)), tmp_path / "out")
    assert path.name == "01_新项目.xlsx"
    ws = load_workbook(path)[FORM_SHEET]
    assert ws["D6"].value == 12 and ws["D6"].protection.locked is True
    for ref in ("G4", "C6", "C7", "B34", "D34", "E34"):
        assert ws[ref].value is None, ref
        assert ws[ref].protection.locked is False, ref


def test_round_trip_through_the_pipeline(three_forms, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = three_forms[1][1]
    fill_form(source, inbox / source.name)
    batch = evaluate([inbox], load_rules())
    (result,) = batch.results
    project = result.project
    assert (project.name, project.code, project.department, project.implementer) == (
        "金融监管工作经费", "KF2021004", DEPARTMENT, CENTER)
    assert project.funds.total.initial.value == 22.5 and project.funds.total.budget.value == 25.0
    assert project.funds.appropriation.budget.value == 25.0
    assert (project.project_type, project.fund_use) == ("经常性", "用于金融行业监管工作")
    assert project.funds.total.actual.value == 20.25 and len(project.indicators) == 4
    assert result.rate == pytest.approx(0.81) and result.total == pytest.approx(98.1)
    assert not [i for i in batch.issues if i.level == "错误"]


# --- reading the list ----------------------------------------------------------------------------

def test_list_header_is_found_by_name_in_any_order(tmp_path):
    header = ["序号", "资金用途", " 项目 名称 ", "＊项目编码", "全年预算数（元）", "实施单位", "主管部门（必填）",
              "项目类型", "年初预算数（元）"]
    rows = [[1, "用于金融行业监管工作", "金融监管工作经费", 2021004, 225000, CENTER, DEPARTMENT, "经常性项目", "220000"],
            [None] * 9,
            [2, "用于打非案件鉴定工作", "打非案件司法鉴定中介费", None, "８５５，０００", CENTER, DEPARTMENT, "一次性", None],
            [3] + [None] * 8,
            ["合计", None, None, None, 1080000]]
    projects = read_project_list(write_list(tmp_path / "清单.xlsx", rows, header, above=[["2021年项目清单"], []]))
    assert [p.name for p in projects] == ["金融监管工作经费", "打非案件司法鉴定中介费"]
    first, second = projects
    assert first.code == "2021004" and first.project_type == "经常性" and first.fund_use == "用于金融行业监管工作"
    assert (first.department, first.implementer) == (DEPARTMENT, CENTER)
    assert first.funds.total.budget.value == 22.5 and first.funds.total.initial.value == 22.0
    assert first.funds.total.budget.cell == "E4" and first.cells["name"] == "C4"
    assert second.funds.total.budget.value == 85.5 and second.funds.total.initial.value is None
    assert second.project_type == "一次性" and second.code == ""


def test_list_accepts_synonyms_and_code_prefixed_names(tmp_path):
    header = ["项目名称", "预算部门", "项目实施单位", "调整后预算数", "使用方向"]
    rows = [["219001-棠溪镇道路维护经费", "341702-池州市贵池区人民政府", "棠溪镇人民政府", "—", "道路维护"]]
    (project,) = read_project_list(write_list(tmp_path / "清单.xlsx", rows, header))
    assert (project.code, project.name) == ("219001", "棠溪镇道路维护经费")
    assert (project.department, project.implementer, project.fund_use) == (
        "池州市贵池区人民政府", "棠溪镇人民政府", "道路维护")
    assert project.funds.total.budget.value is None and project.funds.appropriation is None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_list(tmp_path, encoding):
    text = "项目名称,项目编码,全年预算数,项目类型\n金融监管工作经费,0012,22.50,经常性\n\n金融产业培育经费,,\"1,022.5\",\n"
    path = tmp_path / "清单.csv"
    path.write_bytes(text.encode(encoding))
    first, second = read_project_list(path)
    assert (first.name, first.code, first.funds.total.budget.value) == ("金融监管工作经费", "0012", 22.5)
    assert (second.name, second.funds.total.budget.value, second.funds.total.budget.cell) == (
        "金融产业培育经费", 1022.5, "C4")


def test_template_list_round_trip(tmp_path):
    path = write_template_list(tmp_path / "项目清单.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [PROJECT_LIST_SHEET, GUIDE_SHEET]
    ws = wb[PROJECT_LIST_SHEET]
    assert [c.value for c in ws[1]] == HEADER
    assert ws["E2"].number_format == "0.00" and ws["B2"].number_format == "@"
    assert ws["A1"].comment.text.startswith("必填")
    for ref, value in (("A2", "金融监管工作经费"), ("B2", "0012"), ("F2", 22.5), ("G2", "经常性")):
        ws[ref] = value
    wb.save(path)
    (project,) = read_project_list(path)
    assert (project.name, project.code, project.funds.total.budget.value, project.project_type) == (
        "金融监管工作经费", "0012", 22.5, "经常性")


BAD_LISTS = {
    "no budget column": (HEADER[:5] + HEADER[6:], [THREE[0][:5] + THREE[0][6:]], 1, "全年预算数", "缺少"),
    "row without name": (HEADER, [THREE[0], [None, "KF9", DEPARTMENT, CENTER, 1, 2, "经常性", ""]], 3, "项目名称",
                         "没有填写项目名称"),
    "text budget": (HEADER, [THREE[0][:5] + ["待定"] + THREE[0][6:]], 2, "全年预算数（万元）", "“待定”不是数字"),
    "negative budget": (HEADER, [THREE[0], THREE[1][:4] + [-5] + THREE[1][5:]], 3, "年初预算数（万元）", "负数"),
    "bad project type": (HEADER, [THREE[0][:6] + ["长期"] + THREE[0][7:]], 2, "项目类型", "经常性"),
    "duplicate code": (HEADER, [THREE[0], THREE[1], ["另一个项目"] + THREE[0][1:]], 4, "项目编码", "与第2行重复"),
    "duplicate name without code": (HEADER, [["同名项目", None, DEPARTMENT, CENTER, 1, 1, "", ""],
                                             ["同名项目", None, DEPARTMENT, CENTER, 2, 2, "", ""]], 3, "项目名称",
                                    "与第2行重复"),
    "column twice": (HEADER + ["预算数"], [THREE[0] + [1]], 1, "预算数", "都是全年预算数列"),
}


@pytest.mark.parametrize("case", BAD_LISTS)
def test_bad_list_names_row_and_column(tmp_path, case):
    header, rows, row, column, phrase = BAD_LISTS[case]
    path = write_list(tmp_path / "坏清单.xlsx", rows, header)
    with pytest.raises(ProjectListError) as caught:
        read_project_list(path)
    message = str(caught.value)
    assert "坏清单.xlsx" in message and f"第{row}行" in message and f"“{column}" in message, message
    assert phrase in message, message
    assert (caught.value.row, caught.value.column) == (row, column)


def test_list_without_name_column_or_projects_or_readable_file(tmp_path):
    with pytest.raises(ProjectListError, match="找不到“项目名称”列"):
        read_project_list(write_list(tmp_path / "a.xlsx", [["x", 1]], ["名称", "预算数"]))
    with pytest.raises(ProjectListError, match="第1行.*没有项目"):
        read_project_list(write_list(tmp_path / "b.xlsx", [[None] * 8, [" 合 计", None, None, None, 9, 9]]))
    broken = tmp_path / "c.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ProjectListError, match="c.xlsx 无法打开"):
        read_project_list(broken)
    with pytest.raises(ProjectListError, match="格式不受支持"):
        read_project_list(tmp_path / "清单.docx")


# --- file names ----------------------------------------------------------------------------------

def names_for(tmp_path: Path, projects: list[Project]) -> list[Path]:
    return write_prefilled(projects, tmp_path / "out")


def test_unsafe_characters_are_replaced(tmp_path):
    projects = [Project(file="", sheet="", name='a/b\\c:d*e?f"g<h>i|j\tk', code="X/1"),
                Project(file="", sheet="", name="..隐藏", code=""),
                Project(file="", sheet="", name="锁文件", code="~$K"),
                Project(file="", sheet="", name="", code="CON")]
    paths = names_for(tmp_path, projects)
    assert [p.name for p in paths] == ["X_1_a_b_c_d_e_f_g_h_i_j_k.xlsx", "02_..隐藏.xlsx", "K_锁文件.xlsx",
                                       "CON_.xlsx"]
    assert all(p.parent == tmp_path / "out" and p.is_file() for p in paths)


def test_duplicate_names_get_a_number(tmp_path):
    projects = [Project(file="", sheet="", name="同名", code="ab"), Project(file="", sheet="", name="同名", code="AB"),
                Project(file="", sheet="", name="同名", code="ab")]
    paths = names_for(tmp_path, projects)
    assert [p.name for p in paths] == ["ab_同名.xlsx", "AB_同名_2.xlsx", "ab_同名_3.xlsx"]
    assert [load_workbook(p)[FORM_SHEET]["B34"].value for p in paths] == ["ab", "AB", "ab"]  # none overwritten


def test_very_long_names_are_bounded_and_stay_unique(tmp_path):
    long_name = "开福区" + "金融风险防范化解" * 40
    projects = [Project(file="", sheet="", name=long_name + "一", code="KF2021001"),
                Project(file="", sheet="", name=long_name + "二", code="KF2021001")]
    first, second = names_for(tmp_path, projects)
    for path in (first, second):
        assert path.name.startswith("KF2021001_开福区金融")
        assert len(path.stem) <= 60 and len(path.name.encode("utf-8")) <= 160
    assert second.stem.endswith("_2") and first != second
    assert load_workbook(first)[FORM_SHEET]["B3"].value == long_name + "一"  # the form keeps the full name


def test_cli_template_projects_writes_prefilled_forms_and_the_unit_sheet(tmp_path):
    from click.testing import CliRunner

    from perfeval.cli import main
    from perfeval.template import write_template_list

    listing = write_template_list(tmp_path / "项目清单.xlsx")
    wb = openpyxl.load_workbook(listing)
    ws = wb.worksheets[0]
    header_row = next(r for r in range(1, 21) if any(c.value and "项目名称" in str(c.value) for c in ws[r]))
    headers = {str(c.value).strip("*（必填）"): c.column for c in ws[header_row] if c.value}
    row = header_row + 1
    for label, value in (("项目名称", "社区养老服务补助"), ("全年预算数", 30), ("实施单位", "某区民政局")):
        column = next(col for h, col in headers.items() if label in h)
        ws.cell(row, column, value)
    wb.save(listing)
    result = CliRunner().invoke(main, ["template", "-o", str(tmp_path / "out"), "--projects", str(listing)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "单位情况.xlsx" in names and any("社区养老服务补助" in n for n in names)


def test_cli_template_projects_bad_list_exits_two(tmp_path):
    from click.testing import CliRunner

    from perfeval.cli import main

    bad = tmp_path / "清单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["项目名称", "全年预算数"])
    wb.active.append(["甲项目", "很多"])
    wb.save(bad)
    result = CliRunner().invoke(main, ["template", "-o", str(tmp_path / "out"), "--projects", str(bad)])
    assert result.exit_code == 2, result.output
    assert "第2行" in result.output.replace(" ", "") and "全年预算数" in result.output
