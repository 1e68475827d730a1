"""Marked-up copies of the input workbooks, returned to staff for correction (OUTPUTS.md §3).

For every input workbook with problems, ``write_marked_copy`` writes ``退回修改/<file>_审核意见.xlsx``:
a copy of the workbook in which every cell with an issue is filled (red for 错误, amber for 警告) and
carries a comment with the rule code and message, preceded by a first sheet 审核意见 that lists every
issue with a link to its cell. The original file is only ever opened for reading.

.xlsx/.xlsm/.xltx/.xltm are copied by editing their package (perfeval.xlsx_edit: untouched parts are
copied as they are, only the parts that change are rewritten; ~6 ms a form instead of ~75 ms). A package
that path does not handle confidently is copied through openpyxl (``write_marked_copy_openpyxl``),
which keeps values, formulas, styles, merged cells, data validation, charts and comments (not pictures
without Pillow, shapes, threaded comments or macros: ``left_out`` names what a copy lacks, and the
pipeline reports it as F009). .xls/.ods/.xlsb cannot be read by openpyxl: their sheets are rebuilt from python-calamine
(values and merged ranges; no styles).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tempfile
import threading
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import openpyxl
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.workbook.child import INVALID_TITLE_REGEX
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from perfeval.discover import SPREADSHEET_SUFFIXES
from perfeval.model import ERROR, INFO, LEVEL_RANK, LEVELS, WARNING, Issue
from perfeval.outputs import RESERVED_CHARS, fits_name, safe_file_name
from perfeval.reader import is_failure

# What XML 1.0 cannot hold: openpyxl's control characters, and U+FFFE/U+FFFF and lone surrogates,
# which an .xls cell can (lxml refuses them when the copy is saved)
ILLEGAL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REVIEW_SHEET = "审核意见"
AUTHOR = "perfeval"
REVIEW_LINE = re.compile(f"[A-Za-z0-9]+（(?:{'|'.join(LEVELS)})）：")  # the first line of make_comment
NAME_SUFFIX = "_审核意见.xlsx"
HEADERS = ("序号", "工作表", "单元格", "规则编号", "级别", "问题说明")
COLUMN_WIDTHS = (6, 20, 12, 10, 8, 80)

# Light red and amber as in Excel's own "Bad" and "Neutral" cell styles: the text stays readable.
ERROR_COLOR = "FFFFC7CE"
WARNING_COLOR = "FFFFEB9C"
FILLS = {
    ERROR: PatternFill(fill_type="solid", start_color=ERROR_COLOR, end_color=ERROR_COLOR),
    WARNING: PatternFill(fill_type="solid", start_color=WARNING_COLOR, end_color=WARNING_COLOR),
}
NO_FILL = PatternFill(fill_type=None)
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
LINK_FONT = Font(color="FF0563C1", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

OPENPYXL_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
# .xlsx/.xlsm/.xltx/.xltm are first copied by editing the package (perfeval.xlsx_edit, ~10x faster than
# an openpyxl load and save); packages it does not handle fall back to openpyxl. False: openpyxl only.
FAST_PATH = True
# A marked range is clipped to this many cells: a hostile "A1:XFD1048576" must not fill 17 billion cells.
MAX_MARKED_CELLS = 10_000
COMMENT_WIDTH_PX = 360
# About 7 px per half-width character in Excel's default comment font; a Chinese character is two.
COMMENT_UNITS_PER_LINE = 48
OLD_COMMENT_MARK = "——原批注——"
# The mark above a kept comment names its author when it had one ("——原批注（张三）——"), so that the
# comment gets its author back when the next round removes perfeval's lines; copies of earlier versions
# carry the bare mark.
OLD_COMMENT = re.compile(r"(?:^|\n)——原批注(?:（([^\n]*)）)?——\n")
# A 审核意见 sheet perfeval added is named so, or 审核意见_2 when the workbook has its own 审核意见.
REVIEW_SHEET_NAME = re.compile(re.escape(REVIEW_SHEET) + r"(?:_\d+)?")


class MarkedCopyError(Exception):
    """无法生成审核意见副本：源文件无法读取，或目标路径与源文件相同。"""


@dataclass(frozen=True)
class Target:
    """Where an issue lands in the copy: the sheet, the cells to fill, the cell to comment, the link."""

    ws: Worksheet
    cells: tuple[Cell, ...]  # anchors of merged ranges, deduplicated, in reading order
    ref: str  # normalised A1 reference ("E6", "E14:F14"), "" for a whole-sheet issue

    @property
    def location(self) -> str:
        """The hyperlink location: 'sheet'!E6, or the sheet's A1 for a whole-sheet issue."""
        return f"{quote_sheetname_always(self.ws.title)}!{self.ref or 'A1'}"


def returned_name(rel_name: str) -> str:
    """The file name of the marked copy of an input given by its path relative to the inbox.

    '单位A/01_项目.xls' -> '单位A_01_项目_审核意见.xlsx'. Folders become part of the name.
    """
    parts = [p for p in re.split(r"[/\\]+", unicodedata.normalize("NFC", rel_name)) if p not in ("", ".")]
    if parts:
        parts[-1] = strip_spreadsheet_suffix(parts[-1])
    return safe_file_name("_".join(parts), NAME_SUFFIX)


def strip_spreadsheet_suffix(name: str) -> str:
    """'01_项目.xls' -> '01_项目'; any other name ('第1.5期项目') is kept whole."""
    suffix = PurePosixPath(name).suffix
    return name[: -len(suffix)] if suffix.lower() in SPREADSHEET_SUFFIXES else name


def write_marked_copy(source: Path, issues: Sequence[Issue], dest: Path, sha256: str = "") -> list[str]:
    """Write to ``dest`` a copy of the workbook ``source`` marked with ``issues``.

    Every issue's cell is filled (red 错误, amber 警告; 提示 is listed but not filled) and carries a
    comment with code and message (several issues on one cell share one comment; a merged cell's
    comment sits on the top-left cell of its range). A FIRST sheet 审核意见 lists every issue with
    序号, 工作表, 单元格, 规则编号, 级别, 问题说明 and a link to the cell; issues without a sheet or cell
    are listed without a link. Sheet protection is removed so staff can edit the copy. The copy is
    always .xlsx (macros are dropped). ``source`` is read once, for reading only; with ``sha256`` (of
    the bytes the issues were found in) a file changed since is not copied. ``dest`` is written to a
    temporary name and renamed. Raises ``MarkedCopyError`` (a Chinese reason without local paths)
    when the source cannot be read or copied. Returns what of the workbook the copy does not hold
    (``left_out``; only a copy made through openpyxl leaves anything out).
    """
    source, dest = Path(source), Path(dest)
    if dest.exists() and os.path.samefile(source, dest):
        raise MarkedCopyError("审核意见副本不能覆盖源文件")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise MarkedCopyError(f"无法读取源文件（错误号 {exc.errno}）") from exc
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise MarkedCopyError("文件在审核期间被修改或替换，副本若按新文件生成将与审核结果不符")
    if FAST_PATH and is_package(source, data):
        from perfeval.xlsx_edit import Unsupported, write_marked_copy_fast

        try:
            write_marked_copy_fast(source, issues, dest, data)
            return []
        except Unsupported:
            pass  # odd package, unreadable source: the openpyxl path copies it or says why it cannot
    write_marked_copy_openpyxl(source, issues, dest, data)
    if not is_package(source, data):
        return []  # rebuilt from its values (the module's docstring says what that keeps)
    try:
        return left_out(data, dest.read_bytes())
    except OSError:
        return []


# What the openpyxl path leaves out of a copy, found by the package members that hold it (openpyxl
# keeps images only with Pillow installed, which perfeval does not need; it never keeps shapes).
DROPPED_PARTS = (
    ("图片", re.compile(r"xl/media/")),
    ("嵌入对象", re.compile(r"xl/embeddings/")),
    ("控件", re.compile(r"xl/(?:ctrlprops|activex)/")),
    ("切片器或日程表", re.compile(r"xl/(?:slicers|timelines)/")),
    ("新式批注", re.compile(r"xl/threadedcomments/")),
    ("SmartArt 图形", re.compile(r"xl/diagrams/data")),
    ("新式图表", re.compile(r"xl/charts/chartex")),
)
SHAPE = re.compile(rb"<(?:\w+:)?(?:sp|cxnSp)[\s>]")  # shapes, text boxes, lines and arrows
DRAWING = re.compile(r"xl/drawings/[^/]+\.xml")


def left_out(source: bytes, copy: bytes) -> list[str]:
    """The kinds of content ("图片", "形状（含线条、文本框）", ...) the source package holds more of than the copy."""

    def counts(data: bytes) -> dict[str, int]:
        found = dict.fromkeys(["图片", "形状（含线条、文本框）"] + [kind for kind, _ in DROPPED_PARTS], 0)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    name = info.filename.lower().replace("\\", "/").lstrip("/")
                    for kind, pattern in DROPPED_PARTS:
                        if pattern.match(name):
                            found[kind] += 1
                    if DRAWING.fullmatch(name):  # inflated before, by the reader's check and the copy
                        found["形状（含线条、文本框）"] += len(SHAPE.findall(archive.read(info)))
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, zlib.error, ValueError):
            pass
        return found

    before, after = counts(source), counts(copy)
    return [kind for kind in before if before[kind] > after[kind]]


def is_package(source: Path, data: bytes) -> bool:
    """An .xlsx/.xlsm/.xltx/.xltm that is one (a zip): openpyxl and the fast path copy it. An .xls saved
    under an .xlsx name (the reader reads files by their content) is rebuilt like an .xls."""
    return source.suffix.lower() in OPENPYXL_SUFFIXES and data[:2] == b"PK"


def write_marked_copy_openpyxl(source: Path, issues: Sequence[Issue], dest: Path, data: bytes | None = None) -> None:
    """``write_marked_copy`` through openpyxl: any format, slower (the whole workbook is loaded and saved)."""
    wb, aliases = open_copy(source, data)
    stale_sheet = next((ws for ws in wb.worksheets if is_stale_review_sheet(ws)), None)
    stale = stale_sheet is not None
    if stale:
        wb.remove(stale_sheet)
    for ws in wb.worksheets:
        unlock_sheet(ws)
        clear_old_marks(ws, fills=stale)
    located = [(issue, locate_issue(wb, issue, aliases)) for issue in unique_issues(issues)]
    located.sort(key=lambda pair: position_key(wb, pair[1]))
    for _, target in located:
        if target is not None:
            target.ws.sheet_state = "visible"  # a link into a hidden sheet does nothing in Excel
    mark_cells(located)
    add_review_sheet(wb, located, title_of(source, issues))
    save_atomically(wb, dest)


def open_copy(source: Path, data: bytes | None = None) -> tuple[Workbook, dict[str, str]]:
    """The source (its ``data`` when given) as an in-memory openpyxl workbook, read through a
    read-only file object.

    Also returns the renamed sheets of a rebuilt workbook (original name -> title in the copy).
    """
    package = False
    if source.suffix.lower() in OPENPYXL_SUFFIXES:
        if data is None:
            try:
                data = source.read_bytes()
            except OSError as exc:
                raise MarkedCopyError(f"无法读取源文件（错误号 {exc.errno}）") from exc
        package = is_package(source, data)
        too_large = oversized_merge(data) if package else ""
        if too_large:
            raise MarkedCopyError(f"工作表中的合并单元格 {too_large} 范围过大（远超自评表），无法安全生成副本；"
                                  "请取消该合并后另存")
    try:
        if package:
            with _opened(source, data) as fh, warnings.catch_warnings():
                # openpyxl warns about every part it drops (x14 data validation, slicers, ...): the copy
                # is a working copy for staff, the warnings would only flood the batch's output.
                warnings.simplefilter("ignore", UserWarning)
                with merged_borders_computed_once():
                    wb = load_workbook(fh)
            wb.template = False  # an .xltx/.xltm source is still saved as a plain .xlsx
            return wb, {}
        return rebuild_workbook(source, data)
    except BaseException as exc:  # openpyxl, zipfile and python-calamine each raise their own types
        if not is_failure(exc):
            raise
        raise MarkedCopyError(f"无法读取源文件（openpyxl 不能打开它：{type(exc).__name__}）") from exc


MAX_MERGED_CELLS = 1_000_000  # openpyxl makes an object of every cell of a merged range
MERGE_REF = re.compile(rb"""<(?:\w+:)?mergeCell\b[^<>]*?\bref\s*=\s*["']([^"']+)["']""")


def oversized_merge(data: bytes) -> str:
    """The first merged range of the package's sheets that openpyxl could not hold, or "". The sheets
    were inflated once already by the reader's check (bounded by their declared sizes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                name = info.filename.lower().replace("\\", "/")
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                xml = archive.read(info)
                if b"mergeCell" not in xml:
                    continue
                for ref in MERGE_REF.findall(xml):
                    try:
                        min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii").upper())
                        area = (max_row - min_row + 1) * (max_col - min_col + 1)
                    except (ValueError, TypeError, UnicodeDecodeError):
                        continue
                    if area > MAX_MERGED_CELLS:
                        return ref.decode("ascii")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, zlib.error):
        return ""  # openpyxl says what is wrong with it
    return ""


def _opened(source: Path, data: bytes | None):
    return io.BytesIO(data) if data is not None else open(source, "rb")


# openpyxl 3.1 spends most of a form's load time in MergedCellRange.format(): for every edge cell of every
# merged range it builds a Border, adds it to the cell's and hashes the result into the workbook's style
# table (~75 % of loading a 60-row form with 40 merged ranges). The results repeat: the new border
# depends only on the cell's border, the edge and the anchor's border. The replacement below computes
# each distinct combination once, through openpyxl's own code, and reuses its style index; the
# equivalence is tested against openpyxl's format() (tests/test_returns.py). Other versions keep theirs.
FAST_MERGE_FORMAT = openpyxl.__version__.startswith("3.1.")
_PATCH_LOCK = threading.Lock()


@contextmanager
def merged_borders_computed_once() -> Iterator[None]:
    """While loading, give merged cells their borders and protection as openpyxl 3.1 does, faster."""
    if not FAST_MERGE_FORMAT:
        yield
        return
    border_ids: dict[tuple[int, int, str, int], int] = {}

    def format_range(mcr: MergedCellRange) -> None:
        ws, start = mcr.ws, mcr.start_cell
        book = id(ws.parent)
        for name in ("top", "left", "right", "bottom"):
            side = getattr(start.border, name)
            if side and side.style is None:
                continue
            border = Border(**{name: side})
            start_id = style_array(start).borderId
            for coord in getattr(mcr, name):
                cell = merged_cell_at(ws, coord)
                key = (book, style_array(cell).borderId, name, start_id)
                if key in border_ids:
                    cell._style.borderId = border_ids[key]
                else:
                    cell.border += border
                    border_ids[key] = cell._style.borderId
        protection_id = ws.parent._protections.add(copy(start.protection))
        for coord in mcr.cells:
            style_array(merged_cell_at(ws, coord)).protectionId = protection_id

    with _PATCH_LOCK:
        original = MergedCellRange.format
        MergedCellRange.format = format_range
        try:
            yield
        finally:
            MergedCellRange.format = original


def style_array(cell: Cell | MergedCell) -> StyleArray:
    """The cell's openpyxl StyleArray (style indexes), created empty when the cell has none yet."""
    if not cell._style:
        cell._style = StyleArray()
    return cell._style


def merged_cell_at(ws: Worksheet, coord: tuple[int, int]) -> Cell | MergedCell:
    """The cell at (row, column), created as a MergedCell when absent, as openpyxl's format() does."""
    cell = ws._cells.get(coord)
    if cell is None:
        cell = ws._cells[coord] = MergedCell(ws, row=coord[0], column=coord[1])
    return cell


def rebuild_workbook(source: Path, data: bytes | None = None) -> tuple[Workbook, dict[str, str]]:
    """An openpyxl workbook with the values and merged ranges of an .xls/.ods/.xlsb file.

    python-calamine gives values (cached values for formulas) and, for .xls, merged ranges; styles,
    comments and formulas are not available, so the copy holds the figures only. Sheet names Excel
    would reject are renamed; the mapping (original name -> title) is returned with the workbook.
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    wb = Workbook()
    wb.remove(wb.active)
    aliases: dict[str, str] = {}
    with _opened(source, data) as fh:
        cwb = CalamineWorkbook.from_filelike(fh)
    try:
        for meta in cwb.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            sheet = cwb.get_sheet_by_name(meta.name)
            ws = wb.create_sheet(excel_sheet_title(meta.name, wb.sheetnames))
            if ws.title != meta.name:
                aliases[meta.name] = ws.title
            fill_sheet(ws, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or ())
            if meta.visible != SheetVisibleEnum.Visible:
                ws.sheet_state = "hidden"
    finally:
        cwb.close()
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    return wb, aliases


def excel_sheet_title(name: str, taken: Iterable[str]) -> str:
    """A sheet title Excel accepts (≤ 31 characters, none of []:*?/\\), unique in the workbook."""
    title = INVALID_TITLE_REGEX.sub("_", ILLEGAL_CHARACTERS_RE.sub("", name)).strip("'")[:31] or "Sheet"
    taken_lower = {t.lower() for t in taken}
    base, n = title, 1
    while title.lower() in taken_lower:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}_{n}"
    return title


def fill_sheet(ws: Worksheet, rows: list[list], merged: Iterable) -> None:
    """Write calamine's rows (0-based, starting at A1) and merged ranges into an empty sheet."""
    widths: dict[int, int] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            set_value(ws.cell(row=r, column=c), value)
            widths[c] = max(widths.get(c, 0), display_width(str(value)))
    for (r0, c0), (r1, c1) in merged:
        if (r0, c0) != (r1, c1):
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 50)


def set_value(cell: Cell, value: object) -> None:
    """Put a value in a cell; text stays text even when it starts with "=" (no formula injection)."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    else:
        cell.value = value


def unlock_sheet(ws: Worksheet) -> None:
    """Remove sheet protection (the template locks its label cells) so staff can edit the copy."""
    ws.protection = SheetProtection(sheet=False)


def is_stale_review_sheet(ws: Worksheet) -> bool:
    """The 审核意见 sheet of an earlier round (the workbook is itself a returned copy)."""
    if not REVIEW_SHEET_NAME.fullmatch(ws.title):
        return False

    def text(row: int, col: int) -> str:
        cell = ws._cells.get((row, col))  # ws.cell() would add cells to a sheet that is kept
        return "" if cell is None or cell.value is None else str(cell.value)

    return looks_like_review_sheet(text(1, 1), [text(3, col) for col in range(1, len(HEADERS) + 1)])


def looks_like_review_sheet(title: str, headers: Sequence[str]) -> bool:
    """A title "<file> 审核意见" above perfeval's header row: a sheet perfeval added. A workbook's own
    sheet that happens to be called 审核意见 is kept, and the new one is named 审核意见_2."""
    return title.strip().endswith(REVIEW_SHEET) and tuple(h.strip() for h in headers) == HEADERS


def clear_old_marks(ws: Worksheet, fills: bool) -> None:
    """Remove perfeval's comments of an earlier review round, giving back a comment it had kept below
    its lines (with its author).

    With ``fills`` (the workbook is itself a returned copy), also clear cells filled in perfeval's
    exact colours, so that corrected cells do not stay red.
    """
    for cell in list(ws._cells.values()):
        comment = cell.comment
        if comment is not None and is_review_comment(comment.author, comment.text):
            kept = kept_comment(comment.text)
            cell.comment = Comment(kept[1], kept[0], comment.height, comment.width) if kept else None
        if fills and cell.has_style and cell.fill.fill_type == "solid" \
                and cell.fill.fgColor.rgb in (ERROR_COLOR, WARNING_COLOR):
            cell.fill = NO_FILL


def is_review_comment(author: str | None, text: str | None) -> bool:
    """A comment of an earlier review round: perfeval's, opening with "规则编号（级别）：". The blank
    forms' own guidance comments have the same author (``perfeval template`` wrote them) and stay.
    LibreOffice saves the author of comments it did not write as " ": a blank author counts as perfeval
    (another author's comment keeps its name)."""
    return known_author(author) in ("", AUTHOR) and REVIEW_LINE.match(text or "") is not None


def known_author(author: str | None) -> str:
    """A comment's author, "" when it has none: blank, or "None" (openpyxl reads an empty <author/> so)."""
    author = " ".join((author or "").split())
    return "" if author == "None" else author


def kept_comment(text: str) -> tuple[str, str] | None:
    """(author, text) of the comment a review comment kept below its lines, or None."""
    found = OLD_COMMENT.search(text)
    if found is None or not text[found.end():]:
        return None
    return found.group(1) or " ", text[found.end():]  # " " as LibreOffice writes "no author": "" reads as "None"


def unique_issues(issues: Iterable[Issue]) -> list[Issue]:
    """The issues without exact duplicates, in their given order."""
    return list(dict.fromkeys(issues))


def locate_issue(wb: Workbook, issue: Issue, aliases: dict[str, str]) -> Target | None:
    """Where an issue lands in the workbook, or None when it names no sheet of it (file-level)."""
    ws = find_sheet(wb, issue.sheet, aliases)
    if ws is None:
        return None
    bounds = parse_ref(issue.cell)
    if bounds is None:
        return Target(ws, (), "")
    min_col, min_row, max_col, max_row = bounds
    if (max_row - min_row + 1) * (max_col - min_col + 1) > MAX_MARKED_CELLS:
        max_row = min(max_row, max(ws.max_row, min_row))
        max_col = min(max_col, max(ws.max_column, min_col))
        while (max_row - min_row + 1) * (max_col - min_col + 1) > MAX_MARKED_CELLS and max_row > min_row:
            max_row -= 1
    cells: dict[str, Cell] = {}
    for row in range(min_row, max_row + 1):
        for col in range(min_col, max_col + 1):
            cell = anchor_of(ws, existing_cell(ws, row, col))
            cells.setdefault(cell.coordinate, cell)
    if len(cells) == 1:  # one cell, or a range inside one merged area: point at its anchor
        return Target(ws, tuple(cells.values()), next(iter(cells)))
    first = f"{get_column_letter(min_col)}{min_row}"
    last = f"{get_column_letter(max_col)}{max_row}"
    return Target(ws, tuple(cells.values()), f"{first}:{last}")


def existing_cell(ws: Worksheet, row: int, col: int) -> Cell | MergedCell:
    """The cell at (row, col). One the file did not store (Excel leaves out empty cells styled like
    their column) is created with the style Excel draws it in: its row's, for a row with a
    format of its own, else its column's; so that the fill added to it keeps its borders and font."""
    if (row, col) in ws._cells:
        return ws._cells[(row, col)]
    cell = ws.cell(row=row, column=col)
    source = ws.row_dimensions.get(row) if row in ws.row_dimensions else None
    if source is None or not source.customFormat:
        source = next((d for d in ws.column_dimensions.values()
                       if d.min is not None and d.max is not None and d.min <= col <= d.max), None)
    if source is not None and source.has_style:
        cell._style = copy(source._style)
    return cell


def find_sheet(wb: Workbook, name: str, aliases: dict[str, str]) -> Worksheet | None:
    """The sheet an issue names: by title, else by the original name of a renamed rebuilt sheet."""
    title = aliases.get(name, name)
    return wb[title] if title and title in wb.sheetnames else None


def parse_ref(ref: str) -> tuple[int, int, int, int] | None:
    """(min_col, min_row, max_col, max_row) of "E6", "$E$6" or "E14:F14"; None if not a bounded range."""
    text = ref.replace("$", "").replace(" ", "").upper()
    if not text:
        return None
    try:
        bounds = range_boundaries(text)
    except (ValueError, TypeError):
        return None
    if any(b is None for b in bounds):
        return None
    min_col, min_row, max_col, max_row = bounds
    if max_col > 16384 or max_row > 1048576 or min_col < 1 or min_row < 1:
        return None
    return min_col, min_row, max_col, max_row


def anchor_of(ws: Worksheet, cell: Cell | MergedCell) -> Cell:
    """The top-left cell of the merged range a cell lies in (Excel shows only its fill and comment)."""
    if not isinstance(cell, MergedCell):
        return cell
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= cell.row <= merged.max_row and merged.min_col <= cell.column <= merged.max_col:
            return ws.cell(row=merged.min_row, column=merged.min_col)
    return cell


def position_key(wb: Workbook, target: Target | None) -> tuple[int, int, int]:
    """Sort key: file-level issues first, then by sheet order, row and column."""
    if target is None:
        return (-1, 0, 0)
    first = target.cells[0] if target.cells else None
    return (wb.worksheets.index(target.ws), first.row if first else 0, first.column if first else 0)


def mark_cells(located: Sequence[tuple[Issue, Target | None]]) -> None:
    """Fill every issue's cells by level and put one comment per cell listing its issues."""
    cells: dict[tuple[str, str], Cell] = {}
    levels: dict[tuple[str, str], str] = {}
    notes: dict[tuple[str, str], tuple[Cell, list[Issue]]] = {}
    for issue, target in located:
        if target is None or not target.cells:
            continue
        for cell in target.cells:
            key = (target.ws.title, cell.coordinate)
            cells[key] = cell
            if issue.level in FILLS and LEVEL_RANK[issue.level] < LEVEL_RANK[levels.get(key, INFO)]:
                levels[key] = issue.level
        first = target.cells[0]
        notes.setdefault((target.ws.title, first.coordinate), (first, []))[1].append(issue)
    for key, level in levels.items():
        cells[key].fill = FILLS[level]
    for cell, cell_issues in notes.values():
        cell.comment = make_comment(cell_issues, cell.comment)


def make_comment(issues: Sequence[Issue], old: Comment | None) -> Comment:
    """One comment for all issues on a cell, sized to be readable; a comment already there is kept below."""
    lines = [f"{i.code}（{i.level}）：{i.message}" for i in issues]
    text = "\n".join(dict.fromkeys(lines))
    if old is not None and old.text.strip():
        author = known_author(old.author)
        mark = f"——原批注（{author}）——" if author else OLD_COMMENT_MARK
        text += f"\n{mark}\n{old.text.strip()}"
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    height = 16 + 18 * sum(wrapped_lines(line, COMMENT_UNITS_PER_LINE) for line in text.split("\n"))
    return Comment(text, AUTHOR, height=min(height, 600), width=COMMENT_WIDTH_PX)


def display_width(text: str) -> int:
    """Width in half-width units: a Chinese (wide) character counts two."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


@lru_cache(maxsize=8192)
def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def wrapped_lines(text: str, units: int) -> int:
    """How many lines a text takes when wrapped at ``units`` half-width characters."""
    return max(1, math.ceil(display_width(text) / units))


def title_of(source: Path, issues: Sequence[Issue]) -> str:
    """The review sheet's title: the input's name as users know it (relative to the inbox)."""
    name = next((i.file for i in issues if i.file), "") or source.name
    return f"{name} 审核意见"


def add_review_sheet(wb: Workbook, located: Sequence[tuple[Issue, Target | None]], title: str) -> None:
    """Insert 审核意见 as the first, active sheet: title, guidance, header, one row per issue."""
    ws = wb.create_sheet(excel_sheet_title(REVIEW_SHEET, wb.sheetnames), 0)
    for other in wb.worksheets[1:]:
        # A sheet still marked selected would open grouped with 审核意见 in Excel.
        other.sheet_view.tabSelected = False
    wb.active = 0
    ws.sheet_view.tabSelected = True
    for view in wb.views:
        view.firstSheet = 0  # the first visible tab; else 审核意见 may open scrolled out of sight

    set_value(ws["A1"], title)
    ws["A1"].font = TITLE_FONT
    summary = review_summary(located)
    set_value(ws.cell(row=2, column=1), summary)
    ws["A2"].alignment = WRAP
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADERS))
    ws.row_dimensions[2].height = 15 * wrapped_lines(summary, sum(COLUMN_WIDTHS) - 4) + 6

    for col, (header, width) in enumerate(zip(HEADERS, COLUMN_WIDTHS), start=1):
        cell = ws.cell(row=3, column=col, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    for n, (issue, target) in enumerate(located, start=1):
        write_issue_row(ws, 3 + n, n, issue, target)

    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(HEADERS))}{3 + max(len(located), 1)}"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def review_summary(located: Sequence[tuple[Issue, object]]) -> str:
    """The guidance line under the review sheet's title: counts by level and what to do."""
    if not located:
        return "未发现问题。"
    counts = {level: sum(1 for i, _ in located if i.level == level) for level in LEVELS}
    return (f"共 {len(located)} 条：错误 {counts[ERROR]} 条（红色，必须修改），警告 {counts[WARNING]} 条"
            f"（黄色，请核实或在偏差原因分析中说明），提示 {counts[INFO]} 条（无需修改）。"
            "点击单元格地址可跳转到该单元格；批注中有具体说明。修改后请重新报送。")


def issue_row_place(issue: Issue, target) -> tuple[str, str]:
    """The 工作表 and 单元格 columns of an issue's row (``target``: a Target, an xlsx_edit.Spot or None)."""
    if target is None:
        return issue.sheet, issue.cell
    title = target.ws.title if isinstance(target, Target) else target.sheet.name
    return title, target.ref or "整表"


def issue_row_lines(issue: Issue, sheet: str) -> int:
    """Text lines of an issue's row: its height is 15 points a line (+3) when more than one."""
    return max(wrapped_lines(issue.message, COLUMN_WIDTHS[5] - 2), wrapped_lines(sheet, COLUMN_WIDTHS[1] - 2))


def write_issue_row(ws: Worksheet, row: int, number: int, issue: Issue, target: Target | None) -> None:
    """One row of the 审核意见 sheet, with a link to the issue's cell when it has one."""
    sheet, cell_text = issue_row_place(issue, target)
    values = (number, sheet, cell_text, issue.code, issue.level, issue.message)
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        set_value(cell, value)
        cell.alignment = WRAP if col in (2, 6) else TOP
    if target is not None:
        link = ws.cell(row=row, column=3)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=target.location, display=cell_text)
        link.font = LINK_FONT
    if issue.level in FILLS:
        ws.cell(row=row, column=5).fill = FILLS[issue.level]
    lines = issue_row_lines(issue, sheet)
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines + 3


def quote_sheetname_always(title: str) -> str:
    """'sheet' in single quotes (inner quotes doubled), as Excel wants in a link to a Chinese sheet name."""
    return "'" + title.replace("'", "''") + "'"


def save_atomically(wb: Workbook, dest: Path) -> None:
    """Save to a temporary file beside ``dest`` and rename it, so no half-written copy is left."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates the file readable by its owner only
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
