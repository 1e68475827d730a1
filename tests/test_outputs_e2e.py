"""The outputs of a real run, read back: golden content of the seed example, and no formula injection."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import docx
import openpyxl

from perfeval.pipeline import run
from perfeval.rules import load_rules
from tests.forms import Ind, spec, write_spec

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "seed_outputs.txt"
PINNED = dt.datetime(2022, 3, 1, 9, 0, 0)


def workbook_text(path: Path) -> list[str]:
    lines = []
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        lines.append(f"## {ws.title}")
        for row in ws.iter_rows(values_only=True):
            cells = ["" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)) for v in row]
            if any(cells):
                lines.append(" | ".join(cells).rstrip(" |"))
    return lines


def report_text(path: Path) -> list[str]:
    document = docx.Document(path)
    lines = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(c.text for c in row.cells))
    return lines


def test_seed_outputs_match_the_golden_file(tmp_path):
    """Regenerate with PERFEVAL_REGEN_GOLDEN=1 after a deliberate change, and read the diff."""
    _, outputs = run(ROOT / "examples" / "seed-2021", tmp_path, load_rules(), now=PINNED)
    lines = workbook_text(outputs.summary) + ["# report"] + report_text(outputs.reports[0])
    text = "\n".join(line for line in lines if "SHA-256" not in line and not re.search(r"[0-9a-f]{64}", line))
    if os.environ.get("PERFEVAL_REGEN_GOLDEN"):
        GOLDEN.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == GOLDEN.read_text(encoding="utf-8")


def text_cell(ws, ref: str, value: str) -> None:
    ws[ref] = value
    ws[ref].data_type = "s"  # keep "=…" a string in the input, as Excel does for text typed with a quote


def test_texts_starting_with_formula_characters_never_become_formulas(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = write_spec(inbox / "注入.xlsx", spec(indicators=[
        Ind("产出指标", "数量指标", "宣传活动", "≥50次", "60次", 50, 50),
        Ind("效益指标", "社会效益指标", "意识", "有效提升", "显著提升", 30, 30, "x"),
        Ind("满意度指标", "服务对象满意度指标", "满意度", "≥90%", "95%", 10, 9)], total=99))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    text_cell(ws, "B3", '=HYPERLINK("http://example.com","点我")')
    text_cell(ws, "G4", "+实施单位")
    text_cell(ws, "D14", "@SUM(A1)")
    text_cell(ws, "I15", "-1+2")
    text_cell(ws, "B12", "=1+1")
    wb.save(path)
    _, outputs = run(inbox, tmp_path / "out", load_rules(), now=PINNED)
    produced = [outputs.summary, *outputs.returns]
    assert outputs.returns, "the form has issues, so a marked-up copy is written"
    for xlsx in produced:
        with zipfile.ZipFile(xlsx) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), (xlsx, name)
    summary = openpyxl.load_workbook(outputs.summary)["项目汇总"]
    names = [c.value for c in summary["B"]]
    assert '=HYPERLINK("http://example.com","点我")' in names
    text = "\n".join(report_text(outputs.reports[0]))
    assert '=HYPERLINK("http://example.com","点我")' in text and "@SUM(A1)" in text
