"""The value parser: cells of the 自评表 as numbers, dates, grades (FORM.md §2 and §5).

Pure functions, no I/O. ``parse_value`` turns a 年度指标值 or 实际完成值 into a ``perfeval.model.Value``
and never raises; ``parse_amount`` reads a money or points cell and raises ``ValueError`` with a
Chinese message when the text is not a number.

Grammar, in the order it is tried on the stripped text (full-width characters folded to ASCII,
whitespace removed, "(百分比)" and "百分比" read as "%", "百分之九十五" as "95%"):

1. Empty: blank, NaN, a marker from ``EMPTY_MARKERS`` or a run of dashes/slashes/asterisks -> "empty".
2. A date or deadline -> "date". "2021年12月31日", "2021-12-31", "2021.12", "2021年11月完成",
   "2022年12月底前" give ``date`` (the month's end for 月/月底/月末/下旬, the 10th for 月初/上旬, the
   20th for 月中/中旬; quarter and half-year ends). Text that names no year ("12月底之前完成", "年底前",
   "年内", "1-12月", "第三季度") is a date with ``date`` None; ``deadline_of(value, year)`` resolves it
   with the form's year. 前/之前/以前/以内/之内/内/止 after the date, or 截至/截止/不晚于 before it,
   give comparator "<=". Free text around an explicit 年/月 date is allowed when it holds no other
   digits ("项目已于2021年10月全部完成验收"); yearless words and "2021.12" must stand (almost) alone.
   An impossible date ("2021年2月30日") is "unparsed" with a note.
3. A number: ``[label][comparator][约/近]number[余/多][万/亿/千/百万/千万][余/多][unit][左右][以上/以内…]``
   plus a few trailing words (完成, 覆盖, 达标 …) -> "number". The label is free text before the number
   ("满意度≥90%", "开展宣传活动60余次"); a leading year ("2021年完成50次") is allowed in it.
   - The multiplier is applied and dropped from the unit: "6.76万份" -> 67600 份, "3千万元" -> 3e7 元.
     千米 千克 千瓦(时) 千卡 千帕 千伏 are units, not 千 + unit ("5千米" -> 5 千米).
   - Chinese numerals (五十, 一百二十, 两, 三千五百, 十余) are read only when the whole text is the
     numeral plus a known measure word ("五十次", "两场"), so that 一般, 一致, 一次性, 十分满意 stay text.
   - 每亩300元 -> 300 unit "元/亩"; 每人每月300元 -> "元/人·月" (the form of "300元/人·月").
   - "百分点" is unit "个百分点"; "%" and "％" and "百分比" are "%" (98% -> 98.0, unit "%").
   - Comparators are stored as written (">=", ">", "<=", "<", "="): symbols, or the words
     不低于 不少于 至少 达到 大于等于 (>=), 大于 高于 超过 (>), 不超过 不高于 小于等于 控制在 (<=),
     低于 小于 少于 不足 (<), or the suffixes 以上 (>=), 以下 以内 之内 内 (<=). A symbol wins over a
     contradicting word, with a note. In an *actual* 达到/达 is a statement of what was reached, not a
     bound, so it gives no comparator. No comparator is ever invented: a 成本 target without one keeps
     "" (``cost=True`` only adds a note; the scorer reads it as <=).
   - 余 多 来 许 约 近 逾 左右 上下 "+" mark the value approximate; 近 together with 余/多 ("近450余万")
     adds the note "“近”与“余”同时出现，表述矛盾".
   - A range "50-60次" / "50至60次" / "1-2万元" is read as its lower bound (upper bound for a 成本
     target), with a note.
   - An actual with a comparator ("≥266米") gets the note "实际完成值带比较符号，不是实测值"; an actual
     "已完成100%" / "完成100%" / "100%完成" gets "以完成百分比代替实测值" (not "完成率100%").
4. Text holding exactly one Arabic number that does not fit the grammar ("共开展60余次宣传活动") ->
   "number" read around that number (unit from a list of measure words), with the note
   "数值取自文字说明，请核对". Years and dates in the text do not count as numbers.
   Two or more numbers ("3/4", "培训3次，参与100人") -> "unparsed" with a note.
5. Anything else -> "qualitative" with ``grade_of_text`` (达成 / 部分达成 / 未达成 / "").
   "7×24小时" is qualitative (a service-hours phrase, not a number).

Raw cell values: int/float -> "number" with unit ""; date/datetime -> "date"; None/NaN -> "empty".

``parse_amount`` (money in 万元, points, rates) reads the number as written: a unit 万元/万/元/分 is
accepted (``written_money_unit`` tells the normaliser to convert a cell that says 元), "%" divides by 100, Chinese numerals
and 大写 amounts are refused (a 万元 column holding "八十万" is ambiguous: 80 or 800,000?).

``comparable`` reconciles units: equal units; the multiplier already applied (万元 vs 元); a unit-less
side takes the other side's unit; percentages stored as fractions (target "≥95%", actual 0.98 -> 98);
a unit-less actual against a target written with a multiplier ("100万元" vs "80") takes the scale that
puts it nearer the target; 公里/千米/米, 吨/千克/公斤/克, 公顷/亩/平方米, 小时/分钟/天/周 convert;
人/名/位 and 天/日 are the same; a unit that only adds a noun to the other ("家" vs "家企业") is the same,
except 人 vs 人次 and the like. Anything else (家 vs 人, % vs 个百分点) is None.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import numbers
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from perfeval.model import Value

ACHIEVED = "达成"
PARTLY = "部分达成"
MISSED = "未达成"

NOTE_NEAR_AND_MORE = "“近”与“{}”同时出现，表述矛盾"
NOTE_ACTUAL_COMPARATOR = "实际完成值带比较符号，不是实测值"
NOTE_PERCENT_DONE = "以完成百分比代替实测值"
NOTE_RANGE = "填写的是区间，按{}{}计"
NOTE_FROM_TEXT = "数值取自文字说明，请核对"
NOTE_MANY_NUMBERS = "含多个数值，无法确定以哪个为准，需人工核对"
NOTE_COST_NO_COMPARATOR = "成本指标未写比较符号，按不超过目标值理解"
NOTE_COMPARATOR_CONFLICT = "比较符号与文字表述矛盾，按符号“{}”理解"
NOTE_BAD_DATE = "日期无效，请核对"
NOTE_BAD_NUMBER = "数值无效，请核对"
NOTE_FORMULA_ERROR = "单元格显示公式的错误值，请修正公式或直接填写数值"

# What Excel and WPS show in a cell whose formula failed (the reader puts it back where calamine
# reads an empty cell)
FORMULA_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                            "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})


def formula_error(text: str) -> str:
    """The words every message about a formula's error value in a cell shares."""
    return f"显示公式的错误值“{text}”（公式出错）"

EMPTY_MARKERS: frozenset[str] = frozenset({
    "", "—", "-", "/", "*", "无", "－", "——", "／", "∕", "暂无", "--", "－－", "–", "―", "\\", "＼",
    "＊", "…", "……", "·", "空", "n/a", "na", "#n/a", "null", "none", "nan",
})

# A cell made only of these characters is a placeholder ("— —", "//", "***"), whatever its length.
_MARKER_CHARS = frozenset("-—–―－‐‑‒─━/／∕\\＼*＊…⋯·")

# str.strip() already removes U+3000 and NBSP; zero-width spaces and the BOM that Excel keeps from
# pasted web text are not whitespace to Python.
_STRIP = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" \
         "\u2006\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPACE_RE = re.compile(r"[\s\u200b\ufeff]+")

# Full-width ASCII (FF01-FF5E) to ASCII, plus the look-alikes real forms use for comparators,
# dashes and units. The Chinese full stop and enumeration comma are kept.
_FOLD = str.maketrans({
    **{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
    "═": "=", "≧": "≥", "≦": "≤", "⩾": "≥", "⩽": "≤", "−": "-", "—": "-", "–": "-", "―": "-",
    "〜": "~", "∼": "~", "∕": "/", "•": "·", "・": "·", "‧": "·", "﹪": "%", "【": "[", "】": "]",
    "㎡": "平方米", "㎞": "公里", "㎏": "千克", "㎎": "毫克",
})


# --------------------------------------------------------------------------- cells as text

def is_empty(raw: object) -> bool:
    """None, NaN, "" or whitespace (incl. U+3000) or an empty marker."""
    if raw is None:
        return True
    if isinstance(raw, str):
        s = _SPACE_RE.sub("", raw)
        if s in EMPTY_MARKERS or s.casefold() in EMPTY_MARKERS:
            return True
        return all(c in _MARKER_CHARS for c in s)
    if isinstance(raw, float):
        return math.isnan(raw)
    try:
        return bool(raw != raw)  # NaN-likes from numpy/pandas (NaT, numpy.nan)
    except (TypeError, ValueError):
        return False


def clean_text(raw: object) -> str:
    """Cell value -> text: str stripped (incl. U+3000/NBSP), floats without a spurious .0 (12.0 -> "12",
    0.1+0.2 style noise rounded to 10 significant digits), dates as 2021年12月31日, None -> ""."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip(_STRIP)
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"  # as Excel and WPS display a logical cell
    if isinstance(raw, numbers.Integral):
        return str(int(raw))
    if isinstance(raw, (numbers.Real, Decimal)):
        x = float(raw)
        if math.isnan(x):
            return ""
        return format_number(x) if math.isfinite(x) else str(x)
    if isinstance(raw, (dt.datetime, dt.date)):
        try:
            if raw != raw:  # pandas.NaT is a datetime that is not equal to itself
                return ""
            text = f"{raw.year}年{raw.month}月{raw.day}日"
        except (TypeError, ValueError):
            return ""
        if isinstance(raw, dt.datetime) and (raw.hour or raw.minute or raw.second):
            text += f" {raw.hour:02d}:{raw.minute:02d}"
        return text
    if isinstance(raw, dt.time):
        return raw.strftime("%H:%M") if not raw.second else raw.strftime("%H:%M:%S")
    return str(raw).strip(_STRIP)


def format_number(x: float) -> str:
    """A float as people write it: 12.0 -> "12", 0.30000000000000004 -> "0.3", 1e-7 -> "0.0000001"."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    r = float(f"{x:.10g}")
    if r.is_integer() and abs(r) < 1e16:
        return str(int(r))
    text = repr(r)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


# --------------------------------------------------------------------------- amounts

_AMOUNT_RE = re.compile(
    r"(?P<sign>[+-])?(?P<num>(?:\d+(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"(?P<unit>%|万元|万|元|分)?")


def _amount_match(text: str) -> re.Match | None:
    """An amount's text read whole: sign, number, unit; folded, without spaces, ¥ or a trailing 整."""
    return _AMOUNT_RE.fullmatch(_SPACE_RE.sub("", text.translate(_FOLD)).lstrip("¥￥$").removesuffix("整"))


def parse_amount(raw: object) -> float | None:
    """A money/points cell: float/int as is; text "81.20", "81.2万元", "1,234.50", "１２", "81.20 " ->
    number; empty markers -> None; raises ValueError(Chinese message) for text that is not a number
    ("八十万" is refused: in a 万元 column it could mean 80 or 800,000). Percent text "50.34%" -> 0.5034.

    A unit 万元/万/元/分 after the number is accepted: the number is returned as written, and the
    normaliser converts a money cell that says 元 (``written_money_unit``)."""
    if is_empty(raw):
        return None
    if isinstance(raw, bool):
        raise ValueError(f"“{clean_text(raw)}”是逻辑值，不是数字，请填写阿拉伯数字，如 81.20")
    if isinstance(raw, (numbers.Real, Decimal)):
        x = float(raw)
        if not math.isfinite(x):
            raise ValueError(f"“{clean_text(raw)}”不是有效的数字，请填写阿拉伯数字，如 81.20")
        return x
    if isinstance(raw, (dt.date, dt.datetime, dt.time)):
        raise ValueError(f"“{clean_text(raw)}”是日期，不是数字，请填写阿拉伯数字，如 81.20")
    text = clean_text(raw)
    m = _amount_match(text)
    if m is None:
        raise ValueError(f"“{text}”不是有效的数字，请填写阿拉伯数字，如 81.20")
    number = Decimal(m["num"].replace(",", ""))
    if m["sign"] == "-":
        number = -number
    if m["unit"] == "%":
        number /= 100
    return float(number)


def written_money_unit(raw: object) -> str:
    """The money unit written after an amount in its cell: "万元" ("5万元", "5万"), "元" ("50000元"),
    or "" (a bare number, or no amount at all)."""
    if raw.__class__ is not str or "元" not in raw and "万" not in raw:
        return ""
    m = _amount_match(clean_text(raw))
    unit = m["unit"] if m is not None else ""
    return "万元" if unit in ("万元", "万") else unit if unit == "元" else ""


# --------------------------------------------------------------------------- grades

_NEGATIVE_RE = re.compile(
    "未达成|未达到|未达标|未完成|未能|未实现|未按时|未按期|未如期|未及时|未开展|未启动|未落实|未执行|未通过|"
    "未验收|未到位|未见成效|未发挥|未有效|未建立|未形成|未取得|尚未|没有完成|没完成|没有达到|没达到|没有实现|"
    "没有开展|没有明显|无明显|不达标|不合格|不合规|不符合|不满意|不到位|不及时|不明显|不理想|不佳|不达成|"
    "不(?:规范|稳定|正常|顺利|安全|完善|充分|明确|够|力)|较差|很差|极差|差距较大|延期|逾期|滞后|推迟|拖延|"
    "无效|失败|取消|暂停|停滞")
_PARTIAL_RE = re.compile(
    "部分达成|部分完成|部分实现|部分达到|部分达标|部分落实|基本达成|基本完成|基本实现|基本达到|基本达标|"
    "基本满意|基本符合|基本合格|基本到位|基本落实|基本建成|基本形成|大部分|大体|初步|阶段性|进行中|推进中|"
    "实施中|建设中|正在|有待|尚需|仍需|待完善|待提高|待提升|一般$")
_POSITIVE_RE = re.compile(
    "达成|完成|实现|达到|达标|达预期|符合|合规|合格|及时|按时|按期|如期|准时|提前|良好|优秀|优良|较好|很好|"
    "满意|明显|显著|有效(?![期性])[\u4e00-\u9fff]|提升|提高|改善|增强|加强|落实|到位|保障|规范|稳定|正常|"
    "顺利|覆盖|建成|较高|已[\u4e00-\u9fff]|控制在.{0,12}(?:内|以内|范围)|"
    "(?:无|零|未发生|未出现|没有发生|没有出现)[\u4e00-\u9fff]{0,6}?"
    "(?:事故|投诉|违规|违纪|违法|差错|纠纷|上访|案件|事件|问题)")
_EXACT_GRADES = {"优": ACHIEVED, "良": ACHIEVED, "好": ACHIEVED, "是": ACHIEVED, "高": ACHIEVED,
                 "中": PARTLY, "否": MISSED, "差": MISSED, "未": MISSED, "低": MISSED}


@lru_cache(maxsize=8192)
def grade_of_text(text: str) -> str:
    """Qualitative grade 达成 | 部分达成 | 未达成 | "" (unknown) per FORM.md §5.

    Negative words win over partial ones, partial over positive: "未完成" is 未达成 although it holds
    完成, "基本完成" is 部分达成. Words that say nothing about achievement (有效, 长期, 持续, 全天候)
    give ""; an actual that repeats its target word for word is the scorer's call (T009)."""
    s = _SPACE_RE.sub("", str(text).translate(_FOLD)).rstrip("。.!！;；")
    if not s:
        return ""
    if s in _EXACT_GRADES:
        return _EXACT_GRADES[s]
    if _NEGATIVE_RE.search(s):
        return MISSED
    if _PARTIAL_RE.search(s):
        return PARTLY
    if _POSITIVE_RE.search(s):
        return ACHIEVED
    return ""


# --------------------------------------------------------------------------- normalising

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
_PERCENT_OF_RE = re.compile(r"百分之(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)")


def _percent_of(m: re.Match) -> str:
    n = m[1]
    return f"{n if n[0].isdigit() else chinese_to_int(n)}%"


@lru_cache(maxsize=65536)
def _normalise(text: str) -> str:
    """The working copy of a value: folded, without whitespace, percent words as "%"."""
    s = _SPACE_RE.sub("", text.translate(_FOLD))
    if "百分" in s:
        s = s.replace("(百分比)", "%").replace("百分比", "%").replace("百分点", "个百分点") \
             .replace("个个百分点", "个百分点")
        if "百分之" in s:
            s = _PERCENT_OF_RE.sub(_percent_of, s)
    if "%" in s:
        s = s.replace("(%)", "%")
        while "%%" in s:
            s = s.replace("%%", "%")
    return s


def chinese_to_int(text: str) -> int:
    """A Chinese numeral as an integer: 五十 -> 50, 一百二十 -> 120, 两 -> 2, 三千五百 -> 3500,
    十 -> 10, 一百零五 -> 105, 两万五 -> 25000, 二〇二一 -> 2021. Raises ValueError otherwise."""
    if not text or any(c not in _CN_NUMERAL for c in text):
        raise ValueError(f"“{text}”不是中文数字")
    if len(text) > 1 and all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    if "亿" in text:
        high, low = text.split("亿", 1)
        return chinese_to_int(high or "一") * 10**8 + (_colloquial_tail(low, 10**7) if low else 0)
    if "万" in text:
        high, low = text.split("万", 1)
        return _chinese_below_10000(high or "一") * 10**4 + (_colloquial_tail(low, 1000) if low else 0)
    return _chinese_below_10000(text)


def _colloquial_tail(low: str, scale: int) -> int:
    # "两万五" is 25,000: a lone digit after 万/亿 counts in the next lower unit.
    if len(low) == 1 and low in _CN_DIGITS and low not in "零〇":
        return _CN_DIGITS[low] * scale
    return chinese_to_int(low.lstrip("零〇")) if low.strip("零〇") else 0


def _chinese_below_10000(text: str) -> int:
    total, digit, last_unit = 0, None, 0
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
            if c in "零〇":
                last_unit = 0
        elif c in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[c]
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            raise ValueError(f"“{text}”不是中文数字")
    if digit is not None:
        # "三千五" is 3,500 and "一百二" 120: a trailing digit right after 千/百 counts in the next unit.
        total += digit * (last_unit // 10 if last_unit >= 100 else 1)
    return total


# --------------------------------------------------------------------------- dates

_Y = r"(?P<y>(?:19|20)\d{2})"
_PART = r"(?P<part>底|末|初|上旬|中旬|下旬|中|份)"
_DATE_FULL_RE = re.compile(
    _Y + r"(?:年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?|(?P<sep>[-./])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2})(?!\d))")
_DATE_YM_RE = re.compile(
    _Y + r"年度?(?:\d{1,2}月?(?:-|~|至|到))?(?P<m>\d{1,2})月" + _PART + "?")
_DATE_YM_SEP_RE = re.compile(
    r"(?<!\d)" + _Y + r"[-./](?P<m0>\d{1,2})(?:(?:-|~|至|到)(?:(?:19|20)\d{2}[-./])?(?P<m>\d{1,2}))?(?![\d.])")
_DATE_YEAR_RE = re.compile(
    r"(?:(?:19|20)\d{2}年?(?:-|~|至|到))?" + _Y
    + r"年度?(?P<part>底|末|内|中|上半年|下半年|第?[一二三四1-4]季度末?)?")
_DATE_MONTH_RE = re.compile(
    r"(?<![\d.年])(?:\d{1,2}月?(?:-|~|至|到))?(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日|" + _PART + ")?")
_DATE_WORD_RE = re.compile(
    r"(?P<word>年底|年末|年内|年度内|本年度内?|当年|年中|上半年|下半年|第?[一二三四1-4]季度末?)")
_DATE_PREFIX_RE = re.compile(
    r"(?:截至|截止|截止到|截至到|不晚于|不迟于|于|在|至|到|计划|计划于|预计|预计于|已于|已在|力争|争取|确保|原定|本)?")
_DATE_SUFFIX_RE = re.compile(
    r"(?:前|之前|以前|以内|之内|内|止|为止|后|以后|之后)?"
    r"(?:前?(?:全部|全面|如期|按时)?(?:完成|完工|竣工|验收|结束|到位|拨付|实施|开展|启动|执行|支付|执行完毕|"
    r"实施完毕|完成验收|完成招标|完成建设|完成任务|兑现|发放))?[。.]?")
_BY_RE = re.compile(r"^(?:前|之前|以前|以内|之内|内|止|为止)")
_AFTER_RE = re.compile(r"^(?:后|以后|之后)")
_QUARTERS = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}
_HAS_DIGIT_RE = re.compile(r"\d")


def _month_day(year: int, month: int, part: str | None) -> dt.date:
    if part in ("初", "上旬"):
        return dt.date(year, month, 10)
    if part in ("中", "中旬"):
        return dt.date(year, month, 20)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _period_end(year: int, word: str | None) -> dt.date:
    """The last day of 年底/年内/上半年/第三季度 … in ``year``."""
    if not word or word[0] in "底末内" or word.startswith(("年底", "年末", "年内", "年度", "本年", "当年")):
        return dt.date(year, 12, 31)
    if "上半年" in word or "年中" in word or word == "中":
        return dt.date(year, 6, 30)
    if "下半年" in word:
        return dt.date(year, 12, 31)
    if "季度" in word:
        month = _QUARTERS[word.lstrip("第")[0]]
        return _month_day(year, month, None)
    return dt.date(year, 12, 31)


def _date_comparator(prefix: str, suffix: str, word: str = "") -> str:
    if _BY_RE.match(suffix) or prefix.endswith(("截至", "截止", "截止到", "截至到", "不晚于", "不迟于")):
        return "<="
    if word.endswith("内"):
        return "<="
    if _AFTER_RE.match(suffix):
        return ">="
    return ""


def _strict_context(prefix: str, suffix: str) -> bool:
    return bool(_DATE_PREFIX_RE.fullmatch(prefix) and _DATE_SUFFIX_RE.fullmatch(suffix))


def _loose_context(prefix: str, suffix: str) -> bool:
    return (len(prefix) + len(suffix) <= 30 and not _HAS_DIGIT_RE.search(prefix)
            and not _HAS_DIGIT_RE.search(suffix))


def _parse_date(s: str, year: int | None = None) -> tuple[str, dt.date | None, str] | None:
    """(status, date, comparator) for a date or deadline text, status "ok" or "invalid"; None when the
    text is not a date. A text without a year gets ``year`` when given, else date None."""
    for regex, strict in ((_DATE_FULL_RE, False), (_DATE_YM_RE, False), (_DATE_YM_SEP_RE, True),
                          (_DATE_YEAR_RE, True)):
        m = regex.search(s)
        if m is None:
            continue
        prefix, suffix = s[:m.start()], s[m.end():]
        if not (_strict_context(prefix, suffix) if strict else _loose_context(prefix, suffix)):
            continue
        groups = m.groupdict()
        y = int(groups["y"])
        try:
            if regex is _DATE_FULL_RE:
                date = dt.date(y, int(groups["m"] or groups["m2"]), int(groups["d"] or groups["d2"]))
            elif regex is _DATE_YEAR_RE:
                date = _period_end(y, groups["part"])
            else:
                month = int(groups.get("m") or groups.get("m0"))
                date = _month_day(y, month, groups.get("part"))
        except ValueError:
            if regex is _DATE_YM_SEP_RE:
                return None  # "2021.13" is a number, not a month
            return "invalid", None, ""
        return "ok", date, _date_comparator(prefix, suffix, groups.get("part") or "")
    for regex in (_DATE_MONTH_RE, _DATE_WORD_RE):
        m = regex.search(s)
        if m is None:
            continue
        prefix, suffix = s[:m.start()], s[m.end():]
        if not _strict_context(prefix, suffix):
            continue
        groups = m.groupdict()
        if regex is _DATE_WORD_RE:
            word = groups["word"]
            date = _period_end(year, word) if year else None
            return "ok", date, _date_comparator(prefix, suffix, word)
        month = int(groups["m"])
        day = int(groups["d"]) if groups.get("d") else None
        if not 1 <= month <= 12:
            return None
        date = None
        if year:
            try:
                date = dt.date(year, month, day) if day else _month_day(year, month, groups.get("part"))
            except ValueError:
                return "invalid", None, ""
        elif day and day > calendar.monthrange(2000, month)[1]:
            return "invalid", None, ""
        return "ok", date, _date_comparator(prefix, suffix)
    return None


_DATE_HINT_RE = re.compile(r"\d(?:年|月)|(?:19|20)\d{2}[-./]\d|年底|年末|年内|年度内|本年度|当年|年中|半年|季度")


def deadline_of(value: Value, year: int | None) -> dt.date | None:
    """The date a "date" value stands for, using ``year`` (the form's year) when its text names none:
    "12月底之前完成" with 2021 -> 2021-12-31, "年底前" -> 2021-12-31, "第三季度" -> 2021-09-30.
    None when the value is not a date or no date can be derived."""
    if value.date is not None:
        return value.date
    if value.kind != "date" or not year:
        return None
    found = _parse_date(_normalise(value.text), year)
    return found[1] if found and found[0] == "ok" else None


# --------------------------------------------------------------------------- numbers

_PRE_WORDS = {
    "大于或等于": ">=", "大于等于": ">=", "高于或等于": ">=", "不低于": ">=", "不少于": ">=", "不小于": ">=",
    "不得低于": ">=", "不得少于": ">=", "至少": ">=", "最少": ">=", "最低": ">=", "达到": ">=", "达": ">=",
    "大于": ">", "高于": ">", "超过": ">", "多于": ">", "超出": ">",
    "小于或等于": "<=", "小于等于": "<=", "低于或等于": "<=", "不超过": "<=", "不高于": "<=", "不大于": "<=",
    "不多于": "<=", "不得超过": "<=", "不得高于": "<=", "最多": "<=", "至多": "<=", "最高": "<=",
    "控制在": "<=",
    "小于": "<", "低于": "<", "少于": "<", "不足": "<", "不到": "<",
    "等于": "=",
}
_SYMBOLS = {">=": ">=", "=>": ">=", "≥": ">=", "≥=": ">=", "<=": "<=", "=<": "<=", "≤": "<=",
            "≤=": "<=", ">": ">", "<": "<", "=": "=", "==": "="}
_SUFFIX_WORDS = {"及以上": ">=", "或以上": ">=", "以上": ">=", "及以下": "<=", "或以下": "<=",
                 "以下": "<=", "以内": "<=", "之内": "<=", "内": "<="}
_MULTIPLIERS = {"百万": Decimal(10**6), "千万": Decimal(10**7), "万亿": Decimal(10**12),
                "亿": Decimal(10**8), "万": Decimal(10**4), "千": Decimal(1000)}
_NEAR_WORDS = ("近", "将近", "接近")


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_PRE = _alternation(_PRE_WORDS)
_SYM = r">=|=>|≥=?|<=|=<|≤=?|>|<|==?"
_APPROX_PRE = r"大约|约为|约合|大概|将近|接近|约|近|逾|≈"
_ARABIC = r"\d+(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+"
_CN = r"[零〇一二两三四五六七八九十百千][零〇一二两三四五六七八九十百千万亿]*"
_MULT = r"百万|千万|万亿|亿|万|千(?![米克瓦卡帕伏赫焦])"
_UNIT_CHARS = r"A-Za-z\u4e00-\u9fff/·°℃²³"
_SUF = _alternation(_SUFFIX_WORDS)
_POST = r"左右|上下|许|\+"
_TAIL = (r"完成|已完成|全部完成|全面完成|按时完成|及时完成|覆盖|全覆盖|达标|达成|合格|到位|落实|实现|兑现|"
         r"执行|发放|拨付|通过|之间|的标准|标准|为宜|即可")

_NUMBER_RE = re.compile(
    r"(?P<label>(?:(?:19|20)\d{2}年度?)?[^\d<>=≥≤~%]{0,24}?)"
    rf"(?P<pre>{_PRE})?(?P<sym>{_SYM})?(?P<apx>{_APPROX_PRE})?"
    rf"(?P<sign>[+-])?(?P<num>{_ARABIC})"
    rf"(?:(?P<u1>%)?(?P<rsep>-|~|至|到)(?P<num2>{_ARABIC}))?"
    rf"(?P<yu>余|多|来)?(?P<mult>{_MULT})?(?P<yu2>余|多)?"
    rf"(?P<unit>%|‰|[{_UNIT_CHARS}]{{0,12}}?)"
    r"(?P<paren>\([^()]*\))?"
    rf"(?P<post>{_POST})?(?P<suf>{_SUF})?(?P<post2>{_POST})?(?P<tail>{_TAIL})?"
    r"[)\].。,;!]*")

_CN_NUMBER_RE = re.compile(
    rf"(?P<pre>{_PRE})?(?P<sym>{_SYM})?(?P<apx>{_APPROX_PRE})?"
    rf"(?P<num>{_CN})(?:(?P<rsep>至|到|-|~)(?P<num2>{_CN}))?"
    rf"(?P<yu>余|多|来)?(?P<yu2>余|多)?"
    rf"(?P<unit>[{_UNIT_CHARS}]{{0,6}}?)"
    rf"(?P<post>{_POST})?(?P<suf>{_SUF})?(?P<post2>{_POST})?(?P<tail>{_TAIL})?[。.]*")

# Measure words a number may carry when it is read out of free text or written in Chinese numerals.
MEASURE_WORDS: frozenset[str] = frozenset({
    "个百分点", "个工作日", "工作日", "平方公里", "平方千米", "平方米", "立方米", "千瓦时", "人次", "户次",
    "家次", "场次", "批次", "车次", "架次", "课时", "学时", "小时", "分钟", "公里", "千米", "公顷", "公斤",
    "千克", "个月", "万元", "元", "%", "‰",
    "个", "次", "场", "家", "人", "名", "位", "份", "件", "项", "所", "户", "篇", "期", "批", "座", "台", "套",
    "条", "本", "册", "处", "间", "张", "辆", "艘", "株", "棵", "头", "只", "亩", "米", "吨", "天", "日",
    "周", "月", "年", "秒", "节", "轮", "届", "支", "队", "组", "栋", "幢", "层", "段", "村", "部", "集",
    "首", "幅", "块", "片", "根", "盏", "箱", "包", "袋", "起", "宗", "笔", "单", "例", "床", "分", "点",
    "门", "类", "种", "遍", "回", "趟", "餐", "班",
})
_MEASURE = _alternation(MEASURE_WORDS)
_LOOSE_RE = re.compile(
    rf"(?P<pre>{_PRE})?(?P<sym>{_SYM})?(?P<apx>{_APPROX_PRE})?"
    rf"(?<![\d.])(?P<num>{_ARABIC})(?![\d.])"
    rf"(?P<yu>余|多)?(?P<mult>{_MULT})?(?P<yu2>余|多)?(?P<unit>{_MEASURE})?"
    rf"(?P<post>{_POST})?(?P<suf>{_SUF})?(?P<post2>{_POST})?")
_NUMBER_TOKEN_RE = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?")
# Years, dates and ordinals (第3批) are words in free text, not the value's number.
_DATE_TOKEN_RE = re.compile(
    r"(?:19|20)\d{2}(?:年度?|[-./])(?:\d{1,2}(?:月|[-./])?(?:\d{1,2}日?)?)?|\d{1,2}月(?:\d{1,2}日)?|第\d+")
_SERVICE_HOURS_RE = re.compile(r"7[×xX*]24")
_PAREN_UNIT_RE = re.compile(rf"(?P<mult>{_MULT})?(?P<unit>%|‰|[{_UNIT_CHARS}]{{1,6}})")
_PER_RE = re.compile(r"每个?(季度|街道|社区|乡镇|学期|年度|项目|企业|学校|单位|[\u4e00-\u9fff])")
_COMPLETION_RE = re.compile(r"完成(?!率)")
_QUALIFIER_RE = re.compile(r"左右|上下|以上|以下|以内|之内|内|余|多")


class _Reading(NamedTuple):
    """What the number grammar found, before it becomes a Value."""

    number: float
    unit: str
    comparator: str
    approximate: bool
    notes: tuple[str, ...]


def _decimal_of(numeral: str) -> Decimal:
    if numeral[0] in _CN_NUMERAL:
        return Decimal(chinese_to_int(numeral))
    return Decimal(numeral.replace(",", ""))


def _comparator_of(g: dict, actual: bool, notes: list[str]) -> str:
    """The comparator as written: a symbol, else a prefix word, else a suffix word."""
    sym, pre, suf = g["sym"], g["pre"], g["suf"]
    if not (sym or pre or suf):
        return ""
    if actual and pre in ("达到", "达"):
        pre = ""  # in an actual 达到 states what was reached
    found = [c for c in (_SYMBOLS.get(sym, ""), _PRE_WORDS.get(pre, ""), _SUFFIX_WORDS.get(suf, "")) if c]
    if not found:
        return ""
    if len({c[0] for c in found if c[0] in "<>"}) > 1:
        notes.append(NOTE_COMPARATOR_CONFLICT.format(found[0]))
    return found[0]


def _approximate_of(g: dict, notes: list[str]) -> bool:
    more, apx = g["yu"] or g["yu2"], g["apx"]
    if apx in _NEAR_WORDS and more in ("余", "多"):
        notes.append(NOTE_NEAR_AND_MORE.format(more))
    return bool(apx or more or g["post"] or g["post2"])


def _measure_of(unit: str) -> str | None:
    """"次宣传活动" -> "次", "家金融机构" -> "家": the measure word of a unit followed by a noun.
    Units on 个 ("个防非处非工作专班", "个季度") and counted units (台次, 件次) are kept whole. None when
    the words after the measure word qualify the number ("次左右的活动"): that is free text."""
    if len(unit) < 3 or not all("\u4e00" <= c <= "\u9fff" for c in unit):
        return unit
    if _QUALIFIER_RE.search(unit):
        return None
    if unit[0] == "个":
        return unit
    for size in range(min(len(unit) - 1, 4), 0, -1):
        head, rest = unit[:size], unit[size:]
        if head in MEASURE_WORDS:
            return unit if rest.startswith("次") else head
    return unit


def _reading_of(g: dict, *, cost: bool, actual: bool, chinese: bool) -> _Reading | None:
    """Turn a grammar match (groupdict with "" defaults) into a reading; None when the match is not
    a credible number."""
    unit, label, num, num2 = g["unit"], g.get("label", ""), g["num"], g.get("num2", "")
    mult_word = g.get("mult", "")
    if label.endswith("第"):
        return None  # 第3批 is an ordinal
    if chinese:
        if num.endswith("千") and unit[:1] in ("米", "克", "瓦"):
            num, unit = num[:-1] or "一", "千" + unit  # 五千米 reads like 5千米
        if unit and unit not in MEASURE_WORDS:
            return None
        if not unit and not (g["pre"] or g["sym"]) and len(num) == 1 and num not in "十百千":
            return None  # a lone 一/二 is a word, not a value
    paren = g.get("paren", "")
    if paren and not unit:
        pm = _PAREN_UNIT_RE.fullmatch(paren[1:-1])
        if pm:
            unit, mult_word = pm["unit"], pm["mult"] or mult_word
    if not unit and g.get("u1") == "%":
        unit = "%"
    if unit == "百分点":
        unit = "个百分点"
    elif len(unit) > 2:
        unit = _measure_of(unit)
        if unit is None:
            return None
    notes: list[str] = []
    try:
        if mult_word or num2 or chinese or "," in num:
            # Decimal keeps 6.76万 at 67600 (6.76 * 10000 is 67600.00000000001 in floats)
            value = _decimal_of(num)
            if num2:
                low, high = sorted((value, _decimal_of(num2)))
                value = high if cost else low
                bound = f"{format_number(float(value))}{mult_word}{unit}"
                notes.append(NOTE_RANGE.format("上限" if cost else "下限", bound))
            number = float(value * _MULTIPLIERS[mult_word]) if mult_word else float(value)
        else:
            number = float(num)
    except (ValueError, InvalidOperation):
        return None
    if not math.isfinite(number):
        return None
    if g.get("sign") == "-":
        number = -number
    if unit and "每" in label and "/" not in unit:
        unit = unit + "/" + "·".join(_PER_RE.findall(label))
    comparator = _comparator_of(g, actual, notes)
    approximate = _approximate_of(g, notes)
    if actual:
        if comparator:
            notes.append(NOTE_ACTUAL_COMPARATOR)
        if unit == "%" and ("完成" in g.get("tail", "") or _COMPLETION_RE.search(label)):
            notes.append(NOTE_PERCENT_DONE)
    elif cost and not comparator:
        notes.append(NOTE_COST_NO_COMPARATOR)
    return _Reading(number, unit, comparator, approximate, tuple(notes))


def _read_number(s: str, *, cost: bool, actual: bool) -> _Reading | None:
    """The anchored grammar: Arabic numbers with a label, or Chinese numerals standing alone."""
    if _HAS_DIGIT_RE.search(s):
        if len(s) <= 60:
            m = _NUMBER_RE.fullmatch(s)
            if m is not None:
                return _reading_of(m.groupdict(""), cost=cost, actual=actual, chinese=False)
        return None
    if len(s) <= 20 and any(c in _CN_NUMERAL for c in s):
        m = _CN_NUMBER_RE.fullmatch(s)
        if m is not None:
            return _reading_of(m.groupdict(""), cost=cost, actual=actual, chinese=True)
    return None


def _read_loose(s: str, *, cost: bool, actual: bool) -> _Reading | str | None:
    """One number read out of free text; "many" when the text holds several; None when none."""
    blanked = _DATE_TOKEN_RE.sub("※", s)
    tokens = _NUMBER_TOKEN_RE.findall(blanked)
    if not tokens:
        return None
    if len(tokens) > 1:
        return "many"
    m = _LOOSE_RE.search(blanked)
    if m is None:
        return "many"
    reading = _reading_of(m.groupdict(""), cost=cost, actual=actual, chinese=False)
    if reading is None:
        return "many"
    return reading._replace(notes=(NOTE_FROM_TEXT, *reading.notes))


# --------------------------------------------------------------------------- values

def parse_value(raw: object, cell: str = "", *, cost: bool = False, actual: bool = False) -> Value:
    """Parse 年度指标值 (actual=False) or 实际完成值 (actual=True) into perfeval.model.Value.

    Never raises: what cannot be read is "qualitative" (no number, grade "" when no known word) or
    "unparsed" (numbers that cannot be told apart), and the scorer asks for a manual score.
    ``cost`` marks a 成本 indicator's target (a note when it has no comparator)."""
    if isinstance(raw, str):
        text = raw.strip(_STRIP)
        return Value(text, cell, *_parse_text(text, cost, actual))
    if raw is None:
        return Value(cell=cell)
    if isinstance(raw, bool):
        text = clean_text(raw)
        return Value(text=text, cell=cell, kind="qualitative", grade=grade_of_text(text))
    if isinstance(raw, (numbers.Real, Decimal)):
        x = float(raw)
        if math.isnan(x):
            return Value(cell=cell)
        text = clean_text(x)
        if not math.isfinite(x):
            return Value(text=text, cell=cell, kind="unparsed", notes=(NOTE_BAD_NUMBER,))
        notes = (NOTE_COST_NO_COMPARATOR,) if cost and not actual else ()
        return Value(text=text, cell=cell, kind="number", number=float(f"{x:.12g}"), notes=notes)
    if isinstance(raw, (dt.datetime, dt.date)):
        text = clean_text(raw)
        if not text:
            return Value(cell=cell)
        day = raw.date() if isinstance(raw, dt.datetime) else raw
        return Value(text=text, cell=cell, kind="date", date=day)
    if is_empty(raw):
        return Value(cell=cell)
    text = clean_text(raw)
    return Value(text, cell, *_parse_text(text, cost, actual))


# The fields of Value after text and cell, in declaration order: (kind, comparator, number, unit,
# approximate, date, grade, notes). The cached core returns them as a tuple so that one Value is
# built per call; dataclasses.replace on a frozen Value costs several times more.
_Fields = tuple[str, str, float | None, str, bool, "dt.date | None", str, tuple[str, ...]]
_EMPTY: _Fields = ("empty", "", None, "", False, None, "", ())


def _qualitative(text: str) -> _Fields:
    return ("qualitative", "", None, "", False, None, grade_of_text(text), ())


def _unparsed(note: str) -> _Fields:
    return ("unparsed", "", None, "", False, None, "", (note,))


@lru_cache(maxsize=65536)
def _parse_text(text: str, cost: bool, actual: bool) -> _Fields:
    """The text-only core of parse_value, cached: the same strings recur in every form."""
    s = _normalise(text)
    if s in EMPTY_MARKERS or s[0] in _MARKER_CHARS and all(c in _MARKER_CHARS for c in s) \
            or s.casefold() in EMPTY_MARKERS:
        return _EMPTY  # "#N/A" too: staff type it for 不适用
    if text in FORMULA_ERRORS:
        return _unparsed(NOTE_FORMULA_ERROR)
    if _SERVICE_HOURS_RE.search(s):
        return _qualitative(text)
    if _DATE_HINT_RE.search(s):
        found = _parse_date(s)
        if found is not None:
            status, date, comparator = found
            if status == "invalid":
                return _unparsed(NOTE_BAD_DATE)
            return ("date", comparator, None, "", False, date, "", ())
    reading = _read_number(s, cost=cost, actual=actual)
    if reading is None and _HAS_DIGIT_RE.search(s):
        reading = _read_loose(s, cost=cost, actual=actual)
        if reading == "many":
            return _unparsed(NOTE_MANY_NUMBERS)
    if isinstance(reading, _Reading):
        return ("number", reading.comparator, reading.number, reading.unit, reading.approximate, None, "",
                reading.notes)
    return _qualitative(text)


# --------------------------------------------------------------------------- comparing

# unit -> (base unit, factor to the base)
_CONVERSIONS = {
    "米": ("米", 1.0), "m": ("米", 1.0), "公里": ("米", 1000.0), "千米": ("米", 1000.0), "km": ("米", 1000.0),
    "克": ("克", 1.0), "g": ("克", 1.0), "千克": ("克", 1000.0), "公斤": ("克", 1000.0), "kg": ("克", 1000.0),
    "吨": ("克", 1e6), "t": ("克", 1e6), "斤": ("克", 500.0),
    "平方米": ("平方米", 1.0), "平米": ("平方米", 1.0), "m2": ("平方米", 1.0), "m²": ("平方米", 1.0),
    "公顷": ("平方米", 1e4), "亩": ("平方米", 10000 / 15), "平方公里": ("平方米", 1e6),
    "平方千米": ("平方米", 1e6), "km2": ("平方米", 1e6), "km²": ("平方米", 1e6),
    "秒": ("分钟", 1 / 60), "分钟": ("分钟", 1.0), "min": ("分钟", 1.0), "小时": ("分钟", 60.0),
    "h": ("分钟", 60.0), "天": ("分钟", 1440.0), "日": ("分钟", 1440.0), "周": ("分钟", 10080.0),
    "千瓦时": ("千瓦时", 1.0), "kwh": ("千瓦时", 1.0), "万千瓦时": ("千瓦时", 1e4),
}
_SYNONYMS = {"％": "%", "百分比": "%", "百分点": "个百分点", "名": "人", "位": "人", "日": "天", "个月": "月",
             "㎡": "平方米", "立方": "立方米", "方": "立方米", "m3": "立方米", "m³": "立方米"}
_COUNTED_AGAIN = ("次", "/")  # 人 vs 人次, 元 vs 元/人: not the same unit


def _canonical_unit(unit: str) -> str:
    u = _SPACE_RE.sub("", unit.translate(_FOLD)).replace("·", "/")
    u = u.casefold() if u.isascii() else u
    return _SYNONYMS.get(u, u)


@lru_cache(maxsize=8192)
def _multiplier_in(text: str) -> float:
    m = re.search(rf"\d(?:余|多)?({_MULT})", _normalise(text))
    return float(_MULTIPLIERS[m[1]]) if m else 1.0


def _percent_scale(percent: float, other: float) -> float:
    """100 when ``other`` (unit-less) looks like a fraction of the percentage ``percent``, else 1."""
    if abs(other) <= 1 and abs(percent) > 1:
        return 100.0
    if 1 < abs(other) <= 2 and abs(percent) >= 50:
        return 100.0  # 1.2 against ≥95%: 120% stored as a fraction
    return 1.0


def _nearer_scale(target: float, actual: float, scale: float) -> float:
    """1 or ``scale``, whichever puts ``actual`` nearer ``target`` (both as magnitudes)."""
    if target <= 0 or actual <= 0:
        return 1.0
    plain = abs(math.log(actual / target))
    scaled = abs(math.log(actual * scale / target))
    return scale if scaled < plain else 1.0


def _same_measure(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    if not short or not long.startswith(short):
        return False
    rest = long[len(short):]
    if rest == "/年":
        return True  # 次/年 vs 次: the form covers one year
    return not rest.startswith(_COUNTED_AGAIN) and all("\u4e00" <= c <= "\u9fff" for c in rest)


def comparable(target: Value, actual: Value) -> tuple[float, float, str] | None:
    """Both numbers in one unit, plus that unit, or None when the units cannot be reconciled
    (家 vs 人). Handles 万元 vs 元 (already normalised by the multiplier), a unit-less actual taking the
    target's unit, percentages stored as fractions (target "≥95%", actual 0.98 or "0.98" -> 98 vs 95),
    units with trailing qualifiers that are the same unit (家 vs 家企业; not 人 vs 人次)."""
    if target.number is None or actual.number is None:
        return None
    if target.kind != "number" or actual.kind != "number":
        return None
    t, a = target.number, actual.number
    tu, au = _canonical_unit(target.unit), _canonical_unit(actual.unit)
    if not tu and not au:
        return t, a, ""
    if not au:
        if tu == "%":
            a *= _percent_scale(t, a)
        elif _multiplier_in(target.text) > 1 and _multiplier_in(actual.text) == 1:
            a *= _nearer_scale(t, a, _multiplier_in(target.text))
        return t, a, target.unit
    if not tu:
        if au == "%":
            t *= _percent_scale(a, t)
        elif _multiplier_in(actual.text) > 1 and _multiplier_in(target.text) == 1:
            t *= _nearer_scale(a, t, _multiplier_in(actual.text))
        return t, a, actual.unit
    if tu == au:
        return t, a, target.unit
    if tu in _CONVERSIONS and au in _CONVERSIONS:
        (t_base, t_factor), (a_base, a_factor) = _CONVERSIONS[tu], _CONVERSIONS[au]
        if t_base == a_base:
            return t, a * a_factor / t_factor, target.unit
        return None
    if _same_measure(tu, au):
        return t, a, target.unit
    return None
