"""End to end: the CLI over real folders, outputs read back."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from perfeval import checks
from perfeval.cli import main
from perfeval.discover import shown
from perfeval.template import describe_workbook
from tests.forms import spec, write_spec

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed-2021"

SEED_FUNDS = [  # 全年预算数, 全年执行数 from the seed report's table
    ("（公共）打击和处置非法集资专项工作经费", 81.20, 40.88),
    ("（部门）打击和处置非法集资工作经费", 27.10, 27.10),
    ("金融产业培育经费", 22.50, 22.50),
    ("金融监管工作经费", 22.50, 22.50),
    ("打非案件司法鉴定中介费", 85.50, 1.37),
]


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    before = hashes(SEED)
    result = CliRunner().invoke(main, ["run", str(SEED), "-o", str(out)])
    assert hashes(SEED) == before, "inputs must never be written"
    return result, out


def test_seed_run_writes_every_output(seed_run):
    result, out = seed_run
    assert result.exit_code == 0, result.output  # warnings only: the seed forms have no 错误
    for name in ("绩效自评汇总.xlsx", "绩效自评报告.docx", "result.json"):
        assert (out / name).is_file()
    assert "238.80" in result.output and "114.35" in result.output and "47.89%" in result.output
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary file left behind"


def test_seed_summary_reproduces_the_seed_figures(seed_run):
    _, out = seed_run
    ws = openpyxl.load_workbook(out / "绩效自评汇总.xlsx")["项目汇总"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[0] == "序号"))
    cols = {name: k for k, name in enumerate(rows[header])}
    body = [r for r in rows[header + 1:] if r[cols["项目名称"]]]
    projects, total = body[:-1], body[-1]
    assert [(r[cols["项目名称"]], r[cols["全年预算数"]], r[cols["全年执行数"]]) for r in projects] == SEED_FUNDS
    for r in projects:
        rate = r[cols["全年执行数"]] / r[cols["全年预算数"]]
        assert r[cols["执行率"]] == pytest.approx(rate)
        assert r[cols["预算执行得分"]] == round(10 * min(rate, 1) + 1e-9, 2)
    assert [r[cols["预算执行得分"]] for r in projects] == [5.03, 10, 10, 10, 0.16]
    assert total[cols["项目名称"]] == "合计"
    assert (round(total[cols["全年预算数"]], 2), round(total[cols["全年执行数"]], 2)) == (238.80, 114.35)
    assert f"{total[cols['执行率']]:.2%}" == "47.89%"


def test_seed_report_has_the_outline_and_figures(seed_run):
    _, out = seed_run
    document = docx.Document(out / "绩效自评报告.docx")
    text = "\n".join(p.text for p in document.paragraphs)
    for heading in ("一、项目支出基本情况", "（一）项目支出资金概况", "（二）项目绩效目标情况", "（三）资金使用管理情况",
                    "二、绩效评价工作情况", "三、项目支出主要绩效", "四、存在的问题", "五、有关建议", "六、其他需要说明的问题"):
        assert heading in text
    assert "238.80万元" in text and "114.35万元" in text and "47.89%" in text
    table_text = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "81.20" in table_text and "40.88" in table_text and "合计" in table_text


def test_seed_result_json(seed_run):
    _, out = seed_run
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert data["totals"]["budget"] == 238.80 and data["totals"]["actual"] == 114.35
    first = data["projects"][0]
    assert first["budget_score"] == 5.03 and first["funds"]["total"]["budget"]["cell"] == "D6"
    assert first["indicators"][0]["explanation"]
    assert {f["status"] for f in data["files"]} == {"已读取"} and len(data["files"][0]["sha256"]) == 64


def test_seed_marked_up_copies(seed_run):
    _, out = seed_run
    copies = sorted(p.name for p in (out / "退回修改").iterdir())
    assert "05_打非案件司法鉴定中介费_审核意见.xlsx" in copies
    wb = openpyxl.load_workbook(out / "退回修改" / "05_打非案件司法鉴定中介费_审核意见.xlsx")
    assert wb.sheetnames[0] == "审核意见"


def test_bad_files_fail_soft(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SEED, inbox)
    (inbox / "损坏.xlsx").write_bytes(b"PK\x03\x04broken")
    wb = openpyxl.Workbook()
    wb.active["A1"] = "会议记录"
    wb.save(inbox / "无关表格.xlsx")
    (inbox / "~$01_公共打击和处置非法集资专项工作经费.xlsx").write_bytes(b"lock")
    (inbox / "说明.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    data = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    assert len(data["projects"]) == 5
    codes = {(i["file"], i["code"]) for i in data["issues"]}
    assert ("损坏.xlsx", "F001") in codes and ("无关表格.xlsx", "F002") in codes
    assert not any("~$" in f["name"] for f in data["files"])
    assert "说明.txt" in data["ignored"] and "说明.txt" in result.output.split("已忽略非电子表格文件：")[1]


def test_ignored_files_are_accounted_for_and_archives_named(tmp_path):
    """Every file of the inbox is in the rules sheet's list, the ignored ones too; an archive (units
    often send their forms packed) is not opened but named, with what to do."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SEED, inbox)
    (inbox / "说明.txt").write_text("x", encoding="utf-8")
    (inbox / "补交").mkdir()
    shutil.make_archive(str(inbox / "补交" / "二季度自评表"), "zip", SEED)
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(tmp_path / "out")])
    assert result.exit_code in (0, 1), result.output
    assert "其中压缩包未解压：补交/二季度自评表.zip；如含自评表，请解压后放入收件文件夹再运行" in result.output
    ws = openpyxl.load_workbook(tmp_path / "out" / "绩效自评汇总.xlsx")["评分规则"]
    listed = {row[0]: row[1:4] for row in ws.iter_rows(values_only=True) if row[0]}
    assert listed["补交/二季度自评表.zip"] == ("已忽略：压缩包未解压，如含自评表请解压后放入收件文件夹", None, None)
    assert listed["说明.txt"] == ("已忽略：不是电子表格", None, None)
    assert listed["01_公共打击和处置非法集资专项工作经费.xlsx"][0] == "已读取"


def test_clean_inbox_exits_zero(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_spec(inbox / "表.xlsx", spec())
    shutil.copy(SEED / "单位情况.xlsx", inbox)
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_nothing_readable_exits_three(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"junk")
    result = CliRunner().invoke(main, ["run", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert not (tmp_path / "out" / "绩效自评汇总.xlsx").exists()


def test_bad_rules_file_exits_two(tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text("[rules]\nreverse_mode = 'x'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(SEED), "-o", str(tmp_path / "out"), "--rules", str(rules)])
    assert result.exit_code == 2 and "reverse_mode" in result.output


def test_check_command_groups_by_file(tmp_path):
    result = CliRunner().invoke(main, ["check", str(SEED)])
    assert result.exit_code == 0
    assert "05_打非案件司法鉴定中介费.xlsx" in result.output and "B005" in result.output
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"合计：文件 6 个（无法读取或无自评表 0 个），项目 5 个（已评分 5 个），错误 0 个，警告 \d+ 个，"
                        r"提示 \d+ 个；用时 \d+\.\d\d 秒", last), last
    quiet = CliRunner().invoke(main, ["check", str(SEED), "-q"])  # the same line, without the time
    assert quiet.output == last.split("；用时")[0] + "\n"
    as_json = CliRunner().invoke(main, ["check", str(SEED), "--json"])
    assert json.loads(as_json.output)["totals"]["projects"] == 5


def test_template_command_writes_the_committed_templates(tmp_path):
    result = CliRunner().invoke(main, ["template", "-o", str(tmp_path)])
    assert result.exit_code == 0
    for name in ("项目支出绩效自评表.xlsx", "单位情况.xlsx"):
        assert describe_workbook(tmp_path / name) == describe_workbook(ROOT / "input_templates" / name)


def test_blank_template_is_read_as_a_form(tmp_path):
    CliRunner().invoke(main, ["template", "-o", str(tmp_path)])
    result = CliRunner().invoke(main, ["check", str(tmp_path / "项目支出绩效自评表.xlsx")])
    assert "P001" in result.output and "T001" in result.output


def test_rules_and_list_checks_commands():
    rules = CliRunner().invoke(main, ["rules"])
    assert rules.exit_code == 0 and "caiyu-2020" in rules.output and "over_ratio" in rules.output
    listing = CliRunner().invoke(main, ["list-checks"])
    assert listing.exit_code == 0
    for code in checks.REGISTRY:
        assert code in listing.output


@pytest.mark.parametrize("command", ["template", "check", "run", "send", "rules", "list-checks"])
def test_every_command_has_chinese_help_with_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "示例" in result.output


@pytest.mark.parametrize("args, expected", [
    (["run", "inbox", "--jobs", "0"], "'--jobs' 的值无效：0 不在允许的范围 1<=x<=64 内"),
    (["check", "没有这个文件夹"], "'PATHS...' 的值无效：路径 '没有这个文件夹' 不存在"),
    (["check", ".", "--year", "二〇二一"], "'--year' 的值无效：'二〇二一' 不是整数"),
    (["run"], "缺少参数 'INBOX'"),
    (["run", "inbox", "--josb", "2"], "没有选项 '--josb'，是否要用 '--jobs' 或 '--json'？"),
    (["run", "inbox", "-o"], "选项 '-o' 后面需要给出值"),
    (["evaluate", "inbox"], "没有命令 'evaluate'"),
    (["chek", "inbox"], "没有命令 'chek'，是否要用 'check'？"),
])
def test_usage_errors_are_in_chinese(tmp_path, args, expected):
    (tmp_path / "inbox").mkdir()
    done = subprocess.run([sys.executable, "-m", "perfeval", *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and f"错误：{expected}" in done.stderr, done.stderr
    assert "Error" not in done.stderr and "Usage" not in done.stderr and "Try " not in done.stderr


@pytest.mark.parametrize("message, expected", [  # the forms of click 8.1–8.3, which setup.cfg allows too
    ("No such option: --jbos (Possible options: --jobs, --json)", "没有选项 --jbos，是否要用 --jobs 或 --json？"),
    ("No such option: --jbos Did you mean --jobs?", "没有选项 --jbos，是否要用 --jobs？"),
    ("No such option: --foo", "没有选项 --foo"),
    ("Invalid value for '--year': '1.5' is not a valid integer range.", "'--year' 的值无效：'1.5' 不是整数"),
    ("Got unexpected extra argument (b)", "多余的参数：b"),
    ("Something click may say one day.", "Something click may say one day."),  # shown as it is
])
def test_usage_messages_of_older_click_versions(message, expected):
    from perfeval.cli import _usage_message

    assert _usage_message(message) == expected


def test_help_headings_and_notes_are_in_chinese():
    shown = CliRunner().invoke(main, ["run", "-h"]).output
    assert shown.startswith("用法：") and "\n选项：\n" in shown and "[默认：output]" in shown
    assert "Usage" not in shown and "Options" not in shown and "default:" not in shown
    assert "\n命令：\n" in CliRunner().invoke(main, ["-h"]).output


def test_python_dash_m(tmp_path):
    done = subprocess.run([sys.executable, "-m", "perfeval", "list-checks"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and "B001" in done.stdout
    # check and run start the worker fork server first; their help does not
    write_spec(tmp_path / "a.xlsx", spec())
    done = subprocess.run([sys.executable, "-m", "perfeval", "check", str(tmp_path), "-q"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 0 and "项目 1 个" in done.stdout and not done.stderr, done
    done = subprocess.run([sys.executable, "-m", "perfeval", "run", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "示例" in done.stdout


def test_files_given_one_by_one_keep_their_folder_in_names(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    first = next(SEED.glob("01_*.xlsx"))
    shutil.copy(first, tmp_path / "sub" / first.name)
    shutil.copy(next(SEED.glob("02_*.xlsx")), tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", f"sub/{first.name}", next(tmp_path.glob("02_*.xlsx")).name, "--json"])
    names = [f["name"] for f in json.loads(result.output)["files"]]
    assert names[0] == f"sub/{first.name}" and names[1].startswith("02_")


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes only on Linux")
def test_file_names_that_are_not_utf8(tmp_path):
    """A USB stick from a Chinese Windows machine: GBK file and folder names, which Python sees with lone
    surrogates. They are shown as Windows shows them; the outputs are written; the files are still read."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = os.fsencode(inbox)
    os.mkdir(os.path.join(raw, "开福区".encode("gbk")))
    write_spec(Path(os.fsdecode(os.path.join(raw, "开福区".encode("gbk"), "项目自评表.xlsx".encode("gbk")))),
               spec(name=""))  # P001: a marked-up copy is written
    shutil.copy(SEED / "单位情况.xlsx", inbox)
    (inbox / os.fsdecode("坏表".encode("gbk") + b"\xff.xlsx")).write_bytes(b"junk")  # not even GB18030
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    data = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    names = sorted(f["name"] for f in data["files"])
    assert names == ["单位情况.xlsx", "坏表\\xff.xlsx", "开福区/项目自评表.xlsx"], names
    assert ("开福区/项目自评表.xlsx", "P001") in {(i["file"], i["code"]) for i in data["issues"]}
    copies = [p.name for p in (tmp_path / "out" / "退回修改").iterdir()]
    assert copies == ["开福区_项目自评表_审核意见.xlsx"], copies  # the junk file cannot be copied
    assert ("坏表\\xff.xlsx", "F001") in {(i["file"], i["code"]) for i in data["issues"]}
    summary = openpyxl.load_workbook(tmp_path / "out" / "绩效自评汇总.xlsx")
    texts = {c.value for ws in summary.worksheets for row in ws.iter_rows() for c in row}
    assert "开福区/项目自评表.xlsx" in texts


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes only on Linux")
def test_a_gbk_file_name_in_a_utf8_folder_keeps_the_folder_name():
    name = "甲区财政局/" + os.fsdecode("项目一".encode("gbk") + b".xlsx")
    assert shown(name) == "甲区财政局/项目一.xlsx"
    assert shown("甲区/" + os.fsdecode(b"\xff.xlsx")) == "甲区/\\xff.xlsx"


def test_a_file_changed_after_checking_gets_no_copy_but_an_f008(tmp_path):
    """The copy is made from the bytes that were checked, or not at all: a form replaced between
    reading and writing is named in every output, and the run exits 1."""
    from perfeval.pipeline import evaluate, write_outputs
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    shutil.copytree(SEED, inbox)
    batch = evaluate([inbox], load_rules(), jobs=1)
    changed = sorted(inbox.glob("0*.xlsx"))[0]
    changed.write_bytes(sorted(inbox.glob("0*.xlsx"))[1].read_bytes())
    outputs = write_outputs(batch, tmp_path / "out", jobs=1)
    [f008] = [i for i in outputs.batch.issues if i.code == "F008"]
    assert f008.file == changed.name and "审核期间被修改" in f008.message and f008.level == "警告"
    assert changed.stem not in {p.name for p in outputs.returns} and len(outputs.returns) >= 1
    result = json.loads(outputs.result.read_text(encoding="utf-8"))
    assert [i["file"] for i in result["issues"] if i["code"] == "F008"] == [changed.name]
    listed = openpyxl.load_workbook(outputs.summary)["审核问题"]
    assert any(row[0] is not None and "F008" in row for row in listed.iter_rows(values_only=True))


def test_a_copy_openpyxl_cannot_open_is_reported_not_dropped(tmp_path, monkeypatch):
    """calamine reads the form, openpyxl refuses its docProps date: no copy, an F008 that says so."""
    import zipfile

    from perfeval import returns
    from perfeval.pipeline import run
    from perfeval.rules import load_rules

    monkeypatch.setattr(returns, "FAST_PATH", False)  # the openpyxl path the fast path falls back to
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = sorted(SEED.glob("0*.xlsx"))[0]
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(inbox / "日期.xlsx", "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:created[^>]*>)[^<]*", rb"\g<1>2021/01/01 10:00", data)
            new.writestr(info.filename, data)
    batch, outputs = run(inbox, tmp_path / "out", load_rules(), jobs=0)  # in this process: FAST_PATH holds
    assert outputs.returns == () and [i.code for i in batch.issues].count("F008") == 1
    data = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    [f008] = [i for i in data["issues"] if i["code"] == "F008"]
    assert f008["file"] == "日期.xlsx" and "openpyxl 不能打开它" in f008["message"]
    assert not list((tmp_path / "out" / "退回修改").glob("*.xlsx"))


XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
PKG_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def with_drawing(source: Path, dest: Path, threaded: bool) -> Path:
    """The form with a picture and a text box on its first sheet (what units paste next to a form:
    a seal, a note) and, if ``threaded``, a threaded comment of Excel 365 (the fast copy path leaves
    those workbooks to openpyxl)."""
    import struct
    import zipfile
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    anchor = ('<xdr:twoCellAnchor><xdr:from><xdr:col>10</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{0}</xdr:row>'
              '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>12</xdr:col><xdr:colOff>0</xdr:colOff>'
              '<xdr:row>{1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>{2}<xdr:clientData/></xdr:twoCellAnchor>')
    picture = ('<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="图片 1"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill>'
               '<a:blip r:embed="rIdImage"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr>'
               '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>')
    text_box = ('<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="3" name="文本框 2"/><xdr:cNvSpPr txBox="1"/>'
                '</xdr:nvSpPr><xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody>'
                '<a:bodyPr/><a:p><a:r><a:t>单位盖章处</a:t></a:r></a:p></xdr:txBody></xdr:sp>')
    drawing = (f'<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
               f'xmlns:r="{PKG_REL}">' + anchor.format(1, 5, picture) + anchor.format(6, 9, text_box) + "</xdr:wsDr>")
    members = {}
    with zipfile.ZipFile(source) as old:
        for info in old.infolist():
            members[info.filename] = old.read(info)
    sheet = "xl/worksheets/sheet1.xml"
    rels_name = "xl/worksheets/_rels/sheet1.xml.rels"
    rels = members.get(rels_name, f'<Relationships xmlns="{PKG_REL.replace("officeDocument/2006/relationships", "package/2006/relationships")}"></Relationships>'.encode())
    extra = (f'<Relationship Id="rIdDrawing" Type="{PKG_REL}/drawing" Target="../drawings/drawing1.xml"/>')
    types = ('<Default Extension="png" ContentType="image/png"/>'
             '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>')
    if threaded:
        extra += ('<Relationship Id="rIdThreaded" Type="http://schemas.microsoft.com/office/2017/10/relationships/'
                  'threadedComment" Target="../threadedComments/threadedComment1.xml"/>')
        types += ('<Override PartName="/xl/threadedComments/threadedComment1.xml" '
                  'ContentType="application/vnd.ms-excel.threadedcomments+xml"/>')
        members["xl/threadedComments/threadedComment1.xml"] = (
            '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
            '<threadedComment ref="K1" dT="2022-01-10T09:00:00.00" personId="{00000000-0000-0000-0000-000000000001}" '
            'id="{00000000-0000-0000-0000-000000000002}"><text>请财务科核对执行数</text></threadedComment>'
            '</ThreadedComments>').encode()
    members[rels_name] = rels.replace(b"</Relationships>", extra.encode() + b"</Relationships>")
    members[sheet] = re.sub(rb"(</sheetData>.*?)(</worksheet>)", rb'\1<drawing r:id="rIdDrawing"/>\2', members[sheet],
                            count=1, flags=re.S)
    if b'xmlns:r=' not in members[sheet][:500]:
        members[sheet] = members[sheet].replace(b"<worksheet ", f'<worksheet xmlns:r="{PKG_REL}" '.encode(), 1)
    members["xl/drawings/drawing1.xml"] = drawing.encode()
    members["xl/drawings/_rels/drawing1.xml.rels"] = (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rIdImage" Type="{PKG_REL}/image" Target="../media/image1.png"/></Relationships>').encode()
    members["xl/media/image1.png"] = png
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(b"</Types>", types.encode() + b"</Types>")
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members.items():
            new.writestr(name, data)
    return dest


def test_a_copy_that_lacks_pictures_or_shapes_says_so(tmp_path):
    """Excel 365's threaded comments send a workbook through openpyxl, which keeps neither pictures
    (without Pillow) nor shapes: the copy is still made, and an F009 names what it lacks. The same
    drawing without threaded comments is copied whole, and no F009."""
    import zipfile

    from perfeval.pipeline import run
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    shutil.copytree(SEED, inbox)
    late = inbox / "05_打非案件司法鉴定中介费.xlsx"  # 执行率 1.60%: it gets a copy
    with_drawing(late, late, threaded=True)
    whole = inbox / "04_金融监管工作经费.xlsx"
    with_drawing(whole, whole, threaded=False)
    batch, outputs = run(inbox, tmp_path / "out", load_rules(), jobs=1)
    [f009] = [i for i in batch.issues if i.code == "F009"]
    assert f009.file == late.name and f009.level == "提示"
    assert "图片、形状（含线条、文本框）、新式批注" in f009.message and "05_打非案件司法鉴定中介费_审核意见.xlsx" in f009.message
    copies = {p.name: p for p in outputs.returns}
    assert "05_打非案件司法鉴定中介费_审核意见.xlsx" in copies
    data = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    assert [i["file"] for i in data["issues"] if i["code"] == "F009"] == [late.name]
    with zipfile.ZipFile(copies["04_金融监管工作经费_审核意见.xlsx"]) as z:  # warnings of its own: a copy
        assert "xl/media/image1.png" in z.namelist() and "单位盖章处".encode() in z.read("xl/drawings/drawing1.xml")


def seed_copy(inbox: Path, number: str, name: str, cells: dict[str, object] | None = None,
              sheet: str = "项目支出绩效自评表") -> Path:
    """A seed form copied into ``inbox`` under ``name``, with ``cells`` changed (openpyxl)."""
    target = inbox / name
    shutil.copy(sorted(SEED.glob(f"{number}_*.xlsx"))[0], target)
    if cells:
        wb = openpyxl.load_workbook(target)
        for ref, value in cells.items():
            wb[sheet][ref] = value
        wb.save(target)
    return target


def test_absurd_figures_are_reported_not_fatal(tmp_path):
    """A 全年预算数 of 1e26 (the Decimal rounding of the report used to raise beyond 28 digits) and an
    indicator whose actual is 1e26 times its target: every output is written, the amount is a B011."""
    from perfeval.pipeline import run
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seed_copy(inbox, "01", "巨额.xlsx", {"D6": 1e26, "E6": 1e26})
    seed_copy(inbox, "02", "比例.xlsx", {"E14": "≥0.000000000001次", "F14": "99999999999999次"})
    batch, outputs = run(inbox, tmp_path / "out", load_rules(), jobs=0)
    assert [(i.file, i.cell) for i in batch.issues if i.code == "B011"] == [("巨额.xlsx", "D6"), ("巨额.xlsx", "E6")]
    status = {r.project.file: r.status for r in batch.results}
    assert status["比例.xlsx"] == "已评分" and status["巨额.xlsx"] == "未评分"  # no budget to score against
    docx.Document(outputs.reports[0])
    json.loads(outputs.result.read_text(encoding="utf-8"))  # strict JSON: no Infinity
    totals = openpyxl.load_workbook(outputs.summary).worksheets[0]
    assert all(c.value != float("inf") for row in totals.iter_rows() for c in row)


def test_a_unit_name_longer_than_a_document_property_holds(tmp_path):
    """python-docx refuses core properties over 255 characters: the report is still written."""
    from perfeval.pipeline import run
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seed_copy(inbox, "01", "01.xlsx")
    units = inbox / "单位情况.xlsx"
    shutil.copy(SEED / "单位情况.xlsx", units)
    wb = openpyxl.load_workbook(units)
    ws = wb.worksheets[0]
    [cell] = [row[1] for row in ws.iter_rows() if row[0].value == "单位名称"]
    cell.value = "长沙市开福区" + "金融事务服务中心" * 40
    wb.save(units)
    batch, outputs = run(inbox, tmp_path / "out", load_rules(), jobs=0)
    report = docx.Document(outputs.reports[0])
    assert report.core_properties.author == cell.value[:255] and len(batch.unit.name) > 255


def test_copy_and_report_names_differ_in_more_than_case(tmp_path):
    """Windows and macOS do not tell "A" from "a" in file names: two copies or two reports whose names
    differ only in case are numbered like any other clash."""
    from perfeval.outputs import report_names
    from perfeval.pipeline import run
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seed_copy(inbox, "01", "Proj.xlsx")
    seed_copy(inbox, "05", "proj.xlsx")
    _, outputs = run(inbox, tmp_path / "out", load_rules(), jobs=0)
    names = [p.name for p in outputs.returns]
    assert len(names) == 2 and len({n.casefold() for n in names}) == 2, names
    reports = report_names(["ABC中心", "abc中心", "Abc中心"])
    assert len({n.casefold() for n in reports.values()}) == 3, reports
    assert list(reports.values()) == ["ABC中心绩效自评报告.docx", "abc中心(2)绩效自评报告.docx", "Abc中心(3)绩效自评报告.docx"]
    # made safe alike ("." and "_" trimmed), numbered apart: each goes on from its own (2), as send expects
    assert list(report_names(["X中心", "X中心.", "X中心_"]).values()) == [
        "X中心绩效自评报告.docx", "X中心.(2)绩效自评报告.docx", "X中心_(2)绩效自评报告.docx"]


def test_thousands_of_clashing_report_names_are_numbered_in_linear_time():
    """Each clashing name tried every number from 2 up, so 3,000 names that differ only in case took
    millions of tries (20 s); a name now goes on from the last number its clash took."""
    import itertools
    import time

    from perfeval.outputs import report_names

    variants = ["".join(chars) + "中心" for chars in itertools.product(*[(c, c.upper()) for c in "abcdefghijkl"])][:3_000]
    started = time.perf_counter()
    reports = report_names(variants)
    assert time.perf_counter() - started < 2.0  # the bound only catches a relapse
    assert len({n.casefold() for n in reports.values()}) == 3_000
    assert reports[variants[-1]] == f"{variants[-1]}(3000)绩效自评报告.docx"


@pytest.mark.parametrize("where", ["inbox", "parent", "under-a-file"])
def test_an_output_folder_that_cannot_hold_the_outputs_is_a_usage_error(tmp_path, where):
    """The inbox itself (its forms would be skipped as outputs), a folder holding it, or a path under a
    file: exit 2 with a Chinese message before any work, never a traceback."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SEED, inbox)
    (tmp_path / "afile").write_text("x")
    outdir = {"inbox": inbox, "parent": tmp_path, "under-a-file": tmp_path / "afile" / "out"}[where]
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(outdir), "-q"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert ("就是收件箱" if where != "under-a-file" else "无法写入输出文件夹") in result.output


def test_a_form_sent_twice_counts_once_and_a_shared_code_counts_both(tmp_path):
    """The same form in two files (one saved twice, or sent by two units) is one project in every total;
    two different forms that share a 项目编码 (a form copied with its code) are both counted. Both are F004."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        write_spec(inbox / f"{n}.xlsx", spec(name=f"项目{n}", code=f"XM{n}"))
    shutil.copyfile(inbox / "0.xlsx", inbox / "0_再次提交.xlsx")
    write_spec(inbox / "3_照抄编码.xlsx", spec(name="另一个项目", code="XM1"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(out), "-q", "--jobs", "1"])
    assert result.exit_code == 1, result.output  # F004 is an error
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert data["totals"]["projects"] == 4 and data["totals"]["budget"] == 4 * 22.5
    assert sorted(p["name"] for p in data["projects"]) == ["另一个项目", "项目0", "项目1", "项目2"]
    status = {f["name"]: f["status"] for f in data["files"]}
    assert status["0_再次提交.xlsx"] == "重复提交" and status["3_照抄编码.xlsx"] == "已读取"
    f004 = {i["file"]: i["message"] for i in data["issues"] if i["code"] == "F004"}
    assert set(f004) == {"0_再次提交.xlsx", "3_照抄编码.xlsx"}
    assert "内容完全相同" in f004["0_再次提交.xlsx"] and "只计一次" in f004["0_再次提交.xlsx"]
    assert "均已计入" in f004["3_照抄编码.xlsx"]
    ws = openpyxl.load_workbook(out / "绩效自评汇总.xlsx")["项目汇总"]
    names = [row[1] for row in ws.iter_rows(min_row=3, values_only=True) if isinstance(row[0], int)]
    assert sorted(names) == ["另一个项目", "项目0", "项目1", "项目2"]
    text = "\n".join(p.text for p in docx.Document(out / "绩效自评报告.docx").paragraphs)
    assert "4个项目" in text and "90.00万元" in text
    assert sorted(p.name for p in (out / "退回修改").iterdir()) == ["0_再次提交_审核意见.xlsx", "3_照抄编码_审核意见.xlsx"]


def test_the_original_is_kept_and_the_file_named_as_a_copy_is_the_repeat(tmp_path):
    """"X - 副本.xlsx" sorts before "X.xlsx" (a space before the dot), so reading order alone kept the copy
    and marked the original 重复提交. A file named as a copy comes after the others, whatever its place."""
    from perfeval.pipeline import evaluate
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_spec(inbox / "民政局专项经费01.xlsx", spec(name="专项经费", code="MZ01"))
    shutil.copyfile(inbox / "民政局专项经费01.xlsx", inbox / "民政局专项经费01 - 副本.xlsx")
    write_spec(inbox / "附件(3).xlsx", spec(name="附件项目", code="FJ03"))  # a name like a browser's copy
    shutil.copyfile(inbox / "附件(3).xlsx", inbox / "附件(3) - 副本.xlsx")
    write_spec(inbox / "教育局项目.xlsx", spec(name="教育项目", code="JY01"))
    write_spec(inbox / "教育局项目(1).xlsx", spec(name="教育项目", code="JY01", year=2020))  # edited since
    batch = evaluate([inbox], load_rules(), 2021)
    status = {f.name: f.status for f in batch.files}
    assert status["民政局专项经费01.xlsx"] == "已读取" and status["民政局专项经费01 - 副本.xlsx"] == "重复提交"
    assert status["附件(3).xlsx"] == "已读取" and status["附件(3) - 副本.xlsx"] == "重复提交"
    assert sorted(r.project.file for r in batch.results) == ["教育局项目(1).xlsx", "教育局项目.xlsx",
                                                             "民政局专项经费01.xlsx", "附件(3).xlsx"]
    f004 = {i.file: i.message for i in batch.issues if i.code == "F004"}
    assert set(f004) == {"民政局专项经费01 - 副本.xlsx", "附件(3) - 副本.xlsx", "教育局项目(1).xlsx"}
    assert "与 民政局专项经费01.xlsx（" in f004["民政局专项经费01 - 副本.xlsx"]
    assert "已在 教育局项目.xlsx（" in f004["教育局项目(1).xlsx"]


def test_a_repeated_form_stays_with_its_unit_and_across_units_both_count(tmp_path):
    """A repeat's F004 belongs to its unit's report and mail though its project is counted once; the
    same form in two units' folders is counted in both (moving it to one unit would be a guess)."""
    from perfeval import send
    from perfeval.pipeline import evaluate
    from perfeval.result_json import batch_to_dict
    from perfeval.rules import load_rules

    inbox = tmp_path / "inbox"
    for unit in ("甲中心", "乙中心"):
        (inbox / unit).mkdir(parents=True)
        write_spec(inbox / unit / "a.xlsx", spec(name=f"{unit}项目", code=f"{unit}01", implementer=unit))
    shutil.copyfile(inbox / "甲中心" / "a.xlsx", inbox / "甲中心" / "a_副本.xlsx")
    write_spec(inbox / "乙中心" / "共用.xlsx", spec(name="共用项目", code="GY01", implementer="乙中心"))
    shutil.copyfile(inbox / "乙中心" / "共用.xlsx", inbox / "甲中心" / "共用.xlsx")  # misfiled in 甲中心's folder
    batch = evaluate([inbox], load_rules(), 2021)
    units = {u.name for u in batch.units}
    assert units == {"甲中心", "乙中心"}, units
    assert sorted(r.project.file for r in batch.results) == ["乙中心/a.xlsx", "乙中心/共用.xlsx", "甲中心/a.xlsx",
                                                             "甲中心/共用.xlsx"]
    assert [f.unit for f in batch.files if f.status == "重复提交"] == ["甲中心"]
    own = batch.for_unit("甲中心")
    assert "甲中心/a_副本.xlsx" in [i.file for i in own.issues if i.code == "F004"]
    data = json.loads(json.dumps(batch_to_dict(batch), ensure_ascii=False, default=str))
    _, issues = send.unit_part(data, "甲中心")
    assert "甲中心/a_副本.xlsx" in [i["file"] for i in issues if i["code"] == "F004"]


@pytest.mark.parametrize("units", [1, 3, 4])
def test_run_closes_with_a_summary_of_the_batch_and_where_its_outputs_are(tmp_path, units):
    """Files read and not, projects and scored ones, errors, warnings, the ignored files, the sums, every
    output's place and the time taken. One report is named; a city's dozens of units' reports are counted,
    not listed one by one (a 50-unit batch printed a line of 50 paths)."""
    inbox = tmp_path / "inbox"
    for n in range(units):
        unit = f"第{n}中心"
        (inbox / unit).mkdir(parents=True)
        write_spec(inbox / unit / "项目.xlsx", spec(name=f"项目{n}", code=f"XM{n}", implementer=unit,
                                                   rate=0.5 if n == 0 else 1.0))  # B006
    (inbox / "坏.xlsx").write_bytes(b"PK\x03\x04 truncated")
    (inbox / "说明.txt").write_text("x", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(inbox), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    # the error: the broken file's F001; the warnings: each unit's U001 and the written 执行率's B006
    assert lines[-5] == (f"读取文件 {units} 个，无法读取或无自评表 1 个；项目 {units} 个，已评分 {units} 个；"
                         f"错误 1 个，警告 {units + 1} 个。")
    assert lines[-4] == "已忽略非电子表格文件：说明.txt"
    assert lines[-3] == (f"全年预算数合计 {units * 22.5:.2f} 万元，全年执行数合计 {units * 22.5:.2f} 万元，执行率 100.00%。")
    reports = sorted(out.glob("*绩效自评报告.docx"))
    assert len(reports) == units
    listed = f"各单位绩效自评报告 {units} 份在 {out}" if units > 3 else "、".join(map(str, reports))
    assert lines[-2] == (f"输出：{out / '绩效自评汇总.xlsx'}、{listed}、{out / 'result.json'}，"
                         f"退回修改副本 1 份在 {out / '退回修改'}")
    assert re.fullmatch(r"用时 \d+\.\d\d 秒。", lines[-1])


def test_a_gbk_console_shows_names_it_cannot_encode_as_question_marks(tmp_path):
    """A Chinese Windows console, or output redirected there, is GBK: a file name with an emoji or a bidi
    control cannot be printed as it is. The run still finishes with its summary, and --json stays exact."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    from tests.corpus import Form, standard_sheet, write_book

    write_book(inbox / "宣传经费👍.xlsx", [standard_sheet(Form(name="项目\u202e甲", rate=0.5))])  # B006: listed
    (inbox / "说明😀.txt").write_text("x", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}  # strict, as a legacy console's encoding is
    for command in (["check", str(inbox)], ["run", str(inbox), "-o", str(tmp_path / "out")]):
        done = subprocess.run([sys.executable, "-m", "perfeval", *command], capture_output=True, env=env, timeout=120)
        stdout, stderr = done.stdout.decode("gbk"), done.stderr.decode("gbk")
        assert done.returncode in (0, 1) and "Traceback" not in stderr, stderr
        assert ("宣传经费?.xlsx" if command[0] == "check" else "说明?.txt") in stdout
        assert ("合计：文件 1 个（无法读取或无自评表 0 个）" if command[0] == "check" else "用时") in stdout
    done = subprocess.run([sys.executable, "-m", "perfeval", "check", str(inbox), "--json"], capture_output=True,
                          env=env, timeout=120)
    report = json.loads(done.stdout.decode("gbk"))
    assert [f["name"] for f in report["files"]] == ["宣传经费👍.xlsx"] and report["ignored"] == ["说明😀.txt"]


def test_json_is_escaped_only_when_the_output_cannot_take_a_string_of_it():
    """--json is written as it is encoded (a city's runs to hundreds of megabytes); whether it must be
    escaped is decided first, from every string it holds, the objects written through ``default`` too."""
    import datetime as dt
    from pathlib import PurePosixPath

    from perfeval.cli import _encodable

    data = {"files": [{"name": "宣传经费.xlsx", "run": dt.date(2022, 3, 1)}], "键": ("甲", 1.5, None, True)}
    assert _encodable(data, "utf-8", str) and _encodable(data, "gbk", str)
    assert not _encodable(data, "ascii", str)
    assert not _encodable({**data, "path": PurePosixPath("宣传👍.xlsx")}, "gbk", str)  # through ``default``
    assert not _encodable({"名\u202e": 1}, "gbk", str)  # a key
    assert not _encodable({"a": "x"}, "no-such-codec", str)


@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_json_sections_write_what_json_dumps_writes(monkeypatch, encoding):
    """check --json writes its head and then its lists item by item, never holding them (a city's 10,000
    projects were 630 MB at the peak as one dict): the text is json.dumps' of the whole, escaped or not."""
    import datetime as dt
    import io

    from perfeval.cli import _echo_json_sections

    def project(n: int) -> dict:
        long = "说明" * 200_000 if n % 7 == 3 else ""  # some items past the 1 MB a write may hold (written early)
        return {"name": f"项目{n}\n第二行", "funds": {"total": {"value": n / 3, "cell": "E6"}},
                "indicators": [{"target": "≥90%", "notes": [long]}, {"date": dt.date(2021, 12, 31)}], "empty": {}}

    head = {"perfeval_version": "0.1.0", "units": [], "totals": {"projects": 300, "rate": None}}
    for counts in ((0, 0), (1, 0), (300, 2), (256, 1), (512, 0)):
        lists = {"projects": lambda c=counts[0]: (project(n) for n in range(c)),
                 "issues": lambda c=counts[1]: ({"code": "B001", "message": f"第{n}个"} for n in range(c))}
        whole = {**head, **{key: list(items()) for key, items in lists.items()}}
        out = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
        monkeypatch.setattr(sys, "stdout", out)
        _echo_json_sections(head, lists, indent=1, default=str)
        out.flush()
        written = out.buffer.getvalue().decode(encoding)
        assert written == json.dumps(whole, indent=1, default=str, ensure_ascii=encoding == "ascii") + "\n", counts


def test_lists_of_projects_are_no_forms(tmp_path):
    """A unit's overview of its projects (项目名称 heading a column beside the 预算/执行 columns), and
    perfeval's own summary workbook left in the inbox, hold no form: F002 each, and the totals are the
    forms' alone (they were read as extra projects, doubling the money)."""
    from perfeval.pipeline import evaluate, run
    from perfeval.rules import load_rules

    _, first = run(SEED, tmp_path / "first", load_rules())
    inbox = tmp_path / "inbox"
    shutil.copytree(SEED, inbox)
    shutil.copy(first.summary, inbox / "去年的绩效自评汇总.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目清单"
    ws.append(["序号", "项目名称", "年初预算数", "全年预算数", "全年执行数", "执行率"])
    ws.append([1, "金融监管工作经费", 25, 22.5, 20.25, 0.9])
    ws.append([2, "金融产业培育经费", 20, 20, 18, 0.9])
    ws.append(["合计", "", 45, 42.5, 38.25, 0.9])
    wb.save(inbox / "项目清单.xlsx")
    wb = openpyxl.Workbook()  # a two-row header: 项目名称 merged down beside 预算安排 over its columns
    ws = wb.active
    ws.append(["序号", "项目名称", "预算安排（万元）", None, "执行情况（万元）"])
    ws.append([None, None, "年初预算数", "全年预算数", "全年执行数"])
    ws.append([1, "金融监管工作经费", 25, 22.5, 20.25])
    ws.append(["合计", None, 25, 22.5, 20.25])
    for cells in ("A1:A2", "B1:B2", "C1:D1"):
        ws.merge_cells(cells)
    wb.save(inbox / "两行表头清单.xlsx")
    before = evaluate([SEED], load_rules())
    batch = evaluate([inbox], load_rules())
    assert sorted(r.project.name for r in batch.results) == sorted(r.project.name for r in before.results)
    assert sum(r.project.funds.total.budget.value for r in batch.results) == \
        sum(r.project.funds.total.budget.value for r in before.results)
    codes = {(i.file, i.code) for i in batch.issues}
    assert {("去年的绩效自评汇总.xlsx", "F002"), ("项目清单.xlsx", "F002"), ("两行表头清单.xlsx", "F002")} <= codes


def test_formula_error_values_are_named_not_taken_for_blanks(tmp_path):
    """#REF!, #DIV/0!, #VALUE! in a form's cells (a formula that failed; calamine reads them as empty) are
    reported as the error values they are, in the amounts and in the indicators, not as cells never filled."""
    import zipfile

    from perfeval.pipeline import evaluate
    from perfeval.rules import load_rules
    from tests.corpus import Form, standard_sheet, write_book

    (tmp_path / "inbox").mkdir()
    path = write_book(tmp_path / "inbox" / "错误值.xlsx", [standard_sheet(Form())])
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["E6"], ws["F14"], ws["G15"] = "#REF!", "#DIV/0!", "#VALUE!"  # stored as error values (t="e")
    wb.save(path)
    with zipfile.ZipFile(path) as archive:  # one of them as Excel writes a failed formula: <f> and its <v>
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = re.sub(rb'(<c r="E6"[^>]*>)', rb'\1<f>SUM(E7,#REF!)</f>', members[sheet])
    assert b"<f>SUM(E7,#REF!)</f><v>#REF!</v>" in members[sheet]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    batch = evaluate([tmp_path / "inbox"], load_rules(), year=2021)
    by_cell = {(i.code, i.cell): i.message for i in batch.issues}
    assert by_cell[("B011", "E6")] == "单元格显示公式的错误值“#REF!”（公式出错），请修正公式或直接填写数值（金额以万元为单位）"
    assert by_cell[("B011", "G15")] == "单元格显示公式的错误值“#VALUE!”（公式出错），请修正公式或直接填写数值"
    assert by_cell[("T004", "F14")].endswith("的实际完成值显示公式的错误值“#DIV/0!”（公式出错），请修正公式或直接填写数值")
    assert not [c for c, cell in by_cell if cell == "F14" and c in ("T014", "T015", "T006")]  # not scored as 0
    assert by_cell[("B012", "E6")] == "全年执行数“#REF!”不是数字，无法计算预算执行率；请填写数值，未支出请填 0"
    [result] = batch.results
    assert result.project.funds.total.actual.text == "#REF!"
    # in a text field (项目名称) of two different forms: not filled in, and no "same project twice"
    for n in (1, 2):
        other = write_book(tmp_path / "inbox" / f"名称出错{n}.xlsx",
                           [standard_sheet(Form(extras=(f"KF{n}", *Form().extras[1:]), rate=0.5 + n / 10))])
        wb = openpyxl.load_workbook(other)
        wb.active["B3"] = "#REF!"
        wb.save(other)
    batch = evaluate([tmp_path / "inbox"], load_rules(), year=2021)
    found = {(i.file, i.code, i.cell): i.message for i in batch.issues if i.file.startswith("名称出错")}
    for n in (1, 2):
        assert found[(f"名称出错{n}.xlsx", "F003", "B3")].startswith("单元格显示公式的错误值“#REF!”（公式出错），按未填写处理")
        assert (f"名称出错{n}.xlsx", "P001", "B3") in found
    assert not [key for key in found if key[1] == "F004"]


@pytest.mark.parametrize("reason, words", [("crash", "异常退出"), ("timeout", "读取超时"), ("memory", "超出内存上限"),
                                           ("error", "程序错误")])
def test_a_file_its_worker_could_not_finish_says_why(tmp_path, reason, words):
    from perfeval.pipeline import read_failed
    from perfeval.rules import load_rules

    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK")
    reading = read_failed((path, "x.xlsx", load_rules()), reason)
    [issue] = reading.book.issues
    assert issue.code == "F007" and words in issue.message and issue.file == "x.xlsx" and reading.results == ()



def test_a_form_with_thousands_of_issues_lists_the_first_500():
    """20,000 issues of one form stayed in memory to the end of the run and went twice into result.json (thirty
    such forms: past 1 GB and a 5 GB result.json): the errors first, the file's own first of them, and one F007
    counting them all. A form with fewer keeps its issues as they are."""
    from perfeval.checks import issue
    from perfeval.model import Project
    from perfeval.pipeline import MAX_ISSUES, bounded

    project = Project("f.xlsx", "表", "项目")
    few = [issue("T002", "x", file="f.xlsx")] * MAX_ISSUES
    assert bounded(few, project) is few
    many = [issue("T005", f"w{n}", level="警告") for n in range(300)] + \
        [issue("T002", f"e{n}", level="错误") for n in range(400)] + \
        [issue("F003", "f", level="错误"), issue("B007", "i", level="提示")]
    kept = bounded(many, project)
    assert len(kept) == MAX_ISSUES + 1 and kept[0].code == "F003" and kept[1].message == "e0"
    assert [i.level for i in kept[:401]] == ["错误"] * 401 and kept[401].message == "w0"
    last = kept[-1]
    assert (last.code, last.file, last.sheet, last.project) == ("F007", "f.xlsx", "表", "项目")
    assert "共 702 个：错误 401 个、警告 300 个、提示 1 个" in last.message


def test_a_copy_its_worker_could_not_finish_says_why():
    from perfeval.pipeline import copy_failed

    assert "超出内存上限" in copy_failed(None, "memory")[1] and "异常退出" in copy_failed(None, "crash")[1]
