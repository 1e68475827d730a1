"""A hostile inbox end to end, as a finance bureau's laptop would meet it: `perfeval run` in its own
process over good forms mixed with an 800 MB zip bomb, a billion-laughs payload, an XXE pointing at a
local file, an encrypted workbook, a PDF and a truncated file under .xlsx names, a lone cell at
XFD1048576 (also in a sheet stored under another spelling), an XXE in the document properties, an
.xls whose sector chain loops, a link to itself, a duplicate and an Office lock file, in a subfolder
per unit.

It must finish with every good form scored, every bad file reported with its code, exit code 1, the
inputs unchanged, nothing of the local file in any output, and the whole process tree (perfeval and
its worker processes) under 1 GB at every moment.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.corpus import Form, standard_sheet, write_book
from tests.test_hostile import SECRET, _doctype, _inject, deflate, members_of, write_members, write_raw_zip

GOOD = ("教育信息化专项经费", "学生资助补助经费", "校舍维修改造经费")
MEMORY_LIMIT = 1 << 30


def zip_bomb_800mb(path: Path, base: Path) -> Path:
    """The standard form whose sheet XML inflates to 800 MB (declared truthfully in the directory),
    deflated in chunks so that the test never holds the 800 MB either."""
    chunk = b"<row><c><v>1</v></c></row>" * 40_000  # ~1 MB
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>')
    tail = b"</sheetData></worksheet>"
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    parts, crc, size = [c.compress(head)], zlib.crc32(head), len(head)
    while size < 800 * 1024 * 1024:
        parts.append(c.compress(chunk))
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    parts += [c.compress(tail), c.flush()]
    crc, size = zlib.crc32(tail, crc), size + len(tail)
    entries = []
    for name, data in members_of(base).items():
        if name == "xl/worksheets/sheet1.xml":
            entries.append((name, b"".join(parts), crc, size, size))
        else:
            deflated, member_crc, member_size = deflate(data)
            entries.append((name, deflated, member_crc, member_size, member_size))
    return write_raw_zip(path, entries)


def entity_attack(path: Path, base: Path, secret: Path, laughs: bool) -> Path:
    members = members_of(base)
    members["xl/sharedStrings.xml"] = _inject(members["xl/sharedStrings.xml"], _doctype(secret, laughs),
                                              b"&lol9;" if laughs else b"&xxe;", b"<t>")
    return write_members(path, members)


def far_cell(path: Path, base: Path) -> Path:
    members = members_of(base)
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    return write_members(path, members)


def far_cell_under_another_spelling(path: Path, base: Path) -> Path:
    """The same far cell, in a sheet stored as XL/Worksheets/Sheet1.xml (readers find it all the same)."""
    members = members_of(base)
    sheet = members.pop("xl/worksheets/sheet1.xml")
    members["XL/Worksheets/Sheet1.xml"] = sheet.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    return write_members(path, members)


def xxe_in_document_properties(path: Path, base: Path, secret: Path) -> Path:
    members = members_of(base)
    members["docProps/core.xml"] = _inject(members["docProps/core.xml"], _doctype(secret, False), b"&xxe;",
                                           b"<dc:creator>")
    return write_members(path, members)


def xls_with_a_looping_chain(path: Path) -> Path:
    data = bytearray(write_book(path.with_name("base.xls"), [standard_sheet(Form(name="环"))]).read_bytes())
    path.with_name("base.xls").unlink()
    fat = (struct.unpack_from("<I", data, 0x4C)[0] + 1) * 512
    for k in range(128):
        struct.pack_into("<I", data, fat + 4 * k, k)  # every sector followed by itself
    path.write_bytes(bytes(data))
    return path


def encrypted(path: Path) -> Path:
    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088)
    ole[1024:1024 + 28] = "EncryptionInfo".encode("utf-16-le")
    ole[1152:1152 + 32] = "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(bytes(ole))
    return path


@pytest.fixture(scope="module")
def hostile_inbox(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    secret = root / "secret.txt"  # a local file an XXE would pull into the outputs
    secret.write_text(SECRET, encoding="utf-8")
    inbox = root / "inbox"
    unit_a, unit_b = inbox / "甲单位", inbox / "乙单位"
    unit_a.mkdir(parents=True)
    unit_b.mkdir()
    base = write_book(root / "base.xlsx", [standard_sheet(Form())])
    for n, name in enumerate(GOOD):
        folder = unit_a if n < 2 else unit_b
        write_book(folder / f"{name}.xlsx", [standard_sheet(Form(name=name, implementer=folder.name))])
    (unit_b / "校舍维修改造经费（重复）.xlsx").write_bytes((unit_b / f"{GOOD[2]}.xlsx").read_bytes())
    (unit_a / "~$教育信息化专项经费.xlsx").write_bytes(b"\0" * 165)  # Office's lock file
    zip_bomb_800mb(unit_a / "压缩炸弹.xlsx", base)
    entity_attack(unit_a / "实体膨胀.xlsx", base, secret, laughs=True)
    entity_attack(unit_b / "外部实体.xlsx", base, secret, laughs=False)
    far_cell(unit_b / "远端单元格.xlsx", base)
    encrypted(unit_b / "加密.xlsx")
    (unit_b / "其实是PDF.xlsx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n")
    whole = base.read_bytes()
    (unit_a / "半截.xlsx").write_bytes(whole[: len(whole) // 2])
    far_cell_under_another_spelling(unit_a / "大小写.xlsx", base)
    xxe_in_document_properties(unit_a / "属性实体.xlsx", base, secret)
    xls_with_a_looping_chain(unit_b / "扇区成环.xls")
    (unit_b / "自指链接.xlsx").symlink_to("自指链接.xlsx")
    return inbox, root


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if not p.is_symlink() and p.is_file()}


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo += children.get(current, [])
    return total


def run_watched(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, int]:
    """Run perfeval in its own process, sampling its process tree's memory every 20 ms."""
    process = subprocess.Popen([sys.executable, "-m", "perfeval", *args], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    out, err = process.communicate()
    return subprocess.CompletedProcess(args, process.returncode, out, err), peak


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memory is sampled from /proc")
def test_hostile_inbox_end_to_end(hostile_inbox):
    inbox, root = hostile_inbox
    out = root / "out"
    before = hashes(inbox)
    result, peak = run_watched(["run", str(inbox), "-o", str(out), "--jobs", "2"], cwd=root)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert peak < MEMORY_LIMIT, f"process tree peaked at {peak / 1048576:.0f} MB"
    assert hashes(inbox) == before  # inputs never written to

    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    scored = {p["name"]: p for p in data["projects"]}
    assert set(GOOD) <= set(scored)
    assert all(scored[name]["total"] is not None for name in GOOD)
    codes = {}
    for issue in data["issues"]:
        codes.setdefault(issue["file"], set()).add(issue["code"])
    expected = {"甲单位/压缩炸弹.xlsx": "F007", "甲单位/实体膨胀.xlsx": "F001", "乙单位/外部实体.xlsx": "F001",
                "乙单位/远端单元格.xlsx": "F007", "乙单位/加密.xlsx": "F001", "乙单位/其实是PDF.xlsx": "F001",
                "甲单位/半截.xlsx": "F001", "甲单位/大小写.xlsx": "F007", "甲单位/属性实体.xlsx": "F001",
                "乙单位/扇区成环.xls": "F001", "乙单位/自指链接.xlsx": "F001"}
    for file, code in expected.items():
        assert code in codes.get(file, set()), (file, codes.get(file))
    assert any("F004" in found for found in codes.values())
    assert not any("~$" in file for file in codes)  # the lock file is skipped silently
    encrypted_issue = next(i for i in data["issues"] if i["file"] == "乙单位/加密.xlsx")
    assert encrypted_issue["message"] == "文件已加密，请另存为未加密的工作簿"

    # nothing of the local file reached any output, whether as text or inside a zipped part
    outputs = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".docx" for p in outputs) and any(p.suffix == ".xlsx" for p in outputs)
    for path in outputs:
        raw = path.read_bytes()
        assert SECRET.encode() not in raw and SECRET.encode("utf-16-le") not in raw, path
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.infolist():
                    assert SECRET.encode() not in archive.read(member), (path, member.filename)
    assert not list(out.glob(".perfeval-*"))  # no staging folder left
