"""Stage 1: find the workbooks in the inbox.

Staff drop files into a folder, often one subfolder per unit. Office and WPS leave lock files
beside open workbooks (``~$表.xlsx`` from Excel, ``.~表.xlsx`` from WPS/LibreOffice): those,
hidden files and Windows' Thumbs.db/desktop.ini are skipped silently; anything else that is not a
spreadsheet is listed once as ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Read by content, whatever the name says. Besides Excel's own formats: its templates (someone filled
# the template file itself and sent it) and WPS 表格's .et/.ett, which WPS still offers as a save format.
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".xlsb", ".xltx", ".xltm", ".xlt", ".et", ".ett"})
CONFIG_NAMES = frozenset({"perfeval.toml"})
# Units often send their forms packed: an archive is not opened (a bomb, a password, a format we do not
# read), but it is named as one, so that whoever reads the list unpacks it.
ARCHIVE_SUFFIXES = frozenset({".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz"})
IGNORED = "已忽略：不是电子表格"
IGNORED_ARCHIVE = "已忽略：压缩包未解压，如含自评表请解压后放入收件文件夹"
# Files the operating system leaves in every folder a user opens: not worth listing as ignored.
SYSTEM_NAMES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})
# "~$" is Excel's owner file, ".~lock" LibreOffice's, ".~" WPS's; dot-files are hidden on Unix.
HIDDEN_PREFIXES = (".", "~$")


@dataclass(frozen=True)
class Inbox:
    """What the folder holds: workbooks to read (in a stable order) and files ignored."""

    root: Path
    workbooks: tuple[Path, ...]
    ignored: tuple[Path, ...]

    def relative(self, path: Path) -> str:
        """The name users see: the path below the inbox, with forward slashes (the inbox itself, when
        it could not be listed, by its own name)."""
        text, root = str(path), str(self.root)
        if text == root:
            return shown(path.resolve().name or text)
        if text.startswith(root) and text[len(root):len(root) + 1] == os.sep and root not in ("", "."):
            # a file found under the root (the usual case), without pathlib's parsing
            below = text[len(root) + 1:]
            return shown(below if os.sep == "/" else below.replace(os.sep, "/"))
        try:
            return shown(path.relative_to(self.root).as_posix())
        except ValueError:
            pass
        try:  # files given one by one: the root is their resolved common folder
            return shown(path.resolve().relative_to(self.root.resolve()).as_posix())
        except (ValueError, OSError, RuntimeError):  # RuntimeError: a loop of links (Python < 3.13)
            return shown(path.name)


def shown(name: str) -> str:
    """A file name as text for messages and outputs. On Linux a name that is not UTF-8 (a USB stick
    written by a Chinese Windows machine holds GBK names) comes with lone surrogates, which no workbook,
    document or JSON file can hold: each such folder or file name is decoded as GB18030, as Windows shows
    it, with bytes that are not GB18030 escaped (``\\xb5``); a UTF-8 folder above it keeps its name. A GBK
    name and a UTF-8 name that read alike are shown alike. The file is still opened by its real path."""
    if name.isascii() or _is_utf8(name):
        return name
    return "/".join(part if _is_utf8(part) else os.fsencode(part).decode("gb18030", "backslashreplace")
                    for part in name.split("/"))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def is_archive(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in ARCHIVE_SUFFIXES


def ignored_status(name: str) -> str:
    """How an ignored file is listed: an archive with what to do about it."""
    return IGNORED_ARCHIVE if is_archive(name) else IGNORED


def find_workbooks(paths: list[Path] | Path, exclude: Path | None = None) -> Inbox:
    """Walk the given folders (recursively) and files; ``exclude`` is a folder to leave out
    (the output folder when it lies inside the inbox)."""
    if isinstance(paths, Path):
        paths = [paths]
    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else _common_root(paths)
    workbooks: list[Path] = []
    ignored: list[Path] = []
    skip = exclude.resolve() if exclude is not None else None
    for path in paths:
        unlisted: set[Path] = set()
        if path.is_dir():
            candidates, unlisted = _files_under(path, skip)
        elif (skip is not None and _is_within(path, skip)) or _is_hidden(Path(path.name)):
            continue
        else:
            candidates = [path]
        for file in candidates:
            # a folder that could not be listed is read like a file: the reader reports it
            if file.suffix.lower() in SPREADSHEET_SUFFIXES or file in unlisted:
                workbooks.append(file)
            elif file.name not in CONFIG_NAMES and file.name.lower() not in SYSTEM_NAMES:
                ignored.append(file)
    return Inbox(root, tuple(dict.fromkeys(workbooks)), tuple(dict.fromkeys(ignored)))


def _files_under(folder: Path, skip: Path | None) -> tuple[list[Path], set[Path]]:
    """The files below ``folder`` and the folders that could not be listed, sorted together, and the
    latter apart; without hidden files and folders, without the folder
    ``skip`` (resolved) and without following links to folders. One resolve per folder and the
    file types from the directory listing: a city's 10,000 files are listed in a fraction of a
    second.

    A link to a file is listed like the file (someone put a shortcut in the inbox and means the
    workbook); a link that leads nowhere (broken, or a loop) is listed too, so that the reader
    reports it instead of it vanishing or stopping the batch. So are a FIFO, socket or device, and
    a folder that cannot be listed (no permission): whatever it held must not vanish unsaid."""
    found: list[Path] = []
    unlisted: list[Path] = []
    folders = [folder]
    while folders:
        here = folders.pop()
        if skip is not None and here.resolve() == skip:
            continue
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except OSError:
            unlisted.append(here)
            continue
        for entry in entries:
            if entry.name.startswith(HIDDEN_PREFIXES):
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append(here / entry.name)
            elif not _links_to_folder(entry):
                found.append(here / entry.name)
    return sorted(found + unlisted), set(unlisted)


def _links_to_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a loop of links
        return False


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(HIDDEN_PREFIXES) for part in relative.parts)


def _is_within(file: Path, folder: Path) -> bool:
    try:
        file.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a loop of links (Python < 3.13)
        return False


def _common_root(paths: list[Path]) -> Path:
    parents = [p if p.is_dir() else p.parent for p in paths]
    common = parents[0].resolve()
    for parent in parents[1:]:
        while not _is_within(parent, common) and common != common.parent:
            common = common.parent
    return common
