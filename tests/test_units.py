"""Multi-unit batches: one report per unit, a 单位汇总 sheet with per-unit totals."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from perfeval.cli import main
from tests.forms import spec, write_spec

UNITS = {"甲区财政局": [(100.0, 90.0), (50.0, 20.0)], "乙区教育局": [(80.0, 80.0)]}


def unit_sheet(path: Path, name: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "单位情况"
    for row in (("项目", "内容"), ("单位名称", name), ("年度", "2021"), ("主管部门", "某市财政局"), ("本级资金名称", "区级"),
                ("存在的问题", f"{name}自报的问题。")):
        ws.append(row)
    wb.save(path)


def funds(a: float, b: float) -> dict:
    return {"年度资金总额": (a, a, b), "其中：当年财政拨款": (a, a, b)}


def build(inbox: Path, by_folder: bool) -> Path:
    for unit, projects in UNITS.items():
        folder = inbox / unit if by_folder else inbox
        folder.mkdir(parents=True, exist_ok=True)
        for n, (a, b) in enumerate(projects):
            write_spec(folder / f"{unit}_{n}.xlsx", spec(name=f"{unit}项目{n}", implementer=unit, code=f"{unit}{n}",
                                                         funds=funds(a, b), rate=b / a, budget_score=round(10 * b / a, 2)))
        unit_sheet(folder / f"{unit}_单位情况.xlsx", unit)
    return inbox


@pytest.mark.parametrize("by_folder", [True, False], ids=["subfolder-per-unit", "implementers-side-by-side"])
def test_two_units_give_two_reports_and_a_unit_summary(tmp_path, by_folder):
    inbox, out = build(tmp_path / "inbox", by_folder), tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(out), "--jobs", "1"])
    assert result.exit_code in (0, 1), result.output
    reports = sorted(p.name for p in out.glob("*.docx"))
    assert reports == ["乙区教育局绩效自评报告.docx", "甲区财政局绩效自评报告.docx"]
    jia = "\n".join(p.text for p in docx.Document(out / "甲区财政局绩效自评报告.docx").paragraphs)
    assert "甲区财政局" in jia and "150.00万元" in jia and "110.00万元" in jia and "乙区教育局项目" not in jia
    assert "甲区财政局自报的问题" in jia
    ws = openpyxl.load_workbook(out / "绩效自评汇总.xlsx")["单位汇总"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    header = next(k for k, r in enumerate(rows) if r[0] == "序号")
    cols = {h: k for k, h in enumerate(rows[header])}
    by_unit = {r[cols["单位名称"]]: r for r in rows[header + 1:] if r[cols["单位名称"]]}
    assert by_unit["甲区财政局"][cols["项目数"]] == 2
    assert by_unit["甲区财政局"][cols["全年预算数"]] == 150.0 and by_unit["甲区财政局"][cols["全年执行数"]] == 110.0
    assert by_unit["甲区财政局"][cols["执行率"]] == pytest.approx(110 / 150)
    assert by_unit["乙区教育局"][cols["全年执行数"]] == 80.0
    assert by_unit["合计"][cols["项目数"]] == 3 and by_unit["合计"][cols["全年预算数"]] == 230.0
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert {p["unit"] for p in data["projects"]} == set(UNITS)


def test_single_unit_keeps_the_plain_report_name(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_spec(inbox / "a.xlsx", spec())
    out = tmp_path / "out"
    CliRunner().invoke(main, ["run", str(inbox), "-o", str(out), "--jobs", "1"])
    assert [p.name for p in out.glob("*.docx")] == ["绩效自评报告.docx"]
    assert "单位汇总" not in openpyxl.load_workbook(out / "绩效自评汇总.xlsx").sheetnames


def test_by_unit_splits_the_batch_as_one_unit_at_a_time_would(tmp_path):
    """Batch.by_unit groups in one pass; each part holds exactly what the unit's own filter keeps."""
    from perfeval.pipeline import evaluate
    from perfeval.rules import load_rules

    inbox = build(tmp_path / "inbox", by_folder=True)
    (inbox / "乙区教育局" / "坏文件.xlsx").write_bytes(b"not a workbook")
    batch = evaluate([inbox], load_rules(), jobs=0)
    assert batch.multi_unit
    parts = batch.by_unit()
    assert list(parts) == [u.name for u in batch.units]
    for name, part in parts.items():
        results = tuple(r for r in batch.results if r.project.unit == name)
        unit = next(u for u in batch.units if u.name == name)
        files = {r.project.file for r in results} | {unit.source}
        assert part.results == results and part.unit == unit and part.units == (unit,)
        assert part.issues == tuple(i for i in batch.issues if i.file in files or (not i.file and name in i.message))
        assert part.files == tuple(f for f in batch.files if f.name in files)
        assert part.results and part.files
    assert batch.for_unit("甲区财政局") == parts["甲区财政局"]


def test_a_unit_without_its_sheet_gets_its_own_u001_only(tmp_path):
    """Units without 单位情况 each have a U001, which names no file. Each unit's part (its report, its
    workbook's rows, its mail) took every such unit's U001, and 民政局 would take 长沙县民政局's by its name
    alone; it also took seconds per thousand units (every U001 against every unit)."""
    import time

    from perfeval import send
    from perfeval.pipeline import evaluate
    from perfeval.result_json import batch_to_dict
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    units = ["民政局", "长沙县民政局", "教育局"]
    for n, unit in enumerate(units):
        write_spec(inbox / f"{n}.xlsx", spec(name=f"项目{n}", code=f"XM{n}", implementer=unit))
    batch = evaluate([inbox], load_rules(), 2021)
    assert [u.name for u in batch.units] == units
    data = json.loads(json.dumps(batch_to_dict(batch), ensure_ascii=False, default=str))
    for name, part in batch.by_unit().items():
        own = [i.message for i in part.issues if i.code == "U001"]
        assert len(own) == 1 and own[0].startswith(f"单位“{name}”"), own
        assert part == batch.for_unit(name)
        _, mailed = send.unit_part(data, name)
        assert [i["message"] for i in mailed if i["code"] == "U001"] == own

    import dataclasses

    from perfeval.model import UnitInfo
    from perfeval.pipeline import missing_unit_sheets

    # names that quote, or are quoted in, another unit's message: each U001 still goes to its own unit alone
    quoted = [UnitInfo(name="某“阳光”中心"), UnitInfo(name="阳光"), UnitInfo(name="单位情况")]
    odd = dataclasses.replace(batch, units=tuple(quoted), issues=tuple(missing_unit_sheets(quoted)))
    assert {name: [i.message for i in part.issues] for name, part in odd.by_unit().items()} == {
        u.name: [f"单位“{u.name}”未提供“单位情况”表，报告的单位情况、存在的问题等段落将根据数据生成；可用 perfeval template "
                 f"生成 单位情况.xlsx 填写后放入该单位的文件夹"] for u in quoted}

    many = [UnitInfo(name=f"第{n}中心") for n in range(3_000)]
    big = dataclasses.replace(batch, units=tuple(many), issues=tuple(missing_unit_sheets(many)))
    started = time.perf_counter()
    parts = big.by_unit()
    assert time.perf_counter() - started < 1.0  # was 45 s: the bound only catches a relapse
    assert all(len(part.issues) == 1 and f"“{name}”" in part.issues[0].message for name, part in parts.items())


def test_each_unit_gets_its_own_mail_from_one_reading_of_the_results(tmp_path, monkeypatch):
    """send --each-unit: one mail per unit, with its own report beside the combined summary and its own
    figures in the body (its own U001 the only warning). result.json and the report names are worked out
    once, not once per unit: a city's result.json is megabytes, and 1,000 units took 162 s."""
    from email import policy
    from email.parser import BytesParser

    from perfeval import send

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    units = ["民政局", "长沙县民政局", "教育局"]
    for n, unit in enumerate(units):
        write_spec(inbox / f"{n}.xlsx", spec(name=f"项目{n}", code=f"XM{n}", implementer=unit))
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", str(inbox), "-o", str(out), "-q", "--jobs", "1"]).exit_code == 0
    reads, real = [], send.read_result
    monkeypatch.setattr(send, "read_result", lambda folder: reads.append(folder) or real(folder))
    result = CliRunner().invoke(main, ["send", str(out), "--to", "jxk@czj.example.gov.cn", "--each-unit", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert len(reads) == 1
    for unit in units:
        mail = BytesParser(policy=policy.default).parsebytes((out / f"{unit}.eml").read_bytes())
        assert mail["Subject"] == f"{unit}2021年度项目支出绩效自评材料"
        assert [a.get_filename() for a in mail.iter_attachments()] == ["绩效自评汇总.xlsx", f"{unit}绩效自评报告.docx"]
        body = mail.get_body(("plain",)).get_content()
        assert "本次自评共 1 个项目" in body and "审核问题：错误 0 个，警告 1 个" in body, body


def test_unit_folders_inside_a_district_folder_are_units_of_their_own(tmp_path):
    """区/单位/ folders without 单位情况: each 单位 folder is a unit (the most common 实施单位 of its forms, which
    its name holds: a form naming the unit another way, a subordinate 实施单位 or none joins it, also from the
    unit's 科室 and 补报 subfolders), not the whole 区 folder's most common one."""
    from perfeval.pipeline import evaluate
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    forms = {"长沙县/长沙县民政局": ["长沙县民政局", "长沙县民政局", "民政局", ""],
             "长沙县/长沙县民政局/社会救助科": ["长沙县民政局社会救助科"], "长沙县/长沙县民政局/办公室": [""],
             "长沙县/长沙县救助管理站": ["长沙县救助管理站"], "长沙县": ["长沙县体育中心"],
             "长沙县教育局": ["长沙县教育局", "长沙县教育局"], "长沙县教育局/2021补报": ["教育局"],
             "": ["甲单位", "乙单位"]}
    for folder, implementers in forms.items():
        (inbox / folder).mkdir(parents=True, exist_ok=True)
        for n, implementer in enumerate(implementers):
            write_spec(inbox / folder / f"{n}.xlsx", spec(name=f"{folder}项目{n}", implementer=implementer,
                                                          code=f"{folder}{n}"))
    batch = evaluate([inbox], load_rules(), jobs=0)
    units = {r.project.file: r.project.unit for r in batch.results}
    assert units == {"长沙县/长沙县民政局/0.xlsx": "长沙县民政局", "长沙县/长沙县民政局/1.xlsx": "长沙县民政局",
                     "长沙县/长沙县民政局/2.xlsx": "长沙县民政局", "长沙县/长沙县民政局/3.xlsx": "长沙县民政局",
                     "长沙县/长沙县民政局/社会救助科/0.xlsx": "长沙县民政局", "长沙县/长沙县民政局/办公室/0.xlsx": "长沙县民政局",
                     "长沙县/长沙县救助管理站/0.xlsx": "长沙县救助管理站", "长沙县/0.xlsx": "长沙县体育中心",
                     "长沙县教育局/0.xlsx": "长沙县教育局", "长沙县教育局/1.xlsx": "长沙县教育局",
                     "长沙县教育局/2021补报/0.xlsx": "长沙县教育局",
                     "0.xlsx": "甲单位", "1.xlsx": "乙单位"}


def test_units_whose_names_are_made_safe_alike_get_a_mail_each(tmp_path):
    """--each-unit --dry-run names each .eml after its unit: "X中心" and "X中心." were both X中心.eml, and
    the second mail overwrote the first."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n, unit in enumerate(["X中心", "X中心."]):
        write_spec(inbox / f"{n}.xlsx", spec(name=f"项目{n}", code=f"XM{n}", implementer=unit))
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", str(inbox), "-o", str(out), "-q", "--jobs", "1"]).exit_code == 0
    result = CliRunner().invoke(main, ["send", str(out), "--to", "jxk@czj.example.gov.cn", "--each-unit", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.eml")) == ["X中心.(2).eml", "X中心.eml"]


def test_the_parts_of_thousands_of_units_come_from_one_pass_over_the_results():
    """send --each-unit found each unit's projects and issues by scanning all of result.json again:
    4,000 units took 20 s before a single mail was encoded. One pass gives every unit what unit_part gives."""
    import time

    from perfeval import send

    count = 3_000
    data = {
        "units": [{"name": f"第{n}中心", "source": f"第{n}中心/单位情况.xlsx" if n % 2 else ""} for n in range(count)],
        "projects": [{"name": f"项目{n}", "unit": f"第{n}中心", "file": f"第{n}中心/项目.xlsx"} for n in range(count)],
        "files": [{"name": f"第{n}中心/副本.xlsx", "unit": f"第{n}中心"} for n in range(0, count, 3)],
        "issues": [*({"file": f"第{n}中心/项目.xlsx", "code": "B006", "message": "执行率"} for n in range(count)),
                   *({"file": f"第{n}中心/单位情况.xlsx", "code": "F002", "message": "缺项"} for n in range(1, count, 2)),
                   *({"file": f"第{n}中心/副本.xlsx", "code": "F004", "message": "重复"} for n in range(0, count, 3)),
                   *({"file": "", "code": "U001", "message": f"单位“第{n}中心”未提供“单位情况”表", "unit": f"第{n}中心"}
                     for n in range(0, count, 2))],
    }
    started = time.perf_counter()
    parts = send.unit_parts(data)
    assert time.perf_counter() - started < 1.0  # the bound only catches a relapse
    for n in (0, 1, 2, 3, 2_999):
        projects, issues = parts[f"第{n}中心"]
        assert [p["name"] for p in projects] == [f"项目{n}"]
        expected = ["B006"] + ["F002"] * (n % 2) + ["F004"] * (n % 3 == 0) + ["U001"] * (n % 2 == 0)
        assert sorted(i["code"] for i in issues) == sorted(expected), (n, issues)
        assert send.unit_part(data, f"第{n}中心") == parts[f"第{n}中心"]
