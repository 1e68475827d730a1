"""The bundled example (examples/seed-2021): regenerated forms match the committed ones."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfeval.template import FORM_SHEET, UNIT_FILE, UNIT_SHEET, describe_workbook

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "seed-2021"

# The seed report's 资金概况 table: 全年预算数 A and 全年执行数 B per project, in 万元.
SEED_FUNDS = {
    "01_公共打击和处置非法集资专项工作经费.xlsx": (81.20, 40.88),
    "02_部门打击和处置非法集资工作经费.xlsx": (27.10, 27.10),
    "03_金融产业培育经费.xlsx": (22.50, 22.50),
    "04_金融监管工作经费.xlsx": (22.50, 22.50),
    "05_打非案件司法鉴定中介费.xlsx": (85.50, 1.37),
}


def load_builder():
    """Import build_examples.py by path: examples/ is not a package. Without writing its bytecode: a
    __pycache__ folder in the example inbox would be one more ignored file in every run over it (the
    golden outputs' file list among them) wherever Python writes bytecode, as it does by default."""
    spec = importlib.util.spec_from_file_location("build_examples", EXAMPLE_DIR / "build_examples.py")
    module = importlib.util.module_from_spec(spec)
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes
    return module


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("seed-2021")
    load_builder().write_examples(outdir)
    return outdir


def indicator_rows(ws):
    """Rows 14.. down to the 总分 row."""
    row = 14
    while ws.cell(row, 1).value != "总分":
        yield row
        row += 1


def test_builder_writes_the_committed_file_set(rebuilt):
    expected = sorted([*SEED_FUNDS, UNIT_FILE])
    assert sorted(p.name for p in rebuilt.glob("*.xlsx")) == expected
    assert sorted(p.name for p in EXAMPLE_DIR.glob("*.xlsx")) == expected


@pytest.mark.parametrize("name", [*SEED_FUNDS, UNIT_FILE])
def test_rebuilt_workbook_matches_committed_by_content(rebuilt, name):
    assert describe_workbook(rebuilt / name) == describe_workbook(EXAMPLE_DIR / name)


@pytest.mark.parametrize("name,figures", SEED_FUNDS.items())
def test_committed_forms_carry_the_seed_figures(name, figures):
    ws = load_workbook(EXAMPLE_DIR / name)[FORM_SHEET]
    budget, actual = figures
    assert (ws["C6"].value, ws["D6"].value, ws["E6"].value) == (budget, budget, actual)
    assert ws["E8"].value == actual and ws["B8"].value == "其中：区级资金"
    assert ws["G6"].value == pytest.approx(actual / budget, abs=5e-5)
    assert ws["H6"].value == pytest.approx(round(10 * min(actual / budget, 1), 2))
    rows = list(indicator_rows(ws))
    weights = [ws.cell(r, 7).value for r in rows]
    assert sum(weights) == 90
    split = {}
    level1 = None
    for r in rows:
        level1 = ws.cell(r, 2).value or level1  # 一级指标 is merged down
        split[level1] = split.get(level1, 0) + ws.cell(r, 7).value
    assert split == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    total_row = rows[-1] + 1
    scores = [ws["H6"].value] + [ws.cell(r, 8).value for r in rows]
    assert ws.cell(total_row, 8).value == pytest.approx(sum(scores))
    assert ws.cell(total_row + 2, 4).value == "经常性"


def test_seed_totals_add_up():
    budgets = actuals = 0.0
    for name in SEED_FUNDS:
        ws = load_workbook(EXAMPLE_DIR / name)[FORM_SHEET]
        budgets += ws["D6"].value
        actuals += ws["E6"].value
    assert round(budgets, 2) == 238.80 and round(actuals, 2) == 114.35
    assert round(actuals / budgets, 4) == 0.4789


def find_indicator(ws, name):
    return next(r for r in indicator_rows(ws) if ws.cell(r, 4).value == name)


def test_over_achievement_left_unexplained_and_misses_explained():
    ws = load_workbook(EXAMPLE_DIR / "04_金融监管工作经费.xlsx")[FORM_SHEET]
    row = find_indicator(ws, "银企对接会")
    assert (ws.cell(row, 5).value, ws.cell(row, 6).value, ws.cell(row, 9).value) == ("≥10场", "14场", None)

    ws = load_workbook(EXAMPLE_DIR / "05_打非案件司法鉴定中介费.xlsx")[FORM_SHEET]
    missed = [r for r in indicator_rows(ws) if ws.cell(r, 8).value < ws.cell(r, 7).value]
    assert len(missed) >= 2
    assert all("2022年" in ws.cell(r, 9).value for r in missed)


def test_unit_sheet_from_the_seed():
    ws = load_workbook(EXAMPLE_DIR / UNIT_FILE)[UNIT_SHEET]
    fields = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, 14)}
    assert fields["单位名称"] == "长沙市开福区金融事务中心"
    assert fields["年度"] == 2021 and fields["本级资金名称"] == "区级"
    assert "114.35万元" in fields["资金使用管理情况"]
    assert fields["存在的问题"].count("\n") == 2 and "一是" not in fields["存在的问题"]
    assert fields["有关建议"].startswith("1、强化宣传教育")
    assert fields["其他需要说明的问题"] == "无"
