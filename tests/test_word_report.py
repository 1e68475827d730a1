"""The Word report: written for the sample batch, read back with python-docx, checked by content."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from perfeval.model import Batch, UnitInfo, Value
from perfeval.word_report import write_report
from tests.office import run_soffice

GOLDEN = Path(__file__).parent / "golden" / "word_report_sample.txt"
THEME_ATTRIBUTES = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")
LEVEL1 = ["一、项目支出基本情况", "二、绩效评价工作情况", "三、项目支出主要绩效", "四、存在的问题",
          "五、有关建议", "六、其他需要说明的问题", "附件：项目支出绩效自评表"]
CN = "一二三四五六七八九十"
HEADING_NUMBER = {
    "Heading 1": re.compile(f"^([{CN}]+)、"),
    "Heading 2": re.compile(f"^（([{CN}]+)）"),
    "Heading 3": re.compile(r"^(\d+)\."),
    "Heading 4": re.compile(r"^（(\d+)）"),
}


def write(tmp_path: Path, batch: Batch, name: str = "绩效自评报告.docx"):
    path = tmp_path / name
    write_report(batch, path)
    return docx.Document(str(path))


@pytest.fixture
def report(tmp_path, batch):
    return write(tmp_path, batch)


def cell_text(tc) -> str:
    return " / ".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))


def table_rows(table) -> list[list[str]]:
    """Each row's cells as stored: a cell spanning columns counts once, a merged-down cell is ""."""
    return [[cell_text(tc) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]


def report_lines(document) -> list[str]:
    """The whole body, in order: "<style>｜<text>" per paragraph, "表格｜a｜b…" per table row."""
    lines = []
    for block in document.element.body.iterchildren():
        if block.tag == qn("w:p"):
            p = Paragraph(block, document)
            lines.append(f"{p.style.name}｜{p.text}".replace("\n", "↵"))
        elif block.tag == qn("w:tbl"):
            lines += ["表格｜" + "｜".join(cell_text(tc) for tc in tr.tc_lst) for tr in block.tr_lst]
    return lines


def all_text(document) -> str:
    return "\n".join(line.split("｜", 1)[1] for line in report_lines(document))


def headings(document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]


def section_paragraphs(document, heading: str) -> list[str]:
    """The body paragraphs between a 一级 heading and the next one."""
    texts, inside = [], False
    for p in document.paragraphs:
        if p.style.name == "Heading 1":
            inside = p.text == heading
        elif inside:
            texts.append(p.text)
    return texts


# --- Content ----------------------------------------------------------------------------------------

def test_title_names_the_unit_and_the_year(report):
    first = report.paragraphs[0]
    assert first.style.name == "Title"
    assert first.text == "长沙市开福区金融事务中心\n2021年度项目支出绩效自评报告"  # breaks after the unit name


def test_outline_headings_in_order(report):
    found = headings(report)
    assert [text for style, text in found if style == "Heading 1"] == LEVEL1
    under_first = []
    for style, text in found:
        if style == "Heading 1" and text != LEVEL1[0]:
            break
        if style == "Heading 2":
            under_first.append(text)
    assert under_first == ["（一）项目支出资金概况", "（二）项目绩效目标情况", "（三）资金使用管理情况"]
    assert ("Heading 3", "2.打非案件司法鉴定中介费") in found


def test_heading_numbers_run_in_sequence_at_every_level(report):
    expected = {level: 0 for level in HEADING_NUMBER}
    order = list(HEADING_NUMBER)
    for style, text in headings(report):
        if text.startswith("附件"):
            continue
        match = HEADING_NUMBER[style].match(text)
        assert match, f"{style} 未按规定编号：{text}"
        number = match.group(1)
        value = CN.index(number) + 1 if number in CN else int(number)
        expected[style] += 1
        assert value == expected[style], f"编号不连续：{text}"
        for deeper in order[order.index(style) + 1:]:
            expected[deeper] = 0


def test_headings_are_outline_levels(report):
    for level in range(1, 5):
        style = report.styles[f"Heading {level}"]
        assert style.element.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == str(level - 1)


def test_totals_sentence(report):
    body = section_paragraphs(report, "一、项目支出基本情况")
    sentence = next(t for t in body if t.startswith("2021年我单位项目支出预算共"))
    assert sentence == ("2021年我单位项目支出预算共166.70万元，包含项目2个，实际支出42.25万元，"
                        "预算执行率25.34%。具体情况如下：")
    assert "表1 项目支出资金概况表" in body
    unit = body[body.index("表1 项目支出资金概况表") + 1]
    assert unit == "金额单位：万元"


def test_funds_overview_table(report):
    rows = table_rows(report.tables[0])
    assert rows[0] == ["项目名称", "项目类型", "资金用途、使用方向", "预算金额", "支出金额", "执行率"]
    assert rows[1] == ["", "", "", "指标总额", "其中：区级资金", "支出总额", "其中：区级资金", ""]
    assert rows[2] == ["（公共）打击和处置非法集资专项工作经费", "经常性", "用于维护打非领导小组及成员单位工作运转",
                       "81.20", "81.20", "40.88", "40.88", "50.34%"]
    assert rows[3] == ["打非案件司法鉴定中介费", "经常性", "用于打非案件鉴定工作", "85.50", "85.50", "1.37", "1.37",
                       "1.60%"]
    assert rows[4] == ["合计", "166.70", "166.70", "42.25", "42.25", "25.34%"]
    spans = [tc.grid_span for tc in report.tables[0]._tbl.tr_lst[0].tc_lst]
    assert spans == [1, 1, 1, 2, 2, 1]


def test_score_table_shows_unscored_project_with_reason(report):
    rows = table_rows(report.tables[1])
    assert rows[0][:4] == ["序号", "项目名称", "执行率", "预算执行得分"]
    assert rows[1][4:7] == ["产出", "效益", "满意度"]
    assert rows[2] == ["1", "（公共）打击和处置非法集资专项工作经费", "50.34%", "5.03", "50.00", "30.00", "10.00",
                       "95.03", "优"]
    assert rows[3][:3] == ["2", "打非案件司法鉴定中介费", "1.60%"]
    assert rows[3][-1] == "未评分（指标分值合计不等于90分）"


def test_goals_and_target_versus_actual_sentences(report):
    text = all_text(report)
    assert "年度计划：大型集中宣传活动≥50次；“七进”集中宣讲活动≥750次；" in text
    assert "大型集中宣传活动：目标≥50次，实际完成60余次，完成率120.00%，得25.00分。" in text
    assert "该项目全年预算数85.50万元，全年执行数1.37万元，预算执行率1.60%。因指标分值合计不等于90分，该项目未评分。" in text


def test_problems_name_the_low_execution_and_the_missed_target(report):
    problems = section_paragraphs(report, "四、存在的问题")
    assert problems[0] == "“打早打小”受制约。"  # the unit's own text comes first, as written
    low = next(t for t in problems if "执行率偏低" in t)
    assert low.startswith("1.")
    assert "打非案件司法鉴定中介费（全年预算数85.50万元，全年执行数1.37万元，执行率1.60%）" in low
    missed = next(t for t in problems if "未完成年度目标" in t)
    assert "完成鉴定案件数目标≥3件，实际完成0件" in missed
    assert not any("超过目标值" in t or "及以上，且未说明偏差原因" in t for t in problems)
    suggestions = section_paragraphs(report, "五、有关建议")
    assert suggestions[0] == "强化宣传教育。"
    assert [t[:2] for t in suggestions[1:]] == ["1.", "2.", "3."]
    assert section_paragraphs(report, "六、其他需要说明的问题") == ["无"]


def test_annex_redraws_each_form(report):
    annex = report.tables[2]
    rows = table_rows(annex)
    assert rows[0] == ["项目名称", "（公共）打击和处置非法集资专项工作经费"]
    assert rows[3] == ["", "年度资金总额", "81.20", "81.20", "40.88", "10", "50.34%", "5.03"]
    indicator = next(r for r in rows if "大型集中宣传活动" in r)
    assert indicator == ["", "产出指标", "数量指标", "大型集中宣传活动", "≥50次", "60余次", "25", "25.00", "25.00", "—"]
    assert rows[-1] == ["总分", "100", "95.03", "95.03", "等级：优"]
    assert table_rows(report.tables[3])[-1] == ["总分", "100", "50.16", "未评分", "指标分值合计不等于90分"]
    annex_heading = next(p for p in report.paragraphs if p.text == "附件：项目支出绩效自评表")
    assert annex_heading._p.pPr.find(qn("w:pageBreakBefore")) is not None


def test_text_has_no_placeholders_or_english(report):
    text = all_text(report)
    for bad in ("None", "nan", "NaN", "近…余", "为家"):
        assert bad not in text
    assert re.findall(r"[A-Za-z]", text) == []
    assert "..." not in text and "{" not in text


def test_golden_text(report):
    lines = report_lines(report)
    if os.environ.get("PERFEVAL_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8").splitlines()
    diff = "\n".join(difflib.unified_diff(expected, lines, "golden", "written", lineterm=""))
    assert lines == expected, f"与 {GOLDEN.name} 不一致（PERFEVAL_REGEN_GOLDEN=1 重新生成）：\n{diff}"


# --- Variants ---------------------------------------------------------------------------------------

def with_over_achievement(batch: Batch, unit: UnitInfo) -> Batch:
    """The first project's 60余次 becomes 70余次 against ≥50次 (140%), with no deviation note."""
    first = batch.results[0]
    score = first.indicators[0]
    actual = dataclasses.replace(score.indicator.actual, text="70余次", number=70.0)
    indicator = dataclasses.replace(score.indicator, actual=actual)
    score = dataclasses.replace(score, indicator=indicator, ratio=1.4,
                                explanation="70余次 ≥ 50次，完成率140.00%，得满分25分")
    first = dataclasses.replace(first, indicators=(score, *first.indicators[1:]))
    return dataclasses.replace(batch, results=(first, *batch.results[1:]), unit=unit)


def test_findings_continue_the_units_own_numbering(tmp_path, batch):
    unit = dataclasses.replace(batch.unit, problems="1、“打早打小”受制约。\n2、案件侦办移诉时间跨度长。",
                               suggestions="1、强化宣传教育。\n2、强化排查整治。\n3、强化案件查办。")
    document = write(tmp_path, with_over_achievement(batch, unit))
    problems = section_paragraphs(document, "四、存在的问题")
    assert problems[:2] == ["1.“打早打小”受制约。", "2.案件侦办移诉时间跨度长。"]
    assert [t[:2] for t in problems[2:]] == ["3.", "4.", "5.", "6."]
    over = problems[4]
    assert "达到目标值的130%及以上" in over
    assert "（公共）打击和处置非法集资专项工作经费的大型集中宣传活动目标≥50次，实际完成70余次，完成率140.00%" in over
    suggestions = section_paragraphs(document, "五、有关建议")
    assert [t[:2] for t in suggestions[3:]] == ["4.", "5.", "6.", "7."]
    assert suggestions[5].startswith("6.科学设定绩效目标")


def test_generated_narrative_without_unit_sheet(tmp_path, batch):
    bare = dataclasses.replace(batch, unit=UnitInfo(), year=None)
    document = write(tmp_path, bare)
    assert document.paragraphs[0].text.replace("\n", "") == "长沙市开福区金融事务中心2021年度项目支出绩效自评报告"
    funds = section_paragraphs(document, "一、项目支出基本情况")
    assert "2021年，我单位2个项目全年预算数合计166.70万元，全年执行数合计42.25万元，预算执行率25.34%。" in funds
    assert "从资金来源看，当年财政拨款预算166.70万元、执行42.25万元；其中区级资金预算166.70万元、执行42.25万元。" in funds
    assert "分项目看，执行率低于60%的项目2个。" in funds
    work = "".join(section_paragraphs(document, "二、绩效评价工作情况"))
    assert "财预〔2020〕10号" in work and "预算执行率10分" in work and "产出指标50分" in work
    assert "90分（含）以上为优，80分（含）至90分为良，60分（含）至80分为中，60分以下为差" in work
    assert section_paragraphs(document, "四、存在的问题")[0].startswith("1.")
    assert section_paragraphs(document, "六、其他需要说明的问题") == ["无。"]
    assert re.findall(r"[A-Za-z]", all_text(document)) == []


def test_generated_text_drops_contradictory_approximation(tmp_path, batch):
    first = batch.results[0]
    score = first.indicators[0]
    actual = Value(text="近60余次", cell="F14", kind="number", number=60.0, unit="次", approximate=True)
    score = dataclasses.replace(score, indicator=dataclasses.replace(score.indicator, actual=actual))
    first = dataclasses.replace(first, indicators=(score, *first.indicators[1:]))
    document = write(tmp_path, dataclasses.replace(batch, results=(first, batch.results[1])))
    text = all_text(document)
    assert "大型集中宣传活动：目标≥50次，实际完成60余次" in text
    assert "实际完成近60余次" not in text


def test_input_text_with_markup_and_control_characters(tmp_path, batch):
    first = batch.results[0]
    project = dataclasses.replace(first.project, name="<专项>经费&\x0b宣传", fund_use="None")
    document = write(tmp_path, dataclasses.replace(batch, results=(dataclasses.replace(first, project=project),)))
    assert table_rows(document.tables[0])[2][:3] == ["<专项>经费&宣传", "经常性", "—"]
    assert "1.<专项>经费&宣传" in [p.text for p in document.paragraphs]


def test_empty_batch_still_writes_a_report(tmp_path, batch):
    document = write(tmp_path, dataclasses.replace(batch, results=()))
    assert [t for s, t in headings(document) if s == "Heading 1"] == LEVEL1
    assert "本年度我单位未报送项目支出绩效自评表。" in all_text(document)


def test_writes_atomically_without_leftovers(tmp_path, batch):
    (tmp_path / "绩效自评报告.docx").write_bytes(b"old")
    write(tmp_path, batch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["绩效自评报告.docx"]


def test_reports_of_one_process_share_nothing_but_the_template(tmp_path, batch):
    """The styled package is built once per process; each report still has its own body and properties."""
    other = dataclasses.replace(batch, unit=dataclasses.replace(batch.unit, name="长沙市开福区财政局"),
                                results=batch.results[1:])
    first, second = write(tmp_path, batch, "a.docx"), write(tmp_path, other, "b.docx")
    again = write(tmp_path, batch, "c.docx")
    assert second.core_properties.title == "长沙市开福区财政局2021年度项目支出绩效自评报告"
    assert second.core_properties.author == "长沙市开福区财政局"
    assert len(second.tables) == len(first.tables) - 1
    assert report_lines(again) == report_lines(first)
    assert again.core_properties.title == first.core_properties.title
    with zipfile.ZipFile(tmp_path / "b.docx") as package:
        names = package.namelist()
        assert package.testzip() is None
    assert names[0] == "[Content_Types].xml" and len(names) == len(set(names))
    assert {"word/document.xml", "docProps/core.xml", "word/styles.xml", "word/footer1.xml"} <= set(names)


def many_projects(batch: Batch, count: int) -> Batch:
    results = [dataclasses.replace(r, project=dataclasses.replace(r.project, name=f"{r.project.name}{n}"))
               for n in range(count) for r in batch.results]
    return dataclasses.replace(batch, results=tuple(results))


def test_large_report_is_written_as_it_is_built(tmp_path, batch):
    """A unit of thousands of projects (a city's batch with no unit folders) has hundreds of megabytes of
    document.xml: the body goes into the package as it is generated instead of being held, joined and
    copied (three times its size: 1.4 GB at 10,000 projects). What the report holds grows with the
    projects (their rows in the overview tables), but by a small part of what it writes."""
    import tracemalloc

    def written(copies: int) -> tuple[int, int]:
        path = tmp_path / f"{copies}.docx"
        tracemalloc.start()
        try:
            write_report(many_projects(batch, copies), path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        with zipfile.ZipFile(path) as package:
            assert package.testzip() is None
            return peak, package.getinfo("word/document.xml").file_size

    write(tmp_path, batch)  # the template, built once per process
    (small_peak, small_xml), (peak, xml) = written(60), written(260)
    assert xml - small_xml > 6 << 20
    assert peak - small_peak < (xml - small_xml) / 2, (small_peak, peak, small_xml, xml)
    document = docx.Document(str(tmp_path / "260.docx"))
    annex = [p.text for p in document.paragraphs if p.text.startswith("附表")]
    assert len(annex) == 260 * len(batch.results)
    assert annex[-1].startswith(f"附表{len(annex)} ")
    assert f"{batch.results[-1].project.name}259" in all_text(document)


def test_a_body_past_the_zip_limit_is_written_with_zip64(tmp_path, batch, monkeypatch):
    """document.xml goes into the package as it is generated, so its size is not known when its entry
    starts: a body past the zip format's 2 GiB without ZIP64 (very long texts, or some 40,000 projects) is
    written again with ZIP64 instead of failing the run when the entry closes. The limit is lowered here
    to the size of the sample's report, which reaches it the same way."""
    write(tmp_path, batch, "plain.docx")
    with zipfile.ZipFile(tmp_path / "plain.docx") as package:
        size = package.getinfo("word/document.xml").file_size
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", size // 2)
    large = write(tmp_path, batch, "large.docx")
    with zipfile.ZipFile(tmp_path / "large.docx") as package:
        assert package.testzip() is None
        assert package.getinfo("word/document.xml").file_size == size
        assert package.getinfo("word/document.xml").extract_version >= 45  # ZIP64
    assert report_lines(large) == report_lines(docx.Document(str(tmp_path / "plain.docx")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["large.docx", "plain.docx"]


def test_failed_report_leaves_the_previous_one(tmp_path, batch, monkeypatch):
    """A report that fails half-way through its body (written as it goes) leaves no partial file behind,
    and the previous report as it was."""
    from perfeval import word_report

    path = tmp_path / "绩效自评报告.docx"
    write_report(batch, path)
    before = path.read_bytes()

    def broken_annex(body, facts):
        for _ in range(3000):  # some megabytes, already on their way into the temporary file
            body.add("附件" * 500)
        partial = [p for p in tmp_path.iterdir() if p.name != path.name]
        assert len(partial) == 1 and partial[0].stat().st_size > len(before)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(word_report, "_add_annex", broken_annex)
    with pytest.raises(OSError):
        write_report(many_projects(batch, 30), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["绩效自评报告.docx"]


def test_spaces_line_breaks_and_markup_in_input_text(tmp_path, batch):
    first = batch.results[0]
    project = dataclasses.replace(first.project, name="  宣传  经费 & <培训> ",
                                  achievement="第一行\r\n\r\n  第二行  有空格\r第三行")
    document = write(tmp_path, dataclasses.replace(batch, results=(dataclasses.replace(first, project=project),)))
    assert table_rows(document.tables[0])[2][0] == "宣传  经费 & <培训>"
    texts = [p.text for p in document.paragraphs]
    assert "1.宣传  经费 & <培训>" in texts
    assert "第一行。" in texts and "第二行  有空格。" in texts and "第三行。" in texts
    annex = table_rows(document.tables[2])
    achieved = next(r for r in annex if r[0] == "" and "第一行" in r[-1])
    assert achieved[-1] == "第一行 /  /   第二行  有空格 / 第三行"  # a cell keeps its lines as written


# --- Format (GB/T 9704-2012) ------------------------------------------------------------------------

def test_page_is_a4_with_official_margins(report):
    section = report.sections[0]
    for value, mm in ((section.page_width, 210), (section.page_height, 297), (section.top_margin, 37),
                      (section.bottom_margin, 35), (section.left_margin, 28), (section.right_margin, 26)):
        assert abs(value.mm - mm) <= 0.5
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"


@pytest.mark.parametrize("style_name, east_asia, size", [
    ("Normal", "仿宋_GB2312", 16), ("Title", "方正小标宋简体", 22), ("Heading 1", "黑体", 16),
    ("Heading 2", "楷体_GB2312", 16), ("Heading 3", "仿宋_GB2312", 16), ("Heading 4", "仿宋_GB2312", 16),
    ("表格文字", "仿宋_GB2312", 10.5), ("页码", "宋体", 14),
])
def test_style_fonts_are_east_asian_and_theme_free(report, style_name, east_asia, size):
    style = report.styles[style_name]
    fonts = style.element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == east_asia
    assert fonts.get(qn("w:hint")) == "eastAsia"
    if style_name != "页码":
        assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman"
    assert style.font.size == Pt(size)


def test_no_theme_fonts_and_chinese_language_defaults(report):
    styles = report.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        assert not [a for a in THEME_ATTRIBUTES if fonts.get(qn(f"w:{a}")) is not None]
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_body_and_table_paragraph_formats(report):
    normal = report.styles["Normal"].paragraph_format
    assert normal.first_line_indent == Pt(32)
    assert normal.line_spacing == Pt(28.9)
    table_text = report.styles["表格文字"].paragraph_format
    assert table_text.first_line_indent == 0 and table_text.line_spacing == 1.0
    for table in report.tables:
        for p in table._tbl.iter(qn("w:p")):
            assert p.pPr.pStyle.val in ("TableText", "TableTextCenter", "TableHead")


def test_table_captions_are_bold_and_header_rows_repeat(report):
    caption = report.styles["表格标题"]
    assert caption.font.bold and caption.paragraph_format.alignment == 1
    assert report.styles["金额单位"].paragraph_format.alignment == 2
    for table, header_rows in zip(report.tables, (2, 2, 1, 1)):
        flags = [tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None for tr in table._tbl.tr_lst]
        assert flags[:header_rows] == [True] * header_rows
        assert not any(flags[header_rows:])


def test_page_numbers_odd_right_even_left(report):
    section = report.sections[0]
    assert report.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        xml = footer._element.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml
        paragraph = footer.paragraphs[0]
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph._p.pPr.jc_val == {"right": 2, "left": 0}[align]
        assert paragraph.style.name == "页码"


def test_renders_to_pdf_with_libreoffice(tmp_path, batch):
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("未安装 LibreOffice（soffice），跳过 PDF 渲染测试")
    source = tmp_path / "report.docx"
    write_report(batch, source)
    out = tmp_path / "pdf"
    run_soffice(soffice, tmp_path / "profile", "--convert-to", "pdf", "--outdir", str(out), str(source))
    pdf = (out / "report.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 3


def test_long_indicator_texts_are_quoted_in_part(tmp_path, batch):
    """An indicator's name and 偏差原因 of 32,000 characters each (within Excel's cell limit) are quoted up
    to ROW_TEXT_LIMIT characters, with a note naming the full length and where it is; the report stays
    small enough for Word's parsers (150 such rows once made one paragraph of 14 MB)."""
    from perfeval.word_report import ROW_TEXT_LIMIT

    r = batch.results[0]
    scores = tuple(dataclasses.replace(s, indicator=dataclasses.replace(s.indicator, name="指" * 32_000,
                                                                         deviation="偏" * 32_000))
                   for s in r.indicators)
    project = dataclasses.replace(r.project, indicators=tuple(s.indicator for s in scores))
    long_batch = dataclasses.replace(batch, results=(dataclasses.replace(r, indicators=scores, project=project),
                                                     *batch.results[1:]))
    document = write(tmp_path, long_batch)
    texts = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in document.element.body.iter(qn("w:p"))]
    assert max(map(len, texts)) < len(scores) * (2 * ROW_TEXT_LIMIT + 200)  # one sentence per indicator at most
    assert any("指" * ROW_TEXT_LIMIT + "……（共32,000字，全文见绩效自评汇总.xlsx）" in t for t in texts)
    assert any("偏" * ROW_TEXT_LIMIT + "……（共32,000字，全文见绩效自评汇总.xlsx）" in t for t in texts)
