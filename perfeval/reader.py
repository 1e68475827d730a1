"""Stage 2: read the forms out of a workbook, by their labels (FORM.md §2).

Published 自评表 move around: rows are inserted, columns shift, labels carry spaces, full-width
brackets, units or points. So nothing here uses fixed addresses: each block is found by its
labels anywhere in the sheet, and values are read relative to them. The result is a ``RawForm``:
every field is the cell's value as the reader returned it, with its A1 address. Turning those into
numbers and parsed values is the next stage's job (``normalise``).

python-calamine reads .xlsx/.xlsm/.xls/.ods in about half a millisecond per form and returns merged
ranges; merged cells hold their value in the top-left cell only, which is why 一级/二级指标 are
carried down.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from perfeval.model import Issue
from perfeval import checks

MAX_UNCOMPRESSED = 50 * 1024 * 1024  # bytes of XML a workbook may inflate to
MAX_RATIO = 200  # compression ratio of one member beyond which it is a bomb
MAX_ROWS = 5000
MAX_COLS = 200


@dataclass(frozen=True)
class RawCell:
    """A cell's value as read (str, float, int, bool, date, or "" when empty) and its address."""

    value: object
    cell: str


EMPTY = RawCell("", "")


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


# ---- labels -------------------------------------------------------------------------------

_SPACE = re.compile(r"[\s\u3000\u00a0]+")
_TRAILING_PART = re.compile(r"\((?:[^()]*?(?:万元|元|分|A|B|B/A|%|％)[^()]*?)\)$")
_POINTS = re.compile(r"[(（]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]")
_TRANS = str.maketrans({"（": "(", "）": ")", "：": ":", "【": "(", "】": ")", "［": "(", "］": ")",
                        "，": ",", "、": ","})


def normalise_label(text: object) -> str:
    """Label text for comparison: no whitespace, half-width brackets and colons, no trailing
    unit or points part such as （万元） （A） （B/A） （10分） (50分), no trailing colon."""
    if not isinstance(text, str):
        return ""
    s = _SPACE.sub("", text).translate(_TRANS)
    if len(s) > 40:
        return s
    for _ in range(2):
        s = _TRAILING_PART.sub("", s)
    return s.rstrip(":")


def _labels(*names: str) -> frozenset[str]:
    return frozenset(normalise_label(n) for n in names)


BUDGET = _labels("全年预算数", "调整后预算数", "调整预算数", "预算数", "全年预算")
INITIAL = _labels("年初预算数", "年初预算")
ACTUAL = _labels("全年执行数", "预算执行数", "执行数", "全年执行", "实际执行数", "实际支出数")
RATE = _labels("执行率", "预算执行率")
POINTS = _labels("分值", "权重", "权重(分值)", "分值(权重)")
SCORE = _labels("得分", "自评得分", "评分")
TOTAL_ROW = _labels("年度资金总额", "资金总额", "总额", "合计", "年度资金总额:")
APPROPRIATION_ROW = _labels("当年财政拨款", "本年财政拨款", "财政拨款", "财政资金", "本年一般公共预算拨款")
OWN_LEVEL_ROW = _labels("本级资金", "区级资金", "县级资金", "市级资金", "省级资金")
CARRYOVER_ROW = _labels("上年结转资金", "上年结转", "结转资金")
OTHER_ROW = _labels("其他资金", "单位资金", "财政专户管理资金")
FUNDS_ROWS = {"total": TOTAL_ROW, "appropriation": APPROPRIATION_ROW, "own_level": OWN_LEVEL_ROW,
              "carryover": CARRYOVER_ROW, "other": OTHER_ROW}

LEVEL1 = _labels("一级指标")
LEVEL2 = _labels("二级指标")
LEVEL3 = _labels("三级指标", "指标名称")
TARGET = _labels("年度指标值", "指标值", "年初目标值", "目标值", "预期指标值")
ACTUAL_VALUE = _labels("实际完成值", "完成值", "全年实际值", "实际值", "全年完成值")
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
               "填表日期", "备注")
INDICATOR_BLOCK = _labels("绩效指标", "年度绩效指标")

# Every label the reader knows: a value scan stops when it meets one.
KNOWN = frozenset().union(
    BUDGET, INITIAL, ACTUAL, RATE, POINTS, SCORE, TOTAL_ROW, LEVEL1, LEVEL2, LEVEL3, TARGET, ACTUAL_VALUE,
    DEVIATION, GOAL, ACHIEVEMENT, GOAL_BLOCK, NAME, DEPARTMENT, IMPLEMENTER, CODE, PROJECT_TYPE, FUND_USE,
    FILLER, PHONE, STOP, INDICATOR_BLOCK, _labels("项目资金", "资金来源", "项目资金(万元)"))

UNIT_SHEET = "单位情况"
UNIT_ITEMS = ("单位名称", "年度", "主管部门", "本级资金名称", "资金使用管理情况", "绩效评价工作情况", "存在的问题",
              "有关建议", "其他需要说明的问题", "联系人", "联系电话", "报送日期")


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) -> A1."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


# ---- files --------------------------------------------------------------------------------

def read_workbook(path: Path, name: str) -> Workbook:
    """Every form and the 单位情况 sheet of one file; problems become issues, never exceptions."""
    book = Workbook(name)
    problem, uncached = _precheck(path)
    if problem is not None:
        code, message = problem
        book.issues.append(checks.issue(code, message, file=name))
        book.readable = False
        return book
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = list(workbook.sheet_names)
    except Exception as exc:  # calamine raises its own error types for every kind of bad file
        book.issues.append(checks.issue("F001", _open_failure(path, exc), file=name))
        book.readable = False
        return book
    for sheet_name in sheets:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            grid = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges or []
        except Exception as exc:
            book.issues.append(checks.issue(
                "F001", f"工作表“{sheet_name}”无法读取（{_short(exc)}），请在 Excel 中打开后另存再提交",
                file=name, sheet=sheet_name))
            continue
        if normalise_label(sheet_name) == UNIT_SHEET:
            book.unit = read_unit_sheet(grid, name, sheet_name)
            continue
        form = find_form(grid, merged, name, sheet_name)
        if form is not None:
            form.uncached = frozenset(uncached.get(sheet_name, ()))
            book.forms.append(form)
    if not book.forms and book.unit is None:
        book.issues.append(checks.issue(
            "F002", "工作簿中没有找到项目支出绩效自评表（未找到“项目名称”“三级指标”等栏目），"
                    "请使用 perfeval template 生成的模板或标准自评表填报", file=name))
    return book


Problem = tuple[str, str]  # (code, message)


def _precheck(path: Path) -> tuple[Problem | None, dict[str, set[str]]]:
    """Bounded work before any parser runs: a zip whose members would inflate beyond the limits
    is rejected from its central directory, without decompressing anything; then the sheets'
    extents are checked. Also returns, per sheet, the formula cells that have no cached value."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        return ("F001", f"文件无法读取（{exc.strerror or exc}），请检查文件权限"), {}
    if not head:
        return ("F001", "文件为空（0 字节），请重新保存后再提交"), {}
    if head.startswith(b"%PDF"):
        return ("F001", "文件实际上是 PDF，不是 Excel 工作簿，请提交 .xlsx 格式的自评表"), {}
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods") and head.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE container with an OOXML name is how Office stores password-protected workbooks.
        return ("F001", "文件已加密，请另存为未加密的工作簿"), {}
    if not head.startswith(b"PK"):
        return None, {}
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED or len(infos) > 10_000:
                return ("F007", f"文件解压后达 {total / 1048576:.0f} MB，超过 {MAX_UNCOMPRESSED // 1048576} MB 的上限，"
                                "可能是异常文件，请删除多余内容后另存"), {}
            for info in infos:
                if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 5_000_000:
                    return ("F007", f"文件中的 {info.filename} 压缩比异常（{info.file_size // info.compress_size} 倍），"
                                    "已拒绝读取"), {}
            return _scan_sheets(archive, infos)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        return ("F001", "文件已损坏或不完整（无法解压），请重新保存后再提交"), {}


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d{1,7})"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


# A formula cell with no cached <v> (written by a program, never opened in Excel): <c r="E6"><f>…</f></c>
_UNCACHED = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3}\d{1,7})"[^>]*?>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)'
                       rb'\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>')
_SHEET_ENTRY = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"')
_REL_ENTRY = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"')
_REL_ENTRY_REV = re.compile(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"')


def _scan_sheets(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> tuple[Problem | None, dict[str, set[str]]]:
    # python-calamine builds a dense grid up to the furthest cell: a lone cell at XFD1048576 makes it
    # allocate hundreds of GB and abort the process. Look at the cell references first.
    uncached: dict[str, set[str]] = {}
    for info in infos:
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        data = archive.read(info)
        if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
            return ("F007", f"工作表 {info.filename} 含有 DOCTYPE/实体定义，可能是恶意文件，已拒绝读取"), {}
        max_row = max_col = 0
        for col, row in _CELL_REF.findall(data):
            max_row = max(max_row, int(row))
            max_col = max(max_col, _col_index(col))
        if max_row > MAX_ROWS or max_col > MAX_COLS:
            return ("F007", f"工作表 {info.filename} 的范围过大（最远单元格在第 {max_row} 行、第 {max_col} 列），"
                            "超过读取上限，请删除多余的行列后另存"), {}
        if b"<f" in data:
            cells = {ref.decode() for ref in _UNCACHED.findall(data)}
            if cells:
                uncached[info.filename] = cells
    return None, _by_sheet_name(archive, uncached) if uncached else {}


def _by_sheet_name(archive: zipfile.ZipFile, by_member: dict[str, set[str]]) -> dict[str, set[str]]:
    """xl/worksheets/sheet1.xml -> the sheet's name, through workbook.xml and its relationships."""
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {rid: target for rid, target in _REL_ENTRY.findall(rels)}
    targets.update({rid: target for target, rid in _REL_ENTRY_REV.findall(rels)})
    found = {}
    for name, rid in _SHEET_ENTRY.findall(book):
        target = targets.get(rid, b"").decode().lstrip("/")
        member = target if target.startswith("xl/") else f"xl/{target}"
        if member in by_member:
            found[html.unescape(name.decode("utf-8"))] = by_member[member]
    return found


def _open_failure(path: Path, exc: Exception) -> str:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower() or "cfb" in text.lower():
        return "文件已加密，请另存为未加密的工作簿"
    if path.suffix.lower() == ".xls" and "xls" not in text.lower():
        return f"文件无法打开（{_short(exc)}），请在 Excel 或 WPS 中打开后另存为 .xlsx"
    return f"文件无法打开，可能已损坏或不是 Excel 工作簿（{_short(exc)}），请重新保存后再提交"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


# ---- one sheet ----------------------------------------------------------------------------

class _Grid:
    """A sheet's values with label lookups; merged ranges map each covered cell to its anchor."""

    def __init__(self, rows: list[list[object]], merged) -> None:
        self.rows = rows
        self.height = len(rows)
        self.width = max((len(r) for r in rows), default=0)
        self.norm: dict[tuple[int, int], str] = {}
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if isinstance(v, str) and v and len(v) <= 60:
                    n = normalise_label(v)
                    if n:
                        self.norm[(r, c)] = n
        self.span: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for (r0, c0), (r1, c1) in merged:
            if (r1 - r0 + 1) * (c1 - c0 + 1) > 5000:
                continue
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    self.span[(r, c)] = (r0, c0, r1, c1)

    def value(self, r: int, c: int) -> object:
        if 0 <= r < self.height and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return ""

    def raw(self, r: int, c: int) -> RawCell:
        return RawCell(self.value(r, c), cell_name(r, c))

    def find(self, labels: frozenset[str], rows: range | None = None) -> list[tuple[int, int]]:
        """Cells whose normalised text is one of ``labels`` (also "其中:" + label), in reading order."""
        hits = []
        for (r, c), n in self.norm.items():
            if rows is not None and r not in rows:
                continue
            if n in labels or (n.startswith("其中:") and n[3:] in labels) or (n.startswith("其中") and n[2:] in labels):
                hits.append((r, c))
        return sorted(hits)

    def label_at(self, r: int, c: int) -> str:
        return self.norm.get((r, c), "")

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


_CELL_WITH_VALUE = re.compile(r"^\s*(项目名称|主管部门|实施单位|项目编码)\s*[:：]\s*(\S.*)$")
_YEAR = re.compile(r"(20\d{2})\s*年")
_AMOUNT_UNIT = re.compile(r"(?:金额)?单位\s*[:：]\s*(万元|元)")


def find_form(rows: list[list[object]], merged, file: str, sheet: str) -> RawForm | None:
    """The form on one worksheet, or None when the sheet holds none (no 项目名称 and no 三级指标)."""
    grid = _Grid(rows, merged)
    names = grid.find(NAME)
    headers = _indicator_header(grid)
    if not names and headers is None:
        return None
    if not names and not grid.find(BUDGET | ACTUAL):
        return None
    form = RawForm(file, sheet)
    _read_title(grid, form)
    _read_identity(grid, form, names)
    _read_funds(grid, form)
    _read_goals(grid, form)
    if headers is not None:
        _read_indicators(grid, form, headers)
    _read_extra(grid, form)
    return form


def _read_title(grid: _Grid, form: RawForm) -> None:
    for r in range(min(grid.height, 8)):
        for c, v in enumerate(grid.rows[r]):
            if isinstance(v, str):
                m = _YEAR.search(v)
                if m and "year" not in form.fields and ("年度" in v or "自评表" in v or len(v) < 20):
                    form.fields["year"] = RawCell(int(m.group(1)), cell_name(r, c))
    for (r, c), n in grid.norm.items():
        m = _AMOUNT_UNIT.search(str(grid.value(r, c)))
        if m:
            form.amount_unit, form.amount_unit_cell = m.group(1), cell_name(r, c)
            break


def _read_identity(grid: _Grid, form: RawForm, names: list[tuple[int, int]]) -> None:
    for key, labels in (("name", NAME), ("department", DEPARTMENT), ("implementer", IMPLEMENTER)):
        hits = names if key == "name" else grid.find(labels)
        if hits:
            r, c = hits[0]
            form.fields[key] = grid.right_of(r, c)
            if key == "name":
                form.fields["name_label"] = RawCell(grid.value(r, c), cell_name(r, c))
    # "项目名称：XXX" written in one cell
    for (r, c), _ in list(grid.norm.items()):
        v = grid.value(r, c)
        m = _CELL_WITH_VALUE.match(v) if isinstance(v, str) else None
        if m:
            key = {"项目名称": "name", "主管部门": "department", "实施单位": "implementer", "项目编码": "code"}[m.group(1)]
            if _is_blank(form.fields.get(key, EMPTY).value):
                form.fields[key] = RawCell(m.group(2).strip(), cell_name(r, c))


def _read_funds(grid: _Grid, form: RawForm) -> None:
    header = None
    for r in range(grid.height):
        row_labels = {grid.label_at(r, c) for c in range(grid.width)}
        has_budget = bool(row_labels & BUDGET) or bool(row_labels & INITIAL)
        if has_budget and row_labels & ACTUAL:
            header = r
            break
    if header is None:
        return
    columns: dict[str, int] = {}
    for c in range(grid.width):
        n = grid.label_at(header, c)
        for key, labels in (("initial", INITIAL), ("budget", BUDGET), ("actual", ACTUAL), ("weight", POINTS),
                            ("rate", RATE), ("score", SCORE)):
            if n in labels and key not in columns:
                columns[key] = c
        if ("元" in n and "万元" not in n and "项目资金" in n) and form.amount_unit == "万元":
            form.amount_unit, form.amount_unit_cell = "元", cell_name(header, c)
    # the 项目资金 label itself may say （元）
    for r, c in grid.find(_labels("项目资金"), range(max(0, header - 1), header + 8)):
        text = str(grid.value(r, c))
        if "元" in text and "万元" not in text:
            form.amount_unit, form.amount_unit_cell = "元", cell_name(r, c)
    form.funds_columns = tuple(columns)
    first_amount = min(columns[k] for k in ("initial", "budget", "actual") if k in columns)
    for r in range(header + 1, min(header + 12, grid.height)):
        kind, label = _funds_row_kind(grid, r, first_amount)
        if kind is None:
            if any(grid.label_at(r, c) in (GOAL | GOAL_BLOCK | LEVEL3 | INDICATOR_BLOCK) for c in range(grid.width)):
                break
            continue
        if kind in form.funds:
            continue
        form.funds_labels[kind] = label
        form.funds[kind] = {key: grid.raw(r, c) for key, c in columns.items()}


def _funds_row_kind(grid: _Grid, r: int, before: int) -> tuple[str | None, str]:
    for c in range(before):
        n = grid.label_at(r, c)
        if not n:
            continue
        bare = n[3:] if n.startswith("其中:") else (n[2:] if n.startswith("其中") else n)
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


def _indicator_header(grid: _Grid) -> tuple[int, dict[str, int]] | None:
    for r, c in grid.find(LEVEL3):
        columns: dict[str, int] = {}
        for cc in range(grid.width):
            n = grid.label_at(r, cc)
            for key, labels in (("level1", LEVEL1), ("level2", LEVEL2), ("name", LEVEL3), ("target", TARGET),
                                ("actual", ACTUAL_VALUE), ("weight", POINTS), ("score", SCORE),
                                ("deviation", DEVIATION), ("nature", NATURE)):
                if n in labels and key not in columns:
                    columns[key] = cc
            if n in UNIT:
                columns.setdefault("unit" if "actual" not in columns else "actual_unit", cc)
        if "target" in columns or "actual" in columns:
            return r, columns
    return None


def _read_indicators(grid: _Grid, form: RawForm, header: tuple[int, dict[str, int]]) -> None:
    r0, columns = header
    level1 = level2 = RawCell("", "")
    for c in range(grid.width):
        n = str(grid.value(r0, c))
        m = _POINTS.search(n)
        if m and normalise_label(n) in INDICATOR_BLOCK:
            form.declared["绩效指标"] = RawCell(float(m.group(1)), cell_name(r0, c))
    # the 绩效指标 block label may sit left of the header, declaring the points: 绩效指标（90分）
    for r, c in grid.find(INDICATOR_BLOCK):
        m = _POINTS.search(str(grid.value(r, c)))
        if m:
            form.declared["绩效指标"] = RawCell(float(m.group(1)), cell_name(r, c))
    blank_run = 0
    for r in range(r0 + 1, grid.height):
        labels_in_row = [grid.label_at(r, c) for c in range(grid.width)]
        if any(n in TOTAL_SCORE for n in labels_in_row[: columns.get("name", 3) + 1]):
            form.fields["total_score"] = grid.raw(r, columns["score"]) if "score" in columns else EMPTY
            form.fields["total_points"] = grid.raw(r, columns["weight"]) if "weight" in columns else EMPTY
            break
        if any(n in STOP or n in CODE or n in PROJECT_TYPE for n in labels_in_row):
            break
        values = {key: grid.raw(r, c) for key, c in columns.items()}
        if "level1" in values and not _is_blank(values["level1"].value):
            level1 = values["level1"]
            level2 = RawCell("", "")
            _declare(form, level1)
        if "level2" in values and not _is_blank(values["level2"].value):
            level2 = values["level2"]
        body = [values.get(k, EMPTY).value for k in ("name", "target", "actual", "weight", "score")]
        if all(_is_blank(v) for v in body):
            blank_run += 1
            if blank_run > 30:
                break
            continue
        blank_run = 0
        values["level1"], values["level2"] = level1, level2
        form.indicators.append(values)


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
        value = grid.below(r, c, limit=1)
        if _is_blank(value.value):
            value = grid.right_of(r, c)
        if not _is_blank(value.value) or key not in form.fields:
            form.fields[key] = value


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
