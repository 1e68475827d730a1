"""绩效自评报告.docx: the unit's Word report in 公文 format (OUTPUTS.md §2, GB/T 9704-2012).

The report follows the seed report's outline (一、… 六、 and 附件), filled from one unit's scored
``Batch``. Everything is derived from the batch passed in, so a multi-unit run can call
``write_report`` once per unit with a sub-batch.

How it is built, and why:

- Styles are defined once, in a template made with python-docx once per process: python-docx's
  ``font.name`` sets only ``w:ascii``/``w:hAnsi``, and the default template puts theme font
  attributes (``w:asciiTheme`` …) on docDefaults and on Title/Heading styles, which win over an
  explicit name. Chinese characters take ``w:eastAsia``; so every style gets a full ``w:rFonts`` and
  every theme attribute in styles.xml is removed (LIBRARIES.md §4). Runs carry no fonts of their own.
- The body is generated as WordprocessingML text, with styles referenced by id, and never parsed:
  it is written between the template's ``<w:body>`` and its section properties, and the package is
  the template's other parts plus document.xml and core.xml. It goes into document.xml's compressed
  stream as it is generated (``_Body``): a unit of 10,000 projects has about 500 MB of it, which
  held, joined and copied took 1.4 GB. python-docx's
  ``add_paragraph``/``add_table`` scan the whole body on every call and resolve style names by a
  linear search (~1.2 ms per assignment, LIBRARIES.md §3); loading the template, parsing and
  re-serialising the body and recompressing the template's 800 KB of styles for every report took
  most of the 9 ms per project the report used to cost. Now about 1.6 ms per project (1,000-form
  benchmark, one process), half of it the 附件 tables; memory stays flat across 605 reports.
- Headings are numbered in the text itself (一、（一）1.（1）), never by Word list numbering, so that
  Word, WPS and LibreOffice show the same numbers.
"""

from __future__ import annotations

import copy
import functools
import io
import math
import os
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import NamedTuple

import docx
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

from perfeval.model import (
    COST_KIND, EFFECT_KIND, NOT_SCORED, OUTPUT_KIND, SATISFACTION_KIND, Batch, Funds, FundsRow,
    IndicatorScore, ProjectResult, Value,
)
from perfeval.score import WIDE

# --- Page and fonts (GB/T 9704-2012) ---------------------------------------------------------------

PAGE_MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
HEADER_DISTANCE_MM = 15
FOOTER_DISTANCE_MM = 28  # puts "— 1 —" about 7 mm below the text block
CHARS_PER_LINE = 28
LINE_PITCH = 579  # twips: 22 lines in the 225 mm text block
LINE_EXACT = 578  # twips: body line spacing "exactly 28.9 pt"
FIRST_LINE = 640  # twips: two characters of 三号 (16 pt)

LATIN = "Times New Roman"
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"

# Sizes in half-points, as Word stores them: 二号 22 pt, 三号 16 pt, 四号 14 pt, 五号 10.5 pt.
SIZE_2 = 44
SIZE_3 = 32
SIZE_4 = 28
SIZE_5 = 21

# Paragraph style ids (names in brackets are what Word and WPS show).
TITLE = "Title"
HEADING = {1: "Heading1", 2: "Heading2", 3: "Heading3", 4: "Heading4"}
TABLE_TEXT = "TableText"  # 表格文字
TABLE_CENTER = "TableTextCenter"  # 表格文字居中
TABLE_HEAD = "TableHead"  # 表格表头
CAPTION = "TableCaption"  # 表格标题
AMOUNT_UNIT = "AmountUnit"  # 金额单位
PAGE_NUMBER = "PageNumberText"  # 页码

# Text block width: A4 210 mm less the margins, in twips, and table widths that fill it.
TEXT_WIDTH = round((210 - PAGE_MARGINS_MM["left"] - PAGE_MARGINS_MM["right"]) / 25.4 * 1440)
# 28 characters of 三号 take 448 pt but the text block is 442 pt wide, so the body style is condensed
# by this many twentieths of a point (-5: 0.25 pt a character). Word's other way, a character grid
# with a negative w:charSpace, makes LibreOffice give every character two grid cells.
CONDENSE = math.floor((TEXT_WIDTH / 20 / CHARS_PER_LINE - SIZE_3 / 2) * 20)
TITLE_CHARS_PER_LINE = TEXT_WIDTH // (SIZE_2 * 10)  # 20 characters of 二号

DASH = "—"
NO_INDENT = '<w:ind w:firstLine="0" w:firstLineChars="0"/>'
NUMERIC_METHODS = ("正向", "反向", "等于")
OVER_METHODS = ("正向", "等于")
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
OWN_ITEM = re.compile(r"^\s*(\d{1,3})\s*[、．]\s*")
ITEM_NUMBER = re.compile(r"^\s*[（(]?\s*(\d{1,3})\s*[、.．)）]")
CN_DIGITS = "零一二三四五六七八九"
PLACEHOLDERS = ("none", "nan", "null")
APPROXIMATE = re.compile(r"[余多]|左右")
LEADING_APPROXIMATION = re.compile(r"^约(?=[\d０-９])|(?<!接)近(?=[\d０-９])")
OWN_LEVEL = re.compile(r"(区级|县级|市级|省级|本级)资金")


# --- Numbers and text -------------------------------------------------------------------------------

def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


@functools.lru_cache(maxsize=8192)  # the same few scores and amounts recur on every page
def _fixed(x: float, places: int = 2) -> str:
    """A number rounded half-up the way the scoring rounds (SCORING.md §3), never "-0.00"."""
    d = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=WIDE)
    return f"{abs(d) if d == 0 else d:.{places}f}"


def _money(x: float | None) -> str:
    return DASH if _missing(x) else _fixed(x)


def _rate(fraction: float | None) -> str:
    return DASH if _missing(fraction) else f"{_fixed(fraction * 100)}%"


def _points(x: float | None) -> str:
    return DASH if _missing(x) else _fixed(x)


def _weight(x: float | None) -> str:
    """A 分值 as staff write it: 10, 25, 7.5."""
    if _missing(x):
        return DASH
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else _fixed(x)


def _share(fraction: float) -> str:
    """A rule threshold as words use it: 0.6 -> "60%", 0.925 -> "92.5%"."""
    return f"{fraction * 100:.4g}%"


def _cn_number(n: int) -> str:
    """一 … 九十九, for 一、 and （一） headings (a report never has a hundred of them)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + ("" if ones == 0 else CN_DIGITS[ones])


def _clean(text: object) -> str:
    """Text from the inputs, safe for XML and without "None"/"nan" stand-ins."""
    if text.__class__ is str:
        return _clean_text(text)
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _clean_text(str(text))


@functools.lru_cache(maxsize=16384)  # a report cleans each name and value three or four times
def _clean_text(text: str) -> str:
    s = XML_INVALID.sub("", text)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = s.strip()
    return "" if len(s) <= 4 and s.lower() in PLACEHOLDERS else s


def _sentence(text: str) -> str:
    """Text ending in sentence punctuation (staff often leave the final 。 out)."""
    text = _clean(text)
    return text if not text or text[-1] in "。！？；;.!?”）)" else text + "。"


def _bare(text: str) -> str:
    """Text without trailing punctuation, to be embedded in a generated sentence."""
    return _clean(text).rstrip("。；;，,、.：: ")


# An indicator row's texts (its name, values, 偏差原因) are a line or two on any real form, and the
# report repeats them in sentences and in the form's table: 150 rows of 32,767-character notes made
# a report of hundreds of MB, built in over 1 GB, with one paragraph past what Word's parsers accept.
# The report quotes this much of each; the summary workbook and result.json keep every text whole.
ROW_TEXT_LIMIT = 1000


def _row_text(text: object) -> str:
    """An indicator row's text, cleaned, cut to ROW_TEXT_LIMIT characters with a note saying so."""
    text = _clean(text)
    if len(text) <= ROW_TEXT_LIMIT:
        return text
    return f"{text[:ROW_TEXT_LIMIT]}……（共{len(text):,}字，全文见绩效自评汇总.xlsx）"


def _row_bare(text: object) -> str:
    """``_row_text`` without the closing punctuation a sentence adds its own of (``_bare``)."""
    return _bare(_row_text(text))


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in _clean(text).split("\n") if line.strip()]


def _value_text(value: Value) -> str:
    """A target or actual as written, with a contradictory approximation removed.

    Staff write "近450余万": two approximations at once (N001). Generated sentences keep the
    trailing one (余/多/左右) and drop the leading 近 (or a leading 约).
    """
    text = _row_bare(value.text)
    if APPROXIMATE.search(text):
        text = LEADING_APPROXIMATION.sub("", text)
    return text


def _numbered_count(paragraphs: list[str]) -> int:
    """The highest "1、"/"1."/"（1）" item number the unit's own text already uses, 0 if none."""
    numbers = [int(m.group(1)) for p in paragraphs if (m := ITEM_NUMBER.match(p))]
    return max(numbers, default=0)


def _name_list(names: list[str], limit: int = 5) -> str:
    shown = "、".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}等{len(names)}个项目"


# --- Facts derived from the batch ---------------------------------------------------------------------

@dataclass
class _Findings:
    """The data-driven problems of 四、 (and the suggestions of 五、)."""

    low: list[ProjectResult] = field(default_factory=list)
    missed: list[tuple[ProjectResult, IndicatorScore]] = field(default_factory=list)
    over: list[tuple[ProjectResult, IndicatorScore]] = field(default_factory=list)
    unscored: list[ProjectResult] = field(default_factory=list)


@dataclass
class _Facts:
    """What every section needs: names, year, totals, findings."""

    batch: Batch
    unit_name: str
    year: int | None
    own_name: str  # 区级 / 县级 / 市级 / 本级
    results: tuple[ProjectResult, ...]
    budget: float  # Σ 全年预算数 of the projects that have one
    actual: float  # Σ 全年执行数
    missing_budget: int
    findings: _Findings

    @property
    def rules(self):
        return self.batch.rules

    @property
    def title(self) -> str:
        year = f"{self.year}年度" if self.year else ""
        return f"{self.unit_name}{year}项目支出绩效自评报告"

    @property
    def unit_rate(self) -> float | None:
        return self.actual / self.budget if self.budget else None


def _find_unit_name(batch: Batch) -> str:
    if _clean(batch.unit.name):
        return _clean(batch.unit.name)
    names = Counter(_clean(r.project.implementer) for r in batch.results if _clean(r.project.implementer))
    return names.most_common(1)[0][0] if names else ""


def _find_year(batch: Batch) -> int | None:
    if batch.year or batch.unit.year:
        return batch.year or batch.unit.year
    years = Counter(r.project.year for r in batch.results if r.project.year)
    return years.most_common(1)[0][0] if years else None


def _find_own_name(batch: Batch) -> str:
    """区级/县级/市级/本级: the 单位情况 sheet's word, else the one the forms' 其中 rows use."""
    given = _clean(batch.unit.own_level_name)
    if given and given != "本级":
        return given
    words = Counter(m.group(1) for r in batch.results if r.project.funds.own_level is not None
                    and (m := OWN_LEVEL.search(r.project.funds.own_level.label or "")))
    return words.most_common(1)[0][0] if words else "本级"


def _find_findings(batch: Batch) -> _Findings:
    rules = batch.rules
    found = _Findings()
    for r in batch.results:
        if not _missing(r.rate) and r.rate < rules.low_rate:
            found.low.append(r)
        if r.status == NOT_SCORED:
            found.unscored.append(r)
        for s in r.indicators:
            weight = s.indicator.weight.value
            if (s.method in NUMERIC_METHODS and not _missing(s.score) and not _missing(weight)
                    and s.score < weight - rules.tolerance):
                found.missed.append((r, s))
            elif (s.method in OVER_METHODS and not _missing(s.ratio) and s.ratio >= rules.over_ratio - 1e-9
                  and not _clean(s.indicator.deviation)):
                found.over.append((r, s))
    return found


def _collect_facts(batch: Batch) -> _Facts:
    budgets = [r.project.funds.total.budget.value for r in batch.results]
    actuals = [r.project.funds.total.actual.value for r in batch.results]
    return _Facts(
        batch=batch, unit_name=_find_unit_name(batch), year=_find_year(batch),
        own_name=_find_own_name(batch), results=batch.results,
        budget=sum(v for v in budgets if not _missing(v)),
        actual=sum(v for v in actuals if not _missing(v)),
        missing_budget=sum(1 for v in budgets if _missing(v)),
        findings=_find_findings(batch),
    )


def _project_name(r: ProjectResult) -> str:
    return _clean(r.project.name) or f"未填写名称的项目（{Path(r.project.file).name}）"


def _indicator_name(s: IndicatorScore) -> str:
    i = s.indicator
    return _row_bare(i.name) or _row_bare(i.level2) or _row_bare(i.level1) or "未命名指标"


def _kinds_present(r: ProjectResult) -> set[str]:
    kinds = set()
    for i in r.project.indicators:
        kinds.add(OUTPUT_KIND if i.level1 in (OUTPUT_KIND, COST_KIND) else i.level1)
    return kinds


# --- WordprocessingML fragments -------------------------------------------------------------------------
# Written as text exactly as lxml would serialise it (empty elements as <w:t/>, "&<>" escaped), so the
# body goes into document.xml without a parse: a report of 20 projects has ~5,000 table cells and
# ~1 MB of XML. Tables are built from UTF-8 bytes, each distinct cell encoded once (most recur).

BREAK_RUN = "<w:r><w:br/></w:r>"


def _esc(text: str) -> str:
    text = XML_INVALID.sub("", text)
    if "\r" in text:  # an XML parser reads "\r\n" and "\r" as "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str = "", style: str = "", ppr: str = "") -> str:
    """One paragraph; its runs inherit every font from the paragraph style. "\n" is a line break."""
    props = (f'<w:pStyle w:val="{style}"/>' if style else "") + ppr
    if not text:
        return f"<w:p><w:pPr>{props}</w:pPr></w:p>" if props else "<w:p/>"
    if "\n" in text:
        runs = BREAK_RUN.join(f"<w:r>{_t(line)}</w:r>" for line in text.split("\n"))
    else:
        runs = f"<w:r>{_t(text)}</w:r>"
    return f"<w:p><w:pPr>{props}</w:pPr>{runs}</w:p>" if props else f"<w:p>{runs}</w:p>"


def _t(text: str) -> str:
    if not text:
        return "<w:t/>"
    # Word drops leading, trailing and repeated spaces unless told to keep them.
    if text != text.strip() or "  " in text:
        return f'<w:t xml:space="preserve">{_esc(text)}</w:t>'
    return f"<w:t>{_esc(text)}</w:t>"


class _Cell(NamedTuple):
    """A table cell: ``span`` grid columns wide; ``merge`` "restart"/"continue" for vertical merges."""

    text: str = ""
    span: int = 1
    merge: str = ""
    style: str = TABLE_CENTER


# A report has some 200 cells per project: the helpers make them with tuple.__new__, five times
# faster than a NamedTuple's own __new__ (a Python function).
_new = tuple.__new__


def _head(text: str, span: int = 1, merge: str = "") -> _Cell:
    return _new(_Cell, (text, span, merge, TABLE_HEAD))


def _text(text: str, span: int = 1, merge: str = "") -> _Cell:
    """A cell of input text, left-aligned; an empty value shows as a centred "—"."""
    text = _clean(text)
    return _new(_Cell, (text, span, merge, TABLE_TEXT) if text else (DASH, span, merge, TABLE_CENTER))


def _num(text: str, span: int = 1, merge: str = "") -> _Cell:
    return _new(_Cell, (text or DASH, span, merge, TABLE_CENTER))


MERGED = _head("", merge="continue")  # the cells under a label merged downwards


@functools.lru_cache(maxsize=16)
def _table_start(widths: tuple[int, ...]) -> bytes:
    borders = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    return (f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0"'
            ' w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
            + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>").encode()


@functools.lru_cache(maxsize=4096)  # headers, dashes and scores repeat in every form
def _tc(width: int, cell: _Cell) -> bytes:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if cell.span > 1:
        props += f'<w:gridSpan w:val="{cell.span}"/>'
    if cell.merge:
        props += '<w:vMerge w:val="restart"/>' if cell.merge == "restart" else "<w:vMerge/>"
    props += '<w:vAlign w:val="center"/>'
    lines = [""] if cell.merge == "continue" else cell.text.split("\n")
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{''.join(_p(t, cell.style) for t in lines)}</w:tc>".encode()


def _table(widths: list[int], rows: list[Sequence[_Cell]], header_rows: int) -> bytes:
    """A bordered, fixed-layout table; its first ``header_rows`` rows repeat on every page."""
    out = [_table_start(tuple(widths))]
    append, columns = out.append, len(widths)
    for index, row in enumerate(rows):
        append(b"<w:tr><w:trPr><w:tblHeader/></w:trPr>" if index < header_rows else b"<w:tr>")
        column = 0
        for cell in row:
            span = cell.span
            append(_tc(widths[column] if span == 1 and column < columns else sum(widths[column:column + span]),
                       cell))
            column += span
        if column != columns:
            raise ValueError(f"table row {index} spans {column} of {len(widths)} columns")
        append(b"</w:tr>")
    append(b"</w:tbl>")
    return b"".join(out)


class _Body:
    """The document body, numbered as it grows and written out as it goes: ``write`` (document.xml's
    stream in the package) gets the XML in pieces of about ``FLUSH_BYTES``, so that a unit of 10,000
    projects (half a gigabyte of XML) never holds its report in memory."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self.write = write
        self.pending: list[bytes] = []
        self.size = 0
        self.counters = {1: 0, 2: 0, 3: 0, 4: 0}
        self.tables = 0

    def _put(self, xml: bytes) -> None:
        self.pending.append(xml)
        self.size += len(xml)
        if self.size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.write(b"".join(self.pending))
            self.pending.clear()
            self.size = 0

    def heading(self, level: int, text: str, page_break: bool = False) -> None:
        """A numbered heading: 一、 （一） 1. （1）; numbering restarts below each higher level."""
        self.counters[level] += 1
        for deeper in range(level + 1, 5):
            self.counters[deeper] = 0
        n = self.counters[level]
        if level == 1:
            number = f"{_cn_number(n)}、"
        elif level == 2:
            number = f"（{_cn_number(n)}）"
        else:
            number = f"{n}." if level == 3 else f"（{n}）"
        self.add(number + text, HEADING[level], page_break)

    def add(self, text: str, style: str = "", page_break: bool = False, ppr: str = "") -> None:
        self._put(_p(text, style, ("<w:pageBreakBefore/>" if page_break else "") + ppr).encode())

    def texts(self, paragraphs: list[str]) -> None:
        for text in paragraphs:
            self.add(text)

    def table(self, caption: str, widths: list[int], rows: list[list[_Cell]], header_rows: int,
              label: str = "", page_break: bool = False, money: bool = True) -> None:
        """Caption (bold, above; "表1 …" unless ``label`` is given), "金额单位：万元" (right) when the
        table holds amounts, then the table."""
        if not label:
            self.tables += 1
            label = f"表{self.tables}"
        self.add(f"{label} {caption}", CAPTION, page_break)
        if money:
            self.add("金额单位：万元", AMOUNT_UNIT)
        self._put(_table(widths, rows, header_rows))

    def close(self) -> None:
        """The body's last paragraph (Word wants one after a table), and everything still pending."""
        self.add("", TABLE_TEXT)
        self.flush()


FLUSH_BYTES = 1 << 20


# --- Sections -------------------------------------------------------------------------------------------

def _add_title(body: _Body, facts: _Facts) -> None:
    """The title, broken after the unit name when it does not fit one line (GB/T 9704 7.3.3:
    a title breaks where the words allow, not wherever the line ends)."""
    title = facts.title
    if len(title) > TITLE_CHARS_PER_LINE and facts.unit_name and len(facts.unit_name) <= TITLE_CHARS_PER_LINE:
        title = facts.unit_name + "\n" + title[len(facts.unit_name):]
    body.add(title, TITLE)


def _totals_sentence(facts: _Facts) -> str:
    n = len(facts.results)
    if n == 0:
        return "本年度我单位未报送项目支出绩效自评表。"
    year = f"{facts.year}年" if facts.year else "本年度"
    text = f"{year}我单位项目支出预算共{_money(facts.budget)}万元，包含项目{n}个，实际支出{_money(facts.actual)}万元"
    if facts.unit_rate is not None:
        text += f"，预算执行率{_rate(facts.unit_rate)}"
    if facts.missing_budget:
        text += f"（其中{facts.missing_budget}个项目未填报全年预算数，未计入）"
    return text + "。具体情况如下："


def _funds_overview_rows(facts: _Facts) -> list[list[_Cell]]:
    own = f"其中：{facts.own_name}资金"
    rows = [
        [_head("项目名称", merge="restart"), _head("项目类型", merge="restart"),
         _head("资金用途、使用方向", merge="restart"), _head("预算金额", 2), _head("支出金额", 2),
         _head("执行率", merge="restart")],
        [_head("", merge="continue"), _head("", merge="continue"), _head("", merge="continue"),
         _head("指标总额"), _head(own), _head("支出总额"), _head(own), _head("", merge="continue")],
    ]
    own_budget: list[float] = []
    own_actual: list[float] = []
    for r in facts.results:
        funds = r.project.funds
        own_row = funds.own_level or FundsRow("")
        own_budget.append(own_row.budget.value)
        own_actual.append(own_row.actual.value)
        rows.append([_text(_project_name(r)), _num(_clean(r.project.project_type)),
                     _text(r.project.fund_use), _num(_money(funds.total.budget.value)),
                     _num(_money(own_row.budget.value)), _num(_money(funds.total.actual.value)),
                     _num(_money(own_row.actual.value)), _num(_rate(r.rate))])

    def total(values: list[float | None]) -> str:
        present = [v for v in values if not _missing(v)]
        return _money(sum(present)) if present else DASH

    rows.append([_head("合计", 3), _num(_money(facts.budget)), _num(total(own_budget)),
                 _num(_money(facts.actual)), _num(total(own_actual)), _num(_rate(facts.unit_rate))])
    return rows


def _goal_paragraphs(r: ProjectResult) -> list[str]:
    texts = [_sentence(p) for p in _paragraphs(r.project.goal)]
    targets = [name + target for name, target in ((_row_bare(i.name), _value_text(i.target))
                                                  for i in r.project.indicators)
               if name and target]
    if targets:
        texts.append("年度计划：" + "；".join(targets) + "。")
    return texts or ["该项目自评表未填报年度预期目标和绩效指标。"]


def _funds_management(facts: _Facts) -> list[str]:
    """A generated 资金使用管理情况 from the funds figures only (nothing the data cannot show)."""
    if not facts.results:
        return ["无。"]
    rules = facts.rules
    year = f"{facts.year}年，" if facts.year else ""
    texts = [f"{year}我单位{len(facts.results)}个项目全年预算数合计{_money(facts.budget)}万元，"
             f"全年执行数合计{_money(facts.actual)}万元"
             + (f"，预算执行率{_rate(facts.unit_rate)}。" if facts.unit_rate is not None else "。")]
    sources = []
    for label, pick in (("当年财政拨款", lambda f: f.appropriation), (f"{facts.own_name}资金", lambda f: f.own_level),
                        ("上年结转资金", lambda f: f.carryover), ("其他资金", lambda f: f.other)):
        rows = [pick(r.project.funds) for r in facts.results]
        budget = [row.budget.value for row in rows if row is not None and not _missing(row.budget.value)]
        actual = [row.actual.value for row in rows if row is not None and not _missing(row.actual.value)]
        if budget:
            # The 本级 row is a 其中 row of the appropriation when both are given.
            within = "其中" if label.endswith("级资金") and sources else ""
            part = f"{within}{label}预算{_money(sum(budget))}万元"
            sources.append(part + (f"、执行{_money(sum(actual))}万元" if actual else ""))
    if sources:
        texts.append("从资金来源看，" + "；".join(sources) + "。")
    rates = [r.rate for r in facts.results if not _missing(r.rate)]
    bands = [(sum(1 for x in rates if x >= rules.explain_rate), f"执行率达到{_share(rules.explain_rate)}及以上的项目"),
             (sum(1 for x in rates if rules.low_rate <= x < rules.explain_rate),
              f"执行率在{_share(rules.low_rate)}至{_share(rules.explain_rate)}之间的项目"),
             (sum(1 for x in rates if x < rules.low_rate), f"执行率低于{_share(rules.low_rate)}的项目")]
    if any(n for n, _ in bands):
        texts.append("分项目看，" + "，".join(f"{label}{n}个" for n, label in bands if n) + "。")
    adjusted = [r for r in facts.results if _budget_adjusted(r.project.funds, rules.tolerance)]
    if adjusted:
        texts.append(f"年度中调整预算的项目{len(adjusted)}个：{_name_list([_project_name(r) for r in adjusted])}。")
    texts.append("各项目资金安排和支出情况见表1。")
    return texts


def _budget_adjusted(funds: Funds, tolerance: float) -> bool:
    a0, a = funds.total.initial.value, funds.total.budget.value
    return not _missing(a0) and not _missing(a) and abs(a - a0) > tolerance


def _add_basic_situation(body: _Body, facts: _Facts) -> None:
    body.heading(1, "项目支出基本情况")
    body.heading(2, "项目支出资金概况")
    body.add(_totals_sentence(facts))
    if facts.results:
        widths = [1800, 760, 1645, 880, 880, 880, 880, 1000]
        body.table("项目支出资金概况表", _fit(widths), _funds_overview_rows(facts), header_rows=2)
    body.heading(2, "项目绩效目标情况")
    if not facts.results:
        body.add("无。")
    for r in facts.results:
        body.heading(3, _project_name(r))
        body.texts(_goal_paragraphs(r))
    body.heading(2, "资金使用管理情况")
    body.texts(_paragraphs(facts.batch.unit.funds_management) or _funds_management(facts))


def _fit(widths: list[int]) -> list[int]:
    """Column widths scaled to fill the text block exactly (the last column takes the rounding)."""
    scale = TEXT_WIDTH / sum(widths)
    fitted = [round(w * scale) for w in widths[:-1]]
    return fitted + [TEXT_WIDTH - sum(fitted)]


def _grade_words(rules) -> str:
    grades = list(rules.grades)
    parts = []
    for index, (name, floor) in enumerate(grades):
        if index == 0:
            parts.append(f"{floor:g}分（含）以上为{name}")
        elif index < len(grades) - 1 or floor > 0:
            parts.append(f"{floor:g}分（含）至{grades[index - 1][1]:g}分为{name}")
        else:
            parts.append(f"{grades[index - 1][1]:g}分以下为{name}")
    names = "、".join(name for name, _ in grades)
    return f"自评结果分为{names}{_cn_number(len(grades))}个等级：" + "，".join(parts) + "。"


def _evaluation_work(facts: _Facts) -> list[str]:
    """A generated 绩效评价工作情况: the method and the rules actually applied."""
    rules = facts.rules
    year = f"{facts.year}年度" if facts.year else "本年度"
    base = "年初预算数" if rules.rate_base == "initial" else "全年预算数"
    if rules.budget_mode == "interval":
        steps = "，".join(f"执行率{_share(rate)}及以上得{points:g}分" for rate, points in rules.budget_intervals
                         if rate > 0)
        budget = f"预算执行率{rules.budget_points:g}分，按全年执行数与{base}之比分区间计分：{steps}，其余得0分"
    else:
        budget = (f"预算执行率{rules.budget_points:g}分，按全年执行数与{base}之比计分，"
                  f"得分为{rules.budget_points:g}分乘以执行率，执行率超过100%的按100%计算")
    split = "、".join(f"{kind}{points:g}分" for kind, points in rules.split)
    high, mid = rules.bands
    reverse = ("反向指标超出目标值的按超出比例扣分" if rules.reverse_mode == "linear"
               else "反向指标超出目标值的按目标值与实际值之比计分")
    return [
        f"我单位依据《项目支出绩效评价管理办法》（财预〔2020〕10号），对{year}{len(facts.results)}个项目支出开展绩效自评。"
        "各项目按项目支出绩效自评表填报预算执行情况、年度总体目标和绩效指标完成情况，"
        "自评表数据经逐项审核，并按统一规则复核计分。",
        f"自评实行百分制。{budget}；绩效指标{rules.indicator_points:g}分，原则上{split}。"
        f"定量指标完成目标值的得满分，未完成的按完成比例计分，{reverse}；"
        f"定性指标按达成、部分达成、未达成分档计分，分别得分值的{_share(high)}至100%、"
        f"{_share(mid)}至{_share(high)}、{_share(mid)}以下。"
        f"实际完成值达到目标值{_share(rules.over_ratio)}及以上的指标，须说明偏差原因。",
        _grade_words(rules),
    ]


def _add_evaluation_work(body: _Body, facts: _Facts) -> None:
    body.heading(1, "绩效评价工作情况")
    body.texts(_paragraphs(facts.batch.unit.evaluation_work) or _evaluation_work(facts))


def _score_summary(facts: _Facts) -> str:
    n = len(facts.results)
    scored = [r for r in facts.results if r.status != NOT_SCORED and not _missing(r.total)]
    unscored = n - len(scored)
    if not scored:
        return f"纳入本次自评的项目{n}个，均未评分，原因见表2。"
    grades = Counter(r.grade for r in scored)
    by_grade = "、".join(f"{name}{grades[name]}个" for name, _ in facts.rules.grades if grades[name])
    average = sum(r.total for r in scored) / len(scored)
    text = f"纳入本次自评的项目{n}个，已评分{len(scored)}个，其中{by_grade}，平均核定总分{_points(average)}分"
    return text + (f"；未评分{unscored}个，原因见表2。" if unscored else "。")


def _score_rows(facts: _Facts) -> list[list[_Cell]]:
    rows = [
        [_head("序号", merge="restart"), _head("项目名称", merge="restart"), _head("执行率", merge="restart"),
         _head("预算执行得分", merge="restart"), _head("绩效指标得分", 3), _head("核定总分", merge="restart"),
         _head("等级", merge="restart")],
        [_head("", merge="continue"), _head("", merge="continue"), _head("", merge="continue"),
         _head("", merge="continue"), _head("产出"), _head("效益"), _head("满意度"),
         _head("", merge="continue"), _head("", merge="continue")],
    ]
    for n, r in enumerate(facts.results, 1):
        kinds = _kinds_present(r)
        subtotal = [_num(_points(r.subtotals.get(k)) if k in kinds else DASH)
                    for k in (OUTPUT_KIND, EFFECT_KIND, SATISFACTION_KIND)]
        if r.status == NOT_SCORED or _missing(r.total):
            reason = _bare(r.reason)
            verdict = [_Cell(f"未评分（{reason}）" if reason else "未评分", 2, "", TABLE_TEXT)]
        else:
            verdict = [_num(_points(r.total)), _num(_clean(r.grade))]
        rows.append([_num(str(n)), _text(_project_name(r)), _num(_rate(r.rate)), _num(_points(r.budget_score)),
                     *subtotal, *verdict])
    return rows


def _indicator_sentence(s: IndicatorScore) -> str:
    """ "大型集中宣传活动：目标≥50次，实际完成60余次，完成率120.00%，得25.00分。" """
    target, actual = _value_text(s.indicator.target), _value_text(s.indicator.actual)
    parts = []
    if target:
        parts.append(f"目标{target}")
    if actual:
        parts.append(f"实际完成{actual}" if s.indicator.actual.kind == "number" else f"实际{actual}")
    if not _missing(s.ratio):
        parts.append(f"完成率{_rate(s.ratio)}")
    parts.append(f"得{_points(s.score)}分" if not _missing(s.score) else "未能自动评分，需人工核定")
    deviation = _row_bare(s.indicator.deviation)
    return f"{_indicator_name(s)}：" + "，".join(parts) + (f"（偏差原因：{deviation}）" if deviation else "") + "。"


def _result_sentence(r: ProjectResult) -> str:
    """The project's figures and verdict: "该项目全年预算数…，预算执行率50.34%，得5.03分；…等级为“优”。" """
    total = r.project.funds.total
    parts = []
    if not _missing(total.budget.value):
        parts.append(f"全年预算数{_money(total.budget.value)}万元")
    if not _missing(total.actual.value):
        parts.append(f"全年执行数{_money(total.actual.value)}万元")
    if not _missing(r.rate):
        parts.append(f"预算执行率{_rate(r.rate)}")
    if r.status == NOT_SCORED or _missing(r.total):
        reason = _bare(r.reason)
        lead = "该项目" + "，".join(parts) + "。" if parts else ""
        return lead + (f"因{reason}，该项目未评分。" if reason else "该项目未评分。")
    if not _missing(r.budget_score):
        parts.append(f"预算执行得{_points(r.budget_score)}分")
    indicator_points = sum(v for v in r.subtotals.values() if not _missing(v))
    parts.append(f"绩效指标得{_points(indicator_points)}分")
    text = "该项目" + "，".join(parts) + f"；核定总分{_points(r.total)}分，等级为“{_clean(r.grade)}”。"
    written = r.total_written
    if not _missing(written) and abs(written - r.total) > 0.01:
        text += f"自评表填报总分{_points(written)}分，与核定总分相差{_points(abs(written - r.total))}分。"
    return text


def _add_performance(body: _Body, facts: _Facts) -> None:
    body.heading(1, "项目支出主要绩效")
    if not facts.results:
        body.add("无。")
        return
    body.heading(2, "项目自评得分情况")
    body.add(_score_summary(facts))
    widths = [600, 2300, 900, 900, 750, 750, 750, 900, 900]
    body.table("项目支出绩效自评得分表", _fit(widths), _score_rows(facts), header_rows=2, money=False)
    body.heading(2, "项目绩效目标完成情况")
    for r in facts.results:
        body.heading(3, _project_name(r))
        body.texts([_sentence(p) for p in _paragraphs(r.project.achievement)])
        body.add(_result_sentence(r))
        sentences = [_indicator_sentence(s) for s in r.indicators]
        if sentences:
            body.add("".join(sentences))


def _problem_items(facts: _Facts) -> list[tuple[str, str]]:
    """(kind, text) of each finding, in the order of the brief: low execution, missed, over, unscored."""
    found, rules = facts.findings, facts.rules
    items = []
    if found.low:
        detail = "；".join(
            f"{_project_name(r)}（全年预算数{_money(r.project.funds.total.budget.value)}万元，"
            f"全年执行数{_money(r.project.funds.total.actual.value)}万元，执行率{_rate(r.rate)}）" for r in found.low)
        items.append(("low", f"部分项目预算执行率偏低。{len(found.low)}个项目执行率低于{_share(rules.low_rate)}：{detail}。"))
    if found.missed:
        detail = "；".join(f"{_project_name(r)}的{_indicator_name(s)}{_target_versus_actual(s)}"
                          + ("，未说明偏差原因" if not _clean(s.indicator.deviation) else "")
                          for r, s in found.missed)
        items.append(("missed", f"部分绩效指标未完成年度目标。{detail}。"))
    if found.over:
        detail = "；".join(f"{_project_name(r)}的{_indicator_name(s)}{_target_versus_actual(s)}" for r, s in found.over)
        items.append(("over", f"部分绩效指标实际完成值达到目标值的{_share(rules.over_ratio)}及以上，"
                              f"且未说明偏差原因，年初目标设定可能偏低。{detail}。"))
    if found.unscored:
        detail = "；".join(f"{_project_name(r)}（{_bare(r.reason)}）" if _bare(r.reason) else _project_name(r)
                          for r in found.unscored)
        items.append(("unscored", f"部分项目自评表填报有误，未能评分。{detail}。"))
    return items


def _target_versus_actual(s: IndicatorScore) -> str:
    parts = [f"目标{_value_text(s.indicator.target)}" if _value_text(s.indicator.target) else "",
             f"实际完成{_value_text(s.indicator.actual)}" if _value_text(s.indicator.actual) else "",
             f"完成率{_rate(s.ratio)}" if not _missing(s.ratio) else ""]
    return "，".join(p for p in parts if p)


def _suggestion_items(facts: _Facts, kinds: list[str]) -> list[str]:
    found, rules = facts.findings, facts.rules
    texts = {
        "low": f"加快预算执行进度。对执行率偏低的{_name_list([_project_name(r) for r in found.low])}，"
               "逐项分析资金未支出的原因；跨年度实施的项目合理安排分年度预算，确不需要的资金及时按规定调整。",
        "missed": "加强绩效目标执行监控。对未完成年度目标的指标逐项分析原因、制定改进措施，"
                  "并在偏差原因分析及改进措施中如实说明。",
        "over": f"科学设定绩效目标。对实际完成值达到目标值{_share(rules.over_ratio)}及以上的指标补充说明偏差原因，"
                "下一年度结合实际完成情况合理确定目标值。",
        "unscored": "规范自评表填报。未能评分的项目按审核意见修改自评表后重新报送，确保指标分值、得分和资金数据准确完整。",
    }
    return [texts[k] for k in kinds]


def _add_numbered(body: _Body, own_text: str, generated: list[str], empty: str) -> None:
    """The unit's own paragraphs, then generated items numbered after its last number. The unit's
    "1、" becomes "1." so that the numbering of the document reads 一、（一）1.（1） throughout."""
    own = [OWN_ITEM.sub(r"\1.", p) for p in _paragraphs(own_text)]
    body.texts(own)
    start = _numbered_count(own) + 1
    for n, text in enumerate(generated, start):
        body.add(f"{n}.{text}")
    if not own and not generated:
        body.add(empty)


def _add_problems_and_suggestions(body: _Body, facts: _Facts) -> None:
    items = _problem_items(facts)
    body.heading(1, "存在的问题")
    _add_numbered(body, facts.batch.unit.problems, [text for _, text in items], "经自评，未发现需要说明的问题。")
    body.heading(1, "有关建议")
    _add_numbered(body, facts.batch.unit.suggestions, _suggestion_items(facts, [k for k, _ in items]), "无。")


def _add_other_notes(body: _Body, facts: _Facts) -> None:
    body.heading(1, "其他需要说明的问题")
    body.texts(_paragraphs(facts.batch.unit.other_notes) or ["无。"])


# The 自评表 re-drawn on a 10-column grid: label | 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 |
# 填报得分 | 核定得分 | 偏差原因. The funds block reuses the grid (label spans two columns, 执行率 two).
FORM_WIDTHS = [600, 900, 1050, 1150, 950, 950, 600, 800, 800, 1000]
FORM_FUNDS_HEAD = (_head("项目资金（万元）", merge="restart"), _head("", 2), _head("年初预算数"), _head("全年预算数"),
                   _head("全年执行数"), _head("分值"), _head("执行率", 2), _head("得分"))
FORM_NO_SCORE = (_num(DASH), _num(DASH, 2), _num(DASH))  # 分值, 执行率, 得分 of the funds' sub-rows
FORM_GOAL_HEAD = (_head("年度总体目标", merge="restart"), _head("预期目标", 5), _head("实际完成情况", 4))
FORM_INDICATOR_HEAD = (_head("绩效指标", merge="restart"), _head("一级指标"), _head("二级指标"), _head("三级指标"),
                       _head("年度指标值"), _head("实际完成值"), _head("分值"), _head("填报得分"), _head("核定得分"),
                       _head("偏差原因分析及改进措施"))


def _form_rows(r: ProjectResult, facts: _Facts) -> list[Sequence[_Cell]]:
    p, funds = r.project, r.project.funds
    rows = [
        [_head("项目名称", 2), _text(_project_name(r), 8)],
        [_head("主管部门", 2), _text(p.department, 3), _head("实施单位", 2), _text(p.implementer, 3)],
        FORM_FUNDS_HEAD,
    ]
    weight = funds.weight.value if not _missing(funds.weight.value) else facts.rules.budget_points
    rows.append([MERGED, _head("年度资金总额", 2), *_amounts(funds.total),
                 _num(_weight(weight)), _num(_rate(r.rate), 2), _num(_points(r.budget_score))])
    seen: list[FundsRow] = []
    for label, row in ((("其中：当年财政拨款", funds.appropriation), (f"其中：{facts.own_name}资金", funds.own_level),
                        ("上年结转资金", funds.carryover), ("其他资金", funds.other))):
        if row is None or any(row is s for s in seen):
            continue
        seen.append(row)
        rows.append([MERGED, _head(_clean(row.label) or label, 2), *_amounts(row), *FORM_NO_SCORE])
    rows += [FORM_GOAL_HEAD, [MERGED, _text(p.goal, 5), _text(p.achievement, 4)], FORM_INDICATOR_HEAD]
    previous = ("", "")
    for s in r.indicators:
        i = s.indicator
        level1, level2 = _row_text(i.level1), _row_text(i.level2)
        rows.append([
            MERGED,
            _text(level1, merge="continue" if level1 and level1 == previous[0] else "restart"),
            _text(level2, merge="continue" if level2 and (level1, level2) == previous else "restart"),
            _text(_row_text(i.name)), _text(_row_text(i.target.text)), _text(_row_text(i.actual.text)),
            _num(_weight(i.weight.value)), _num(_points(i.score_written.value)), _num(_points(s.score)),
            _text(_row_text(i.deviation))])
        previous = (level1, level2)
    if not r.indicators:
        rows.append([MERGED, _text("未填报绩效指标", 9)])
    weights = [weight] + [i.weight.value for i in p.indicators if not _missing(i.weight.value)]
    if r.status == NOT_SCORED or _missing(r.total):
        verdict = [_num("未评分"), _text(_bare(r.reason) or "未评分")]
    else:
        verdict = [_num(_points(r.total)), _num(f"等级：{_clean(r.grade)}")]
    rows.append([_head("总分", 6), _num(_weight(sum(weights))), _num(_points(r.total_written)), *verdict])
    return rows


def _amounts(row: FundsRow) -> list[_Cell]:
    return [_num(_money(row.initial.value)), _num(_money(row.budget.value)), _num(_money(row.actual.value))]


def _add_annex(body: _Body, facts: _Facts) -> None:
    # The 附件 label sits at the left margin (GB/T 9704 8.3), unlike the indented 一、 headings.
    body.add("附件：项目支出绩效自评表", HEADING[1], page_break=True, ppr=NO_INDENT)
    if not facts.results:
        body.add("无。")
    year = f"（{facts.year}年度）" if facts.year else ""
    widths = _fit(FORM_WIDTHS)
    for n, r in enumerate(facts.results, 1):
        body.table(f"项目支出绩效自评表{year}", widths, _form_rows(r, facts), header_rows=1,
                   label=f"附表{n}", page_break=n > 1)


# --- The document: styles, page, footers ----------------------------------------------------------------

def _rpr(east_asia: str, size: int, bold: bool = False, latin: str = LATIN, spacing: int | None = None) -> str:
    return (f'<w:rPr {nsdecls("w")}><w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east_asia}"'
            f' w:cs="{latin}" w:hint="eastAsia"/>' + ("<w:b/><w:bCs/>" if bold else "")
            + ("" if spacing is None else f'<w:spacing w:val="{spacing}"/>')
            + f'<w:kern w:val="2"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
            '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr>')


def _ppr(jc: str = "", first_line: int | None = None, line: int = 0, rule: str = "exact",
         after: int = 0, keep: bool = False, snap: bool = True, outline: int | None = None) -> str:
    parts = ['<w:keepNext/><w:keepLines/>' if keep else "", "" if snap else '<w:snapToGrid w:val="0"/>']
    if line:
        parts.append(f'<w:spacing w:before="0" w:after="{after}" w:line="{line}" w:lineRule="{rule}"/>')
    if first_line is not None:
        chars = round(first_line / FIRST_LINE * 200)
        parts.append(f'<w:ind w:firstLine="{first_line}" w:firstLineChars="{chars}"/>')
    if jc:
        parts.append(f'<w:jc w:val="{jc}"/>')
    if outline is not None:
        parts.append(f'<w:outlineLvl w:val="{outline}"/>')
    return f'<w:pPr {nsdecls("w")}>{"".join(parts)}</w:pPr>'


# (style id, shown name, based on, pPr, rPr). Headings keep the body's first-line indent and spacing.
_TABLE_PPR = dict(first_line=0, line=240, rule="auto", snap=False)
STYLES = [
    ("Normal", "Normal", "", _ppr("both", FIRST_LINE, LINE_EXACT), _rpr(BODY_FONT, SIZE_3, spacing=CONDENSE)),
    (TITLE, "Title", "Normal", _ppr("center", 0, 720, after=LINE_EXACT, keep=True, snap=False),
     _rpr(TITLE_FONT, SIZE_2, spacing=0)),
    (HEADING[1], "heading 1", "Normal", _ppr(keep=True, outline=0), _rpr(HEADING1_FONT, SIZE_3)),
    (HEADING[2], "heading 2", "Normal", _ppr(keep=True, outline=1), _rpr(HEADING2_FONT, SIZE_3)),
    (HEADING[3], "heading 3", "Normal", _ppr(keep=True, outline=2), _rpr(BODY_FONT, SIZE_3)),
    (HEADING[4], "heading 4", "Normal", _ppr(keep=True, outline=3), _rpr(BODY_FONT, SIZE_3)),
    (TABLE_TEXT, "表格文字", "Normal", _ppr("left", **_TABLE_PPR), _rpr(BODY_FONT, SIZE_5, spacing=0)),
    (TABLE_CENTER, "表格文字居中", TABLE_TEXT, _ppr("center", **_TABLE_PPR), _rpr(BODY_FONT, SIZE_5)),
    (TABLE_HEAD, "表格表头", TABLE_TEXT, _ppr("center", **_TABLE_PPR), _rpr(BODY_FONT, SIZE_5, bold=True)),
    (CAPTION, "表格标题", "Normal", _ppr("center", 0, LINE_EXACT, keep=True), _rpr(BODY_FONT, SIZE_3, bold=True)),
    (AMOUNT_UNIT, "金额单位", "Normal", _ppr("right", 0, LINE_EXACT, keep=True), _rpr(BODY_FONT, SIZE_4)),
    (PAGE_NUMBER, "页码", "Normal", _ppr("", 0, 240, rule="auto", snap=False),
     _rpr(PAGE_NUMBER_FONT, SIZE_4, latin=PAGE_NUMBER_FONT, spacing=0)),
]
THEME_FONT_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _define_styles(document) -> None:
    """Fonts, sizes and spacing in the styles, once; no theme font left anywhere in styles.xml."""
    styles = document.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        for attribute in THEME_FONT_ATTRIBUTES:
            fonts.attrib.pop(qn(attribute), None)
    defaults = styles.find(qn("w:docDefaults"))
    r_default = defaults.find(qn("w:rPrDefault"))
    r_default.remove(r_default.find(qn("w:rPr")))
    r_default.append(parse_xml(_rpr(BODY_FONT, SIZE_3)))
    p_default = defaults.find(qn("w:pPrDefault"))
    p_default.remove(p_default.find(qn("w:pPr")))
    p_default.append(parse_xml(f'<w:pPr {nsdecls("w")}><w:spacing w:after="0"/></w:pPr>'))
    for style_id, name, based_on, ppr, rpr in STYLES:
        style = styles.get_by_id(style_id)
        if style is None:
            style = parse_xml(f'<w:style {nsdecls("w")} w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
                              f'<w:name w:val="{name}"/><w:basedOn w:val="{based_on}"/><w:qFormat/></w:style>')
            styles.append(style)
        for old in style.findall(qn("w:pPr")) + style.findall(qn("w:rPr")):
            style.remove(old)
        style.append(parse_xml(ppr))
        style.append(parse_xml(rpr))


def _page_number_footer(align: str) -> str:
    """ "— 1 —": a PAGE field between em dashes, a character in from the outer edge (GB/T 9704 7.5)."""
    indent = f'<w:ind w:{"right" if align == "right" else "left"}="280"/>'
    field_runs = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                  '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
                  '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
                  '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    return (f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{PAGE_NUMBER}"/>{indent}<w:jc w:val="{align}"/></w:pPr>'
            f'<w:r><w:t xml:space="preserve">{DASH} </w:t></w:r>{field_runs}'
            f'<w:r><w:t xml:space="preserve"> {DASH}</w:t></w:r></w:p>')


def _set_footer(footer, align: str) -> None:
    element = footer._element
    for child in list(element):
        element.remove(child)
    element.append(parse_xml(_page_number_footer(align)))


def _set_page(document) -> None:
    """A4, 公文 margins, the 22 × 28 grid, odd page numbers right and even ones left."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side, mm in PAGE_MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(mm))
    section.header_distance, section.footer_distance = Mm(HEADER_DISTANCE_MM), Mm(FOOTER_DISTANCE_MM)
    grid = section._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH))
    document.settings.odd_and_even_pages_header_footer = True
    _set_footer(section.footer, "right")
    _set_footer(section.even_page_footer, "left")
    # The default template says Japanese; Word then picks Japanese glyph forms and line breaking.
    lang = document.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


DOCUMENT_PART = "word/document.xml"
CORE_PART = "docProps/core.xml"
# zlib level for document.xml: level 1 takes half the time of the default 6 and the report grows
# by a fifth (its ~48 KB of XML per project is the same few cell patterns over and over).
COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class _Template:
    """Everything of a report that does not depend on the unit, built with python-docx once per process.

    Loading python-docx's default template, restyling it and compressing its 800 KB of styles took
    more time than writing the report itself; now each report only fills in document.xml and
    core.xml and appends them, compressed, to a copy of the unchanging rest of the package.
    """

    head: bytes  # document.xml up to and including <w:body>
    tail: bytes  # the section properties (page, margins, grid, footers) and the closing tags
    core: object  # the core properties element (title, author, dates) to copy and fill in
    package: bytes  # a zip of every other part ([Content_Types].xml first), as python-docx writes it


@functools.lru_cache(maxsize=1)
def _template() -> _Template:
    document = docx.Document()
    _define_styles(document)
    _set_page(document)
    saved = io.BytesIO()
    document.save(saved)
    package = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as rest:
        for info in source.infolist():
            if info.filename == DOCUMENT_PART:
                xml = source.read(info)
            elif info.filename != CORE_PART:
                rest.writestr(info, source.read(info))
    start = xml.index(b">", xml.index(b"<w:body")) + 1
    if xml[start - 2:start] == b"/>":  # an empty <w:body/>
        head, tail = xml[:start - 2] + b">", b"</w:body>" + xml[start:]
    else:
        head, tail = xml[:start], xml[start:]
    return _Template(head, tail, document.core_properties._element, package.getvalue())


def _core_properties(facts: _Facts) -> bytes:
    element = copy.deepcopy(_template().core)
    props = CoreProperties(element)
    # python-docx refuses a property of more than 255 characters (a unit name can be that long);
    # the document's own title and text keep the whole name
    props.title = facts.title[:255]
    props.author = props.last_modified_by = facts.unit_name[:255]
    props.comments = ""
    props.revision = 1
    props.created = props.modified = facts.batch.run_time
    return serialize_part_xml(element)


def _save_atomically(facts: _Facts, path: Path, fill: Callable[[_Body], None]) -> None:
    """Write the report to a temporary name beside the target and rename: never a half-written report.
    ``fill`` writes the body, straight into document.xml's compressed stream. Its size is not known
    before: a body that passes the zip format's 2 GiB (very long texts, or some 40,000 projects) is
    written again with ZIP64, which only such a report then needs."""
    path = Path(path)
    for zip64 in (False, True):
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w+b") as file:
                _write_package(file, facts, fill, zip64)
            os.replace(temporary, path)
            return
        except _NeedsZip64:
            Path(temporary).unlink(missing_ok=True)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class _NeedsZip64(Exception):
    """document.xml has passed what a zip entry without ZIP64 can hold."""


def _write_package(file, facts: _Facts, fill: Callable[[_Body], None], zip64: bool) -> None:
    template = _template()
    file.write(template.package)
    with zipfile.ZipFile(file, "a", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as package:
        package.writestr(CORE_PART, _core_properties(facts))
        with package.open(DOCUMENT_PART, "w", force_zip64=zip64) as document:
            written = 0

            def write(xml: bytes) -> None:
                nonlocal written
                written += len(xml)
                if written > zipfile.ZIP64_LIMIT and not zip64:  # zipfile would refuse it only at the end
                    raise _NeedsZip64
                document.write(xml)

            write(template.head)
            body = _Body(write)
            fill(body)
            body.close()
            write(template.tail)


# --- Entry point ----------------------------------------------------------------------------------------

def write_report(batch: Batch, path: Path) -> None:
    """Write 绩效自评报告.docx for the whole batch (one unit) to path."""
    facts = _collect_facts(batch)

    def fill(body: _Body) -> None:
        _add_title(body, facts)
        _add_basic_situation(body, facts)
        _add_evaluation_work(body, facts)
        _add_performance(body, facts)
        _add_problems_and_suggestions(body, facts)
        _add_other_notes(body, facts)
        _add_annex(body, facts)

    _save_atomically(facts, path, fill)
