"""The input forms perfeval hands out: the 项目支出绩效自评表 and the 单位情况 sheet (FORM.md §1, §4).

``perfeval template`` writes both blank; ``write_form`` also writes a form filled from a ``Project``
(the bundled example). ``perfeval template --projects`` reads a 项目清单 (``read_project_list``) and
writes one pre-filled form per project (``write_prefilled``) whose listed fields are locked. The
layout is the standard one the reader is written against; cell positions below are part of that
contract.

openpyxl, not xlsxwriter, because the forms need data validation, cell protection and comments, and
because a saved form must come out the same every time (pinned document properties and zip times),
so that a regenerated template can be compared with the committed one.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
import weakref
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
import python_calamine

from perfeval import reader
from perfeval.model import Amount, Funds, FundsRow, Indicator, Project, UnitInfo
from perfeval.normalise import split_code

FORM_FILE = "项目支出绩效自评表.xlsx"
UNIT_FILE = "单位情况.xlsx"
FORM_SHEET = "项目支出绩效自评表"
UNIT_SHEET = "单位情况"
GUIDE_SHEET = "填表说明"

# Every saved workbook carries these document properties, so two runs give identical files.
PINNED_TIME = dt.datetime(2022, 1, 1, 0, 0, 0)
CREATOR = "perfeval"

LEVEL1_CHOICES = ("产出指标", "效益指标", "满意度指标", "成本指标")
STANDARD_LEVEL2 = (
    ("产出指标", ("数量指标", "质量指标", "时效指标", "成本指标")),
    ("效益指标", ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")),
    ("满意度指标", ("服务对象满意度指标",)),
)
LEVEL2_CHOICES = tuple(name for _, names in STANDARD_LEVEL2 for name in names)
PROJECT_TYPES = ("经常性", "一次性")
OWN_LEVEL_NAMES = ("区级", "县级", "市级", "本级")
BLANK_ROWS_PER_LEVEL2 = 2

# Fixed rows of the form; indicator rows start at FIRST_INDICATOR_ROW and the rest follows them.
TITLE_ROW, YEAR_ROW, NAME_ROW, DEPARTMENT_ROW = 1, 2, 3, 4
FUNDS_HEADER_ROW, FUNDS_TOTAL_ROW = 5, 6
APPROPRIATION_ROW, OWN_LEVEL_ROW, CARRYOVER_ROW, OTHER_ROW = 7, 8, 9, 10
GOAL_HEADER_ROW, GOAL_ROW = 11, 12
INDICATOR_HEADER_ROW = 13
FIRST_INDICATOR_ROW = 14
LAST_COLUMN = "I"

DEFAULT_OWN_LEVEL_LABEL = "其中：本级资金"
FUNDS_ROW_LABELS = {
    FUNDS_TOTAL_ROW: "年度资金总额",
    APPROPRIATION_ROW: "其中：当年财政拨款",
    CARRYOVER_ROW: "上年结转资金",
    OTHER_ROW: "其他资金",
}
FUNDS_HEADERS = {"B": "", "C": "年初预算数", "D": "全年预算数", "E": "全年执行数", "F": "分值", "G": "执行率"}
INDICATOR_HEADERS = {"B": "一级指标", "C": "二级指标", "D": "三级指标", "E": "年度指标值", "F": "实际完成值",
                     "G": "分值", "H": "得分", "I": "偏差原因分析及改进措施"}
EXTRA_LABELS = (("B", "C", "项目编码"), ("D", "D", "项目类型"), ("E", "F", "资金用途、使用方向"),
                ("G", "G", "填报人"), ("H", "I", "联系电话"))
BUDGET_POINTS = 10.0
TOTAL_POINTS = 100.0
RATE_FORMULA = '=IF(D6>0,E6/D6,"")'

COLUMN_WIDTHS = {"A": 10, "B": 20, "C": 19, "D": 22, "E": 15, "F": 15, "G": 8, "H": 8, "I": 24}
UNIT_COLUMN_WIDTHS = {"A": 22, "B": 80}
GUIDE_COLUMN_WIDTHS = {"A": 22, "B": 90}

UNIT_ROWS = (
    ("单位名称", "name"), ("年度", "year"), ("主管部门", "department"), ("本级资金名称", "own_level_name"),
    ("资金使用管理情况", "funds_management"), ("绩效评价工作情况", "evaluation_work"),
    ("存在的问题", "problems"), ("有关建议", "suggestions"), ("其他需要说明的问题", "other_notes"),
    ("联系人", "contact"), ("联系电话", "phone"), ("报送日期", "report_date"),
)
UNIT_NARRATIVE_FIELDS = {"funds_management", "evaluation_work", "problems", "suggestions", "other_notes"}

# --- styles, defined once --------------------------------------------------------------------

FONT_NAME = "仿宋"
THIN = Side(style="thin", color="000000")
GRID_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
NO_FILL = PatternFill()
AMOUNT_FORMAT = "0.00"
RATE_FORMAT = "0.00%"
LINE_HEIGHT_PT = 14.5
MAX_ROW_HEIGHT_PT = 409  # Excel's limit

CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)

# kind -> (font, fill, alignment, locked, number format)
STYLES = {
    "title": (Font(name=FONT_NAME, size=16, bold=True), NO_FILL, CENTER, True, "General"),
    "subtitle": (Font(name=FONT_NAME, size=12), NO_FILL, CENTER, True, "General"),
    "label": (Font(name=FONT_NAME, size=11), LABEL_FILL, CENTER, True, "General"),
    "header": (Font(name=FONT_NAME, size=11, bold=True), LABEL_FILL, CENTER, True, "General"),
    "fixed": (Font(name=FONT_NAME, size=11), LABEL_FILL, CENTER, True, AMOUNT_FORMAT),
    "rate": (Font(name=FONT_NAME, size=11), LABEL_FILL, CENTER, True, RATE_FORMAT),
    "text": (Font(name=FONT_NAME, size=11), NO_FILL, LEFT, False, "General"),
    "choice": (Font(name=FONT_NAME, size=11), NO_FILL, CENTER, False, "General"),
    "narrative": (Font(name=FONT_NAME, size=11), NO_FILL, TOP_LEFT, False, "General"),
    # Text format only for short codes: keeps leading zeros, but Excel shows "####" for a
    # text-formatted cell longer than 255 characters, so narratives stay General.
    "guide": (Font(name=FONT_NAME, size=11), NO_FILL, TOP_LEFT, True, "General"),
    "code": (Font(name=FONT_NAME, size=11), NO_FILL, CENTER, False, "@"),
    "amount": (Font(name=FONT_NAME, size=11), NO_FILL, CENTER, False, AMOUNT_FORMAT),
    "whole": (Font(name=FONT_NAME, size=11), NO_FILL, LEFT, False, "0"),
}

HEADER_COMMENTS = {
    "A5": "金额单位：万元，保留两位小数。",
    "D5": "全年预算数（A）：年初预算加上年中调整后的全年可用预算。",
    "E5": "全年执行数（B）：全年实际支出。",
    "G5": "执行率 = 全年执行数 ÷ 全年预算数；得分 = 10 × 执行率（超过100%按100%计）。",
    "E13": "写明比较方式、数值和计量单位，如“≥50次”“6.5万份”“2021年12月底前”；定性指标如“有效提升”。",
    "F13": "写实际测量的数值和单位，与年度指标值的单位一致，如“60余次”“6.76万份”；不要只写“完成”。",
    "G13": "产出指标原则上50分、效益指标30分、满意度指标10分；各指标分值合计90分。",
    "H13": "得分不得超过分值；完成目标得满分，未完成按完成比例计分。",
    "I13": "未完成目标，或实际完成值超过目标值30%及以上的，必须说明原因和改进措施。",
}

FORM_GUIDE = (
    ("一、总体要求", "每个项目填写一张自评表（一个工作簿一张）。灰底单元格为表格标签，请勿修改或删除；白底单元格"
     "为填写内容。工作表已设置保护（无密码），需要增加指标行时，请点击“审阅—撤销工作表保护”，在同一二级指标下"
     "插入行，填写完毕后可重新保护。金额单位为万元，保留两位小数。"),
    ("二、基本信息", "项目名称填写预算批复的项目全称，不要在名称前加编码（编码填在“补充信息”中）。主管部门填写"
     "预算主管部门全称；实施单位填写具体实施项目的单位全称。"),
    ("三、项目资金", "年初预算数为年初批复预算；全年预算数（A）为年中调整后的全年预算；全年执行数（B）为全年实际"
     "支出。年度资金总额等于当年财政拨款、上年结转资金与其他资金之和；“其中：本级资金”是当年财政拨款中由本级"
     "（区级、县级、市级）安排的部分，不另计入总额。执行率=B/A；预算执行得分=10×执行率，执行率超过100%的按"
     "100%计。执行率低于90%的，请在“实际完成情况”中说明资金未执行完毕的原因。"),
    ("四、年度总体目标", "预期目标填写年初批复的年度绩效目标；实际完成情况对照预期目标逐项说明完成情况，尽量用"
     "数据说明。"),
    ("五、绩效指标", "一级指标、二级指标从下拉列表中选择；三级指标填写具体指标名称。年度指标值写明比较方式、数值"
     "和计量单位，例如“≥50次”“6.5万份”“不超过85.5万元”“2021年12月底前”；定性指标写“有效提升”“达成年度"
     "指标”等。实际完成值填写实际测量的数值，计量单位与年度指标值一致，例如“60余次”“6.76万份”“2021年11月"
     "完成”；数量指标不要只写“完成”“已完成100%”或“≥266米”。"),
    ("六、分值与得分", "预算执行率10分，绩效指标90分。绩效指标原则上产出指标50分、效益指标30分、满意度指标10分；"
     "未设满意度指标的，效益指标40分。各三级指标分值合计必须等于90分。得分不得超过分值：达到目标的得满分；"
     "未达到的按实际完成值占年度指标值的比例计分；定性指标按达成（分值的80%—100%）、部分达成（60%—80%）、"
     "未达成（0—60%）分档计分。总分=预算执行得分+各指标得分。"),
    ("七、偏差原因分析及改进措施", "未达到年度指标值，或实际完成值超过年度指标值30%及以上的，必须填写：说明偏差"
     "的具体原因（是目标设定问题还是执行问题），以及下一步的改进措施。按目标完成的指标可以不填。"),
    ("八、补充信息", "项目编码按预算系统填写；项目类型从下拉列表中选择“经常性”或“一次性”；资金用途、使用方向"
     "简要说明资金用在哪里；填报人和联系电话便于审核时联系。"),
    ("九、无数据的栏目", "没有数据的金额栏留空或填“—”，不要在金额栏中填写文字说明。"),
)

UNIT_GUIDE = (
    ("一、用途", "本表每个单位填写一份，与各项目自评表放在同一文件夹中，用于生成绩效自评报告的文字部分。"
     "未提供本表时，报告中的相应段落由程序根据自评表生成。"),
    ("二、基本信息", "单位名称、主管部门填写全称；年度填写评价年度（四位数字）；本级资金名称选择区级、县级、"
     "市级或本级，用于报告中“其中：区级资金”等栏目。"),
    ("三、文字部分", "资金使用管理情况：资金来源、管理办法、拨付和监管情况。绩效评价工作情况：自评的组织方式、"
     "评价标准和工作过程。存在的问题、有关建议：分条填写，每条另起一行并编号。其他需要说明的问题：没有的填"
     "“无”。"),
    ("四、联系信息", "联系人、联系电话和报送日期（如“2022年3月1日”）。"),
)


# --- public API ------------------------------------------------------------------------------

def write_form(path: Path, project: Project | None = None, year: int = 2021) -> None:
    """Write one 项目支出绩效自评表 workbook to ``path``.

    ``project=None`` writes the blank template; otherwise the form filled with the project's values.
    The title line shows the project's year when it has one, else ``year``.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    shown_year = project.year if project is not None and project.year is not None else year
    draw_form(ws, project, shown_year)
    add_guide(wb, FORM_GUIDE)
    save_workbook(wb, Path(path), title=FORM_SHEET)


def write_unit_sheet(path: Path, unit: UnitInfo | None = None, year: int = 2021) -> None:
    """Write the 单位情况 workbook (FORM.md §4): blank with ``unit=None`` (年度 filled in), else filled."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_SHEET
    draw_unit_sheet(ws, unit, year)
    add_guide(wb, UNIT_GUIDE)
    save_workbook(wb, Path(path), title=UNIT_SHEET)


def write_templates(outdir: Path, year: int = 2021) -> list[Path]:
    """Write the blank 自评表 and 单位情况 workbooks into ``outdir`` and return their paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    form_path, unit_path = outdir / FORM_FILE, outdir / UNIT_FILE
    write_form(form_path, None, year)
    write_unit_sheet(unit_path, None, year)
    return [form_path, unit_path]


def describe_workbook(path: Path) -> dict[str, dict]:
    """What a workbook holds, per sheet, for comparing two workbooks by content rather than bytes.

    Cell values, merged ranges, data validations (type, operator, formula, ranges), the protection
    flag, unlocked cells, non-default number formats and comments; no timestamps, no styles' ids.
    """
    wb = load_workbook(path)
    content: dict[str, dict] = {}
    for ws in wb.worksheets:
        cells = [c for row in ws.iter_rows() for c in row if not isinstance(c, MergedCell)]
        content[ws.title] = {
            "values": {c.coordinate: c.value for c in cells if c.value is not None},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (dv.type or "", dv.operator or "", dv.formula1 or "", dv.errorStyle or "",
                 " ".join(sorted(str(r) for r in dv.sqref.ranges)))
                for dv in ws.data_validations.dataValidation),
            "protected": bool(ws.protection.sheet),
            "unlocked": sorted(c.coordinate for c in cells if c.protection.locked is False),
            "formats": {c.coordinate: c.number_format for c in cells if c.number_format != "General"},
            "comments": {c.coordinate: c.comment.text for c in cells if c.comment is not None},
        }
    return content


# --- pre-filled forms from a project list ---------------------------------------------------

PROJECT_LIST_FILE = "项目清单.xlsx"
PROJECT_LIST_SHEET = "项目清单"
LIST_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
HEADER_SEARCH_ROWS = 20  # a title or notes may sit above the header row

# field -> (header written by write_template_list, labels accepted). The reader's label sets keep
# the list's synonyms in step with the form's; budget-system exports add 预算金额 and the like.
LIST_COLUMNS: dict[str, tuple[str, frozenset[str]]] = {
    "name": ("项目名称", reader.NAME),
    "code": ("项目编码", reader.CODE),
    "department": ("主管部门", reader.DEPARTMENT),
    "implementer": ("实施单位", reader.IMPLEMENTER),
    "initial": ("年初预算数（万元）", reader.INITIAL | frozenset({"年初预算金额", "年初批复数"})),
    "budget": ("全年预算数（万元）", reader.BUDGET | frozenset({"预算金额", "全年预算金额", "调整后预算"})),
    "project_type": ("项目类型", reader.PROJECT_TYPE),
    "fund_use": ("资金用途、使用方向", reader.FUND_USE),
}
# Without 项目名称 there is nothing to pre-fill; without 全年预算数 the list is most likely not the
# budget list (or its header was mistyped), and the budget is the figure a pre-filled form exists to fix.
REQUIRED_LIST_COLUMNS = ("name", "budget")
AMOUNT_FIELDS = ("initial", "budget")
TOTAL_ROW_NAMES = frozenset({"合计", "总计", "小计", "合计数"})
EMPTY_MARKERS = frozenset({"", "—", "-", "--", "/", "*", "无", "－", "——"})

# File names: Windows refuses these characters and device names; Excel refuses to open a file whose
# full path exceeds 218 characters, and the returned copy adds "_审核意见" to the name, so stems stay short.
UNSAFE_NAME_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
RESERVED_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                            *(f"LPT{n}" for n in range(1, 10))})
MAX_STEM_CHARS = 60
MAX_STEM_BYTES = 150  # UTF-8; ext4 allows 255 bytes per name, a Chinese character takes 3

PREFILL_FILL = PatternFill("solid", fgColor="DDEBF7")
PREFILL_NOTE = "浅蓝底单元格由项目清单预填并已锁定。如内容有误，请联系财务部门更正项目清单后重新生成本表。"
PREFILL_GUIDE = (
    ("十、预填内容", "本表由项目清单生成：项目名称、项目编码、主管部门、实施单位、年初预算数、全年预算数、项目类型、"
     "资金用途为预填内容（浅蓝底），已锁定，不能修改；如有错误请联系财务部门更正项目清单后重新生成。其余内容"
     "按本说明填写。"),
)
LIST_GUIDE = (
    ("一、用途", "每行填写一个项目，用于 perfeval template --projects 项目清单.xlsx 为每个项目生成一份预填的"
     "项目支出绩效自评表。第一行为表头，请勿修改表头文字；各列顺序可以调整。"),
    ("二、必填栏目", "项目名称和全年预算数（万元）必须有这两列；每行必须填写项目名称。项目编码在清单中不得重复；"
     "没有项目编码的，项目名称不得重复。"),
    ("三、金额", "年初预算数和全年预算数以万元为单位，填写不小于0的数字，不要带单位或文字；暂时没有的留空。"),
    ("四、项目类型", "填写“经常性”或“一次性”，或留空由填报人选择。"),
    ("五、预填效果", "生成的自评表中，清单已填写的栏目被锁定，填报人不能修改；留空的栏目由填报人填写。"),
)
LIST_NOTES = {
    "name": "必填。填写预算批复的项目全称。",
    "code": "按预算系统填写；清单中不得重复。",
    "budget": "必填列。单位：万元，填写数字。",
    "initial": "单位：万元，填写数字。",
    "project_type": "经常性 或 一次性。",
}
LIST_WIDTHS = (36, 20, 28, 28, 16, 16, 12, 36)
LIST_TEMPLATE_ROWS = 200


class ProjectListError(Exception):
    """项目清单有误：信息中写明文件、行号、列名和修改方法。"""

    def __init__(self, message: str, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.row = row  # Excel row number, 0 when the problem is the whole file
        self.column = column  # the column's header as written, "" when none applies


def read_project_list(path: Path) -> list[Project]:
    """Projects of a 项目清单 (.xlsx/.xlsm/.xls/.ods/.csv): one per row under a header row.

    The header row (within the first 20 rows of the first sheet that has one) names the columns
    项目名称, 项目编码, 主管部门, 实施单位, 年初预算数, 全年预算数, 项目类型, 资金用途 in any order;
    labels are matched after removing whitespace, unifying full-width characters and dropping a
    unit part such as （万元）; a header in （元） is converted to 万元. Blank rows and a 合计 row are
    skipped. Any problem raises ``ProjectListError`` naming the row and column.
    """
    path = Path(path)
    sheet, rows = read_list_rows(path)
    header_row, columns, scales = find_list_header(path, rows)
    projects: list[Project] = []
    seen: dict[tuple[str, str], int] = {}
    for index in range(header_row + 1, len(rows)):
        values = {key: cell_at(rows[index], column) for key, column in columns.items()}
        # A 序号 or 备注 filled down past the last project does not make a row a project.
        if all(is_blank_cell(v) for v in values.values()) or is_total_row(rows[index], values):
            continue
        project = project_from_row(path, sheet, rows[header_row], index, values, columns, scales)
        check_unique_project(path, rows[header_row], project, index, columns, seen)
        projects.append(project)
    if not projects:
        raise ProjectListError(f"项目清单 {path.name} 的表头（第{header_row + 1}行）下面没有项目，"
                               "请每行填写一个项目后重试", header_row + 1)
    return projects


def write_prefilled(projects: list[Project], outdir: Path, year: int = 2021) -> list[Path]:
    """One 自评表 per project in ``outdir``, named "<项目编码>_<项目名称>.xlsx" (or "<nn>_<名称>.xlsx").

    项目名称, 项目编码, 主管部门, 实施单位, 年初预算数 and 全年预算数 (on the 年度资金总额 and the
    当年财政拨款 rows), 项目类型 and 资金用途 are filled and locked; a field the list left empty, and
    everything else, stays as in the blank template and editable. Returns the paths written.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [outdir / name for name in plan_file_names(projects)]
    for project, path in zip(projects, paths):
        write_prefilled_form(path, project, year)
    return paths


def write_template_list(path: Path) -> Path:
    """A blank 项目清单 workbook with the header row ``read_project_list`` expects, and its guide."""
    wb = Workbook()
    ws = wb.active
    ws.title = PROJECT_LIST_SHEET
    last = LIST_TEMPLATE_ROWS + 1
    for offset, (key, (header, _)) in enumerate(LIST_COLUMNS.items()):
        letter = get_column_letter(offset + 1)
        put(ws, f"{letter}1", header, "header")
        kind = "amount" if key in AMOUNT_FIELDS else "code" if key == "code" else "text"
        for row in range(2, last + 1):
            put(ws, f"{letter}{row}", None, kind)
        if key in LIST_NOTES:
            add_note(ws, f"{letter}1", LIST_NOTES[key])
        ws.column_dimensions[letter].width = LIST_WIDTHS[offset]
        if key == "project_type":
            add_list_validation(ws, f"{letter}2:{letter}{last}", PROJECT_TYPES, "项目类型", strict=True)
    amounts = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                             showErrorMessage=True, errorStyle="stop", errorTitle="请输入数字",
                             error="请输入不小于0的数字（单位：万元，不要带单位或文字）。")
    for key in AMOUNT_FIELDS:
        letter = get_column_letter(list(LIST_COLUMNS).index(key) + 1)
        amounts.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(amounts)
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    set_print_setup(ws, portrait=False)
    add_guide(wb, LIST_GUIDE)
    save_workbook(wb, Path(path), title=PROJECT_LIST_SHEET)
    return Path(path)


def read_list_rows(path: Path) -> tuple[str, list[list[object]]]:
    """(sheet name, rows from A1) of the list: the sheet that has a 项目名称 header, else the first."""
    if path.suffix.lower() not in LIST_SUFFIXES:
        raise ProjectListError(f"项目清单 {path.name} 的格式不受支持，请使用 .xlsx、.xls、.ods 或 .csv 文件")
    if not path.is_file():
        raise ProjectListError(f"找不到项目清单 {path}，请检查文件名和路径")
    if path.suffix.lower() == ".csv":
        return path.stem, read_csv_rows(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = [(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
                  for name in workbook.sheet_names]
    except Exception as exc:  # calamine raises its own error type for each kind of bad file
        raise ProjectListError(f"项目清单 {path.name} 无法打开（{str(exc).strip()[:120]}），文件可能已损坏或已加密，"
                               "请在 Excel 或 WPS 中打开后另存为 .xlsx 再试") from None
    if not sheets:
        raise ProjectListError(f"项目清单 {path.name} 中没有工作表")
    for name, rows in sheets:
        if header_index(rows) is not None:
            return name, rows
    return sheets[0]


def read_csv_rows(path: Path) -> list[list[object]]:
    """Rows of a CSV list. Excel on Chinese Windows saves CSV as GBK, WPS and others as UTF-8."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ProjectListError(f"项目清单 {path.name} 的文字编码无法识别，请在 Excel 中另存为 .xlsx 再试")
    # The header line holds no free text, so the separator is whichever of these it uses most.
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    return [list(record) for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def header_index(rows: list[list[object]]) -> int | None:
    """0-based index of the first row among the first 20 that has a 项目名称 cell."""
    name_labels = LIST_COLUMNS["name"][1]
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(list_label(v) in name_labels for v in row):
            return index
    return None


def list_label(value: object) -> str:
    """A header cell compared the reader's way, after full-width forms and a required-mark "*" go."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFKC", value).strip().lstrip("*").strip()
    text = re.sub(r"\((?:必填|选填)\)$", "", text.replace(" ", ""))
    return reader.normalise_label(text)


def find_list_header(path: Path, rows: list[list[object]]) -> tuple[int, dict[str, int], dict[str, float]]:
    """(header row index, field -> 0-based column, field -> factor to 万元) of the list."""
    index = header_index(rows)
    if index is None:
        raise ProjectListError(f"项目清单 {path.name} 的前{HEADER_SEARCH_ROWS}行中找不到“项目名称”列，请在第一行写表头"
                               "（项目名称、项目编码、主管部门、实施单位、年初预算数、全年预算数、项目类型、资金用途）",
                               column="项目名称")
    header = rows[index]
    columns: dict[str, int] = {}
    for position, value in enumerate(header):
        label = list_label(value)
        key = next((k for k, (_, labels) in LIST_COLUMNS.items() if label and label in labels), None)
        if key is None:
            continue
        if key in columns:
            first, this = list_text(header[columns[key]]), list_text(value)
            raise ProjectListError(
                f"项目清单 {path.name} 第{index + 1}行：“{first}”（{get_column_letter(columns[key] + 1)}列）和"
                f"“{this}”（{get_column_letter(position + 1)}列）都是{column_title(key)}列，请删除或改名其中一列",
                index + 1, this)
        columns[key] = position
    for key in REQUIRED_LIST_COLUMNS:
        if key not in columns:
            title = column_title(key)
            raise ProjectListError(
                f"项目清单 {path.name} 第{index + 1}行（表头）缺少“{title}”列，请添加这一列，"
                "或把表头改为这个名称", index + 1, title)
    scales = {key: amount_scale(header[columns[key]]) for key in AMOUNT_FIELDS if key in columns}
    return index, columns, scales


def column_title(key: str) -> str:
    """The column's name without its unit: 全年预算数, 项目名称."""
    return LIST_COLUMNS[key][0].split("（")[0]


def amount_scale(header: object) -> float:
    """1 for a header in 万元 (or none), 1/10000 for a header that says （元）."""
    text = unicodedata.normalize("NFKC", str(header)).replace(" ", "")
    unit = re.search(r"\(([^()]*)\)$", text)
    return 0.0001 if unit and "元" in unit.group(1) and "万元" not in unit.group(1) else 1.0


def cell_at(row: list[object], column: int) -> object:
    """The value in ``column`` of ``row``, "" past its end (CSV rows may be short)."""
    return row[column] if column < len(row) else ""


def is_blank_cell(value: object) -> bool:
    """True for an empty cell or one holding only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def list_text(value: object) -> str:
    """A text field of the list: a code typed as a number loses its ".0", whitespace at the ends goes."""
    if is_blank_cell(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_total_row(row: list[object], values: dict[str, object]) -> bool:
    """A 合计 row, common under lists exported from budget systems: 合计 as the name, or in another
    column (序号) with no name."""
    totals = [list_label(v) in TOTAL_ROW_NAMES for v in row]
    name = list_label(values.get("name"))
    return name in TOTAL_ROW_NAMES or (not name and any(totals))


def project_from_row(path: Path, sheet: str, header: list[object], index: int, values: dict[str, object],
                     columns: dict[str, int], scales: dict[str, float]) -> Project:
    """The Project of one list row; a bad value raises ``ProjectListError``."""
    row = index + 1
    where = lambda key: f"{get_column_letter(columns[key] + 1)}{row}"

    def fail(key: str, problem: str) -> ProjectListError:
        shown = list_text(header[columns[key]]) or column_title(key)
        letter = get_column_letter(columns[key] + 1)
        return ProjectListError(f"项目清单 {path.name} 第{row}行“{shown}”列（{letter}{row}）：{problem}", row, shown)

    raw_name = list_text(values.get("name"))
    if not raw_name:
        raise fail("name", "没有填写项目名称，请补上项目名称，或删除这一行")
    prefix, name = split_code(raw_name)
    code = list_text(values.get("code")) or prefix
    amounts: dict[str, Amount] = {}
    for key in AMOUNT_FIELDS:
        if key not in columns:
            amounts[key] = Amount()
            continue
        raw = values[key]
        try:
            number = parse_list_amount(raw)
        except ValueError as exc:
            raise fail(key, f"{exc}，请填写不小于0的数字，不要带文字（没有的留空）") from None
        if number is not None:
            number = round(number * scales[key], 6)
        amounts[key] = Amount(number, where(key), list_text(raw))
    project_type = list_text(values.get("project_type"))
    if project_type:
        project_type = re.sub(r"\s", "", unicodedata.normalize("NFKC", project_type)).removesuffix("项目")
        if project_type not in PROJECT_TYPES:
            raise fail("project_type", f"项目类型“{list_text(values['project_type'])}”无效，请填写“经常性”或“一次性”")
    total = FundsRow("年度资金总额", amounts["initial"], amounts["budget"])
    appropriation = FundsRow("其中：当年财政拨款", amounts["initial"], amounts["budget"])
    has_amount = not (amounts["initial"].missing and amounts["budget"].missing)
    return Project(
        file=path.name, sheet=sheet, name=name, code=code,
        # The reader drops a code prefix from these ("219001-棠溪镇人民政府"); so does the list.
        department=split_code(list_text(values.get("department")))[1],
        implementer=split_code(list_text(values.get("implementer")))[1],
        funds=Funds(total=total, appropriation=appropriation if has_amount else None),
        project_type=project_type, fund_use=list_text(values.get("fund_use")),
        cells={key: where(key) for key in columns})


def parse_list_amount(value: object) -> float | None:
    """万元 from a list cell: a number, or text such as "81.20", "１，２００", "81.2万元"; None if empty.

    Raises ValueError (its text is the Chinese reason) for text that is not a number, or a negative one.
    """
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise ValueError(f"“{value}”不是数字")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", str(value)))
        if text in EMPTY_MARKERS:
            return None
        try:
            number = float(text.removesuffix("万元"))
        except ValueError:
            raise ValueError(f"“{str(value).strip()}”不是数字") from None
    if not math.isfinite(number):
        raise ValueError(f"“{value}”不是有效的数字")
    if number < 0:
        raise ValueError(f"金额 {number:g} 是负数")
    return number


def check_unique_project(path: Path, header: list[object], project: Project, index: int,
                         columns: dict[str, int], seen: dict[tuple[str, str], int]) -> None:
    """Raise for a second row with the same 项目编码, or the same 项目名称 when it has no code."""
    key = ("code", project.code) if project.code else ("name", project.name)
    row = index + 1
    if key not in seen:
        seen[key] = row
        return
    field_key = "code" if key[0] == "code" and "code" in columns else "name"
    shown = list_text(header[columns[field_key]]) or column_title(field_key)
    letter = get_column_letter(columns[field_key] + 1)
    what = f"项目编码“{project.code}”" if key[0] == "code" else f"项目名称“{project.name}”（未填项目编码）"
    raise ProjectListError(
        f"项目清单 {path.name} 第{row}行“{shown}”列（{letter}{row}）：{what}与第{seen[key]}行重复，"
        "请删除重复的行，或更正编码/名称", row, shown)


def write_prefilled_form(path: Path, project: Project, year: int) -> None:
    """One pre-filled form: the list's fields drawn and locked, the rest the blank template."""
    fields = prefill_fields(project)
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    draw_form(ws, fields, year)
    # Excel and WPS recalculate on opening a file openpyxl wrote, so the rate appears once B is typed.
    set_value(ws[f"G{FUNDS_TOTAL_ROW}"], RATE_FORMULA, formula_allowed=True)
    lock_prefilled(ws, fields)
    add_guide(wb, FORM_GUIDE + PREFILL_GUIDE)
    save_workbook(wb, path, title=FORM_SHEET)


def prefill_fields(project: Project) -> Project:
    """Only what a project list gives: identity, type, use and the budget figures (no B, no indicators)."""
    total = project.funds.total
    source = project.funds.appropriation or total
    has_amount = not (total.initial.missing and total.budget.missing)
    return Project(
        file=project.file, sheet=project.sheet, name=project.name, code=project.code,
        department=project.department, implementer=project.implementer,
        funds=Funds(total=FundsRow("年度资金总额", total.initial, total.budget),
                    appropriation=FundsRow("其中：当年财政拨款", source.initial, source.budget)
                    if has_amount else None),
        project_type=project.project_type, fund_use=project.fund_use)


def lock_prefilled(ws: Worksheet, project: Project) -> None:
    """Lock and tint every cell the list filled; cells it left empty stay editable."""
    values_row = FIRST_INDICATOR_ROW + len(plan_indicator_rows(project)) + 2  # under 补充信息's labels
    appropriation = project.funds.appropriation or FundsRow("")
    targets = (
        (f"B{NAME_ROW}:I{NAME_ROW}", project.name),
        (f"B{DEPARTMENT_ROW}:E{DEPARTMENT_ROW}", project.department),
        (f"G{DEPARTMENT_ROW}:I{DEPARTMENT_ROW}", project.implementer),
        (f"C{FUNDS_TOTAL_ROW}", project.funds.total.initial.value),
        (f"D{FUNDS_TOTAL_ROW}", project.funds.total.budget.value),
        (f"C{APPROPRIATION_ROW}", appropriation.initial.value),
        (f"D{APPROPRIATION_ROW}", appropriation.budget.value),
        (span("B", "C", values_row), project.code),
        (span("D", "D", values_row), project.project_type),
        (span("E", "F", values_row), project.fund_use),
    )
    for ref, value in targets:
        if value is None or value == "":
            continue
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        for row in range(min_row, max_row + 1):
            for column in range(min_col, max_col + 1):
                cell = ws.cell(row=row, column=column)
                cell.protection = Protection(locked=True)
                cell.fill = PREFILL_FILL
    add_note(ws, f"B{NAME_ROW}", PREFILL_NOTE)


def plan_file_names(projects: list[Project]) -> list[str]:
    """Safe, unique file names: "<项目编码>_<项目名称>.xlsx", or "<nn>_<名称>.xlsx" without a code."""
    width = max(2, len(str(len(projects))))
    taken: set[str] = set()
    names = []
    for number, project in enumerate(projects, start=1):
        prefix = project.code or f"{number:0{width}d}"
        stem = safe_stem(f"{prefix}_{project.name}" if project.name else prefix)
        candidate, copy = stem, 1
        # Windows and macOS file names ignore case: "Ab.xlsx" and "AB.xlsx" are one file.
        while candidate.casefold() in taken:
            copy += 1
            suffix = f"_{copy}"
            candidate = bound_stem(stem, MAX_STEM_CHARS - len(suffix), MAX_STEM_BYTES - len(suffix)) + suffix
        taken.add(candidate.casefold())
        names.append(f"{candidate}.xlsx")
    return names


def safe_stem(text: str) -> str:
    """A file name stem any Windows, macOS or Linux file system accepts and the batch does not skip."""
    stem = UNSAFE_NAME_CHARS.sub("_", unicodedata.normalize("NFC", text))
    stem = re.sub(r"\s+", " ", stem)
    # A leading "." hides the file and "~$" marks an Office lock file: the inbox scan skips both.
    stem = stem.lstrip(" .~$")
    stem = bound_stem(stem, MAX_STEM_CHARS, MAX_STEM_BYTES)
    # Windows drops trailing dots and spaces, and refuses device names even with an extension.
    stem = stem.rstrip(" .") or "项目"
    if stem.split(".")[0].upper() in RESERVED_NAMES:
        stem = f"{stem}_"
    return stem


def bound_stem(stem: str, max_chars: int, max_bytes: int) -> str:
    """``stem`` cut to at most ``max_chars`` characters and ``max_bytes`` UTF-8 bytes."""
    stem = stem[:max_chars]
    while len(stem.encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    return stem.rstrip(" .")


# --- the form --------------------------------------------------------------------------------

def draw_form(ws: Worksheet, project: Project | None, year: int) -> None:
    """Lay the whole 自评表 out on ``ws``: labels, values, validation, protection, print setup."""
    rows = plan_indicator_rows(project)
    last_indicator = FIRST_INDICATOR_ROW + len(rows) - 1
    total_row = last_indicator + 1
    extra_row = total_row + 1

    put(ws, f"A{TITLE_ROW}:I{TITLE_ROW}", "项目支出绩效自评表", "title")
    put(ws, f"A{YEAR_ROW}:I{YEAR_ROW}", f"（{year}年度）", "subtitle")
    draw_basics(ws, project)
    draw_funds(ws, project.funds if project is not None else None)
    draw_goals(ws, project)
    draw_indicators(ws, rows)
    draw_total(ws, total_row, project)
    draw_extras(ws, extra_row, project)
    add_form_validations(ws, last_indicator, total_row, extra_row)
    for ref, text in HEADER_COMMENTS.items():
        add_note(ws, ref, text)
    set_form_dimensions(ws, project, rows, total_row, extra_row)
    protect_sheet(ws)
    set_print_setup(ws, portrait=True)


def draw_basics(ws: Worksheet, project: Project | None) -> None:
    """项目名称, 主管部门, 实施单位 (rows 3 and 4)."""
    put(ws, f"A{NAME_ROW}", "项目名称", "label")
    put(ws, f"B{NAME_ROW}:I{NAME_ROW}", project.name if project else None, "text")
    put(ws, f"A{DEPARTMENT_ROW}", "主管部门", "label")
    put(ws, f"B{DEPARTMENT_ROW}:E{DEPARTMENT_ROW}", project.department if project else None, "text")
    put(ws, f"F{DEPARTMENT_ROW}", "实施单位", "label")
    put(ws, f"G{DEPARTMENT_ROW}:I{DEPARTMENT_ROW}", project.implementer if project else None, "text")


def draw_funds(ws: Worksheet, funds: Funds | None) -> None:
    """The 项目资金（万元） block, rows 5 to 10; 分值, 执行率 and 得分 sit on the total row."""
    put(ws, f"A{FUNDS_HEADER_ROW}:A{OTHER_ROW}", "项目资金（万元）", "label")
    for column, text in FUNDS_HEADERS.items():
        put(ws, f"{column}{FUNDS_HEADER_ROW}", text, "header")
    put(ws, f"H{FUNDS_HEADER_ROW}:I{FUNDS_HEADER_ROW}", "得分", "header")

    own_level = funds.own_level if funds is not None else None
    rows: dict[int, FundsRow | None] = {
        FUNDS_TOTAL_ROW: funds.total if funds is not None else None,
        APPROPRIATION_ROW: funds.appropriation if funds is not None else None,
        OWN_LEVEL_ROW: own_level,
        CARRYOVER_ROW: funds.carryover if funds is not None else None,
        OTHER_ROW: funds.other if funds is not None else None,
    }
    for row, funds_row in rows.items():
        label = FUNDS_ROW_LABELS.get(row) or (own_level.label if own_level and own_level.label
                                              else DEFAULT_OWN_LEVEL_LABEL)
        put(ws, f"B{row}", label, "label")
        put(ws, f"C{row}", amount_of(funds_row.initial if funds_row else None), "amount")
        put(ws, f"D{row}", amount_of(funds_row.budget if funds_row else None), "amount")
        put(ws, f"E{row}", amount_of(funds_row.actual if funds_row else None), "amount")
        if row != FUNDS_TOTAL_ROW:
            for column in "FG":
                put(ws, f"{column}{row}", "—", "label")
            put(ws, f"H{row}:I{row}", "—", "label")

    weight = funds.weight.value if funds is not None and funds.weight.value is not None else BUDGET_POINTS
    put(ws, f"F{FUNDS_TOTAL_ROW}", weight, "fixed")
    put(ws, f"G{FUNDS_TOTAL_ROW}", RATE_FORMULA if funds is None else rate_of(funds), "rate")
    put(ws, f"H{FUNDS_TOTAL_ROW}:I{FUNDS_TOTAL_ROW}",
        funds.score_written.value if funds is not None else None, "amount")


def rate_of(funds: Funds) -> float | None:
    """执行率 to print on a filled form: the written one, else B/A computed from the total row."""
    if funds.rate_written.value is not None:
        return funds.rate_written.value
    budget, actual = funds.total.budget.value, funds.total.actual.value
    if budget and actual is not None:
        return round(actual / budget, 4)
    return None


def draw_goals(ws: Worksheet, project: Project | None) -> None:
    """年度总体目标: 预期目标 and 实际完成情况 side by side (rows 11 and 12)."""
    put(ws, f"A{GOAL_HEADER_ROW}:A{GOAL_ROW}", "年度总体目标", "label")
    put(ws, f"B{GOAL_HEADER_ROW}:E{GOAL_HEADER_ROW}", "预期目标", "header")
    put(ws, f"F{GOAL_HEADER_ROW}:I{GOAL_HEADER_ROW}", "实际完成情况", "header")
    put(ws, f"B{GOAL_ROW}:E{GOAL_ROW}", project.goal if project else None, "narrative")
    put(ws, f"F{GOAL_ROW}:I{GOAL_ROW}", project.achievement if project else None, "narrative")


def plan_indicator_rows(project: Project | None) -> list[tuple[str, str, Indicator | None]]:
    """(一级, 二级, indicator) per row: the project's indicators, or the blank standard rows."""
    if project is not None and project.indicators:
        return [(i.level1, i.level2, i) for i in project.indicators]
    return [(level1, level2, None) for level1, names in STANDARD_LEVEL2 for level2 in names
            for _ in range(BLANK_ROWS_PER_LEVEL2)]


def draw_indicators(ws: Worksheet, rows: list[tuple[str, str, Indicator | None]]) -> None:
    """The 绩效指标 header and one row per indicator, 一级/二级 merged down as published forms do."""
    last = FIRST_INDICATOR_ROW + len(rows) - 1
    put(ws, f"A{INDICATOR_HEADER_ROW}:A{last}", "绩效指标", "label")
    for column, text in INDICATOR_HEADERS.items():
        put(ws, f"{column}{INDICATOR_HEADER_ROW}", text, "header")

    # 二级 runs break where 一级 changes, so that two 成本指标 groups never merge into one.
    level1_keys = [(level1,) for level1, _, _ in rows]
    level2_keys = [(level1, level2) for level1, level2, _ in rows]
    for column, keys in (("B", level1_keys), ("C", level2_keys)):
        for start, end, key in group_runs(keys):
            first, last = FIRST_INDICATOR_ROW + start, FIRST_INDICATOR_ROW + end
            ref = f"{column}{first}" if first == last else f"{column}{first}:{column}{last}"
            put(ws, ref, key[-1] or None, "choice")

    for offset, (_, _, indicator) in enumerate(rows):
        row = FIRST_INDICATOR_ROW + offset
        put(ws, f"D{row}", indicator.name if indicator else None, "text")
        put(ws, f"E{row}", indicator.target.text if indicator else None, "choice")
        put(ws, f"F{row}", indicator.actual.text if indicator else None, "choice")
        put(ws, f"G{row}", amount_of(indicator.weight if indicator else None), "amount")
        put(ws, f"H{row}", amount_of(indicator.score_written if indicator else None), "amount")
        put(ws, f"I{row}", indicator.deviation if indicator else None, "text")


def group_runs(keys: list[tuple]) -> list[tuple[int, int, tuple]]:
    """(first, last, key) for each run of equal consecutive keys."""
    runs: list[tuple[int, int, tuple]] = []
    for index, key in enumerate(keys):
        if runs and runs[-1][2] == key:
            runs[-1] = (runs[-1][0], index, key)
        else:
            runs.append((index, index, key))
    return runs


def draw_total(ws: Worksheet, row: int, project: Project | None) -> None:
    """The 总分 row: 100 points, and the total the unit wrote."""
    put(ws, f"A{row}:F{row}", "总分", "header")
    put(ws, f"G{row}", TOTAL_POINTS, "fixed")
    put(ws, f"H{row}", project.total_written.value if project else None, "amount")
    put(ws, f"I{row}", None, "label")


def draw_extras(ws: Worksheet, row: int, project: Project | None) -> None:
    """补充信息: labels on ``row``, the values under them on the next row."""
    put(ws, f"A{row}:A{row + 1}", "补充信息", "label")
    values = {
        "项目编码": project.code if project else None,
        "项目类型": project.project_type if project else None,
        "资金用途、使用方向": project.fund_use if project else None,
        "填报人": project.filler if project else None,
        "联系电话": project.phone if project else None,
    }
    for first, last, label in EXTRA_LABELS:
        put(ws, span(first, last, row), label, "header")
        kind = {"项目编码": "code", "联系电话": "code", "资金用途、使用方向": "text"}.get(label, "choice")
        put(ws, span(first, last, row + 1), values[label] or None, kind)


def span(first: str, last: str, row: int) -> str:
    """"B5" or "B5:C5"."""
    return f"{first}{row}" if first == last else f"{first}{row}:{last}{row}"


def add_form_validations(ws: Worksheet, last_indicator: int, total_row: int, extra_row: int) -> None:
    """Dropdowns for 一级/二级指标 and 项目类型, and non-negative numbers in amount and points cells."""
    first, last = FIRST_INDICATOR_ROW, last_indicator
    add_list_validation(ws, f"B{first}:B{last}", LEVEL1_CHOICES, "一级指标", strict=True)
    # Provinces use other 二级指标 names too; warn instead of refusing them.
    add_list_validation(ws, f"C{first}:C{last}", LEVEL2_CHOICES, "二级指标", strict=False)
    add_list_validation(ws, f"D{extra_row + 1}", PROJECT_TYPES, "项目类型", strict=True)
    numbers = DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
        showErrorMessage=True, errorStyle="stop", errorTitle="请输入数字",
        error="请输入不小于0的数字（金额以万元为单位，不要带单位或文字）。")
    numbers.add(f"C{FUNDS_TOTAL_ROW}:E{OTHER_ROW}")
    numbers.add(f"H{FUNDS_TOTAL_ROW}")
    numbers.add(f"G{first}:H{last}")
    numbers.add(f"H{total_row}")
    ws.add_data_validation(numbers)


def add_list_validation(ws: Worksheet, ref: str, choices: tuple[str, ...], title: str, strict: bool) -> None:
    """A dropdown; ``strict`` refuses other values, otherwise Excel/WPS only warns."""
    validation = DataValidation(
        type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
        showErrorMessage=True, errorStyle="stop" if strict else "warning",
        errorTitle=f"{title}不在列表中", error=f"请从下拉列表中选择{title}：" + "、".join(choices) + "。")
    validation.add(ref)
    ws.add_data_validation(validation)


def set_form_dimensions(ws: Worksheet, project: Project | None, rows: list, total_row: int,
                        extra_row: int) -> None:
    """Column widths and row heights; tall rows for narratives, estimated from the text length."""
    set_widths(ws, COLUMN_WIDTHS)
    ws.row_dimensions[TITLE_ROW].height = 30
    ws.row_dimensions[YEAR_ROW].height = 20
    for row in range(NAME_ROW, GOAL_HEADER_ROW + 1):
        ws.row_dimensions[row].height = 22
    goal_width = sum(COLUMN_WIDTHS[c] for c in "BCDE")
    done_width = sum(COLUMN_WIDTHS[c] for c in "FGHI")
    texts = [(project.goal, goal_width), (project.achievement, done_width)] if project else []
    ws.row_dimensions[GOAL_ROW].height = estimate_height(texts, minimum=120)
    ws.row_dimensions[INDICATOR_HEADER_ROW].height = 30
    for offset, (_, _, indicator) in enumerate(rows):
        texts = [] if indicator is None else [
            (indicator.level2, COLUMN_WIDTHS["C"]), (indicator.name, COLUMN_WIDTHS["D"]), (indicator.target.text, COLUMN_WIDTHS["E"]),
            (indicator.actual.text, COLUMN_WIDTHS["F"]), (indicator.deviation, COLUMN_WIDTHS["I"])]
        ws.row_dimensions[FIRST_INDICATOR_ROW + offset].height = estimate_height(texts, minimum=22)
    extra_texts = [(project.fund_use, COLUMN_WIDTHS["E"] + COLUMN_WIDTHS["F"])] if project else []
    ws.row_dimensions[total_row].height = 22
    ws.row_dimensions[extra_row].height = 22
    ws.row_dimensions[extra_row + 1].height = estimate_height(extra_texts, minimum=30)


# --- the 单位情况 sheet ------------------------------------------------------------------------

def draw_unit_sheet(ws: Worksheet, unit: UnitInfo | None, year: int) -> None:
    """项目 | 内容, one row per field of FORM.md §4."""
    put(ws, "A1", "项目", "header")
    put(ws, "B1", "内容", "header")
    for offset, (label, attribute) in enumerate(UNIT_ROWS):
        row = 2 + offset
        put(ws, f"A{row}", label, "label")
        value = getattr(unit, attribute) if unit is not None else None
        if attribute == "year":
            value = value if value is not None else year
            put(ws, f"B{row}", value, "whole")
        elif attribute in UNIT_NARRATIVE_FIELDS:
            put(ws, f"B{row}", value or None, "narrative")
        else:
            put(ws, f"B{row}", value or None, "code" if attribute == "phone" else "text")
        minimum = 90 if attribute in UNIT_NARRATIVE_FIELDS else 22
        ws.row_dimensions[row].height = estimate_height([(value, UNIT_COLUMN_WIDTHS["B"])]
                                                        if isinstance(value, str) else [], minimum)
    own_row = 2 + [a for _, a in UNIT_ROWS].index("own_level_name")
    year_row = 2 + [a for _, a in UNIT_ROWS].index("year")
    add_list_validation(ws, f"B{own_row}", OWN_LEVEL_NAMES, "本级资金名称", strict=False)
    years = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100",
                           allow_blank=True, showErrorMessage=True, errorStyle="stop",
                           errorTitle="年度有误", error="请填写四位数字的年度，如2021。")
    years.add(f"B{year_row}")
    ws.add_data_validation(years)
    set_widths(ws, UNIT_COLUMN_WIDTHS)
    ws.freeze_panes = "A2"
    protect_sheet(ws)
    set_print_setup(ws, portrait=True)


# --- shared pieces ---------------------------------------------------------------------------

def add_guide(wb: Workbook, rows: tuple[tuple[str, str], ...]) -> None:
    """The 填表说明 sheet. Its labels are numbered so that no cell reads like a form label."""
    ws = wb.create_sheet(GUIDE_SHEET)
    put(ws, "A1:B1", "填表说明", "title")
    put(ws, "A2", "栏目", "header")
    put(ws, "B2", "填写要求", "header")
    for offset, (topic, text) in enumerate(rows):
        row = 3 + offset
        put(ws, f"A{row}", topic, "label")
        put(ws, f"B{row}", text, "guide")
        ws.row_dimensions[row].height = estimate_height([(text, GUIDE_COLUMN_WIDTHS["B"])], minimum=22)
    ws.row_dimensions[1].height = 30
    set_widths(ws, GUIDE_COLUMN_WIDTHS)
    set_print_setup(ws, portrait=True)


def put(ws: Worksheet, ref: str, value: object, kind: str) -> None:
    """Write ``value`` into ``ref`` ("B3" or a range to merge) and style every cell of it as ``kind``.

    Strings are always stored as text: openpyxl would turn a project name starting with "=" into a
    live formula, so such a cell is forced back to a string (the template's own formula excepted).
    """
    if ":" in ref:
        ws.merge_cells(ref)
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    anchor = ws.cell(row=min_row, column=min_col)
    set_value(anchor, value, formula_allowed=value == RATE_FORMULA)
    for row in range(min_row, max_row + 1):
        for column in range(min_col, max_col + 1):
            style_cell(ws.cell(row=row, column=column), kind)


# openpyxl hashes every Font, Border and Fill again on each assignment to find it in the
# workbook's style tables: more than half the time of drawing a form. A cell's style is an array
# of indices into those tables, so a kind is styled once per workbook and its array copied after.
_STYLE_ARRAYS: weakref.WeakKeyDictionary[Workbook, dict[str, StyleArray]] = weakref.WeakKeyDictionary()


def style_cell(cell: Cell | MergedCell, kind: str) -> None:
    """Give ``cell`` the font, fill, alignment, protection, format and border of ``kind``."""
    styled = _STYLE_ARRAYS.setdefault(cell.parent.parent, {})
    if kind in styled:
        cell._style = copy.copy(styled[kind])
        return
    font, fill, alignment, locked, number_format = STYLES[kind]
    cell.font = font
    cell.fill = fill
    cell.alignment = alignment
    cell.protection = Protection(locked=locked)
    cell.number_format = number_format
    if kind not in ("title", "subtitle"):
        cell.border = GRID_BORDER
    styled[kind] = copy.copy(cell._style)


def set_value(cell: Cell, value: object, formula_allowed: bool = False) -> None:
    """Store a number as a number and anything else as text, never as a formula."""
    if value is None or value == "":
        return
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, (int, float)):
        cell.value = value
        return
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.value = text
    if cell.data_type == "f" and not formula_allowed:
        cell.data_type = "s"


def amount_of(amount: Amount | None) -> float | None:
    """The number an ``Amount`` holds, or None."""
    return None if amount is None else amount.value


def add_note(ws: Worksheet, ref: str, text: str) -> None:
    """A comment on a label cell: guidance lives there, never as placeholder text in input cells."""
    comment = Comment(text, CREATOR)
    comment.width, comment.height = 240, 90
    ws[ref].comment = comment


def estimate_height(texts: list[tuple[str | None, float]], minimum: float) -> float:
    """Row height in points that shows wrapped texts in full: CJK characters count double width."""
    lines = 1
    for text, width in texts:
        if not text:
            continue
        usable = max(width - 1, 1)
        needed = sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n"))
        lines = max(lines, needed)
    return min(MAX_ROW_HEIGHT_PT, max(minimum, round(lines * LINE_HEIGHT_PT + 6)))


def display_width(text: str) -> int:
    """Width in Excel column units: two for a CJK or full-width character, one otherwise."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def set_widths(ws: Worksheet, widths: dict[str, float]) -> None:
    """Column widths in Excel's character units."""
    for column, width in widths.items():
        ws.column_dimensions[column].width = width


def protect_sheet(ws: Worksheet) -> None:
    """Lock label cells with no password, so users can still unprotect; rows stay insertable."""
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    ws.protection.insertRows = False
    ws.protection.deleteRows = False


def set_print_setup(ws: Worksheet, portrait: bool) -> None:
    """A4, fitted to one page wide, centred."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait" if portrait else "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6


def save_workbook(wb: Workbook, path: Path, title: str = "") -> None:
    """Save with pinned properties and zip times (same input, same bytes), via a temporary file.

    ``openpyxl.Workbook.save`` stamps the current time into docProps/core.xml and zipfile stamps
    every member with the clock, so the writer is driven directly and the archive rebuilt.
    """
    wb.properties.creator = CREATOR
    wb.properties.lastModifiedBy = CREATOR
    wb.properties.created = PINNED_TIME
    wb.properties.modified = PINNED_TIME
    wb.properties.title = title or None
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    pinned = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(pinned, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=PINNED_TIME.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info.filename))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(pinned.getvalue())
    os.replace(temporary, path)
