"""Stage 2: read the forms out of a workbook, by their labels (FORM.md §2, §3).

Published 自评表 move around: rows are inserted, columns shift, labels carry spaces, full-width
brackets, units or points. So nothing here uses fixed addresses: each block is found by its
labels anywhere in the sheet, and values are read relative to them. The result is a ``RawForm``:
every field is the cell's value as the reader returned it, with its A1 address. Turning those into
numbers and parsed values is the next stage's job (``normalise``).

python-calamine reads .xlsx/.xlsm/.xls/.ods in about half a millisecond per form and returns merged
ranges; merged cells hold their value in the top-left cell only, which is why 一级/二级指标 are
carried down.

Before calamine sees a file, ``precheck`` bounds the work it can cause (QUALITY.md "Robustness"):
calamine builds a dense grid up to the furthest cell and *aborts the process* when that grid cannot
be allocated, so the sizes in the zip directory, the cell extents of every sheet and the XML
prologues are checked first, from the bytes that calamine will then parse (not from the path
again, so the file cannot change in between).
"""

from __future__ import annotations

import array
import hashlib
import html
import errno
import io
import os
import posixpath
import re
import stat
import struct
import sys
import zlib
from dataclasses import dataclass, field
from functools import lru_cache, partial, wraps
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple
from urllib.parse import unquote

import python_calamine

from perfeval import checks
from perfeval.model import Issue
from perfeval.values import format_number, is_empty

MAX_FILE = 100 * 1024 * 1024  # bytes on disk
OS_REASONS = {errno.ENOENT: "文件不存在，可能已被移走或删除", errno.EACCES: "没有读取权限",
              errno.EPERM: "没有读取权限", errno.EISDIR: "这是一个文件夹", errno.EIO: "磁盘读取出错",
              errno.EBUSY: "文件被占用", errno.ELOOP: "链接绕成了圈", errno.ENAMETOOLONG: "路径过长，文件夹层级太深或名称太长"}
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # bytes of XML a workbook may inflate to
MAX_RATIO = 200  # compression ratio of one member beyond which a large member is a bomb
MAX_MEMBERS = 10_000
MAX_CELLS = 200_000  # cells in the whole workbook
MAX_SHEET_NAME = 255  # characters (Excel and WPS allow 31; LibreOffice more)
MAX_SHEETS = 500  # worksheets read of one workbook (a unit's forms as sheets: a few dozen)
MAX_INDICATORS = 500  # indicator rows read of one form (the national form has 10–30)
MAX_UNIT_TEXT = 20_000  # characters of a 单位情况 sheet's items together (a few pages of narrative)
_LONG_SHEET_NAME = "工作表名称长达 {:,} 字（Excel 最多 31 字），不是正常的工作簿，可能是恶意构造的文件，已拒绝读取；请在 Excel 或 WPS 中打开后另存为 .xlsx 再提交"
MAX_ROWS = 5000
MAX_COLS = 200


class RawCell(NamedTuple):
    """A cell's value as read (str, float, int, bool, date, or "" when empty) and its address."""

    value: object
    cell: str


EMPTY = RawCell("", "")
_intern = sys.intern  # cell addresses recur in every form: one string each per worker (see model.record)
_cell = partial(tuple.__new__, RawCell)  # RawCell((value, cell)) without the named tuple's Python __new__


@dataclass
class RawForm:
    """One form found on a worksheet, before normalisation."""

    file: str
    sheet: str
    fields: dict[str, RawCell] = field(default_factory=dict)
    funds: dict[str, dict[str, RawCell]] = field(default_factory=dict)  # row kind -> column -> cell
    funds_labels: dict[str, str] = field(default_factory=dict)  # row kind -> label as written
    funds_columns: tuple[str, ...] = ()  # which funds columns the form has
    indicators: list[dict[str, RawCell]] = field(default_factory=list)
    declared: dict[str, RawCell] = field(default_factory=dict)  # "产出指标" -> the label cell with (50分)
    amount_unit: str = "万元"
    amount_unit_cell: str = ""
    uncached: frozenset[str] = frozenset()  # A1 cells holding a formula with no cached value
    recalculated: frozenset[str] = frozenset()  # formula cells whose cached 0 the workbook says to recalculate
    more_names: tuple[str, ...] = ()  # 项目名称 labels of further forms on the same sheet, not read
    indicators_cut: bool = False  # more than MAX_INDICATORS indicator rows: the rest not read


@dataclass(frozen=True)
class SheetMarks:
    """What the precheck saw in one sheet's XML that calamine does not give."""

    uncached: frozenset[str] = frozenset()  # A1 cells holding a formula with no cached value
    errors: dict[str, str] = field(default_factory=dict)  # A1 cell -> the error value it shows ("#REF!")
    hidden_rows: frozenset[int] = frozenset()  # 1-based
    hidden_cols: frozenset[int] = frozenset()  # 1-based
    recalculated: frozenset[str] = frozenset()  # formula cells with a cached 0 in a workbook marked fullCalcOnLoad
    # the A1 cells holding a number shown as a percentage (0.98 as 98%), asked only for a form with numbers
    # among its indicator values (``_show_percents``): an .xlsx sheet's are looked up then, from the file's
    # bytes; an .xls or .ods sheet's were found by the precheck's walk of its records or tables
    percent: Callable[[bytes], frozenset[str]] | None = None
    too_large: str = ""  # the F007 message of a sheet left unloaded while others may hold the form


NO_MARKS = SheetMarks()


@dataclass
class UnitSheet:
    """A 单位情况 sheet: item -> content (FORM.md §4)."""

    file: str
    sheet: str
    items: dict[str, RawCell]


@dataclass
class Workbook:
    """What one file gave: its forms, its 单位情况 sheet if any, and file-level issues."""

    file: str
    forms: list[RawForm] = field(default_factory=list)
    unit: UnitSheet | None = None
    issues: list[Issue] = field(default_factory=list)
    readable: bool = True
    sha256: str = ""  # of the bytes read, "" when the file was not read (too large, no access)


# ---- labels -------------------------------------------------------------------------------

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_TRAILING_PART = re.compile(r"\((?:[^()]*?(?:万元|元|分|A|B|B/A|%|％)[^()]*?)\)$")
_POINTS = re.compile(r"[(（]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]")
# Full-width ASCII (an IME left in full-width mode types 全年预算数（Ａ）, （１０分）) as half-width, and the
# brackets and commas labels are written with as their plain forms
_TRANS = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
                        "【": "(", "】": ")", "［": "(", "］": ")", "、": ","})


@lru_cache(maxsize=8192)
def _normalise_text(text: str) -> str:
    s = _SPACE.sub("", text).translate(_TRANS)
    if len(s) > 40:
        return s
    for _ in range(2):
        if s.endswith(")"):  # the only place the trailing part can be (no whitespace is left)
            s = _TRAILING_PART.sub("", s)
    return s.rstrip(":")


def normalise_label(text: object) -> str:
    """Label text for comparison: no whitespace, half-width brackets and colons, no trailing
    unit or points part such as （万元） （A） （B/A） （10分） (50分), no trailing colon."""
    if not isinstance(text, str):
        return ""
    return _normalise_text(text)


def _labels(*names: str) -> frozenset[str]:
    return frozenset(normalise_label(n) for n in names)


BUDGET = _labels("全年预算数", "调整后预算数", "调整预算数", "预算数", "全年预算")
INITIAL = _labels("年初预算数", "年初预算")
ACTUAL = _labels("全年执行数", "预算执行数", "执行数", "全年执行", "实际执行数", "实际支出数")
RATE = _labels("执行率", "预算执行率")
POINTS = _labels("分值", "权重", "权重(分值)", "分值(权重)", "指标分值")
SCORE = _labels("得分", "自评得分", "评分", "实际得分")
TOTAL_ROW = _labels("年度资金总额", "资金总额", "总额", "合计", "年度资金总额:")
APPROPRIATION_ROW = _labels("当年财政拨款", "本年财政拨款", "财政拨款", "财政资金", "本年一般公共预算拨款")
OWN_LEVEL_ROW = _labels("本级资金", "区级资金", "县级资金", "市级资金", "省级资金")
CARRYOVER_ROW = _labels("上年结转资金", "上年结转", "结转资金")
OTHER_ROW = _labels("其他资金", "单位资金", "财政专户管理资金")
FUNDS_ROWS = {"total": TOTAL_ROW, "appropriation": APPROPRIATION_ROW, "own_level": OWN_LEVEL_ROW,
              "carryover": CARRYOVER_ROW, "other": OTHER_ROW}
FUNDS_BLOCK = _labels("项目资金", "资金来源", "项目资金(万元)", "预算执行情况", "资金情况")

LEVEL1 = _labels("一级指标")
LEVEL2 = _labels("二级指标")
LEVEL3 = _labels("三级指标", "指标名称")
TARGET = _labels("年度指标值", "指标值", "年初目标值", "目标值", "预期指标值", "年度目标值", "全年指标值")
ACTUAL_VALUE = _labels("实际完成值", "完成值", "全年实际值", "实际值", "全年完成值", "全年实际完成值", "实际完成数")
NATURE = _labels("指标性质")
UNIT = _labels("度量单位", "计量单位", "单位")
DEVIATION = _labels("偏差原因分析及改进措施", "未完成原因分析", "偏差原因", "未完成原因分析及改进措施",
                    "偏差原因分析", "未完成原因及改进措施")
GOAL = _labels("预期目标", "年初设定目标", "年度目标", "总体目标")
ACHIEVEMENT = _labels("实际完成情况", "年度总体目标完成情况", "年度目标完成情况", "目标完成情况")
GOAL_BLOCK = _labels("年度总体目标", "年度总体目标完成情况")

NAME = _labels("项目名称")
DEPARTMENT = _labels("主管部门", "主管部门及代码", "预算部门", "主管单位")
IMPLEMENTER = _labels("实施单位", "项目实施单位", "实施单位(盖章)", "项目单位")
CODE = _labels("项目编码", "项目代码")
PROJECT_TYPE = _labels("项目类型", "项目类型(经常性/一次性)")
FUND_USE = _labels("资金用途,使用方向", "资金用途", "资金用途及使用方向", "使用方向")
FILLER = _labels("填报人", "填表人")
PHONE = _labels("联系电话", "电话")
TOTAL_SCORE = _labels("总分", "合计", "总计")
STOP = _labels("项目负责人", "财务负责人", "填报日期", "单位盖章", "单位负责人", "审核人", "补充信息",
               "填表日期", "备注", "填报单位", "单位(盖章)", "盖章")
INDICATOR_BLOCK = _labels("绩效指标", "年度绩效指标")

# Every label the reader knows: a value scan stops when it meets one.
KNOWN = frozenset().union(
    BUDGET, INITIAL, ACTUAL, RATE, POINTS, SCORE, TOTAL_ROW, LEVEL1, LEVEL2, LEVEL3, TARGET, ACTUAL_VALUE,
    DEVIATION, GOAL, ACHIEVEMENT, GOAL_BLOCK, NAME, DEPARTMENT, IMPLEMENTER, CODE, PROJECT_TYPE, FUND_USE,
    FILLER, PHONE, STOP, INDICATOR_BLOCK, FUNDS_BLOCK)

UNIT_SHEET = "单位情况"
NOTES_SHEETS = _labels("填表说明", "填报说明", "填写说明")
UNIT_ITEMS = ("单位名称", "年度", "主管部门", "本级资金名称", "资金使用管理情况", "绩效评价工作情况", "存在的问题",
              "有关建议", "其他需要说明的问题", "联系人", "联系电话", "报送日期")


_A1 = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def cell_index(cell: str) -> tuple[int, int]:
    """A1 -> 0-based (row, col)."""
    letters, digits = _A1.fullmatch(cell).groups()
    return int(digits) - 1, _col_index(letters.encode()) - 1


def column_letters(col: int) -> str:
    """0-based column -> A, B, …, Z, AA, …"""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_LETTERS = tuple(column_letters(c) for c in range(MAX_COLS + 1))


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) -> A1."""
    return sys.intern(f"{_LETTERS[col] if col <= MAX_COLS else column_letters(col)}{row + 1}")


# ---- files --------------------------------------------------------------------------------

Problem = tuple[str, str]  # (code, message)

ENCRYPTED = "文件已加密，请另存为未加密的工作簿"
_RESAVE = "请在 Excel 或 WPS 中打开后另存为 .xlsx 再提交"


def is_failure(exc: BaseException) -> bool:
    """A failure to report (the file fails, not the batch) rather than an interrupt to pass on: every
    Exception, and pyo3's PanicException (python-calamine's Rust code panicking on a malformed file),
    which derives from BaseException, so that ``except Exception`` lets it through."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


_UNREADABLE = "文件读取时出错（技术信息：{}），已跳过；" + _RESAVE


def read_workbook(path: Path, name: str) -> Workbook:
    """Every form and the 单位情况 sheet of one file; problems become issues, never exceptions."""
    book = Workbook(name)
    try:
        _read_into(book, Path(path))
    except BaseException as exc:  # a bug or an input nobody foresaw must cost this file only
        if not is_failure(exc):
            raise
        book.issues.append(checks.issue("F001", _UNREADABLE.format(_short(exc)), file=name))
        book.readable = False
    return book


def _read_into(book: Workbook, path: Path) -> None:
    data, problem = _load_bytes(path)
    if data:
        book.sha256 = hashlib.sha256(data).hexdigest()
    marks: dict[str, SheetMarks] = {}
    if problem is None:
        problem, marks = precheck(data, path.suffix.lower())
    if problem is not None:
        _fail(book, _wps_unreadable(path, data, problem))
        return
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [(m.name, m.visible == python_calamine.SheetVisibleEnum.Visible)
                  for m in workbook.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    except BaseException as exc:  # calamine raises its own error types for every kind of bad file
        if not is_failure(exc):
            raise
        _fail(book, _wps_unreadable(path, data, ("F001", _open_failure(path, data, exc))))
        return
    longest = max((len(name) for name, _ in sheets), default=0)
    if longest > MAX_SHEET_NAME:
        # every issue names its sheet: a name of 45 million characters in a 260 KB file, copied into each of
        # a form's issues, made a 2.8 GB result.json and 8 GB of memory (the precheck refuses it first in an
        # .xlsx or .ods, whose messages name sheets; this holds for every format calamine reads)
        _fail(book, ("F001", _LONG_SHEET_NAME.format(longest)))
        return
    if len(sheets) > MAX_SHEETS:
        # thousands of small form sheets (up to the cell limit) took minutes a workbook
        book.issues.append(checks.issue("F007", f"工作簿含 {len(sheets):,} 个工作表，超过 {MAX_SHEETS} 个的上限，只读取了前 "
                                                f"{MAX_SHEETS} 个；请拆分为多个工作簿后再提交", file=book.file))
        sheets = sheets[:MAX_SHEETS]
    hidden_forms: list[RawForm] = []
    # the template's 填表说明 sheet is read only when no other sheet holds a form (saves a third of
    # the reading time of a typical workbook)
    notes = [s for s in sheets if normalise_label(s[0]) in NOTES_SHEETS] if len(sheets) > 1 else []
    for sheet_name, visible in [s for s in sheets if s not in notes] + notes:
        if (sheet_name, visible) in notes and (book.forms or hidden_forms):
            break
        marked = marks.get(sheet_name, NO_MARKS)
        if marked.too_large:  # said, and the other sheets read
            book.issues.append(checks.issue("F007", marked.too_large + "（该工作表未读取）", file=book.file,
                                            sheet=sheet_name))
            continue
        grid = _load_sheet(book, workbook, sheet_name)
        if grid is None:
            if not book.readable:
                return
            continue
        rows, merged = grid
        _show_errors(rows, marked.errors)
        if normalise_label(sheet_name) == UNIT_SHEET:
            book.unit = read_unit_sheet(rows, book.file, sheet_name)
            book.issues.extend(_bound_unit_sheet(book.unit))
            continue
        _hide(rows, merged, marked.hidden_cols)
        form = find_form(rows, merged, book.file, sheet_name)
        if form is None:
            continue
        form.uncached, form.recalculated = marked.uncached, marked.recalculated
        _show_percents(form, marked.percent, data)
        hidden_read = hidden_rows_read(form, marked.hidden_rows)
        if hidden_read:
            shown = "、".join(map(str, hidden_read[:10])) + (f" 等 {len(hidden_read)} 行" if len(hidden_read) > 10 else "")
            book.issues.append(checks.issue(
                "F011", f"第 {shown} 行已隐藏（Excel 中不显示、不打印），其中的指标已读取并计入分值和得分；"
                        "如是不再使用的旧指标，请删除这些行，否则请取消隐藏以便核对", file=book.file, sheet=sheet_name,
                cell=f"A{hidden_read[0]}"))
        if form.more_names:
            book.issues.append(checks.issue(
                "F010", f"该工作表中还有另一张自评表（“项目名称”在 {'、'.join(form.more_names)}），perfeval 每个工作表只读取"
                        "第一张，其余项目未计入；请把每个项目的自评表放在单独的工作表中", file=book.file, sheet=sheet_name,
                cell=form.more_names[0]))
        (book.forms if visible else hidden_forms).append(form)
    book.forms += _hidden_projects(book.forms, hidden_forms)
    if not book.forms and book.unit is None and not any(i.code in ("F001", "F007") for i in book.issues):
        # (a sheet that could not be read, or was too large to, has said so: "no form found" would mislead)
        book.issues.append(checks.issue(
            "F002", "工作簿中没有找到项目支出绩效自评表（未找到“项目名称”“三级指标”等栏目），"
                    "请使用 perfeval template 生成的模板或标准自评表填报", file=book.file))


def _show_errors(rows: list[list[object]], errors: dict[str, str]) -> None:
    """Put each error value ("#REF!") in its cell, in place, as Excel shows it: calamine reads the
    cell as empty, which would report a broken formula as a value never filled in."""
    for cell, value in errors.items():
        r, c = cell_index(cell)
        if 0 <= r < len(rows) and 0 <= c < len(rows[r]) and rows[r][c] in ("", None):
            rows[r][c] = value


def _show_percents(form: RawForm, percent: Callable[[bytes], frozenset[str]] | None, data: bytes) -> None:
    """An indicator value Excel shows as a percentage, read as Excel shows it: typing "0.8%" into a
    cell stores 0.008 with a percent format, which calamine gives as the bare 0.008; against "≤0.5%"
    that would pass. Only 年度指标值 and 实际完成值: amounts and 执行率 are read as numbers anyway."""
    if percent is None:
        return
    numbers = [(row, key) for row in form.indicators for key in ("target", "actual")
               if key in row and row[key].value.__class__ in (float, int)
               and abs(row[key].value) < MAX_PERCENT]  # (not inf, not NaN)
    if not numbers:
        return
    cells = percent(data)
    for row, key in numbers:
        raw = row[key]
        if raw.cell in cells:
            row[key] = RawCell(format_number(raw.value * 100) + "%", raw.cell)


MAX_PERCENT = 1e12  # a fraction whose percentage would be 10^14 or more is no reading of a form: left as it is


def _hidden_projects(visible: list[RawForm], hidden: list[RawForm]) -> list[RawForm]:
    """The forms of hidden sheets that count. A hidden sheet is usually a spare copy of the
    template, or an older copy of the same project; it counts when the workbook shows no form at
    all (the unit hid the one it filled), or when it holds another project."""
    if not visible:
        return hidden
    shown = {_project_name(f) for f in visible}
    return [f for f in hidden if _project_name(f) and _project_name(f) not in shown]


def _project_name(form: RawForm) -> str:
    value = form.fields.get("name", EMPTY).value
    return _SPACE.sub("", value) if isinstance(value, str) else ""


# WPS 表格's own formats: usually a compound file that reads like an .xls, but not from every version
WPS_SUFFIXES = (".et", ".ett")
WPS_UNREADABLE = "文件为 WPS 表格格式（{}），无法读取：{}；请在 WPS 中打开，用“另存为”保存为 Excel 工作簿（.xlsx）后再提交"


def _wps_unreadable(path: Path, data: bytes, problem: Problem) -> Problem:
    """An .et/.ett compound file that does not read like an .xls is told the way out that WPS offers
    (the reason kept, without its advice for Excel files); anything else as it is."""
    code, message = problem
    suffix = path.suffix.lower()
    if code != "F001" or suffix not in WPS_SUFFIXES or not data.startswith(_OLE) or message == ENCRYPTED:
        return problem
    return code, WPS_UNREADABLE.format(suffix, re.split("；|，请", message, maxsplit=1)[0])


def _fail(book: Workbook, problem: Problem) -> None:
    """The whole file is rejected: one issue, nothing of it is used."""
    code, message = problem
    book.forms, book.unit = [], None
    book.issues.append(checks.issue(code, message, file=book.file))
    book.readable = False


NOT_A_FILE = "这不是一个普通文件（而是管道、设备或套接字，或指向它们的链接），不是工作簿，已跳过；请把工作簿本身放入收件箱"
FOLDER_UNREADABLE = "文件夹无法打开（{}），其中的文件都没有读取；请检查该文件夹的访问权限后重新运行"


def open_regular(path: Path):
    """The file opened for reading, or None when it is no regular file (a FIFO, a device, a socket, or
    a link to one): opened without blocking (a FIFO would wait for a writer forever) and checked on
    the opened descriptor, so that a file swapped for a FIFO in between is caught too."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        return None
    return handle


def _load_bytes(path: Path) -> tuple[bytes, Problem | None]:
    try:
        handle = open_regular(path)
        if handle is None:
            return b"", ("F001", FOLDER_UNREADABLE.format("列出其内容时出错") if os.path.isdir(path) else NOT_A_FILE)
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE:
                return b"", ("F007", f"文件大小 {size / 1048576:.0f} MB，超过 {MAX_FILE // 1048576} MB 的读取上限，"
                                     "自评表通常只有几十 KB；请删除多余的工作表、图片后另存再提交")
            return handle.read(size + 1), None  # a file growing meanwhile is not read without end
    except OSError as exc:
        # os.path's tests, not Path's: those raise in turn where the file cannot be looked at (a folder
        # without search permission, a path beyond the system's limit)
        if os.path.isdir(path):  # a folder of the inbox that could not be listed (``discover``)
            return b"", ("F001", FOLDER_UNREADABLE.format(f"{OS_REASONS.get(exc.errno, '系统错误')}，错误号 {exc.errno}"))
        if os.path.islink(path):
            return b"", ("F001", "文件是一个链接（快捷方式），但它指向的文件不存在或链接绕成了圈；"
                                 "请把工作簿本身放入收件箱")
        reason = OS_REASONS.get(exc.errno, "系统错误")
        return b"", ("F001", f"文件无法读取（{reason}，错误号 {exc.errno}），请检查文件是否存在、被占用或权限不足")


def _load_sheet(book: Workbook, workbook, sheet_name: str) -> tuple[list[list[object]], list] | None:
    """A sheet's cells and merged ranges; None (with an issue) when it cannot or must not be read."""
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        end = sheet.end
        if end is not None and (end[0] >= MAX_ROWS or end[1] >= MAX_COLS):
            # .xls and .xlsb have no XML to check beforehand; their grids are bounded by the format
            # (65,536 × 256 for .xls) but still far beyond any form
            book.issues.append(checks.issue(
                "F007", f"工作表“{sheet_name}”的范围过大（单元格达到第 {end[0] + 1:,} 行、第 {end[1] + 1:,} 列），"
                        f"超过读取上限（{MAX_ROWS} 行、{MAX_COLS} 列），该工作表未读取；如其中有自评表，请删除多余的行列后另存再提交",
                file=book.file, sheet=sheet_name))
            return None
        return sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []
    except python_calamine.PasswordError:
        _fail(book, ("F001", ENCRYPTED))
        return None
    except BaseException as exc:
        if not is_failure(exc):
            raise
        book.issues.append(checks.issue(
            "F001", f"该工作表无法读取（技术信息：{_short(exc)}），请在 Excel 中打开后另存再提交",
            file=book.file, sheet=sheet_name))
        return None


_OOXML_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xltx", ".xltm")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office stores a password-protected .xlsx as an OLE compound file with these two streams
# (MS-OFFCRYPTO); their directory names are UTF-16.
_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))


def precheck(data: bytes, suffix: str) -> tuple[Problem | None, dict[str, SheetMarks]]:
    """Bounded work before any parser runs. Returns a problem (code, message) or None, and, per
    sheet name, what its XML says that calamine does not give (``SheetMarks``): formulas with no
    cached value (or a saved 0 the workbook says to recalculate), error values (calamine reads them as
    empty cells), hidden rows and columns, the way to its percent-formatted cells, and the F007 of a
    sheet too large to load while other sheets may hold the form (a 明细 of thousands of rows beside it).

    A zip whose members would inflate beyond the limits is rejected from its central directory
    without decompressing anything; members that calamine parses are then inflated (never past
    their declared size) and checked for DOCTYPE/entity declarations and for the extent of their
    cells. Non-zip files are identified by their first bytes (OLE, PDF, HTML, text)."""
    if not data:
        return ("F001", "文件为空（0 字节），请重新保存后再提交"), {}
    head = data[:8]
    if head.startswith(b"PK"):
        return _precheck_zip(data, suffix)
    if head.startswith(_OLE):
        if suffix in _OOXML_SUFFIXES + (".ods",) + WPS_SUFFIXES and any(s in data for s in _ENCRYPTION_STREAMS):
            return ("F001", ENCRYPTED), {}
        try:  # .xls (or a .xls saved under another name): calamine reads it by content
            marks = _check_xls(data)
        except (_Reject, struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
            problem = exc.problem if isinstance(exc, _Reject) else ("F001", _OLE_BROKEN)
            if problem[0] == "F001" and suffix in _OOXML_SUFFIXES:
                return ("F001", ENCRYPTED), {}  # an OLE file named .xlsx that is no .xls: Office's encrypted package
            return problem, {}
        return None, marks
    return ("F001", _not_a_workbook(data, suffix)), {}


def _not_a_workbook(data: bytes, suffix: str) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return "文件实际上是 PDF，不是 Excel 工作簿，请提交 .xlsx 格式的自评表"
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<html" in head:
        # Some budget systems "export to Excel" as an HTML page with an .xls name
        return f"文件扩展名为 {suffix}，内容却是网页（HTML/XML）格式，不是 Excel 工作簿；" + _RESAVE
    if b"\0" not in data[:4096]:
        return f"文件扩展名为 {suffix}，内容却是纯文本（如 CSV），不是 Excel 工作簿；" + _RESAVE
    return "文件不是 Excel 工作簿（无法识别的文件格式），请提交 .xlsx 格式的自评表"


_CORRUPT = "文件已损坏或不完整（无法解压，可能在下载或复制时中断），请重新保存后再提交"


class _Reject(Exception):
    """A zip that must not be parsed; carries the problem."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = (code, message)


class _Member(NamedTuple):
    name: str
    flags: int
    method: int
    csize: int
    usize: int
    offset: int


def _precheck_zip(data: bytes, suffix: str) -> tuple[Problem | None, dict[str, SheetMarks]]:
    try:
        members = _zip_directory(data)
        _check_sizes(members)
        if "xl/workbook.xml" in members or "xl/workbook.bin" in members:
            checked: set[str] = set()
            found = _check_ooxml(data, members, checked)  # the sheets first: their messages name the sheet
            _check_prologues(data, members, checked)
            return found
        if "content.xml" in members:
            marks = _check_ods(data, members)
            _check_prologues(data, members, {n for n in members if n.endswith(".xml")})
            return None, marks
        return ("F001", _zip_but_no_workbook(members, suffix)), {}
    except _Reject as reject:
        return reject.problem, {}
    except (struct.error, zlib.error, ValueError, IndexError):
        return ("F001", _CORRUPT), {}


def _zip_but_no_workbook(members: dict[str, _Member], suffix: str) -> str:
    if "word/document.xml" in members:
        return f"文件扩展名为 {suffix}，实际上是 Word 文档，不是 Excel 工作簿；请提交自评表工作簿"
    if "ppt/presentation.xml" in members:
        return f"文件扩展名为 {suffix}，实际上是 PowerPoint 演示文稿，不是 Excel 工作簿；请提交自评表工作簿"
    return (f"文件扩展名为 {suffix}，实际上是一个压缩包，不是 Excel 工作簿；如果打包了多个自评表，"
            "请解压后把工作簿放入收件文件夹")


_CENTRAL_ENTRY = struct.Struct("<4s4xHH8xIIHHH8xI")


def _zip_directory(data: bytes) -> dict[str, _Member]:
    """The zip's central directory, parsed directly (zipfile's Python layers cost more than the
    whole check is allowed to)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0:
        raise _Reject("F001", _CORRUPT)
    count, size, offset = struct.unpack_from("<HII", data, end + 10)
    if count == 0xFFFF or offset == 0xFFFFFFFF:
        return _zip64_directory(data)
    if offset + size > end:
        raise _Reject("F001", _CORRUPT)
    members: dict[str, _Member] = {}
    pos = offset
    unpack = _CENTRAL_ENTRY.unpack_from
    for _ in range(count):
        signature, flags, method, csize, usize, nlen, xlen, clen, local = unpack(data, pos)
        if signature != b"PK\x01\x02":
            raise _Reject("F001", _CORRUPT)
        name = data[pos + 46:pos + 46 + nlen].decode("utf-8" if flags & 0x800 else "cp437", "replace")
        key = _member_key(name)
        if key in members:
            # Excel never writes two members of one name; which one a parser reads is its choice
            raise _Reject("F001", f"文件中的 {name} 出现两次，文件结构异常，无法安全读取；" + _RESAVE)
        members[key] = _Member(name, flags, method, csize, usize, local)
        pos += 46 + nlen + xlen + clen
        if len(members) > MAX_MEMBERS:
            raise _Reject("F007", f"文件包含超过 {MAX_MEMBERS} 个压缩成员，不是正常的工作簿，已拒绝读取")
    if end >= 20 and data[end - 20:end - 16] == b"PK\x06\x07":
        # A ZIP64 locator before a directory that needs none: Python's zipfile (the marked copy, openpyxl)
        # follows it to the directory it names, while calamine reads this one. Both must be the same, or
        # the copy sent back would be made of parts nobody checked (a DOCTYPE, another form).
        shape = lambda found: {k: (m.offset, m.csize, m.usize, m.method) for k, m in found.items()}
        if shape(_zip64_directory(data)) != shape(members):
            raise _Reject("F001", "文件有两份内容不同的压缩目录，文件结构异常，无法安全读取；" + _RESAVE)
    return members


def _zip64_directory(data: bytes) -> dict[str, _Member]:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _Reject("F001", _CORRUPT) from None
    if len(infos) > MAX_MEMBERS:
        raise _Reject("F007", f"文件包含超过 {MAX_MEMBERS} 个压缩成员，不是正常的工作簿，已拒绝读取")
    members = {_member_key(i.filename): _Member(i.filename, i.flag_bits, i.compress_type, i.compress_size,
                                                i.file_size, i.header_offset) for i in infos}
    if len(members) < len(infos):
        raise _Reject("F001", "文件中有压缩成员出现两次，文件结构异常，无法安全读取；" + _RESAVE)
    return members


def _member_key(name: str) -> str:
    """A member's name as the precheck looks it up: the readers find ``XL\\Worksheets\\Sheet1.xml``
    for ``xl/worksheets/sheet1.xml`` too, so the check must not miss it."""
    key = name.lower()
    if "\\" in key or "/." in key or key.startswith(("/", ".")):
        key = posixpath.normpath(key.replace("\\", "/")).lstrip("/")
    return key


def _check_sizes(members: dict[str, _Member]) -> None:
    total = sum(m.usize for m in members.values())
    if total > MAX_UNCOMPRESSED:
        raise _Reject("F007", f"文件解压后达 {total / 1048576:.0f} MB，超过 {MAX_UNCOMPRESSED // 1048576} MB 的上限，"
                              "可能是异常文件（压缩炸弹）或含有大量多余内容，已拒绝读取；请删除多余内容后另存")
    for m in members.values():
        if m.flags & 0x1:
            raise _Reject("F001", ENCRYPTED)
        if m.usize > 5_000_000 and m.csize and m.usize / m.csize > MAX_RATIO:
            raise _Reject("F007", f"文件中的 {m.name} 压缩比异常（{m.usize // m.csize} 倍），可能是压缩炸弹，已拒绝读取")
        # Deflate never grows data by more than a few bytes per 16 KB block: a member whose
        # compressed size exceeds its declared size is lying about it (a disguised bomb).
        if m.csize > m.usize + m.usize // 100 + 1024:
            raise _Reject("F007", f"文件中的 {m.name} 声明的解压大小（{m.usize} 字节）小于其压缩数据，"
                                  "压缩目录被篡改，可能是压缩炸弹，已拒绝读取")


def _inflate(data: bytes, m: _Member, head: int = 0) -> bytes:
    """A member's bytes, never inflated past its declared size; only the first ``head`` bytes when
    given (enough for an XML prologue)."""
    if data[m.offset:m.offset + 4] != b"PK\x03\x04":
        raise _Reject("F001", _CORRUPT)
    nlen, xlen = struct.unpack_from("<HH", data, m.offset + 26)
    start = m.offset + 30 + nlen + xlen
    raw = data[start:start + m.csize]
    if len(raw) < m.csize:
        raise _Reject("F001", _CORRUPT)
    if m.method == 0:
        out = raw
    elif m.method == 8:
        out = zlib.decompressobj(-15).decompress(raw, head or m.usize + 1)
    else:
        raise _Reject("F001", f"文件使用了不支持的压缩方式（{m.method}），" + _RESAVE)
    if not head and len(out) > m.usize:
        raise _Reject("F007", f"文件中的 {m.name} 实际解压后大于声明的 {m.usize} 字节，压缩目录被篡改，"
                              "可能是压缩炸弹，已拒绝读取")
    return out


_ENTITY_MESSAGE = ("文件中的 {} 含有 DOCTYPE/实体定义（Excel 从不写入），可能是恶意构造的文件（XXE/实体膨胀），"
                   "已拒绝读取；请在 Excel 中打开后另存再提交")


def _check_prologue(name: str, xml: bytes) -> None:
    if b"\0" in xml[:4]:  # UTF-16 or UTF-32: the markup is ASCII, its bytes interleaved with NULs
        xml = xml.replace(b"\0", b"")
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise _Reject("F001", _ENTITY_MESSAGE.format(name))


_PROLOGUE = 4096
_SHORT_HEAD = 512  # Excel's parts open with the XML declaration and the root tag within 100 bytes
_ROOT_START = re.compile(rb"<[^?!]")  # the first tag that is neither a declaration nor a comment


def _check_prologues(data: bytes, members: dict[str, _Member], checked: set[str]) -> None:
    """No member may declare a DOCTYPE, whichever parser (or a marked copy, which keeps untouched
    parts byte for byte) meets it: docProps, [Content_Types].xml, relationships, comments, VML,
    customXml as much as the sheets. A DOCTYPE can only stand before the root element, so the head of
    each member is enough; a head that is all prologue (padded with comments) is read whole. Images
    (an SVG may carry its DTD) and binary parts are nobody's XML here and are left alone; so are the
    parts already ``checked`` on the way to the cells."""
    for key, member in members.items():
        if member.usize == 0 or key in checked or not key.endswith(_XML_SUFFIXES):
            continue
        head = _inflate(data, member, head=_SHORT_HEAD)
        prologue = _prologue(head)
        if prologue is None:  # all prologue so far: the whole member (when the head is not all of it)
            prologue = head if len(head) < _SHORT_HEAD else _inflate(data, member)
        _check_prologue(member.name, prologue)


def _prologue(xml: bytes) -> bytes | None:
    """What comes before the root element (UTF-16's NULs removed); None when ``xml`` does not reach it."""
    if b"\0" in xml[:4]:
        xml = xml.replace(b"\0", b"")
    root = _ROOT_START.search(xml)
    return xml[:root.start()] if root is not None else None


_XML_SUFFIXES = (".xml", ".rels", ".vml")
# member keys are lower case (see _member_key)
_FIXED_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedstrings.xml", "xl/styles.xml")
# a start tag, reading quoted attribute values whole (they may hold ">")
# (possessive: a start tag that does not end as required fails at once, instead of retrying every way of
# splitting its unquoted runs, which doubles with each space of an indented self-closing cell)
_ATTRIBUTES = rb"""((?:[^<>"']++|"[^"<]*+"|'[^'<]*+')*+)>"""
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship(?=[\s/>])" + _ATTRIBUTES)
_TARGET = re.compile(rb'Target\s*=\s*["\']([^"\']+)["\']')


def _check_ooxml(data: bytes, members: dict[str, _Member],
                 checked: set[str]) -> tuple[Problem | None, dict[str, SheetMarks]]:
    """The parts calamine parses: no DOCTYPE, a bounded extent. The parts whose whole prologue was
    checked are added to ``checked``."""
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = _inflate(data, members[rels_name]) if rels_name in members else b""
    _check_prologue(members[rels_name].name if rels else rels_name, rels)
    sheets: list[str] = []
    others = [n for n in _FIXED_PARTS[:1] + _FIXED_PARTS[2:] if n in members]
    styles = "xl/styles.xml"
    for tag in _RELATIONSHIP.findall(rels):
        target = _TARGET.search(tag)
        member = _resolve(target.group(1)) if target else ""
        if member not in members and target and b"%" in target.group(1):
            member = _resolve(target.group(1), decoded=True)
        if member not in members or member in sheets or member in others or member.startswith("xl/theme/"):
            continue
        (others if b"sharedStrings" in tag or b"/styles" in tag else sheets).append(member)
        if b"/styles" in tag:
            styles = member
    # calamine finds sheets through the relationships; look at anything stored as a sheet too
    sheets += [n for n in members if n.startswith("xl/worksheets/") and n.endswith(".xml") and n not in sheets]
    checked.add(rels_name)  # read whole; the others are added once their root element is found
    for name in others:
        # a DOCTYPE can only open a document; calamine never expands entities anyway, so the head
        # of the shared strings and styles is enough to name the attack clearly
        head = _inflate(data, members[name], head=_PROLOGUE)
        prologue = _prologue(head)
        _check_prologue(members[name].name, head if prologue is None else prologue)
        if prologue is not None:
            checked.add(name)
        _check_string_count(name, head, members[name], data)
    book_xml = _workbook_xml(data, members)
    _check_sheet_list(book_xml, rels, members)
    recalculated = b"fullCalcOnLoad" in book_xml and _FULL_CALC.search(book_xml) is not None
    # Each sheet is counted against the limit alone, by its upper bound (a quarter of its bytes) where that
    # is within it, which spares counting the cells of a usual workbook. Over the whole workbook, the
    # bounds are then replaced by exact counts if they pass the limit (sixty forms are far from 200,000
    # cells, but not by the bound), and the largest sheets are left out until the rest fits: a 明细 of
    # 199,000 cells must not push out the form beside it, whichever comes first.
    counts: dict[str, int] = {}
    loose: set[str] = set()
    marks: dict[str, SheetMarks] = {}
    too_large: dict[str, _Reject] = {}  # sheets beyond the limits, while others may hold the form
    for name in sheets:
        xml = _inflate(data, members[name])
        stored = members[name].name  # as the zip spells it, for messages
        try:
            prologue = None if name.endswith(".bin") else _prologue(xml)
            _check_prologue(stored, xml[:_PROLOGUE] if prologue is None else prologue)
            if prologue is not None:
                checked.add(name)
            if name.endswith(".bin"):
                continue  # .xlsb: binary records, bounded after loading (``_load_sheet``)
            counts[name], plain = _check_extent(stored, xml, MAX_CELLS)
            if counts[name] == len(xml) // 4:
                loose.add(name)
        except _Reject as reject:
            too_large[name] = _named(reject, name, stored, _sheet_names(book_xml, rels))  # never loaded; not counted
            continue
        uncached, zero = _uncached_cells(xml, recalculated)
        found = SheetMarks(frozenset(uncached), _error_cells(xml), *_hidden_lines(xml), recalculated=frozenset(zero),
                           percent=partial(_sheet_percents, members[name], members[styles], plain) if styles in members
                           else None)
        if found != NO_MARKS:
            marks[name] = found
    if sum(counts.values()) > MAX_CELLS:
        for name in loose:
            counts[name] = _count_cell_tags(_inflate(data, members[name]), MAX_CELLS)
        listed = _sheet_names(book_xml, rels)
        while sum(counts.values()) > MAX_CELLS:
            # parts the workbook does not list first: nobody reads them
            unlisted = [n for n in counts if n not in listed]
            largest = max(unlisted or counts, key=counts.get)
            del counts[largest]
            marks.pop(largest, None)
            if largest in listed:
                too_large[largest] = _named(_Reject("F007", _TOO_MANY_CELLS), largest, members[largest].name, listed)
    if too_large and len(too_large) == len([n for n in sheets if not n.endswith(".bin")]):
        raise next(iter(too_large.values()))  # nothing else to read: the file is rejected
    names = _sheet_names(book_xml, rels)
    marks.update({name: SheetMarks(too_large=reject.problem[1]) for name, reject in too_large.items()})
    return None, {names[member]: found for member, found in marks.items() if member in names}


def _named(reject: _Reject, name: str, stored: str, names: Mapping[str, str]) -> _Reject:
    """The rejection of a sheet, naming it as users see it (``names``: ``_sheet_names``) rather than by its
    place in the zip; raised at once unless it is an F007 (a sheet too large, which the others may do
    without), or when the sheet is not one the workbook lists."""
    shown = names.get(name)
    if shown is None:
        raise reject
    code, message = reject.problem
    named = _Reject(code, message.replace(f"工作表 {stored} ", f"工作表“{shown}”")
                                 .replace(f"文件中的 {stored} ", f"工作表“{shown}”"))
    if code != "F007":
        raise named from None
    return named


def _workbook_xml(data: bytes, members: dict[str, _Member]) -> bytes:
    return _inflate(data, members["xl/workbook.xml"]) if "xl/workbook.xml" in members else b""


_SST = re.compile(rb"<(?:\w+:)?sst(?=[\s/>])" + _ATTRIBUTES)
_UNIQUE_COUNT = re.compile(rb'(?:^|\s)uniqueCount\s*=\s*["\']\s*([0-9]+)')


def _check_string_count(name: str, head: bytes, member: _Member, data: bytes) -> None:
    """calamine reserves room for the shared-string table's declared uniqueCount up front: a false
    count of a few billion aborts the process. A real table holds at most one string per 8 bytes."""
    if not name.endswith("sharedstrings.xml") and b"sst" not in head:
        return
    root = _SST.search(head)
    if root is None and len(head) >= _PROLOGUE:  # the root pushed back by padding: read it all
        root = _SST.search(_inflate(data, member))
    found = _UNIQUE_COUNT.search(root.group(1)) if root is not None else None
    if found is not None and int(found.group(1)) > max(MAX_CELLS, member.usize // 8):
        raise _Reject("F007", f"文件中的 {member.name} 声明了 {int(found.group(1)):,} 个字符串，与其内容不符、超过读取上限，"
                              "可能是恶意构造的文件，已拒绝读取；请在 Excel 中打开后另存再提交")


def _resolve(target: bytes, decoded: bool = False) -> str:
    """A relationship's target as a member key (see ``_member_key``); with ``decoded``, its %-escapes
    decoded (OPC writes "sheet%201.xml" for the member "sheet 1.xml")."""
    text = html.unescape(target.decode("utf-8", "replace")).replace("\\", "/").lower()
    if decoded:
        text = unquote(text)
    if text.startswith("/"):
        return posixpath.normpath(text.lstrip("/"))
    return posixpath.normpath(posixpath.join("xl", text))


# A cell tag other than the plain form Excel, WPS, LibreOffice and openpyxl write for a cell inside
# A1:GR9999 (<c r="B12" s="3" t="s">): no reference, another reference, other whitespace, a
# namespace prefix, or a second attribute whose name holds an r (<c r="B30" r="XFD1048576">: a
# reader may take the last).
_ODD_CELL = re.compile(rb'<c(?:[\t\n\r/>]| (?!r="(?:[A-Z]|[A-F][A-Z]|G[A-R])[1-9][0-9]{0,3}"'
                       rb'(?: [a-qs-z]+="[^"]*")*/?>))')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_TAG = re.compile(rb'<(?:[\w.-]+:)?(row|c)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|\'[^\']*\'))*)\s*(/?)>')
_REF = re.compile(rb'(?:^|\s)r\s*=\s*["\']\s*([A-Za-z]*)\s*([0-9]*)')


def _check_extent(name: str, xml: bytes, budget: int) -> tuple[int, bool]:
    """The member's number of cells (an upper bound), and whether every cell tag is written plainly
    (<c r="B12" s="3" t="s">); rejects a sheet whose cells reach beyond MAX_ROWS × MAX_COLS, or more
    cells than ``budget``.

    When every cell is written plainly inside A1:GR9999, calamine's grid stays below 2 million
    cells (64 MB) whatever the cells are, and the post-load check applies the exact limits. Otherwise every row and cell
    tag is walked, as calamine would place them; only cells with content count for the extent
    (calamine skips empty ones, and Excel writes styled empty cells far down when a whole area
    was formatted)."""
    if len(xml) // 4 <= budget:
        tags = len(xml) // 4  # a cell takes at least four bytes (<c/>): no need to count
    else:
        tags = _count_cell_tags(xml, budget)
    if _ODD_CELL.search(xml) is None and _PREFIXED_CELL.search(xml) is None:
        return tags, True
    tags = _count_cell_tags(xml, budget)
    max_row = max_col = row = col = matched = 0
    find_refs = _REF.findall
    for kind, attrs, closed, end in _tags(xml):
        refs = find_refs(attrs) if attrs else ()
        if kind == b"row":
            row = int(refs[0][1]) if len(refs) == 1 and refs[0][1] else max(
                (int(d) for _, d in refs if d), default=row + 1)
            col = 0
            continue
        matched += 1
        if len(refs) == 1:
            letters, digits = refs[0]
            col = _col_index(letters) if letters else col + 1
            cell_row = int(digits) if digits else row
        elif refs:
            col = max(_col_index(letters) for letters, _ in refs)
            cell_row = max((int(d) for _, d in refs if d), default=row)
        else:
            col, cell_row = col + 1, row
        if closed or xml.startswith(b"</", end):
            continue  # an empty (styled) cell
        if cell_row > max_row:
            max_row = cell_row
        if col > max_col:
            max_col = col
    if matched != tags:
        raise _Reject("F001", f"文件中的 {name} 单元格标记不规范，无法安全读取；" + _RESAVE)
    if max_row > MAX_ROWS or max_col > MAX_COLS:
        raise _Reject("F007", f"工作表 {name} 的范围过大（最远的单元格在第 {max_row:,} 行、第 {max_col:,} 列），"
                              f"超过读取上限（{MAX_ROWS} 行、{MAX_COLS} 列），请删除多余的行列后另存")
    return tags, False


def _count_cell_tags(xml: bytes, budget: int) -> int:
    """The cell tags of a sheet, counted one by one (a list of millions of matches would itself take
    hundreds of MB); more than ``budget`` is F007."""
    count = 0
    for count, _ in enumerate(_CELL_TAG.finditer(xml), start=1):
        if count > budget:
            raise _Reject("F007", _TOO_MANY_CELLS)
    return count


def _tags(xml: bytes):
    """(kind, attributes, self-closing, end offset) of every row and cell tag."""
    for m in _TAG.finditer(xml):
        kind, attrs, closed = m.groups()
        yield kind, attrs, closed, m.end()


_TOO_MANY_CELLS = f"工作簿的单元格超过 {MAX_CELLS:,} 个，超过读取上限，请删除多余的工作表或行列后另存"


_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"')
_FORMULA = re.compile(rb"<f[ >/]")


# A cell's start tag (any namespace prefix, attributes in any order and quoting), its type "e", its
# reference, and the error text in its <v>
_CELL_START = re.compile(rb"<((?:[\w.-]+:)?)c(\s" + _ATTRIBUTES[:-1] + rb")(?<!/)>")
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
_CELL_REF_ATTR = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]{1,3})0*([1-9][0-9]{0,6})\s*["']""")


def _a1(ref: re.Match) -> str:
    """A ``_CELL_REF_ATTR`` match as calamine reads the reference: "e06" -> "E6"."""
    return ref.group(1).upper().decode() + str(int(ref.group(2)))


_ERROR_VALUE = re.compile(rb"<(?:[\w.-]+:)?v(?:\s[^>]*)?>\s*(#[A-Za-z0-9/!?._]{1,16})\s*</")


_HIDDEN = re.compile(rb"""hidden\s*=\s*["']\s*(?:1|true)\s*["']""")  # led by a literal: a fast scan
_ROW_START = re.compile(rb"""<(?:[\w.-]+:)?row\s[^<>]*>""")
_COL_START = re.compile(rb"""<(?:[\w.-]+:)?col\s[^<>]*>""")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']\s*([0-9]{1,7})""")
_COL_SPAN = re.compile(rb"""\s(min|max)\s*=\s*["']\s*([0-9]{1,5})""")


def _hidden_lines(xml: bytes) -> tuple[frozenset[int], frozenset[int]]:
    """The sheet's hidden rows and columns (1-based): a unit hides last year's indicators or an old
    column; Excel shows and prints the form without them."""
    if _HIDDEN.search(xml) is None:  # the usual sheet: one scan in C (LibreOffice writes hidden="false")
        return frozenset(), frozenset()
    rows = [int(m.group(1)) for tag in filter(_HIDDEN.search, _ROW_START.findall(xml))
            if (m := _ROW_NUMBER.search(tag))]
    spans = set()  # (first, last) column of each hidden <col>, within the columns read
    for tag in filter(_HIDDEN.search, _COL_START.findall(xml)):
        bounds = dict(_COL_SPAN.findall(tag))
        if b"min" in bounds and int(bounds[b"min"]) <= MAX_COLS:
            low = int(bounds[b"min"])
            spans.add((low, min(int(bounds.get(b"max", low)), MAX_COLS)))
    cols: set[int] = set()
    covered = 0  # the lows ascend: the columns up to the highest end so far are in already
    for low, high in sorted(spans):  # each column once, however many tags repeat it
        if high > covered:
            cols.update(range(max(low, covered + 1), high + 1))
            covered = high
    return frozenset(rows[:MAX_ROWS]), frozenset(cols)


def _hide(rows: list[list[object]], merged, hidden_cols: frozenset[int]) -> None:
    """Blank, in place, a hidden column whose heading repeats a visible column's heading in the same row
    (last year's 实际完成值 kept hidden beside this year's): the form is read from the column Excel shows.
    Other hidden columns, and hidden rows, are read as they are: SUM and the unit's own 总分 count them,
    a filter or a collapsed group hides rows without removing them (hidden rows read into the form are
    noted: ``hidden_rows_read``)."""
    hidden = {c - 1 for c in hidden_cols}
    if not hidden:
        return
    duplicated = set()
    for row in rows:
        texts = {}
        for c, v in enumerate(row):
            if v.__class__ is str and v and len(v) <= 60:
                texts.setdefault(_normalise_text(v), set()).add(c)
        for label, columns in texts.items():
            if label in KNOWN and columns & hidden and columns - hidden:
                duplicated |= columns & hidden
    # a merged value anchored in such a column still shows in the visible part of its range
    shown = {(r0, c0) for (r0, c0), (_, c1) in merged if c0 in duplicated and any(
        c not in hidden for c in range(c0, c1 + 1))}
    for r, row in enumerate(rows):
        for c in duplicated:
            if c < len(row) and (r, c) not in shown:
                row[c] = ""


def hidden_rows_read(form: RawForm, hidden_rows: frozenset[int]) -> list[int]:
    """The hidden rows (1-based) that hold indicators read into the form."""
    if not hidden_rows:
        return []
    read = {cell_index(row[key].cell)[0] + 1 for row in form.indicators for key in _ROW_KEYS
            if key in row and row[key].cell and not _is_blank(row[key].value)}
    return sorted(read & hidden_rows)


def _error_cells(xml: bytes) -> dict[str, str]:
    """Cells showing an error value (#DIV/0!, #REF!, #VALUE! …): <c r="E6" t="e"><v>#REF!</v></c>, by
    their A1 reference."""
    if b"#" not in xml or b'"e"' not in xml and b"'e'" not in xml:  # the usual sheet: a scan or two in C
        return {}
    found = {}
    for m in _CELL_START.finditer(xml):
        prefix, attrs = m.group(1), m.group(2)
        if not _ERROR_TYPE.search(attrs):
            continue
        ref = _CELL_REF_ATTR.search(attrs)
        following = _CELL_TAG.search(xml, m.end())  # the cell's end is before the next cell's start
        end = xml.find(b"</" + prefix + b"c>", m.end(), following.start() if following else len(xml))
        value = _ERROR_VALUE.search(xml, m.end(), end) if end > 0 else None
        if ref is not None and value is not None:
            found[_a1(ref)] = value.group(1).decode()
    return found


def _cached_when_small(func):
    """``func`` of some XML parts, its results kept for the last 16 distinct parts when they are small:
    workbooks filled from one template share their styles and list the same sheets, while a hostile
    file's parts are not to be kept."""
    cached = lru_cache(maxsize=16)(func)

    @wraps(func)
    def call(*parts: bytes):
        return cached(*parts) if sum(map(len, parts)) <= 256 * 1024 else func(*parts)
    return call


# the parts of styles.xml that say how a cell shows its number (attribute values never hold ">" here)
_NUM_FMTS_START = re.compile(rb"<(?:[\w.-]+:)?numFmts[\s>]")  # not a dxf's
_NUM_FMTS_END = re.compile(rb"</(?:[\w.-]+:)?numFmts\s*>")
_XF = re.compile(rb"<(?:[\w.-]+:)?xf[\s/>][^>]*")
_NUM_FMT = re.compile(rb"<(?:[\w.-]+:)?numFmt[\s/>][^>]*")
_NUM_FMT_ID = re.compile(rb"""(?:^|\s)numFmtId\s*=\s*["']\s*([0-9]+)""")
_FORMAT_CODE = re.compile(rb"""(?:^|\s)formatCode\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# what a format code shows literally: "text", \x, [Red] / [$-804] / [>=1], _x (a space as wide as x), *x (fill)
_FORMAT_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_PERCENT_IDS = {9, 10}  # Excel's built-in 0% and 0.00%


def _percent_format(code: str) -> bool:
    """Whether a number format shows a positive number as a percentage: a "%" in its first section that is
    no literal ("0.0%" is one, 0.0"%" and 0.0\\% only print the sign after the number)."""
    return len(code) <= 255 and "%" in _FORMAT_LITERAL.sub("", code).split(";", 1)[0]


class _PercentStyles(NamedTuple):
    """The styles (cellXfs indices) that show a number as a percentage, and patterns finding their s="…"
    attribute in a sheet: as written plainly (led by a literal: a fast scan), and in any shape (the
    whitespace before its "s" is checked by ``_percent_cells``)."""

    plain: re.Pattern
    general: re.Pattern
    indices: frozenset[int]


@_cached_when_small
def _percent_styles(styles: bytes) -> _PercentStyles | None:
    """The styles whose number format shows a number as a percentage (built in or the workbook's own: "%"
    in the format's first section, for positive numbers); None when no style does."""
    if b"<!--" in styles:
        styles = _without_comments(styles)
    ids = set(_PERCENT_IDS)
    start = _NUM_FMTS_START.search(styles)
    end = _NUM_FMTS_END.search(styles, start.end()) if start else None  # none after the first start: none at all
    for attrs in _NUM_FMT.findall(styles, start.start(), end.end()) if end else ():
        number, code = _NUM_FMT_ID.search(attrs), _FORMAT_CODE.search(attrs)
        if number is not None and code is not None:
            text = html.unescape((code.group(1) or code.group(2) or b"").decode("utf-8", "replace"))
            if _percent_format(text):
                ids.add(int(number.group(1)))
    start = _tag_position(styles, b"cellXfs")
    end = _tag_position(styles, b"cellXfs", start + 7) if start >= 0 else -1
    indices = frozenset(i for i, attrs in enumerate(_XF.findall(styles, start, end) if end > 0 else ())
                        if (number := _NUM_FMT_ID.search(attrs)) is not None and int(number.group(1)) in ids)
    if not indices:
        return None
    # the styles themselves, unless a bloated stylesheet has too many of them for one pattern
    alternatives = b"|".join(str(i).encode() for i in sorted(indices)) if len(indices) <= 64 else rb"[0-9]+"
    return _PercentStyles(re.compile(rb' s="0*(?:' + alternatives + rb')"'),
                          re.compile(rb"""s\s*=\s*["']\s*0*(?:""" + alternatives + rb""")\s*["']"""), indices)


def _without_comments(xml: bytes) -> bytes:
    """``xml`` without its comments, in one pass (a lazy <!--.*?--> went on to the end from every unclosed one:
    quadratic on a processing instruction full of them); an unclosed one stays, as the regex left it."""
    out, pos = [], 0
    while (start := xml.find(b"<!--", pos)) >= 0 and (end := xml.find(b"-->", start + 4)) >= 0:
        out.append(xml[pos:start])
        pos = end + 3
    out.append(xml[pos:])
    return b"".join(out)


def _tag_position(xml: bytes, name: bytes, start: int = 0) -> int:
    """Where the next start or end tag named ``name`` (any prefix) begins its name, or -1 (a scan in C;
    a regex with a lazy .*? to the end tag took 30 µs on a usual stylesheet)."""
    found = xml.find(name, start)
    while found > 0 and xml[found - 1] not in b"<:/":
        found = xml.find(name, found + len(name))
    return found


def _sheet_percents(sheet: _Member, styles: _Member, plain: bool, data: bytes) -> frozenset[str]:
    """``_percent_cells`` of one sheet of the workbook ``data``, from its parts as the precheck found them."""
    return _percent_cells(_inflate(data, sheet), _percent_styles(_inflate(data, styles)), plain)


def _percent_cells(xml: bytes, styles: _PercentStyles | None, plain: bool) -> frozenset[str]:
    """The number cells shown as percentages: <c r="F12" s="8"><v>0.98</v></c> with style 8 a 0%
    format, by their A1 reference. ``plain``: every cell tag is written plainly (``_check_extent``)."""
    if styles is None:
        return frozenset()
    found = []
    start, scanned, judged = -1, 0, None
    for m in (styles.plain if plain else styles.general).finditer(xml):
        if not plain and xml[m.start() - 1] not in b" \t\r\n":
            continue  # cols="8"
        later = xml.rfind(b"<", scanned, m.start())  # the last "<" before the hit, not looked for twice
        start, scanned = later if later >= 0 else start, m.start()
        if start == judged:
            continue  # a second hit in the tag of the previous one
        judged = start
        tag = _CELL_START.match(xml, start)
        if tag is None or tag.end() <= m.start():
            continue  # a row's or a column's style, or no start tag of a cell with content
        attrs = tag.group(2)
        kind = _CELL_TYPE.search(attrs)
        ref = _CELL_REF_ATTR.search(attrs)
        style = _CELL_STYLE.search(attrs)
        if ref is not None and (kind is None or kind.group(1) == b"n") and style and int(style.group(1)) in styles.indices:
            found.append(_a1(ref))
    return frozenset(found)


_CELL_TYPE = re.compile(rb"""\st\s*=\s*["']\s*([a-zA-Z]+)""")
_CELL_STYLE = re.compile(rb"""\ss\s*=\s*["']\s*([0-9]{1,9})\s*["']""")


# the workbook asks to be recalculated when opened: its program (XlsxWriter) wrote no results of its own
_FULL_CALC = re.compile(rb"""<(?:[\w.-]+:)?calcPr\s[^<>]*?\bfullCalcOnLoad\s*=\s*["']\s*(?:1|true)\s*["']""")


def _uncached_cells(xml: bytes, recalculated: bool = False) -> tuple[set[str], set[str]]:
    """Formula cells with no cached value (written by a program, never opened in Excel):
    <c r="E6"><f>SUM(E7:E10)</f></c>, or an empty <v/>; and, when the workbook is marked to be ``recalculated``
    on opening, those whose cached value is 0: XlsxWriter writes <v>0</v> for every formula it is given no
    result for, and Excel shows the real one (``normalise`` derives it where the form allows)."""
    found, zero = set(), set()
    formula = _FORMULA.search(xml)
    start, scanned = -1, 0
    while formula is not None:
        pos = formula.start()
        end = xml.find(b"</c>", pos)
        later = xml.rfind(b"<c ", scanned, pos)  # the last "<c " before pos: a new one, or the one found before
        start, scanned = later if later >= 0 else start, pos
        if end < 0 or start < 0:
            break
        body = xml[pos:end]
        v = body.find(b"<v>")
        empty = v < 0 or body.startswith(b"</v>", v + 3)
        if empty or recalculated and body.startswith(b"0</v>", v + 3):
            ref = _CELL_REF.match(xml, start)
            if ref:
                (found if empty else zero).add(ref.group(1).decode())
        formula = _FORMULA.search(xml, end)
    return found, zero


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


# attribute values may hold ">" (a formula "of:=[.A1]>0"): read them as quoted strings
_ODS_TAG = re.compile(rb'<(table:table-row|table:table-cell|table:covered-table-cell|table:table|/table:table)'
                      rb'(?=[\s/>])((?:[^<>"\']++|"[^"<]*+"|\'[^\'<]*+\')*+)>|</table:table-row>')
_ODS_NAME = re.compile(rb'table:name\s*=\s*"([^"]*)"')
# attributes one by one, so that a decoy ("x:number-rows-repeated", or the text inside another
# attribute's value) is not taken for the table: one calamine reads
_ODS_ATTR = re.compile(rb'(?<![\w:.-])([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _ods_repeat(attrs: bytes, name: bytes) -> int:
    """The largest value the attribute ``name`` is given in a tag (1 when it has none)."""
    found = 1
    for m in _ODS_ATTR.finditer(attrs):
        if m.group(1) == name:
            value = m.group(2) if m.group(2) is not None else m.group(3)
            if b"&" in value:
                value = html.unescape(value.decode("utf-8", "replace")).encode()
            found = max([found] + [int(d) for d in re.findall(rb"\d+", value)])
    return found


def _check_ods(data: bytes, members: dict[str, _Member]) -> dict[str, SheetMarks]:
    """OpenDocument: entity checks on every XML part, and the extent of content.xml's tables, where a
    repeated row or cell (table:number-rows-repeated) can make calamine build a huge grid. Returns the
    marks per sheet name: its percent cells (``_check_ods_extent``)."""
    manifest = members.get("meta-inf/manifest.xml")
    if manifest is not None and b"encryption-data" in _inflate(data, manifest):
        raise _Reject("F001", ENCRYPTED)
    marks: dict[str, SheetMarks] = {}
    for name, member in members.items():
        if name.endswith(".xml"):
            xml = _inflate(data, member)
            _check_prologue(member.name, xml)
            if name == "content.xml":
                marks = {sheet: SheetMarks(percent=partial(_given, cells))
                         for sheet, cells in _check_ods_extent(xml).items()}
    return marks


def _given(cells: frozenset[str], data: bytes) -> frozenset[str]:
    """``SheetMarks.percent`` of cells found beforehand."""
    return cells


def _check_ods_extent(xml: bytes) -> dict[str, frozenset[str]]:
    """Walk content.xml's rows and cells as calamine places them; each sheet (a top-level table)
    starts at row 0. A table nested in a cell does not: calamine reads on in the same grid.

    Returns, per sheet, its number cells shown as percentages (office:value-type="percentage", whose
    office:value is the fraction: 0.95 for 95%, as calamine gives it), by their A1 references."""
    max_row = max_col = cells = 0
    percents: list[tuple[str, int, int, int, int]] = []  # (sheet, row, column, rows, columns)
    row = col = repeat = depth = 0
    has_content = False
    table = widest = ""
    for kind, attrs in _ODS_TAG.findall(xml):
        closed = attrs[-1:] == b"/"
        if kind == b"table:table-cell" or kind == b"table:covered-table-cell":
            span = 1
            if b"repeated" in attrs:
                span = _ods_repeat(attrs, b"table:number-columns-repeated")
            if not closed or b"value-type" in attrs:
                has_content = True
                if col + span > max_col:
                    max_col, widest = col + span, table
                cells += span * repeat
                if b"percentage" in attrs and depth and _ods_percentage(attrs):
                    percents.append((table, row, col, repeat, span))
            col += span
        elif kind == b"table:table-row":
            repeat = _ods_repeat(attrs, b"table:number-rows-repeated") if b"repeated" in attrs else 1
            col, has_content = 0, False
            if closed:
                row += repeat
        elif kind == b"table:table":
            if not closed:
                depth += 1
                if depth == 1:
                    row, found = 0, _ODS_NAME.search(attrs)
                    table = html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""
                    if len(table) > MAX_SHEET_NAME:
                        raise _Reject("F001", _LONG_SHEET_NAME.format(len(table)))
        elif kind == b"/table:table":
            depth = max(0, depth - 1)
        else:  # </table:table-row>
            if has_content and row + repeat > max_row:
                max_row, widest = row + repeat, table
            row += repeat
        if cells > MAX_CELLS:
            raise _Reject("F007", _TOO_MANY_CELLS)
    if max_row > MAX_ROWS or max_col > MAX_COLS:
        where = f"工作表“{widest}”" if widest else "表格"
        raise _Reject("F007", f"{where}的范围过大（有内容的单元格达到第 {max_row:,} 行、第 {max_col:,} 列），"
                              f"超过读取上限（{MAX_ROWS} 行、{MAX_COLS} 列），请删除多余的行列后另存")
    found: dict[str, set[str]] = {}
    for sheet, row, col, rows, cols in percents:  # within the extent checked: at most MAX_CELLS cells in all
        found.setdefault(sheet, set()).update(cell_name(r, c) for r in range(row, row + rows)
                                              for c in range(col, col + cols))
    return {sheet: frozenset(names) for sheet, names in found.items()}


def _ods_percentage(attrs: bytes) -> bool:
    """Whether a cell's attributes say it holds a percentage (office:value-type="percentage")."""
    return any(m.group(1) == b"office:value-type" and (m.group(2) or m.group(3) or b"").strip() == b"percentage"
               for m in _ODS_ATTR.finditer(attrs))


# ---- .xls: the compound file's chains and the BIFF cells, before calamine builds its grids ----

_END_OF_CHAIN = 0xFFFFFFFE
# FORMULA, LABELSST, NUMBER, LABEL, BOOLERR, RK, RSTRING: the records of cells with a value (row, column first)
_BIFF_CELLS = frozenset((0x0006, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6))
_BIFF_NUMBERS = frozenset((0x0006, 0x0203, 0x027E))  # FORMULA, NUMBER, RK: a number and its XF (style) index
_BIFF_FORMULA = 0x0006
_BIFF_MULRK = 0x00BD
_BIFF_BOF = 0x0809
_BIFF_BOUNDSHEET = 0x0085
_BIFF_FILEPASS = 0x002F
_BIFF_FORMAT = 0x041E
_BIFF_XF = 0x00E0
_BIFF_DIMENSIONS = 0x0200
# python-calamine reserves a cell (some 40 bytes) for each row × column a sheet's DIMENSIONS record declares:
# 4 million is 160 MB, within a worker's share of memory; a few columns formatted down to row 65,536 are far
# below it, a whole sheet's 16.7 million (what a hostile record declares, or more) is not
_MAX_DECLARED = 4_000_000
_BIFF_OTHERS = frozenset((_BIFF_BOF, _BIFF_BOUNDSHEET, _BIFF_FILEPASS, _BIFF_FORMAT, _BIFF_XF,
                          _BIFF_DIMENSIONS))  # read for themselves
_OLE_BROKEN = "文件已损坏（复合文档的扇区链断裂或成环），无法安全读取；" + _RESAVE


def _check_xls(data: bytes) -> dict[str, SheetMarks]:
    """An .xls is a compound file (a FAT of sector chains) holding the BIFF "Workbook" stream.
    python-calamine follows the chains without a bound (a chain that loops grows until memory runs
    out) and builds each sheet's grid from its farthest cell before anything can look at it; so the
    chains are walked here, bounded by the number of sectors, and the cells' extent read from the
    BIFF records. An encrypted workbook (FILEPASS) is named as such.

    The same walk finds the number cells shown as percentages (``SheetMarks.percent``): their XF (the
    cell's style, by its place among the XF records) has a percent number format, built in (0%, 0.00%)
    or one of the workbook's own FORMAT records. Returns the marks per sheet name."""
    stream = _ole_stream(data, ("workbook", "book"))
    if stream is None:
        return {}  # no workbook stream: calamine says what the file is not
    names: dict[int, str] = {}
    current, extent = "", {}
    pos, end = 0, len(stream)
    unpack = struct.unpack_from
    biff8 = True
    formats = set(_PERCENT_IDS)  # the percent number formats, and the XFs (cell styles) showing one
    xfs: set[int] = set()
    n_xf = 0
    percents: dict[str, array.array] = {}  # sheet -> row << 16 | column of its percent cells
    declared: dict[str, tuple[int, int]] = {}  # sheet -> its DIMENSIONS' rows and columns, when beyond the limits
    room = MAX_CELLS  # percent cells still to be kept (a real form has a few dozen)
    while pos + 4 <= end:
        kind, size = unpack("<HH", stream, pos)
        body = pos + 4
        if kind in _BIFF_CELLS and size >= 4:
            if xfs and kind in _BIFF_NUMBERS and size >= 6 and body + 6 <= end:  # (a number's row, column and XF)
                row, col, xf = unpack("<HHH", stream, body)
                if (xf in xfs and room and current
                        # a formula's result is a number unless its last two bytes are FFFF (text, a bool, an error)
                        and (kind != _BIFF_FORMULA or size >= 14 and stream[body + 12:body + 14] != b"\xff\xff")):
                    percents.setdefault(current, array.array("I")).append(row << 16 | col)
                    room -= 1
            else:
                row, col = unpack("<HH", stream, body)
        elif kind == _BIFF_MULRK and size >= 6:
            row = unpack("<H", stream, body)[0]
            col = unpack("<H", stream, body + size - 2)[0]
            if xfs and current and room and size >= 12:
                # the first column, then an XF and an RK number for each column (then the last column)
                first, *entries = unpack(f"<{(size - 6) // 6 * 3 + 1}H", stream, body + 2)
                if not xfs.isdisjoint(entries[::3]):
                    for i, xf in enumerate(entries[:room * 3:3]):
                        if xf in xfs:
                            percents.setdefault(current, array.array("I")).append(row << 16 | (first + i) & 0xFFFF)
                            room -= 1
        elif kind in _BIFF_OTHERS:
            if kind == _BIFF_BOF:
                current = names.get(pos, "")  # "" for the globals, and for a sheet its BOUNDSHEET does not place
                if not names and size >= 2 and body + 2 <= end:  # the globals' BOF: BIFF8 (0x0600) or BIFF5/7 (0x0500)
                    biff8 = unpack("<H", stream, body)[0] >= 0x0600
            elif kind == _BIFF_BOUNDSHEET and size >= 8:
                names[unpack("<I", stream, body)[0]] = _biff_sheet_name(stream[body + 6:body + size])
            elif kind == _BIFF_FILEPASS:
                raise _Reject("F001", ENCRYPTED)
            elif kind == _BIFF_FORMAT and size >= 3 and body + size <= end:
                if stream.find(b"%", body, body + size) >= 0 and _percent_format(
                        _biff_format_code(stream[body + 2:body + size], biff8)):
                    formats.add(unpack("<H", stream, body)[0])
            elif kind == _BIFF_XF and size >= 6 and body + size <= end:
                # a cell's XF (not a style's: bit 2 of its type) whose number format shows a percentage; the
                # FORMAT records come before the XF records, which come before the sheets
                if unpack("<H", stream, body + 2)[0] in formats and not stream[body + 4] & 4:
                    xfs.add(n_xf)
                n_xf += 1
            elif kind == _BIFF_DIMENSIONS and size >= (14 if biff8 else 10) and body + size <= end:
                # the sheet's range as declared: python-calamine reserves a cell for each of its rows × columns
                # before reading any, whatever cells follow
                first_row, last_row, first_col, last_col = unpack("<IIHH" if biff8 else "<HHHH", stream, body)
                rows, cols = max(0, last_row - first_row), max(0, last_col - first_col)
                if rows * cols > _MAX_DECLARED:
                    declared.setdefault(current, (rows, cols))  # said after the cells, whose extent is more precise
            pos = body + size
            continue
        else:
            pos = body + size
            continue
        far = extent.get(current)
        if far is None or row > far[0] or col > far[1]:
            extent[current] = (max(row, far[0]) if far else row, max(col, far[1]) if far else col)
        pos = body + size
    for sheet, (row, col) in extent.items():
        if row >= MAX_ROWS or col >= MAX_COLS:
            where = f"工作表“{sheet}”" if sheet else "工作表"
            raise _Reject("F007", f"{where}的范围过大（单元格达到第 {row + 1:,} 行、第 {col + 1:,} 列），"
                                  f"超过读取上限（{MAX_ROWS} 行、{MAX_COLS} 列），请删除多余的行列后另存再提交")
    if declared:
        sheet, (rows, cols) = next(iter(declared.items()))
        where = f"工作表“{sheet}”" if sheet else "工作表"
        raise _Reject("F007", f"{where}声明的范围过大（{rows:,} 行 × {cols:,} 列，共 {rows * cols:,} 个单元格），"
                              f"超过读取上限（{_MAX_DECLARED:,} 个单元格），请删除多余的行列后另存再提交")
    return {sheet: SheetMarks(percent=partial(_biff_percent_cells, cells)) for sheet, cells in percents.items()}


def _biff_percent_cells(cells: array.array, data: bytes) -> frozenset[str]:
    """The A1 references of an .xls sheet's percent cells (``_check_xls``: row << 16 | column)."""
    return frozenset(cell_name(packed >> 16, packed & 0xFFFF) for packed in set(cells))


def _biff_format_code(raw: bytes, biff8: bool) -> str:
    """A FORMAT record's format code: BIFF8's XLUnicodeString (a 2-byte length, flags, Latin-1 or UTF-16),
    BIFF5's byte string (a 1-byte length, in the workbook's code page)."""
    if not biff8:
        return raw[1:1 + raw[0]].decode("gb18030", "replace")
    if len(raw) < 3:
        return ""
    length, flags = raw[0] | raw[1] << 8, raw[2]
    text = raw[3:3 + length * 2] if flags & 1 else raw[3:3 + length]
    return text.decode("utf-16-le", "replace") if flags & 1 else text.decode("latin-1")


def _biff_sheet_name(raw: bytes) -> str:
    """A BOUNDSHEET name: BIFF8's ShortXLUnicodeString (length, flags, Latin-1 or UTF-16), else
    BIFF5's byte string (in the workbook's code page, Chinese GBK in practice)."""
    if len(raw) < 2:
        return ""
    length, flags = raw[0], raw[1]
    if flags in (0, 1) and len(raw) >= 2 + length * (2 if flags else 1):
        text = raw[2:2 + length * 2].decode("utf-16-le") if flags else raw[2:2 + length].decode("latin-1")
        return text
    return raw[1:1 + length].decode("gb18030", "replace")


def _uint32s(data: bytes) -> array.array:
    """Little-endian 32-bit entries, 4 bytes each (a tuple of Python ints takes 9 bytes per byte read)."""
    table = array.array("I", data[: len(data) // 4 * 4])
    if sys.byteorder == "big":
        table.byteswap()
    return table


def _ole_stream(data: bytes, wanted: tuple[str, ...]) -> bytes | None:
    """The first stream of the root storage named one of ``wanted`` (lower case), or None."""
    if len(data) < 512:
        raise _Reject("F001", _CORRUPT)
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        raise _Reject("F001", _OLE_BROKEN)
    size = 1 << shift
    n_fat, first_dir, _, mini_cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from(
        "<IIIIIIII", data, 0x2C)
    n_sectors = (len(data) - size + size - 1) // size  # after the header (one sector long)
    per_sector = size // 4

    def sector(index: int) -> bytes:
        if index >= n_sectors:
            raise _Reject("F001", _OLE_BROKEN)
        return data[(index + 1) * size:(index + 2) * size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    seen: set[int] = set()
    index = first_difat
    for _ in range(min(n_difat, n_sectors)):
        if index in seen or index >= n_sectors:
            raise _Reject("F001", _OLE_BROKEN)
        seen.add(index)
        entries = struct.unpack(f"<{per_sector}I", sector(index).ljust(size, b"\0"))
        difat += entries[:-1]
        index = entries[-1]
    fat_sectors = [i for i in difat[:n_fat] if i < n_sectors]
    if len(set(fat_sectors)) != len(fat_sectors):
        raise _Reject("F001", _OLE_BROKEN)  # a FAT sector listed twice: the table would outgrow the file
    fat_table = _uint32s(b"".join(sector(i).ljust(size, b"\0") for i in fat_sectors))

    def chain(start: int, table, limit: int) -> list[int]:
        found, index = [], start
        while index != _END_OF_CHAIN:
            if index >= len(table) or len(found) >= limit:
                raise _Reject("F001", _OLE_BROKEN)  # past the table, or longer than the file: a loop
            found.append(index)
            index = table[index]
        return found

    def read(start: int, length: int) -> bytes:
        sectors = chain(start, fat_table, n_sectors)
        if length > len(sectors) * size:
            raise _Reject("F001", _OLE_BROKEN)
        return b"".join(sector(i) for i in sectors)[:length]

    directory = b"".join(sector(i) for i in chain(first_dir, fat_table, n_sectors))
    root = None
    for at in range(0, len(directory) - 127, 128):
        name_size, kind = struct.unpack_from("<HB", directory, at + 64)
        start, length = struct.unpack_from("<II", directory, at + 116)
        if kind == 5 and root is None:
            root = (start, length)
        if kind != 2 or not 2 <= name_size <= 64:
            continue
        name = directory[at:at + name_size - 2].decode("utf-16-le", "replace").lower()
        if name not in wanted:
            continue
        if length > len(data):
            raise _Reject("F001", _OLE_BROKEN)
        if length >= mini_cutoff or root is None:
            return read(start, length)
        mini_stream = read(*root)
        minifat = read(first_minifat, min(n_minifat, n_sectors) * size) if n_minifat else b""
        mini_table = _uint32s(minifat)
        mini = chain(start, mini_table, len(mini_stream) // 64 + 1)
        if length > len(mini) * 64:
            raise _Reject("F001", _OLE_BROKEN)
        return b"".join(mini_stream[i * 64:(i + 1) * 64] for i in mini)[:length]
    return None


_SHEET_TAG = re.compile(rb'<(?:\w+:)?sheet\b[^<>]*')
_REL_TAG = re.compile(rb'<Relationship\b[^<>]*')
_NAME_Q, _RID_Q = re.compile(rb'name="([^"]*)"'), re.compile(rb'r:id="([^"]+)"')
_ID_Q, _TARGET_Q = re.compile(rb'Id="([^"]+)"'), re.compile(rb'Target="([^"]+)"')


def _in_order(tags: list[bytes], first: re.Pattern, second: re.Pattern) -> list[tuple[bytes, bytes]]:
    """(first, second) attribute values of each tag that has both, ``second`` after ``first``."""
    found = []
    for tag in tags:
        a = first.search(tag)
        b = second.search(tag, a.end()) if a else None
        if b:
            found.append((a.group(1), b.group(1)))
    return found


@_cached_when_small
def _sheet_entries(book: bytes, rels: bytes) -> tuple[tuple[str, bytes], ...]:
    """workbook.xml's sheets in order: each one's name and the target its relationship gives."""
    tags = _REL_TAG.findall(rels)
    targets = {rid: target for rid, target in _in_order(tags, _ID_Q, _TARGET_Q)}
    targets.update({rid: target for target, rid in _in_order(tags, _TARGET_Q, _ID_Q)})
    return tuple((html.unescape(name.decode("utf-8", "replace")), targets.get(rid, b""))
                 for name, rid in _in_order(_SHEET_TAG.findall(book), _NAME_Q, _RID_Q))


@_cached_when_small
def _sheet_names(book: bytes, rels: bytes) -> Mapping[str, str]:
    """xl/worksheets/sheet1.xml -> the sheet's name, through workbook.xml and its relationships (read-only:
    shared between calls)."""
    names: dict[str, str] = {}
    for shown, target in _sheet_entries(book, rels):
        names[_resolve(target)] = shown
        if b"%" in target:
            names.setdefault(_resolve(target, decoded=True), shown)
    return MappingProxyType(names)


def _check_sheet_list(book: bytes, rels: bytes, members: dict[str, _Member]) -> None:
    """No sheet name longer than MAX_SHEET_NAME (every issue names its sheet, and the precheck's own messages
    do). Excel lists each sheet part once. A part listed again under other names is loaded again by the
    reader for each, which the cell limits (counted per part) would not see: 300 listings of one sheet of
    194,000 cells made 58 million cells, and a minute of reading before the timeout."""
    seen: set[str] = set()
    for shown, target in _sheet_entries(book, rels):
        if len(shown) > MAX_SHEET_NAME:
            raise _Reject("F001", _LONG_SHEET_NAME.format(len(shown)))
        member = _resolve(target)
        if member not in members and b"%" in target:
            member = _resolve(target, decoded=True)
        if member not in members:
            continue
        if member in seen:
            raise _Reject("F001", f"工作表“{shown}”与其他工作表是同一份表格数据（{members[member].name}），"
                                  "文件结构异常（Excel 不会这样保存），无法安全读取；" + _RESAVE)
        seen.add(member)


def _open_failure(path: Path, data: bytes, exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, python_calamine.PasswordError) or "password" in text.lower() or "encrypt" in text.lower():
        return ENCRYPTED
    if data.startswith(_OLE) and path.suffix.lower() in _OOXML_SUFFIXES:
        # an OLE container under an .xlsx name that is no readable .xls: Office's encrypted package
        return ENCRYPTED
    return f"文件无法打开，可能已损坏或不是 Excel 工作簿（技术信息：{_short(exc)}），请重新保存后再提交"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


# ---- one sheet ----------------------------------------------------------------------------

def _bare(label: str) -> str:
    """'其中:当年财政拨款' -> '当年财政拨款'."""
    if label.startswith("其中"):
        return label[3:] if label.startswith("其中:") else label[2:]
    return label


class _Grid:
    """A sheet's values with label lookups; merged ranges map each covered cell to its anchor."""

    def __init__(self, rows: list[list[object]], merged) -> None:
        self.rows = rows
        self.height = len(rows)
        self.width = max((len(r) for r in rows), default=0)
        self.norm: dict[tuple[int, int], str] = {}
        self.index: dict[str, list[tuple[int, int]]] = {}
        norm, index, normalise = self.norm, self.index, _normalise_text
        for r, row in enumerate(rows):
            # most cells are empty or numbers: pick the short texts in one comprehension
            for c, v in [(c, v) for c, v in enumerate(row) if v.__class__ is str and v and len(v) <= 60]:
                n = normalise(v)
                if n:
                    norm[r, c] = n
                    if n in index:
                        index[n].append((r, c))
                    else:
                        index[n] = [(r, c)]
                    if n[0] == "其" and n.startswith("其中"):
                        index.setdefault(_bare(n), []).append((r, c))
        # merged ranges by their top-left cell, the only one that holds a value (and so a label)
        self.span = {(r0, c0): (r0, c0, r1, c1) for (r0, c0), (r1, c1) in merged}

    def value(self, r: int, c: int) -> object:
        """The cell's value, "" outside the grid."""
        if 0 <= r < self.height and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return ""

    def raw(self, r: int, c: int) -> RawCell:
        """The cell with its A1 address."""
        return RawCell(self.value(r, c), cell_name(r, c))

    def find(self, labels: frozenset[str], rows: range | None = None) -> list[tuple[int, int]]:
        """Cells whose normalised text is one of ``labels`` (also "其中:" + label), in reading order."""
        index = self.index
        hits = [hit for label in labels for hit in index.get(label, ())]
        if rows is not None:
            hits = [hit for hit in hits if hit[0] in rows]
        return sorted(set(hits)) if len(hits) > 1 else hits

    def label_at(self, r: int, c: int) -> str:
        """The cell's normalised label, "" when it holds no short text."""
        return self.norm.get((r, c), "")

    def row_labels(self, r: int) -> list[str]:
        """The normalised labels of one row, by column."""
        norm = self.norm
        return [norm.get((r, c), "") for c in range(len(self.rows[r]) if r < self.height else 0)]

    def right_of(self, r: int, c: int) -> RawCell:
        """The first non-empty cell right of (r, c), past the label's own merged range, stopping at
        another label."""
        start = self.span.get((r, c), (r, c, r, c))[3] + 1
        for cc in range(start, self.width):
            v = self.value(r, cc)
            if _is_blank(v):
                continue
            if self.label_at(r, cc) in KNOWN:
                return RawCell("", cell_name(r, start))
            return RawCell(v, cell_name(r, cc))
        return RawCell("", cell_name(r, start) if start < self.width else "")

    def below(self, r: int, c: int, limit: int = 3) -> RawCell:
        """The first non-empty cell below (r, c) in the same column, past its merged range."""
        start = self.span.get((r, c), (r, c, r, c))[2] + 1
        for rr in range(start, min(start + limit, self.height)):
            v = self.value(rr, c)
            if _is_blank(v):
                continue
            if self.label_at(rr, c) in KNOWN:
                break
            return RawCell(v, cell_name(rr, c))
        return RawCell("", cell_name(start, c))


def _is_blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _ends_indicators(labels: list[str], name_col: int) -> bool:
    """A signature or extra-block row: its label anywhere, or written with its value in one cell
    ("项目负责人：张三") left of the values (a deviation note may well start with "备注：")."""
    for c, label in enumerate(labels):
        if not label:
            continue
        if label in STOP or label in CODE or label in PROJECT_TYPE:
            return True
        if c <= name_col and ":" in label:
            head = label.split(":", 1)[0]
            if head in STOP or head in CODE or head in PROJECT_TYPE:
                return True
    return False


_CELL_WITH_VALUE = re.compile(r"^\s*(项目名称|主管部门|实施单位|项目编码)\s*[:：]\s*(\S.*)$")
_YEAR = re.compile(r"(20\d{2})\s*年")
_AMOUNT_UNIT = re.compile(r"单位:(万元|元)(?![/每])")
_MONEY_UNIT = re.compile(r"金额单位:(万元|元)(?![/每])")


def find_form(rows: list[list[object]], merged, file: str, sheet: str) -> RawForm | None:
    """The form on one worksheet, or None when the sheet holds none. A form has at least two of
    its blocks: 项目名称, the 项目资金 header, the 绩效指标 header (a list of projects with a
    项目名称 column is no form)."""
    grid = _Grid(rows, merged)
    headers = _indicator_header(grid)
    funds_header = _funds_header(grid)
    # 项目名称 in the header row of the 资金 or 指标 columns heads a column of a list (a unit's
    # overview of its projects, perfeval's own summary workbook), not the name of a form's project
    # (or merged down to it: a two-row header, 预算安排 over 年初预算数|全年预算数)
    list_rows = {header[0] for header in (headers, funds_header) if header is not None}
    names = [(r, c) for r, c in grid.find(NAME)
             if not any(r <= row <= grid.span.get((r, c), (r, c, r, c))[2] for row in list_rows)]
    if sum((bool(names), headers is not None, funds_header is not None)) < 2:
        return None
    form = RawForm(file, sheet)
    _read_title(grid, form, headers[0] if headers is not None else grid.height)
    _read_identity(grid, form, names)
    if funds_header is not None:
        _read_funds(grid, form, funds_header)
    _read_goals(grid, form)
    if headers is not None:
        _read_indicators(grid, form, headers)
    _read_extra(grid, form)
    form.more_names = _more_forms(grid, names, form)
    return form


_GUIDANCE = re.compile("[填请按]")  # "填写预算批复的项目全称": a 填表说明 beside the form, not a name


def _more_forms(grid: _Grid, names: list[tuple[int, int]], form: RawForm) -> tuple[str, ...]:
    """The 项目名称 labels of further forms on the sheet (side by side or below): another name beside
    it, not this form's own (a 续表 repeats it) nor guidance text, on a sheet that holds a second
    三级指标 or 全年执行数 heading (an 附表 listing 项目名称 | 金额 has neither)."""
    if len(names) < 2:
        return ()
    second_funds = len(grid.find(ACTUAL)) > 1
    if not second_funds and len(grid.find(LEVEL3)) < 2:
        return ()
    own = _normalise_text(str(form.fields["name"].value)) if "name" in form.fields else ""
    found = []
    for r, c in names[1:]:
        value = grid.right_of(r, c).value
        text = _normalise_text(str(value)) if not _is_blank(value) else ""
        # the same name again is a 续表's heading, unless a second funds block says it is a second form
        # (the same project's form of another year beside it)
        if text and (text != own or second_funds) and not _GUIDANCE.search(text):
            found.append(cell_name(r, c))
    return tuple(found)


def _read_title(grid: _Grid, form: RawForm, above: int) -> None:
    """The year from the title, and the amount unit (``above``: the row of the indicator header, or the
    sheet's height)."""
    for r in range(min(grid.height, 8)):
        for c, v in enumerate(grid.rows[r]):
            if v.__class__ is str and "年" in v:
                m = _YEAR.search(v)
                if m and ("年度" in v or "自评表" in v or len(v) < 20):
                    form.fields["year"] = RawCell(int(m.group(1)), cell_name(r, c))
                    break
        if "year" in form.fields:
            break
    # "金额单位：元" anywhere, also after the unit's name in one cell ("填报单位：某中心　金额单位：元"); a bare
    # "单位：元" above the indicators only (an indicator's "人均补助（单位：元）" is its own unit), not a rate
    # (元/人), and not in a cell that names a unit (实施单位：元宝区…). The cell's own text, not its label: a
    # label loses a trailing "（单位：元）" as it loses "（万元）".
    for r, row in enumerate(grid.rows):
        for c, v in enumerate(row):
            if v.__class__ is str and "单位" in v and len(v) <= 60:
                n = _SPACE.sub("", v).translate(_TRANS)
                m = _MONEY_UNIT.search(n) or (_AMOUNT_UNIT.search(n) if r < above else None)
                if m and (m.re is _MONEY_UNIT or not n.startswith(("实施单位", "主管单位", "项目单位", "填报单位"))):
                    form.amount_unit, form.amount_unit_cell = m.group(1), cell_name(r, c)
                    return


def _read_identity(grid: _Grid, form: RawForm, names: list[tuple[int, int]]) -> None:
    for key, labels in (("name", NAME), ("department", DEPARTMENT), ("implementer", IMPLEMENTER)):
        hits = names if key == "name" else grid.find(labels)
        if hits:
            r, c = hits[0]
            form.fields[key] = grid.right_of(r, c)
            if key == "name":
                form.fields["name_label"] = RawCell(grid.value(r, c), cell_name(r, c))
    # "项目名称：XXX" written in one cell
    for (r, c), n in grid.norm.items():
        if ":" not in n:
            continue
        v = grid.value(r, c)
        m = _CELL_WITH_VALUE.match(v)
        if m:
            key = {"项目名称": "name", "主管部门": "department", "实施单位": "implementer", "项目编码": "code"}[m.group(1)]
            if _is_blank(form.fields.get(key, EMPTY).value):
                form.fields[key] = RawCell(m.group(2).strip(), cell_name(r, c))


_FUNDS_LABEL = _labels("项目资金")
_FUNDS_COLUMNS = (("initial", INITIAL), ("budget", BUDGET), ("actual", ACTUAL), ("weight", POINTS),
                  ("rate", RATE), ("score", SCORE))
_FUNDS_KNOWN = frozenset().union(*(names for _, names in _FUNDS_COLUMNS))


def _header_labels(grid: _Grid, r: int) -> list[str]:
    """A header row's labels by column, with the headings merged down into it from the row or two
    above: in a two-row header (预算安排 over 年初预算数 | 全年预算数, 指标完成情况 over 年度指标值 |
    实际完成值) the other headings span both rows, and the lower row is the one the columns hang from."""
    labels = grid.row_labels(r)
    for (r0, c0), (_, _, r1, _) in grid.span.items():
        if r0 < r <= r1 <= r0 + 2 and (r0, c0) in grid.norm:
            if c0 >= len(labels):
                labels += [""] * (c0 + 1 - len(labels))
            if not labels[c0]:
                labels[c0] = grid.norm[r0, c0]
    return labels


def _header_rows(grid: _Grid, hits: list[tuple[int, int]]) -> list[int]:
    """The rows that may be a header: those of the label hits, and the rows their merged cells reach down
    to (two at most), in order."""
    rows = set()
    for r, c in hits:
        rows.update(range(r, min(grid.span.get((r, c), (r, c, r, c))[2], r + 2) + 1))
    return sorted(rows)


def _lowest(grid: _Grid, rows: list[int], columns_of, known: frozenset[str]) -> tuple[int, dict[str, int]] | None:
    """The first row whose labels give columns (``columns_of``). When the row below gives columns too, the
    two are one header and the columns hang from the lower row: its labels where they name a column, else
    the upper row's (实际完成值 over 数值 | 单位 keeps its column; a 分值 not merged down is kept)."""
    for r in rows:
        if r >= grid.height:
            continue
        upper = _header_labels(grid, r)
        columns = columns_of(upper)
        if columns is None:
            continue
        lower = _header_labels(grid, r + 1) if r + 1 < grid.height else []
        if lower and columns_of(lower) is not None:
            width = max(len(upper), len(lower))
            upper, lower = upper + [""] * (width - len(upper)), lower + [""] * (width - len(lower))
            return r + 1, columns_of([lo if lo in known or not up else up for up, lo in zip(upper, lower)])
        return r, columns
    return None


def _funds_columns(labels: list[str]) -> dict[str, int] | None:
    """The funds columns named by a header row's labels; None unless they name a budget and the 执行数."""
    if not any(n in BUDGET or n in INITIAL for n in labels) or not any(n in ACTUAL for n in labels):
        return None
    columns: dict[str, int] = {}
    for c, n in enumerate(labels):
        for key, names in _FUNDS_COLUMNS:
            if n in names and key not in columns:
                columns[key] = c
    return columns


def _funds_header(grid: _Grid) -> tuple[int, dict[str, int]] | None:
    """The row holding 全年预算数 (or 年初预算数) and 全年执行数, with the column of each funds heading."""
    return _lowest(grid, _header_rows(grid, grid.find(BUDGET | INITIAL)), _funds_columns, _FUNDS_KNOWN)


def _read_funds(grid: _Grid, form: RawForm, found: tuple[int, dict[str, int]]) -> None:
    header, columns = found
    # the 项目资金 label (or a heading of the header row) may say （元）, and so may the amount columns'
    # headings: 年初预算数（元） | 全年预算数（元） | 全年执行数（元）
    amount_columns = {columns[k] for k in ("initial", "budget", "actual") if k in columns}
    for c, n in enumerate(grid.row_labels(header)):
        text = str(grid.value(header, c))
        if ("项目资金" in n or c in amount_columns) and "元" in text and "万元" not in text and form.amount_unit == "万元":
            form.amount_unit, form.amount_unit_cell = "元", cell_name(header, c)
    for r, c in grid.find(_FUNDS_LABEL, range(max(0, header - 1), header + 8)):
        text = str(grid.value(r, c))
        if "元" in text and "万元" not in text:
            form.amount_unit, form.amount_unit_cell = "元", cell_name(r, c)
    form.funds_columns = tuple(columns)
    items = [(key, c, column_letters(c)) for key, c in columns.items()]
    first_amount = min(columns[k] for k in ("initial", "budget", "actual") if k in columns)
    ends = GOAL | GOAL_BLOCK | LEVEL3 | INDICATOR_BLOCK
    for r in range(header + 1, min(header + 12, grid.height)):
        kind, label = _funds_row_kind(grid, r, first_amount)
        if kind is None:
            if any(n in ends for n in grid.row_labels(r)):
                break
            continue
        row, number = grid.rows[r], str(r + 1)
        cells = {key: RawCell(row[c] if c < len(row) else "", _intern(letters + number)) for key, c, letters in items}
        if kind in form.funds and not (kind == "own_level" and _own_rather(label, cells, form)):
            continue
        form.funds_labels[kind] = label
        form.funds[kind] = cells


_LEVELS = {"本级": 0, "区级": 1, "县级": 1, "市级": 2, "省级": 3}


def _own_rather(label: str, cells: dict[str, RawCell], form: RawForm) -> bool:
    """Whether a further level row is the unit's own rather than the one found before it: a row with
    amounts before an empty one (a template prints every level, the unit fills its own), else the lower level."""
    filled = lambda row: any(not is_empty(row[k].value) for k in ("initial", "budget", "actual") if k in row)
    new, old = filled(cells), filled(form.funds["own_level"])
    if new != old:
        return new
    return _level_rank(label) < _level_rank(form.funds_labels["own_level"])


def _level_rank(label: str) -> int:
    """Which of several level rows (中央/省级/市级/区级资金 under 当年财政拨款) is the unit's own: 本级 says
    so; else the lowest level, since the levels above give to the one below (a 区级 unit's funds come
    from 中央, 省 and 市 too, a 市级 unit's from 中央 and 省, never from a 区)."""
    return next((rank for level, rank in _LEVELS.items() if level in label), len(_LEVELS))


def _funds_row_kind(grid: _Grid, r: int, before: int) -> tuple[str | None, str]:
    for c in range(before):
        n = grid.label_at(r, c)
        if not n:
            continue
        bare = _bare(n)
        for kind, labels in FUNDS_ROWS.items():
            if bare in labels:
                return kind, str(grid.value(r, c)).strip()
    return None, ""


def _read_goals(grid: _Grid, form: RawForm) -> None:
    for key, labels in (("goal", GOAL), ("achievement", ACHIEVEMENT)):
        for r, c in grid.find(labels):
            # standard forms put the text under its label; some provinces put it to the right
            below = grid.below(r, c)
            form.fields[key] = below if not _is_blank(below.value) else grid.right_of(r, c)
            break


_INDICATOR_COLUMNS = (("level1", LEVEL1), ("level2", LEVEL2), ("name", LEVEL3), ("target", TARGET),
                      ("actual", ACTUAL_VALUE), ("weight", POINTS), ("score", SCORE), ("deviation", DEVIATION),
                      ("nature", NATURE))
_INDICATOR_KNOWN = frozenset().union(UNIT, *(names for _, names in _INDICATOR_COLUMNS))


def _indicator_columns(labels: list[str]) -> dict[str, int] | None:
    """The indicator columns named by a header row's labels; None unless it names 三级指标 and a value."""
    if not any(n in LEVEL3 for n in labels):
        return None
    columns: dict[str, int] = {}
    for cc, n in enumerate(labels):
        if not n:
            continue
        for key, names in _INDICATOR_COLUMNS:
            if n in names and key not in columns:
                columns[key] = cc
        if n in UNIT:
            columns.setdefault("unit" if "actual" not in columns else "actual_unit", cc)
    return columns if "target" in columns or "actual" in columns else None


def _indicator_header(grid: _Grid) -> tuple[int, dict[str, int]] | None:
    return _lowest(grid, _header_rows(grid, grid.find(LEVEL3)), _indicator_columns, _INDICATOR_KNOWN)


_ROW_KEYS = ("name", "target", "actual", "weight", "score")


def _read_indicators(grid: _Grid, form: RawForm, header: tuple[int, dict[str, int]]) -> None:
    r0, columns = header
    level1 = level2 = EMPTY
    for c, v in enumerate(grid.rows[r0]):
        if v.__class__ is str and "分" in v:
            m = _POINTS.search(v)
            if m and normalise_label(v) in INDICATOR_BLOCK:
                form.declared["绩效指标"] = RawCell(float(m.group(1)), cell_name(r0, c))
    # the 绩效指标 block label may sit left of the header, declaring the points: 绩效指标（90分）
    for r, c in grid.find(INDICATOR_BLOCK):
        m = _POINTS.search(str(grid.value(r, c)))
        if m:
            form.declared["绩效指标"] = RawCell(float(m.group(1)), cell_name(r, c))
    name_col = columns.get("name", 3)
    items = [(key, c, column_letters(c)) for key, c in columns.items()]
    blank_run = 0
    for r in range(r0 + 1, grid.height):
        labels_in_row = grid.row_labels(r)
        if any(n in TOTAL_SCORE for n in labels_in_row[: name_col + 1]):
            form.fields["total_score"] = grid.raw(r, columns["score"]) if "score" in columns else EMPTY
            form.fields["total_points"] = grid.raw(r, columns["weight"]) if "weight" in columns else EMPTY
            break
        if _ends_indicators(labels_in_row, name_col):
            break
        row, number = grid.rows[r], str(r + 1)
        width = len(row)
        values = {key: _cell((row[c] if c < width else "", _intern(letters + number))) for key, c, letters in items}
        if sum(1 for n in labels_in_row if n in _INDICATOR_KNOWN) >= 2:
            continue  # the header again (either row of a two-row one): a form of several pages pasted together
        # a "/" or "—" under 一级/二级指标 names no level: the one above goes on
        if "level1" in values and not is_empty(values["level1"].value):
            level1 = values["level1"]
            level2 = EMPTY
            _declare(form, level1)
        if "level2" in values and not is_empty(values["level2"].value):
            level2 = values["level2"]
        if all(_is_blank(values[k].value) for k in _ROW_KEYS if k in values) or _struck_out(values):
            blank_run += 1
            if blank_run > 30:
                break
            continue
        blank_run = 0
        if len(form.indicators) == MAX_INDICATORS:
            form.indicators_cut = True  # no form has that many: a generated or hostile one
            break
        values["level1"], values["level2"] = level1, level2
        form.indicators.append(values)


def _struck_out(values: dict[str, RawCell]) -> bool:
    """A row left unused and filled with markers, as staff do ("/" in every cell, or 无 with 0 points):
    no name, no values, no points. A row with a name or points is an indicator, missing values or not."""
    for key in _ROW_KEYS:
        raw = values.get(key)
        if raw is None:
            continue
        v = raw.value
        if key in ("weight", "score") and (v.__class__ is float or v.__class__ is int) and v == 0:
            continue
        if not is_empty(v):
            return False
    return True


def _declare(form: RawForm, level1: RawCell) -> None:
    m = _POINTS.search(str(level1.value))
    if m:
        form.declared[normalise_label(level1.value)] = RawCell(float(m.group(1)), level1.cell)


def _read_extra(grid: _Grid, form: RawForm) -> None:
    for key, labels in (("code", CODE), ("project_type", PROJECT_TYPE), ("fund_use", FUND_USE),
                        ("filler", FILLER), ("phone", PHONE)):
        hits = grid.find(labels)
        if not hits:
            continue
        r, c = hits[-1]
        # a value right of its label ("项目编码 | KF2021004"), else under it (the template's row of
        # labels with the values below)
        value = grid.right_of(r, c)
        if _is_blank(value.value):
            value = grid.below(r, c, limit=1)
        if not _is_blank(value.value) or key not in form.fields:
            form.fields[key] = value


# A name (项目名称, 主管部门, 实施单位, 单位名称) goes into every issue of its project, every project of its unit
# and the report's headings: a 32,000-character name beside 8,000 issues made a 2.3 GB result.json. Real
# names are far shorter.
MAX_NAME = 300
LONG_NAME = "{}长达 {:,} 字，不是正常的名称（可能是程序生成或异常的文件），只读取了前 {} 字；请核对后另存"

# Excel and WPS hold at most 32,767 characters in a cell: a longer text was written by a program, and
# every output repeats a project's texts (a 15-million-character name took a report past 1 GB).
MAX_CELL_TEXT = 32_767
TOO_LONG = ("单元格文字长达 {:,} 字，超过 Excel 单元格的上限 32,767 字（可能是程序生成或异常的文件），只读取了前 32,767 字；"
            "请删除多余内容后另存")


def cap_long_texts(cells: dict[str, RawCell]) -> list[tuple[str, int]]:
    """Cut, in place, the texts longer than a cell can hold to MAX_CELL_TEXT; (cell, length) of each."""
    cut = []
    for key, raw in cells.items():
        v = raw.value
        if v.__class__ is str and len(v) > MAX_CELL_TEXT:
            cells[key] = RawCell(v[:MAX_CELL_TEXT], raw.cell)
            cut.append((raw.cell, len(v)))
    return cut


# A form's cells together: a real form holds a few thousand characters, the most verbose some tens of
# thousands. Past this, the texts come from a program or an attack (a 26 KB workbook whose one shared string
# of 32,760 characters fills a thousand rows is 130 million characters once read), and every project's texts
# stay in memory to the end of the run and go whole into result.json and the summary workbook.
MAX_FORM_TEXT = 200_000
MIN_KEPT_TEXT = 100  # no text is cut shorter: the form's values and amounts stay whole


def cap_total_text(groups: tuple[dict[str, RawCell], ...], budget: int = MAX_FORM_TEXT) -> tuple[int, int, int] | None:
    """Cut, in place, the longest texts of a form's cells (``groups``) to one length, the longest that keeps
    them within ``budget`` together (not below MIN_KEPT_TEXT); (total before, cells cut, length kept), or
    None when the form is within it."""
    total = sum(len(raw.value) for cells in groups for raw in cells.values() if raw.value.__class__ is str)
    if total <= budget:
        return None
    lengths = [len(raw.value) for cells in groups for raw in cells.values() if raw.value.__class__ is str]
    if max(lengths) <= MIN_KEPT_TEXT:
        return None  # many short texts: none is cut shorter than MIN_KEPT_TEXT
    low, high = MIN_KEPT_TEXT, max(lengths)  # the longest length kept whose sum fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(n, middle) for n in lengths) <= budget:
            low = middle
        else:
            high = middle - 1
    cut = 0
    for cells in groups:
        for key, raw in cells.items():
            if raw.value.__class__ is str and len(raw.value) > low:
                cells[key] = RawCell(raw.value[:low], raw.cell)
                cut += 1
    return total, cut, low


def cut_name(label: str, name: str) -> tuple[str, str]:
    """``name`` within MAX_NAME characters, and the F007 message when it was longer ("" when not)."""
    if len(name) <= MAX_NAME:
        return name, ""
    return name[:MAX_NAME], LONG_NAME.format(label, len(name), MAX_NAME)


def _bound_unit_sheet(unit: UnitSheet) -> list[Issue]:
    """Cut, in place, a 单位情况 sheet's texts as a form's are: each to a cell's limit, all together to
    MAX_UNIT_TEXT (they stay with their unit to the end of the run), and its names to MAX_NAME (they go with
    every project of the unit); an F007 for each cut."""
    found = lambda message, cell="": checks.issue("F007", message, file=unit.file, sheet=unit.sheet, cell=cell)
    issues = [found(TOO_LONG.format(length), cell) for cell, length in cap_long_texts(unit.items)]
    trimmed = cap_total_text((unit.items,), MAX_UNIT_TEXT)
    if trimmed:
        total, count, kept = trimmed
        issues.append(found(f"单位情况表中文字合计 {total:,} 字，超过 {MAX_UNIT_TEXT:,} 字的上限（可能是程序生成或异常的文件），"
                            f"其中 {count} 个较长的内容只读取了前 {kept:,} 字；请精简后另存"))
    for key in ("单位名称", "主管部门"):
        raw = unit.items.get(key)
        if raw is not None and raw.value.__class__ is str:
            name, message = cut_name(key, raw.value.strip())
            if message:
                unit.items[key] = RawCell(name, raw.cell)
                issues.append(found(message, raw.cell))
    return issues


def read_unit_sheet(rows: list[list[object]], file: str, sheet: str) -> UnitSheet:
    """项目 | 内容 rows of a 单位情况 sheet."""
    items: dict[str, RawCell] = {}
    wanted = {normalise_label(i): i for i in UNIT_ITEMS}
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            key = wanted.get(normalise_label(v)) if isinstance(v, str) else None
            if key and key not in items:
                for cc in range(c + 1, len(row)):
                    if not _is_blank(row[cc]):
                        items[key] = RawCell(row[cc], cell_name(r, cc))
                        break
                else:
                    items[key] = RawCell("", cell_name(r, c + 1))
    return UnitSheet(file, sheet, items)
