"""Marked-up copies (退回修改/<file>_审核意见.xlsx): built from real workbooks and read back with openpyxl."""

from __future__ import annotations

import hashlib
from copy import copy
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Border, Font, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from perfeval.model import ERROR, INFO, WARNING, Issue
from perfeval.returns import (
    AUTHOR, ERROR_COLOR, HEADERS, MAX_MARKED_CELLS, REVIEW_SHEET, WARNING_COLOR, MarkedCopyError,
    merged_borders_computed_once, returned_name, write_marked_copy, write_marked_copy_openpyxl,
)

SHEET = "项目支出绩效自评表"
FILE = "单位A/01_公共打击和处置非法集资专项工作经费.xlsx"
THIN = Side(style="thin")


def build_form(path: Path, *, protect: bool = True) -> Path:
    """A filled 自评表 as staff send it: merged labels, borders, a formula, a dropdown, a comment, protection."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    rows = [
        ["项目支出绩效自评表"],
        ["（2021年度）"],
        ["项目名称", "（公共）打击和处置非法集资专项工作经费"],
        ["主管部门", "长沙市开福区人民政府", None, None, None, "实施单位", "长沙市开福区金融事务中心"],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", 81.2, 81.2, 40.88, 10, "=E6/D6", 5.03],
        [None, "其中：当年财政拨款", 81.2, 81.2, 40.88, "—", "—", "—"],
        [None, "其中：区级资金", 81.2, 81.2, 40.88],
        [None, "上年结转资金", 0, 0, 0],
        [None, "其他资金", 0, 0, 0],
        ["年度总体目标", "预期目标", None, None, None, "实际完成情况"],
        [None, "组织大型宣传活动50次", None, None, None, "开展大型集中宣传活动60余次"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "大型集中宣传活动", "≥50次", "60余次", 25, 25, None],
        [None, None, None, "“七进”集中宣讲活动", "≥750次", "792次", 25, 25, None],
        [None, "效益指标", "社会效益指标", "群众防范意识", "有效提升", "有效提升", 30, 30, None],
        [None, "满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10, None],
        ["总分", None, None, None, None, None, 100, 95.03],
    ]
    for row in rows:
        ws.append(row)
    for ref in ("A1:I1", "A2:I2", "B3:I3", "B4:E4", "G4:I4", "A5:A10", "A11:A12", "B11:E11", "F11:I11",
                "B12:E12", "F12:I12", "A13:A17", "B14:B15", "C14:C15", "A18:F18"):
        ws.merge_cells(ref)
    for row in ws.iter_rows(min_row=3, max_row=18, max_col=9):
        for cell in row:
            cell.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    ws["A1"].font = Font(name="黑体", size=16, bold=True)
    ws["A5"].comment = Comment("金额单位为万元，保留两位小数", "模板")
    dv = DataValidation(type="list", formula1='"产出指标,效益指标,满意度指标"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("B14:B17")
    ws.column_dimensions["D"].width = 24
    if protect:
        ws.protection.sheet = True
        ws.protection.password = "1234"
    notes = wb.create_sheet("填表说明")
    notes.append(["说明", "金额单位：万元"])
    wb.save(path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def review_rows(wb) -> list[tuple]:
    """The issue rows of the 审核意见 sheet (below the title, guidance and header rows)."""
    return [r for r in wb[REVIEW_SHEET].iter_rows(min_row=4, max_col=len(HEADERS), values_only=True)
            if r[0] is not None]


def fill_of(cell) -> str | None:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None


ISSUES = [
    Issue("B001", ERROR, "年度资金总额 81.20 万元与各项资金合计 81.20 万元不符，请核对", FILE, SHEET, "D6", "项目"),
    Issue("B005", WARNING, "执行率 50.34% 低于 60%，请在偏差原因分析中说明原因", FILE, SHEET, "E6", "项目"),
    Issue("B006", WARNING, "填报得分与核定得分不一致，请核对", FILE, SHEET, "E6", "项目"),
    Issue("B009", ERROR, "全年执行数不能为负数，请更正", FILE, SHEET, "E6", "项目"),
    Issue("P001", ERROR, "项目名称为空，请填写", FILE, SHEET, "D3", "项目"),
    Issue("T006", WARNING, "未达成目标且未填写偏差原因分析及改进措施", FILE, SHEET, "F14:G14", "项目"),
    Issue("T009", INFO, "实际完成值照抄了年度指标值", FILE, SHEET, "F16", "项目"),
    Issue("T016", INFO, "二级指标与一级指标不匹配", FILE, SHEET, "C15", "项目"),
    Issue("U001", WARNING, "未找到单位情况表，报告中的单位情况为自动生成", FILE, "", "", ""),
    Issue("F005", WARNING, "工作表仍有模板说明文字，请删除", FILE, SHEET, "", "项目"),
    Issue("F002", ERROR, "工作表“旧表”不存在，无法定位", FILE, "旧表", "A1", ""),
]


@pytest.fixture
def marked(tmp_path):
    """(source, copy, original workbook, copy workbook) for the sample form and ISSUES."""
    (tmp_path / "in").mkdir()
    source = build_form(tmp_path / "in" / "01.xlsx")
    before = sha256(source)
    dest = tmp_path / "out" / returned_name(FILE)
    write_marked_copy(source, ISSUES, dest)
    assert sha256(source) == before  # the original is never written
    return source, dest, load_workbook(source), load_workbook(dest)


def test_review_sheet_is_first_and_lists_every_issue_with_links(marked):
    _, dest, _, wb = marked
    assert dest.name == "单位A_01_公共打击和处置非法集资专项工作经费_审核意见.xlsx"
    assert wb.sheetnames == [REVIEW_SHEET, SHEET, "填表说明"]
    ws = wb[REVIEW_SHEET]
    assert wb.active.title == REVIEW_SHEET
    assert [w.title for w in wb.worksheets if w.sheet_view.tabSelected] == [REVIEW_SHEET]
    assert FILE in ws["A1"].value and ws["A1"].font.b
    assert "错误 4 条" in ws["A2"].value and "警告 5 条" in ws["A2"].value and "提示 2 条" in ws["A2"].value
    assert [c.value for c in ws[3]][:6] == list(HEADERS) and all(c.font.b for c in ws[3][:6])
    assert ws.freeze_panes == "A4"

    rows = review_rows(wb)
    assert len(rows) == len(ISSUES)
    assert [r[0] for r in rows] == list(range(1, len(ISSUES) + 1))
    by_code = {r[3]: r for r in rows}
    assert by_code["B001"] == (by_code["B001"][0], SHEET, "D6", "B001", ERROR, ISSUES[0].message)
    # File-level issues and issues on unknown sheets come first, without links.
    assert {rows[0][3], rows[1][3]} == {"U001", "F002"}
    # Then the sheet in reading order: whole-sheet issue, row 3, row 6, ...
    assert [r[3] for r in rows[2:]] == ["F005", "P001", "B001", "B005", "B006", "B009", "T016", "T006", "T009"]

    links = {ws.cell(row=r, column=4).value: ws.cell(row=r, column=3).hyperlink
             for r in range(4, 4 + len(ISSUES))}
    assert links["B001"].location == f"'{SHEET}'!D6"
    assert links["T006"].location == f"'{SHEET}'!F14:G14"
    assert links["P001"].location == f"'{SHEET}'!B3"  # D3 lies in the merged B3:I3
    assert links["F005"].location == f"'{SHEET}'!A1"
    assert links["U001"] is None and links["F002"] is None
    assert links["B001"].target is None  # an internal link, not an external relationship


def test_flagged_cells_are_filled_and_commented(marked):
    _, _, _, wb = marked
    ws = wb[SHEET]
    assert fill_of(ws["D6"]) == ERROR_COLOR
    assert fill_of(ws["E6"]) == ERROR_COLOR  # B005/B006 warnings and a B009 error: the error wins
    assert fill_of(ws["F14"]) == WARNING_COLOR and fill_of(ws["G14"]) == WARNING_COLOR
    assert fill_of(ws["F16"]) is None and fill_of(ws["C14"]) is None  # 提示 is not filled
    assert fill_of(ws["F15"]) is None and fill_of(ws["E7"]) is None

    note = ws["E6"].comment
    assert note.author == AUTHOR
    for code, message in (("B005", ISSUES[1].message), ("B006", ISSUES[2].message), ("B009", ISSUES[3].message)):
        assert code in note.text and message in note.text
    assert "B001" not in note.text
    assert ws["F14"].comment is not None and "T006" in ws["F14"].comment.text
    assert ws["G14"].comment is None  # a range is commented on its first cell only
    assert "T009" in ws["F16"].comment.text
    # The 提示 on C15 lies in the merged C14:C15 and lands on its anchor.
    assert "T016" in ws["C14"].comment.text


def test_comments_are_sized_for_chinese_text(marked):
    _, dest, _, _ = marked
    with zipfile.ZipFile(dest) as z:
        vml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".vml"))
    shapes = {(int(row), int(col)): (int(width), int(height)) for width, height, row, col in re.findall(
        r"width:(\d+)px;height:(\d+)px.*?:Row>(\d+)<.*?:Column>(\d+)<", vml)}
    assert shapes[(5, 4)][0] == 360 and shapes[(5, 4)][1] >= 3 * 18  # E6: three messages
    assert all(shapes[rc][0] == 360 for rc in [(2, 1), (5, 3), (13, 5), (15, 5), (13, 2)])
    assert shapes[(4, 0)] == (144, 79)  # the template's own comment on A5 keeps its size


def test_merged_cell_issue_lands_on_the_anchor(marked):
    _, _, _, wb = marked
    ws = wb[SHEET]
    assert fill_of(ws["B3"]) == ERROR_COLOR
    assert "P001" in ws["B3"].comment.text and "项目名称为空" in ws["B3"].comment.text
    assert "B3:I3" in {str(r) for r in ws.merged_cells.ranges}


def test_copy_keeps_the_form_and_drops_protection(marked):
    _, _, original, wb = marked
    for name in original.sheetnames:
        old, new = original[name], wb[name]
        assert new.max_row == old.max_row and new.max_column == old.max_column
        for old_row, new_row in zip(old.iter_rows(values_only=True), new.iter_rows(values_only=True)):
            assert old_row == new_row
        assert {str(r) for r in old.merged_cells.ranges} == {str(r) for r in new.merged_cells.ranges}
    ws = wb[SHEET]
    assert original[SHEET].protection.sheet is True
    assert ws.protection.sheet is False and not ws.protection.password
    assert ws["G6"].value == "=E6/D6"
    assert str(ws.data_validations.dataValidation[0].sqref) == "B14:B17"
    assert ws["A1"].font.name == "黑体" and ws["D6"].border.left.style == "thin"
    assert ws["A5"].comment.text == "金额单位为万元，保留两位小数"  # a comment without issues stays


def test_fast_merged_cell_borders_equal_openpyxl(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    wb = load_workbook(source)
    ws = wb[SHEET]
    thick, dashed = Side(style="thick"), Side(style="dashed", color="FFFF0000")
    ws["A5"].border = Border(left=thick, top=dashed)
    ws["B14"].border = Border(right=dashed, bottom=thick)
    ws["A13"].border = Border()
    ws.merge_cells("D20:F22")
    ws["D20"].border = Border(left=thick, right=thick, top=thick, bottom=thick)
    ws["B3"].protection = Protection(locked=False)  # the template unlocks its input cells
    wb.save(source)

    def snapshot(book):
        # copy(): openpyxl's style proxies never compare equal across workbooks; the styles they wrap do.
        return {(s.title, c.coordinate): (type(c).__name__, copy(c.border), copy(c.protection),
                                          tuple(c._style or ()))
                for s in book.worksheets for row in s.iter_rows() for c in row}

    expected = snapshot(load_workbook(source))
    with merged_borders_computed_once():
        fast = snapshot(load_workbook(source))
    assert fast == expected
    assert expected[(SHEET, "F21")][1].right.style == "thick"  # an edge cell took the anchor's border
    assert expected[(SHEET, "A7")][1].left.style == "thick"
    assert expected[(SHEET, "E3")][2].locked is False  # merged cells share the anchor's protection


def test_a_hidden_sheet_with_issues_is_shown(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    wb = load_workbook(source)
    wb["填表说明"].sheet_state = "hidden"
    wb.save(source)
    write_marked_copy(source, [Issue("F005", WARNING, "说明文字", "form.xlsx", "填表说明", "B1")],
                      tmp_path / "copy.xlsx")
    assert load_workbook(tmp_path / "copy.xlsx")["填表说明"].sheet_state == "visible"


def test_a_comment_already_on_a_flagged_cell_is_kept_below(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    issue = Issue("P001", ERROR, "项目资金标签缺失", "form.xlsx", SHEET, "A5")
    write_marked_copy(source, [issue], tmp_path / "copy.xlsx")
    text = load_workbook(tmp_path / "copy.xlsx")[SHEET]["A5"].comment.text
    assert text.index("P001") < text.index("金额单位为万元，保留两位小数")


def test_text_from_inputs_never_becomes_a_formula(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    issue = Issue("P001", ERROR, '=HYPERLINK("http://x","点击")', "form.xlsx", SHEET, "B3")
    write_marked_copy(source, [issue], tmp_path / "copy.xlsx")
    cell = load_workbook(tmp_path / "copy.xlsx")[REVIEW_SHEET]["F4"]
    assert cell.value == '=HYPERLINK("http://x","点击")' and cell.data_type == "s"


def test_a_returned_copy_sent_back_is_marked_afresh(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    first = tmp_path / "round1.xlsx"
    write_marked_copy(source, ISSUES[:2], first)
    second = tmp_path / "round2.xlsx"
    later = Issue("T006", WARNING, "仍未填写偏差原因", "form.xlsx", SHEET, "F14")
    write_marked_copy(first, [later], second)
    wb = load_workbook(second)
    assert wb.sheetnames.count(REVIEW_SHEET) == 1 and wb.sheetnames[0] == REVIEW_SHEET
    assert [r[3] for r in review_rows(wb)] == ["T006"]
    ws = wb[SHEET]
    assert fill_of(ws["D6"]) is None and ws["D6"].comment is None  # fixed since the first round
    assert fill_of(ws["F14"]) == WARNING_COLOR and "仍未填写" in ws["F14"].comment.text


def test_a_macro_workbook_becomes_a_plain_xlsx(tmp_path):
    plain = build_form(tmp_path / "plain.xlsx")
    source = tmp_path / "form.xlsm"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(source, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            zout.writestr(item, data)
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not a real macro")
    dest = tmp_path / "copy.xlsx"
    write_marked_copy(source, ISSUES[:1], dest)
    with zipfile.ZipFile(dest) as z:
        assert "xl/vbaProject.bin" not in z.namelist()
        assert b"macroEnabled" not in z.read("[Content_Types].xml")
    assert fill_of(load_workbook(dest)[SHEET]["D6"]) == ERROR_COLOR


def write_ods(path: Path, sheet: str, rows: list[list]) -> Path:
    """A minimal OpenDocument spreadsheet (mimetype, manifest, content.xml), as the ODF 1.2 spec lays it out."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("<table:table-cell/>")
            elif isinstance(value, str):
                cells.append(f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>')
            else:
                cells.append(f'<table:table-cell office:value-type="float" office:value="{value}">'
                             f"<text:p>{value}</text:p></table:table-cell>")
        body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{"".join(body)}'
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def test_an_ods_form_is_rebuilt_and_marked(tmp_path):
    long_name = "2021年度（公共）打击和处置非法集资专项工作经费项目支出绩效自评表"  # longer than Excel's 31
    rows = [["项目名称", "（公共）打击和处置非法集资专项工作经费"],
            ["=不是公式", None, "全年预算数", "全年执行数"],
            [None, "年度资金总额", 81.2, 40.88]]
    source = write_ods(tmp_path / "form.ods", long_name, rows)
    before = sha256(source)
    issue = Issue("B005", WARNING, "执行率低于60%", "form.ods", long_name, "D3")
    dest = tmp_path / returned_name("form.ods")
    write_marked_copy(source, [issue], dest)
    assert sha256(source) == before
    wb = load_workbook(dest)
    assert wb.sheetnames[0] == REVIEW_SHEET and len(wb.sheetnames) == 2
    ws = wb.worksheets[1]
    assert ws.title == long_name[:31]
    assert ws["B1"].value == "（公共）打击和处置非法集资专项工作经费"
    assert ws["A2"].value == "=不是公式" and ws["A2"].data_type == "s"
    assert ws["C3"].value == 81.2 and ws["D3"].value == 40.88
    assert fill_of(ws["D3"]) == WARNING_COLOR and "B005" in ws["D3"].comment.text
    link = wb[REVIEW_SHEET]["C4"].hyperlink
    assert link.location == f"'{long_name[:31]}'!D3"


def test_an_unreadable_source_raises_and_leaves_nothing(tmp_path):
    source = tmp_path / "broken.xlsx"
    source.write_bytes(b"PK\x03\x04 truncated")
    out = tmp_path / "out"
    with pytest.raises(MarkedCopyError, match="无法读取源文件"):
        write_marked_copy(source, ISSUES, out / "copy.xlsx")
    assert not out.exists() or list(out.iterdir()) == []


def test_a_merged_range_openpyxl_cannot_hold_is_refused_quickly(tmp_path):
    """openpyxl makes an object of every cell of a merged range: A30:XFD1048576 would take many GB."""
    source = build_form(tmp_path / "form.xlsx")
    with zipfile.ZipFile(source) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet].replace(b"<mergeCell ", b'<mergeCell ref="A30:XFD1048576"/><mergeCell ', 1)
    with zipfile.ZipFile(tmp_path / "huge.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    started = time.perf_counter()
    with pytest.raises(MarkedCopyError, match="合并单元格 A30:XFD1048576 范围过大"):
        write_marked_copy_openpyxl(tmp_path / "huge.xlsx", ISSUES, tmp_path / "copy.xlsx")
    assert time.perf_counter() - started < 5 and not (tmp_path / "copy.xlsx").exists()


def test_the_copy_never_replaces_its_source(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    before = sha256(source)
    with pytest.raises(MarkedCopyError, match="不能覆盖源文件"):
        write_marked_copy(source, ISSUES, source)
    assert sha256(source) == before


def test_a_huge_range_is_clipped_and_fast(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    issue = Issue("F007", WARNING, "整表范围", "form.xlsx", SHEET, "A1:XFD1048576")
    started = time.perf_counter()
    write_marked_copy(source, [issue], tmp_path / "copy.xlsx")
    assert time.perf_counter() - started < 2
    ws = load_workbook(tmp_path / "copy.xlsx")[SHEET]
    assert fill_of(ws["I18"]) == WARNING_COLOR
    assert ws.max_row * ws.max_column <= MAX_MARKED_CELLS


@pytest.mark.parametrize("rel, expected", [
    ("单位A/01_项目.xls", "单位A_01_项目_审核意见.xlsx"),
    ("01_项目.xlsx", "01_项目_审核意见.xlsx"),
    ("区财政局\\单位B\\02 金融监管.xlsm", "区财政局_单位B_02 金融监管_审核意见.xlsx"),
    ("./单位A//03.ods", "单位A_03_审核意见.xlsx"),
    ('a<b>c:d"e|f?g*h.xlsx', "a_b_c_d_e_f_g_h_审核意见.xlsx"),
    ("项目\t名称\x01.xlsx", "项目_名称_审核意见.xlsx"),
    ("报告\u202egpj.xlsx", "报告gpj_审核意见.xlsx"),  # a right-to-left override would show "报告_审核意见.xlsx" reversed
    ("项\u200b目\u2066名\u2069称\ufeff.xlsx", "项目名称_审核意见.xlsx"),
    ("绩效自评表v1.2版.xlsx", "绩效自评表v1.2版_审核意见.xlsx"),
    ("无后缀", "无后缀_审核意见.xlsx"),
    ("", "未命名_审核意见.xlsx"),
    ("../..", "未命名_审核意见.xlsx"),
])
def test_returned_name(rel, expected):
    assert returned_name(rel) == expected


def test_returned_name_of_long_paths_is_bounded_distinct_and_creatable(tmp_path):
    base = "某某市某某区人民政府办公室/" + "打击和处置非法集资专项工作经费" * 12
    first, second = returned_name(base + "一.xlsx"), returned_name(base + "二.xlsx")
    assert first != second
    for name in (first, second):
        assert len(name) <= 120 and len(name.encode("utf-8")) <= 240
        assert name.startswith("某某市某某区人民政府办公室_打击") and name.endswith("_审核意见.xlsx")
        (tmp_path / name).write_bytes(b"")  # the file system accepts it
    assert returned_name(base + "一.xlsx") == first  # deterministic


def test_an_xls_cell_holding_a_noncharacter_is_copied_without_it(tmp_path):
    """.xls text may hold U+FFFE/U+FFFF, which XML cannot: the copy drops them instead of failing."""
    from tests.corpus import Form, standard_sheet, write_book

    source = write_book(tmp_path / "f.xls", [standard_sheet(Form(name="金融监管\uffff工作\ufffe经费"))])
    dest = tmp_path / "copy.xlsx"
    write_marked_copy(source, [Issue("P001", ERROR, "项目名称有误", "f.xls", "项目支出绩效自评表", "B3")], dest)
    ws = load_workbook(dest)["项目支出绩效自评表"]
    assert "金融监管工作经费" in [c.value for row in ws.iter_rows() for c in row]


def test_an_xls_saved_under_an_xlsx_name_is_copied_like_an_xls(tmp_path):
    """The reader reads a file by its content; so does the copy: an .xls named .xlsx is rebuilt."""
    from tests.corpus import Form, standard_sheet, write_book

    source = tmp_path / "误名.xlsx"
    source.write_bytes(write_book(tmp_path / "f.xls", [standard_sheet(Form())]).read_bytes())
    dest = tmp_path / "copy.xlsx"
    assert write_marked_copy(source, [Issue("B001", ERROR, "有误", source.name, "项目支出绩效自评表", "D6")], dest) == []
    ws = load_workbook(dest)["项目支出绩效自评表"]
    assert fill_of(ws["D6"]) == ERROR_COLOR
