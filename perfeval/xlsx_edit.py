"""The fast path of the marked-up copies (returns.py): edit the .xlsx package at the zip/XML level.

``write_marked_copy_fast`` writes the copy the openpyxl path of ``returns.write_marked_copy`` writes
(fills, comments, the first sheet 审核意见 with links, protection removed, hidden sheets with issues shown,
a stale 审核意见 sheet replaced, always .xlsx: the VBA project is dropped) in about a tenth of the time,
without loading the workbook into openpyxl:

- untouched zip members are copied with their compressed bytes (after a CRC check), never re-deflated;
- the parts that change are edited with lxml, which keeps namespace prefixes as they were (Excel's
  ``mc:Ignorable`` needs them): [Content_Types].xml, the workbook and its relationships, styles.xml
  (fills, fonts and cell formats appended), comments and legacy VML drawings (merged into existing
  ones), docProps/app.xml (its optional sheet titles dropped);
- a worksheet is split in two: its skeleton (everything but the content of sheetData) is edited with
  lxml, its cells in the bytes (a cell's ``s`` set, a missing ``<c>`` or ``<row>`` inserted in order);
- the 审核意见 sheet is written as text, with inline strings.

Everything else in the package stays as it was, so the copy keeps what openpyxl drops (images, charts,
cached formula values, x14 validations, the size of comments it does not touch).

Anything it does not handle confidently raises ``Unsupported`` before ``dest`` is touched, and the
caller falls back to openpyxl: strict OOXML, DOCTYPEs, non-UTF-8 or prefixed worksheets, cells or rows
without their address or out of order, CDATA or comments among the cells, threaded comments on a sheet
to be commented, macro or dialog sheets, parts shared between sheets, missing parts, bad CRCs, XML errors.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import tempfile
import struct
import zipfile
import zlib
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from openpyxl.comments import Comment
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries

from perfeval import returns as R
from perfeval.model import ERROR, INFO, LEVELS, WARNING, Issue

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
EP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
V_NS = "urn:schemas-microsoft-com:vml"
O_NS = "urn:schemas-microsoft-com:office:office"
X_NS = "urn:schemas-microsoft-com:office:excel"

RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
RT_OFFICE_DOCUMENT = RT + "officeDocument"
RT_WORKSHEET = RT + "worksheet"
RT_STYLES = RT + "styles"
RT_CALC_CHAIN = RT + "calcChain"
RT_COMMENTS = RT + "comments"
RT_VML = RT + "vmlDrawing"
RT_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
RT_SHARED_STRINGS = RT + "sharedStrings"
RT_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"

CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_MAIN_OTHERS = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_VBA = "application/vnd.ms-office.vbaProject"
# Parts an .xlsx may not hold: Excel refuses the file (macro sheets) or it would still carry macros.
CT_MACRO = ("macrosheet", "dialogsheet", "vbaProject", "vbaProjectSignature")

MAX_PACKAGE = 60 * 1024 * 1024  # declared uncompressed bytes; the reader already refused bigger ones
MAX_PARTS = 2000

C = f"{{{NS}}}c"
ROW = f"{{{NS}}}row"
T_STYLESHEET = f"{{{NS}}}styleSheet"
T_TEXT, T_T, T_R = f"{{{NS}}}text", f"{{{NS}}}t", f"{{{NS}}}r"
T_SHAPE = f"{{{V_NS}}}shape"
T_CLIENT_DATA = f"{{{X_NS}}}ClientData"
T_ROW, T_COLUMN = f"{{{X_NS}}}Row", f"{{{X_NS}}}Column"
T_FILL = f"{{{NS}}}fill"
T_PATTERN_FILL = f"{{{NS}}}patternFill"
R_ID = f"{{{REL_NS}}}id"
SHAPE_ID = re.compile(r"_x0000_s(\d+)")
TAB_SELECTED = re.compile(rb"""tabSelected\s*=\s*["'](?:1|true)["']""")
PROTECTION = re.compile(rb"<(?:\w+:)?sheetProtection\b")
CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                          remove_comments=False)

WS_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
            "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
            "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
            "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
            "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
            "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
            "tableParts", "extLst")
WB_ORDER = ("fileVersion", "fileSharing", "workbookPr", "absPath", "workbookProtection", "bookViews", "sheets",
            "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews",
            "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
            "extLst")
STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst")
# what a styles part lacking a section gets (``Styles._complete``)
_STYLE_DEFAULTS = {
    "fonts": f'<font xmlns="{NS}"><sz val="11"/><name val="宋体"/><family val="2"/></font>',
    "fills": f'<fill xmlns="{NS}"><patternFill patternType="none"/></fill>',
    "borders": f'<border xmlns="{NS}"><left/><right/><top/><bottom/><diagonal/></border>',
    "cellStyleXfs": f'<xf xmlns="{NS}" numFmtId="0" fontId="0" fillId="0" borderId="0"/>',
}
_GRAY125 = f'<fill xmlns="{NS}"><patternFill patternType="gray125"/></fill>'


class Unsupported(Exception):
    """The package is not one the fast path edits confidently; the openpyxl path should copy it."""


# ----------------------------------------------------------------------------------------------- XML

def parse(data: bytes) -> etree._Element:
    """An lxml tree of a part; DOCTYPEs (entity tricks) are refused: seen in the bytes before parsing when
    the part is UTF-8, in the parsed document's header whatever its encoding (entities are never
    resolved, so a DOCTYPE costs nothing until then)."""
    if b"<!DOCTYPE" in data or b"<!doctype" in data:
        raise Unsupported("DOCTYPE in a part")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"XML error: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise Unsupported("DOCTYPE in a part")
    return root


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def q(name: str, ns: str = NS) -> str:
    return f"{{{ns}}}{name}"


def local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def order_name(el: etree._Element) -> str:
    """An element's name for schema ordering; mc:AlternateContent counts as what it wraps."""
    if el.tag == q("AlternateContent", MC_NS):
        for choice in el:
            for inner in choice:
                return local(inner)
    return local(el) if isinstance(el.tag, str) and el.tag.startswith(f"{{{NS}}}") else ""


def insert_ordered(parent: etree._Element, child: etree._Element, order: Sequence[str]) -> None:
    """Insert ``child`` where the schema's sequence ``order`` puts it among ``parent``'s children."""
    rank = {name: i for i, name in enumerate(order)}
    mine = rank[local(child)]
    for i, existing in enumerate(parent):
        theirs = rank.get(order_name(existing))
        if theirs is not None and theirs > mine:
            parent.insert(i, child)
            return
    parent.append(child)


def sub(parent: etree._Element, name: str, order: Sequence[str], **attrs: str) -> etree._Element:
    el = etree.Element(q(name), {k: v for k, v in attrs.items()})
    insert_ordered(parent, el, order)
    return el


def text_attr(value: str) -> str:
    return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


# ------------------------------------------------------------------------------------------- package

class Package:
    """The zip parts of the source (read once), with edits, additions and removals to write out."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise Unsupported(f"not a zip: {exc}") from exc
        infos = self.zip.infolist()
        if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_PACKAGE:
            raise Unsupported("package too large")
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self.by_lower: dict[str, str] = {}
        for info in infos:
            if info.flag_bits & 0x1 or info.filename.lower() in self.by_lower:
                raise Unsupported("encrypted or duplicate member")
            self.infos[info.filename] = info
            self.by_lower[info.filename.lower()] = info.filename
        self.changed: dict[str, bytes] = {}
        self.added: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self.data = data
        self._plain: dict[str, bytes] = {}  # inflated members, CRC checked
        self._raw: dict[str, bytes] = {}  # their compressed bytes, for copying untouched members

    def name(self, part: str) -> str | None:
        """The zip member holding a part (OPC part names are case-insensitive)."""
        part = part.lstrip("/")
        if part in self.added:
            return part
        found = self.by_lower.get(part.lower())
        return None if found is None or found in self.removed else found

    def has(self, part: str) -> bool:
        return self.name(part) is not None

    def read(self, part: str) -> bytes:
        name = self.name(part)
        if name is None:
            raise Unsupported(f"missing part {part}")
        if name in self.added:
            return self.added[name]
        if name in self.changed:
            return self.changed[name]
        if name not in self._plain:
            self.load_member(name)
        return self._plain[name]

    def load_member(self, name: str) -> None:
        """Inflate a member (checking its CRC), keeping its compressed bytes for an untouched copy."""
        info = self.infos[name]
        raw = member_bytes(self.data, info)
        if raw is None:  # an unusual compression: zipfile's own reader (it checks the CRC too)
            try:
                self._plain[name] = self.zip.read(name)
            except (zipfile.BadZipFile, NotImplementedError, zlib.error, OSError, ValueError) as exc:
                raise Unsupported(f"cannot inflate {name}: {exc}") from exc
            return
        if info.compress_type == zipfile.ZIP_STORED:
            plain = raw
        else:  # never inflate more than the directory declares: a lying member is refused, not inflated
            inflater = zlib.decompressobj(-15)
            try:
                plain = inflater.decompress(raw, info.file_size + 1)
            except zlib.error as exc:
                raise Unsupported(f"cannot inflate {name}: {exc}") from exc
            if not inflater.eof or inflater.unconsumed_tail:
                raise Unsupported(f"{name} inflates beyond its declared size")
        if len(plain) != info.file_size or zlib.crc32(plain) != info.CRC:
            raise Unsupported(f"bad CRC of {name}")
        self._plain[name], self._raw[name] = plain, raw

    def raw(self, name: str) -> bytes | None:
        """The compressed bytes of an untouched deflated/stored member, CRC checked; None if unusual."""
        if name not in self._plain:
            self.load_member(name)
        return self._raw.get(name)

    def write_part(self, part: str, data: bytes) -> None:
        name = self.name(part)
        if name is None:
            self.added[part.lstrip("/")] = data
        elif name in self.added:
            self.added[name] = data
        else:
            self.changed[name] = data

    def remove(self, part: str) -> None:
        name = self.name(part)
        if name is None:
            return
        if name in self.added:
            del self.added[name]
        else:
            self.removed.add(name)
            self.changed.pop(name, None)

    def free_name(self, pattern: str) -> str:
        """The first part name ``pattern.format(n)`` (n = 1, 2, ...) not taken."""
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    def save(self) -> bytes:
        """The edited package as zip bytes: untouched members copied compressed, the others deflated."""
        writer = ZipWriter()
        for name, info in self.infos.items():
            if name in self.removed:
                continue
            if name in self.changed:
                writer.add(name, self.changed[name], info.date_time)
            else:
                raw = self.raw(name)
                if raw is None:
                    writer.add(name, self.read(name), info.date_time)
                else:
                    writer.add_raw(name, info.date_time, info.compress_type, info.CRC, raw, info.file_size)
        for name, data in self.added.items():
            writer.add(name, data)
        return writer.finish()


class ZipWriter:
    """A minimal zip writer (no zip64, no encryption): deflated new members, raw copies of untouched ones.

    zipfile.ZipFile does the same with more bookkeeping per member; for the dozen small parts of a
    workbook that bookkeeping costs as much as the compression.
    """

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.offset = 0
        self.central: list[bytes] = []

    def add(self, name: str, data: bytes, date_time: tuple = (2000, 1, 1, 0, 0, 0)) -> None:
        packer = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        raw = packer.compress(data) + packer.flush()
        self.add_raw(name, date_time, zipfile.ZIP_DEFLATED, zlib.crc32(data), raw, len(data))

    def add_raw(self, name: str, date_time: tuple, method: int, crc: int, raw: bytes, size: int) -> None:
        if self.offset + len(raw) >= zipfile.ZIP64_LIMIT or len(self.central) >= 0xFFFF:
            raise Unsupported("package too large for a plain zip")
        encoded = name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        year, month, day, hour, minute, second = date_time[:6]
        if year < 1980:
            year, month, day, hour, minute, second = 1980, 1, 1, 0, 0, 0
        dos_date = (year - 1980) << 9 | month << 5 | day
        dos_time = hour << 11 | minute << 5 | second // 2
        local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, dos_time, dos_date, crc,
                            len(raw), size, len(encoded), 0)
        self.central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, method, dos_time, dos_date,
                                        crc, len(raw), size, len(encoded), 0, 0, 0, 0, 0o644 << 16,
                                        self.offset) + encoded)
        self.chunks += (local, encoded, raw)
        self.offset += len(local) + len(encoded) + len(raw)

    def finish(self) -> bytes:
        directory = b"".join(self.central)
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(self.central), len(self.central),
                          len(directory), self.offset, 0)
        return b"".join(self.chunks) + directory + end


COMPRESS_LEVEL = 1


def member_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The compressed bytes of a deflated or stored member, from its local header; None if unusual."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1 \
            or info.file_size >= zipfile.ZIP64_LIMIT or info.compress_size >= zipfile.ZIP64_LIMIT:
        return None
    start = info.header_offset
    header = data[start:start + zipfile.sizeFileHeader]
    if len(header) != zipfile.sizeFileHeader or header[:4] != zipfile.stringFileHeader:
        raise Unsupported(f"bad local header of {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    name = data[start + 30:start + 30 + name_len]
    if name.decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace") != info.orig_filename:
        raise Unsupported("local and central names differ")
    begin = start + 30 + name_len + extra_len
    raw = data[begin:begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise Unsupported(f"truncated member {info.filename}")
    return raw


class Rels:
    """A part's relationships file: id -> (type, resolved target part or None for external)."""

    def __init__(self, pkg: Package, part: str) -> None:
        self.pkg, self.part = pkg, part
        folder, base = posixpath.split(part)
        self.path = posixpath.join(folder, "_rels", base + ".rels")
        self.root = parse(pkg.read(self.path)) if pkg.has(self.path) else None
        self.dirty = False
        self.items: dict[str, tuple[str, str | None, etree._Element]] = {}
        if self.root is not None:
            if self.root.tag != q("Relationships", PKG_REL_NS):
                raise Unsupported("odd relationships part")
            for rel in self.root:
                if not isinstance(rel.tag, str):
                    continue
                rid, typ, target = rel.get("Id"), rel.get("Type", ""), rel.get("Target", "")
                if rid is None or rid in self.items:
                    raise Unsupported("relationship without a unique Id")
                internal = rel.get("TargetMode", "Internal") != "External"
                self.items[rid] = (typ, self.resolve(target) if internal else None, rel)

    def resolve(self, target: str) -> str:
        target = target.split("#", 1)[0]
        if target.startswith("/"):
            return posixpath.normpath(target).lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.part), target)).lstrip("/")

    def of_type(self, typ: str) -> list[tuple[str, str | None]]:
        return [(rid, target) for rid, (t, target, _) in self.items.items() if t == typ]

    def add(self, typ: str, target_part: str) -> str:
        if self.root is None:
            self.root = etree.Element(q("Relationships", PKG_REL_NS), nsmap={None: PKG_REL_NS})
        n = len(self.items) + 1
        while f"rId{n}" in self.items:
            n += 1
        rid = f"rId{n}"
        rel = etree.SubElement(self.root, q("Relationship", PKG_REL_NS),
                               {"Id": rid, "Type": typ, "Target": "/" + target_part})
        self.items[rid] = (typ, target_part, rel)
        self.dirty = True
        return rid

    def drop(self, rid: str) -> None:
        _, _, rel = self.items.pop(rid)
        self.root.remove(rel)
        self.dirty = True

    def flush(self) -> None:
        if self.dirty:
            if self.items:
                self.pkg.write_part(self.path, serialise(self.root))
            else:
                self.pkg.remove(self.path)


class ContentTypes:
    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.root = parse(pkg.read("[Content_Types].xml"))
        if self.root.tag != q("Types", CT_NS):
            raise Unsupported("odd content types")
        self.dirty = False
        self._overrides: dict[str, etree._Element] | None = None
        self._defaults: dict[str, etree._Element] | None = None

    def overrides(self) -> dict[str, etree._Element]:
        if self._overrides is None:
            self._overrides = {el.get("PartName", "").lstrip("/").lower(): el
                               for el in self.root.iter(q("Override", CT_NS))}
        return self._overrides

    def defaults(self) -> dict[str, etree._Element]:
        if self._defaults is None:
            self._defaults = {el.get("Extension", "").lower(): el for el in self.root.iter(q("Default", CT_NS))}
        return self._defaults

    def of(self, part: str) -> str:
        found = self.overrides().get(part.lower())
        if found is not None:
            return found.get("ContentType", "")
        default = self.defaults().get(posixpath.splitext(part)[1].lstrip(".").lower())
        return default.get("ContentType", "") if default is not None else ""

    def override(self, part: str, content_type: str) -> None:
        found = self.overrides().get(part.lower())
        if found is None:
            self.overrides()[part.lower()] = etree.SubElement(
                self.root, q("Override", CT_NS), {"PartName": "/" + part, "ContentType": content_type})
        else:
            found.set("ContentType", content_type)
        self.dirty = True

    def forget(self, part: str) -> None:
        found = self.overrides().pop(part.lower(), None)
        if found is not None:
            self.root.remove(found)
            self.dirty = True

    def flush(self) -> None:
        if self.dirty:
            self.pkg.write_part("[Content_Types].xml", serialise(self.root))


# -------------------------------------------------------------------------------------------- styles

class Styles:
    """styles.xml with the fills, fonts and cell formats the copy needs, appended on first use."""

    def __init__(self, pkg: Package, part: str | None) -> None:
        self.pkg, self.part = pkg, part
        if part is None or not pkg.has(part):
            raise Unsupported("no styles part")
        self.root = parse(pkg.read(part))
        if self.root.tag != T_STYLESHEET:
            raise Unsupported("odd styles part")
        self.dirty = False
        self.items: dict[str, list[etree._Element]] = {}
        self.sections: dict[str, etree._Element] = {}
        self.xfs = self.list_of("cellXfs", "xf")
        if not self.xfs:
            self.add_to("cellXfs", etree.Element(q("xf"), numFmtId="0", fontId="0", fillId="0", borderId="0"))
        self._complete()
        self.fills, self.fonts = self.items["fills"], self.items["fonts"]
        self._fill_ids: dict[str, int] = {}
        self._font_ids: dict[str, int] = {}
        self._xf_cache: dict[tuple, int] = {}

    def _complete(self) -> None:
        """What every Excel file has and new formats refer to, added where a program left it out (openpyxl
        cannot open such a file at all): Excel reserves fills 0 and 1 (none, gray125; a fill added there
        would not show), a new format names font 0, border 0 and cell style 0, and every index an
        existing format names must stay below the ones perfeval adds."""
        formats = self.xfs + self.list_of("cellStyleXfs", "xf")

        def needed(attr: str, floor: int, within: list[etree._Element] = formats) -> int:
            return max([floor] + [int_or(xf.get(attr), 0) + 1 for xf in within])

        for section, item, count in (("cellStyleXfs", "xf", needed("xfId", 1, self.xfs)),
                                     ("fonts", "font", needed("fontId", 1)),
                                     ("fills", "fill", needed("fillId", 2)),
                                     ("borders", "border", needed("borderId", 1))):
            items = self.list_of(section, item)
            if count - len(items) > 64:  # an index far beyond the section: no program writes that
                raise Unsupported(f"a cell format names {section} entry {count - 1} of {len(items)}")
            while len(items) < count:
                gray = section == "fills" and len(items) == 1
                self.add_to(section, etree.fromstring(_GRAY125 if gray else _STYLE_DEFAULTS[section]))

    def list_of(self, section: str, item: str) -> list[etree._Element]:
        el = self.root.find(q(section))
        if el is None:
            el = etree.Element(q(section))
            insert_ordered(self.root, el, STYLE_ORDER)
        self.sections[section] = el
        tag = q(item)
        self.items[section] = [child for child in el if child.tag == tag]
        return self.items[section]

    def add_to(self, section: str, el: etree._Element) -> int:
        items = self.items[section]
        self.sections[section].append(el)
        items.append(el)
        self.sections[section].set("count", str(len(items)))
        self.dirty = True
        return len(items) - 1

    def fill_id(self, color: str | None) -> int:
        key = color or ""
        if key not in self._fill_ids:
            fill = etree.Element(T_FILL)
            pattern = etree.SubElement(fill, T_PATTERN_FILL)
            if color:
                pattern.set("patternType", "solid")
                etree.SubElement(pattern, q("fgColor"), rgb=color)
                etree.SubElement(pattern, q("bgColor"), rgb=color)
            self._fill_ids[key] = self.add_to("fills", fill)
        return self._fill_ids[key]

    def font_id(self, *, bold: bool = False, size: float | None = None, color: str | None = None,
                underline: bool = False) -> int:
        """A copy of the default font with these changes."""
        key = f"{bold}{size}{color}{underline}"
        if key not in self._font_ids:
            font = etree.Element(q("font"))
            if bold:
                etree.SubElement(font, q("b"), val="1")
            if underline:
                etree.SubElement(font, q("u"))
            skip = {"b", "u", "i", "strike", "color"} | ({"sz"} if size else set())
            for child in self.fonts[0] if self.fonts else ():
                if isinstance(child.tag, str) and local(child) not in skip:
                    font.append(deepcopy(child))
            if size:
                etree.SubElement(font, q("sz"), val=f"{size:g}")
            if color:
                etree.SubElement(font, q("color"), rgb=color)
            self._font_ids[key] = self.add_to("fonts", font)
        return self._font_ids[key]

    def xf_with_fill(self, index: int, color: str | None) -> int:
        """A cell format like ``index`` (cellXfs position) with its fill replaced."""
        key = ("fill", index, color)
        if key not in self._xf_cache:
            xf = deepcopy(self.xfs[index] if 0 <= index < len(self.xfs) else self.xfs[0])
            xf.set("fillId", str(self.fill_id(color)))
            xf.set("applyFill", "1")
            self._xf_cache[key] = self.add_to("cellXfs", xf)
        return self._xf_cache[key]

    def new_xf(self, *, font: int = 0, fill: int = 0, align: dict[str, str] | None = None) -> int:
        key = ("new", font, fill, tuple(sorted(align.items())) if align else ())
        if key not in self._xf_cache:
            xf = etree.Element(q("xf"), numFmtId="0", fontId=str(font), fillId=str(fill), borderId="0", xfId="0")
            if font:
                xf.set("applyFont", "1")
            if fill:
                xf.set("applyFill", "1")
            if align:
                xf.set("applyAlignment", "1")
                etree.SubElement(xf, q("alignment"), align)
            self._xf_cache[key] = self.add_to("cellXfs", xf)
        return self._xf_cache[key]

    def perfeval_filled(self) -> set[int]:
        """Cell formats whose fill is perfeval's solid red or amber (an earlier round's marks)."""
        ours = set()
        for i, fill in enumerate(self.fills):
            pattern = fill.find(q("patternFill"))
            if pattern is not None and pattern.get("patternType") == "solid":
                fg = pattern.find(q("fgColor"))
                if fg is not None and fg.get("rgb") in (R.ERROR_COLOR, R.WARNING_COLOR):
                    ours.add(i)
        return {i for i, xf in enumerate(self.xfs) if int_or(xf.get("fillId"), 0) in ours}

    def flush(self) -> None:
        if self.dirty:
            self.pkg.write_part(self.part, serialise(self.root))


def int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


# ------------------------------------------------------------------------------------------- sheets

def cell_rc(ref: str) -> tuple[int, int]:
    m = CELL_REF.match(ref)
    if not m:
        raise Unsupported(f"odd cell reference {ref!r}")
    return int(m.group(2)), column_index_from_string(m.group(1).upper())


PREFIXED_CELL_OR_ROW = re.compile(rb"<[\w.-]+:(?:c|row)[\s/>]")
# an attribute value holding ">" (legal XML, never written by Excel, which escapes it): the row and
# cell scans below end a tag at its first ">"; a text holding ="…> matches too, and only costs speed
QUOTED_ANGLE = re.compile(rb"""=\s*(?:"[^"<]*>|'[^'<]*>)""")
ROW_TAG = re.compile(rb"<row\b([^<>]*?)(/?)>")
CELL_TAG = re.compile(rb"<c\b([^<>]*?)(/?)>")
ATTR_R = re.compile(rb"""\sr\s*=\s*(["'])([^"']*)\1""")
ATTR_S = re.compile(rb"""\ss\s*=\s*(["'])([^"']*)\1""")
ROW_CUSTOM_FORMAT = re.compile(rb"""\scustomFormat\s*=\s*["'](?:1|true)["']""")
ATTR_SPANS = re.compile(rb"""\sspans\s*=\s*(["'])(\d+):(\d+)\1""")
SHEET_DATA = re.compile(rb"<sheetData\s*(/?)>")
CELL_RC = re.compile(rb"^\$?([A-Za-z]{1,3})\$?(\d+)$")
ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")
PLACEHOLDER = b"<sheetData/>"
MERGE_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+):\$?([A-Za-z]{1,3})\$?(\d+)$")
_COLUMNS: dict[str, int] = {}


def column_index(letters: str) -> int:
    found = _COLUMNS.get(letters)
    if found is None:
        found = _COLUMNS[letters] = column_index_from_string(letters.upper())
    return found


def cell_rc_bytes(ref: bytes) -> tuple[int, int]:
    m = CELL_RC.match(ref)
    if not m:
        raise Unsupported(f"odd cell reference {ref!r}")
    return int(m.group(2)), column_index_from_string(m.group(1).decode("ascii").upper())


@dataclass
class Row:
    """A <row> of sheetData: its number, where it lies in the sheetData bytes, its cells once scanned."""

    number: int
    start: int  # of the start tag
    content: int  # end of the start tag
    close: int  # start of </row> (== content for <row/>)
    end: int  # end of the element
    tag: bytes  # the start tag
    cells: list[tuple[int, int, int, bytes, int | None]] | None = None  # (col, tag start, tag end, tag, s)


class Sheet:
    """One <sheet> of the workbook: its name and part; the worksheet XML edited in two pieces.

    The skeleton (every element but the content of sheetData) is an lxml tree; the cells are edited in
    the sheetData bytes directly (a style attribute set, a cell or row inserted in order): a sheet's
    XML is mostly cells, and building a tree of them costs more than everything else in a copy.
    """

    def __init__(self, el: etree._Element, name: str, part: str | None, pkg: Package) -> None:
        self.el, self.name, self.part, self.pkg = el, name, part, pkg
        self.dirty = False
        self.rels: Rels | None = None
        self._root: etree._Element | None = None
        self._data: bytes = b""
        self._rows: dict[int, Row] | None = None
        self._merged: list[tuple[int, int, int, int]] | None = None
        self._extent: tuple[int, int] | None = None
        self.styles: dict[tuple[int, int], int] = {}  # new style indexes of cells, applied on flush

    def raw(self) -> bytes:
        return self.pkg.read(self.part)

    @property
    def root(self) -> etree._Element:
        """The worksheet without its cells (an empty sheetData)."""
        if self._root is None:
            raw = self.raw()
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise Unsupported("UTF-16 worksheet")
            encoding = ENCODING.match(raw)
            if encoding and encoding.group(1).lower().replace(b"-", b"") != b"utf8":
                raise Unsupported("worksheet not in UTF-8")
            found = list(SHEET_DATA.finditer(raw))
            if len(found) != 1:
                raise Unsupported("no single unprefixed sheetData")
            m = found[0]
            if m.group(1):
                head, self._data, tail = raw[:m.start()], b"", raw[m.end():]
            else:
                close = raw.rfind(b"</sheetData>")
                if close < m.end():
                    raise Unsupported("sheetData not closed")
                head, self._data, tail = raw[:m.start()], raw[m.end():close], raw[close + len(b"</sheetData>"):]
            if b"<![CDATA[" in self._data or b"<!--" in self._data or b"<?" in self._data:
                raise Unsupported("CDATA, comments or instructions among the cells")
            if PREFIXED_CELL_OR_ROW.search(self._data):
                raise Unsupported("prefixed rows or cells")  # the byte scan would miss them and add twins
            if QUOTED_ANGLE.search(self._data):
                raise Unsupported("\">\" inside an attribute value among the cells")
            self._root = parse(head + PLACEHOLDER + tail)
            if self._root.tag != q("worksheet") or self._root.find(q("sheetData")) is None:
                raise Unsupported("odd worksheet part")
        return self._root

    def relationships(self) -> Rels:
        if self.rels is None:
            self.rels = Rels(self.pkg, self.part)
        return self.rels

    def rows(self) -> dict[int, Row]:
        if self._rows is None:
            self.root  # noqa: B018 (splits the part)
            data, rows, last_end, last_number = self._data, {}, 0, 0
            for m in ROW_TAG.finditer(data):
                if m.start() < last_end:
                    continue  # inside the previous row: not possible for cells, but stay safe
                r = ATTR_R.search(m.group(1))
                if r is None or not r.group(2).isdigit():
                    raise Unsupported("row without its number")
                number = int(r.group(2))
                if m.group(2):
                    row = Row(number, m.start(), m.end(), m.end(), m.end(), m.group(0))
                else:
                    close = data.find(b"</row>", m.end())
                    if close < 0:
                        raise Unsupported("row not closed")
                    row = Row(number, m.start(), m.end(), close, close + 6, m.group(0))
                if number <= last_number:
                    raise Unsupported("rows out of order")
                rows[number] = row
                last_end, last_number = row.end, number
            self._rows = rows
        return self._rows

    def cells_of(self, row: Row) -> list[tuple[int, int, int, bytes, int | None]]:
        if row.cells is None:
            cells = []
            for m in CELL_TAG.finditer(self._data, row.content, row.close):
                r = ATTR_R.search(m.group(1))
                if r is None:
                    raise Unsupported("cell without its address")
                cr, cc = cell_rc_bytes(r.group(2))
                if cr != row.number or (cells and cc <= cells[-1][0]):
                    raise Unsupported("cells out of order")
                style = ATTR_S.search(m.group(1))
                cells.append((cc, m.start(), m.end(), m.group(0), int(style.group(2)) if style and style.group(2).isdigit() else None))
            row.cells = cells
        return row.cells

    def style_of(self, row: int, col: int) -> int:
        """The style index of a cell, pending changes included. A cell without an element shows its
        row's style (a row with customFormat) or else its column's, as Excel draws it; else 0."""
        if (row, col) in self.styles:
            return self.styles[(row, col)]
        found = self.rows().get(row)
        if found is not None:
            for cc, _, _, _, style in self.cells_of(found):
                if cc == col:
                    return style or 0
            if ROW_CUSTOM_FORMAT.search(found.tag):
                row_style = ATTR_S.search(found.tag)
                if row_style is not None:
                    return int_or(row_style.group(2).decode("ascii", "replace"), 0)
        return self.column_style(col)

    def column_style(self, col: int) -> int:
        cols = self.root.find(q("cols"))
        for el in cols.iter(q("col")) if cols is not None else ():
            if int_or(el.get("min"), 0) <= col <= int_or(el.get("max"), 0):
                return int_or(el.get("style"), 0)
        return 0

    def set_style(self, row: int, col: int, style: int) -> None:
        self.styles[(row, col)] = style
        self.dirty = True

    def all_cells(self):
        """(row, col, style) of every cell element."""
        for number, row in self.rows().items():
            for cc, _, _, _, style in self.cells_of(row):
                yield number, cc, style

    def row_texts(self, number: int, strings: "SharedStrings") -> dict[int, str]:
        """The values of a row's cells as text (column -> text): shared and inline strings, numbers as
        written. Only for a few rows (it parses them)."""
        row = self.rows().get(number)
        if row is None or row.close == row.content:
            return {}
        el = parse(b'<row xmlns="' + NS.encode() + b'">' + self._data[row.content:row.close] + b"</row>")
        texts = {}
        for cell in el.iter(q("c")):
            rc = cell_rc(cell.get("r", ""))
            if rc is None:
                continue
            kind, value = cell.get("t"), cell.find(q("v"))
            if kind == "inlineStr":
                inline = cell.find(q("is"))
                texts[rc[1]] = string_item_text(inline) if inline is not None else ""
            elif kind == "s":
                texts[rc[1]] = strings.get(int_or(value.text if value is not None else None, -1))
            else:
                texts[rc[1]] = (value.text or "") if value is not None else ""
        return texts

    def merged(self) -> list[tuple[int, int, int, int]]:
        """Merged ranges as (min_col, min_row, max_col, max_row)."""
        if self._merged is None:
            ranges = []
            merges = self.root.find(q("mergeCells"))
            for m in merges.iter(q("mergeCell")) if merges is not None else ():
                found = MERGE_REF.match(m.get("ref", ""))
                if found:
                    c0, r0, c1, r1 = found.groups()
                    ranges.append((column_index(c0), int(r0), column_index(c1), int(r1)))
            self._merged = ranges
        return self._merged

    def extent(self) -> tuple[int, int]:
        """(max_row, max_column) as openpyxl counts them: every cell element and every merged cell."""
        if self._extent is None:
            max_row = max_col = 0
            for row, col, _ in self.all_cells():
                max_row, max_col = max(max_row, row), max(max_col, col)
            for min_col, min_row, max_c, max_r in self.merged():
                max_row, max_col = max(max_row, max_r), max(max_col, max_c)
            self._extent = (max_row or 1, max_col or 1)
        return self._extent

    def anchor(self, row: int, col: int, merged: list[tuple[int, int, int, int]]) -> tuple[int, int]:
        for min_col, min_row, max_col, max_row in merged:
            if min_row <= row <= max_row and min_col <= col <= max_col:
                return min_row, min_col
        return row, col

    def widen_dimension(self, row: int, col: int) -> None:
        dim = self.root.find(q("dimension"))
        if dim is None:
            return
        try:
            min_col, min_row, max_col, max_row = range_boundaries(dim.get("ref", "A1").upper())
        except (ValueError, TypeError):
            return
        if None in (min_col, min_row, max_col, max_row):
            return
        if row > max_row or col > max_col:
            dim.set("ref", f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max(max_col, col))}{max(max_row, row)}")

    def cell_bytes(self) -> bytes:
        """The sheetData content with the pending styles applied: cells restyled or inserted in order."""
        if not self.styles:
            return self._data
        by_row: dict[int, dict[int, int]] = {}
        for (row, col), style in self.styles.items():
            by_row.setdefault(row, {})[col] = style
        rows = self.rows()
        data, out, pos = self._data, [], 0
        for number in sorted(by_row):
            wanted = by_row[number]
            row = rows.get(number)
            if row is None:  # a new row, before the first row below it
                following = [r for r in rows.values() if r.number > number]
                at = following[0].start if following else len(data)
                out += [data[pos:at], f'<row r="{number}">'.encode(),
                        *(new_cell(number, col, wanted[col]) for col in sorted(wanted)), b"</row>"]
                pos = at
                continue
            out.append(data[pos:row.start])
            cells = self.cells_of(row)
            present = {cc for cc, *_ in cells}
            missing = sorted(col for col in wanted if col not in present)
            tag = row.tag
            if missing:
                spans = ATTR_SPANS.search(tag)
                if spans:
                    lo, hi = min(int(spans.group(2)), missing[0]), max(int(spans.group(3)), missing[-1])
                    tag = tag[:spans.start()] + f' spans="{lo}:{hi}"'.encode() + tag[spans.end():]
            if row.close == row.content:  # <row .../> or <row ...></row>
                opening = tag[:-2].rstrip() + b">" if tag.endswith(b"/>") else tag
                out += [opening, *(new_cell(number, col, wanted[col]) for col in missing), b"</row>"]
                pos = row.end
                continue
            out.append(tag)
            at = row.content
            for cc, start, end, ctag, _ in cells:
                while missing and missing[0] < cc:
                    out += [data[at:start], new_cell(number, missing[0], wanted[missing[0]])]
                    at = start
                    missing.pop(0)
                if cc in wanted:
                    out += [data[at:start], restyled(ctag, wanted[cc])]
                    at = end
            if missing:  # after the last cell element (before an extLst of the row, if any)
                last_end = cell_end(data, cells[-1]) if cells else row.content
                out.append(data[at:last_end])
                out += [new_cell(number, col, wanted[col]) for col in missing]
                at = last_end
            out.append(data[at:row.end])
            pos = row.end
        out.append(data[pos:])
        return b"".join(out)

    def flush(self) -> None:
        if self.rels is not None:
            self.rels.flush()
        if self.dirty:
            skeleton = serialise(self.root)
            head, found, tail = skeleton.partition(PLACEHOLDER)
            if not found or PLACEHOLDER in tail:
                raise Unsupported("sheetData placeholder lost")
            self.pkg.write_part(self.part, b"".join((head, b"<sheetData>", self.cell_bytes(), b"</sheetData>", tail)))


def new_cell(row: int, col: int, style: int) -> bytes:
    return f'<c r="{get_column_letter(col)}{row}" s="{style}"/>'.encode()


def restyled(tag: bytes, style: int) -> bytes:
    m = ATTR_S.search(tag)
    if m:
        return tag[:m.start()] + f' s="{style}"'.encode() + tag[m.end():]
    return b"<c" + f' s="{style}"'.encode() + tag[2:]


def cell_end(data: bytes, cell: tuple[int, int, int, bytes, int | None]) -> int:
    _, start, end, tag, _ = cell
    if tag.endswith(b"/>"):
        return end
    close = data.find(b"</c>", end)
    if close < 0:
        raise Unsupported("cell not closed")
    return close + 4


def string_item_text(item: etree._Element) -> str:
    """The text of a shared string item or inline string: its <t>, or its runs' (not phonetic runs)."""
    plain = item.find(T_T)
    if plain is not None:
        return plain.text or ""
    return "".join(t.text or "" for r in item.iter(T_R) for t in r.iter(T_T))


class SharedStrings:
    """The workbook's shared strings, parsed when one is first asked for."""

    def __init__(self, pkg: Package, wb_rels: "Rels") -> None:
        self.pkg, self.wb_rels = pkg, wb_rels
        self.items: list[str] | None = None

    def get(self, index: int) -> str:
        if self.items is None:
            self.items = []
            for _, target in self.wb_rels.of_type(RT_SHARED_STRINGS):
                if target is not None and self.pkg.has(target):
                    root = parse(self.pkg.read(target))
                    self.items = [string_item_text(si) for si in root.iter(q("si"))]
                    break
        return self.items[index] if 0 <= index < len(self.items) else ""


# ---------------------------------------------------------------------------------------- comments

@dataclass
class Notes:
    """A sheet's comments part and legacy VML drawing, loaded for editing (or new)."""

    sheet: Sheet
    styles_pkg: Package
    types: ContentTypes
    comments_part: str | None = None
    vml_part: str | None = None
    comments: etree._Element | None = None
    vml: etree._Element | None = None
    by_ref: dict[tuple[int, int], etree._Element] = field(default_factory=dict)
    shapes: dict[tuple[int, int], etree._Element] = field(default_factory=dict)
    authors: list[str] = field(default_factory=list)
    dirty: bool = False
    next_shape: int = 0  # the next free _x0000_sN, found once (a drawing may hold thousands of shapes)

    @classmethod
    def load(cls, sheet: Sheet, pkg: Package, types: ContentTypes, shared: set[str]) -> "Notes":
        notes = cls(sheet, pkg, types)
        rels = sheet.relationships()
        if rels.of_type(RT_THREADED):
            raise Unsupported("threaded comments")
        comments = rels.of_type(RT_COMMENTS)
        legacy = sheet.root.findall(q("legacyDrawing"))
        vml_ids = {el.get(R_ID) for el in legacy}
        vmls = [(rid, target) for rid, target in rels.of_type(RT_VML) if rid in vml_ids]
        if len(comments) > 1 or len(vmls) > 1 or len(legacy) > 1:
            raise Unsupported("several comment parts")
        if legacy and not vmls:  # a second <legacyDrawing> would be added beside it: Excel repairs the file
            raise Unsupported("legacyDrawing without a VML drawing relationship")
        if comments:
            notes.comments_part = comments[0][1]
            if notes.comments_part is None or not pkg.has(notes.comments_part):
                raise Unsupported("comments part missing")
            if not vmls:
                raise Unsupported("comments without a VML drawing")
            notes.comments = parse(pkg.read(notes.comments_part))
            if notes.comments.tag != q("comments"):
                raise Unsupported("odd comments part")
            authors = notes.comments.find(q("authors"))
            notes.authors = [a.text or "" for a in authors.iter(q("author"))] if authors is not None else []
            for comment in notes.comments.iter(q("comment")):
                rc = cell_rc(comment.get("ref", ""))
                if rc in notes.by_ref:
                    raise Unsupported("two comments on one cell")
                notes.by_ref[rc] = comment
        if vmls:
            notes.vml_part = vmls[0][1]
            if notes.vml_part is None or not pkg.has(notes.vml_part):
                raise Unsupported("VML part missing")
            notes.vml = parse(pkg.read(notes.vml_part))
            for data in notes.vml.iter(T_CLIENT_DATA):
                shape = data.getparent()
                if data.get("ObjectType") != "Note" or shape is None or shape.tag != T_SHAPE:
                    continue
                row = col = None
                for child in data:
                    if child.tag == T_ROW:
                        row = int_or(child.text, -1) + 1
                    elif child.tag == T_COLUMN:
                        col = int_or(child.text, -1) + 1
                if row is not None and col is not None:
                    notes.shapes[(row, col)] = shape
        for part in (notes.comments_part, notes.vml_part):
            if part is not None:
                if part in shared:
                    raise Unsupported("a comments part shared by two sheets")
                shared.add(part)
        return notes

    def text(self, rc: tuple[int, int]) -> tuple[str, str] | None:
        """(author, text) of the comment on a cell, as openpyxl reads it."""
        comment = self.by_ref.get(rc)
        if comment is None:
            return None
        author_id = int_or(comment.get("authorId"), -1)
        author = self.authors[author_id] if 0 <= author_id < len(self.authors) else ""
        snippets = []
        for text in comment:
            if text.tag != T_TEXT:
                continue
            plain = None
            for part in text:
                if part.tag == T_T and plain is None:
                    plain = part.text or ""
                elif part.tag == T_R:
                    for t in part:
                        if t.tag == T_T:
                            snippets.append(t.text or "")
                            break
            if plain:
                snippets.insert(0, plain)
            break
        return author, "".join(snippets)

    def author_id(self, name: str) -> int:
        if name in self.authors:
            return self.authors.index(name)
        authors = self.comments.find(q("authors"))
        if authors is None:
            authors = etree.Element(q("authors"))
            self.comments.insert(0, authors)
        etree.SubElement(authors, q("author")).text = name
        self.authors.append(name)
        return len(self.authors) - 1

    def ensure_parts(self, pkg: Package, vml_ids: set[int]) -> None:
        """Create the comments part and the VML drawing (with its legacyDrawing) if the sheet has none."""
        rels = self.sheet.relationships()
        if self.comments is None:
            self.comments = etree.fromstring(f'<comments xmlns="{NS}"><authors/><commentList/></comments>')
            self.comments_part = pkg.free_name("xl/comments/comment{}.xml")
            pkg.write_part(self.comments_part, b"")  # reserve the name
            rels.add(RT_COMMENTS, self.comments_part)
            self.types.override(self.comments_part, CT_COMMENTS)
        if self.vml is None:
            idmap = 1
            while idmap in vml_ids:
                idmap += 1
            vml_ids.add(idmap)
            self.vml = etree.fromstring(
                f'<xml xmlns:v="{V_NS}" xmlns:o="{O_NS}" xmlns:x="{X_NS}">'
                f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout></xml>')
            self.vml_part = pkg.free_name("xl/drawings/commentsDrawing{}.vml")
            pkg.write_part(self.vml_part, b"")
            rid = rels.add(RT_VML, self.vml_part)
            self.types.override(self.vml_part, CT_VML)
            el = etree.Element(q("legacyDrawing"), nsmap={"r": REL_NS})
            el.set(R_ID, rid)
            insert_ordered(self.sheet.root, el, WS_ORDER)
            self.sheet.dirty = True
        self.dirty = True

    def remove(self, rc: tuple[int, int]) -> None:
        comment = self.by_ref.pop(rc, None)
        if comment is not None:
            comment.getparent().remove(comment)
            self.dirty = True
        shape = self.shapes.pop(rc, None)
        if shape is not None:
            shape.getparent().remove(shape)
            self.dirty = True

    def put(self, rc: tuple[int, int], text: str, author: str, width: int | None, height: int | None) -> None:
        """Set the comment of a cell; ``width``/``height`` None keeps the shape (a kept old comment)."""
        comment_list = self.comments.find(q("commentList"))
        if comment_list is None:
            comment_list = etree.SubElement(self.comments, q("commentList"))
        old = self.by_ref.get(rc)
        new = etree.Element(q("comment"), ref=f"{get_column_letter(rc[1])}{rc[0]}",
                            authorId=str(self.author_id(author)), shapeId="0")
        t = etree.SubElement(etree.SubElement(new, q("text")), q("t"))
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        if old is not None:
            old.addprevious(new)
            old.getparent().remove(old)
        else:
            comment_list.append(new)
        self.by_ref[rc] = new
        if width is not None or rc not in self.shapes:
            self.put_shape(rc, width or 144, height or 79)
        self.dirty = True

    def put_shape(self, rc: tuple[int, int], width: int, height: int) -> None:
        old = self.shapes.get(rc)
        if not self.next_shape:
            if not any(st.get("id") == "_x0000_t202" for st in self.vml.iter(q("shapetype", V_NS))):
                self.vml.append(etree.fromstring(
                    f'<v:shapetype xmlns:v="{V_NS}" xmlns:o="{O_NS}" id="_x0000_t202" coordsize="21600,21600" '
                    'o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
                    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'))
            numbers = [int(m.group(1)) for s in self.vml.iter(q("shape", V_NS))
                       for m in [SHAPE_ID.fullmatch(s.get("id") or "")] if m]
            idmap = next((int_or(el.get("data", "").split(",")[0], 1) for el in self.vml.iter(q("idmap", O_NS))), 1)
            self.next_shape = max(numbers + [1024 * idmap + 1]) + 1
        number = self.next_shape
        self.next_shape += 1
        shape = etree.fromstring(
            f'<v:shape xmlns:v="{V_NS}" xmlns:o="{O_NS}" xmlns:x="{X_NS}" id="_x0000_s{number}" '
            'type="#_x0000_t202" style="position:absolute; margin-left:59.25pt;margin-top:1.5pt;'
            f'width:{width}px;height:{height}px;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
            f'<x:Row>{rc[0] - 1}</x:Row><x:Column>{rc[1] - 1}</x:Column></x:ClientData></v:shape>')
        if old is not None:
            old.addprevious(shape)
            old.getparent().remove(old)
        else:
            self.vml.append(shape)
        self.shapes[rc] = shape

    def flush(self, pkg: Package) -> None:
        if not self.dirty:
            return
        rels = self.sheet.relationships()
        if self.comments is not None:
            comment_list = self.comments.find(q("commentList"))
            if comment_list is not None:  # keep the comments in reading order, as Excel writes them
                items = sorted(comment_list, key=lambda c: cell_rc(c.get("ref", "A1")) if c.tag == q("comment") else (0, 0))
                comment_list[:] = items
        if self.comments is not None and not self.by_ref:
            # no comment left: drop the comments part, and the drawing too when it holds nothing else
            pkg.remove(self.comments_part)
            self.types.forget(self.comments_part)
            for rid, target in rels.of_type(RT_COMMENTS):
                rels.drop(rid)
            if self.vml is not None and not any(True for _ in self.vml.iter(q("shape", V_NS))):
                pkg.remove(self.vml_part)
                self.types.forget(self.vml_part)
                for rid, target in rels.of_type(RT_VML):
                    if target == self.vml_part:
                        rels.drop(rid)
                        for el in self.sheet.root.findall(q("legacyDrawing")):
                            if el.get(R_ID) == rid:
                                self.sheet.root.remove(el)
                        self.sheet.dirty = True
                self.vml = None
            self.comments = None
        if self.comments is not None:
            pkg.write_part(self.comments_part, serialise(self.comments))
        if self.vml is not None:
            pkg.write_part(self.vml_part, etree.tostring(self.vml, encoding="UTF-8", xml_declaration=False))


# -------------------------------------------------------------------------------------------- issues

@dataclass(frozen=True)
class Spot:
    """Where an issue lands: like returns.Target, with the sheet's index and (row, col) cells."""

    sheet: Sheet
    index: int  # position among the worksheets (after a stale 审核意见 sheet is removed)
    cells: tuple[tuple[int, int], ...]
    ref: str

    @property
    def location(self) -> str:
        return f"{R.quote_sheetname_always(self.sheet.name)}!{self.ref or 'A1'}"


def locate(sheets: dict[str, tuple[int, Sheet]], issue: Issue) -> Spot | None:
    """As returns.locate_issue, on the XML."""
    found = sheets.get(issue.sheet) if issue.sheet else None
    if found is None:
        return None
    index, sheet = found
    if sheet.part is None:
        raise Unsupported("issue on a sheet that is not a worksheet")
    bounds = R.parse_ref(issue.cell)
    if bounds is None:
        return Spot(sheet, index, (), "")
    min_col, min_row, max_col, max_row = bounds
    if (max_row - min_row + 1) * (max_col - min_col + 1) > R.MAX_MARKED_CELLS:
        ws_max_row, ws_max_col = sheet.extent()
        max_row = min(max_row, max(ws_max_row, min_row))
        max_col = min(max_col, max(ws_max_col, min_col))
        while (max_row - min_row + 1) * (max_col - min_col + 1) > R.MAX_MARKED_CELLS and max_row > min_row:
            max_row -= 1
    merged = [m for m in sheet.merged()
              if m[0] <= max_col and m[2] >= min_col and m[1] <= max_row and m[3] >= min_row
              and (m[0], m[1]) != (m[2], m[3])]
    cells: dict[tuple[int, int], None] = {}
    for row in range(min_row, max_row + 1):
        for col in range(min_col, max_col + 1):
            cells.setdefault(sheet.anchor(row, col, merged) if merged else (row, col))
    if len(cells) == 1:
        (row, col), = cells
        return Spot(sheet, index, tuple(cells), f"{get_column_letter(col)}{row}")
    first = f"{get_column_letter(min_col)}{min_row}"
    last = f"{get_column_letter(max_col)}{max_row}"
    return Spot(sheet, index, tuple(cells), f"{first}:{last}")


def position_key(spot: Spot | None) -> tuple[int, int, int]:
    if spot is None:
        return (-1, 0, 0)
    first = spot.cells[0] if spot.cells else (0, 0)
    return (spot.index, first[0], first[1])


# -------------------------------------------------------------------------------------- review sheet

def review_sheet_xml(styles: Styles, located: Sequence[tuple[Issue, Spot | None]], title: str) -> bytes:
    """The 审核意见 worksheet, as returns.add_review_sheet builds it in openpyxl."""
    top = {"vertical": "top"}
    wrap = {"vertical": "top", "wrapText": "1"}
    s_title = styles.new_xf(font=styles.font_id(bold=True, size=14))
    s_summary = styles.new_xf(align=wrap)
    s_header = styles.new_xf(font=styles.font_id(bold=True), fill=styles.fill_id(R.HEADER_FILL.fgColor.rgb))
    s_top, s_wrap = styles.new_xf(align=top), styles.new_xf(align=wrap)
    s_link = styles.new_xf(font=styles.font_id(color="FF0563C1", underline=True), align=top)
    s_level = {ERROR: styles.new_xf(fill=styles.fill_id(R.ERROR_COLOR), align=top),
               WARNING: styles.new_xf(fill=styles.fill_id(R.WARNING_COLOR), align=top)}

    ncols = len(R.HEADERS)
    last_col = get_column_letter(ncols)
    summary = R.review_summary(located)
    rows: list[str] = []

    def text_cell(ref: str, value: str, style: int) -> str:
        value = R.ILLEGAL_CHARACTERS_RE.sub("", value)
        if value == "":
            return f'<c r="{ref}" s="{style}"/>'
        space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'

    rows.append(f'<row r="1">{text_cell("A1", title, s_title)}</row>')
    height = 15 * R.wrapped_lines(summary, sum(R.COLUMN_WIDTHS) - 4) + 6
    rows.append(f'<row r="2" ht="{height:g}" customHeight="1">{text_cell("A2", summary, s_summary)}</row>')
    rows.append('<row r="3">' + "".join(text_cell(f"{get_column_letter(c)}3", h, s_header)
                                        for c, h in enumerate(R.HEADERS, start=1)) + "</row>")
    links = []
    for n, (issue, spot) in enumerate(located, start=1):
        r = 3 + n
        sheet, cell_text = R.issue_row_place(issue, spot)
        cells = [f'<c r="A{r}" s="{s_top}"><v>{n}</v></c>',
                 text_cell(f"B{r}", sheet, s_wrap),
                 text_cell(f"C{r}", cell_text, s_link if spot is not None else s_top),
                 text_cell(f"D{r}", issue.code, s_top),
                 text_cell(f"E{r}", issue.level, s_level.get(issue.level, s_top)),
                 text_cell(f"F{r}", issue.message, s_wrap)]
        if spot is not None:
            links.append(f'<hyperlink ref="C{r}" location={text_attr(spot.location)} '
                         f'display={text_attr(R.ILLEGAL_CHARACTERS_RE.sub("", cell_text))}/>')
        lines = R.issue_row_lines(issue, sheet)
        ht = f' ht="{15 * lines + 3:g}" customHeight="1"' if lines > 1 else ""
        rows.append(f'<row r="{r}"{ht}>' + "".join(cells) + "</row>")
    last_row = 3 + max(len(located), 1)
    cols = "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                   for c, w in enumerate(R.COLUMN_WIDTHS, start=1))
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS}" xmlns:r="{REL_NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{last_col}{3 + len(located) if located else 3}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A4" sqref="A4"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f'<cols>{cols}</cols>'
        f'<sheetData>{"".join(rows)}</sheetData>'
        f'<autoFilter ref="A3:{last_col}{last_row}"/>'
        f'<mergeCells count="2"><mergeCell ref="A1:{last_col}1"/><mergeCell ref="A2:{last_col}2"/></mergeCells>'
        + (f'<hyperlinks>{"".join(links)}</hyperlinks>' if links else "")
        + '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        '<pageSetup orientation="landscape" paperSize="9" fitToHeight="0" fitToWidth="1"/>'
        '</worksheet>')
    return xml.encode("utf-8")


# -------------------------------------------------------------------------------------------- driver

def write_marked_copy_fast(source: Path, issues: Sequence[Issue], dest: Path, data: bytes | None = None) -> None:
    """Write the marked copy of an .xlsx/.xlsm/.xltx/.xltm ``source`` (its ``data`` when given) by
    editing its package.

    Raises ``Unsupported`` (before ``dest`` is created) when the package needs the openpyxl path.
    """
    source = Path(source)
    if data is None:
        try:
            data = source.read_bytes()
        except OSError as exc:  # the openpyxl path reports it as MarkedCopyError
            raise Unsupported(f"cannot read {source}: {exc}") from exc
    pkg = Package(data)
    try:
        edit_package(pkg, source, issues)
    except Unsupported:
        raise
    except (etree.LxmlError, KeyError, ValueError, IndexError, TypeError, AttributeError, OverflowError) as exc:
        raise Unsupported(f"{type(exc).__name__}: {exc}") from exc
    save(pkg, Path(dest))


def save(pkg: Package, dest: Path) -> None:
    """Write the package to a temporary file beside ``dest`` and rename it (no half-written copy)."""
    data = pkg.save()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp creates the file readable by its owner only
            fh.write(data)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def edit_package(pkg: Package, source: Path, issues: Sequence[Issue]) -> None:
    types = ContentTypes(pkg)
    root_rels = Rels(pkg, "")  # the package's own relationships, _rels/.rels
    main = [target for _, target in root_rels.of_type(RT_OFFICE_DOCUMENT)]
    if len(main) != 1 or main[0] is None or not pkg.has(main[0]):
        raise Unsupported("no single workbook part")
    wb_part = main[0]
    main_type = types.of(wb_part)
    if main_type in CT_MAIN_OTHERS:
        types.override(wb_part, CT_MAIN)
    elif main_type != CT_MAIN:
        raise Unsupported(f"workbook content type {main_type}")
    for el in types.root:
        if any(word in (el.get("ContentType") or "") for word in ("macrosheet", "dialogsheet")):
            if el.tag == q("Override", CT_NS) and pkg.has(el.get("PartName", "")):
                raise Unsupported("macro or dialog sheets")

    wb = parse(pkg.read(wb_part))
    if wb.tag != q("workbook"):
        raise Unsupported("not a transitional workbook")
    wb_rels = Rels(pkg, wb_part)
    styles_parts = [t for _, t in wb_rels.of_type(RT_STYLES)]
    styles = Styles(pkg, styles_parts[0] if len(styles_parts) == 1 else None)

    # macros: drop the VBA project (and its signature), as openpyxl does
    for rid, target in wb_rels.of_type(RT_VBA):
        wb_rels.drop(rid)
        if target is not None:
            drop_part_tree(pkg, types, target)
    for ext, el in list(types.defaults().items()):
        if el.get("ContentType") == CT_VBA:
            types.root.remove(el)
            del types.defaults()[ext]
            types.dirty = True
    for name in list(pkg.infos):
        content_type = types.of(name)
        if posixpath.basename(name).lower().startswith("vbaproject") or "vbaProject" in content_type:
            pkg.remove(name)
            types.forget(name)

    sheets_el = wb.find(q("sheets"))
    if sheets_el is None:
        raise Unsupported("no sheets")
    sheets: list[Sheet] = []
    for el in sheets_el:
        if el.tag != q("sheet"):
            continue
        rid = el.get(R_ID)
        if rid not in wb_rels.items:
            raise Unsupported("a sheet without its relationship")
        typ, target, _ = wb_rels.items[rid]
        if typ == RT_WORKSHEET and (target is None or not pkg.has(target)):
            raise Unsupported("a worksheet part is missing")
        part = target if typ == RT_WORKSHEET else None
        if part is None and target is not None and pkg.has(target) and TAB_SELECTED.search(pkg.read(target)):
            raise Unsupported("a selected chartsheet")  # it would stay selected beside the review sheet
        if part is not None and types.of(part) != CT_WORKSHEET:
            raise Unsupported("worksheet with an odd content type")
        sheets.append(Sheet(el, el.get("name", ""), part, pkg))
    if len({s.part for s in sheets if s.part}) != sum(1 for s in sheets if s.part):
        raise Unsupported("two sheets share a part")

    # a stale 审核意见 sheet of an earlier round is replaced (a workbook's own sheet of that name is kept)
    strings = SharedStrings(pkg, wb_rels)
    stale_index = next((i for i, s in enumerate(sheets) if is_stale_review_sheet(s, strings)), None)
    sheet_ids = [int_or(s.el.get("sheetId"), 0) for s in sheets]  # the stale one's too: ids are not reused
    if stale_index is not None:
        stale = sheets.pop(stale_index)
        sheets_el.remove(stale.el)
        rid = stale.el.get(R_ID)
        if rid in wb_rels.items:
            wb_rels.drop(rid)
        if stale.part is not None:
            drop_part_tree(pkg, types, stale.part)
        # the calculation chain lists formula cells by sheetId: entries of the dropped sheet would
        # point nowhere (Excel then repairs the file); without it Excel rebuilds the chain, as it
        # does for every workbook openpyxl saves
        for chain_rid, chain in wb_rels.of_type(RT_CALC_CHAIN):
            wb_rels.drop(chain_rid)
            if chain is not None:
                drop_part_tree(pkg, types, chain)

    worksheets = [s for s in sheets if s.part is not None]
    by_name = {s.name: (i, s) for i, s in enumerate(worksheets)}

    # clear_old_marks: perfeval's earlier comments everywhere; its fills too when the copy is itself a copy
    shared: set[str] = set()
    notes: dict[str, Notes] = {}
    old_fills = styles.perfeval_filled() if stale_index is not None else set()

    def notes_of(sheet: Sheet) -> Notes:
        if sheet.part not in notes:
            notes[sheet.part] = Notes.load(sheet, pkg, types, shared)
        return notes[sheet.part]

    note_parts: set[str] = set()
    for sheet in worksheets:
        raw = sheet.raw()
        rels = sheet.relationships()
        for _, target in rels.of_type(RT_COMMENTS) + rels.of_type(RT_VML):
            if target is not None and target.lower() in note_parts:
                raise Unsupported("a comments part shared by two sheets")  # a new note would show on both
            note_parts.add((target or "").lower())
        if any(t is not None and pkg.has(t) and may_hold_review_comments(pkg.read(t))
               for _, t in rels.of_type(RT_COMMENTS)):
            sheet_notes = notes_of(sheet)
            for rc in list(sheet_notes.by_ref):
                author, text = sheet_notes.text(rc)
                if R.is_review_comment(author, text):
                    kept = R.kept_comment(text)
                    if kept:
                        sheet_notes.put(rc, kept[1], kept[0], None, None)
                    else:
                        sheet_notes.remove(rc)
        if PROTECTION.search(raw):
            for el in sheet.root.findall(q("sheetProtection")):
                sheet.root.remove(el)
                sheet.dirty = True
        if TAB_SELECTED.search(raw):
            for view in sheet.root.iter(q("sheetView")):
                if view.get("tabSelected") is not None:
                    del view.attrib["tabSelected"]
                    sheet.dirty = True
        if old_fills:
            for row, col, style in list(sheet.all_cells()):
                if (style or 0) in old_fills:
                    sheet.set_style(row, col, styles.xf_with_fill(style or 0, None))

    located = [(issue, locate(by_name, issue)) for issue in R.unique_issues(issues)]
    located.sort(key=lambda pair: position_key(pair[1]))
    for _, spot in located:
        if spot is not None and spot.sheet.el.get("state", "visible") != "visible":
            spot.sheet.el.set("state", "visible")

    # mark_cells
    levels: dict[tuple[str, tuple[int, int]], tuple[Sheet, str]] = {}
    comments: dict[tuple[str, tuple[int, int]], tuple[Sheet, list[Issue]]] = {}
    for issue, spot in located:
        if spot is None or not spot.cells:
            continue
        for rc in spot.cells:
            key = (spot.sheet.part, rc)
            current = levels.get(key, (spot.sheet, INFO))[1]
            if issue.level in (ERROR, WARNING) and R.LEVEL_RANK[issue.level] < R.LEVEL_RANK[current]:
                levels[key] = (spot.sheet, issue.level)
        comments.setdefault((spot.sheet.part, spot.cells[0]), (spot.sheet, []))[1].append(issue)
    colors = {ERROR: R.ERROR_COLOR, WARNING: R.WARNING_COLOR}
    for (_, (row, col)), (sheet, level) in levels.items():
        sheet.set_style(row, col, styles.xf_with_fill(sheet.style_of(row, col), colors[level]))
        sheet.widen_dimension(row, col)
    vml_ids = used_idmaps(pkg, types)
    for (_, rc), (sheet, cell_issues) in comments.items():
        sheet_notes = notes_of(sheet)
        sheet_notes.ensure_parts(pkg, vml_ids)
        old = sheet_notes.text(rc)
        comment = R.make_comment(cell_issues, Comment(old[1], old[0]) if old else None)
        sheet_notes.put(rc, comment.text, R.AUTHOR, int(comment.width), int(comment.height))

    # the review sheet, first and active
    review_part = pkg.free_name("xl/worksheets/sheet{}.xml")
    pkg.write_part(review_part, review_sheet_xml(styles, located, R.title_of(source, issues)))
    types.override(review_part, CT_WORKSHEET)
    review_rid = wb_rels.add(RT_WORKSHEET, review_part)
    review_name = R.excel_sheet_title(R.REVIEW_SHEET, [s.name for s in sheets])
    review_el = etree.Element(q("sheet"), name=review_name, sheetId=str(max(sheet_ids + [0]) + 1),
                              nsmap={"r": REL_NS})
    review_el.set(R_ID, review_rid)
    sheets_el.insert(0, review_el)
    fix_workbook(wb, stale_index, review_name, len(located))

    for n in notes.values():
        n.flush(pkg)
    for sheet in worksheets:
        sheet.flush()
    pkg.write_part(wb_part, serialise(wb))
    wb_rels.flush()
    styles.flush()
    drop_sheet_titles(pkg, root_rels)
    added = {name.lower() for name in pkg.added}  # a new part may have a removed one's name (the review sheet)
    for name in pkg.removed:  # LibreOffice writes an Override for every part, .rels included
        if name.lower() not in added:
            types.forget(name)
    types.flush()


# A comment of an earlier review round opens with "规则编号（级别）：": a comments part without any of
# these (nor a character reference, which may spell them) holds none and is not parsed.
LEVEL_MARKS = tuple(f"（{level}）：".encode() for level in LEVELS)


def may_hold_review_comments(comments: bytes) -> bool:
    return b"&#" in comments or any(mark in comments for mark in LEVEL_MARKS)


def is_stale_review_sheet(sheet: Sheet, strings: SharedStrings) -> bool:
    """returns.is_stale_review_sheet on the package: the 审核意见 sheet of an earlier round."""
    if sheet.part is None or not R.REVIEW_SHEET_NAME.fullmatch(sheet.name):
        return False
    title, header = sheet.row_texts(1, strings), sheet.row_texts(3, strings)
    return R.looks_like_review_sheet(title.get(1, ""), [header.get(col, "") for col in range(1, len(R.HEADERS) + 1)])


def drop_part_tree(pkg: Package, types: ContentTypes, part: str, dropping: set[str] | None = None) -> None:
    """Remove a part, its relationships and, depth first, the parts only it pointed at (a stale sheet
    with its drawing and the drawing's images, a VBA project)."""
    dropping = dropping if dropping is not None else set()
    dropping.add(part)
    if len(dropping) > 256:  # a chain of parts no workbook has; bounded before Python's recursion limit
        raise Unsupported("too many parts hang from a dropped part")
    rels = Rels(pkg, part)
    for _, (typ, target, _) in list(rels.items.items()):
        if target is not None and target not in dropping and pkg.has(target):
            if not referenced_elsewhere(pkg, target, rels.path):
                drop_part_tree(pkg, types, target, dropping)
    pkg.remove(rels.path)
    pkg.remove(part)
    types.forget(part)


def referenced_elsewhere(pkg: Package, target: str, but: str) -> bool:
    base = posixpath.basename(target).lower().encode()  # part names are case-insensitive
    for name in list(pkg.infos) + list(pkg.added):
        if name.endswith(".rels") and name != but and pkg.has(name) and base in pkg.read(name).lower():
            return True
    return False


def used_idmaps(pkg: Package, types: ContentTypes) -> set[int]:
    ids = set()
    for name in list(pkg.infos) + list(pkg.added):
        if name.lower().endswith(".vml") and pkg.has(name):
            for m in re.finditer(rb'data="([\d,]+)"', pkg.read(name)):
                ids.update(int(x) for x in m.group(1).split(b",") if x.isdigit())
    return ids


def fix_workbook(wb: etree._Element, stale_index: int | None, review_name: str, n_issues: int) -> None:
    """Views open on the new first sheet; sheet-local names follow their sheets; print titles for 审核意见."""
    views = wb.find(q("bookViews"))
    if views is None:
        views = etree.Element(q("bookViews"))
        insert_ordered(wb, views, WB_ORDER)
    if not any(v.tag == q("workbookView") for v in views):
        etree.SubElement(views, q("workbookView"))
    for view in views.iter(q("workbookView")):
        view.set("activeTab", "0")
        view.set("firstSheet", "0")
    names = wb.find(q("definedNames"))
    if names is None:
        names = etree.Element(q("definedNames"))
        insert_ordered(wb, names, WB_ORDER)
    for name in list(names):
        if name.tag != q("definedName") or name.get("localSheetId") is None:
            continue
        index = int_or(name.get("localSheetId"), -1)
        if stale_index is not None and index == stale_index:
            names.remove(name)
            continue
        if stale_index is None or index < stale_index:
            name.set("localSheetId", str(index + 1))
    quoted = R.quote_sheetname_always(review_name)
    last = get_column_letter(len(R.HEADERS))
    titles = etree.Element(q("definedName"), name="_xlnm.Print_Titles", localSheetId="0")
    titles.text = f"{quoted}!$3:$3"
    database = etree.Element(q("definedName"), name="_xlnm._FilterDatabase", localSheetId="0", hidden="1")
    database.text = f"{quoted}!$A$3:${last}${3 + max(n_issues, 1)}"
    names.insert(0, database)
    names.insert(0, titles)


def drop_sheet_titles(pkg: Package, root_rels: Rels) -> None:
    """docProps/app.xml may list the sheet names; they are optional and would now be wrong: drop them."""
    for _, target in root_rels.of_type(RT + "extended-properties"):
        if target is None or not pkg.has(target):
            continue
        raw = pkg.read(target)
        if b"TitlesOfParts" not in raw and b"HeadingPairs" not in raw:
            continue
        root = parse(raw)
        for name in ("HeadingPairs", "TitlesOfParts"):
            for el in root.findall(q(name, EP_NS)):
                root.remove(el)
        pkg.write_part(target, serialise(root))
