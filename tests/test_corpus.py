"""The fixture corpus (tests/corpus.py) read back: every variant of FORM.md §2 and every format of §3
must read as the project the unit meant — name, department, implementer, code, the funds rows,
every indicator with its parsed target and actual, weights and written scores."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from perfeval.discover import find_workbooks
from perfeval.model import Amount, Project, Value
from perfeval.normalise import normalise_form
from perfeval.pipeline import evaluate
from perfeval.reader import read_workbook
from perfeval.rules import load_rules
from tests.corpus import CORPUS, GOAL_SYNONYMS, SYNONYMS, Form, standard_sheet, write_book, write_corpus

D = dt.date
FUNDS_KINDS = ("total", "appropriation", "own_level", "carryover", "other")


def amount(a: Amount) -> float | None:
    return None if a.value is None else round(a.value, 6)


def value(v: Value) -> tuple:
    return (v.text, v.kind, v.date if v.kind == "date" else v.number, v.comparator, v.unit)


def view(p: Project) -> dict:
    """What the corpus asserts of a project, as plain values (a failing case shows a readable diff)."""
    f = p.funds
    return {
        "identity": (p.name, p.department, p.implementer, p.code, p.year),
        "goals": (p.goal, p.achievement),
        "funds": {kind: (row.label, amount(row.initial), amount(row.budget), amount(row.actual))
                  for kind in FUNDS_KINDS if (row := getattr(f, kind)) is not None},
        "funds_points": (amount(f.weight), amount(f.rate_written), amount(f.score_written)),
        "indicators": [(i.level1, i.level2, i.name, value(i.target), value(i.actual), amount(i.weight),
                        amount(i.score_written), i.deviation) for i in p.indicators],
        "total": amount(p.total_written),
        "extras": (p.project_type, p.fund_use, p.filler, p.phone),
        "declared": p.declared_points,
    }


BASE = {
    "identity": ("金融监管工作经费", "长沙市开福区人民政府", "长沙市开福区金融事务中心", "KF2021004", 2021),
    "goals": ("组织10场银企对接会，开展大型宣传活动50次。", "全年共组织14场银企对接会，开展大型集中宣传活动60余次。"),
    "funds": {"total": ("年度资金总额", 25.0, 22.5, 20.25), "appropriation": ("其中：当年财政拨款", 20.0, 18.0, 16.2),
              "own_level": ("其中：本级资金", 20.0, 18.0, 16.2), "carryover": ("上年结转资金", 5.0, 4.5, 4.05),
              "other": ("其他资金", None, None, None)},
    "funds_points": (10.0, 0.9, 9.0),
    "indicators": [
        ("产出指标", "数量指标", "大型集中宣传活动", ("≥50次", "number", 50.0, ">=", "次"),
         ("60余次", "number", 60.0, "", "次"), 15.0, 15.0, ""),
        ("产出指标", "数量指标", "宣传手册及制品", ("6.5万份", "number", 65000.0, "", "份"),
         ("6.76万份", "number", 67600.0, "", "份"), 10.0, 10.0, ""),
        ("产出指标", "质量指标", "宣传覆盖率", ("≥90%", "number", 90.0, ">=", "%"),
         ("95%", "number", 95.0, "", "%"), 10.0, 10.0, ""),
        ("产出指标", "时效指标", "宣传活动完成时间", ("2021年12月底前", "date", D(2021, 12, 31), "<=", ""),
         ("2021年11月完成", "date", D(2021, 11, 30), "", ""), 10.0, 10.0, ""),
        ("产出指标", "成本指标", "单次宣传活动成本", ("≤5万元", "number", 50000.0, "<=", "元"),
         ("4.8万元", "number", 48000.0, "", "元"), 5.0, 5.0, ""),
        ("效益指标", "社会效益指标", "群众防范非法集资意识", ("有效提升", "qualitative", None, "", ""),
         ("显著提升", "qualitative", None, "", ""), 30.0, 30.0, ""),
        ("满意度指标", "服务对象满意度指标", "服务对象满意度", ("≥90%", "number", 90.0, ">=", "%"),
         ("95%", "number", 95.0, "", "%"), 10.0, 10.0, ""),
    ],
    "total": 99.0,
    "extras": ("经常性", "用于金融行业监管工作", "文琼", "0731-00000000"),
    "declared": {},
}
IND = BASE["indicators"]


def like_base(funds: dict | None = None, **changes) -> dict:
    """The base project with some parts changed; ``funds`` replaces single funds rows."""
    out = {**BASE, **changes}
    if funds is not None:
        out["funds"] = {k: v for k, v in {**BASE["funds"], **funds}.items() if v is not None}
    return out


@dataclass
class Expect:
    """What one corpus workbook must read as."""

    forms: list[dict] = field(default_factory=lambda: [BASE])
    codes: tuple[str, ...] = ()  # reader and normaliser issues, sorted
    sheets: tuple[str, ...] = ("项目支出绩效自评表",)
    unit: bool = False  # holds a 单位情况 sheet
    cells: dict[str, str] = field(default_factory=dict)  # project.cells / first target / total budget
    checks: tuple[str, ...] = ()  # codes the whole pipeline must report for the file
    clean: tuple[str, ...] = ()  # codes it must not report


EXPECTED: dict[str, Expect] = {
    "standard_xlsx": Expect(cells={"name": "B3", "department": "B4", "implementer": "G4", "target": "E14",
                                   "budget": "D6", "weight": "F6"},
                            clean=("F001", "F002", "F003", "F005", "B008", "B011", "T004", "T005", "T010")),
    "standard_xlsm": Expect(),
    "standard_xls": Expect(cells={"name": "B3", "target": "E14", "budget": "D6"}),
    "standard_ods": Expect(cells={"name": "B3", "target": "E14", "budget": "D6"}),
    "standard_xltx": Expect(cells={"name": "B3", "target": "E14", "budget": "D6"}),
    "standard_xlt": Expect(cells={"name": "B3", "target": "E14", "budget": "D6"}),
    "standard_et": Expect(cells={"name": "B3", "target": "E14", "budget": "D6"}),
    "standard_program_written": Expect(),
    "template_written": Expect(cells={"name": "B3", "target": "E14", "budget": "D6"}),
    "split_target_columns": Expect(forms=[like_base(indicators=[
        ("产出指标", "数量指标", "养护里程", ("≥266公里", "number", 266.0, ">=", "公里"),
         ("270公里", "number", 270.0, "", "公里"), 30.0, 30.0, ""),
        ("产出指标", "质量指标", "路面合格率", ("≥95%", "number", 95.0, ">=", "%"), ("0.98", "number", 0.98, "", ""),
         20.0, 20.0, ""),
        ("产出指标", "成本指标", "每公里养护成本", ("≤1.2万元", "number", 12000.0, "<=", "元"),
         ("1.15万元", "number", 11500.0, "", "元"), 10.0, 10.0, ""),
        ("效益指标", "社会效益指标", "通行条件", ("明显改善", "qualitative", None, "", ""),
         ("明显改善", "qualitative", None, "", ""), 20.0, 20.0, ""),
        ("满意度指标", "服务对象满意度指标", "群众满意度", ("≥90%", "number", 90.0, ">=", "%"),
         ("92%", "number", 92.0, "", "%"), 10.0, 10.0, ""),
    ])], cells={"target": "F14"}, clean=("T004", "T005")),
    "funds_only_budget_and_actual": Expect(forms=[like_base(funds={
        "total": ("年度资金总额", None, 22.5, 20.25), "appropriation": ("其中：财政拨款", None, 18.0, 16.2),
        "own_level": None, "carryover": ("上年结转资金", None, 4.5, 4.05), "other": None})],
        clean=("B002", "B013")),
    "funds_only_initial_budget": Expect(forms=[like_base(
        funds={"total": ("年度资金总额", 25.0, None, 20.25), "appropriation": ("其中：当年财政拨款", 25.0, None, 20.25),
               "own_level": None, "carryover": None, "other": None},
        funds_points=(10.0, 0.81, 8.1), total=98.1)], codes=("B013",), checks=("B013",), clean=("B002", "B006")),
    "header_points": Expect(forms=[like_base(
        indicators=[("产出指标", *IND[0][1:5], 20.0, 20.0, ""), *IND[1:5], ("效益指标", *IND[5][1:5], 25.0, 25.0, ""),
                    IND[6]],
        declared={"绩效指标": 90.0, "产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0})],
        checks=("T010",)),
    "code_prefixes": Expect(forms=[like_base(identity=(
        "工资性支出", "池州市贵池区棠溪镇人民政府", "池州市贵池区棠溪镇财政所", "51000021R000000019951", 2021))]),
    "several_projects": Expect(
        forms=[BASE, like_base(identity=("打非案件司法鉴定中介费", *BASE["identity"][1:3], "KF2021005", 2021))],
        sheets=("项目1", "项目2"), unit=True, clean=("U001", "F002")),
    "signature_rows": Expect(),
    "signature_rows_right_under_indicators": Expect(forms=[like_base(
        identity=(*BASE["identity"][:3], "", 2021), total=None, extras=("", "", "", ""))], clean=("B011",)),
    "no_satisfaction": Expect(forms=[like_base(indicators=[*IND[:5], (*IND[5][:5], 40.0, 40.0, "")])],
                              clean=("T010", "T011")),
    "cost_as_level1": Expect(forms=[like_base(indicators=[
        *IND[:4], IND[5], ("成本指标", "经济成本指标", *IND[4][2:]), IND[6]])], clean=("T010",)),
    "moved_blocks": Expect(cells={"name": "D6", "target": "G20", "budget": "F9"}),
    "moved_columns": Expect(cells={"target": "F14", "ind_weight": "E14"}),
    "name_in_one_cell": Expect(cells={"name": "A3", "department": "A4", "implementer": "F4"}),
    "yuan_by_note_above": Expect(codes=("B008",), checks=("B008",)),
    "yuan_by_funds_label": Expect(codes=("B008",), checks=("B008",)),
    "yuan_looking_amounts": Expect(forms=[like_base(funds={
        "total": ("年度资金总额", 250000.0, 225000.0, 202500.0),
        "appropriation": ("其中：当年财政拨款", 200000.0, 180000.0, 162000.0),
        "own_level": ("其中：本级资金", 200000.0, 180000.0, 162000.0),
        "carryover": ("上年结转资金", 50000.0, 45000.0, 40500.0)})], checks=("B008",)),
    "yuan_in_the_cells": Expect(codes=("B008",), checks=("B008",)),
    "wan_in_a_yuan_form": Expect(codes=("B008",)),
    "values_as_numbers": Expect(forms=[like_base(indicators=[
        ("产出指标", "数量指标", "大型集中宣传活动", ("50", "number", 50.0, "", ""), ("60", "number", 60.0, "", ""),
         20.0, 20.0, ""),
        ("产出指标", "质量指标", "宣传覆盖率", ("≥98%", "number", 98.0, ">=", "%"), ("0.99", "number", 0.99, "", ""),
         10.0, 10.0, ""),
        ("产出指标", "质量指标", "资料发放准确率", ("≥98%", "number", 98.0, ">=", "%"), ("98", "number", 98.0, "", ""),
         10.0, 10.0, ""),
        ("产出指标", "质量指标", "问题整改率", ("0.98", "number", 0.98, "", ""), ("98%", "number", 98.0, "", "%"),
         10.0, 10.0, ""),
        ("效益指标", "社会效益指标", "群众防范非法集资意识", ("有效提升", "qualitative", None, "", ""),
         ("有效提升", "qualitative", None, "", ""), 30.0, 30.0, ""),
        ("满意度指标", "服务对象满意度指标", "服务对象满意度", ("90%", "number", 90.0, "", "%"),
         ("95%", "number", 95.0, "", "%"), 10.0, 10.0, ""),
    ])], clean=("B011", "T004", "T005", "B006")),
    "lookalike_comparators": Expect(forms=[like_base(indicators=[
        ("产出指标", "数量指标", "大型集中宣传活动", ("≧50次", "number", 50.0, ">=", "次"),
         ("６０次", "number", 60.0, "", "次"), 10.0, 10.0, ""),
        ("产出指标", "数量指标", "宣传手册", ("＞＝6.5万份", "number", 65000.0, ">=", "份"),
         ("发放6.76万份", "number", 67600.0, "", "份"), 10.0, 10.0, ""),
        ("产出指标", "质量指标", "资料准确率", (">= 98 %(百分比)", "number", 98.0, ">=", "%"),
         ("99%", "number", 99.0, "", "%"), 10.0, 10.0, ""),
        ("产出指标", "质量指标", "社区覆盖", ("═100%", "number", 100.0, "=", "%"),
         ("100%覆盖", "number", 100.0, "", "%"), 5.0, 5.0, ""),
        ("产出指标", "时效指标", "服务时间", ("全天候", "qualitative", None, "", ""),
         ("全天候", "qualitative", None, "", ""), 10.0, 10.0, ""),
        ("产出指标", "成本指标", "单次活动成本", ("≦5万元", "number", 50000.0, "<=", "元"),
         ("4.8万元", "number", 48000.0, "", "元"), 5.0, 5.0, ""),
        ("效益指标", "社会效益指标", "覆盖人群", ("≥3万人次", "number", 30000.0, ">=", "人次"),
         ("3.47万人次", "number", 34700.0, "", "人次"), 30.0, 30.0, ""),
        ("满意度指标", "服务对象满意度指标", "服务对象满意度", ("不低于90%", "number", 90.0, ">=", "%"),
         ("满意度95%", "number", 95.0, "", "%"), 10.0, 10.0, ""),
    ])], clean=("T004", "T005", "T008")),
    "empty_markers": Expect(forms=[like_base(
        funds={"total": ("年度资金总额", None, 22.5, 20.25), "appropriation": ("其中：当年财政拨款", None, 18.0, 16.2),
               "own_level": ("其中：本级资金", None, None, None), "carryover": ("上年结转资金", None, 4.5, 4.05)},
        indicators=[*IND[:6], (*IND[6][:4], ("", "empty", None, "", ""), 10.0, None, "")], total=None)],
        checks=("T003",), clean=("B011",)),
    "instruction_text_left": Expect(forms=[like_base(goals=(BASE["goals"][0], ""))], codes=("F005", "F005"),
                                    checks=("F005", "P002")),
    "formulas_without_cached_values": Expect(codes=("F003",) * 5, checks=("F003",), clean=("B001", "B002", "S001")),
    "formulas_with_cached_values": Expect(clean=("F003",)),
    "hidden_sheets": Expect(),
    "hidden_sheets_other_project": Expect(
        forms=[BASE, like_base(identity=("打非案件司法鉴定中介费", *BASE["identity"][1:3], "KF2021005", 2021))],
        sheets=("项目支出绩效自评表", "项目2")),
    "only_form_hidden": Expect(),
    "merged_everywhere": Expect(cells={"target": "F14"}),
    "year_in_title_and_spaced_labels": Expect(cells={"year": "A1"}),
    "level_labels_on_every_row": Expect(),
    "date_cells_and_deviation": Expect(forms=[like_base(indicators=[
        IND[0], (*IND[1][:4], ("6.2万份", "number", 62000.0, "", "份"), 10.0, 9.5, "印刷合同延期，已于次年补发"),
        IND[2], (*IND[3][:4], ("2021年11月20日", "date", D(2021, 11, 20), "", ""), 10.0, 10.0, ""), *IND[4:]],
        total=98.5)]),
    "extras_to_the_right": Expect(),
    "indicators_from_column_a": Expect(cells={"target": "D14"}),
    "blank_rows_inside_indicators": Expect(),
    "line_breaks_in_cells": Expect(forms=[like_base(indicators=[
        (*IND[0][:3], ("≥50\n次", "number", 50.0, ">=", "次"), *IND[0][4:]), *IND[1:]])]),
    "code_beside_name": Expect(),
    "other_header_words": Expect(),
    "unit_sheet_only": Expect(forms=[], sheets=(), unit=True),
    "huge_legitimate_sheet": Expect(clean=("F007",)),
}
# the same layouts in another format read the same
for _name in ("split_target_columns", "several_projects", "hidden_sheets", "merged_everywhere", "name_in_one_cell"):
    EXPECTED[f"{_name}_{'ods' if _name in ('several_projects', 'merged_everywhere') else 'xls'}"] = EXPECTED[_name]
# label synonyms: the whole form reads as the base; a funds row keeps its label as written
_ROW_OF = {"年度资金总额": "total", "其中：当年财政拨款": "appropriation", "其中：本级资金": "own_level",
           "上年结转资金": "carryover", "其他资金": "other"}
for _standard, _synonyms in SYNONYMS.items():
    for _k, _synonym in enumerate(_synonyms, 1):
        _kind = _ROW_OF.get(_standard)
        _forms = [like_base(funds={_kind: (_synonym, *BASE["funds"][_kind][1:])})] if _kind else [BASE]
        EXPECTED[f"label_{_standard.replace('：', '_')}_{_k}"] = Expect(forms=_forms)
for _k in range(1, len(GOAL_SYNONYMS) + 1):
    EXPECTED[f"label_goals_{_k}"] = Expect()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder)
    return folder


def test_every_fixture_has_expectations():
    assert set(EXPECTED) == set(CORPUS)
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fixture_reads_as_the_unit_meant(corpus, name):
    suffix, _ = CORPUS[name]
    expect = EXPECTED[name]
    path = corpus / f"{name}{suffix}"
    book = read_workbook(path, path.name)
    assert book.readable, book.issues
    assert [f.sheet for f in book.forms] == list(expect.sheets)
    assert (book.unit is not None) == expect.unit
    codes = [i.code for i in book.issues]
    projects = []
    for form in book.forms:
        project, issues = normalise_form(form)
        projects.append(project)
        codes += [i.code for i in issues]
    assert sorted(codes) == sorted(expect.codes), [i.message for i in book.issues]
    assert [view(p) for p in projects] == expect.forms
    if expect.cells:
        p = projects[0]
        cells = {**p.cells, "target": p.indicators[0].target.cell, "ind_weight": p.indicators[0].weight.cell,
                 "weight": p.funds.weight.cell, "budget": p.funds.total.budget.cell}
        assert {k: cells.get(k) for k in expect.cells} == expect.cells


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e.checks or e.clean))
def test_fixture_through_the_pipeline(corpus, name, tmp_path):
    """Checks see what the reader found: B008 from the check for 元-looking amounts, T010 from the
    declared header points, and no spurious T004/T005 for values written in another style."""
    suffix, _ = CORPUS[name]
    shutil.copy(corpus / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    batch = evaluate([tmp_path], load_rules(), year=2021)
    codes = {i.code for i in batch.issues}
    assert set(EXPECTED[name].checks) <= codes, codes
    assert not set(EXPECTED[name].clean) & codes, [i.message for i in batch.issues if i.code in EXPECTED[name].clean]


def test_yuan_conversion_is_explained(corpus):
    book = read_workbook(corpus / "yuan_by_note_above.xlsx", "f.xlsx")
    _, issues = normalise_form(book.forms[0])
    assert issues[0].cell == "G3" and "225000" in issues[0].message and "22.50 万元" in issues[0].message


def test_amounts_typed_with_their_unit_are_read_in_it(corpus):
    """"250000元" in a 万元 form is 25 万元, said once for the form; "22.5万元" in a 元 form stays 22.5 万元."""
    book = read_workbook(corpus / "yuan_in_the_cells.xlsx", "f.xlsx")
    _, [issue] = normalise_form(book.forms[0])
    assert (issue.code, issue.cell) == ("B008", "C6")
    assert issue.message.startswith("金额“250000元”等 12 个单元格写明单位为元，已按 1 万元 = 10000 元换算为万元（如 25.00 万元）")
    book = read_workbook(corpus / "wan_in_a_yuan_form.xlsx", "f.xlsx")
    _, [issue] = normalise_form(book.forms[0])
    assert issue.code == "B008" and "已按单元格所写的万元读取" in issue.message and "22.5万元" in issue.message


def _two_row_funds(top: str, executed: str | None = None):
    """The standard form with a two-row funds header: ``top`` merged over 年初预算数 | 全年预算数 (and
    ``executed`` over 全年执行数), the other headings two rows tall."""
    s = standard_sheet(Form())
    s.insert_rows(5, 1)
    s.put(4, 2, top)
    s.put(4, 3, None)
    s.merge(4, 2, 4, 3)
    s.put(5, 2, "年初预算数")
    s.put(5, 3, "全年预算数")
    if executed:
        s.put(4, 4, executed)
        s.put(5, 4, "全年执行数")
        s.put(4, 5, "分值")
        s.put(4, 6, "执行率")
        for c in range(5, 8):
            s.merge(4, c, 5, c)
    else:
        for c in range(4, 8):
            s.merge(4, c, 5, c)
    return s


def _two_row_indicators(group: str):
    """The standard form with a two-row indicator header: ``group`` merged over 年度指标值 | 实际完成值, the
    other headings two rows tall."""
    s = standard_sheet(Form())
    s.insert_rows(13, 1)
    s.put(13, 4, "年度指标值")
    s.put(13, 5, "实际完成值")
    s.put(12, 4, group)
    s.put(12, 5, None)
    s.merge(12, 4, 12, 5)
    for c in (1, 2, 3, 6, 7, 8):
        s.merge(12, c, 13, c)
    return s


def _actual_over_value_and_unit():
    """实际完成值 over 数值 | 单位 (a unit column added), the other headings two rows tall."""
    s = standard_sheet(Form())
    s.insert_cols(6)
    s.insert_rows(13, 1)
    s.put(12, 5, "实际完成值")
    s.merge(12, 5, 12, 6)
    s.put(13, 5, "数值")
    s.put(13, 6, "单位")
    for c in (1, 2, 3, 4, 7, 8, 9):
        s.merge(12, c, 13, c)
    return s


def _points_not_merged_down():
    """指标值 over 年度指标值 | 实际完成值, with 分值, 得分 and 偏差原因 typed in the upper row only."""
    s = standard_sheet(Form())
    s.insert_rows(13, 1)
    s.put(13, 4, "年度指标值")
    s.put(13, 5, "实际完成值")
    s.put(12, 4, "指标值")
    s.put(12, 5, None)
    s.merge(12, 4, 12, 5)
    for c in (1, 2, 3):
        s.merge(12, c, 13, c)
    return s


@pytest.mark.parametrize("build", [lambda: _two_row_funds("预算安排"), lambda: _two_row_funds("预算数", "执行数"),
                                   lambda: _two_row_indicators("指标完成情况"), lambda: _two_row_indicators("指标值"),
                                   _actual_over_value_and_unit, _points_not_merged_down],
                         ids=["预算安排", "预算数-执行数", "指标完成情况", "指标值", "数值-单位", "分值只在上行"])
def test_two_row_headers_are_read_from_their_lower_row(tmp_path, build):
    """A heading over two columns (预算安排 over 年初预算数 | 全年预算数, 指标值 over 年度指标值 | 实际完成值) and
    the other headings merged down both rows: the columns hang from the lower row, and the form reads as
    the one-row form does (it read no funds, the 年初 column as the budget, or no indicators)."""
    path = write_book(tmp_path / "两行表头.xlsx", [build()])
    book = read_workbook(path, path.name)
    project, issues = normalise_form(book.forms[0])
    got = view(project)
    assert (got["funds"], got["indicators"], got["total"]) == (BASE["funds"], BASE["indicators"], BASE["total"])
    assert issues == []


def test_hidden_rows_are_read_and_said_and_a_hidden_duplicate_column_is_not(tmp_path):
    """Last year's indicators in hidden rows are read (SUM and the unit's 总分 count them; a filter hides rows
    too) and an F011 names the rows; an old 实际完成值 column hidden beside this year's is not read (its
    values replaced the actuals); a hidden column without a twin (分值) is read as it is."""
    import openpyxl

    path = write_book(tmp_path / "隐藏.xlsx", [standard_sheet(Form())])
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.insert_rows(15, 2)  # two old indicators, hidden
    for r in (15, 16):
        for col, value in zip("BCDEFGH", ("产出指标", "数量指标", f"去年指标{r}", "≥10次", "12次", 10, 10)):
            ws[f"{col}{r}"] = value
        ws.row_dimensions[r].hidden = True
    ws.insert_cols(6)  # F: last year's 实际完成值, hidden; the visible one moves to G
    ws["F13"] = "实际完成值"
    for r in range(14, 23):
        ws[f"F{r}"] = "0次"
    ws.column_dimensions["F"].hidden = True
    ws.column_dimensions["H"].hidden = True  # 分值: hidden, still read
    wb.save(path)
    book = read_workbook(path, path.name)
    [issue] = book.issues
    assert (issue.code, issue.cell) == ("F011", "A15") and issue.message.startswith("第 15、16 行已隐藏")
    project, _ = normalise_form(book.forms[0])
    got = [i[:6] for i in view(project)["indicators"]]
    base = [i[:6] for i in BASE["indicators"]]
    assert got[:1] + got[3:] == base and [i[2] for i in got[1:3]] == ["去年指标15", "去年指标16"]


def test_a_merged_value_anchored_in_a_hidden_twin_column_is_kept(tmp_path):
    """This year's 实际完成值 inserted beside last year's, which is hidden: the actuals come from the visible
    column, and 实际完成情况, merged from the hidden column across visible ones, is still read."""
    import openpyxl

    s = standard_sheet(Form())
    header = s.find("三级指标")[0]
    s.insert_cols(6)
    s.put(header, 6, "实际完成值")
    for r in range(header + 1, header + 8):
        s.put(r, 6, s.get(r, 5))
        s.put(r, 5, "去年的值")
    path = write_book(tmp_path / "隐藏列.xlsx", [s])
    wb = openpyxl.load_workbook(path)
    wb.active.column_dimensions["F"].hidden = True
    wb.save(path)
    book = read_workbook(path, path.name)
    project, _ = normalise_form(book.forms[0])
    assert project.achievement == BASE["goals"][1]
    assert [i.actual.text for i in project.indicators] == [i[4][0] for i in BASE["indicators"]]


def test_macros_are_stored_not_run(corpus):
    """The .xlsm keeps its VBA project (the reader never touches it) and reads like the .xlsx."""
    import zipfile

    with zipfile.ZipFile(corpus / "standard_xlsm.xlsm") as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
        assert b"macroEnabled" in archive.read("[Content_Types].xml")


# ---- the folder (FORM.md §3) ----------------------------------------------------------------


def test_folder_skips_lock_and_hidden_files_and_lists_others_once(tmp_path):
    sheet = standard_sheet(Form())
    (tmp_path / "一科").mkdir()
    (tmp_path / "一科" / "二级").mkdir()
    write_book(tmp_path / "a.xlsx", [sheet])
    write_book(tmp_path / "一科" / "b.xls", [sheet])
    write_book(tmp_path / "一科" / "二级" / "c.ods", [sheet])
    (tmp_path / "~$a.xlsx").write_bytes(b"\x00" * 165)  # Excel's owner file
    (tmp_path / ".~lock.a.xlsx#").write_text("user,host")  # LibreOffice
    (tmp_path / "一科" / ".~b.xls").write_bytes(b"x")  # WPS
    (tmp_path / ".hidden.xlsx").write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.xlsx").write_bytes(b"x")
    (tmp_path / "说明.docx").write_bytes(b"PK")
    (tmp_path / "一科" / "扫描件.pdf").write_bytes(b"%PDF")
    (tmp_path / "一科" / "Thumbs.db").write_bytes(b"\0")
    inbox = find_workbooks([tmp_path, tmp_path / "一科"])
    assert [inbox.relative(p) for p in inbox.workbooks] == ["a.xlsx", "一科/b.xls", "一科/二级/c.ods"]
    assert sorted(inbox.relative(p) for p in inbox.ignored) == ["一科/扫描件.pdf", "说明.docx"]  # once each
    batch = evaluate([tmp_path], load_rules(), year=2021)
    # each format read; the same form three times counts once (F004 on the repeats)
    assert [(f.name, f.status) for f in batch.files] == [("a.xlsx", "已读取"), ("一科/b.xls", "重复提交"),
                                                          ("一科/二级/c.ods", "重复提交")]
    assert len(batch.results) == 1
    assert sorted(i.file for i in batch.issues if i.code == "F004") == ["一科/b.xls", "一科/二级/c.ods"]
    assert not [i for i in batch.issues if i.code.startswith("F0") and i.code != "F004"]


def test_wps_and_template_files_are_read_and_marked_not_ignored(tmp_path):
    """WPS 表格's own .et, and Excel's templates filled in place (.xltx, .xlt), are spreadsheets: read by
    their content and marked up like any form; an .et that does not read says how WPS saves an .xlsx."""
    import zipfile

    import openpyxl

    from perfeval.outputs import RETURNS_DIR
    from perfeval.pipeline import run

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for name, code in (("甲.et", "KF01"), ("乙.xltx", "KF02"), ("丙.xlt", "KF03")):
        f = Form(name=f"项目{name[0]}", rate=0.5, extras=(code, *Form().extras[1:]))  # 执行率 written wrong: B006
        write_book(inbox / name, [standard_sheet(f)])
    (inbox / "坏.et").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))  # a compound file, broken
    (inbox / "数据.csv").write_text("a,b\n1,2\n")
    batch, outputs = run(inbox, out, load_rules(), year=2021)
    assert [(f.name, f.status) for f in batch.files] == [("丙.xlt", "已读取"), ("乙.xltx", "已读取"),
                                                          ("坏.et", "无法读取"), ("甲.et", "已读取")]
    assert sorted(r.project.name for r in batch.results) == ["项目丙", "项目乙", "项目甲"]
    assert batch.ignored == ("数据.csv",)
    assert sorted(i.file for i in batch.issues if i.code == "B006") == ["丙.xlt", "乙.xltx", "甲.et"]
    [broken] = [i for i in batch.issues if i.code == "F001"]
    assert broken.file == "坏.et" and broken.message.startswith("文件为 WPS 表格格式（.et），无法读取：文件已损坏")
    assert broken.message.endswith("请在 WPS 中打开，用“另存为”保存为 Excel 工作簿（.xlsx）后再提交")
    copies = sorted(p.name for p in outputs.returns)
    assert copies == ["丙_审核意见.xlsx", "乙_审核意见.xlsx", "甲_审核意见.xlsx"]
    for name in copies:
        path = out / RETURNS_DIR / name
        with zipfile.ZipFile(path) as archive:  # an .xlsx, also when the source was a template
            assert b"spreadsheetml.sheet.main+xml" in archive.read("[Content_Types].xml")
        ws = openpyxl.load_workbook(path)["项目支出绩效自评表"]
        assert ws["G6"].comment is not None and "B006" in ws["G6"].comment.text


def test_output_folder_inside_the_inbox_and_links_are_left_out(tmp_path):
    sheet = standard_sheet(Form())
    write_book(tmp_path / "a.xlsx", [sheet])
    (tmp_path / "output" / "退回修改").mkdir(parents=True)
    write_book(tmp_path / "output" / "退回修改" / "a_审核意见.xlsx", [sheet])
    (tmp_path / "单位").mkdir()
    write_book(tmp_path / "单位" / "b.xlsx", [sheet])
    (tmp_path / "单位的链接").symlink_to(tmp_path / "单位", target_is_directory=True)  # not followed
    (tmp_path / "失效链接.xlsx").symlink_to(tmp_path / "不存在.xlsx")  # listed: the reader says it leads nowhere
    inbox = find_workbooks([tmp_path], exclude=tmp_path / "output")
    assert [inbox.relative(p) for p in inbox.workbooks] == ["a.xlsx", "单位/b.xlsx", "失效链接.xlsx"]
    assert find_workbooks([tmp_path / "output" / "退回修改" / "a_审核意见.xlsx"], exclude=tmp_path / "output").workbooks == ()
    assert "output/退回修改/a_审核意见.xlsx" in [inbox.relative(p) for p in find_workbooks([tmp_path]).workbooks]
