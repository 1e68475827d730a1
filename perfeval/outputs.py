"""The output folder's layout: file names, made safe for Windows and Linux.

Shared by the writers (``pipeline``) and by ``send``, which reads an output folder without
importing the reading and scoring stack.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from pathlib import Path

SUMMARY_NAME = "绩效自评汇总.xlsx"
REPORT_NAME = "绩效自评报告.docx"
RESULT_NAME = "result.json"
RETURNS_DIR = "退回修改"
STAGING_PREFIX = ".perfeval-"  # + pid + "-": a run's outputs while it writes them
COMMIT_LIST = ".commit"  # in a staging folder: its outputs are complete, the names to move into place
OLD_RETURNS = ".old-returns"

MAX_NAME_CHARS = 120
# ext4 and most Linux file systems cap a name at 255 bytes; a Chinese character is 3 bytes in UTF-8.
MAX_NAME_BYTES = 240
# Windows rejects these in file names, plus the control characters.
RESERVED_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# Invisible format characters: bidi overrides (U+202E shows "报告\u202Exslx.exe" as "报告exe.xlsx"),
# isolates, marks and zero-width characters, and C1 controls; dropped from file names.
INVISIBLE_CHARS = re.compile("[\u0080-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def report_names(unit_names: list[str]) -> dict[str, str]:
    """Unit name -> report file name: 绩效自评报告.docx for one unit, else <单位名称>绩效自评报告.docx
    per unit (made safe, numbered when two names collide, in any case)."""
    if len(unit_names) <= 1:
        return {name: REPORT_NAME for name in unit_names} or {"": REPORT_NAME}
    return dict(zip(unit_names, numbered_names(unit_names, REPORT_NAME)))


def numbered_names(stems: list[str], suffix: str) -> list[str]:
    """Each stem's ``safe_file_name(stem, suffix)``, in order, or "<stem>(2)", "(3)"… where an earlier one
    took that name, in any case: Windows and macOS would put "ABC" and "abc" in one file. A stem may come
    more than once (two inputs whose copies' names are the same)."""
    names: list[str] = []
    taken: set[str] = set()
    # the next number to try for the names a stem's numbers make ("X中心." and "X中心" make different
    # ones, though both are "X中心" when unnumbered): a thousand stems may clash
    tried: dict[str, int] = {}
    for stem in stems:
        name, family = safe_file_name(stem, suffix), safe_file_name(f"{stem}(2)", suffix).casefold()
        n = tried.get(family, 2)
        while name.casefold() in taken:
            name, n = safe_file_name(f"{stem}({n})", suffix), n + 1
        names.append(name)
        taken.add(name.casefold())
        tried[family] = n
    return names


def safe_file_name(stem: str, suffix: str) -> str:
    """``stem + suffix`` made safe as a file name on Windows and Linux: Windows' reserved characters
    (<>:"/\\|?* and control characters) become "_", invisible format characters (bidi overrides,
    zero-width characters) are dropped, and the name is kept within 120 characters and
    240 UTF-8 bytes; a shortened name ends with a hash of the full stem so that two long names stay
    distinct. Chinese is kept as is."""
    original = stem
    stem = RESERVED_CHARS.sub("_", INVISIBLE_CHARS.sub("", unicodedata.normalize("NFC", stem)))
    stem = re.sub(r"\s+", " ", stem).strip(" ._")
    stem = stem or "未命名"
    if not fits_name(stem + suffix):
        digest = hashlib.sha1(original.encode("utf-8")).hexdigest()[:8]
        tail = f"~{digest}{suffix}"
        while stem and not fits_name(stem + tail):
            stem = stem[:-1]
        return stem.rstrip(" ._") + tail
    return stem + suffix



def fits_name(name: str) -> bool:
    """True when a file name is within the length limits of Windows paths and Linux file systems."""
    return len(name) <= MAX_NAME_CHARS and len(name.encode("utf-8")) <= MAX_NAME_BYTES


# ---- putting a run's outputs in place ----------------------------------------------------------
#
# A run writes its outputs into a staging folder inside the output folder. Once all are complete it
# writes the list of their names there (the commit), then moves them into place one by one. A run
# killed before the commit leaves the previous outputs as they were; one killed during the moves is
# finished by the next command that opens the folder (``finish_interrupted``): the folder then holds
# the new set whole, never a mix of two runs, and 退回修改 is never missing.


def commit(staging: Path, outdir: Path, names: list[str]) -> None:
    """Move the complete outputs ``names`` (and 退回修改, when staged) from ``staging`` into ``outdir``."""
    listing = staging / (COMMIT_LIST + ".tmp")
    listing.write_text("\n".join(names), encoding="utf-8")
    os.replace(listing, staging / COMMIT_LIST)  # whole or absent, never a partial list
    _move_into_place(staging, outdir, names)


def _move_into_place(staging: Path, outdir: Path, names: list[str]) -> None:
    """Idempotent: what was moved already is skipped, so it can be repeated after a kill."""
    for name in names:
        if (staging / name).exists():
            os.replace(staging / name, outdir / name)
    returns = staging / RETURNS_DIR
    if returns.is_dir():
        final = outdir / RETURNS_DIR
        if final.exists():  # a folder cannot replace a non-empty one: the old one is moved aside first
            shutil.rmtree(staging / OLD_RETURNS, ignore_errors=True)
            os.replace(final, staging / OLD_RETURNS)
        os.replace(returns, final)


def staging_prefix() -> str:
    """This run's staging folder name, up to mkdtemp's random part: the pid and the process's start
    time (Linux clock ticks since boot, 0 elsewhere), so that a later process given the same pid is
    told apart from the run without comparing any clocks."""
    try:
        ticks = _start_ticks(os.getpid())
    except (OSError, ValueError, IndexError):
        ticks = "0"
    return f"{STAGING_PREFIX}{os.getpid()}-{ticks}-"


def unfinished(outdir: Path) -> bool:
    """Whether a complete output set is still waiting in a staging folder to be put in place (one
    that newer outputs have superseded does not count)."""
    return any(_waiting(folder, outdir) for folder in _staging_folders(outdir))


def finish_interrupted(outdir: Path) -> None:
    """Staging folders left by runs that are gone (killed): a committed set is moved into place
    (unless newer outputs have replaced it since), anything else removed; the folders of a run still
    going, or of another user, are left alone. Raises OSError when a committed set cannot be put in
    place (a file open in another program, no permission): it stays, and so do the newer ones behind
    it, for the next command to try again; the caller must neither write over nor read from a folder
    in that state."""
    # oldest first, so that of two killed runs (rarer still) the later one's outputs stay
    for folder in sorted(_staging_folders(outdir), key=_committed_at):
        if not _owner_gone(folder):
            continue
        listing = folder / COMMIT_LIST
        if _waiting(folder, outdir):
            # plain file names only: nothing is ever moved out of the output folder
            names = [n for n in listing.read_text(encoding="utf-8", errors="replace").split("\n")
                     if n and n == Path(n).name and not n.startswith(".") and "\\" not in n]
            _move_into_place(folder, outdir, names)
        try:
            listing.unlink(missing_ok=True)  # whatever rmtree cannot remove, the set counts as done
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _staging_folders(outdir: Path) -> list[Path]:
    # a link of that name is nobody's staging folder: never followed, never moved into or out of; nor
    # is a folder this user cannot look into (another user's run: 0700)
    return [f for f in outdir.glob(STAGING_PREFIX + "*")
            if f.is_dir() and not f.is_symlink() and os.access(f, os.R_OK | os.W_OK | os.X_OK)]


def _waiting(folder: Path, outdir: Path) -> bool:
    """Whether the folder holds a committed set that newer outputs have not superseded (a result.json
    in place written after the set's list; both times are the output folder's own file system's)."""
    try:
        committed = (folder / COMMIT_LIST).stat().st_mtime
    except OSError:
        return False
    try:
        return (outdir / RESULT_NAME).stat().st_mtime <= committed
    except OSError:
        return True


_STAGING_NAME = re.compile(re.escape(STAGING_PREFIX) + r"([0-9]{1,10})-(?:([0-9]{1,20})-)?.*", re.S)


def _owner_gone(folder: Path) -> bool:
    """Whether the run that made the staging folder is over: its process is gone, or its number now
    belongs to a process that started at another time (a reused pid)."""
    from perfeval.workers import process_alive

    found = _STAGING_NAME.fullmatch(folder.name)
    if found is None:
        return True
    pid, ticks = int(found.group(1)), found.group(2)
    if pid == os.getpid() or not process_alive(pid):
        return True
    if ticks is None or ticks == "0":
        return False  # start time unknown: taken as the run still going
    try:
        return _start_ticks(pid) != ticks
    except (OSError, ValueError, IndexError):
        return False


def _start_ticks(pid: int) -> str:
    """Process ``pid``'s start time in clock ticks since boot (field 22 of Linux's /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = stat.read()
    return str(int(fields[fields.rindex(b")") + 2:].split()[19]))


def _committed_at(folder: Path) -> float:
    try:
        return (folder / COMMIT_LIST).stat().st_mtime
    except OSError:
        return 0.0
