"""Which reporting unit each project belongs to, for batches that hold several units.

A finance bureau may run perfeval over all units of a district at once: a subfolder per unit, or
forms of several 实施单位 side by side, each unit with its own 单位情况. The rule, in order:

1. a project whose 实施单位 is the 单位名称 of some 单位情况 sheet belongs to that unit;
2. otherwise to the unit whose 单位情况 lies in the project's folder or the nearest folder above it;
3. otherwise, inside a subfolder of the inbox, to the unit of its folder: a unit's folder may hold forms
   that name a subordinate 实施单位, spell the unit's name another way or leave it empty, in subfolders of
   its own (科室, 补报). The unit folder is the highest folder on the form's path whose name holds the most
   common 实施单位 of all the forms under it (区/长沙县民政局/社会救助科/: 长沙县民政局, not the 区 folder,
   which holds several units); failing that, the unit is the most common 实施单位 of the forms in the form's
   own folder, or in the nearest folder above that names one; at the top level, its own 实施单位.

A single-unit inbox (the usual case) gives one unit and the report is 绩效自评报告.docx.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import PurePosixPath

from perfeval.model import Project, UnitInfo
from perfeval.normalise import unit_info
from perfeval.reader import UnitSheet

UNKNOWN = "未注明单位"


def assign_units(projects: list[Project], sheets: list[UnitSheet]) -> tuple[list[Project], list[UnitInfo]]:
    """Projects with ``unit`` set, and one UnitInfo per unit in order of first appearance. Linear in the
    number of projects: a city's batch has thousands of projects in hundreds of units."""
    named = {_sheet_name(s): s for s in sheets if _sheet_name(s)}
    by_folder: dict[PurePosixPath, UnitSheet] = {}
    for sheet in sheets:
        by_folder.setdefault(PurePosixPath(sheet.file).parent, sheet)
    folders = [PurePosixPath(p.file).parent for p in projects]
    nearest = [_nearest(folder, by_folder) for folder in folders]
    implementers_by_folder: dict[PurePosixPath, Counter] = {}
    for p, folder in zip(projects, folders):
        if p.implementer:
            implementers_by_folder.setdefault(folder, Counter())[p.implementer] += 1
    folder_common = {folder: c.most_common(1)[0][0] for folder, c in implementers_by_folder.items()}
    under: dict[PurePosixPath, Counter] = {}  # the 实施单位 of all the forms under a folder, at any depth
    for folder, counts in implementers_by_folder.items():
        for above in (folder, *folder.parents[:-1]):
            under.setdefault(above, Counter()).update(counts)
    under_common = {folder: c.most_common(1)[0][0] for folder, c in under.items()}
    # a 单位情况 sheet without 单位名称 names the most common 实施单位 of the forms beside it
    sheet_units = {}
    for sheet in sheets:
        common = implementers_by_folder.get(PurePosixPath(sheet.file).parent)
        sheet_units[id(sheet)] = _sheet_name(sheet) or (common.most_common(1)[0][0] if common else UNKNOWN)
    assigned = []
    for p, folder, sheet in zip(projects, folders, nearest):
        if p.implementer in named:
            unit = p.implementer
        elif sheet is not None:
            unit = sheet_units[id(sheet)]
        elif folder.parts:
            unit = _folder_unit(folder, folder_common, under_common) or p.implementer or UNKNOWN
        else:
            unit = p.implementer or UNKNOWN
        assigned.append(replace(p, unit=unit))
    members: dict[str, list[Project]] = {}
    owners: dict[str, set[int]] = {}  # unit -> id() of the 单位情况 sheets nearest to its projects
    for p, sheet in zip(assigned, nearest):
        members.setdefault(p.unit, []).append(p)
        if sheet is not None:
            owners.setdefault(p.unit, set()).add(id(sheet))
    position = {id(s): n for n, s in enumerate(sheets)}
    units = []
    for name, group in members.items():
        mine = owners.get(name)  # of these, the first in the batch's order
        sheet = named.get(name) or (sheets[min(position[i] for i in mine)] if mine else None)
        info = unit_info([sheet] if sheet is not None else [], group)
        units.append(replace(info, name=name))
    return assigned, units


def _folder_unit(folder: PurePosixPath, direct: dict[PurePosixPath, str], under: dict[PurePosixPath, str]) -> str:
    """The unit of a form in ``folder`` (rule 3), from the most common 实施单位 of the forms in each folder
    (``direct``) and under it (``under``); "" when no form around names one."""
    path = (*reversed(folder.parents[:-1]), folder)  # from the first-level folder down
    named = next((f for f in path if f in under and under[f] in f.name), None)
    if named is not None:
        return under[named]
    return direct.get(folder) or next((under[f] for f in reversed(path) if f in under), "")


def _sheet_name(sheet: UnitSheet) -> str:
    item = sheet.items.get("单位名称")
    return str(item.value).strip() if item is not None and item.value not in (None, "") else ""


def _nearest(folder: PurePosixPath, by_folder: dict[PurePosixPath, UnitSheet]) -> UnitSheet | None:
    for candidate in (folder, *folder.parents):
        if candidate in by_folder:
            return by_folder[candidate]
    return None
