"""The fast path of the marked copies (perfeval.xlsx_edit): the package edited at the zip/XML level.

Real workbooks in, copies read back with openpyxl. The central check: the fast path and the openpyxl
path (returns.write_marked_copy_openpyxl) mark the same cells, write the same comments and the same
审核意见 sheet, on every .xlsx/.xlsm variant of the test corpus; the fast path changes nothing else.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tracemalloc
import warnings
import zipfile
import zlib
from copy import copy
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

from perfeval import returns
from perfeval.model import ERROR, INFO, WARNING, Issue
from perfeval.returns import (AUTHOR, ERROR_COLOR, HEADERS, MAX_MARKED_CELLS, REVIEW_SHEET, WARNING_COLOR,
                              write_marked_copy, write_marked_copy_openpyxl)
from perfeval.xlsx_edit import WS_ORDER, Unsupported, write_marked_copy_fast
from tests.corpus import CORPUS, Form, standard_sheet, write_book
from tests.office import run_soffice
from tests.test_hostile import deflate, members_of, write_raw_zip
from tests.test_returns import FILE, ISSUES, SHEET, build_form, fill_of, review_rows

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_workbook(path)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def marks(path: Path) -> dict:
    """What a marked copy says, as openpyxl reads it: sheets, values, fills, comments, the review sheet."""
    wb = load(path)
    out: dict = {"sheets": wb.sheetnames, "active": wb.active.title,
                 "states": [ws.sheet_state for ws in wb.worksheets],
                 "selected": [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected]}
    for ws in wb.worksheets:
        out[ws.title, "protected"] = bool(ws.protection.sheet)
        out[ws.title, "merged"] = sorted(str(r) for r in ws.merged_cells.ranges)
        out[ws.title, "print"] = (ws.print_title_rows, ws.print_area)
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c, MergedCell):
                    continue
                fill = c.fill.fgColor.rgb if c.fill.fill_type == "solid" else None
                note = (c.comment.text, c.comment.author) if c.comment else None
                link = c.hyperlink.location if c.hyperlink else None
                if c.value is not None or fill or note or link:
                    out[ws.title, c.coordinate] = (c.value, fill, note, link)
    return out


def both_paths(tmp_path: Path, source: Path, issues) -> tuple[Path, Path]:
    before = sha256(source)
    slow, fast = tmp_path / "openpyxl.xlsx", tmp_path / "fast.xlsx"
    write_marked_copy_openpyxl(source, issues, slow)
    write_marked_copy_fast(source, issues, fast)
    assert sha256(source) == before
    return slow, fast


def probe_issues(source: Path) -> list[Issue]:
    """Issues on every kind of place in a workbook's sheets: a value cell, a merged cell, an empty cell
    beyond the data, a range, a whole sheet, an unknown sheet and the file itself."""
    wb = load(source)
    issues = [Issue("U001", WARNING, "未找到单位情况表", source.name)]
    for n, ws in enumerate(wb.worksheets):
        filled = [c for row in ws.iter_rows() for c in row if c.value is not None and not isinstance(c, MergedCell)]
        if filled:
            issues.append(Issue("B001", ERROR, f"第{n}表数值错误", source.name, ws.title, filled[len(filled) // 2].coordinate))
            issues.append(Issue("B005", WARNING, "执行率偏低", source.name, ws.title, filled[-1].coordinate))
        for merged in list(ws.merged_cells.ranges)[:2]:
            issues.append(Issue("T016", INFO, "合并单元格内", source.name, ws.title,
                                f"{merged.coord.split(':')[1]}"))
            issues.append(Issue("T006", WARNING, "合并单元格", source.name, ws.title, merged.coord))
        issues.append(Issue("P002", ERROR, "空白单元格", source.name, ws.title, f"K{ws.max_row + 3}"))
        issues.append(Issue("T009", WARNING, "区域", source.name, ws.title, "B6:D7"))
        issues.append(Issue("F005", WARNING, "整表", source.name, ws.title, ""))
    issues.append(Issue("F002", ERROR, "工作表不存在", source.name, "不存在的表", "A1"))
    return issues


CORPUS_XLSX = sorted(name for name, (suffix, _) in CORPUS.items() if suffix in (".xlsx", ".xlsm"))


@pytest.mark.parametrize("name", CORPUS_XLSX[::4] + ["template_written"] * ("template_written" not in CORPUS_XLSX[::4]))
def test_both_paths_mark_the_same_on_the_corpus(tmp_path, name):
    suffix, build = CORPUS[name]
    source = build(tmp_path / f"{name}{suffix}")
    issues = probe_issues(source)
    slow, fast = both_paths(tmp_path, source, issues)
    expected, got = marks(slow), marks(fast)
    assert got == expected


def test_both_paths_mark_the_same_on_the_sample_form(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    slow, fast = both_paths(tmp_path, source, ISSUES)
    assert marks(fast) == marks(slow)


def test_every_xlsx_of_the_corpus_takes_the_fast_path(tmp_path):
    for name in CORPUS_XLSX:
        suffix, build = CORPUS[name]
        source = build(tmp_path / f"{name}{suffix}")
        write_marked_copy_fast(source, probe_issues(source)[:4], tmp_path / f"{name}_copy.xlsx")  # no Unsupported


def test_write_marked_copy_uses_the_fast_path_for_xlsx(tmp_path, monkeypatch):
    source = build_form(tmp_path / "form.xlsx")

    def no_openpyxl(*args):
        raise AssertionError("the openpyxl path was used")

    monkeypatch.setattr(returns, "write_marked_copy_openpyxl", no_openpyxl)
    write_marked_copy(source, ISSUES, tmp_path / "copy.xlsx")
    assert fill_of(load(tmp_path / "copy.xlsx")[SHEET]["D6"]) == ERROR_COLOR


def test_values_and_unmarked_styles_are_unchanged(tmp_path):
    source = CORPUS["template_written"][1](tmp_path / "form.xlsx")
    issues = probe_issues(source)
    dest = tmp_path / "copy.xlsx"
    write_marked_copy_fast(source, issues, dest)
    original, wb = load(source), load(dest)
    assert wb.sheetnames == [REVIEW_SHEET] + original.sheetnames
    marked = {(ws.title, c.coordinate) for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row
              if c.fill.fill_type == "solid" and c.fill.fgColor.rgb in (ERROR_COLOR, WARNING_COLOR)}
    assert marked
    for old in original.worksheets:
        new = wb[old.title]
        for row in old.iter_rows():
            for c in row:
                d = new[c.coordinate]
                assert d.value == c.value, c.coordinate
                assert (copy(d.font), copy(d.border), d.number_format, copy(d.alignment), copy(d.protection)) == \
                       (copy(c.font), copy(c.border), c.number_format, copy(c.alignment), copy(c.protection))
                if (old.title, c.coordinate) not in marked:
                    assert copy(d.fill) == copy(c.fill), c.coordinate
        assert [str(r) for r in new.merged_cells.ranges] == [str(r) for r in old.merged_cells.ranges]
        assert [str(v.sqref) for v in new.data_validations.dataValidation] == \
               [str(v.sqref) for v in old.data_validations.dataValidation]


def test_untouched_parts_are_copied_byte_for_byte(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    dest = tmp_path / "copy.xlsx"
    write_marked_copy_fast(source, ISSUES[:1], dest)  # one issue on the first sheet
    with zipfile.ZipFile(source) as zs, zipfile.ZipFile(dest) as zd:
        for name in ("xl/theme/theme1.xml", "xl/worksheets/sheet2.xml", "docProps/core.xml"):
            assert zd.read(name) == zs.read(name)
            assert zd.getinfo(name).compress_size == zs.getinfo(name).compress_size  # not re-deflated
        assert zd.testzip() is None


def test_defined_names_and_print_settings_follow_their_sheets(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    wb = load(source)
    wb[SHEET].print_area = "A1:I18"
    wb["填表说明"].print_title_rows = "1:1"
    wb.defined_names["总额"] = DefinedName("总额", attr_text=f"'{SHEET}'!$D$6")
    wb[SHEET].defined_names["本表名"] = DefinedName("本表名", attr_text=f"'{SHEET}'!$B$3")
    wb.save(source)
    slow, fast = both_paths(tmp_path, source, ISSUES)
    for path in (slow, fast):
        copy_wb = load(path)
        assert copy_wb.sheetnames == [REVIEW_SHEET, SHEET, "填表说明"]
        assert copy_wb[SHEET].print_area == f"'{SHEET}'!$A$1:$I$18"
        assert copy_wb["填表说明"].print_title_rows.replace("$", "") == "1:1"
        assert copy_wb[REVIEW_SHEET].print_title_rows.replace("$", "") == "3:3"
        assert copy_wb.defined_names["总额"].attr_text == f"'{SHEET}'!$D$6"
        assert copy_wb[SHEET].defined_names["本表名"].attr_text == f"'{SHEET}'!$B$3"
    # and a second round replaces the review sheet and keeps every name on its sheet
    again = tmp_path / "round2.xlsx"
    write_marked_copy_fast(fast, ISSUES[:3], again)
    wb2 = load(again)
    assert wb2.sheetnames == [REVIEW_SHEET, SHEET, "填表说明"]
    assert wb2[SHEET].print_area == f"'{SHEET}'!$A$1:$I$18"
    assert wb2["填表说明"].print_title_rows.replace("$", "") == "1:1"
    assert wb2[REVIEW_SHEET].print_title_rows.replace("$", "") == "3:3"
    with zipfile.ZipFile(again) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert workbook.count("_xlnm.Print_Titles") == 2 and workbook.count(REVIEW_SHEET) == 3


def test_a_second_round_through_the_fast_path(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    first, second = tmp_path / "round1.xlsx", tmp_path / "round2.xlsx"
    write_marked_copy_fast(source, ISSUES[:2], first)
    later = Issue("T006", WARNING, "仍未填写偏差原因", "form.xlsx", SHEET, "F14")
    write_marked_copy_fast(first, [later], second)
    wb = load(second)
    assert wb.sheetnames.count(REVIEW_SHEET) == 1 and wb.sheetnames[0] == REVIEW_SHEET
    assert [r[3] for r in review_rows(wb)] == ["T006"]
    ws = wb[SHEET]
    assert fill_of(ws["D6"]) is None and ws["D6"].comment is None
    assert fill_of(ws["F14"]) == WARNING_COLOR and "仍未填写" in ws["F14"].comment.text
    assert ws["A5"].comment.text == "金额单位为万元，保留两位小数"
    with zipfile.ZipFile(second) as z:
        names = z.namelist()
    assert len([n for n in names if n.startswith("xl/worksheets/sheet")]) == 3  # the stale sheet's part is gone


def test_a_stale_review_sheet_goes_with_everything_only_it_used(tmp_path):
    """A user drew a chart on the 审核意见 sheet of a returned copy: the next round replaces that sheet,
    and its drawing and the chart behind the drawing go with it (parts two levels down)."""
    source = build_form(tmp_path / "form.xlsx")
    first = tmp_path / "round1.xlsx"
    write_marked_copy_fast(source, ISSUES[:2], first)
    wb = load(first)
    review = wb[REVIEW_SHEET]
    chart = BarChart()
    chart.add_data(Reference(review, min_col=1, min_row=1, max_row=3))
    review.add_chart(chart, "H2")
    drawn = tmp_path / "drawn.xlsx"
    wb.save(drawn)
    with zipfile.ZipFile(drawn) as z:
        assert any(n.startswith("xl/charts/") for n in z.namelist())
    second = tmp_path / "round2.xlsx"
    write_marked_copy_fast(drawn, ISSUES[2:3], second)
    with zipfile.ZipFile(second) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
    assert not [n for n in names if n.startswith(("xl/charts/", "xl/drawings/drawing"))], names
    assert "/xl/charts/" not in types
    assert load(second).sheetnames.count(REVIEW_SHEET) == 1


def test_a_styles_part_without_fills_gets_the_reserved_ones(tmp_path):
    """Excel reserves fills 0 and 1 (none, gray125): a fill added as the first would not show. A styles
    part without them (openpyxl cannot even open it) gets them before perfeval's fills."""
    source = rewrite_part(build_form(tmp_path / "form.xlsx"), tmp_path / "odd.xlsx", "xl/styles.xml",
                          lambda d: re.sub(rb"<fills[^>]*>.*?</fills>", b"", d, flags=re.S))
    with pytest.raises(returns.MarkedCopyError):
        write_marked_copy_openpyxl(source, ISSUES, tmp_path / "slow.xlsx")
    write_marked_copy(source, ISSUES, tmp_path / "copy.xlsx")
    wb = load(tmp_path / "copy.xlsx")
    assert fill_of(wb[SHEET]["D6"]) == ERROR_COLOR and fill_of(wb[SHEET]["F14"]) == WARNING_COLOR
    fills = sheet_xml(tmp_path / "copy.xlsx", "xl/styles.xml").find(f"{NS}fills")
    assert [f.find(f"{NS}patternFill").get("patternType") for f in fills][:2] == ["none", "gray125"]


def test_a_format_naming_a_far_font_is_not_padded_to_it(tmp_path):
    source = rewrite_part(build_form(tmp_path / "form.xlsx"), tmp_path / "odd.xlsx", "xl/styles.xml",
                          lambda d: d.replace(b'fontId="0"', b'fontId="20000000"', 1))
    with pytest.raises(Unsupported, match="fonts"):
        write_marked_copy_fast(source, ISSUES, tmp_path / "fast.xlsx")


def test_a_selected_chartsheet_goes_to_openpyxl(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    wb = load(source)
    chartsheet = wb.create_chartsheet("图表")
    chart = BarChart()
    chart.add_data(Reference(wb[SHEET], min_col=4, min_row=6, max_row=8))
    chartsheet.add_chart(chart)
    chartsheet.sheetViews.sheetView[0].tabSelected = True
    wb.save(tmp_path / "chartsheet.xlsx")
    with pytest.raises(Unsupported, match="chartsheet"):
        write_marked_copy_fast(tmp_path / "chartsheet.xlsx", ISSUES, tmp_path / "fast.xlsx")
    write_marked_copy(tmp_path / "chartsheet.xlsx", ISSUES, tmp_path / "copy.xlsx")
    assert load(tmp_path / "copy.xlsx").sheetnames[0] == REVIEW_SHEET


def test_a_kept_comment_moves_below_perfevals_and_back(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    first, second = tmp_path / "round1.xlsx", tmp_path / "round2.xlsx"
    write_marked_copy_fast(source, [Issue("P001", ERROR, "项目资金标签缺失", "form.xlsx", SHEET, "A5")], first)
    text = load(first)[SHEET]["A5"].comment.text
    assert text.index("P001") < text.index("金额单位为万元，保留两位小数")
    write_marked_copy_fast(first, [Issue("B001", ERROR, "别处", "form.xlsx", SHEET, "D6")], second)
    note = load(second)[SHEET]["A5"].comment
    assert note.text == "金额单位为万元，保留两位小数" and note.author != AUTHOR


@pytest.mark.parametrize("writer", [write_marked_copy_fast, returns.write_marked_copy_openpyxl])
def test_the_forms_own_guidance_comments_stay_through_review_rounds(tmp_path, writer):
    """``perfeval template`` writes its guidance comments as "perfeval" too; only review comments go."""
    source = sorted((Path(__file__).parent.parent / "examples" / "seed-2021").glob("01_*.xlsx"))[0]
    guidance = {c.coordinate: c.comment.text for row in load(source)[SHEET].iter_rows() for c in row if c.comment}
    assert {"A5", "E13", "I13"} <= guidance.keys()
    first, second = tmp_path / "round1.xlsx", tmp_path / "round2.xlsx"
    writer(source, [Issue("B001", ERROR, "执行数有误", FILE, SHEET, "E13")], first)
    ws = load(first)[SHEET]
    kept = {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment}
    assert kept.keys() == guidance.keys()
    assert kept["E13"].startswith("B001（错误）：执行数有误") and kept["E13"].endswith(guidance["E13"].strip())
    assert all(kept[ref] == text for ref, text in guidance.items() if ref != "E13")
    writer(first, [Issue("B002", WARNING, "别处", FILE, SHEET, "F13")], second)
    ws = load(second)[SHEET]
    kept = {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment}
    assert kept.keys() == guidance.keys() and kept["E13"] == guidance["E13"].strip()
    assert kept["F13"].startswith("B002（警告）：别处")


def test_a_selected_tab_written_in_any_quoting_is_deselected(tmp_path):
    """Only the review sheet is selected in the copy, else Excel opens the tabs as a group."""
    source = build_form(tmp_path / "form.xlsx")
    wb = load(source)
    wb.create_sheet("附表")["A1"] = "x"
    wb.save(source)
    members = members_of(source)
    for part, attribute in (("xl/worksheets/sheet1.xml", b"tabSelected='1'"),
                            ("xl/worksheets/sheet2.xml", b'tabSelected = "true"')):
        members[part] = re.sub(rb"<sheetView ", b"<sheetView " + attribute + b" ", members[part], count=1)
        members[part] = re.sub(rb'<sheetView ((?:[^>]*? )?)tabSelected="1" ', rb"<sheetView \1", members[part])
    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert len(marks(odd)["selected"]) == 2
    write_marked_copy_fast(odd, ISSUES, tmp_path / "fast.xlsx")
    assert marks(tmp_path / "fast.xlsx")["selected"] == [REVIEW_SHEET]


def test_a_second_round_leaves_no_trace_of_the_dropped_review_sheet(tmp_path):
    """The stale 审核意见 sheet goes with its calculation-chain entries and content-type overrides,
    and its sheetId is not given to the new one (the chain and defined names refer to sheets by id)."""
    source = build_form(tmp_path / "form.xlsx")
    first = tmp_path / "round1.xlsx"
    write_marked_copy_fast(source, ISSUES, first)
    members = members_of(first)
    workbook = members["xl/workbook.xml"].decode()
    stale_id = re.search(r'<sheet [^>]*name="审核意见" sheetId="(\d+)"', workbook).group(1)
    members["xl/calcChain.xml"] = (f'<calcChain xmlns="{NS[1:-1]}"><c r="A1" i="{stale_id}" l="1"/></calcChain>').encode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdChain" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'calcChain" Target="calcChain.xml"/></Relationships>')).encode()
    overrides = "".join(f'<Override PartName="/{name}" ContentType="application/vnd.openxmlformats-package.'
                        'relationships+xml"/>' for name in members if name.endswith(".rels"))
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(b"</Types>", (
        '<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.calcChain+xml"/>{overrides}</Types>').encode())
    resaved = tmp_path / "resaved.xlsx"
    with zipfile.ZipFile(resaved, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    second = tmp_path / "round2.xlsx"
    write_marked_copy_fast(resaved, ISSUES, second)
    with zipfile.ZipFile(second) as z:
        names = {n.lower() for n in z.namelist()}
        types = z.read("[Content_Types].xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    assert "xl/calcchain.xml" not in names and "calcChain" not in rels and "calcChain" not in types
    assert [p for p in re.findall(r'PartName="/([^"]+)"', types) if p.lower() not in names] == []
    ids = re.findall(r'<sheet [^>]*name="([^"]+)" sheetId="(\d+)"', workbook)
    assert ids[0][0] == "审核意见" and ids[0][1] != stale_id and len({i for _, i in ids}) == len(ids)
    assert marks(second)["sheets"] == marks(first)["sheets"]


@pytest.mark.parametrize("writer", [write_marked_copy_fast, returns.write_marked_copy_openpyxl])
def test_a_cell_the_file_left_out_keeps_its_row_or_column_look(tmp_path, writer):
    """Excel leaves out empty cells styled like their column (or their formatted row); the marked
    copy creates them with that style plus the fill, not with the workbook's plain style."""
    from openpyxl.styles import Border, Font, Side

    source = build_form(tmp_path / "form.xlsx", protect=False)
    wb = load(source)
    ws = wb[SHEET]
    thin = Side(style="thin")
    ws.column_dimensions["K"].border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.column_dimensions["K"].font = Font(name="仿宋", size=14)
    ws.row_dimensions[30].font = Font(name="黑体", size=9)
    wb.save(source)
    assert (5, 11) not in load(source)[SHEET]._cells and (30, 11) not in load(source)[SHEET]._cells
    issues = [Issue("P001", ERROR, "列", FILE, SHEET, "K5"), Issue("P002", WARNING, "行", FILE, SHEET, "K30")]
    writer(source, issues, tmp_path / "copy.xlsx")
    copy_ws = load(tmp_path / "copy.xlsx")[SHEET]
    assert fill_of(copy_ws["K5"]) == ERROR_COLOR and copy_ws["K5"].border.left.style == "thin"
    assert copy_ws["K5"].font.name == "仿宋" and copy_ws["K5"].font.sz == 14
    assert fill_of(copy_ws["K30"]) == WARNING_COLOR and copy_ws["K30"].font.name == "黑体"


def sheet_xml(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


def test_new_cells_rows_and_comment_parts_are_in_schema_order(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "表"
    ws["B2"], ws["D2"], ws["B5"] = "a", "b", "c"
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页"
    wb.save(tmp_path / "plain.xlsx")
    issues = [Issue("A", ERROR, "行中", "f", "表", "C2"), Issue("B", WARNING, "行首", "f", "表", "A2"),
              Issue("C", ERROR, "新行", "f", "表", "E3"), Issue("D", WARNING, "末尾", "f", "表", "Z9"),
              Issue("E", ERROR, "已有", "f", "表", "D2")]
    dest = tmp_path / "copy.xlsx"
    write_marked_copy_fast(tmp_path / "plain.xlsx", issues, dest)
    root = sheet_xml(dest, "xl/worksheets/sheet1.xml")
    rows = [(int(r.get("r")), [c.get("r") for c in r]) for r in root.find(f"{NS}sheetData")]
    assert rows == [(2, ["A2", "B2", "C2", "D2"]), (3, ["E3"]), (5, ["B5"]), (9, ["Z9"])]
    order = [el.tag.replace(NS, "") for el in root]
    assert order == sorted(order, key=WS_ORDER.index) and "legacyDrawing" in order
    assert "sheetProtection" not in order
    copy_ws = load(dest)["表"]
    for ref, color in (("A2", WARNING_COLOR), ("C2", ERROR_COLOR), ("D2", ERROR_COLOR), ("E3", ERROR_COLOR),
                       ("Z9", WARNING_COLOR)):
        assert fill_of(copy_ws[ref]) == color
        assert copy_ws[ref].comment.author == AUTHOR
    assert copy_ws["B2"].value == "a" and fill_of(copy_ws["B2"]) is None and copy_ws["B2"].comment is None
    with zipfile.ZipFile(dest) as z:
        types = z.read("[Content_Types].xml").decode()
        for name in z.namelist():
            if name.endswith((".xml", ".rels", ".vml")):
                etree.fromstring(z.read(name))  # every part is well-formed
    assert "comments+xml" in types and "vmlDrawing" in types


def test_excel_namespaces_and_ignorable_prefixes_survive(tmp_path):
    """A sheet as Excel writes it: mc:Ignorable="x14ac xr ..." needs those prefixes declared on the root."""
    source = build_form(tmp_path / "form.xlsx")
    excel = tmp_path / "excel.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(excel, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                    b'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr" '
                    b'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
                    b'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
                    b'xr:uid="{00000000-0001-0000-0000-000000000000}"', 1)
                data = re.sub(rb"<row r=\"(\d+)\"", rb'<row r="\1" spans="1:9" x14ac:dyDescent="0.25"', data)
            zout.writestr(item, data)
    dest = tmp_path / "copy.xlsx"
    write_marked_copy_fast(excel, ISSUES, dest)
    with zipfile.ZipFile(dest) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    head = xml[:xml.index(b">", xml.index(b"<worksheet")) + 1]
    for prefix in (b"x14ac", b"xr", b"mc"):
        assert b"xmlns:" + prefix + b"=" in head
    assert b'mc:Ignorable="x14ac xr"' in head
    assert xml.count(b"x14ac:dyDescent") == xml.count(b"<row ")
    write_marked_copy_openpyxl(excel, ISSUES, tmp_path / "ref.xlsx")
    assert marks(dest) == marks(tmp_path / "ref.xlsx")


def test_a_macro_workbook_is_copied_without_its_project(tmp_path):
    suffix, build = CORPUS["standard_xlsm"]
    source = build(tmp_path / f"form{suffix}")
    dest = tmp_path / "copy.xlsx"
    write_marked_copy_fast(source, probe_issues(source), dest)
    with zipfile.ZipFile(dest) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    assert not [n for n in names if "vba" in n.lower()]
    assert b"macroEnabled" not in types and b"vbaProject" not in types and b"vbaProject" not in rels
    assert load(dest).sheetnames[0] == REVIEW_SHEET


def test_a_hidden_sheet_with_issues_is_shown_and_protection_is_removed_everywhere(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    wb = load(source)
    wb["填表说明"].sheet_state = "hidden"
    wb["填表说明"].protection.sheet = True
    hidden_too = wb.create_sheet("旧表")
    hidden_too.sheet_state = "veryHidden"
    wb.save(source)
    dest = tmp_path / "copy.xlsx"
    write_marked_copy_fast(source, [Issue("F005", WARNING, "说明文字", "form.xlsx", "填表说明", "B1")], dest)
    copy_wb = load(dest)
    assert copy_wb["填表说明"].sheet_state == "visible" and copy_wb["旧表"].sheet_state == "veryHidden"
    assert not any(ws.protection.sheet for ws in copy_wb.worksheets)


def test_a_huge_range_is_clipped_like_openpyxl_does(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    issues = [Issue("F007", WARNING, "整表范围", "form.xlsx", SHEET, "A1:XFD1048576"),
              Issue("F008", ERROR, "整列", "form.xlsx", SHEET, "C1:C1048576")]
    slow, fast = both_paths(tmp_path, source, issues)
    assert marks(fast) == marks(slow)
    ws = load(fast)[SHEET]
    assert fill_of(ws["I18"]) == WARNING_COLOR and fill_of(ws["C17"]) == ERROR_COLOR
    assert ws.max_row * ws.max_column <= MAX_MARKED_CELLS


def rewrite_part(source: Path, dest: Path, part: str, change) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            zout.writestr(item, change(data) if item.filename == part else data)
    return dest


@pytest.mark.parametrize("change, why", [
    (lambda d: d.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=").replace(b"</worksheet>", b"</x:worksheet>")
     .replace(b"<", b"<x:").replace(b"<x:/", b"</x:").replace(b"<x:x:", b"<x:").replace(b"</x:x:", b"</x:"),
     "prefixed namespace"),
    (lambda d: d.replace(b'<c r="D6"', b'<c', 1), "cell without its address"),
    (lambda d: b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x "y">]>' + d, "DOCTYPE"),
    (lambda d: d.replace(b"<sheetData>", b"<sheetData><!-- <c r=\"A1\"/> -->"), "comment among the cells"),
])
def test_odd_packages_fall_back_to_openpyxl(tmp_path, change, why):
    source = rewrite_part(build_form(tmp_path / "form.xlsx"), tmp_path / "odd.xlsx", "xl/worksheets/sheet1.xml", change)
    with pytest.raises(Unsupported):
        write_marked_copy_fast(source, ISSUES, tmp_path / "fast.xlsx")
    assert not (tmp_path / "fast.xlsx").exists() and not list(tmp_path.glob(".~*"))
    if why in ("prefixed namespace", "cell without its address", "comment among the cells"):
        write_marked_copy(source, ISSUES, tmp_path / "copy.xlsx")  # the openpyxl path copies it
        assert load(tmp_path / "copy.xlsx").sheetnames[0] == REVIEW_SHEET
    else:
        with pytest.raises(returns.MarkedCopyError):
            write_marked_copy(source, ISSUES, tmp_path / "copy.xlsx")


def test_a_corrupt_member_is_not_copied(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as z:
        info = z.getinfo("xl/theme/theme1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    data[start] ^= 0xFF  # flip a byte inside the compressed theme
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(data))
    with pytest.raises(Unsupported):
        write_marked_copy_fast(bad, ISSUES, tmp_path / "copy.xlsx")
    with pytest.raises(returns.MarkedCopyError):
        write_marked_copy(bad, ISSUES, tmp_path / "copy.xlsx")


def test_a_member_that_inflates_beyond_its_declared_size_is_not_inflated(tmp_path):
    """A member whose directory declares a few KB but whose deflate stream holds 256 MB of zeros: the fast
    path stops at the declared size (memory stays small) and the openpyxl path copies the form."""
    packer, zeros, chunks = zlib.compressobj(9, zlib.DEFLATED, -15), b"\0" * (1 << 20), []
    for _ in range(256):
        chunks.append(packer.compress(zeros))
    bomb = b"".join(chunks) + packer.flush()
    entries = [(name, *deflate(data), len(data)) for name, data in members_of(build_form(tmp_path / "form.xlsx")).items()]
    entries = [(name, raw, crc, size, size) for name, raw, crc, size, _ in entries]
    entries.append(("xl/media/image1.png", bomb, 0, 256 << 20, 4096))
    source = write_raw_zip(tmp_path / "lying.xlsx", entries)
    tracemalloc.start()
    try:
        with pytest.raises(Unsupported, match="declared size"):
            write_marked_copy_fast(source, ISSUES, tmp_path / "fast.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, peak
    assert not (tmp_path / "fast.xlsx").exists()
    write_marked_copy(source, ISSUES, tmp_path / "copy.xlsx")
    assert load(tmp_path / "copy.xlsx").sheetnames[0] == REVIEW_SHEET


def test_a_doctype_in_a_utf16_part_is_not_copied(tmp_path):
    """b"<!DOCTYPE" does not occur in UTF-16 bytes: the fast path must not parse such a part and write
    it back with its entity references but without their declarations."""
    def utf16_with_entities(data: bytes) -> bytes:
        text = data.decode("utf-8")
        body = text[text.index("<Types"):]
        body = body.replace(">", ">&e;", 1)
        return ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Types [<!ENTITY e "hello">]>' + body).encode("utf-16")
    source = rewrite_part(build_form(tmp_path / "form.xlsx"), tmp_path / "odd.xlsx", "[Content_Types].xml",
                          utf16_with_entities)
    with pytest.raises(Unsupported, match="DOCTYPE"):
        write_marked_copy_fast(source, ISSUES, tmp_path / "fast.xlsx")
    write_marked_copy(source, ISSUES, tmp_path / "copy.xlsx")  # the openpyxl path writes a part of its own
    with zipfile.ZipFile(tmp_path / "copy.xlsx") as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))  # every part well-formed
                assert b"&e;" not in archive.read(name)


def test_a_legacy_drawing_without_its_vml_part_is_not_doubled(tmp_path):
    """<legacyDrawing r:id> naming a relationship that is no VML drawing: adding comments would write a
    second <legacyDrawing>, which Excel repairs; the fast path hands the file to openpyxl instead."""
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/hyperlink" Target="http://example.com" TargetMode="External"/>'
            b'</Relationships>')
    source = write_book(tmp_path / "form.xlsx", [standard_sheet(Form())])
    with zipfile.ZipFile(source) as archive:
        assert "xl/worksheets/_rels/sheet1.xml.rels" not in archive.namelist()
    def add_legacy_drawing(data: bytes) -> bytes:
        if b"xmlns:r=" not in data[:600]:
            data = data.replace(b"<worksheet ", b'<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                                b'officeDocument/2006/relationships" ', 1)
        return data.replace(b"</worksheet>", b'<legacyDrawing r:id="rId99"/></worksheet>')
    odd = rewrite_part(source, tmp_path / "odd.xlsx", "xl/worksheets/sheet1.xml", add_legacy_drawing)
    with zipfile.ZipFile(odd, "a") as archive:
        archive.writestr("xl/worksheets/_rels/sheet1.xml.rels", rels)
    with pytest.raises(Unsupported, match="legacyDrawing"):
        write_marked_copy_fast(odd, ISSUES, tmp_path / "fast.xlsx")


def test_a_missing_source_raises_marked_copy_error(tmp_path):
    with pytest.raises(returns.MarkedCopyError, match="无法读取源文件"):
        write_marked_copy(tmp_path / "gone.xlsx", ISSUES, tmp_path / "copy.xlsx")
    assert not (tmp_path / "copy.xlsx").exists()


def test_the_copy_opens_in_libreoffice(tmp_path):
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("未安装 LibreOffice（soffice），跳过")
    source = CORPUS["template_written"][1](tmp_path / "form.xlsx")
    dest = tmp_path / "copy.xlsx"
    write_marked_copy_fast(source, probe_issues(source), dest)
    out = tmp_path / "csv"
    run_soffice(soffice, tmp_path / "profile",
                "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                "--outdir", str(out), str(dest))
    sheets = sorted(out.glob("*.csv"))
    assert len(sheets) == len(load(source).sheetnames) + 1
    review = next(p for p in sheets if REVIEW_SHEET in p.name).read_text("utf-8")
    assert "B001" in review and HEADERS[5] in review


def libreoffice_resave(path: Path, dest: Path) -> Path:
    """What LibreOffice Calc does to a copy it saves: every comment's author becomes " ", a comment's
    text is split into runs by script, the review sheet's strings become shared strings."""
    wb = load(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None:
                    cell.comment = Comment(cell.comment.text, " ")
    wb.save(dest)
    members = members_of(dest)
    strings: list[bytes] = []

    def shared(m: re.Match) -> bytes:
        strings.append(m.group(2))
        return m.group(1) + b' t="s"><v>%d</v></c>' % (len(strings) - 1)

    for name in [n for n in members if n.startswith("xl/worksheets/sheet")]:
        members[name] = re.sub(rb'(<c [^>]*?) t="inlineStr"><is>(<t[^>]*>[^<]*</t>)</is></c>', shared, members[name])
    members["xl/sharedStrings.xml"] = (f'<sst xmlns="{NS[1:-1]}">'.encode()
                                       + b"".join(b"<si>%s</si>" % t for t in strings) + b"</sst>")
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>'))
    for name in [n for n in members if n.startswith("xl/comments")]:
        members[name] = re.sub(rb"<t>([A-Z]\d{3})((?:(?!</t>).)*)</t>",
                               rb'<r><t xml:space="preserve">\1</t></r><r><t xml:space="preserve">\2</t></r>',
                               members[name], flags=re.S)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return dest


@pytest.mark.parametrize("writer", [write_marked_copy_fast, returns.write_marked_copy_openpyxl])
def test_a_copy_saved_by_libreoffice_loses_the_last_rounds_marks(tmp_path, writer):
    """LibreOffice saves perfeval's comments with the author " ": they are still review comments,
    so a corrected cell loses its comment and fill and a cell still wrong gets one comment, not two."""
    source = build_form(tmp_path / "form.xlsx")
    first = tmp_path / "round1.xlsx"
    writer(source, ISSUES[:3] + [Issue("P001", ERROR, "项目资金标签缺失", FILE, SHEET, "A5")], first)
    resaved = libreoffice_resave(first, tmp_path / "resaved.xlsx")
    with zipfile.ZipFile(resaved) as z:
        comments = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/comments"))
        assert b">perfeval<" not in comments and b"<r><t" in comments
        review = z.read("xl/worksheets/sheet1.xml")
        assert b"inlineStr" not in review and re.search(rb'<c r="A3"[^>]* t="s"><v>', review)  # shared strings
    second = tmp_path / "round2.xlsx"
    writer(resaved, [ISSUES[0], Issue("T006", WARNING, "仍未填写偏差原因", FILE, SHEET, "F14")], second)
    wb = load(second)
    assert wb.sheetnames == [REVIEW_SHEET, SHEET, "填表说明"]
    assert [r[3] for r in review_rows(wb)] == ["B001", "T006"]
    ws = wb[SHEET]
    assert ws["D6"].comment.text == f"B001（错误）：{ISSUES[0].message}" and fill_of(ws["D6"]) == ERROR_COLOR
    assert ws["E6"].comment is None and fill_of(ws["E6"]) is None
    assert ws["A5"].comment.text == "金额单位为万元，保留两位小数" and fill_of(ws["A5"]) is None
    assert fill_of(ws["F14"]) == WARNING_COLOR and ws["F14"].comment.text == "T006（警告）：仍未填写偏差原因"


def test_a_copy_saved_by_libreoffice_itself_loses_the_last_rounds_marks(tmp_path):
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("未安装 LibreOffice（soffice），跳过")
    source = build_form(tmp_path / "form.xlsx")
    first = tmp_path / "round1.xlsx"
    write_marked_copy_fast(source, ISSUES[:3], first)
    run_soffice(soffice, tmp_path / "profile",
                "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "lo"), str(first))
    resaved = tmp_path / "lo" / "round1.xlsx"
    for writer in (write_marked_copy_fast, returns.write_marked_copy_openpyxl):
        second = tmp_path / f"round2_{writer.__name__}.xlsx"
        writer(resaved, [ISSUES[0]], second)
        wb = load(second)
        assert wb.sheetnames.count(REVIEW_SHEET) == 1 and [r[3] for r in review_rows(wb)] == ["B001"]
        ws = wb[SHEET]
        assert ws["D6"].comment.text == f"B001（错误）：{ISSUES[0].message}"
        assert ws["E6"].comment is None and fill_of(ws["E6"]) is None


@pytest.mark.parametrize("writer", [write_marked_copy_fast, returns.write_marked_copy_openpyxl])
def test_a_workbooks_own_sheet_called_like_the_review_sheet_is_kept(tmp_path, writer):
    """A unit's own 审核意见 sheet is not perfeval's: it stays, round after round, and perfeval's is
    named 审核意见_2."""
    source = build_form(tmp_path / "form.xlsx")
    wb = load(source)
    own = wb.create_sheet(REVIEW_SHEET)
    own.append(["科室审核意见"])
    own.append(["同意报送", "张三"])
    wb.save(source)
    first, second = tmp_path / "round1.xlsx", tmp_path / "round2.xlsx"
    writer(source, ISSUES[:2], first)
    writer(first, ISSUES[2:3], second)
    for path, codes in ((first, ["B001", "B005"]), (second, ["B006"])):
        wb = load(path)
        assert wb.sheetnames == ["审核意见_2", SHEET, "填表说明", REVIEW_SHEET], path.name
        assert [[c.value for c in row] for row in wb[REVIEW_SHEET].iter_rows()] == [["科室审核意见", None],
                                                                                    ["同意报送", "张三"]]
        review = wb["审核意见_2"]
        assert review["A3"].value == HEADERS[0] and review.print_title_rows.replace("$", "") == "3:3"
        assert [r[3] for r in review.iter_rows(min_row=4, values_only=True)] == codes
        assert wb.active.title == "审核意见_2"


@pytest.mark.parametrize("writer", [write_marked_copy_fast, returns.write_marked_copy_openpyxl])
def test_a_kept_comment_gets_its_author_back(tmp_path, writer):
    """The comment already on a flagged cell goes below perfeval's lines under a mark naming its
    author; the next round gives it back with that author."""
    source = build_form(tmp_path / "form.xlsx")
    first, second = tmp_path / "round1.xlsx", tmp_path / "round2.xlsx"
    writer(source, [Issue("P001", ERROR, "项目资金标签缺失", FILE, SHEET, "A5")], first)
    note = load(first)[SHEET]["A5"].comment
    assert note.text == "P001（错误）：项目资金标签缺失\n——原批注（模板）——\n金额单位为万元，保留两位小数"
    writer(first, [Issue("B001", ERROR, "别处", FILE, SHEET, "D6")], second)
    note = load(second)[SHEET]["A5"].comment
    assert (note.text, note.author) == ("金额单位为万元，保留两位小数", "模板")


def test_review_comments_spelled_in_character_references_are_found(tmp_path):
    source = build_form(tmp_path / "form.xlsx")
    first = tmp_path / "round1.xlsx"
    write_marked_copy_fast(source, ISSUES[:1], first)
    spelled = "".join(f"&#{ord(ch)};" for ch in "（错误）：").encode()
    odd = rewrite_part(first, tmp_path / "odd.xlsx", "xl/comments/comment1.xml",
                       lambda d: d.replace("（错误）：".encode(), spelled))
    assert "（错误）：".encode() not in members_of(odd)["xl/comments/comment1.xml"]
    second = tmp_path / "round2.xlsx"
    write_marked_copy_fast(odd, [Issue("B002", WARNING, "别处", FILE, SHEET, "E6")], second)
    ws = load(second)[SHEET]
    assert ws["D6"].comment is None and fill_of(ws["D6"]) is None


def test_a_third_round_stays_on_the_fast_path(tmp_path):
    """The new review sheet may take the stale one's part name: it keeps its content type, so the
    next round's copy is a sound package the fast path edits again (not one Excel must repair)."""
    source = build_form(tmp_path / "form.xlsx")
    rounds = [source] + [tmp_path / f"round{n}.xlsx" for n in (1, 2, 3)]
    for n, (before, after) in enumerate(zip(rounds, rounds[1:])):
        write_marked_copy_fast(before, [ISSUES[n]], after)  # raises Unsupported on an odd content type
        with zipfile.ZipFile(after) as z:
            types = z.read("[Content_Types].xml").decode()
            sheets = [name for name in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)]
        typed = set(re.findall(r'PartName="/([^"]+)"[^>]*worksheet\+xml', types))
        assert sorted(typed) == sorted(sheets) and len(sheets) == 3, after.name
    assert [r[3] for r in review_rows(load(rounds[-1]))] == [ISSUES[2].code]


@pytest.mark.parametrize("writer", [write_marked_copy_fast, returns.write_marked_copy_openpyxl])
def test_a_comment_without_author_stays_without_one(tmp_path, writer):
    """openpyxl reads an empty <author/> as "None": a kept comment without author is given back as
    LibreOffice writes one (" "), and never becomes "——原批注（None）——"."""
    source = build_form(tmp_path / "form.xlsx")
    wb = load(source)
    wb[SHEET]["G6"].comment = Comment("单位说明", " ")
    wb.save(source)
    paths = [source] + [tmp_path / f"round{n}.xlsx" for n in (1, 2, 3, 4)]
    flagged = [Issue("B001", ERROR, "有误", FILE, SHEET, "G6"), Issue("B001", ERROR, "别处", FILE, SHEET, "D6")]
    for n, (before, after) in enumerate(zip(paths, paths[1:])):
        writer(before, [flagged[n % 2]], after)
        note = load(after)[SHEET]["G6"].comment
        if n % 2:
            assert (note.text, note.author.strip()) == ("单位说明", ""), after.name
        else:
            assert note.text == "B001（错误）：有误\n——原批注——\n单位说明", after.name


def test_left_out_counts_lines_and_arrows_as_shapes():
    import io

    def package(members: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    drawing = (b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">'
               b'<xdr:twoCellAnchor><xdr:cxnSp macro=""><xdr:nvCxnSpPr/></xdr:cxnSp></xdr:twoCellAnchor></xdr:wsDr>')
    source = package({"xl/workbook.xml": b"<workbook/>", "xl/drawings/drawing1.xml": drawing,
                      "xl/diagrams/data1.xml": b"<dgm/>"})
    assert returns.left_out(source, package({"xl/workbook.xml": b"<workbook/>"})) == ["形状（含线条、文本框）",
                                                                                       "SmartArt 图形"]
    assert returns.left_out(source, source) == []


@pytest.mark.parametrize("spelling", ["cell", "row"])
def test_prefixed_cells_or_rows_go_to_openpyxl(tmp_path, spelling):
    """<x:c r="D6"> (or <x:row r="6">) in the main namespace: the byte scan would not see it and
    would add a second D6 (row 6) beside it, which hides the value."""
    source = build_form(tmp_path / "form.xlsx")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def prefix(xml: bytes) -> bytes:
        xml = xml.replace(b"<worksheet ", f'<worksheet xmlns:x="{main}" '.encode(), 1)
        if spelling == "cell":
            return re.sub(rb'<c r="D6"([^>]*)>(.*?)</c>', rb'<x:c r="D6"\1>\2</x:c>', xml, count=1)
        return re.sub(rb'<row r="6"([^>]*)>(.*?)</row>', rb'<x:row r="6"\1>\2</x:row>', xml, count=1)

    assert_openpyxl_copies(tmp_path, rewrite_part(source, tmp_path / "odd.xlsx", "xl/worksheets/sheet1.xml", prefix),
                           "prefixed")


def assert_openpyxl_copies(tmp_path: Path, odd: Path, why: str) -> None:
    """The odd sheet reads right, the fast path declines it (``why``), the openpyxl copy marks D6."""
    assert load(odd)[SHEET]["D6"].value == 81.2
    with pytest.raises(Unsupported, match=why):
        write_marked_copy_fast(odd, ISSUES[:1], tmp_path / "fast.xlsx")
    write_marked_copy(odd, ISSUES[:1], tmp_path / "copy.xlsx")
    ws = load(tmp_path / "copy.xlsx")[SHEET]
    assert ws["D6"].value == 81.2 and fill_of(ws["D6"]) == ERROR_COLOR


def test_a_comments_part_shared_by_two_sheets_goes_to_openpyxl(tmp_path):
    """A note added to a comments part two sheets share would show on both sheets."""
    source = build_form(tmp_path / "form.xlsx")
    members = members_of(source)
    members["xl/worksheets/_rels/sheet2.xml.rels"] = members["xl/worksheets/_rels/sheet1.xml.rels"]
    members["xl/worksheets/sheet2.xml"] = members["xl/worksheets/sheet2.xml"].replace(
        b"</worksheet>", b'<legacyDrawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                         b'relationships" r:id="anysvml"/></worksheet>')
    shared = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(shared, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    issue = Issue("P002", WARNING, "说明", FILE, "填表说明", "B1")
    with pytest.raises(Unsupported, match="shared"):
        write_marked_copy_fast(shared, [issue], tmp_path / "fast.xlsx")
    write_marked_copy(shared, [issue], tmp_path / "copy.xlsx")
    assert load(tmp_path / "copy.xlsx")[SHEET]["B1"].comment is None


@pytest.mark.parametrize("tag", ["row", "cell"])
def test_a_quoted_angle_bracket_in_a_row_or_cell_attribute_goes_to_openpyxl(tmp_path, tag):
    """<row r="6" v:note="a>b"> is legal XML; the byte scan of rows and cells would end the tag at
    the first ">" and write a broken sheet."""
    source = build_form(tmp_path / "form.xlsx")

    def note(xml: bytes) -> bytes:
        xml = xml.replace(b"<worksheet ", b'<worksheet xmlns:v="urn:perfeval:test" ', 1)
        opening = b'<row r="6"' if tag == "row" else b'<c r="D6"'
        return xml.replace(opening, opening + b' v:note="a>b"', 1)

    assert_openpyxl_copies(tmp_path, rewrite_part(source, tmp_path / "odd.xlsx", "xl/worksheets/sheet1.xml", note),
                           "attribute")
