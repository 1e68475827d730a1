"""The summary workbook, written from the sample batch and read back with openpyxl."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import sample_batch
from perfeval.model import (
    ERROR, WARNING, Amount, Batch, FileRecord, Funds, FundsRow, Issue, UnitInfo,
)
from perfeval.summary_workbook import (
    FILE_HEADERS, INDICATOR_HEADERS, ISSUE_HEADERS, PROJECT_HEADERS, RULE_HEADERS, SHEETS,
    measure_text, source_cells, write_summary,
)

HEADER = 3  # openpyxl row of the header on every sheet (title, note, header)


def write(batch: Batch, tmp_path: Path, name: str = "绩效自评汇总.xlsx") -> Path:
    path = tmp_path / name
    write_summary(batch, path)
    return path


def open_book(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def row_values(ws, row: int) -> list:
    return [c.value for c in ws[row]]


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def with_result(batch: Batch, index: int, **changes) -> Batch:
    results = list(batch.results)
    results[index] = dataclasses.replace(results[index], **changes)
    return dataclasses.replace(batch, results=tuple(results))


def with_project(batch: Batch, index: int, **changes) -> Batch:
    project = dataclasses.replace(batch.results[index].project, **changes)
    return with_result(batch, index, project=project)


@pytest.fixture
def book(batch, tmp_path):
    return open_book(write(batch, tmp_path))


def test_sheets_in_order(book):
    assert book.sheetnames == ["项目汇总", "资金概况", "绩效指标", "审核问题", "评分规则"]
    assert tuple(book.sheetnames) == SHEETS


def test_headers_exact(book):
    assert row_values(book["项目汇总"], HEADER) == [
        "序号", "项目名称", "项目编码", "主管部门", "实施单位", "年初预算数", "全年预算数", "全年执行数",
        "执行率", "预算执行得分", "产出指标得分", "效益指标得分", "满意度指标得分", "核定总分", "填报总分",
        "等级", "状态", "错误数", "警告数", "来源文件", "工作表"]
    assert row_values(book["绩效指标"], HEADER) == [
        "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "指标方向", "目标数值",
        "实际数值", "计量单位", "完成率", "分值", "填报得分", "核定得分", "评分说明",
        "偏差原因分析及改进措施", "来源单元格"]
    assert row_values(book["审核问题"], HEADER) == [
        "来源文件", "工作表", "单元格", "项目名称", "规则编号", "级别", "问题说明"]
    assert row_values(book["评分规则"], HEADER)[:3] == ["规则项", "取值", "说明"]
    assert (list(PROJECT_HEADERS), list(INDICATOR_HEADERS), list(ISSUE_HEADERS)) == (
        row_values(book["项目汇总"], HEADER), row_values(book["绩效指标"], HEADER),
        row_values(book["审核问题"], HEADER))


def test_titles(book):
    assert book["项目汇总"]["A1"].value == "长沙市开福区金融事务中心2021年度项目支出绩效自评汇总"
    assert book["项目汇总"]["A1"].font.b
    assert "A1:U1" in {str(r) for r in book["项目汇总"].merged_cells.ranges}
    assert book["项目汇总"]["A2"].value == "金额单位：万元"
    for ws in book:
        assert ws["A1"].value.startswith("长沙市开福区金融事务中心2021年度")


def test_project_rows(book):
    ws = book["项目汇总"]
    first = row_values(ws, 4)
    assert first[:9] == [1, "（公共）打击和处置非法集资专项工作经费", "KF2021001", "长沙市开福区人民政府",
                         "长沙市开福区金融事务中心", 81.2, 81.2, 40.88, 0.5034]
    assert first[9:] == [5.03, 50, 30, 10, 95.03, 95.03, "优", "已评分", 0, 1,
                         "01_公共打击和处置非法集资专项工作经费.xlsx", "项目支出绩效自评表"]
    second = dict(zip(PROJECT_HEADERS, row_values(ws, 5)))
    assert second["项目编码"] is None and second["预算执行得分"] is None and second["核定总分"] is None
    assert second["等级"] is None and second["状态"] == "未评分"
    assert (second["错误数"], second["警告数"]) == (1, 0)
    assert second["填报总分"] == pytest.approx(50.16)
    assert "指标分值合计不等于90分" in ws["Q5"].comment.text


def test_total_row(book):
    ws = book["项目汇总"]
    total = dict(zip(PROJECT_HEADERS, row_values(ws, 6)))
    assert total["项目名称"] == "合计" and total["序号"] is None
    assert total["年初预算数"] == pytest.approx(166.70)
    assert total["全年预算数"] == pytest.approx(166.70)
    assert total["全年执行数"] == pytest.approx(42.25)
    assert round(total["执行率"], 4) == 0.2534
    assert (total["错误数"], total["警告数"]) == (1, 1)
    assert total["核定总分"] is None
    assert ws.max_row == 6


def test_total_rate_follows_rate_base(batch, tmp_path):
    funds = batch.results[1].project.funds
    total = dataclasses.replace(funds.total, initial=Amount(33.8, "C6"))
    changed = with_project(batch, 1, funds=dataclasses.replace(funds, total=total))
    changed = dataclasses.replace(changed, rules=dataclasses.replace(batch.rules, rate_base="initial"))
    ws = open_book(write(changed, tmp_path))["项目汇总"]
    total_row = dict(zip(PROJECT_HEADERS, row_values(ws, 6)))
    assert total_row["年初预算数"] == pytest.approx(115.0)
    assert total_row["执行率"] == pytest.approx(42.25 / 115.0)


def test_number_formats(book):
    ws = book["项目汇总"]
    for row in (4, 5, 6):
        for col in "FGH":
            assert ws[f"{col}{row}"].number_format == "0.00"
        assert ws[f"I{row}"].number_format == "0.00%"
    assert ws["N4"].number_format == "0.00"
    funds = book["资金概况"]
    assert funds["D5"].number_format == "0.00" and funds["H7"].number_format == "0.00%"
    assert book["绩效指标"]["K4"].number_format == "0.00%"


def test_freeze_filter_print(book):
    for ws in book:
        header = 4 if ws.title == "资金概况" else 3
        assert ws.freeze_panes == f"A{header + 1}", ws.title
        assert ws.auto_filter.ref.startswith(f"A{header}:"), ws.title
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9
        # fitToWidth="1" is the default, so XlsxWriter leaves the attribute out.
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == ("$3:$4" if ws.title == "资金概况" else "$3:$3")
    assert book["项目汇总"].auto_filter.ref == "A3:U5"  # the 合计 row stays out of the filter


def test_columns_sized_cjk_double(book):
    ws = book["项目汇总"]
    name = "（公共）打击和处置非法集资专项工作经费"
    assert measure_text(name) == 2 * len(name)
    assert measure_text("E14:F14") == 7
    assert ws.column_dimensions["B"].width >= 2 * len(name)
    assert ws.column_dimensions["A"].width < 12


def test_long_text_wraps_and_row_grows(batch, tmp_path):
    long = "鉴定工作跨年度实施，" * 12
    ind = dataclasses.replace(batch.results[1].project.indicators[0], deviation=long)
    score = dataclasses.replace(batch.results[1].indicators[0], indicator=ind)
    changed = with_result(batch, 1, indicators=(score,) + batch.results[1].indicators[1:])
    ws = open_book(write(changed, tmp_path))["绩效指标"]
    assert ws["P8"].value == long
    assert ws.column_dimensions["P"].width <= 53
    assert ws["P8"].alignment.wrap_text
    assert ws.row_dimensions[8].height >= 45


def test_conditional_formats(book):
    ws = book["项目汇总"]
    rules = {str(cf.sqref): [r for r in cf.rules] for cf in ws.conditional_formatting}
    assert "I4:I5" in rules
    assert "$I4<0.6" in rules["I4:I5"][0].formula[0]
    assert rules["P4:P5"][0].formula == ['"差"']
    assert rules["R4:R5"][0].operator == "greaterThan"
    assert rules["S4:S5"][0].operator == "greaterThan"


def test_chart(book, batch, tmp_path):
    assert len(book["项目汇总"]._charts) == 1
    with zipfile.ZipFile(tmp_path / "绩效自评汇总.xlsx") as z:
        chart = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert "<c:barChart>" in chart and '<c:barDir val="col"/>' in chart
    refs = re.findall(r"<c:f>(.*?)</c:f>", chart)
    assert refs == ["项目汇总!$G$3", "项目汇总!$B$4:$B$5", "项目汇总!$G$4:$G$5",
                    "项目汇总!$H$3", "项目汇总!$B$4:$B$5", "项目汇总!$H$4:$H$5"]


def test_funds_sheet(book):
    ws = book["资金概况"]
    assert row_values(ws, 3) == ["项目名称", "项目类型", "资金用途、使用方向", "预算金额", None, "支出金额", None, "执行率"]
    assert row_values(ws, 4) == [None, None, None, "指标总额", "其中：区级资金", "支出总额", "其中：区级资金", None]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:G3", "H3:H4"} <= merged
    assert row_values(ws, 5)[:7] == ["（公共）打击和处置非法集资专项工作经费", "经常性",
                                     "用于维护打非领导小组及成员单位工作运转", 81.2, 81.2, 40.88, 40.88]
    total = row_values(ws, 7)
    assert total[0] == "合计"
    assert total[3:7] == pytest.approx([166.70, 166.70, 42.25, 42.25])
    assert round(total[7], 4) == 0.2534


def test_funds_own_level_name_and_missing_own_row(batch, tmp_path):
    funds = dataclasses.replace(batch.results[0].project.funds, own_level=None)
    changed = with_project(batch, 0, funds=funds)
    changed = dataclasses.replace(changed, unit=dataclasses.replace(batch.unit, own_level_name="县级"))
    ws = open_book(write(changed, tmp_path))["资金概况"]
    assert row_values(ws, 4)[4] == "其中：县级资金"
    assert row_values(ws, 5)[4] is None and row_values(ws, 5)[6] is None
    assert row_values(ws, 7)[4] == pytest.approx(85.5)


def test_indicator_rows(book, batch):
    ws = book["绩效指标"]
    assert ws.max_row == HEADER + sum(len(r.indicators) for r in batch.results)
    first = dict(zip(INDICATOR_HEADERS, row_values(ws, 4)))
    assert first["三级指标"] == "大型集中宣传活动"
    assert (first["年度指标值"], first["实际完成值"], first["指标方向"]) == ("≥50次", "60余次", "正向")
    assert (first["目标数值"], first["实际数值"], first["计量单位"]) == (50, 60, "次")
    assert first["完成率"] == pytest.approx(1.2)
    assert (first["分值"], first["填报得分"], first["核定得分"]) == (25, 25, 25)
    assert first["评分说明"] == "60余次 ≥ 50次，完成率120.00%，得满分25分"
    assert first["来源单元格"] == "项目支出绩效自评表!E14:F14"
    qualitative = dict(zip(INDICATOR_HEADERS, row_values(ws, 6)))
    assert qualitative["目标数值"] is None and qualitative["完成率"] is None
    last = dict(zip(INDICATOR_HEADERS, row_values(ws, 9)))
    assert last["项目名称"] == "打非案件司法鉴定中介费" and last["核定得分"] == 28


def test_source_cells():
    ind = sample_batch().results[0].project.indicators[0]
    assert source_cells("项目支出绩效自评表", ind) == "项目支出绩效自评表!E14:F14"
    apart = dataclasses.replace(ind, actual=dataclasses.replace(ind.actual, cell="H14"))
    assert source_cells("自评表 (2)", apart) == "'自评表 (2)'!E14,H14"
    bare = dataclasses.replace(ind, target=dataclasses.replace(ind.target, cell=""),
                               actual=dataclasses.replace(ind.actual, cell=""))
    assert source_cells("表", bare) == "表!D14"


def test_issue_rows(book, batch):
    ws = book["审核问题"]
    assert ws.max_row - HEADER == len(batch.issues)
    rows = [row_values(ws, r) for r in range(HEADER + 1, ws.max_row + 1)]
    assert rows[0] == ["坏文件.xlsx", None, None, None, "F001", "错误",
                       "文件无法打开：文件已损坏，请重新保存后再提交"]
    assert [r[4] for r in rows] == [i.code for i in batch.issues]
    assert ws["F4"].fill.fgColor.rgb.endswith("FFC7CE")  # 错误 red
    assert ws["F5"].fill.fgColor.rgb.endswith("FFEB9C")  # 警告 amber
    assert ws["F7"].fill.fgColor.rgb in (None, "00000000")  # 提示 plain
    assert ws["A2"].value == "共 4 条：错误 2 条，警告 1 条，提示 1 条"


def test_rules_sheet(batch, tmp_path):
    files = tuple(dataclasses.replace(f, sha256=f"{n:x}" * 64) for n, f in enumerate(batch.files, start=10))
    ws = open_book(write(dataclasses.replace(batch, files=files), tmp_path))["评分规则"]
    rows = [row_values(ws, r) for r in range(1, ws.max_row + 1)]
    described = batch.rules.describe()
    assert [tuple(r[:3]) for r in rows[HEADER:HEADER + len(described)]] == described
    labels = {r[0]: r[1] for r in rows}
    assert labels["perfeval 版本"] == "0.1.0"
    assert labels["运行时间"] == batch.run_time
    header_at = [r[:4] for r in rows].index(list(FILE_HEADERS))
    table = rows[header_at + 1:]
    assert [(r[0], r[1], r[2], r[3]) for r in table] == [
        (f.name, f.status, f.projects, f.sha256) for f in files]
    assert RULE_HEADERS == tuple(rows[HEADER - 1][:3])
    assert ws.column_dimensions["D"].width >= 64  # a SHA-256 is never wrapped


INJECTED = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1", "@SUM(A1)", "-2+3", "=1+1",
            "=cmd|' /C calc'!A0", "http://evil.example/x"]


def injected_batch() -> Batch:
    batch = sample_batch()
    p1 = batch.results[0].project
    ind = p1.indicators[0]
    ind = dataclasses.replace(ind, name=INJECTED[4], deviation=INJECTED[5],
                              target=dataclasses.replace(ind.target, text="-50"),
                              actual=dataclasses.replace(ind.actual, text="+60"))
    score = dataclasses.replace(batch.results[0].indicators[0], indicator=ind, explanation="=A1")
    project = dataclasses.replace(p1, name=INJECTED[0], code=INJECTED[1], department=INJECTED[2],
                                  implementer=INJECTED[3], fund_use=INJECTED[6], sheet="=x",
                                  indicators=(ind,) + p1.indicators[1:], project_type="@x")
    batch = with_result(batch, 0, project=project, indicators=(score,) + batch.results[0].indicators[1:])
    bad = Issue("P001", ERROR, "=2*3", "=evil.xlsx", "+s", "A1", "@p")
    unit = dataclasses.replace(batch.unit, name="=HYPERLINK(\"x\")", own_level_name="-1")
    files = batch.files + (FileRecord(Path("/inbox/=a.xlsx"), "=a.xlsx", "=" * 64, "+已读取", 0),)
    return dataclasses.replace(batch, issues=batch.issues + (bad,), unit=unit, files=files,
                               version="=1")


def test_text_never_becomes_formula(tmp_path):
    path = write(injected_batch(), tmp_path)
    for name, xml in sheet_xml(path).items():
        assert "<f>" not in xml and "<f " not in xml, name
        assert "<hyperlink" not in xml, name
    book = open_book(path)
    ws = book["项目汇总"]
    assert row_values(ws, 4)[1:5] == INJECTED[:4]
    assert all(ws.cell(4, c).data_type == "s" for c in range(2, 6))
    assert ws["A1"].value.startswith("=HYPERLINK(\"x\")")
    assert book["资金概况"]["C5"].value == INJECTED[6]
    assert book["资金概况"]["E4"].value == "其中：-1资金"
    ind = dict(zip(INDICATOR_HEADERS, row_values(book["绩效指标"], 4)))
    assert (ind["三级指标"], ind["偏差原因分析及改进措施"]) == (INJECTED[4], INJECTED[5])
    assert (ind["年度指标值"], ind["实际完成值"], ind["评分说明"]) == ("-50", "+60", "=A1")
    assert ind["来源单元格"] == "'=x'!E14:F14"
    assert row_values(book["审核问题"], book["审核问题"].max_row) == [
        "=evil.xlsx", "+s", "A1", "@p", "P001", "错误", "=2*3"]
    rules = [row_values(book["评分规则"], r) for r in range(1, book["评分规则"].max_row + 1)]
    assert ["=a.xlsx", "+已读取", 0, "=" * 64] in rules


def empty_values_batch() -> Batch:
    batch = sample_batch()
    p2 = batch.results[1].project
    bare = dataclasses.replace(p2, funds=Funds(total=FundsRow("年度资金总额")), code="", project_type="",
                               fund_use="", sheet="")
    score = dataclasses.replace(batch.results[1].indicators[0], method="", score=None, ratio=None,
                                explanation="")
    result = dataclasses.replace(batch.results[1], project=bare, rate=None, budget_score=float("nan"),
                                 subtotals={}, indicators=(score,))
    return dataclasses.replace(batch, results=(result,), unit=UnitInfo(), year=None,
                               issues=(Issue("F002", WARNING, "未找到自评表"),))


def test_no_none_or_nan_text(batch, tmp_path):
    for n, variant in enumerate((batch, empty_values_batch(), injected_batch())):
        book = open_book(write(variant, tmp_path, f"{n}.xlsx"))
        for ws in book:
            for row in ws.iter_rows():
                for cell in row:
                    # no word boundaries: Chinese characters count as word characters in re
                    if isinstance(cell.value, str):
                        assert not re.search("None|nan|NaN", cell.value), (ws.title, cell.coordinate)


def test_missing_values_are_blank(tmp_path):
    book = open_book(write(empty_values_batch(), tmp_path))
    ws = book["项目汇总"]
    row = dict(zip(PROJECT_HEADERS, row_values(ws, 4)))
    for header in ("年初预算数", "全年预算数", "全年执行数", "执行率", "预算执行得分", "产出指标得分", "核定总分", "项目编码"):
        assert row[header] is None, header
    total = dict(zip(PROJECT_HEADERS, row_values(ws, 5)))
    assert total["项目名称"] == "合计" and total["全年预算数"] is None and total["执行率"] is None
    assert ws["A1"].value == "项目支出绩效自评汇总"
    assert book["资金概况"]["E4"].value == "其中：本级资金"


def test_empty_batch(batch, tmp_path):
    empty = dataclasses.replace(batch, results=(), issues=(), files=())
    path = write(empty, tmp_path)
    book = open_book(path)
    ws = book["项目汇总"]
    assert row_values(ws, 4)[1] == "合计" and ws.auto_filter.ref == "A3:U3"
    assert not ws._charts and not ws.conditional_formatting
    assert book["审核问题"].max_row == HEADER


def test_same_batch_same_bytes(batch, tmp_path):
    first, second = write(batch, tmp_path, "a.xlsx"), write(batch, tmp_path, "b.xlsx")
    assert first.read_bytes() == second.read_bytes()
    props = open_book(first).properties
    assert props.created.replace(tzinfo=None) == batch.run_time
    assert props.creator == "perfeval"
    assert props.title == "长沙市开福区金融事务中心2021年度项目支出绩效自评汇总"


# ---------------------------------------------------------------------------- streamed rows


def write_with_xlsxwriter_only(batch: Batch, path: Path) -> None:
    """The workbook as it was written before rows were streamed: every cell through XlsxWriter."""
    import xlsxwriter

    from perfeval import summary_workbook as sw

    workbook = xlsxwriter.Workbook(str(path), sw.WORKBOOK_OPTIONS)
    sw.set_properties(workbook, batch)
    styles = sw.build_styles(workbook)
    sw.write_projects(workbook, styles, batch)
    if batch.multi_unit:
        sw.write_units(workbook, styles, batch)
    for write_sheet in (sw.write_funds, sw.write_indicators, sw.write_issues, sw.write_rules):
        write_sheet(workbook, styles, batch)
    workbook.close()


def cell_facts(cell) -> tuple:
    return (cell.value, cell.data_type, cell.number_format, cell.font.b, cell.font.name, cell.fill.fgColor.rgb,
            cell.alignment.wrap_text, cell.alignment.horizontal, cell.border.left.style)


def long_text_batch(batch: Batch) -> Batch:
    long = "鉴定工作跨年度实施，" * 12
    ind = dataclasses.replace(batch.results[1].project.indicators[0], deviation=long)
    score = dataclasses.replace(batch.results[1].indicators[0], indicator=ind)
    return with_result(batch, 1, indicators=(score,) + batch.results[1].indicators[1:])


@pytest.mark.parametrize("variant", ["sample", "long_text", "injected", "empty_values", "no_results"])
def test_streamed_rows_read_back_as_xlsxwriter_wrote_them(batch, tmp_path, variant):
    chosen = {"sample": batch, "long_text": long_text_batch(batch), "injected": injected_batch(),
              "empty_values": empty_values_batch(),
              "no_results": dataclasses.replace(batch, results=(), issues=(), files=())}[variant]
    streamed, plain = write(chosen, tmp_path, "streamed.xlsx"), tmp_path / "plain.xlsx"
    write_with_xlsxwriter_only(chosen, plain)
    a, b = open_book(streamed), open_book(plain)
    assert a.sheetnames == b.sheetnames
    for ws, reference in zip(a.worksheets, b.worksheets):
        assert ws.dimensions == reference.dimensions, ws.title
        assert sorted(map(str, ws.merged_cells.ranges)) == sorted(map(str, reference.merged_cells.ranges))
        assert {k: d.width for k, d in ws.column_dimensions.items()} == \
            {k: d.width for k, d in reference.column_dimensions.items()}, ws.title
        assert {k: d.height for k, d in ws.row_dimensions.items() if d.height} == \
            {k: d.height for k, d in reference.row_dimensions.items() if d.height}, ws.title
        assert (ws.auto_filter.ref, ws.freeze_panes, ws.print_title_rows) == \
            (reference.auto_filter.ref, reference.freeze_panes, reference.print_title_rows)
        for row, expected in zip(ws.iter_rows(), reference.iter_rows(), strict=True):
            assert [cell_facts(c) for c in row] == [cell_facts(c) for c in expected], (ws.title, row[0].row)


def test_streamed_text_is_escaped_never_markup(batch, tmp_path):
    texts = ["a & b < c > d", "  前导空格", "末尾空格 ", "<r><t>rich</t></r>", "第一行\n第二行", "𠀀扩展区汉字", "</sheetData>"]
    ind = batch.results[0].project.indicators[0]
    scores = tuple(dataclasses.replace(batch.results[0].indicators[0], indicator=dataclasses.replace(ind, deviation=t))
                   for t in texts)
    ws = open_book(write(with_result(batch, 0, indicators=scores), tmp_path))["绩效指标"]
    col = INDICATOR_HEADERS.index("偏差原因分析及改进措施") + 1
    assert [ws.cell(HEADER + 1 + n, col).value for n in range(len(texts))] == texts


def test_dimension_covers_streamed_rows(book, batch, tmp_path):
    xml = sheet_xml(tmp_path / "绩效自评汇总.xlsx")
    count = sum(len(r.indicators) for r in batch.results)
    assert f'<dimension ref="A1:Q{HEADER + count}"/>' in xml["xl/worksheets/sheet3.xml"]
    ws = openpyxl.load_workbook(tmp_path / "绩效自评汇总.xlsx", read_only=True)["绩效指标"]
    assert ws.max_row == HEADER + count and ws.max_column == len(INDICATOR_HEADERS)


def test_rows_of_very_long_texts_stay_within_excel_row_height(batch, tmp_path):
    """A 32,000-character 偏差原因 or goal wraps to far more lines than a row can show: every row is at most
    Excel's 409 points high (a taller one is refused or repaired by Excel), and the text is kept whole."""
    long = "偏差" * 16_000
    r = batch.results[0]
    scores = tuple(dataclasses.replace(s, indicator=dataclasses.replace(s.indicator, deviation=long))
                   for s in r.indicators)
    project = dataclasses.replace(r.project, indicators=tuple(s.indicator for s in scores), goal=long)
    long_batch = dataclasses.replace(batch, results=(dataclasses.replace(r, indicators=scores, project=project),
                                                     *batch.results[1:]))
    book = open_book(write(long_batch, tmp_path))
    heights = [d.height for ws in book.worksheets for d in ws.row_dimensions.values() if d.height]
    assert heights and max(heights) <= 409.5
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert cells.count(long) >= len(scores)


def test_the_unit_table_of_a_thousand_unscored_units_is_linear():
    """A city's batch where every project is its own unit and none could be scored (all 总分 None): the
    average and the count were worked out again for every unit, by pandas' slow path for a column of
    None, and 1,000 units took 35 s (2,000: 131 s). The bound only catches a relapse."""
    import time

    from perfeval.summary_workbook import unit_table

    batch = sample_batch()
    scored, unscored = batch.results
    results = tuple(dataclasses.replace(unscored, project=dataclasses.replace(unscored.project, unit=f"第{n}中心"))
                    for n in range(1_000))
    started = time.perf_counter()
    rows = unit_table(dataclasses.replace(batch, results=results))
    assert time.perf_counter() - started < 2.0
    assert len(rows) == 1_000 and {(r["projects"], r["average"], r["unscored"]) for r in rows} == {(1, None, 1)}
    mixed = unit_table(dataclasses.replace(batch, results=(
        scored, dataclasses.replace(unscored, project=dataclasses.replace(unscored.project, unit=scored.project.unit)))))
    assert [(r["projects"], r["average"]) for r in mixed] == [(2, scored.total)]
