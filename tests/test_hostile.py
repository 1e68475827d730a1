"""Hostile and broken files, built by code: each ends as an issue with its code and a clear Chinese
message, fast, without inflating what it must not, and ``read_workbook`` never raises.

Cases that would make python-calamine abort the process (a lone cell at XFD1048576 makes it allocate
a dense grid of hundreds of GB) are read with calamine replaced by a sentinel: the precheck must
reject them before calamine is ever called, and a regression fails the test instead of killing it.
"""

from __future__ import annotations

import os
import re
import struct
import time
import tracemalloc
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from perfeval import reader
from perfeval.pipeline import evaluate
from perfeval.reader import ENCRYPTED, read_workbook
from perfeval.rules import load_rules
from tests.corpus import Form, standard_sheet, write_book

SECRET = "TOPSECRET-4711-不应出现"


# ---- builders -----------------------------------------------------------------------------


def form_xlsx(path: Path) -> Path:
    """A clean standard form, as Excel saves it (shared strings)."""
    return write_book(path, [standard_sheet(Form())])


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def write_members(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def write_raw_zip(path: Path, entries: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A zip written field by field: (name, deflated bytes, crc, true size, declared size), so that
    the directory can state sizes the data does not have."""
    body, central = bytearray(), bytearray()
    for name, deflated, crc, _, declared in entries:
        raw = name.encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(deflated), declared,
                            len(raw), 0) + raw + deflated
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0x21, crc, len(deflated),
                               declared, len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def deflate(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def deflated_sheet_bomb(rows: int = 2_200_000) -> tuple[bytes, int, int]:
    """sheet1.xml of ``rows`` identical rows (~57 MB), deflated at level 9 to ~100 KB, built in chunks."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>')
    chunk = b"<row><c><v>1</v></c></row>" * 10_000
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc, size = [c.compress(head)], zlib.crc32(head), len(head)
    for _ in range(rows // 10_000):
        parts.append(c.compress(chunk))
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    tail = b"</sheetData></worksheet>"
    parts += [c.compress(tail), c.flush()]
    return b"".join(parts), zlib.crc32(tail, crc), size + len(tail)


@pytest.fixture(scope="module")
def bomb() -> tuple[bytes, int, int]:
    return deflated_sheet_bomb()


def bomb_workbook(path: Path, bomb: tuple[bytes, int, int], declared: int | None = None) -> Path:
    """The standard form with its sheet replaced by the bomb; ``declared`` lies about its size."""
    members = members_of(form_xlsx(path.with_suffix(".base.xlsx")))
    entries = []
    for name, data in members.items():
        if name == "xl/worksheets/sheet1.xml":
            deflated, crc, size = bomb
            entries.append((name, deflated, crc, size, size if declared is None else declared))
        else:
            deflated, crc, size = deflate(data)
            entries.append((name, deflated, crc, size, size))
    return write_raw_zip(path, entries)


def with_sheet(path: Path, edit) -> Path:
    """The standard form with its sheet XML changed by ``edit(xml) -> xml``."""
    members = members_of(form_xlsx(path.with_suffix(".base.xlsx")))
    members["xl/worksheets/sheet1.xml"] = edit(members["xl/worksheets/sheet1.xml"])
    return write_members(path, members)


def extra_rows(xml_rows: bytes):
    return lambda xml: xml.replace(b"</sheetData>", xml_rows + b"</sheetData>")


@pytest.fixture
def no_calamine(monkeypatch):
    """Make reaching calamine a test failure instead of a process abort."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("calamine must not see this file")

    for opener in ("from_filelike", "from_path", "from_object"):
        monkeypatch.setattr(reader.python_calamine.CalamineWorkbook, opener, refuse)
    monkeypatch.setattr(reader.python_calamine, "load_workbook", refuse)
    return calls


def read(path: Path):
    """read_workbook, timed: (workbook, seconds)."""
    started = time.perf_counter()
    book = read_workbook(path, path.name)
    return book, time.perf_counter() - started


def only_issue(book):
    assert not book.forms and not book.readable
    assert len(book.issues) == 1, book.issues
    return book.issues[0]


# ---- broken and disguised files -----------------------------------------------------------


def test_corrupt_bytes(tmp_path):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    issue = only_issue(read(path)[0])
    assert issue.code == "F001" and "不是 Excel 工作簿" in issue.message and issue.file == "坏.xlsx"


def test_truncated_xlsx(tmp_path):
    whole = form_xlsx(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "半截.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    issue = only_issue(read(path)[0])
    assert issue.code == "F001" and "不完整" in issue.message


def test_corrupt_member(tmp_path):
    data = bytearray(form_xlsx(tmp_path / "f.xlsx").read_bytes())
    members = reader._zip_directory(bytes(data))
    sheet = members["xl/worksheets/sheet1.xml"]
    start = sheet.offset + 30 + len(sheet.name.encode())
    data[start:start + 64] = b"\xff" * 64  # not a deflate stream any more
    path = tmp_path / "损坏.xlsx"
    path.write_bytes(bytes(data))
    issue = only_issue(read(path)[0])
    assert issue.code == "F001" and "损坏" in issue.message


@pytest.mark.parametrize("content,words", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    ("项目名称,全年预算数\n金融监管工作经费,22.5\n".encode("gbk"), "纯文本"),
    (b"\xef\xbb\xbf<html><head><meta charset='utf-8'></head><body><table><tr><td>1</td></tr></table>", "网页"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "无法识别"),
])
def test_files_that_are_no_workbook(tmp_path, content, words):
    path = tmp_path / ("导出.xls" if words == "网页" else "自评表.xlsx")
    path.write_bytes(content)
    issue = only_issue(read(path)[0])
    assert issue.code == "F001" and words in issue.message


def test_zips_that_are_no_workbook(tmp_path):
    docx = write_members(tmp_path / "报告.xlsx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    assert "Word" in only_issue(read(docx)[0]).message
    bundle = tmp_path / "全部自评表.xlsx"
    write_members(bundle, {"a.xlsx": form_xlsx(tmp_path / "a.xlsx").read_bytes()})
    assert "压缩包" in only_issue(read(bundle)[0]).message


def test_zip_with_a_member_stored_twice(tmp_path, no_calamine):
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    path = tmp_path / "两次.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with pytest.warns(UserWarning):  # zipfile warns, and writes it all the same
            archive.writestr("xl/worksheets/sheet1.xml", b'<worksheet><sheetData><row r="1048576">'
                                                         b'<c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')
    issue = only_issue(read(path)[0])
    assert issue.code == "F001" and "出现两次" in issue.message and not no_calamine


def test_empty_and_vanished_files(tmp_path):
    (tmp_path / "空.xlsx").write_bytes(b"")
    assert "0 字节" in only_issue(read(tmp_path / "空.xlsx")[0]).message
    assert only_issue(read(tmp_path / "不存在.xlsx")[0]).code == "F001"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")
def test_pipes_devices_and_a_sparse_terabyte_do_not_stall_the_batch(tmp_path):
    """A FIFO named like a workbook and a link to one (opening it waits for a writer), a link to /dev/zero (endless), a
    sparse 1 TB file (free on disk, hours to hash): each is reported without being read, and the run
    ends. Run as a command with a time limit, since the failure this guards against is a hang."""
    import json
    import subprocess
    import sys

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    form_xlsx(inbox / "good.xlsx")
    os.mkfifo(tmp_path / "pipe")
    (inbox / "管道.xlsx").symlink_to(tmp_path / "pipe")  # a link to a FIFO
    os.mkfifo(inbox / "另一管道.xlsx")  # and a FIFO itself
    (inbox / "零.xlsx").symlink_to("/dev/zero")
    with open(inbox / "稀疏.xlsx", "wb") as handle:
        handle.truncate(1 << 40)
    done = subprocess.run([sys.executable, "-m", "perfeval", "check", str(inbox), "--json"], capture_output=True,
                          timeout=120)
    report = json.loads(done.stdout)
    codes = {(i["file"], i["code"]) for i in report["issues"] if i["code"] in ("F001", "F007")}
    assert codes == {("管道.xlsx", "F001"), ("另一管道.xlsx", "F001"), ("零.xlsx", "F001"), ("稀疏.xlsx", "F007")}, \
        report["issues"]
    assert done.returncode == 1 and [p["file"] for p in report["projects"]] == ["good.xlsx"]


def test_links_that_lead_nowhere_are_reported_and_the_batch_goes_on(tmp_path):
    """A link to itself, a loop of two links and a broken link: each is a file issue, a link to a
    form is read like the form, and links to folders are not followed (no endless walk)."""
    form_xlsx(tmp_path / "好.xlsx")
    (tmp_path / "自指.xlsx").symlink_to("自指.xlsx")
    (tmp_path / "甲.xls").symlink_to("乙.xls")
    (tmp_path / "乙.xls").symlink_to("甲.xls")
    (tmp_path / "断.xlsx").symlink_to("不存在.xlsx")
    (tmp_path / "快捷方式.xlsx").symlink_to("好.xlsx")
    (tmp_path / "子").mkdir()
    (tmp_path / "子" / "回到上级").symlink_to("..")
    batch = evaluate([tmp_path], load_rules(), year=2021)
    by_file = {}
    for issue in batch.issues:
        by_file.setdefault(issue.file, []).append(issue)
    for name in ("自指.xlsx", "甲.xls", "乙.xls", "断.xlsx"):
        [issue] = by_file[name]
        assert issue.code == "F001" and "链接" in issue.message and "请把工作簿本身放入收件箱" in issue.message
    # the link is read like the form it points to: the same form twice, counted once
    assert [r.project.file for r in batch.results] == ["好.xlsx"]
    assert "F004" in [i.code for i in by_file["快捷方式.xlsx"]]


def unprivileged(func):
    """``func()`` in a process without root's right to read anything (a forked child that becomes
    nobody, when the tests run as root, as in CI); its result comes back pickled."""
    if os.geteuid() != 0:
        return func()
    import pickle

    func()  # first as root: whatever it imports lazily is imported (the interpreter may live in /root)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(func(), out)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and data, "the unprivileged child failed"
    return pickle.loads(data)


@pytest.fixture
def shared_tmp():
    """A folder that nobody may enter too (pytest's tmp_path lies in a folder only its owner may)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="perfeval-test-"))
    folder.chmod(0o755)
    yield folder
    for below in [folder, *folder.rglob("*")]:
        if below.is_dir() and not below.is_symlink():
            below.chmod(0o755)
    shutil.rmtree(folder)


def test_unreadable_file_is_named_in_chinese(shared_tmp):
    path = form_xlsx(shared_tmp / "锁.xlsx")
    path.chmod(0)
    [issue] = unprivileged(lambda: read(path)[0].issues)
    assert issue.code == "F001" and "没有读取权限" in issue.message


def test_unreadable_folder_and_fifo_are_reported_not_skipped(shared_tmp):
    """A unit's folder that cannot be listed, and a FIFO in the inbox, each become an F001 that says
    what it is; the rest of the batch is read."""
    inbox = shared_tmp / "收件"
    (inbox / "单位乙").mkdir(parents=True)
    form_xlsx(inbox / "甲.xlsx").chmod(0o644)
    form_xlsx(inbox / "单位乙" / "乙.xlsx")
    os.mkfifo(inbox / "管道.xlsx")
    for folder in (shared_tmp, inbox):
        folder.chmod(0o755)
    (inbox / "单位乙").chmod(0)
    (inbox / "单位丙").mkdir()
    form_xlsx(inbox / "单位丙" / "丙.xlsx")
    (inbox / "单位丙").chmod(0o644)  # listed, but not entered: its files cannot be opened

    def check(folder=inbox):
        batch = evaluate([folder], load_rules(), year=2021)
        return [(f.name, f.status) for f in batch.files], [(i.file, i.code, i.message) for i in batch.issues
                                                           if i.code.startswith("F")]

    # the inbox itself unreadable: named by its own name
    assert unprivileged(lambda: check(inbox / "单位乙"))[0] == [("单位乙", "无法读取")]
    files, issues = unprivileged(check)
    assert files == [("单位丙/丙.xlsx", "无法读取"), ("单位乙", "无法读取"), ("甲.xlsx", "已读取"),
                     ("管道.xlsx", "无法读取")], issues
    assert issues == [
        ("单位丙/丙.xlsx", "F001", "文件无法读取（没有读取权限，错误号 13），请检查文件是否存在、被占用或权限不足"),
        ("单位乙", "F001", "文件夹无法打开（没有读取权限，错误号 13），其中的文件都没有读取；请检查该文件夹的访问权限后重新运行"),
        ("管道.xlsx", "F001", reader.NOT_A_FILE)]


def test_folders_nested_beyond_the_path_limit_are_reported(tmp_path):
    """Folders nested so deep that the path passes the system's limit (4,096 bytes on Linux): the form
    above is read, the folder that cannot be opened is named with the reason."""
    form_xlsx(tmp_path / "上层.xlsx")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(30):  # 30 × 151 bytes: made relative to each folder, as no absolute path reaches it
            os.mkdir("层" * 50, dir_fd=fd)
            fd, old = os.open("层" * 50, os.O_RDONLY, dir_fd=fd), fd
            os.close(old)
        with open(os.open("深.xlsx", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as handle:
            handle.write(form_xlsx(tmp_path / "样.xlsx").read_bytes())
    finally:
        os.close(fd)
    (tmp_path / "样.xlsx").unlink()
    batch = evaluate([tmp_path], load_rules(), year=2021)
    assert [r.project.file for r in batch.results] == ["上层.xlsx"]
    [issue] = [i for i in batch.issues if i.code == "F001"]
    assert issue.file.startswith("层" * 50 + "/") and "路径过长" in issue.message, issue


def test_workbook_saved_under_the_other_extension_is_read_by_content(tmp_path):
    sheet = standard_sheet(Form())
    xls = write_book(tmp_path / "a.xls", [sheet])
    xlsx = write_book(tmp_path / "b.xlsx", [sheet])
    (tmp_path / "a_as.xlsx").write_bytes(xls.read_bytes())
    (tmp_path / "b_as.xls").write_bytes(xlsx.read_bytes())
    for name in ("a_as.xlsx", "b_as.xls"):
        book = read(tmp_path / name)[0]
        assert [f.sheet for f in book.forms] == ["项目支出绩效自评表"] and book.issues == [], name


# ---- encrypted ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".xltx", ".et"])
def test_password_protected_xlsx(tmp_path, suffix):
    # Office writes a protected .xlsx (and a template) as an OLE compound file holding EncryptionInfo +
    # EncryptedPackage; so does WPS when it encrypts in an Office format
    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088)
    ole[1024:1024 + 28] = "EncryptionInfo".encode("utf-16-le")
    ole[1152:1152 + 32] = "EncryptedPackage".encode("utf-16-le")
    path = tmp_path / f"加密{suffix}"
    path.write_bytes(bytes(ole))
    issue = only_issue(read(path)[0])
    assert (issue.code, issue.message) == ("F001", "文件已加密，请另存为未加密的工作簿")


def test_zip_with_encrypted_members(tmp_path):
    data = bytearray(form_xlsx(tmp_path / "f.xlsx").read_bytes())
    end = data.rfind(b"PK\x05\x06")
    _, _, offset = struct.unpack_from("<HII", data, end + 10)
    flags = struct.unpack_from("<H", data, offset + 8)[0]
    struct.pack_into("<H", data, offset + 8, flags | 1)  # first member: "encrypted"
    path = tmp_path / "zip加密.xlsx"
    path.write_bytes(bytes(data))
    assert only_issue(read(path)[0]).message == ENCRYPTED


def test_encrypted_ods(tmp_path):
    ods = write_book(tmp_path / "f.ods", [standard_sheet(Form())])
    members = members_of(ods)
    members["META-INF/manifest.xml"] = members["META-INF/manifest.xml"].replace(
        b"</manifest:manifest>", b'<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
                                 b"</manifest:file-entry></manifest:manifest>")
    path = write_members(tmp_path / "加密.ods", members)
    assert only_issue(read(path)[0]).message == ENCRYPTED


# ---- zip bombs ----------------------------------------------------------------------------


def test_zip_bomb_is_rejected_from_the_directory(tmp_path, bomb, no_calamine):
    path = bomb_workbook(tmp_path / "炸弹.xlsx", bomb)
    assert path.stat().st_size < 1_000_000 and bomb[2] > 50 * 1024 * 1024
    tracemalloc.start()
    book, seconds = read(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    issue = only_issue(book)
    assert issue.code == "F007" and "MB" in issue.message
    assert seconds < 0.5 and peak < 10 * 1024 * 1024  # nothing was inflated
    assert not no_calamine


@pytest.mark.parametrize("declared", [20 * 1024, 400_000])
def test_zip_bomb_whose_directory_lies(tmp_path, bomb, no_calamine, declared):
    """The directory says 20 KiB (less than the compressed data: impossible for deflate) or
    400 KB (plausible: found out after inflating 400 KB and no more)."""
    path = bomb_workbook(tmp_path / "说谎.xlsx", bomb, declared=declared)
    tracemalloc.start()
    book, seconds = read(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    issue = only_issue(book)
    assert issue.code == "F007" and "压缩炸弹" in issue.message
    assert seconds < 0.5 and peak < 10 * 1024 * 1024
    assert not no_calamine


def test_too_many_members(tmp_path, no_calamine):
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    empty = deflate(b"")
    entries = [(name, *deflate(data), len(data)) for name, data in members.items()]
    entries += [(f"xl/media/image{k}.png", *empty, 0) for k in range(10_001)]
    book, seconds = read(write_raw_zip(tmp_path / "成员.xlsx", entries))
    assert only_issue(book).code == "F007" and seconds < 1.0


def test_too_many_cells(tmp_path, no_calamine):
    rows = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (col, r) for col in
                                                  (b"A", b"B", b"C", b"D", b"E", b"F", b"G", b"H", b"I", b"J"))
                    + b"</row>" for r in range(100, 4900)) * 5
    book, seconds = read(with_sheet(tmp_path / "多.xlsx", extra_rows(rows)))
    issue = only_issue(book)
    assert issue.code == "F007" and "200,000" in issue.message and seconds < 1.0


def test_a_workbook_of_seventy_forms_is_not_taken_for_too_many_cells(tmp_path):
    """The cells are counted exactly once the sheets' upper bounds (a quarter of their bytes) would pass
    the limit: seventy template forms are 1.3 MB of sheet XML but hold about 20,000 cells, and every
    one of them is read."""
    import openpyxl

    from perfeval import template

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for k in range(70):
        template.draw_form(wb.create_sheet(f"项目{k}"), None, 2021)
    wb.save(tmp_path / "七十.xlsx")
    book, _ = read(tmp_path / "七十.xlsx")
    assert book.issues == [] and [f.sheet for f in book.forms] == [f"项目{k}" for k in range(70)]


def test_a_form_beside_a_detail_sheet_too_large_to_read_is_still_read(tmp_path):
    """A unit attaches a 明细 sheet of 6,000 rows (past the 5,000-row limit) to its form: that sheet is
    not loaded and gets its F007, the form is read and scored (the whole file was rejected)."""
    import openpyxl

    path = form_xlsx(tmp_path / "带明细.xlsx")
    wb = openpyxl.load_workbook(path)
    detail = wb.create_sheet("受益对象明细")
    for r in range(1, 6_001):
        detail.append([r, f"农户{r}", 1200])
    wb.save(path)
    book, _ = read(path)
    assert [f.sheet for f in book.forms] == ["项目支出绩效自评表"]
    [issue] = book.issues
    assert (issue.code, issue.sheet) == ("F007", "受益对象明细") and "6,000 行" in issue.message
    assert "该工作表未读取" in issue.message
    batch = evaluate([tmp_path], load_rules(), year=2021)
    assert len(batch.results) == 1 and batch.results[0].total is not None
    # a sheet reaching row 20,000: rejected from its XML, before calamine builds its grid
    wb.remove(detail)
    wb.create_sheet("备注")["A20000"] = "备注"
    wb.save(path)
    book, _ = read(path)
    assert [f.sheet for f in book.forms] == ["项目支出绩效自评表"]
    [issue] = book.issues
    assert (issue.code, issue.sheet) == ("F007", "备注") and "20,000" in issue.message and "该工作表未读取" in issue.message


def test_too_many_cells_over_several_sheets(tmp_path):
    """Five sheets of 45,000 real cells each: 225,000 cells in all, past the limit however they are counted.
    The sheets within the limit are read; the one past it is not loaded and says so."""
    import xlsxwriter

    path = tmp_path / "五表.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    for k in range(5):
        sheet = workbook.add_worksheet(f"明细{k}")
        for r in range(4500):
            sheet.write_row(r, 0, range(10))
    workbook.close()
    book, seconds = read(path)
    [issue] = book.issues
    assert issue.code == "F007" and issue.sheet.startswith("明细") and "200,000" in issue.message
    assert "该工作表未读取" in issue.message and book.readable and not book.forms and seconds < 5.0
    [record] = evaluate([tmp_path], load_rules(), year=2021).files
    assert record.status == "无法读取"  # not "无自评表": the sheet left out may be the form


@pytest.mark.parametrize("detail_first", [True, False])
def test_the_largest_sheet_is_left_out_not_the_form(tmp_path, detail_first):
    """A 资金明细 of 199,920 cells and the form: together past the 200,000-cell limit. The 明细 is left out,
    whichever sheet comes first (the form was dropped when the 明细 came before it)."""
    from tests.corpus import Sheet

    detail = Sheet("资金明细", rows=[list(range(40)) for _ in range(4_998)])
    form = standard_sheet(Form())
    path = write_book(tmp_path / "明细与表.xlsx", [detail, form] if detail_first else [form, detail])
    book, _ = read(path)
    assert [f.sheet for f in book.forms] == ["项目支出绩效自评表"]
    [issue] = book.issues
    assert (issue.code, issue.sheet) == ("F007", "资金明细") and "200,000" in issue.message


# ---- extents that would make calamine abort -----------------------------------------------


@pytest.mark.parametrize("row", [
    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>',
    b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row>',  # an empty string counts
    b'<row r="30"><c r="xfd30"><v>1</v></c></row>',  # lower case
    b"<row r='30'><c r = 'XFD30' ><v>1</v></c></row>",  # quotes and spaces calamine accepts
    b'<row r="1048576"><c><v>1</v></c></row>',  # no reference: placed by the row
    b'<row r="40"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD40"><x:v>1</x:v>'
    b"</x:c></row>",  # a namespace prefix
    b"<row>" + b"<c><v>1</v></c>" * 300 + b"</row>",  # 300 columns without references
    b'<row r="30"><c r="B30" r="XFD1048576"><v>1</v></c></row>',  # a second r: a reader may take the last
    b'<row r="30"><c r="B30" s="0"\nr=\'Y1048576\'><v>1</v></c></row>',  # the same, set apart otherwise
], ids=["XFD1048576", "A1048576", "empty-inline-string", "lower-case", "quoting", "no-ref", "prefixed", "wide-row",
        "second-r", "second-r-newline"])
def test_far_cell_is_rejected_before_calamine(tmp_path, no_calamine, row):
    book, seconds = read(with_sheet(tmp_path / "远.xlsx", extra_rows(row)))
    issue = only_issue(book)
    assert issue.code == "F007" and "工作表“项目支出绩效自评表”的范围过大" in issue.message, issue
    assert seconds < 0.5 and not no_calamine


@pytest.mark.parametrize("stored_as", ["XL/Worksheets/Sheet1.xml", "xl\\worksheets\\sheet1.xml", "/xl/worksheets/sheet1.xml"])
def test_a_sheet_stored_under_another_spelling_is_still_checked(tmp_path, no_calamine, stored_as):
    """Readers find a member whatever its case or slashes; so must the check."""
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    xml = extra_rows(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')(members.pop("xl/worksheets/sheet1.xml"))
    members[stored_as] = xml
    issue = only_issue(read(write_members(tmp_path / "写法.xlsx", members))[0])
    assert issue.code == "F007" and "范围过大" in issue.message and not no_calamine


def test_a_percent_encoded_target_still_names_the_sheet(tmp_path, no_calamine):
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    xml = extra_rows(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')(members.pop("xl/worksheets/sheet1.xml"))
    members["xl/worksheets/sheet 1.xml"] = xml
    rels = "xl/_rels/workbook.xml.rels"
    members[rels] = members[rels].replace(b'Target="worksheets/sheet1.xml"', b'Target="worksheets/sheet%201.xml"')
    assert b"sheet%201.xml" in members[rels]
    issue = only_issue(read(write_members(tmp_path / "空格.xlsx", members))[0])
    assert issue.code == "F007" and "工作表“项目支出绩效自评表”的范围过大" in issue.message, issue.message


def test_a_member_stored_twice_under_two_spellings_is_refused(tmp_path, no_calamine):
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    members["XL/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"]
    issue = only_issue(read(write_members(tmp_path / "两份.xlsx", members))[0])
    assert issue.code == "F001" and "出现两次" in issue.message and not no_calamine


def test_false_shared_string_count_is_rejected_before_calamine(tmp_path, no_calamine):
    """calamine reserves the declared uniqueCount up front: 4,000,000,000 strings abort the process
    (measured: "memory allocation of 96000000000 bytes failed")."""
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    sst = members["xl/sharedStrings.xml"]
    start = sst.index(b"uniqueCount=")
    end = sst.index(b'"', start + len(b'uniqueCount="'))
    members["xl/sharedStrings.xml"] = sst[:start] + b'uniqueCount="4000000000' + sst[end:]
    book, seconds = read(write_members(tmp_path / "字符串.xlsx", members))
    issue = only_issue(book)
    assert issue.code == "F007" and "4,000,000,000" in issue.message and seconds < 0.5 and not no_calamine
    # hidden behind 8 KB of comment and a ">" inside a quoted attribute
    declaration = sst.index(b"?>") + 2
    root = sst.index(b"<sst") + 4
    members["xl/sharedStrings.xml"] = (sst[:declaration] + b"<!--" + b"x" * 8000 + b"-->" + sst[declaration:root]
                                       + b' a=">"' + sst[root:start] + b'uniqueCount="4000000000' + sst[end:])
    book, _ = read(write_members(tmp_path / "字符串2.xlsx", members))
    assert only_issue(book).code == "F007" and not no_calamine


def test_styled_empty_cells_far_down_are_no_reason_to_reject(tmp_path):
    """Formatting a whole area leaves empty styled cells far down; calamine skips them, so do we."""
    rows = (b'<row r="20000"><c r="A20000" s="1"/><c r="XFD20000" s="1"></c></row>'
            b'<row r="1048576"><c r="XFD1048576" s="1"/></row>')
    book, _ = read(with_sheet(tmp_path / "格式.xlsx", extra_rows(rows)))
    assert book.issues == [] and len(book.forms) == 1 and len(book.forms[0].indicators) == 7


def test_far_cell_in_ods_is_rejected_before_calamine(tmp_path, no_calamine):
    members = members_of(write_book(tmp_path / "f.ods", [standard_sheet(Form())]))
    members["content.xml"] = members["content.xml"].replace(
        b"</table:table>", b'<table:table-row table:number-rows-repeated="1048500"><table:table-cell '
                           b'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
                           b"</table:table-row></table:table>", 1)
    book, seconds = read(write_members(tmp_path / "远.ods", members))
    assert only_issue(book).code == "F007" and seconds < 0.5 and not no_calamine


def test_a_table_nested_in_a_cell_does_not_restart_the_row_count(tmp_path, no_calamine):
    """calamine reads on in the same grid after a nested table; the check must not start at row 0."""
    members = members_of(write_book(tmp_path / "f.ods", [standard_sheet(Form())]))
    cell = b'<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    members["content.xml"] = members["content.xml"].replace(
        b"</table:table>", b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
                           b'<table:table-row><table:table-cell><table:table table:name="inner"></table:table>'
                           b"</table:table-cell></table:table-row><table:table-row>" + cell * 25 +
                           b"</table:table-row></table:table>", 1)
    issue = only_issue(read(write_members(tmp_path / "嵌套.ods", members))[0])
    assert issue.code == "F007" and "工作表“项目支出绩效自评表”的范围过大" in issue.message and not no_calamine


def test_repeat_hidden_behind_a_formula_in_ods_is_found(tmp_path, no_calamine):
    members = members_of(write_book(tmp_path / "f.ods", [standard_sheet(Form())]))
    members["content.xml"] = members["content.xml"].replace(
        b"</table:table>", b'<table:table-row table:number-rows-repeated="4000"><table:table-cell '
                           b'table:formula="of:=[.A1]>0" table:number-columns-repeated="16000" '
                           b'office:value-type="float" office:value="1"/></table:table-row></table:table>', 1)
    book, _ = read(write_members(tmp_path / "公式.ods", members))
    assert only_issue(book).code == "F007" and not no_calamine


@pytest.mark.parametrize("decoy", [
    b'x:number-rows-repeated="1" table:number-rows-repeated="1000000"',  # another prefix first
    b"table:style-name='ro1 table:number-rows-repeated=\"1\"' table:number-rows-repeated='1000000'",  # in a value
    b'table:number-rows-repeated="1" table:number-rows-repeated="1000000"',  # given twice
], ids=["other-prefix", "inside-a-value", "twice"])
def test_a_decoy_repeat_attribute_in_ods_does_not_hide_the_real_one(tmp_path, no_calamine, decoy):
    """calamine reads table:number-rows-repeated by that exact name: so does the check."""
    members = members_of(write_book(tmp_path / "f.ods", [standard_sheet(Form())]))
    members["content.xml"] = members["content.xml"].replace(
        b"</table:table>", b'<table:table-row xmlns:x="urn:x" ' + decoy + b'><table:table-cell office:value-type="float" '
                           b'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
                           b"<table:table-row><table:table-cell/></table:table-row></table:table>", 1)
    issue = only_issue(read(write_members(tmp_path / "诱饵.ods", members))[0])
    assert issue.code == "F007" and not no_calamine  # a million rows: too far and too many cells


def test_millions_of_empty_cells_are_counted_without_a_list_of_them(tmp_path, no_calamine):
    """A sheet of 4 million <c/> (20 MB of XML, under the size limits) is F007 for its cell count, and
    counting them does not itself take hundreds of MB (a worker's memory share is 320 MB)."""
    import tracemalloc

    import random

    cells = b"".join(random.Random(1).choices([b"<c/>", b"<c />", b"<c  />", b"<c\t/>"], k=4_000_000))  # no bomb
    path = with_sheet(tmp_path / "空单元格.xlsx", extra_rows(b'<row r="60">' + cells + b"</row>"))
    tracemalloc.start()
    try:
        book, _ = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    issue = only_issue(book)
    assert issue.code == "F007" and "200,000" in issue.message
    assert peak < 80 << 20, f"{peak / 2**20:.0f} MB"


def test_a_text_longer_than_a_cell_can_hold_is_cut_and_reported(tmp_path):
    """Excel holds 32,767 characters in a cell; a program can write millions, which every output would
    repeat (a 15-million-character name took a report past 1 GB). Such texts are cut to 32,767
    characters, with an F007 on their cell; the form is still scored."""
    from perfeval.pipeline import run
    from tests.corpus import unit_sheet

    (tmp_path / "inbox").mkdir()
    path = write_book(tmp_path / "长.xlsx", [standard_sheet(Form(name="长名称")), unit_sheet()])
    members = members_of(path)  # XlsxWriter and openpyxl both stop at 32,767: the strings are put in by hand
    strings = members["xl/sharedStrings.xml"]
    strings = strings.replace("长名称".encode(), ("金融监管" + "经费" * 40_000).encode())
    members["xl/sharedStrings.xml"] = strings.replace("项目资金按管理办法统筹支配。".encode(), ("资金" * 30_000).encode())
    write_members(tmp_path / "inbox" / "长.xlsx", members)
    batch, outputs = run(tmp_path / "inbox", tmp_path / "out", load_rules(), jobs=0)
    [result] = batch.results
    assert len(result.project.name) == 300 and result.status == "已评分"  # no name is that long (MAX_NAME)
    cut = sorted((i.sheet, i.message) for i in batch.issues if i.code == "F007")
    assert [sheet for sheet, _ in cut] == ["单位情况", "单位情况", "项目支出绩效自评表", "项目支出绩效自评表"]
    messages = " ".join(message for _, message in cut)
    assert "单元格文字长达 60,000 字" in messages and "单元格文字长达 80,004 字" in messages
    assert "项目名称长达 32,767 字" in messages and "单位情况表中文字合计" in messages
    assert 19_000 < len(batch.unit.funds_management) < 20_000  # the 单位情况 sheet's texts together: MAX_UNIT_TEXT
    assert outputs.result.stat().st_size < 2_000_000


def test_empty_repeated_rows_in_ods_are_fine(tmp_path):
    """LibreOffice ends every table with a million repeated empty rows."""
    members = members_of(write_book(tmp_path / "f.ods", [standard_sheet(Form())]))
    members["content.xml"] = members["content.xml"].replace(
        b"</table:table>", b'<table:table-row table:number-rows-repeated="1048500"><table:table-cell '
                           b'table:number-columns-repeated="1024"/></table:table-row></table:table>', 1)
    book, _ = read(write_members(tmp_path / "lo.ods", members))
    assert book.issues == [] and len(book.forms[0].indicators) == 7


@pytest.mark.parametrize("row, col, shown", [(9000, 3, "第 9,001 行"), (65535, 255, "第 256 列")])
def test_far_cell_in_xls_is_rejected_before_the_grid_is_built(tmp_path, no_calamine, row, col, shown):
    """calamine builds an .xls sheet's grid (65,536 × 256 cells at most, 32 bytes each) as it opens
    the file: the cells' extent is read from the BIFF records first."""
    sheet = standard_sheet(Form())
    sheet.put(row, col, "末尾")
    book, _ = read(write_book(tmp_path / "远.xls", [sheet]))
    issue = only_issue(book)
    assert issue.code == "F007" and shown in issue.message and "工作表“项目支出绩效自评表”" in issue.message
    assert not no_calamine


def xls_declaring(tmp_path: Path, rows: int, cols: int) -> Path:
    data = bytearray(write_book(tmp_path / "f.xls", [standard_sheet(Form())]).read_bytes())
    at = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, BIFF8: first row, last row + 1, first column, last column + 1
    assert at > 0
    struct.pack_into("<IIHH", data, at + 4, 0, rows, 0, cols)
    (tmp_path / "范围.xls").write_bytes(bytes(data))
    return tmp_path / "范围.xls"


@pytest.mark.parametrize("rows, cols", [(1_000_000, 256), (65_536, 256)])
def test_xls_declaring_a_huge_range_is_rejected_before_calamine(tmp_path, no_calamine, rows, cols):
    """calamine reserves a cell for every row × column of a sheet's DIMENSIONS record before reading any: the
    declared range is bounded as the cells are."""
    issue = only_issue(read(xls_declaring(tmp_path, rows, cols))[0])
    assert issue.code == "F007" and f"{rows:,} 行 × {cols} 列，共 {rows * cols:,} 个单元格" in issue.message
    assert not no_calamine
    assert "工作表“项目支出绩效自评表”" in issue.message


@pytest.mark.parametrize("cols", [12, 60])
def test_xls_declaring_a_long_formatted_range_is_read(tmp_path, cols):
    """65,536 rows × 60 columns (columns formatted to the bottom) is within a worker's memory."""
    book, _ = read(xls_declaring(tmp_path, 65_536, cols))
    assert book.issues == [] and len(book.forms) == 1


def test_xls_whose_sector_chain_loops_is_rejected_before_calamine(tmp_path, no_calamine):
    """calamine follows a looping FAT chain until memory runs out (24 GB when read alone)."""
    data = bytearray(write_book(tmp_path / "f.xls", [standard_sheet(Form())]).read_bytes())
    fat = (struct.unpack_from("<I", data, 0x4C)[0] + 1) * 512
    for k in range(128):
        struct.pack_into("<I", data, fat + 4 * k, k)  # every sector is followed by itself
    (tmp_path / "环.xls").write_bytes(bytes(data))
    issue = only_issue(read(tmp_path / "环.xls")[0])
    assert issue.code == "F001" and "扇区链" in issue.message and not no_calamine


def test_xls_that_lists_a_fat_sector_many_times_is_rejected(tmp_path, no_calamine):
    """A DIFAT naming one FAT sector over and over would make a FAT table far larger than the file
    (a 3 MB file built a 390 MB table): a sector listed twice is a broken file."""
    data = bytearray(write_book(tmp_path / "f.xls", [standard_sheet(Form())]).read_bytes())
    first = struct.unpack_from("<I", data, 0x4C)[0]
    struct.pack_into("<I", data, 0x2C, 109)  # 109 FAT sectors, all of them the first one
    struct.pack_into("<109I", data, 0x4C, *([first] * 109))
    (tmp_path / "重复.xls").write_bytes(bytes(data))
    issue = only_issue(read(tmp_path / "重复.xls")[0])
    assert issue.code == "F001" and "扇区链" in issue.message and not no_calamine


def test_encrypted_xls_says_so(tmp_path, no_calamine):
    data = write_book(tmp_path / "f.xls", [standard_sheet(Form())]).read_bytes()
    codepage = b"\x42\x00\x02\x00\xb0\x04"  # CODEPAGE (1200) in the workbook globals
    assert data.count(codepage) == 1
    (tmp_path / "密.xls").write_bytes(data.replace(codepage, b"\x2f\x00\x02\x00\x00\x00"))  # FILEPASS
    issue = only_issue(read(tmp_path / "密.xls")[0])
    assert issue.message == ENCRYPTED and not no_calamine


def test_a_file_that_makes_calamine_panic_costs_that_file_only(tmp_path):
    """An .xls whose sheet offset (BOUNDSHEET) points past its stream makes python-calamine's Rust code
    panic: pyo3 raises PanicException, a BaseException that ``except Exception`` lets through, and
    that a worker cannot send back. It is an F001 like any unreadable file, and the batch goes on."""
    data = bytearray(write_book(tmp_path / "f.xls", [standard_sheet(Form())]).read_bytes())
    [found] = [m for m in re.finditer(rb"\x85\x00(..)", data) if 8 < struct.unpack_from("<H", data, m.start() + 2)[0] < 40
               and struct.unpack_from("<I", data, m.start() + 4)[0] < len(data)][:1]
    struct.pack_into("<I", data, found.start() + 4, 0x7FFFFFF0)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "坏.xls").write_bytes(bytes(data))
    form_xlsx(inbox / "好.xlsx")
    issue = only_issue(read(inbox / "坏.xls")[0])
    assert issue.code == "F001" and "技术信息" in issue.message
    batch = evaluate([inbox], load_rules(), jobs=1)  # in a worker too
    assert [(i.file, i.code) for i in batch.issues if i.code == "F001"] == [("坏.xls", "F001")]
    assert [r.project.file for r in batch.results] == ["好.xlsx"]


def test_huge_but_legitimate_sheet_is_read(tmp_path):
    sheet = standard_sheet(Form())
    for k in range(3000):
        sheet.put(40 + k, 0, f"附：宣传资料发放明细第{k + 1}条")
        sheet.put(40 + k, 1, k + 1)
    book, seconds = read(write_book(tmp_path / "长.xlsx", [sheet]))
    assert book.issues == [] and len(book.forms[0].indicators) == 7 and seconds < 1.0


# ---- entities -----------------------------------------------------------------------------


def _doctype(secret: Path, laughs: bool) -> bytes:
    if laughs:
        lol = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{k} "{f"&lol{k - 1};" * 10}">' for k in range(1, 10)]
        return f'<!DOCTYPE r [{"".join(lol)}]>'.encode()
    return f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()


def _inject(xml: bytes, doctype: bytes, reference: bytes, where: bytes) -> bytes:
    declaration_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    xml = xml[:declaration_end] + doctype + xml[declaration_end:]
    return xml.replace(where, where + reference, 1)


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"])
@pytest.mark.parametrize("laughs", [False, True], ids=["xxe", "billion-laughs"])
def test_entities_are_refused_and_never_resolved(tmp_path, part, laughs):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    reference = b"&lol9;" if laughs else b"&xxe;"
    where = {"xl/worksheets/sheet1.xml": b"<v>", "xl/sharedStrings.xml": b"<t>",
             "xl/workbook.xml": b'<sheet name="'}[part]
    members[part] = _inject(members[part], _doctype(secret, laughs), reference, where)
    folder = tmp_path / "inbox"
    folder.mkdir()
    path = write_members(folder / "实体.xlsx", members)
    book, seconds = read(path)
    issue = only_issue(book)
    shown = "工作表“项目支出绩效自评表”" if part.startswith("xl/worksheets/") else part
    assert issue.code == "F001" and "DOCTYPE" in issue.message and shown in issue.message, issue.message
    assert seconds < 0.5
    batch = evaluate([folder], load_rules(), year=2021)
    assert SECRET not in repr(book) and SECRET not in repr(batch)


@pytest.mark.parametrize("part", ["docProps/core.xml", "[Content_Types].xml", "_rels/.rels", "customXml/item1.xml", "xl/styles.xml",
                                  "xl/drawings/vmlDrawing1.vml"])
@pytest.mark.parametrize("padding", [0, 20_000], ids=["plain", "behind-a-long-comment"])
def test_entities_in_parts_no_reader_parses_are_refused_too(tmp_path, part, padding):
    """A marked copy keeps untouched parts byte for byte: a DOCTYPE anywhere in the package would
    travel on to the unit's staff. Only images are exempt (an SVG may carry its DTD)."""
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    xml = members.get(part, b'<?xml version="1.0"?><r/>')
    comment = b"<!--" + b"x" * padding + b"-->" if padding else b""
    members[part] = _inject(xml, comment + _doctype(tmp_path / "secret.txt", False), b"", b"")
    issue = only_issue(read(write_members(tmp_path / "实体.xlsx", members))[0])
    assert issue.code == "F001" and "DOCTYPE" in issue.message and part in issue.message, issue.message


def test_an_svg_image_with_its_dtd_is_no_reason_to_reject(tmp_path):
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    members["xl/media/image1.svg"] = (b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
                                      b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>')
    book, _ = read(write_members(tmp_path / "图.xlsx", members))
    assert book.readable and book.forms and not [i for i in book.issues if i.code == "F001"]


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/_rels/workbook.xml.rels"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_entities_in_a_utf16_part_are_refused_too(tmp_path, part, encoding):
    """In UTF-16 no byte string "<!DOCTYPE" occurs; the check must see through the encoding."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    where = {"xl/worksheets/sheet1.xml": b"<v>", "xl/sharedStrings.xml": b"<t>",
             "xl/_rels/workbook.xml.rels": b"<Relationships"}[part]
    xml = _inject(members[part], _doctype(secret, laughs=False), b"" if part.endswith(".rels") else b"&xxe;", where)
    xml = re.sub(rb'encoding="[^"]+"', b'encoding="UTF-16"', xml, count=1)
    members[part] = xml.decode("utf-8").encode(encoding)
    book, _ = read(write_members(tmp_path / "utf16.xlsx", members))
    issue = only_issue(book)
    assert issue.code == "F001" and "DOCTYPE" in issue.message, issue.message
    assert SECRET not in repr(book)


def test_doctype_hidden_deep_in_shared_strings_still_fails_safely(tmp_path):
    """Beyond the head that is checked, calamine itself refuses the undefined entity: still an
    F-issue, and nothing resolved."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    sst = members["xl/sharedStrings.xml"]
    end = sst.index(b"?>") + 2
    padding = b"<!--" + b"x" * 10_000 + b"-->"
    members["xl/sharedStrings.xml"] = (sst[:end] + padding + _doctype(secret, False) + sst[end:]).replace(
        b"<t>", b"<t>&xxe;", 1)
    book, _ = read(write_members(tmp_path / "深.xlsx", members))
    assert only_issue(book).code == "F001" and SECRET not in repr(book)


# ---- never raises -------------------------------------------------------------------------


def test_a_sheet_calamine_cannot_read_is_one_issue_on_that_sheet(tmp_path):
    """Not also "no form found": the form is there, its sheet is broken."""
    path = with_sheet(tmp_path / "坏表.xlsx", lambda xml: xml.replace(
        b"<sheetData>", b'<sheetData><row r="1"><c r="1A"><v>1</v></c></row>', 1))
    book, _ = read(path)
    [issue] = book.issues
    assert issue.code == "F001" and issue.sheet == "项目支出绩效自评表" and not book.forms
    assert issue.message.startswith("该工作表无法读取（技术信息：") and "另存" in issue.message


def test_an_unforeseen_failure_costs_the_file_only(tmp_path, monkeypatch):
    path = form_xlsx(tmp_path / "f.xlsx")

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reader, "find_form", explode)
    issue = only_issue(read(path)[0])
    assert issue.code == "F001" and "boom" in issue.message


def test_a_normal_form_is_checked_quickly(tmp_path):
    """The precheck runs on every file; a generous bound here only catches gross regressions
    (the budget is 0.3 ms, measured in the report, not here: CI machines are noisy)."""
    data = form_xlsx(tmp_path / "f.xlsx").read_bytes()
    best = min(_timed(lambda: reader.precheck(data, ".xlsx")) for _ in range(50))
    assert best < 0.003
    problem, marks = reader.precheck(data, ".xlsx")
    # nothing found but the way to its percent cells, looked up only when a form needs them
    assert problem is None and [replace(m, percent=None) for m in marks.values()] == [reader.NO_MARKS]


def _timed(func) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


@pytest.mark.parametrize("xml, found", [
    (b'<c r="E6" s="3" t="e"><f>SUM(E7,#REF!)</f><v>#REF!</v></c>', {"E6": "#REF!"}),
    (b'<x:c r="E6" t="e"><x:v>#DIV/0!</x:v></x:c>', {"E6": "#DIV/0!"}),  # a namespace prefix
    (b'<c t="e" r="E6"><v>#VALUE!</v></c>', {"E6": "#VALUE!"}),  # attributes in another order
    (b"<c r='E6'\n t='e'><v>#NAME?</v></c>", {"E6": "#NAME?"}),  # other quotes and whitespace
    (b'<c r="E6" t="e"><v xml:space="preserve">#GETTING_DATA</v></c>', {"E6": "#GETTING_DATA"}),
    (b'<c r="A1" t="e"/><c r="B1" t="e"><v>#N/A</v></c>', {"B1": "#N/A"}),  # no value: not the next cell's
    (b'<c r="a01" t="e"><v>#REF!</v></c>', {"A1": "#REF!"}),  # as calamine reads the reference
    (b'<c r="A1" t="e"><f>X</f></c><c r="B1"><v>#REF!</v></c>', {}),
    (b'<c r="A1" t="s"><v>3</v></c><c r="B1" t="n"><v>1</v></c>', {}),
])
def test_error_values_are_found_in_every_shape_of_cell(xml, found):
    assert reader._error_cells(b"<sheetData><row r=\"1\">" + xml + b"</row></sheetData>") == found


_XFS = b'<cellStyleXfs count="2"><xf numFmtId="9"/><xf numFmtId="0"/></cellStyleXfs><cellXfs count="3">'


@pytest.mark.parametrize("styles, percent", [
    (_XFS + b'<xf numFmtId="0"/><xf numFmtId="9" applyNumberFormat="1"/><xf numFmtId="2"/></cellXfs>', {1}),
    (b'<numFmts><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="[Red]0%"/></numFmts>'
     + _XFS + b'<xf numFmtId="165"/><xf numFmtId="10"/><xf numFmtId="164"><alignment/></xf></cellXfs>', {0, 1, 2}),
    # a "%" the format only prints after the number: the number is the percentage already
    (b'<numFmts><numFmt numFmtId="164" formatCode="0.0&quot;%&quot;"/><numFmt numFmtId="165" formatCode="0\\%"/>'
     b'</numFmts>' + _XFS + b'<xf numFmtId="164"/><xf numFmtId="165"/></cellXfs>', None),
    (b"<x:numFmts><x:numFmt formatCode='0.00%' numFmtId='170'/></x:numFmts><x:cellXfs>"
     b"<x:xf numFmtId='0'/><x:xf numFmtId='170'/></x:cellXfs>", {1}),  # a prefix, other quotes and order
    (b"<cellXfs/>", None),
    # a conditional format's own 0.0% (dxf) shares an id with a cell format 0.0: not a cell's
    (b'<numFmts><numFmt numFmtId="164" formatCode="0.0"/></numFmts>' + _XFS + b'<xf numFmtId="164"/></cellXfs>'
     b'<dxfs><dxf><numFmt numFmtId="164" formatCode="0.0%"/></dxf></dxfs>', None),
    # "cellXfs" in a comment before the element
    (b'<!-- cellXfs and numFmts --><numFmts><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>' + _XFS
     + b'<xf numFmtId="0"/><!-- <xf numFmtId="164"/> --><xf numFmtId="164"/></cellXfs>', {1}),
    # "%" only for negative numbers, as the width of a padding space, or as a fill
    (b'<numFmts><numFmt numFmtId="164" formatCode="0.0;-0.0%"/><numFmt numFmtId="165" formatCode="0.0_%"/>'
     b'<numFmt numFmtId="166" formatCode="0.0*%"/></numFmts>' + _XFS
     + b'<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs>', None),
])
def test_percent_styles_are_found_by_their_number_format(styles, percent):
    found = reader._percent_styles(b"<styleSheet>" + styles + b"</styleSheet>")
    assert (found and set(found.indices)) == percent


@pytest.mark.parametrize("xml, found", [
    (b'<c r="B1" s="1"><v>0.98</v></c><c r="C1" s="2"><v>0.98</v></c><c r="D1" s="1" t="n"><v>1</v></c>',
     {"B1", "D1"}),
    (b'<c s="1" r="B1"><v>0.98</v></c>', {"B1"}),  # attributes in another order
    (b"<x:c r='B1'\n s = '1'><x:v>0.98</x:v></x:c>", {"B1"}),  # a prefix, other quotes and whitespace
    (b'<c r="B1" s="1" t="s"><v>3</v></c><c r="C1" s="1" t="e"><v>#REF!</v></c><c r="D1" s="1"/>', set()),
    (b'<c r="B1" s="11"><v>0.98</v></c>', set()),  # another style
    (b'<c r="B1" s="01"><v>0.98</v></c>', {"B1"}),  # as calamine reads the style
])
def test_percent_cells_are_found_in_every_shape_of_cell(xml, found):
    styles = reader._percent_styles(b'<cellXfs><xf numFmtId="0"/><xf numFmtId="9"/></cellXfs>')
    sheet = b'<sheetData><row r="1" s="1" customFormat="1">' + xml + b"</row></sheetData>"
    plain = reader._check_extent("sheet1.xml", sheet, 1000)[1]
    assert reader._percent_cells(sheet, styles, plain) == found




def _biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _biff_workbook(cells: list[bytes], globals_: list[bytes], name: str = "表1") -> bytes:
    """A BIFF8 Workbook stream: the globals (BOF, ``globals_``, a BOUNDSHEET, EOF), then one sheet of ``cells``."""
    bof, eof = _biff(0x0809, struct.pack("<HH", 0x0600, 0x0005) + b"\0" * 12), _biff(0x000A, b"")
    encoded = name.encode("utf-16-le")
    head = bof + b"".join(globals_)
    sheet_at = len(head) + 4 + 8 + len(encoded) + len(eof)
    boundsheet = _biff(0x0085, struct.pack("<IBBBB", sheet_at, 0, 0, len(name), 1) + encoded)
    return head + boundsheet + eof + _biff(0x0809, struct.pack("<HH", 0x0600, 0x0010) + b"\0" * 12) + b"".join(cells) + eof


def _format(number: int, code: str, wide: bool = False) -> bytes:
    text = code.encode("utf-16-le" if wide else "latin-1")
    return _biff(0x041E, struct.pack("<HHB", number, len(code), int(wide)) + text)


def _xf(number_format: int, style: bool = False) -> bytes:
    return _biff(0x00E0, struct.pack("<HHH", 0, number_format, 0xFFF5 if style else 0x0001) + b"\0" * 14)


def _number(row: int, col: int, xf: int, value: float = 0.95) -> bytes:
    return _biff(0x0203, struct.pack("<HHHd", row, col, xf, value))


def _rk(row: int, col: int, xf: int) -> bytes:
    return _biff(0x027E, struct.pack("<HHHI", row, col, xf, (95 << 2) | 3))  # 95 / 100


def _formula(row: int, col: int, xf: int, result: bytes) -> bytes:
    return _biff(0x0006, struct.pack("<HHH", row, col, xf) + result + b"\0" * 6 + b"\x01\x00\x1e\x01\x00")


_BIFF_STYLES = [
    _format(164, "0.0%"), _format(165, '0.0"%"'), _format(166, "0.00\\%", wide=True), _format(167, "0%", wide=True),
    _xf(0), _xf(9, style=True), _xf(9), _xf(164), _xf(165), _xf(10), _xf(166), _xf(167),  # XF 0 to 7
]


def test_xls_percent_cells_are_found_in_every_record_that_holds_a_number(monkeypatch):
    """A number cell of an .xls is shown as a percentage by its XF's number format: built in (0%, 0.00%) or
    one of the workbook's FORMAT records (Latin-1 or UTF-16), not a style's XF, not a "%" printed as text.
    NUMBER, RK, each column of a MULRK and a FORMULA with a number for its result hold one."""
    cells = [
        _number(0, 0, 2), _rk(0, 1, 3), _rk(0, 2, 4), _number(0, 3, 1), _number(0, 4, 6), _number(0, 5, 7),
        _biff(0x00BD, struct.pack("<HH", 1, 0) + struct.pack("<HI", 0, 3) + struct.pack("<HI", 5, 3)
              + struct.pack("<HI", 2, 3) + struct.pack("<H", 2)),  # A2:C2, the last two percentages
        _formula(2, 0, 2, struct.pack("<d", 0.95)),
        _formula(2, 1, 2, b"\x00\0\0\0\0\0\xff\xff"),  # its result a text (in the STRING record after it)
        _biff(0x00FD, struct.pack("<HHHI", 2, 2, 2, 0)),  # a text (LABELSST) in a percent cell
    ]
    stream = _biff_workbook(cells, _BIFF_STYLES)
    monkeypatch.setattr(reader, "_ole_stream", lambda data, wanted: stream)
    marks = reader._check_xls(b"")
    assert list(marks) == ["表1"] and marks["表1"].percent(b"") == {"A1", "B1", "F1", "B2", "C2", "A3"}


def test_xls_records_that_lie_about_their_length_neither_break_nor_stall_the_walk(monkeypatch):
    """Records cut off by the stream's end (an XF, a FORMAT, a number's XF) are passed over as before, not
    taken for a broken file; a MULRK running past the end is one, as before, whatever it holds; the cells
    kept are bounded (MAX_CELLS) however many records say so."""
    many = _biff(0x00BD, struct.pack("<HH", 3, 0) + struct.pack("<HI", 2, 3) * 1365 + struct.pack("<H", 199))
    for tail in (_xf(9)[:10], _format(168, "0%")[:7], _number(4, 0, 2)[:9]):
        stream = _biff_workbook([_number(0, 0, 2), tail], _BIFF_STYLES)
        monkeypatch.setattr(reader, "_ole_stream", lambda data, wanted: stream)
        assert reader._check_xls(b"")["表1"].percent(b"") == {"A1"}
    for tail in (many[:100], struct.pack("<HHHH", 0x00BD, 0xFFFF, 3, 0) + struct.pack("<HI", 2, 3) * 4):
        stream = _biff_workbook([_number(0, 0, 2), tail], _BIFF_STYLES)
        monkeypatch.setattr(reader, "_ole_stream", lambda data, wanted: stream)
        with pytest.raises(struct.error):  # (F001 from ``precheck``)
            reader._check_xls(b"")
    stream = _biff_workbook([many] * 200, _BIFF_STYLES)
    monkeypatch.setattr(reader, "_ole_stream", lambda data, wanted: stream)
    marks: dict = {}
    assert _timed(lambda: marks.update(reader._check_xls(b""))) < 1.0
    assert len(marks["表1"].percent.args[0]) == reader.MAX_CELLS


def test_ods_percent_cells_are_placed_as_calamine_places_them():
    """office:value-type="percentage" (its office:value the fraction calamine gives), repeated over rows and
    columns, in a covered cell too (calamine gives its value), per table; not calcext's type, nor a float."""
    xml = (b'<table:table table:name="A&amp;B"><table:table-row table:number-rows-repeated="2"><table:table-cell/>'
           b'<table:table-cell office:value-type="percentage" office:value="0.5" table:number-columns-repeated="2"/>'
           b"</table:table-row><table:table-row><table:covered-table-cell office:value-type='percentage' "
           b"office:value='0.1'/><table:table-cell calcext:value-type=\"percentage\" office:value-type=\"float\" "
           b'office:value="3"/><table:table-cell office:value-type="percentage" office:value="1"><text:p>100%</text:p>'
           b'</table:table-cell></table:table-row></table:table><table:table table:name="\xe4\xba\x8c"><table:table-row>'
           b'<table:table-cell table:number-columns-repeated="3"/><table:table-cell office:value-type="percentage" '
           b'office:value="0.2"/></table:table-row></table:table>')
    assert reader._check_ods_extent(xml) == {"A&B": {"B1", "C1", "B2", "C2", "A3", "C3"}, "二": {"D1"}}

def test_a_sheet_part_the_workbook_does_not_list_is_left_out_first(tmp_path):
    """Over the cell limit, an unlisted worksheet part (nobody reads it) is left out before any listed sheet,
    instead of rejecting the file."""
    from tests.corpus import Sheet

    detail = Sheet("明细", rows=[[1] * 12 for _ in range(4_000)])  # 48,000 cells
    path = write_book(tmp_path / "多余部件.xlsx", [standard_sheet(Form()), detail])
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>1</v></c>' for col in "ABCDEFGHIJKLMNOPQRSTUV")
                   + "</row>" for r in range(1, 4_901))  # 107,800 cells
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats'
           f'.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>')
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet9.xml", xml)
        archive.writestr("xl/worksheets/sheet8.xml", xml)
    book, _ = read(path)
    assert book.readable and [f.sheet for f in book.forms] == ["项目支出绩效自评表"] and book.issues == []


def test_an_indented_self_closing_cell_does_not_stall_the_reader(tmp_path):
    """A styled empty cell with its attributes on indented lines (valid XML) on a form's sheet: reading a
    start tag must not retry every way of splitting its spaces (each space doubled the time: 60 s and
    F007 读取超时 at 24). Run in a child process, so that a relapse fails the test instead of stalling it."""
    import subprocess
    import sys

    path = form_xlsx(tmp_path / "f.xlsx")
    indent = b"\n" + b" " * 40
    with zipfile.ZipFile(path) as source:
        parts = {item.filename: source.read(item) for item in source.infolist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
    cell = b"<c" + indent + b'r="Z3"' + indent + b's="1"' + indent + b't="e"' + indent + b"/>"
    parts[sheet] = parts[sheet].replace(b"</row>", cell + b"</row>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    code = ("import sys; from pathlib import Path; from perfeval.reader import read_workbook; "
            "book = read_workbook(Path(sys.argv[1]), 'f.xlsx'); print(len(book.forms))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "1", done.stderr


def _crafted_percent_tag(n: int) -> tuple[bytes, object]:
    """A cell tag whose quoted attribute repeats a percent style's s="1" n times."""
    styles = reader._percent_styles(b'<cellXfs><xf numFmtId="0"/><xf numFmtId="9"/></cellXfs>')
    return b"<c r='A1' x='" + b' s="1"' * n + b"'><v>1</v></c>", styles


def _crafted_inputs():
    """Inputs a crafted file can put before each pattern or loop that reads untrusted text, sized so that
    the superlinear versions took seconds (measured; their growth given), each one well-formed XML or a
    cell text within Excel's 32,767 characters."""
    from perfeval import normalise, returns, values

    percent_tag, styles = _crafted_percent_tag(80_000)
    return {
        # exponential (×4 per 2 characters): an attribute in a comment with an unclosed quote
        "ods tags": lambda: reader._check_ods_extent(b"<!--<table:table-cell " + b"a" * 28 + b"'-->"),
        "ods attributes": lambda: reader._ods_repeat(b"a" * 32_000, b"table:number-rows-repeated"),
        # quadratic: every start tag in a comment scanned on to the comment's end
        "hidden rows": lambda: reader._hidden_lines(b'<!-- hidden="1" ' + b"<row " * 16_000 + b"-->"),
        "relationships": lambda: reader._RELATIONSHIP.findall(b"<!--" + b"<Relationship " * 16_000 + b"'-->"),
        "sheet names": lambda: reader._sheet_names(b"<!--" + b"<sheet " * 8_000 + b"-->",
                                                   b"<!--" + b"<Relationship " * 8_000 + b"-->"),
        "recalculation": lambda: reader._FULL_CALC.search(b"<!--" + b"<calcPr " * 16_000 + b"-->"),
        "shared strings": lambda: reader._SST.search(b"<!--" + b"<sst " * 16_000 + b"'-->"),
        "number formats": lambda: reader._percent_styles(b"<?x " + b"<numFmts " * 16_000 + b"?>"),
        "comments": lambda: reader._percent_styles(b"<?x " + b"<!--" * 32_000 + b"?>"),
        "format code": lambda: reader._percent_styles(b'<numFmts><numFmt numFmtId="164" formatCode="'
                                                      + b"[" * 64_000 + b'"/></numFmts>'),
        "merged ranges": lambda: returns.MERGE_REF.findall(b"<!--" + b"<mergeCell " * 8_000 + b"-->"),
        # quadratic: every formula, error or percent cell looked back or on over all the others
        "formulas": lambda: reader._uncached_cells(b'<c r="A1"><v>1</v></c>' + b"<c><f>1</f></c>" * 40_000),
        "error cells": lambda: reader._error_cells(b'<c r="A1" t="e">' * 20_000 + b"<v>#REF!</v>" + b"</c>" * 20_000),
        "percent tag": lambda: reader._percent_cells(percent_tag, styles, False),
        "percent text": lambda: reader._percent_cells(b"<c r='A1' t='inlineStr'><is><t>" + b' s="1"' * 400_000
                                                      + b"</t></is></c>", styles, True),
        # quadratic in a cell's text: a run of digits, spaces or brackets
        "amount": lambda: pytest.raises(ValueError, values.parse_amount, "1" * 16_384 + "x"),
        "line breaks": lambda: normalise._one_line("a" + " " * 32_000 + "b\nc"),
        "brackets": lambda: normalise.level1_name("（" * 32_000),
    }


def test_forms_sharing_one_code_are_told_apart_in_linear_time():
    """A generator or a template that fills in one 项目编码 for every form puts a whole batch under one
    F004 key. Each form was compared with every distinct one before it: 2,000 such forms took 19 s of the
    main process, 10,000 eight minutes. The bound only catches a relapse; it takes milliseconds."""
    from perfeval import checks
    from perfeval.normalise import normalise_form

    form = next(f for f in read_workbook(Path(__file__).parent.parent / "examples" / "seed-2021"
                                         / "04_金融监管工作经费.xlsx", "04.xlsx").forms)
    project, _ = normalise_form(form)
    projects = [replace(project, name=f"项目{n}", code="XM2021001", file=f"{n:04d}.xlsx") for n in range(2_000)]
    projects += [replace(projects[n], file=f"{n:04d} - 副本.xlsx") for n in range(0, 2_000, 100)]  # 20 sent twice
    found: list = []
    assert _timed(lambda: found.extend(checks.check_duplicates(projects))) < 1.0
    issues, repeats = found
    assert len(issues) == 1_999 + 20 and repeats == set(range(2_000, 2_020))
    assert sum("内容完全相同" in i.message for i in issues) == 20


@pytest.mark.parametrize("case", list(_crafted_inputs()))
def test_crafted_text_takes_linear_time(case):
    """Each took from 2 s to minutes (a form lost as 读取超时, a 736-byte .ods among them) before its
    pattern was made unambiguous: possessive runs, no "<" inside a tag, lookbacks that start where the
    last one ended. The bound only catches a relapse; the fixed versions take milliseconds."""
    run = _crafted_inputs()[case]
    assert _timed(run) < 1.0


def test_a_forms_texts_together_are_bounded(tmp_path):
    """Each cell within Excel's 32,767 characters, but texts of 30,000 filling thirty rows' 偏差原因 (a 26 KB
    workbook of a thousand such rows is 130 million characters once read): the longest
    texts are cut to one length that keeps the form within 200,000 characters, with an F007; the figures are
    read whole and the form is scored."""
    from perfeval.pipeline import run
    from tests.forms import Ind, spec, write_spec

    inds = [Ind("产出指标", "数量指标", f"指标{k}", "≥1次", "1次", 3, 3, "DEVIATION") for k in range(30)]
    path = write_spec(tmp_path / "f.xlsx", spec(indicators=inds, total=100))
    members = members_of(path)
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(  # openpyxl: inline strings
        b"DEVIATION", ("偏差" * 15_000).encode())
    (tmp_path / "inbox").mkdir()
    write_members(tmp_path / "inbox" / "f.xlsx", members)
    batch, outputs = run(tmp_path / "inbox", tmp_path / "out", load_rules(), jobs=1)
    [result] = batch.results
    notes = [i.deviation for i in result.project.indicators]
    assert len(notes) == 30 and len(set(map(len, notes))) == 1 and 6_000 < len(notes[0]) < 6_700
    assert notes[0] == ("偏差" * 15_000)[:len(notes[0])]
    [issue] = [i for i in batch.issues if i.code == "F007"]
    assert "900,5" in issue.message and "30 个较长的单元格" in issue.message and issue.level == "错误"
    assert result.status == "已评分" and result.total == 100
    assert [i.weight.value for i in result.project.indicators] == [3] * 30
    assert outputs.result.stat().st_size < 1_500_000


@pytest.mark.parametrize("target", [b"worksheets/sheet1.xml", b"/xl/worksheets/sheet1.xml", b"worksheets/sheet%31.xml"])
def test_one_sheet_listed_as_many_is_refused_before_reading(tmp_path, target):
    """Each listing of a sheet part is loaded again, while the cell limits count the part once: 300 listings of
    one sheet of 194,000 cells were 58 million cells, a minute before the timeout. Excel lists a part once."""
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    sheets = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rIdX%d"/>' % (k, k + 2, k) for k in range(300))
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b"</sheets>", sheets + b"</sheets>")
    rels = b"".join(b'<Relationship Id="rIdX%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/worksheet" Target="%s"/>' % (k, target) for k in range(300))
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", rels + b"</Relationships>")
    book, seconds = read(write_members(tmp_path / "alias.xlsx", members))
    issue = only_issue(book)
    assert issue.code == "F001" and "工作表“S0”与其他工作表是同一份表格数据" in issue.message and seconds < 2


def test_a_relationship_no_sheet_uses_is_no_second_listing(tmp_path):
    """A spare relationship to the sheet part that workbook.xml does not list is harmless: nothing loads it twice."""
    members = members_of(form_xlsx(tmp_path / "f.xlsx"))
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                             b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    book, _ = read(write_members(tmp_path / "spare.xlsx", members))
    assert book.issues == [] and len(book.forms) == 1


def with_zip64_directory(path: Path, extra: bytes | None) -> bytes:
    """The workbook at ``path`` with a ZIP64 end record and locator before its end record, naming a second
    central directory: the same one, or (``extra``) one with a further member docProps/custom.xml."""
    good = path.read_bytes()
    end = good.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack_from("<HII", good, end + 10)
    body, directory = bytearray(good[:offset]), good[offset:offset + size]
    entries = count
    if extra is not None:
        name, crc = b"docProps/custom.xml", zlib.crc32(extra)
        local = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(extra), len(extra), len(name), 0)
        body += name + extra
        second = directory + struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(extra),
                                         len(extra), len(name), 0, 0, 0, 0, 0, local) + name
        entries += 1
    else:
        second = directory
    first = len(body)
    body += directory
    shadow = len(body) if extra is not None else first
    if extra is not None:
        body += second
    record = len(body)
    body += struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, len(second), shadow)
    body += struct.pack("<4sIQI", b"PK\x06\x07", 0, record, 1)
    body += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, size, first, 0)
    return bytes(body)


def test_a_second_directory_behind_a_zip64_locator_is_refused(tmp_path):
    """calamine reads the directory the end record names; Python's zipfile (the marked copy, openpyxl) follows
    a ZIP64 locator to another one. A part only the second lists (a DOCTYPE) went into the marked copy unchecked."""
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    path = tmp_path / "两个目录.xlsx"
    path.write_bytes(with_zip64_directory(form_xlsx(tmp_path / "f.xlsx"), xxe))
    with zipfile.ZipFile(path) as archive:
        assert "docProps/custom.xml" in archive.namelist()  # what the copy would have been made of
    issue = only_issue(read(path)[0])
    assert issue.code == "F001" and "两份内容不同的压缩目录" in issue.message


def test_a_zip64_record_naming_the_same_directory_is_fine(tmp_path):
    """Some writers always add the ZIP64 records; when they name the same directory, the file is read."""
    path = tmp_path / "zip64.xlsx"
    path.write_bytes(with_zip64_directory(form_xlsx(tmp_path / "f.xlsx"), None))
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    book, _ = read(path)
    assert book.issues == [] and len(book.forms) == 1


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_sheet_name_beyond_any_spreadsheets_limit_is_refused(tmp_path, suffix):
    """Every issue names its sheet: a name of 45 million characters in a 260 KB file, copied into each of a form's
    issues, made a 2.8 GB result.json and took 8 GB. Excel allows 31 characters, LibreOffice a few more."""
    members = members_of(write_book(tmp_path / f"f{suffix}", [standard_sheet(Form())]))
    part = "xl/workbook.xml" if suffix == ".xlsx" else "content.xml"
    old = 'name="项目支出绩效自评表"'.encode()
    assert old in members[part]
    members[part] = members[part].replace(old, f'name="{"表" * 300}"'.encode(), 1)
    issue = only_issue(read(write_members(tmp_path / f"长表名{suffix}", members))[0])
    assert issue.code == "F001" and "工作表名称长达" in issue.message and len(issue.message) < 200
    # 255 characters are still a name
    members[part] = members[part].replace(("表" * 300).encode(), ("表" * 255).encode())
    book, _ = read(write_members(tmp_path / f"较长表名{suffix}", members))
    assert not [i for i in book.issues if i.code == "F001"]


def test_a_name_is_bounded_where_every_issue_repeats_it(tmp_path):
    """A 32,000-character 项目名称 (within a cell's limit) beside 4,000 indicator rows without values: every one
    of their 8,000 issues names the project, which made a 2.3 GB result.json and 2.7 GB of memory. Names are
    cut to 300 characters, with an F007 on the name's cell."""
    from perfeval.pipeline import run
    from tests.forms import Ind, spec, write_spec

    inds = [Ind("产出指标", "数量指标", f"指标{k}", None, None, 0.0225, None) for k in range(4000)]
    path = write_spec(tmp_path / "f.xlsx", spec(name="NAME", indicators=inds))
    members = members_of(path)
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(b">NAME<", (">" + "项" * 32_000 + "<").encode())
    (tmp_path / "inbox").mkdir()
    write_members(tmp_path / "inbox" / "f.xlsx", members)
    batch, outputs = run(tmp_path / "inbox", tmp_path / "out", load_rules(), jobs=1)
    [result] = batch.results
    assert result.project.name == "项" * 300
    [named] = [i for i in batch.issues if i.code == "F007" and i.cell == "B3"]
    assert "项目名称长达 32,000 字" in named.message
    assert outputs.result.stat().st_size < 5_000_000  # 2.3 GB before
    # 4,000 indicator rows: the first 500 read (MAX_INDICATORS), their 1,000 issues (T002, T003 on every row)
    # listed up to 500 by level, and one F007 counting them all
    assert len(result.project.indicators) == 500
    assert any(i.code == "F007" and "超过 500 行" in i.message for i in result.issues)
    many = result.issues[-1]
    assert len(result.issues) == 501 and "共 1,00" in many.message and "只列出" in many.message
    assert result.issues[0].code == "F007" and {i.level for i in result.issues} == {"错误"}


def test_a_units_name_from_its_sheet_is_bounded(tmp_path):
    """The 单位情况 sheet's 单位名称 goes with every project of the unit (result.json, the summary's rows)."""
    from tests.corpus import unit_sheet

    book, _ = read(write_book(tmp_path / "单位.xlsx", [standard_sheet(Form()), unit_sheet(name="某" * 1000)]))
    assert book.unit.items["单位名称"].value == "某" * 300 and len(book.forms) == 1
    [issue] = [i for i in book.issues if i.code == "F007"]
    assert "单位名称长达 1,000 字" in issue.message and issue.sheet == "单位情况" and issue.cell


def test_a_workbook_of_too_many_sheets_is_read_up_to_the_limit(tmp_path, monkeypatch):
    """Thousands of small form sheets within the cell limit took minutes a workbook: the first MAX_SHEETS are read,
    with an F007 saying how many there were."""
    from tests.forms import spec, write_spec

    import openpyxl

    monkeypatch.setattr(reader, "MAX_SHEETS", 3)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for k in range(5):
        write_spec(tmp_path / "x", spec(sheet=f"项目{k}", name=f"项目{k}"), wb)
    wb.save(tmp_path / "多表.xlsx")
    book, _ = read(tmp_path / "多表.xlsx")
    assert [f.sheet for f in book.forms] == ["项目0", "项目1", "项目2"]
    [issue] = book.issues
    assert issue.code == "F007" and "含 5 个工作表" in issue.message and "只读取了前 3 个" in issue.message


def test_a_units_sheet_is_bounded_as_a_whole(tmp_path):
    """A 单位情况 sheet's texts stay in memory with their unit to the end: 2,000 units with 250,000 characters each
    took the run to 2.7 GB. Together they are cut to MAX_UNIT_TEXT."""
    from tests.corpus import unit_sheet

    sheet = unit_sheet()
    items = [(r, c) for r, row in enumerate(sheet.rows) for c, v in enumerate(row)
             if v in ("资金使用管理情况", "存在的问题", "有关建议")]
    assert len(items) == 3
    for r, c in items:
        sheet.put(r, c + 1, "很长的说明" * 3_000)  # 15,000 characters each, 45,000 together
    book, _ = read(write_book(tmp_path / "单位.xlsx", [standard_sheet(Form()), sheet]))
    texts = [book.unit.items[k].value for k in ("资金使用管理情况", "存在的问题", "有关建议")]
    assert sum(map(len, texts)) <= reader.MAX_UNIT_TEXT and len(set(map(len, texts))) == 1
    [issue] = [i for i in book.issues if i.code == "F007"]
    assert "单位情况表中文字合计" in issue.message and issue.sheet == "单位情况"


def test_a_forms_many_short_texts_are_not_cut():
    """Past the budget only in texts of 100 characters or fewer (MIN_KEPT_TEXT): nothing is cut, and no F007
    claims otherwise; past it with long texts among them, only those are cut."""
    from perfeval.reader import MIN_KEPT_TEXT, RawCell, cap_total_text

    short = {f"c{k}": RawCell("字" * MIN_KEPT_TEXT, f"A{k + 1}") for k in range(2_500)}
    assert cap_total_text((short,)) is None and all(len(c.value) == MIN_KEPT_TEXT for c in short.values())
    cells = {**short, "long": RawCell("长" * 10_000, "B1")}
    total, count, kept = cap_total_text((cells,))
    assert (total, count, kept) == (260_000, 1, MIN_KEPT_TEXT) and cells["long"].value == "长" * MIN_KEPT_TEXT
