"""Stage 6: the summary workbook 绩效自评汇总.xlsx (OUTPUTS.md §1).

Five sheets — 项目汇总, 资金概况, 绩效指标, 审核问题, 评分规则 — written with XlsxWriter from the
scored ``Batch``. Every sheet has the same frame: a merged title row, a note row, a frozen and
filtered header row, columns sized to their content, A4 landscape print setup.

Totals are written as values, not formulas: nothing in our own stack (openpyxl, calamine) and no
reader that skips recalculation would see a formula's result, because XlsxWriter stores 0 as the
cached value of every formula.

Speed and memory: XlsxWriter keeps every cell of a sheet as a Python object until ``close()`` and
costs several microseconds per cell; a batch of 10,000 forms has millions of cells. The long tables
below their header rows (资金概况, 绩效指标, 审核问题, and the file list of 评分规则) are therefore
written by ``SheetRows`` as worksheet XML straight into a temporary file, row by row, and spliced
into the sheet's ``<sheetData>`` when the workbook is packed (``pack``); XlsxWriter writes everything
else (frames, headers, merges, 项目汇总 with its comments and chart, column widths, print setup).
Their strings are written in-line (``t="inlineStr"``) rather than as shared strings, as XlsxWriter's
own constant_memory mode does; readers see the same text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from perfeval.discover import ignored_status
from perfeval.model import (
    EFFECT_KIND, ERROR, INFO, OUTPUT_KIND, SATISFACTION_KIND, WARNING, Batch, Indicator,
    IndicatorScore, Issue, ProjectResult,
)

SHEET_PROJECTS = "项目汇总"
SHEET_UNITS = "单位汇总"  # only in a multi-unit batch, right after 项目汇总
SHEET_FUNDS = "资金概况"
SHEET_INDICATORS = "绩效指标"
SHEET_ISSUES = "审核问题"
SHEET_RULES = "评分规则"
SHEETS = (SHEET_PROJECTS, SHEET_FUNDS, SHEET_INDICATORS, SHEET_ISSUES, SHEET_RULES)

TOTAL_LABEL = "合计"
MONEY_NOTE = "金额单位：万元"

# XlsxWriter's defaults turn "=…" into a formula, "http://…" into a hyperlink and "+1" into a
# number; text from the forms must stay text (a project called "=HYPERLINK(…)" included).
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

TITLE_ROW = 0
NOTE_ROW = 1
HEADER_ROW = 2
MAX_WIDTH = 50  # characters; longer text wraps
MIN_WIDTH = 6
LINE_HEIGHT = 15  # points per wrapped line; XlsxWriter cannot autofit row heights
# Excel's rows are at most 409 points high: 27 lines. A longer text scrolls in its cell, and is not
# measured character by character (a 32,000-character note would be, for nothing).
MAX_ROW_LINES = 27
A4 = 9  # Excel's paper code


# ---------------------------------------------------------------------------- formats


@dataclass(frozen=True)
class Style:
    """A cell format plus how its numbers look, so column widths can be estimated."""

    format: Format
    shows: str = "{}"  # str.format pattern for numbers, e.g. "{:.2f}" for 0.00


@dataclass(frozen=True)
class Styles:
    """Every format the workbook uses, created once per workbook."""

    title: Style
    note: Style
    header: Style
    text: Style
    integer: Style
    money: Style
    rate: Style
    score: Style
    number: Style
    moment: Style
    error: Style
    warning: Style
    total_text: Style
    total_integer: Style
    total_money: Style
    total_rate: Style
    mark_red: Format  # conditional formats
    mark_amber: Format


RED_FILL, RED_FONT = "#FFC7CE", "#9C0006"
AMBER_FILL, AMBER_FONT = "#FFEB9C", "#9C5700"
HEADER_FILL, TOTAL_FILL = "#D9E1F2", "#F2F2F2"


def build_styles(workbook: xlsxwriter.Workbook) -> Styles:
    """Create the workbook's formats once (STYLE.md 9)."""
    base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter", "border": 1}

    def make(shows: str = "{}", **props) -> Style:
        return Style(workbook.add_format({**base, **props}), shows)

    total = {"bold": True, "bg_color": TOTAL_FILL}
    return Styles(
        title=make(bold=True, font_size=16, align="center", border=0),
        note=make(align="right", border=0),
        header=make(bold=True, align="center", text_wrap=True, bg_color=HEADER_FILL),
        text=make(text_wrap=True),
        integer=make("{:.0f}", num_format="0"),
        money=make("{:.2f}", num_format="0.00"),
        rate=make("{:.2%}", num_format="0.00%"),
        score=make("{:.2f}", num_format="0.00"),
        number=make("{:.10g}"),
        moment=make("{:%Y-%m-%d %H:%M:%S}", num_format="yyyy-mm-dd hh:mm:ss", align="left"),
        error=make(align="center", font_color=RED_FONT, bg_color=RED_FILL),
        warning=make(align="center", font_color=AMBER_FONT, bg_color=AMBER_FILL),
        total_text=make(align="center", **total),
        total_integer=make("{:.0f}", num_format="0", **total),
        total_money=make("{:.2f}", num_format="0.00", **total),
        total_rate=make("{:.2%}", num_format="0.00%", **total),
        mark_red=workbook.add_format({"font_color": RED_FONT, "bg_color": RED_FILL}),
        mark_amber=workbook.add_format({"font_color": AMBER_FONT, "bg_color": AMBER_FILL}),
    )


# ---------------------------------------------------------------------------- the grid


# The East Asian Wide and Fullwidth blocks (Unicode UAX #11) that occur in Chinese text: Han,
# CJK punctuation, full-width forms. One regex over these is ~3× faster than unicodedata per char.
WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6b\uff00-\uff60"
                  "\uffe0-\uffe6\U00020000-\U0003fffd]")


def measure_text(text: str) -> int:
    """Display width of text in Excel columns: CJK and full-width characters count double."""
    if "\n" in text:
        return max(measure_text(line) for line in text.split("\n"))
    return len(text) if text.isascii() else len(text) + len(WIDE.findall(text))


def _width(text: str, limit: int) -> int:
    """``measure_text``, except for a text that would wrap past the tallest row in a column of ``limit``:
    at least one column per character makes it as wide as anything can be there."""
    return measure_text(text) if len(text) <= limit * MAX_ROW_LINES else len(text)


def _row_height(lines: int) -> str:
    """The ``ht`` XlsxWriter writes for ``set_row(row, LINE_HEIGHT * lines)`` (whole pixels, in points)."""
    pixels = int(LINE_HEIGHT * lines * 4.0 / 3.0 + 0.5)
    return f"{pixels * 0.75:.16g}"


@dataclass
class Grid:
    """A worksheet that writes every value with the right typed call and remembers column widths.

    ``write()`` would guess types from strings; here a str is always ``write_string``, a number
    ``write_number``, and None (or NaN) a formatted blank, so no cell ever reads "None" or "nan".
    """

    sheet: Worksheet
    limits: dict[int, int] = field(default_factory=dict)  # column -> max width, beyond MAX_WIDTH
    widths: dict[int, int] = field(default_factory=dict)
    wrapped: list[tuple[int, int, int]] = field(default_factory=list)  # row, col, text width

    def put(self, row: int, col: int, value: object, style: Style) -> None:
        """Write one value as its own type, in the given style."""
        kind = value.__class__
        if kind is str and value:
            self.sheet.write_string(row, col, value, style.format)
            width = self.note_text(col, value)
            if width > self.limits.get(col, MAX_WIDTH):
                self.wrapped.append((row, col, width))
        elif (kind is float and math.isfinite(value)) or kind is int:
            self.sheet.write_number(row, col, value, style.format)
            self.note_width(row, col, len(style.shows.format(value)))
        elif value is None or kind is str or kind is float:
            self.sheet.write_blank(row, col, None, style.format)
        elif isinstance(value, bool):
            self.put(row, col, "是" if value else "否", style)
        elif isinstance(value, float) and not math.isfinite(value):
            self.sheet.write_blank(row, col, None, style.format)
        elif isinstance(value, (int, float)):
            self.sheet.write_number(row, col, value, style.format)
            self.note_width(row, col, len(style.shows.format(value)))
        elif isinstance(value, (dt.datetime, dt.date)):
            self.sheet.write_datetime(row, col, value, style.format)
            self.note_width(row, col, len(style.shows.format(value)))
        elif isinstance(value, str):
            self.put(row, col, str(value), style)  # a str subclass: written as plain text
        else:
            self.put(row, col, str(value), style)

    def put_row(self, row: int, values: Sequence[object], styles: Sequence[Style]) -> None:
        """Write a row of values from column A, each in its style."""
        for col, (value, style) in enumerate(zip(values, styles)):
            self.put(row, col, value, style)

    def note_text(self, col: int, text: str) -> int:
        """Record a text cell's width in its column; return the width, or 0 when it cannot matter.

        A character is at most two columns wide, so text of n characters that can neither widen
        the column nor exceed its limit (2n within both) is not measured.
        """
        double, limit = 2 * len(text), self.limits.get(col, MAX_WIDTH)
        if double <= self.widths.get(col, 0) and double <= limit:
            return 0
        width = _width(text, limit)
        if width > self.widths.get(col, 0):
            self.widths[col] = width
        return width

    def note_width(self, row: int, col: int, width: int, wraps: bool = False) -> None:
        """Record that a cell of this column needs ``width`` characters."""
        self.widths[col] = max(self.widths.get(col, 0), width)
        if wraps and width > self.limits.get(col, MAX_WIDTH):
            self.wrapped.append((row, col, width))

    def fit_columns(self) -> None:
        """Size every column to its widest cell, and heighten rows whose text wraps."""
        sizes = {col: min(max(width, MIN_WIDTH), self.limits.get(col, MAX_WIDTH)) + 2
                 for col, width in self.widths.items()}
        for col, size in sorted(sizes.items()):
            self.sheet.set_column(col, col, size)
        lines: dict[int, int] = {}
        for row, col, width in self.wrapped:
            lines[row] = max(lines.get(row, 1), math.ceil(width / (sizes[col] - 2)))
        for row, count in sorted(lines.items()):
            self.sheet.set_row(row, LINE_HEIGHT * min(count, MAX_ROW_LINES))


# In-line text as XlsxWriter writes it: control characters as _xHHHH_ (a literal "_xHHHH_" gets
# its underscore escaped), non-characters U+FFFE/U+FFFF likewise, then & < > as entities.
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
MAX_STRING = 32767  # UTF-16 code units in one cell; XlsxWriter truncates longer text


# Text with none of these is written as it is (and with no "_x", no whitespace at either end, not
# too long); the rest goes through xml_text.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _plain_value(value: object) -> object:
    """A value as a streamed cell takes it: bool as 是/否, other numbers as float, dates refused."""
    if value is None or value.__class__ in (str, float, int):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, dt.datetime)):
        raise TypeError("dates are written by XlsxWriter (Grid.put), not in streamed rows")
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, float) else int(value)
    return str(value)


def xml_text(text: str) -> str:
    """``<t>…</t>`` for one cell's text, escaped as XlsxWriter escapes it (never markup)."""
    if len(text) > MAX_STRING // 2 and len(text.encode("utf-16-le")) > 2 * MAX_STRING:
        length = 0
        for index, char in enumerate(text):
            length += 2 if ord(char) > 0xFFFF else 1
            if length > MAX_STRING:
                text = text[:index]
                break
    if _NEEDS_ESCAPE.search(text):
        text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


class SheetRows:
    """The rows below a sheet's header, written as worksheet XML into a temporary file.

    Rows must come in order, after every row XlsxWriter writes on the sheet and with none of
    XlsxWriter's after them; ``pack`` splices them into the sheet. Column widths go to the sheet's
    ``Grid`` as for any other cell, and a row whose text wraps gets its height here, since its
    column's width is then known (the column's limit).
    """

    CHUNK = 512  # rows per write

    def __init__(self, grid: Grid, folder: Path | None = None) -> None:
        self.grid = grid
        self.file = tempfile.TemporaryFile(dir=folder)
        self.pending: list[str] = []
        self.count = 0
        self.last_row = -1
        self.last_col = -1
        self.columns: list[str] = []  # column letters
        self.xf: dict[int, str] = {}  # id(Format) -> ' s="n"'
        self.last_styles: Sequence[Style] | None = None
        self.last_attrs: list[str] = []

    def style_attr(self, style: Style) -> str:
        key = id(style.format)
        attr = self.xf.get(key)
        if attr is None:
            # The same call XlsxWriter makes for every formatted cell it writes: it registers the
            # format in styles.xml and gives its index.
            attr = self.xf[key] = f' s="{style.format._get_xf_index()}"'
        return attr

    def put_row(self, row: int, values: Sequence[object], styles: Sequence[Style]) -> None:
        """One row from column A, each value in its style (same rules as ``Grid.put``)."""
        if row <= self.last_row:
            raise ValueError(f"row {row} after row {self.last_row}")
        grid, columns = self.grid, self.columns
        while len(columns) < len(values):
            columns.append(xl_col_to_name(len(columns)))
        if styles is not self.last_styles:  # write_table passes the same list for every row
            self.last_styles, self.last_attrs = styles, [self.style_attr(style) for style in styles]
        attrs, widths, limits = self.last_attrs, grid.widths, grid.limits
        number = str(row + 1)
        lines = 1
        cells = []
        col = -1
        for col, value in enumerate(values):
            kind = value.__class__
            if kind is str and value:
                double = 2 * len(value)
                limit = limits.get(col, MAX_WIDTH)
                if double > limit or double > widths.get(col, 0):  # else it can neither widen nor wrap
                    width = _width(value, limit)
                    if width > widths.get(col, 0):
                        widths[col] = width
                    if width > limit:  # the column is then exactly as wide as its limit
                        lines = max(lines, min(math.ceil(width / limit), MAX_ROW_LINES))
                if _SPECIAL.search(value) or "_x" in value or value[0].isspace() or value[-1].isspace() \
                        or double > MAX_STRING:
                    text = xml_text(value)
                else:
                    text = f"<t>{value}</t>"
                cells.append(f'<c r="{columns[col]}{number}"{attrs[col]} t="inlineStr"><is>{text}</is></c>')
            elif (kind is float and math.isfinite(value)) or kind is int:
                width = len(styles[col].shows.format(value))
                if width > widths.get(col, 0):
                    widths[col] = width
                cells.append(f'<c r="{columns[col]}{number}"{attrs[col]}><v>{value:.16G}</v></c>')
            elif value is None or kind is str or kind is float:
                cells.append(f'<c r="{columns[col]}{number}"{attrs[col]}/>')
            else:
                return self.put_row(row, [_plain_value(v) for v in values], styles)
        height = f' ht="{_row_height(lines)}" customHeight="1"' if lines > 1 else ""
        self.pending.append(f'<row r="{number}"{height}>{"".join(cells)}</row>')
        self.last_row = row
        self.last_col = max(self.last_col, col)
        self.count += 1
        if len(self.pending) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.file.write("".join(self.pending).encode("utf-8"))
            self.pending.clear()

    def copy_to(self, out: BinaryIO) -> None:
        self.flush()
        self.file.seek(0)
        shutil.copyfileobj(self.file, out, 1 << 20)

    def size(self) -> int:
        self.flush()
        return self.file.tell()

    def close(self) -> None:
        self.file.close()


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, how to get the value from a row item, and its style.

    ``style`` is a Styles attribute name, or a function of the value giving one (for 级别).
    """

    header: str
    get: Callable[..., object]
    style: str | Callable[[object], str] = "text"

    def style_of(self, value: object) -> str:
        """The style name for this value."""
        return self.style(value) if callable(self.style) else self.style


def write_table(grid: Grid | SheetRows, styles: Styles, first_row: int, columns: Sequence[Column],
                items: Iterable[tuple]) -> int:
    """Write one row per item below ``first_row - 1``; return the last row written (or the one above)."""
    fixed = [None if callable(c.style) else getattr(styles, c.style) for c in columns]
    getters = [c.get for c in columns]
    row = first_row - 1
    if all(fixed):
        for row, item in enumerate(items, start=first_row):
            grid.put_row(row, [get(*item) for get in getters], fixed)
        return row
    for row, item in enumerate(items, start=first_row):
        values = [get(*item) for get in getters]
        grid.put_row(row, values, [f or getattr(styles, c.style_of(v)) for f, c, v in zip(fixed, columns, values)])
    return row


def write_frame(grid: Grid, styles: Styles, title: str, note: str, width: int) -> None:
    """The merged title row and the note row above every table."""
    grid.sheet.set_row(TITLE_ROW, 28)
    # merge_range() goes through write(), which would still guess the type of its text; merging
    # a blank and writing the text over it with write_string keeps a unit name such as "=…" text.
    grid.sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, width - 1, "", styles.title.format)
    grid.sheet.write_string(TITLE_ROW, 0, title, styles.title.format)
    if note:
        grid.sheet.merge_range(NOTE_ROW, 0, NOTE_ROW, width - 1, "", styles.note.format)
        grid.sheet.write_string(NOTE_ROW, 0, note, styles.note.format)


def finish_sheet(grid: Grid, header_first: int, header_last: int, last_row: int, width: int) -> None:
    """Freeze and filter the header, size the columns and set up printing."""
    sheet = grid.sheet
    sheet.freeze_panes(header_last + 1, 0)
    sheet.autofilter(header_last, 0, max(last_row, header_last), width - 1)
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_first, header_last)
    sheet.center_horizontally()
    sheet.set_footer("&C第 &P 页，共 &N 页")
    grid.fit_columns()


def write_headers(grid: Grid, styles: Styles, row: int, headers: Sequence[str]) -> None:
    """One header row."""
    grid.put_row(row, headers, [styles.header] * len(headers))


# ---------------------------------------------------------------------------- values


def sum_values(values: Iterable[float | None]) -> float | None:
    """Sum of the numbers present; None when there are none."""
    present = [v for v in values if v is not None]
    return round(sum(present), 6) if present else None


def divide(part: float | None, whole: float | None) -> float | None:
    """part / whole, or None when either is missing or the whole is 0."""
    if part is None or not whole:
        return None
    return part / whole


def title_of(batch: Batch, what: str) -> str:
    """"长沙市开福区金融事务中心2021年度项目支出绩效自评汇总" for what = "项目支出绩效自评汇总"."""
    year = batch.year or batch.unit.year
    return f"{batch.unit.name}{f'{year}年度' if year else ''}{what}"


def quote_sheet(name: str) -> str:
    """A sheet name as Excel writes it in a reference: quoted unless it is a plain word."""
    if re.fullmatch(r"\w+", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def source_cells(sheet: str, indicator: Indicator) -> str:
    """"项目支出绩效自评表!E14:F14": the sheet and the cells of the target and the actual value."""
    cells = [c for c in (indicator.target.cell, indicator.actual.cell) if c] or \
        [c for c in (indicator.name_cell,) if c]
    if not cells:
        return ""
    if len(cells) == 2:
        (r1, c1), (r2, c2) = xl_cell_to_rowcol(cells[0]), xl_cell_to_rowcol(cells[1])
        joined = f"{cells[0]}:{cells[1]}" if r1 == r2 and c2 == c1 + 1 else ",".join(cells)
    else:
        joined = cells[0]
    return f"{quote_sheet(sheet)}!{joined}" if sheet else joined


# ---------------------------------------------------------------------------- 1. 项目汇总


def _funds_value(result: ProjectResult, attr: str) -> float | None:
    return getattr(result.project.funds.total, attr).value


PROJECT_COLUMNS = (
    Column("序号", lambda n, r: n, "integer"),
    Column("项目名称", lambda n, r: r.project.name),
    Column("项目编码", lambda n, r: r.project.code),
    Column("主管部门", lambda n, r: r.project.department),
    Column("实施单位", lambda n, r: r.project.implementer),
    Column("年初预算数", lambda n, r: _funds_value(r, "initial"), "money"),
    Column("全年预算数", lambda n, r: _funds_value(r, "budget"), "money"),
    Column("全年执行数", lambda n, r: _funds_value(r, "actual"), "money"),
    Column("执行率", lambda n, r: r.rate, "rate"),
    Column("预算执行得分", lambda n, r: r.budget_score, "score"),
    Column("产出指标得分", lambda n, r: r.subtotals.get(OUTPUT_KIND), "score"),
    Column("效益指标得分", lambda n, r: r.subtotals.get(EFFECT_KIND), "score"),
    Column("满意度指标得分", lambda n, r: r.subtotals.get(SATISFACTION_KIND), "score"),
    Column("核定总分", lambda n, r: r.total, "score"),
    Column("填报总分", lambda n, r: r.total_written, "score"),
    Column("等级", lambda n, r: r.grade),
    Column("状态", lambda n, r: r.status),
    Column("错误数", lambda n, r: r.count(ERROR), "integer"),
    Column("警告数", lambda n, r: r.count(WARNING), "integer"),
    Column("来源文件", lambda n, r: r.project.file),
    Column("工作表", lambda n, r: r.project.sheet),
)
PROJECT_HEADERS = tuple(c.header for c in PROJECT_COLUMNS)
_P = {h: i for i, h in enumerate(PROJECT_HEADERS)}


def write_projects(workbook: xlsxwriter.Workbook, styles: Styles, batch: Batch) -> None:
    """Sheet 1 项目汇总: one row per project, a 合计 row, conditional marks and a chart."""
    grid = Grid(workbook.add_worksheet(SHEET_PROJECTS))
    width = len(PROJECT_COLUMNS)
    write_frame(grid, styles, title_of(batch, "项目支出绩效自评汇总"), MONEY_NOTE, width)
    write_headers(grid, styles, HEADER_ROW, PROJECT_HEADERS)
    first = HEADER_ROW + 1
    last = write_table(grid, styles, first, PROJECT_COLUMNS, enumerate(batch.results, start=1))
    for row, result in enumerate(batch.results, start=first):
        if result.reason:
            grid.sheet.write_comment(row, _P["状态"], result.reason)
    write_project_totals(grid, styles, last + 1, batch)
    if batch.results:
        mark_projects(grid.sheet, styles, first, last, batch)
        add_budget_chart(workbook, grid.sheet, first, last, len(batch.results))
    finish_sheet(grid, HEADER_ROW, HEADER_ROW, last, width)


def write_project_totals(grid: Grid, styles: Styles, row: int, batch: Batch) -> None:
    """The 合计 row: the three amounts summed, 执行率 = ΣB / ΣA on the rules' base, issue counts."""
    results = batch.results
    initial = sum_values(_funds_value(r, "initial") for r in results)
    budget = sum_values(_funds_value(r, "budget") for r in results)
    actual = sum_values(_funds_value(r, "actual") for r in results)
    base = initial if getattr(batch.rules, "rate_base", "full_year") == "initial" else budget
    values: list[object] = [None] * len(PROJECT_COLUMNS)
    row_styles = [styles.total_text] * len(PROJECT_COLUMNS)
    cells = {"项目名称": (TOTAL_LABEL, styles.total_text),
             "年初预算数": (initial, styles.total_money), "全年预算数": (budget, styles.total_money),
             "全年执行数": (actual, styles.total_money), "执行率": (divide(actual, base), styles.total_rate),
             "错误数": (sum(r.count(ERROR) for r in results), styles.total_integer),
             "警告数": (sum(r.count(WARNING) for r in results), styles.total_integer)}
    for header, (value, style) in cells.items():
        values[_P[header]], row_styles[_P[header]] = value, style
    grid.put_row(row, values, row_styles)


def mark_projects(sheet: Worksheet, styles: Styles, first: int, last: int, batch: Batch) -> None:
    """执行率 below the low-rate line and the lowest grade in red; errors red, warnings amber."""
    low_rate = getattr(batch.rules, "low_rate", 0.6)
    grades = getattr(batch.rules, "grades", (("差", 0.0),))
    lowest = grades[-1][0].replace('"', '""')
    rate_col = _P["执行率"]
    # A plain "cell < 0.6" rule also paints blank cells (Excel compares a blank as 0), hence ISNUMBER.
    top = xl_rowcol_to_cell(first, rate_col, col_abs=True)
    sheet.conditional_format(first, rate_col, last, rate_col, {
        "type": "formula", "criteria": f"=AND(ISNUMBER({top}),{top}<{low_rate!r})",
        "format": styles.mark_red})
    sheet.conditional_format(first, _P["等级"], last, _P["等级"], {
        "type": "cell", "criteria": "==", "value": f'"{lowest}"', "format": styles.mark_red})
    sheet.conditional_format(first, _P["错误数"], last, _P["错误数"], {
        "type": "cell", "criteria": ">", "value": 0, "format": styles.mark_red})
    sheet.conditional_format(first, _P["警告数"], last, _P["警告数"], {
        "type": "cell", "criteria": ">", "value": 0, "format": styles.mark_amber})


def add_budget_chart(workbook: xlsxwriter.Workbook, sheet: Worksheet, first: int, last: int,
                     count: int) -> None:
    """A native column chart of 全年预算数 against 全年执行数 by project, below the table."""
    chart = workbook.add_chart({"type": "column"})
    names = [SHEET_PROJECTS, first, _P["项目名称"], last, _P["项目名称"]]
    for header in ("全年预算数", "全年执行数"):
        col = _P[header]
        chart.add_series({"name": [SHEET_PROJECTS, HEADER_ROW, col], "categories": names,
                          "values": [SHEET_PROJECTS, first, col, last, col]})
    chart.set_title({"name": "全年预算数与全年执行数"})
    chart.set_y_axis({"name": "万元", "num_format": "0.00", "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": min(max(720, 60 * count), 4000), "height": 360})
    # object_position 2: the chart moves with the rows above it but keeps its size when a filter
    # hides project rows (the default would squeeze it).
    sheet.insert_chart(last + 3, _P["项目名称"], chart, {"object_position": 2})


# ---------------------------------------------------------------------------- 2. 资金概况


def _own(result: ProjectResult, attr: str) -> float | None:
    row = result.project.funds.own_level
    return getattr(row, attr).value if row is not None else None


# The headers here only name the columns; the sheet's two header rows come from funds_headers().
FUNDS_COLUMNS = (
    Column("项目名称", lambda r: r.project.name),
    Column("项目类型", lambda r: r.project.project_type),
    Column("资金用途、使用方向", lambda r: r.project.fund_use),
    Column("指标总额", lambda r: _funds_value(r, "budget"), "money"),
    Column("其中：本级资金", lambda r: _own(r, "budget"), "money"),
    Column("支出总额", lambda r: _funds_value(r, "actual"), "money"),
    Column("其中：本级资金", lambda r: _own(r, "actual"), "money"),
    Column("执行率", lambda r: r.rate, "rate"),
)


def funds_headers(own_level_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two header rows of the seed's table; a blank marks a cell merged with its neighbour."""
    own = f"其中：{own_level_name or '本级'}资金"
    return (("项目名称", "项目类型", "资金用途、使用方向", "预算金额", "", "支出金额", "", "执行率"),
            ("", "", "", "指标总额", own, "支出总额", own, ""))


def write_funds(workbook: xlsxwriter.Workbook, styles: Styles, batch: Batch, streams: Streams | None = None) -> None:
    """Sheet 2 资金概况: the seed report's funds table with its two header rows, and 合计."""
    grid = Grid(workbook.add_worksheet(SHEET_FUNDS))
    width = len(FUNDS_COLUMNS)
    write_frame(grid, styles, title_of(batch, "项目支出资金概况"), MONEY_NOTE, width)
    write_funds_headers(grid, styles, batch.unit.own_level_name)
    first = HEADER_ROW + 2
    rows = streams.rows(grid) if streams else grid
    last = write_table(rows, styles, first, FUNDS_COLUMNS, ((r,) for r in batch.results))
    budget = sum_values(_funds_value(r, "budget") for r in batch.results)
    actual = sum_values(_funds_value(r, "actual") for r in batch.results)
    totals = [TOTAL_LABEL, None, None, budget, sum_values(_own(r, "budget") for r in batch.results),
              actual, sum_values(_own(r, "actual") for r in batch.results), divide(actual, budget)]
    rows.put_row(last + 1, totals, [styles.total_text] * 3 + [styles.total_money] * 4 + [styles.total_rate])
    finish_sheet(grid, HEADER_ROW, HEADER_ROW + 1, last, width)


def write_funds_headers(grid: Grid, styles: Styles, own_level_name: str) -> None:
    """预算金额 and 支出金额 over two columns each; the other headers span both header rows."""
    top, bottom = funds_headers(own_level_name)
    fmt = styles.header.format
    for col, (upper, lower) in enumerate(zip(top, bottom)):
        if upper and not lower:
            grid.sheet.merge_range(HEADER_ROW, col, HEADER_ROW + 1, col, "", fmt)
            grid.put(HEADER_ROW, col, upper, styles.header)
        elif upper:
            grid.sheet.merge_range(HEADER_ROW, col, HEADER_ROW, col + 1, "", fmt)
            grid.put(HEADER_ROW, col, upper, styles.header)
        if lower:
            grid.put(HEADER_ROW + 1, col, lower, styles.header)


# ---------------------------------------------------------------------------- 3. 绩效指标


INDICATOR_COLUMNS = (
    Column("项目名称", lambda r, s: r.project.name),
    Column("一级指标", lambda r, s: s.indicator.level1),
    Column("二级指标", lambda r, s: s.indicator.level2),
    Column("三级指标", lambda r, s: s.indicator.name),
    Column("年度指标值", lambda r, s: s.indicator.target.text),
    Column("实际完成值", lambda r, s: s.indicator.actual.text),
    Column("指标方向", lambda r, s: s.method),
    Column("目标数值", lambda r, s: s.indicator.target.number, "number"),
    Column("实际数值", lambda r, s: s.indicator.actual.number, "number"),
    Column("计量单位", lambda r, s: s.indicator.target.unit or s.indicator.actual.unit),
    Column("完成率", lambda r, s: s.ratio, "rate"),
    Column("分值", lambda r, s: s.indicator.weight.value, "score"),
    Column("填报得分", lambda r, s: s.indicator.score_written.value, "score"),
    Column("核定得分", lambda r, s: s.score, "score"),
    Column("评分说明", lambda r, s: s.explanation),
    Column("偏差原因分析及改进措施", lambda r, s: s.indicator.deviation),
    Column("来源单元格", lambda r, s: source_cells(r.project.sheet, s.indicator)),
)
INDICATOR_HEADERS = tuple(c.header for c in INDICATOR_COLUMNS)


def indicator_rows(batch: Batch) -> Iterable[tuple[ProjectResult, IndicatorScore]]:
    """(project, indicator score) pairs in project order."""
    return ((r, s) for r in batch.results for s in r.indicators)


def write_indicators(workbook: xlsxwriter.Workbook, styles: Styles, batch: Batch,
                     streams: Streams | None = None) -> None:
    """Sheet 3 绩效指标: one row per indicator with target, actual, ratio and both scores."""
    grid = Grid(workbook.add_worksheet(SHEET_INDICATORS))
    width = len(INDICATOR_COLUMNS)
    count = sum(len(r.indicators) for r in batch.results)
    write_frame(grid, styles, title_of(batch, "项目支出绩效指标明细"), f"共 {count} 个指标；分值、得分单位：分", width)
    write_headers(grid, styles, HEADER_ROW, INDICATOR_HEADERS)
    rows = streams.rows(grid) if streams else grid
    last = write_table(rows, styles, HEADER_ROW + 1, INDICATOR_COLUMNS, indicator_rows(batch))
    finish_sheet(grid, HEADER_ROW, HEADER_ROW, last, width)


# ---------------------------------------------------------------------------- 4. 审核问题


def level_style(level: object) -> str:
    """错误 red, 警告 amber, anything else plain."""
    return {ERROR: "error", WARNING: "warning"}.get(str(level), "text")


ISSUE_COLUMNS = (
    Column("来源文件", lambda i: i.file),
    Column("工作表", lambda i: i.sheet),
    Column("单元格", lambda i: i.cell),
    Column("项目名称", lambda i: i.project),
    Column("规则编号", lambda i: i.code),
    Column("级别", lambda i: i.level, level_style),
    Column("问题说明", lambda i: i.message),
)
ISSUE_HEADERS = tuple(c.header for c in ISSUE_COLUMNS)


def count_note(issues: Sequence[Issue]) -> str:
    """"共 4 条：错误 2 条，警告 1 条，提示 1 条"."""
    counts = "，".join(f"{level} {sum(1 for i in issues if i.level == level)} 条"
                      for level in (ERROR, WARNING, INFO))
    return f"共 {len(issues)} 条：{counts}"


def write_issues(workbook: xlsxwriter.Workbook, styles: Styles, batch: Batch, streams: Streams | None = None) -> None:
    """Sheet 4 审核问题: one row per issue of the batch, file-level ones included."""
    grid = Grid(workbook.add_worksheet(SHEET_ISSUES))
    width = len(ISSUE_COLUMNS)
    write_frame(grid, styles, title_of(batch, "项目支出绩效自评审核问题"), count_note(batch.issues), width)
    write_headers(grid, styles, HEADER_ROW, ISSUE_HEADERS)
    rows = streams.rows(grid) if streams else grid
    last = write_table(rows, styles, HEADER_ROW + 1, ISSUE_COLUMNS, ((i,) for i in batch.issues))
    finish_sheet(grid, HEADER_ROW, HEADER_ROW, last, width)


# ---------------------------------------------------------------------------- 单位汇总


GRADES = ("优", "良", "中", "差")
UNIT_COLUMNS = (
    Column("序号", lambda n, u: n, "integer"),
    Column("单位名称", lambda n, u: u["unit"]),
    Column("项目数", lambda n, u: u["projects"], "integer"),
    Column("全年预算数", lambda n, u: u["budget"], "money"),
    Column("全年执行数", lambda n, u: u["actual"], "money"),
    Column("执行率", lambda n, u: u["rate"], "rate"),
    Column("平均得分", lambda n, u: u["average"], "score"),
    *(Column(g, lambda n, u, g=g: u[g], "integer") for g in GRADES),
    Column("未评分", lambda n, u: u["unscored"], "integer"),
    Column("错误数", lambda n, u: u["errors"], "integer"),
    Column("警告数", lambda n, u: u["warnings"], "integer"),
)
UNIT_HEADERS = tuple(c.header for c in UNIT_COLUMNS)


def unit_table(batch: Batch) -> list[dict]:
    """Per unit: projects, budget, spending, rate, average score, grade counts, issue counts (pandas)."""
    import pandas as pd

    frame = pd.DataFrame([{
        "unit": r.project.unit or batch.unit.name, "budget": _funds_value(r, "budget"),
        "actual": _funds_value(r, "actual"), "total": r.total, "grade": r.grade or "未评分",
        "errors": r.count(ERROR), "warnings": r.count(WARNING)} for r in batch.results])
    if frame.empty:
        return []
    frame["total"] = pd.to_numeric(frame["total"], errors="coerce")  # all None: object, and a slow mean
    order = list(dict.fromkeys(frame["unit"]))
    grouped = frame.groupby("unit", sort=False)
    sums = grouped[["budget", "actual", "errors", "warnings"]].sum(min_count=1)
    # once for all units: inside the loop they were computed again for each of a city's thousand units
    averages, sizes = grouped["total"].mean(), grouped.size()
    grades = pd.crosstab(frame["unit"], frame["grade"])
    rows = []
    for unit in order:
        counts = {g: int(grades.at[unit, g]) if g in grades.columns else 0 for g in (*GRADES, "未评分")}
        budget, actual = sums.at[unit, "budget"], sums.at[unit, "actual"]
        average = averages.get(unit)
        rows.append({"unit": unit, "projects": int(sizes[unit]),
                     "budget": None if pd.isna(budget) else round(float(budget), 2),
                     "actual": None if pd.isna(actual) else round(float(actual), 2),
                     "rate": divide(None if pd.isna(actual) else float(actual), None if pd.isna(budget) else float(budget)),
                     "average": None if average is None or pd.isna(average) else round(float(average), 2),
                     **{g: counts[g] for g in GRADES}, "unscored": counts["未评分"],
                     "errors": int(sums.at[unit, "errors"]), "warnings": int(sums.at[unit, "warnings"])})
    return rows


def write_units(workbook: xlsxwriter.Workbook, styles: Styles, batch: Batch) -> None:
    """单位汇总: one row per reporting unit of a multi-unit batch, and a 合计 row."""
    grid = Grid(workbook.add_worksheet(SHEET_UNITS))
    width = len(UNIT_COLUMNS)
    write_frame(grid, styles, title_of(batch, "各单位项目支出绩效自评汇总"), MONEY_NOTE, width)
    write_headers(grid, styles, HEADER_ROW, UNIT_HEADERS)
    rows = unit_table(batch)
    last = write_table(grid, styles, HEADER_ROW + 1, UNIT_COLUMNS, enumerate(rows, start=1))
    budget = sum_values(u["budget"] for u in rows)
    actual = sum_values(u["actual"] for u in rows)
    total = {"unit": TOTAL_LABEL, "projects": sum(u["projects"] for u in rows), "budget": budget,
             "actual": actual, "rate": divide(actual, budget), "average": None,
             **{g: sum(u[g] for u in rows) for g in GRADES}, "unscored": sum(u["unscored"] for u in rows),
             "errors": sum(u["errors"] for u in rows), "warnings": sum(u["warnings"] for u in rows)}
    total_styles = {"text": styles.total_text, "money": styles.total_money, "rate": styles.total_rate,
                    "integer": styles.total_integer, "score": styles.total_text}
    grid.put_row(last + 1, [None if c.header == "序号" else c.get(None, total) for c in UNIT_COLUMNS],
                 [total_styles.get(c.style, styles.total_text) for c in UNIT_COLUMNS])
    finish_sheet(grid, HEADER_ROW, HEADER_ROW, last, width)


# ---------------------------------------------------------------------------- 5. 评分规则


RULE_HEADERS = ("规则项", "取值", "说明")
FILE_HEADERS = ("文件", "状态", "项目数", "SHA-256")


def write_rules(workbook: xlsxwriter.Workbook, styles: Styles, batch: Batch, streams: Streams | None = None) -> None:
    """Sheet 5 评分规则: the effective rules, the perfeval version and run time, the input files."""
    grid = Grid(workbook.add_worksheet(SHEET_RULES), limits={FILE_HEADERS.index("SHA-256"): 64})
    width = len(FILE_HEADERS)
    note = f"perfeval {batch.version}，运行时间 {batch.run_time:%Y-%m-%d %H:%M:%S}"
    write_frame(grid, styles, title_of(batch, "项目支出绩效自评评分规则"), note, width)
    write_headers(grid, styles, HEADER_ROW, RULE_HEADERS)
    describe = getattr(batch.rules, "describe", None)
    rules = describe() if describe else []
    text3 = [styles.text] * 3
    for row, entry in enumerate(rules, start=HEADER_ROW + 1):
        grid.put_row(row, entry, text3)
    last_rule = HEADER_ROW + len(rules)
    grid.put_row(last_rule + 1, ("perfeval 版本", batch.version, "生成本汇总表的程序版本"), text3)
    grid.put_row(last_rule + 2, ("运行时间", batch.run_time, "本次汇总的运行时间"),
                 (styles.text, styles.moment, styles.text))
    files_header = last_rule + 4
    rows = streams.rows(grid) if streams else grid
    rows.put_row(files_header, FILE_HEADERS, [styles.header] * len(FILE_HEADERS))
    file_styles = (styles.text, styles.text, styles.integer, styles.text)
    for row, record in enumerate(batch.files, start=files_header + 1):
        rows.put_row(row, (record.name, record.status, record.projects, record.sha256), file_styles)
    # the rest of the inbox, so that the list accounts for every file that was in it
    for row, name in enumerate(batch.ignored, start=files_header + 1 + len(batch.files)):
        rows.put_row(row, (name, ignored_status(name), None, ""), file_styles)
    finish_sheet(grid, HEADER_ROW, HEADER_ROW, last_rule, width)


# ---------------------------------------------------------------------------- the workbook


def write_summary(batch: Batch, path: Path) -> None:
    """Write 绩效自评汇总.xlsx for the batch to path (the caller handles temp names and renames)."""
    streams = Streams(path.parent)
    # XlsxWriter writes its part (small: the long tables are in ``streams``) to a temporary package,
    # which ``pack`` copies into the workbook. Not in_memory: its XML parts would be held as text.
    with tempfile.TemporaryFile(dir=path.parent) as package:
        try:
            workbook = xlsxwriter.Workbook(package, WORKBOOK_OPTIONS)
            try:
                set_properties(workbook, batch)
                styles = build_styles(workbook)
                write_projects(workbook, styles, batch)
                if batch.multi_unit:
                    write_units(workbook, styles, batch)
                write_funds(workbook, styles, batch, streams)
                write_indicators(workbook, styles, batch, streams)
                write_issues(workbook, styles, batch, streams)
                write_rules(workbook, styles, batch, streams)
            finally:
                _close(workbook)
            members = {f"xl/worksheets/sheet{n}.xml": streams.by_sheet[sheet.name]
                       for n, sheet in enumerate(workbook.worksheets(), start=1) if sheet.name in streams.by_sheet}
            package.seek(0)
            pack(package, path, members)
        finally:
            streams.close()


def _close(workbook: xlsxwriter.Workbook) -> None:
    """``workbook.close()``, failing with the OSError itself (XlsxWriter wraps it in its own
    FileCreateError, which the callers' handling of a full disk would not recognise). XlsxWriter also
    leaves its ZipFile open on the package file, which is closed first: the ZipFile's own cleanup
    would then print an English traceback under the Chinese message. It is told it has nothing left
    to write."""
    try:
        workbook.close()
    except Exception as exc:  # FileCreateError, raised from the OSError
        chained = exc
        while chained is not None:
            tb = chained.__traceback__
            while tb is not None:
                for value in tb.tb_frame.f_locals.values():
                    if isinstance(value, zipfile.ZipFile):
                        value.fp = None  # ZipFile.close() returns at once
                tb = tb.tb_next
            chained = chained.__cause__ or chained.__context__
        if not isinstance(exc, OSError) and isinstance(exc.__context__, OSError):
            raise exc.__context__ from None
        raise


class Streams:
    """The streamed rows of a workbook being written, by sheet name."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.by_sheet: dict[str, SheetRows] = {}

    def rows(self, grid: Grid) -> SheetRows:
        """The SheetRows of the grid's sheet (one per sheet)."""
        name = grid.sheet.name
        if name not in self.by_sheet:
            self.by_sheet[name] = SheetRows(grid, self.folder)
        return self.by_sheet[name]

    def close(self) -> None:
        for rows in self.by_sheet.values():
            rows.close()


_SHEET_DATA_END = re.compile(rb"</sheetData>|<sheetData/>")
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"/>')
ZIP64_FROM = (1 << 31) - (1 << 20)  # a member this large needs zip64 headers


def pack(source: BinaryIO, path: Path, members: dict[str, SheetRows]) -> None:
    """Copy the XlsxWriter package ``source`` to ``path``, adding each member's streamed rows at the
    end of its ``<sheetData>`` and widening its ``<dimension>`` to them."""
    with zipfile.ZipFile(source) as package, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in package.infolist():
            data = package.read(info)
            target = zipfile.ZipInfo(info.filename, info.date_time)
            target.compress_type, target.external_attr = info.compress_type, info.external_attr
            target.create_system = info.create_system
            rows = members.get(info.filename)
            if rows is None or not rows.count:
                out.writestr(target, data)
                continue
            end = _SHEET_DATA_END.search(data)
            head = _widen_dimension(data[:end.start()], rows.last_row, rows.last_col)
            if end.group() == b"<sheetData/>":
                head += b"<sheetData>"
            size = rows.size()
            with out.open(target, "w", force_zip64=size + len(data) > ZIP64_FROM) as member:
                member.write(head)
                rows.copy_to(member)
                member.write(b"</sheetData>")
                member.write(data[end.end():])


def _widen_dimension(head: bytes, last_row: int, last_col: int) -> bytes:
    """The sheet XML before </sheetData> with its <dimension> covering (last_row, last_col) too."""
    found = _DIMENSION.search(head)
    first, last = found.group(1).decode(), (found.group(2) or found.group(1)).decode()
    top, left = xl_cell_to_rowcol(first)
    bottom, right = xl_cell_to_rowcol(last)
    ref = f"{xl_rowcol_to_cell(min(top, last_row), min(left, 0))}:" \
          f"{xl_rowcol_to_cell(max(bottom, last_row), max(right, last_col))}"
    return head[:found.start()] + f'<dimension ref="{ref}"/>'.encode() + head[found.end():]


def set_properties(workbook: xlsxwriter.Workbook, batch: Batch) -> None:
    """Document properties from the batch only, so that a re-run gives the same file."""
    workbook.set_properties({
        "title": title_of(batch, "项目支出绩效自评汇总"),
        "subject": "项目支出绩效自评",
        "author": "perfeval",
        "company": batch.unit.name,
        "comments": f"由 perfeval {batch.version} 生成",
        "created": batch.run_time,
    })
