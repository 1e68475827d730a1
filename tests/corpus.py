"""A corpus of 自评表 workbooks as staff really fill them, built by code (FORM.md §2, §3).

A form is first laid out as a ``Sheet``: a grid of cell values (None for empty) with merged
ranges, in the standard layout that ``perfeval template`` writes (``standard_sheet``). Each variant
then changes that grid the way published forms differ (labels, split columns, moved blocks, code
prefixes, amounts in 元, …) and writes it in one of the formats staff send:

- ``.xlsx`` through XlsxWriter: shared strings and cached formula values, like Excel saves;
- ``.xlsx`` through openpyxl: inline strings and formulas *without* cached values, like a file
  written by a program and never opened in Excel;
- ``.xlsm``: the XlsxWriter file with a VBA project (never run: only its bytes are stored);
- ``.xls`` through xlwt (Excel 97–2003, as WPS still saves);
- ``.ods``: OpenDocument written directly (a zip of ``content.xml``), with spanned cells.

``CORPUS`` maps each variant's name to its builder; ``tests/test_corpus.py`` holds what each must
read as. ``write_corpus(folder)`` writes them all, e.g. for timing ``perfeval check``.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import xlsxwriter

# ---- the grid -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A formula cell. ``cached`` is what Excel stores beside it; a program writing the file with
    openpyxl stores none, whatever this says."""

    text: str  # "=SUM(C7,C9:C10)"
    cached: object = None


@dataclass
class Sheet:
    """One worksheet as a grid: ``rows[r][c]`` (0-based), ``merges`` as (r0, c0, r1, c1) inclusive."""

    name: str
    rows: list[list[object]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False

    def put(self, r: int, c: int, value: object) -> None:
        """Set a cell, growing the grid as needed."""
        while len(self.rows) <= r:
            self.rows.append([])
        row = self.rows[r]
        while len(row) <= c:
            row.append(None)
        row[c] = value

    def get(self, r: int, c: int) -> object:
        """A cell's value, None outside the grid."""
        if r < len(self.rows) and c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        """Merge a range (no-op for a single cell)."""
        if (r0, c0) != (r1, c1):
            self.merges.append((r0, c0, r1, c1))

    def find(self, text: str) -> tuple[int, int]:
        """Where a cell holding exactly ``text`` is (the first in reading order)."""
        for r, row in enumerate(self.rows):
            for c, v in enumerate(row):
                if v == text:
                    return r, c
        raise KeyError(text)

    def relabel(self, old: str, new: object) -> None:
        """Replace the cell holding exactly ``old``."""
        r, c = self.find(old)
        self.rows[r][c] = new

    def insert_rows(self, at: int, count: int = 1, content: list[list[object]] | None = None) -> None:
        """Insert rows before row ``at``, shifting merges (a merge spanning ``at`` grows)."""
        new = [list(x) for x in content] if content else [[] for _ in range(count)]
        count = len(new)
        self.rows[at:at] = new
        self.merges = [(r0 + count if r0 >= at else r0, c0, r1 + count if r1 >= at else r1, c1)
                       for r0, c0, r1, c1 in self.merges]

    def insert_cols(self, at: int, count: int = 1) -> None:
        """Insert empty columns before column ``at``, shifting merges."""
        for row in self.rows:
            if len(row) >= at:
                row[at:at] = [None] * count
        self.merges = [(r0, c0 + count if c0 >= at else c0, r1, c1 + count if c1 >= at else c1)
                       for r0, c0, r1, c1 in self.merges]

    def delete_row(self, at: int) -> None:
        """Remove one row (merges inside it are dropped, merges below move up)."""
        del self.rows[at]
        kept = []
        for r0, c0, r1, c1 in self.merges:
            if r0 == r1 == at:
                continue
            kept.append((r0 - 1 if r0 > at else r0, c0, r1 - 1 if r1 >= at else r1, c1))
        self.merges = kept

    def covered(self) -> dict[tuple[int, int], tuple[int, int, int, int]]:
        """Every cell inside a merge except its top-left anchor -> the merge."""
        out = {}
        for m in self.merges:
            r0, c0, r1, c1 = m
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        out[(r, c)] = m
        return out

    def cells(self):
        """(r, c, value) of every non-empty cell that is not hidden under a merge."""
        covered = self.covered()
        for r, row in enumerate(self.rows):
            for c, v in enumerate(row):
                if v is not None and v != "" and (r, c) not in covered:
                    yield r, c, v


# ---- the standard form --------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One 三级指标 row as the unit typed it."""

    level1: object
    level2: object
    name: object
    target: object
    actual: object
    weight: object
    score: object
    deviation: object = None


BASE_ROWS = (
    Row("产出指标", "数量指标", "大型集中宣传活动", "≥50次", "60余次", 15, 15),
    Row("产出指标", "数量指标", "宣传手册及制品", "6.5万份", "6.76万份", 10, 10),
    Row("产出指标", "质量指标", "宣传覆盖率", "≥90%", "95%", 10, 10),
    Row("产出指标", "时效指标", "宣传活动完成时间", "2021年12月底前", "2021年11月完成", 10, 10),
    Row("产出指标", "成本指标", "单次宣传活动成本", "≤5万元", "4.8万元", 5, 5),
    Row("效益指标", "社会效益指标", "群众防范非法集资意识", "有效提升", "显著提升", 30, 30),
    Row("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10),
)

# label -> (a0, A, B); 年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金
BASE_FUNDS = (
    ("年度资金总额", 25.0, 22.5, 20.25),
    ("其中：当年财政拨款", 20.0, 18.0, 16.2),
    ("其中：本级资金", 20.0, 18.0, 16.2),
    ("上年结转资金", 5.0, 4.5, 4.05),
    ("其他资金", None, None, None),
)

STANDARD_FUNDS_HEADERS = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
STANDARD_INDICATOR_HEADERS = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                              "偏差原因分析及改进措施")
EXTRA_LABELS = ("项目编码", "项目类型", "资金用途、使用方向", "填报人", "联系电话")


@dataclass(frozen=True)
class Form:
    """What a unit filled in, laid out by ``standard_sheet``."""

    name: object = "金融监管工作经费"
    department: object = "长沙市开福区人民政府"
    implementer: object = "长沙市开福区金融事务中心"
    year: int = 2021
    title: str = "项目支出绩效自评表"
    funds: tuple = BASE_FUNDS
    funds_headers: tuple = STANDARD_FUNDS_HEADERS  # amount columns first, then 分值, 执行率, 得分
    funds_label: str = "项目资金（万元）"
    weight: object = 10
    rate: object = 0.9
    budget_score: object = 9
    goal_labels: tuple = ("预期目标", "实际完成情况")
    goal: object = "组织10场银企对接会，开展大型宣传活动50次。"
    achievement: object = "全年共组织14场银企对接会，开展大型集中宣传活动60余次。"
    indicator_block: str = "绩效指标"
    indicator_headers: tuple = STANDARD_INDICATOR_HEADERS
    rows: tuple = BASE_ROWS
    total: object = 99
    extras: tuple = ("KF2021004", "经常性", "用于金融行业监管工作", "文琼", "0731-00000000")
    sheet: str = "项目支出绩效自评表"


def form(**changes) -> Form:
    """The base form with some fields changed."""
    return replace(Form(), **changes)


def standard_sheet(f: Form) -> Sheet:
    """The form in the layout ``perfeval template`` writes (FORM.md §1): A:I, merged as published."""
    s = Sheet(f.sheet)
    last = 8
    s.put(0, 0, f.title)
    s.merge(0, 0, 0, last)
    s.put(1, 0, f"（{f.year}年度）")
    s.merge(1, 0, 1, last)
    s.put(2, 0, "项目名称")
    s.put(2, 1, f.name)
    s.merge(2, 1, 2, last)
    s.put(3, 0, "主管部门")
    s.put(3, 1, f.department)
    s.merge(3, 1, 3, 4)
    s.put(3, 5, "实施单位")
    s.put(3, 6, f.implementer)
    s.merge(3, 6, 3, last)
    r = 4
    s.put(r, 0, f.funds_label)
    for k, header in enumerate(f.funds_headers):
        s.put(r, 2 + k, header)
    amounts = len(f.funds_headers) - 3
    for label, *values in f.funds:
        r += 1
        s.put(r, 1, label)
        for k, v in enumerate(values[-amounts:]):
            s.put(r, 2 + k, v)
        points = (f.weight, f.rate, f.budget_score) if r == 5 else ("—", "—", "—")
        for k, v in enumerate(points):
            s.put(r, 2 + amounts + k, v)
    s.merge(4, 0, r, 0)
    r += 1
    s.put(r, 0, "年度总体目标")
    s.put(r, 1, f.goal_labels[0])
    s.merge(r, 1, r, 4)
    s.put(r, 5, f.goal_labels[1])
    s.merge(r, 5, r, last)
    s.put(r + 1, 1, f.goal)
    s.merge(r + 1, 1, r + 1, 4)
    s.put(r + 1, 5, f.achievement)
    s.merge(r + 1, 5, r + 1, last)
    s.merge(r, 0, r + 1, 0)
    r += 2
    header = r
    s.put(r, 0, f.indicator_block)
    for k, text in enumerate(f.indicator_headers):
        s.put(r, 1 + k, text)
    _put_indicator_rows(s, r + 1, f.rows)
    r += len(f.rows)
    s.merge(header, 0, r, 0)
    r += 1
    s.put(r, 0, "总分")
    s.merge(r, 0, r, 5)
    s.put(r, 6, 100)
    s.put(r, 7, f.total)
    r += 1
    s.put(r, 0, "补充信息")
    s.merge(r, 0, r + 1, 0)
    for (c0, c1), label, value in zip(((1, 2), (3, 3), (4, 5), (6, 6), (7, 8)), EXTRA_LABELS, f.extras):
        s.put(r, c0, label)
        s.put(r + 1, c0, value)
        s.merge(r, c0, r, c1)
        s.merge(r + 1, c0, r + 1, c1)
    return s


def _put_indicator_rows(s: Sheet, first: int, rows: tuple[Row, ...], col: int = 1) -> None:
    """Indicator rows with 一级/二级指标 written once and merged down over their run."""
    runs1: list[list[int]] = []
    runs2: list[list[int]] = []
    for k, row in enumerate(rows):
        r = first + k
        key1, key2 = row.level1, (row.level1, row.level2)
        if k and rows[k - 1].level1 == key1:
            runs1[-1][1] = r
        else:
            runs1.append([r, r])
            s.put(r, col, row.level1)
        if k and (rows[k - 1].level1, rows[k - 1].level2) == key2:
            runs2[-1][1] = r
        else:
            runs2.append([r, r])
            s.put(r, col + 1, row.level2)
        for j, v in enumerate((row.name, row.target, row.actual, row.weight, row.score, row.deviation)):
            s.put(r, col + 2 + j, v)
    for r0, r1 in runs1:
        s.merge(r0, col, r1, col)
    for r0, r1 in runs2:
        s.merge(r0, col + 1, r1, col + 1)


def unit_sheet(name: str = "长沙市开福区金融事务中心") -> Sheet:
    """A 单位情况 sheet (FORM.md §4): 项目 | 内容."""
    s = Sheet("单位情况")
    items = (("项目", "内容"), ("单位名称", name), ("年度", "2021"), ("主管部门", "长沙市开福区人民政府"),
             ("本级资金名称", "区级"), ("资金使用管理情况", "项目资金按管理办法统筹支配。"),
             ("绩效评价工作情况", "由办公室牵头开展绩效自评。"), ("存在的问题", "“打早打小”受制约。"),
             ("有关建议", "强化宣传教育。"), ("其他需要说明的问题", "无"), ("联系人", "文琼"),
             ("联系电话", "0731-00000000"), ("报送日期", "2022年1月10日"))
    for r, (k, v) in enumerate(items):
        s.put(r, 0, k)
        s.put(r, 1, v)
    return s


def guide_sheet() -> Sheet:
    """A sheet that is no form (填表说明), as the template ships."""
    s = Sheet("填表说明")
    s.put(0, 0, "填表说明")
    s.put(1, 0, "一、总体要求")
    s.put(1, 1, "每个项目填写一张自评表。金额单位为万元。")
    return s


# ---- writers ------------------------------------------------------------------------------


def write_book(path: Path, sheets: list[Sheet], *, program: bool = False) -> Path:
    """Write ``sheets`` in the format of ``path``'s suffix; ``program=True`` writes .xlsx with openpyxl
    (inline strings, formulas without cached values)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx" and program:
        write_openpyxl(path, sheets)
    elif suffix in (".xlsx", ".xlsm"):
        write_xlsxwriter(path, sheets, vba=suffix == ".xlsm")
    elif suffix == ".xltx":
        write_xltx(path, sheets)
    elif suffix in (".xls", ".xlt", ".et", ".ett"):
        # an .xlt is an .xls with another name; so is the .et that WPS 表格 saves in its own format
        # (a compound file whose Workbook stream is BIFF8, the structure WPS shares with Excel 97–2003)
        write_xls(path, sheets)
    elif suffix == ".ods":
        write_ods(path, sheets)
    else:
        raise ValueError(suffix)
    return path


def write_xlsxwriter(path: Path, sheets: list[Sheet], vba: bool = False) -> None:
    """Excel-like .xlsx/.xlsm: shared strings, cached formula values, merged ranges."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        covered = sheet.covered()
        for r0, c0, r1, c1 in sheet.merges:
            value = sheet.get(r0, c0)
            ws.merge_range(r0, c0, r1, c1, "" if value is None or isinstance(value, Formula) else value)
        for r, c, v in sheet.cells():
            if isinstance(v, Formula):
                ws.write_formula(r, c, v.text, None, "" if v.cached is None else v.cached)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_format)
            elif (r, c) not in covered and not any((r, c) == (m[0], m[1]) for m in sheet.merges):
                ws.write(r, c, v)
        if sheet.hidden:
            ws.hide()
    if vba:
        # A VBA project is stored, never run: calamine reads the cells only. Its bytes need not be a
        # real project for that, so a stub stands in.
        stub = path.with_name(path.name + ".vbaProject.bin")
        stub.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Attribute VB_Name = \"Module1\"")
        wb.add_vba_project(str(stub))
        wb.close()
        stub.unlink()
    else:
        wb.close()


def write_openpyxl(path: Path, sheets: list[Sheet]) -> None:
    """A program-written .xlsx: inline strings, formulas without cached values."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        for r, c, v in sheet.cells():
            ws.cell(r + 1, c + 1, v.text if isinstance(v, Formula) else v)
        for r0, c0, r1, c1 in sheet.merges:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        if sheet.hidden:
            ws.sheet_state = "hidden"
    wb.save(path)


def write_xltx(path: Path, sheets: list[Sheet]) -> None:
    """An Excel template (.xltx): an .xlsx package whose workbook part has the template content type."""
    write_xlsxwriter(path, sheets)
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"spreadsheetml.template.main+xml")
            archive.writestr(info, data)


def write_xls(path: Path, sheets: list[Sheet]) -> None:
    """Excel 97–2003 (.xls, BIFF8) through xlwt."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for sheet in sheets:
        ws = wb.add_sheet(sheet.name, cell_overwrite_ok=True)
        anchors = {(m[0], m[1]): m for m in sheet.merges}
        for r, c, v in sheet.cells():
            if isinstance(v, Formula):
                v = xlwt.Formula(v.text.lstrip("="))
            style = date_style if isinstance(v, dt.date) else xlwt.Style.default_style
            if (r, c) in anchors:
                r0, c0, r1, c1 = anchors.pop((r, c))
                ws.write_merge(r0, r1, c0, c1, v, style)
            else:
                ws.write(r, c, v, style)
        for r0, c0, r1, c1 in anchors.values():  # merges over an empty anchor
            ws.merge(r0, r1, c0, c1)
        if sheet.hidden:
            ws.visibility = 1
    wb.save(str(path))


_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2"')
_ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def write_ods(path: Path, sheets: list[Sheet]) -> None:
    """OpenDocument spreadsheet, written directly: spanned cells, covered cells, hidden tables."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}>'
             '<office:automatic-styles><style:style style:name="hiddenTable" style:family="table">'
             '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
             '<office:body><office:spreadsheet>']
    for sheet in sheets:
        style = ' table:style-name="hiddenTable"' if sheet.hidden else ""
        parts.append(f'<table:table table:name="{escape(sheet.name)}"{style}>')
        covered = sheet.covered()
        spans = {(m[0], m[1]): m for m in sheet.merges}
        width = max((len(row) for row in sheet.rows), default=0)
        width = max([width] + [m[3] + 1 for m in sheet.merges])
        height = max([len(sheet.rows)] + [m[2] + 1 for m in sheet.merges])
        for r in range(height):
            parts.append("<table:table-row>")
            for c in range(width):
                if (r, c) in covered:
                    parts.append("<table:covered-table-cell/>")
                    continue
                attrs = ""
                if (r, c) in spans:
                    r0, c0, r1, c1 = spans[(r, c)]
                    attrs = f' table:number-rows-spanned="{r1 - r0 + 1}" table:number-columns-spanned="{c1 - c0 + 1}"'
                parts.append(_ods_cell(sheet.get(r, c), attrs))
            parts.append("</table:table-row>")
        parts.append("</table:table>")
    parts.append("</office:spreadsheet></office:body></office:document-content>")
    write_ods_package(path, "".join(parts))


def write_ods_package(path: Path, content: str) -> None:
    """An .ods package of the given content.xml."""
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIME}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), _ODS_MIME)  # first and stored, as the format requires
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)


def _ods_cell(v: object, attrs: str) -> str:
    if v is None or v == "":
        return f"<table:table-cell{attrs}/>"
    if isinstance(v, Formula):
        cached = "" if v.cached is None else f' office:value-type="float" office:value="{v.cached}"'
        return f'<table:table-cell{attrs} table:formula="of:{escape(v.text)}"{cached}/>'
    if isinstance(v, bool):
        return f'<table:table-cell{attrs} office:value-type="boolean" office:boolean-value="{str(v).lower()}"/>'
    if isinstance(v, (int, float)):
        return f'<table:table-cell{attrs} office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
    if isinstance(v, dt.date):
        return (f'<table:table-cell{attrs} office:value-type="date" office:date-value="{v.isoformat()}">'
                f'<text:p>{v.isoformat()}</text:p></table:table-cell>')
    lines = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(v).split("\n"))
    return f'<table:table-cell{attrs} office:value-type="string">{lines}</table:table-cell>'


# ---- the variants -------------------------------------------------------------------------

Builder = Callable[[Path], Path]
CORPUS: dict[str, tuple[str, Builder]] = {}  # name -> (suffix, write(path) -> path)


def variant(name: str, suffix: str = ".xlsx"):
    """Register a builder under ``name``; it writes one workbook to the path it is given."""
    def register(func: Builder) -> Builder:
        CORPUS[name] = (suffix, func)
        return func
    return register


def write_corpus(folder: Path) -> list[Path]:
    """Write every variant into ``folder`` as ``<name><suffix>``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    return [func(folder / f"{name}{suffix}") for name, (suffix, func) in CORPUS.items()]


def _one(f: Form = Form(), edit: Callable[[Sheet], None] | None = None, **options) -> Builder:
    """A builder for a workbook holding the standard sheet of ``f``, changed by ``edit``."""
    def build(path: Path) -> Path:
        sheet = standard_sheet(f)
        if edit is not None:
            edit(sheet)
        return write_book(path, [sheet], **options)
    return build


# formats: the same form in every format
for _suffix in (".xlsx", ".xlsm", ".xls", ".ods", ".xltx", ".xlt", ".et"):
    variant(f"standard{_suffix.replace('.', '_')}", _suffix)(_one())
variant("standard_program_written")(_one(program=True))


@variant("template_written")
def build_template_written(path: Path) -> Path:
    """The form as ``perfeval template`` fills it (openpyxl, protected, validations, comments)."""
    from perfeval import template
    from perfeval.model import Amount, Funds, FundsRow, Indicator, Project, Value

    def amount(x):
        return Amount(x, "", "" if x is None else str(x))

    def row(label, a0, a, b):
        return FundsRow(label, amount(a0), amount(a), amount(b))

    indicators = tuple(Indicator(r.level1, r.level2, r.name, Value(text=r.target), Value(text=r.actual),
                                 amount(r.weight), amount(r.score)) for r in BASE_ROWS)
    funds = Funds(total=row(*BASE_FUNDS[0]), appropriation=row(*BASE_FUNDS[1]), own_level=row(*BASE_FUNDS[2]),
                  carryover=row(*BASE_FUNDS[3]), other=row(*BASE_FUNDS[4]), weight=amount(10.0),
                  rate_written=amount(0.9), score_written=amount(9.0))
    f = Form()
    project = Project(file="", sheet="", name=f.name, code=f.extras[0], department=f.department,
                      implementer=f.implementer, year=2021, goal=f.goal, achievement=f.achievement, funds=funds,
                      indicators=indicators, total_written=amount(99.0), project_type=f.extras[1],
                      fund_use=f.extras[2], filler=f.extras[3], phone=f.extras[4])
    template.write_form(path, project)
    return path


# label synonyms (FORM.md §2 table): one workbook per synonym, the rest of the form standard
SYNONYMS = {
    "全年预算数": ("调整后预算数", "调整预算数", "预算数", "全年预算数（A）"),
    "年初预算数": ("年初预算",),
    "全年执行数": ("预算执行数", "执行数", "全年执行数（B）"),
    "执行率": ("执行率（B/A）", "预算执行率"),
    "分值": ("权重",),
    "年度资金总额": ("资金总额", "总额", "合计"),
    "其中：当年财政拨款": ("本年财政拨款", "财政拨款", "财政资金", "本年一般公共预算拨款"),
    "其中：本级资金": ("区级资金", "县级资金", "市级资金"),
    "上年结转资金": ("上年结转", "结转资金"),
    "其他资金": ("单位资金", "财政专户管理资金"),
    "年度指标值": ("指标值", "年度指标值（A）", "年初目标值"),
    "实际完成值": ("完成值", "全年实际值", "实际完成值（B）"),
    "偏差原因分析及改进措施": ("未完成原因分析", "偏差原因", "未完成原因分析及改进措施"),
    "主管部门": ("主管部门及代码", "预算部门"),
    "实施单位": ("项目实施单位", "实施单位（盖章）"),
}
GOAL_SYNONYMS = (("年初设定目标", "年度总体目标完成情况"), ("年度目标", "年度目标完成情况"))
FUNDS_ROW_LABELS = {label for label, *_ in BASE_FUNDS}


def _relabel_everywhere(standard: str, synonym: str) -> Callable[[Sheet], None]:
    def edit(sheet: Sheet) -> None:
        for r, row in enumerate(sheet.rows):
            for c, v in enumerate(row):
                if v == standard:
                    row[c] = synonym
    return edit


for _standard, _synonyms in SYNONYMS.items():
    for _k, _synonym in enumerate(_synonyms, 1):
        variant(f"label_{_standard.replace('：', '_')}_{_k}")(_one(edit=_relabel_everywhere(_standard, _synonym)))
for _k, (_goal, _achievement) in enumerate(GOAL_SYNONYMS, 1):
    variant(f"label_goals_{_k}")(_one(form(goal_labels=(_goal, _achievement))))


@variant("split_target_columns")
def build_split_target_columns(path: Path) -> Path:
    """Sichuan-style: 指标性质 | 指标值 | 度量单位, and 实际完成值 split from its unit too."""
    s = standard_sheet(form(rows=()))
    header, _ = s.find("一级指标")
    headers = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "计量单位",
               "分值", "得分", "偏差原因分析及改进措施")
    for k, text in enumerate(headers):
        s.put(header, 1 + k, text)
    rows = [
        ("产出指标", "数量指标", "养护里程", "≥", 266, "公里", 270, "公里", 30, 30, None),
        ("产出指标", "质量指标", "路面合格率", "≥", 95, "%", 0.98, None, 20, 20, None),
        ("产出指标", "成本指标", "每公里养护成本", "≤", 1.2, "万元", 1.15, "万元", 10, 10, None),
        ("效益指标", "社会效益指标", "通行条件", "定性", "明显改善", None, "明显改善", None, 20, 20, None),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥", 90, "%", 92, "%", 10, 10, None),
    ]
    s.insert_rows(header + 1, content=[[None] + list(row) for row in rows])
    s.merges = [m for m in s.merges if m[0] != header] + [(header, 0, header + len(rows), 0)]
    total, _ = s.find("总分")
    s.rows[total][6:8] = [None, None]
    s.put(total, 9, 100)
    s.put(total, 10, 99)
    return write_book(path, [s])


@variant("funds_only_budget_and_actual")
def build_funds_only_budget_and_actual(path: Path) -> Path:
    """No 年初预算数 column: 预算数 | 执行数 | 分值 | 执行率 | 得分."""
    f = form(funds_headers=("预算数", "执行数", "分值", "执行率", "得分"),
             funds=(("年度资金总额", 22.5, 20.25), ("其中：财政拨款", 18.0, 16.2), ("上年结转资金", 4.5, 4.05)))
    return write_book(path, [standard_sheet(f)])


@variant("funds_only_initial_budget")
def build_funds_only_initial_budget(path: Path) -> Path:
    """Only 年初预算数 and 全年执行数: A falls back to a0 (B013)."""
    f = form(funds_headers=("年初预算数", "全年执行数", "分值", "执行率", "得分"),
             funds=(("年度资金总额", 25.0, 20.25), ("其中：当年财政拨款", 25.0, 20.25)), rate=0.81, budget_score=8.1,
             total=98.1)
    return write_book(path, [standard_sheet(f)])


@variant("header_points")
def build_header_points(path: Path) -> Path:
    """产出指标(50分), 效益指标（30分）, 满意度指标(10分), 绩效指标（90分）, 预算执行情况（10分）."""
    rows = tuple(replace(r, level1={"产出指标": "产出指标(50分)", "效益指标": "效益指标（30分）",
                                     "满意度指标": "满意度指标(10分)"}[r.level1]) for r in BASE_ROWS)
    # the rows disagree with two of the headers (55 and 25 points): a check's business, not the reader's
    rows = tuple(replace(r, weight=20, score=20) if r.name == "大型集中宣传活动" else
                 replace(r, weight=25, score=25) if r.level1.startswith("效益") else r for r in rows)
    f = form(rows=rows, indicator_block="绩效指标（90分）", funds_label="预算执行情况（10分）")
    return write_book(path, [standard_sheet(f)])


@variant("code_prefixes")
def build_code_prefixes(path: Path) -> Path:
    """Codes before names; no 项目编码 in the extra block, so the name's code is the project's."""
    f = form(name="51000021R000000019951-工资性支出", department="219001-池州市贵池区棠溪镇人民政府",
             implementer="219001001 池州市贵池区棠溪镇财政所", extras=(None, "经常性", "用于金融行业监管工作", "文琼",
                                                               "0731-00000000"))
    return write_book(path, [standard_sheet(f)])


@variant("several_projects")
def build_several_projects(path: Path) -> Path:
    """Two forms, a 单位情况 sheet, a guide sheet and a scratch sheet in one workbook."""
    second = form(name="打非案件司法鉴定中介费", sheet="项目2", extras=("KF2021005",) + Form().extras[1:])
    scratch = Sheet("Sheet3")
    scratch.put(0, 0, "计算过程")
    scratch.put(1, 0, 22.5)
    sheets = [guide_sheet(), standard_sheet(form(sheet="项目1")), standard_sheet(second), unit_sheet(), scratch]
    return write_book(path, sheets)


@variant("signature_rows")
def build_signature_rows(path: Path) -> Path:
    """项目负责人 / 财务负责人 / 填报日期 / 单位盖章 rows under the form."""
    s = standard_sheet(Form())
    end = len(s.rows)
    s.put(end + 1, 0, "项目负责人：")
    s.put(end + 1, 1, "张三")
    s.put(end + 1, 3, "财务负责人：")
    s.put(end + 1, 4, "李四")
    s.put(end + 1, 6, "填报日期：")
    s.put(end + 1, 7, dt.date(2022, 1, 10))
    s.put(end + 2, 0, "单位盖章：")
    return write_book(path, [s])


@variant("signature_rows_right_under_indicators")
def build_signature_rows_right_under_indicators(path: Path) -> Path:
    """No 总分 row and no extra block: the signatures follow the last indicator directly."""
    s = standard_sheet(Form())
    total, _ = s.find("总分")
    del s.rows[total:]
    s.merges = [m for m in s.merges if m[0] < total]
    s.put(total, 0, "项目负责人：张三")
    s.put(total, 3, "财务负责人：李四")
    s.put(total, 6, "填报日期：2022年1月10日")
    return write_book(path, [s])


@variant("no_satisfaction")
def build_no_satisfaction(path: Path) -> Path:
    """No 满意度 rows: 效益指标 carries 40 points."""
    rows = tuple(r for r in BASE_ROWS if r.level1 != "满意度指标")
    rows = tuple(replace(r, weight=40, score=40) if r.level1 == "效益指标" else r for r in rows)
    return write_book(path, [standard_sheet(form(rows=rows))])


@variant("cost_as_level1")
def build_cost_as_level1(path: Path) -> Path:
    """成本指标 as its own 一级指标 (财预〔2021〕101号), 二级 经济成本指标."""
    rows = tuple(replace(r, level1="成本指标", level2="经济成本指标") if r.level2 == "成本指标" else r for r in BASE_ROWS)
    rows = rows[:4] + rows[5:6] + rows[4:5] + rows[6:]  # 成本 after 效益, as some forms order them
    return write_book(path, [standard_sheet(form(rows=rows))])


@variant("moved_blocks")
def build_moved_blocks(path: Path) -> Path:
    """A title block above, two empty columns on the left, blank rows between the blocks."""
    s = standard_sheet(Form())
    goal, _ = s.find("年度总体目标")
    indicators, _ = s.find("绩效指标")
    s.insert_rows(indicators, 1)
    s.insert_rows(goal, 2)
    s.insert_cols(0, 2)
    s.insert_rows(0, content=[["附件3"], [None, None, "部门（单位）名称：长沙市开福区金融事务中心"], []])
    return write_book(path, [s])


@variant("moved_columns")
def build_moved_columns(path: Path) -> Path:
    """Indicator columns in another order: 分值 before the values, 得分 last but one."""
    order = (0, 1, 2, 5, 3, 4, 6, 7)  # 一级 二级 三级 分值 年度指标值 实际完成值 得分 偏差
    s = standard_sheet(Form())
    header, _ = s.find("一级指标")
    for r in range(header, header + len(BASE_ROWS) + 1):
        old = [s.get(r, 1 + k) for k in range(8)]
        for k, src in enumerate(order):
            s.put(r, 1 + k, old[src])
    return write_book(path, [s])


@variant("name_in_one_cell")
def build_name_in_one_cell(path: Path) -> Path:
    """"项目名称：XXX", "主管部门：XXX", "实施单位：XXX" each written in one cell."""
    s = standard_sheet(Form())
    r, _ = s.find("项目名称")
    s.put(r, 0, "项目名称：金融监管工作经费")
    s.put(r, 1, None)
    s.merges = [m for m in s.merges if m[0] != r] + [(r, 0, r, 8)]
    r, _ = s.find("主管部门")
    s.put(r, 0, "主管部门：长沙市开福区人民政府")
    s.put(r, 1, None)
    s.put(r, 5, "实施单位：长沙市开福区金融事务中心")
    s.put(r, 6, None)
    s.merges = [m for m in s.merges if m[0] != r] + [(r, 0, r, 4), (r, 5, r, 8)]
    return write_book(path, [s])


_YUAN_FUNDS = (("年度资金总额", 250000, 225000, 202500), ("其中：当年财政拨款", 200000, 180000, 162000),
               ("其中：本级资金", 200000, 180000, 162000), ("上年结转资金", 50000, 45000, 40500),
               ("其他资金", None, None, None))


@variant("yuan_by_note_above")
def build_yuan_by_note_above(path: Path) -> Path:
    """"金额单位：元" in a line above the table; amounts typed in 元."""
    s = standard_sheet(form(funds=_YUAN_FUNDS, funds_label="项目资金"))
    s.insert_rows(2, content=[[None, None, None, None, None, None, "金额单位：元"]])
    return write_book(path, [s])


@variant("yuan_by_funds_label")
def build_yuan_by_funds_label(path: Path) -> Path:
    """项目资金（元）."""
    return write_book(path, [standard_sheet(form(funds=_YUAN_FUNDS, funds_label="项目资金（元）"))])


@variant("yuan_looking_amounts")
def build_yuan_looking_amounts(path: Path) -> Path:
    """A 万元 form whose amounts are obviously 元: read as written, flagged by the B008 check."""
    return write_book(path, [standard_sheet(form(funds=_YUAN_FUNDS))])


@variant("yuan_in_the_cells")
def build_yuan_in_the_cells(path: Path) -> Path:
    """A 万元 form whose amounts are typed with their unit, in 元: "250000元" is 25 万元, not 250,000."""
    funds = tuple((label, *(None if x is None else f"{x * 10000:.0f}元" for x in row))
                  for label, *row in BASE_FUNDS)
    return write_book(path, [standard_sheet(form(funds=funds))])


@variant("wan_in_a_yuan_form")
def build_wan_in_a_yuan_form(path: Path) -> Path:
    """A form in 元 (项目资金（元）) whose amounts say 万元 themselves: the cell's own unit counts."""
    funds = tuple((label, *(None if x is None else f"{x}万元" for x in row)) for label, *row in BASE_FUNDS)
    return write_book(path, [standard_sheet(form(funds=funds, funds_label="项目资金（元）"))])


@variant("values_as_numbers")
def build_values_as_numbers(path: Path) -> Path:
    """Targets and actuals typed as numbers; percentages as 0.98, 98 and "98%"; amounts as text."""
    rows = (
        Row("产出指标", "数量指标", "大型集中宣传活动", 50, 60, 20, 20),
        Row("产出指标", "质量指标", "宣传覆盖率", "≥98%", 0.99, 10, 10),
        Row("产出指标", "质量指标", "资料发放准确率", "≥98%", 98, 10, 10),
        Row("产出指标", "质量指标", "问题整改率", 0.98, "98%", 10, 10),
        Row("效益指标", "社会效益指标", "群众防范非法集资意识", "有效提升", "有效提升", 30, 30),
        Row("满意度指标", "服务对象满意度指标", "服务对象满意度", "90%", "95%", 10, 10),
    )
    funds = (("年度资金总额", "25.00", "22.50", "20.25"), ("其中：当年财政拨款", "20", "18", "16.2"),
             ("其中：本级资金", "20", "18", "16.2"), ("上年结转资金", "5", "4.5", "4.05"), ("其他资金", None, None, None))
    return write_book(path, [standard_sheet(form(rows=rows, funds=funds, rate="90%", budget_score="9"))])


@variant("lookalike_comparators")
def build_lookalike_comparators(path: Path) -> Path:
    """≧ ≦ ═, ">= 98 %(百分比)", numbers glued to words ("发放6.76万份", "满意度95%"), "100%覆盖",
    "全天候", full-width digits."""
    rows = (
        Row("产出指标", "数量指标", "大型集中宣传活动", "≧50次", "６０次", 10, 10),
        Row("产出指标", "数量指标", "宣传手册", "＞＝6.5万份", "发放6.76万份", 10, 10),
        Row("产出指标", "质量指标", "资料准确率", ">= 98 %(百分比)", "99%", 10, 10),
        Row("产出指标", "质量指标", "社区覆盖", "═100%", "100%覆盖", 5, 5),
        Row("产出指标", "时效指标", "服务时间", "全天候", "全天候", 10, 10),
        Row("产出指标", "成本指标", "单次活动成本", "≦5万元", "4.8万元", 5, 5),
        Row("效益指标", "社会效益指标", "覆盖人群", "≥3万人次", "3.47万人次", 30, 30),
        Row("满意度指标", "服务对象满意度指标", "服务对象满意度", "不低于90%", "满意度95%", 10, 10),
    )
    return write_book(path, [standard_sheet(form(rows=rows))])


@variant("empty_markers")
def build_empty_markers(path: Path) -> Path:
    """— - / * 无 in amount and score cells mean no value."""
    funds = (("年度资金总额", "—", 22.5, 20.25), ("其中：当年财政拨款", "-", 18.0, 16.2),
             ("其中：本级资金", "/", "*", "无"), ("上年结转资金", "无", 4.5, 4.05), ("其他资金", "—", "—", "—"))
    rows = BASE_ROWS[:-1] + (replace(BASE_ROWS[-1], actual="—", score="/"),)
    return write_book(path, [standard_sheet(form(funds=funds, rows=rows, total="*"))])


@variant("instruction_text_left")
def build_instruction_text_left(path: Path) -> Path:
    """The template's instruction text left in the 实际完成情况 cell and in a deviation cell (F005)."""
    rows = BASE_ROWS[:-1] + (replace(BASE_ROWS[-1], deviation="请填写偏差原因分析及改进措施（100字以内）"),)
    f = form(achievement="对照年度目标，说明年度总体目标完成情况（200字以内）", rows=rows)
    return write_book(path, [standard_sheet(f)])


def _formula_sheet(cached: bool) -> Sheet:
    s = standard_sheet(Form())
    total, _ = s.find("年度资金总额")
    for k, col in enumerate("CDE"):
        value = BASE_FUNDS[0][1 + k] if cached else None
        s.put(total, 2 + k, Formula(f"=SUM({col}{total + 2},{col}{total + 4}:{col}{total + 5})", value))
    s.put(total, 6, Formula(f'=IF(D{total + 1}>0,E{total + 1}/D{total + 1},"")', 0.9 if cached else None))
    s.put(total, 7, Formula(f"=ROUND(10*MIN(G{total + 1},1),2)", 9 if cached else None))
    return s


@variant("formulas_without_cached_values")
def build_formulas_without_cached_values(path: Path) -> Path:
    """Written by a program and never opened in Excel: no cached values (F003, derived)."""
    return write_book(path, [_formula_sheet(False)], program=True)


@variant("formulas_with_cached_values")
def build_formulas_with_cached_values(path: Path) -> Path:
    """Saved by Excel: the cached values are used."""
    return write_book(path, [_formula_sheet(True)])


@variant("hidden_sheets")
def build_hidden_sheets(path: Path) -> Path:
    """A hidden blank copy of the template and a hidden scratch sheet beside the visible form."""
    blank = standard_sheet(form(name=None, department=None, implementer=None, rows=(), sheet="模板", funds=(),
                                goal=None, achievement=None, total=None, extras=(None,) * 5))
    blank.hidden = True
    scratch = Sheet("计算", hidden=True)
    scratch.put(0, 0, "项目名称")
    scratch.put(0, 1, "草稿")
    return write_book(path, [standard_sheet(Form()), blank, scratch])


@variant("hidden_sheets_other_project")
def build_hidden_sheets_other_project(path: Path) -> Path:
    """Hidden: an older copy of the visible project (ignored) and another project (read)."""
    old = standard_sheet(form(sheet="旧版", goal="（旧版）组织8场银企对接会。"))
    other = standard_sheet(form(sheet="项目2", name="打非案件司法鉴定中介费", extras=("KF2021005",) + Form().extras[1:]))
    old.hidden = other.hidden = True
    return write_book(path, [standard_sheet(Form()), old, other])


@variant("only_form_hidden")
def build_only_form_hidden(path: Path) -> Path:
    """The one form sits on a hidden sheet (the visible one is a cover page): it is still read."""
    cover = Sheet("封面")
    cover.put(0, 0, "2021年度项目支出绩效自评材料")
    hidden = standard_sheet(Form())
    hidden.hidden = True
    return write_book(path, [cover, hidden])


@variant("merged_everywhere")
def build_merged_everywhere(path: Path) -> Path:
    """三级指标 merged over two columns on every row, and the first indicator over two rows."""
    s = standard_sheet(Form())
    header, _ = s.find("一级指标")
    s.insert_cols(4)
    for r in range(header, header + len(BASE_ROWS) + 1):
        s.merge(r, 3, r, 4)
    first = header + 1
    s.merges.remove((first, 3, first, 4))
    s.insert_rows(first + 1, 1)
    s.merge(first, 3, first + 1, 4)
    for c in range(5, 10):
        s.merge(first, c, first + 1, c)
    return write_book(path, [s])


@variant("year_in_title_and_spaced_labels")
def build_year_in_title_and_spaced_labels(path: Path) -> Path:
    """"2021年度项目支出绩效自评表" in one title cell; labels with spaces and full-width brackets."""
    s = standard_sheet(form(title="2021年度项目支出绩效自评表"))
    s.put(1, 0, None)
    s.relabel("项目名称", "项 目 名 称")
    s.relabel("主管部门", "主管部门\u3000")
    s.relabel("全年预算数", "全年预算数\n（A）")
    s.relabel("全年执行数", "全年执行数（B）")
    s.relabel("执行率", "执行率(B/A)")
    return write_book(path, [s])


@variant("level_labels_on_every_row")
def build_level_labels_on_every_row(path: Path) -> Path:
    """一级/二级指标 repeated on every row instead of merged; 一级 written short ("产出")."""
    s = standard_sheet(Form())
    header, _ = s.find("一级指标")
    s.merges = [m for m in s.merges if not (m[1] in (1, 2) and m[0] > header)]
    for k, row in enumerate(BASE_ROWS):
        s.put(header + 1 + k, 1, row.level1[:-2] if row.level1 != "满意度指标" else "满意度")
        s.put(header + 1 + k, 2, row.level2)
    return write_book(path, [s])


@variant("date_cells_and_deviation")
def build_date_cells_and_deviation(path: Path) -> Path:
    """A completion date typed as a real date; a missed target with its deviation note."""
    rows = (BASE_ROWS[0], replace(BASE_ROWS[1], actual="6.2万份", score=9.5, deviation="印刷合同延期，已于次年补发"),
            BASE_ROWS[2], replace(BASE_ROWS[3], actual=dt.date(2021, 11, 20))) + BASE_ROWS[4:]
    return write_book(path, [standard_sheet(form(rows=rows, total=98.5))])


@variant("extras_to_the_right")
def build_extras_to_the_right(path: Path) -> Path:
    """补充信息 written as label | value pairs on separate rows."""
    s = standard_sheet(Form())
    r, _ = s.find("补充信息")
    del s.rows[r:]
    s.merges = [m for m in s.merges if m[0] < r]
    for k, (label, value) in enumerate(zip(EXTRA_LABELS, Form().extras)):
        s.put(r + k, 0, label)
        s.put(r + k, 1, value)
    return write_book(path, [s])


@variant("indicators_from_column_a")
def build_indicators_from_column_a(path: Path) -> Path:
    """No 绩效指标 label column: the indicator table starts in column A, left of the other blocks."""
    s = standard_sheet(Form())
    header, _ = s.find("一级指标")
    last = header + len(BASE_ROWS)
    s.merges = [m for m in s.merges if not (m[0] == header and m[1] == 0)]
    s.merges = [(r0, c0 - 1, r1, c1 - 1) if header <= r0 <= last else m
                for m in s.merges for r0, c0, r1, c1 in [m]]
    for r in range(header, last + 1):
        s.rows[r] = s.rows[r][1:]
    total = last + 1
    s.rows[total][5:8] = [100, s.get(total, 7), None]
    s.merges = [(r0, c0, r1, 4) if (r0, c0) == (total, 0) else (r0, c0, r1, c1) for r0, c0, r1, c1 in s.merges]
    return write_book(path, [s])


@variant("blank_rows_inside_indicators")
def build_blank_rows_inside_indicators(path: Path) -> Path:
    """A blank row between the 产出 and 效益 blocks and one before 总分, written 合计."""
    s = standard_sheet(Form())
    total, _ = s.find("总分")
    s.relabel("总分", "合计")
    s.insert_rows(total, 1)
    effect, _ = s.find("效益指标")
    s.insert_rows(effect, 1)
    return write_book(path, [s])


@variant("line_breaks_in_cells")
def build_line_breaks_in_cells(path: Path) -> Path:
    """Names typed over two lines (Alt+Enter), a target with a line break before its unit."""
    rows = (replace(BASE_ROWS[0], name="大型集中\n宣传活动", target="≥50\n次"),) + BASE_ROWS[1:]
    f = form(name="金融监管\n工作经费", implementer="长沙市开福区\r\n金融事务中心", rows=rows)
    return write_book(path, [standard_sheet(f)])


@variant("code_beside_name")
def build_code_beside_name(path: Path) -> Path:
    """项目编码 on the 项目名称 row, right of the name, above the 实施单位 value; no extra block."""
    s = standard_sheet(form(extras=(None, "经常性", "用于金融行业监管工作", "文琼", "0731-00000000")))
    r, _ = s.find("项目名称")
    s.merges = [m for m in s.merges if m[0] != r] + [(r, 1, r, 5), (r, 7, r, 8)]
    s.put(r, 6, "项目编码")
    s.put(r, 7, "KF2021004")
    extra, _ = s.find("补充信息")
    s.put(extra, 1, None)
    return write_book(path, [s])


@variant("other_header_words")
def build_other_header_words(path: Path) -> Path:
    """年度目标值 / 全年实际完成值 / 指标分值 / 实际得分; 执行率 typed as 90 (per cent, not formatted)."""
    headers = ("一级指标", "二级指标", "三级指标", "年度目标值", "全年实际完成值", "指标分值", "实际得分", "偏差原因分析及改进措施")
    return write_book(path, [standard_sheet(form(indicator_headers=headers, rate=90))])


@variant("unit_sheet_only")
def build_unit_sheet_only(path: Path) -> Path:
    """单位情况.xlsx: no form, only the unit's sheet."""
    return write_book(path, [unit_sheet()])


@variant("huge_legitimate_sheet")
def build_huge_legitimate_sheet(path: Path) -> Path:
    """The form, then 3,000 rows of a pasted 明细 table on another sheet: still read."""
    detail = Sheet("资金明细")
    detail.put(0, 0, "序号")
    detail.put(0, 1, "摘要")
    detail.put(0, 2, "金额")
    for k in range(1, 3001):
        detail.put(k, 0, k)
        detail.put(k, 1, f"宣传资料印制第{k}批")
        detail.put(k, 2, 0.0075)
    return write_book(path, [standard_sheet(Form()), detail])


# formats again, for the variants whose reading depends most on the format
variant("split_target_columns_xls", ".xls")(build_split_target_columns)
variant("several_projects_ods", ".ods")(build_several_projects)
variant("hidden_sheets_xls", ".xls")(build_hidden_sheets)
variant("merged_everywhere_ods", ".ods")(build_merged_everywhere)
variant("name_in_one_cell_xls", ".xls")(build_name_in_one_cell)
