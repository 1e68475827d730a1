"""result.json: the batch as data (OUTPUTS.md §4). Keys in English snake_case, values as in the forms.

The file is written project by project (one JSON encoding per project, issue or file), so a batch of
any size costs about one project's dict in memory; the text is the same as ``json.dumps`` of
``batch_to_dict`` would give.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from pathlib import Path

from perfeval.model import Amount, Batch, Indicator, IndicatorScore, Issue, ProjectResult, Value


def batch_to_dict(batch: Batch) -> dict:
    """Everything a script needs: files, projects with every figure and score, issues, rules."""
    head, lists = sections(batch)
    return {**head, **{key: list(items()) for key, items in lists.items()}}


def sections(batch: Batch) -> tuple[dict, dict[str, Callable[[], Iterator[dict]]]]:
    """batch_to_dict in parts, for writing it without holding it: the head, and its two long lists (the last
    keys) each as a function giving its items one at a time, as often as it is called."""
    return _head(batch), {"projects": lambda: (_project(r) for r in batch.results),
                          "issues": lambda: (_issue(i) for i in batch.issues)}


def _head(batch: Batch) -> dict:
    """batch_to_dict without its two long lists (projects and issues, its last two keys)."""
    return {
        "perfeval_version": batch.version,
        "run_time": batch.run_time.isoformat(),
        "year": batch.year,
        "unit": _fields(batch.unit),
        "units": [_fields(u) for u in batch.units],
        "rules": {key: _plain(getattr(batch.rules, key)) for key, _, _ in batch.rules.describe()},
        "totals": totals(batch),
        "files": [{"name": f.name, "sha256": f.sha256, "status": f.status, "projects": f.projects}
                  | ({"unit": f.unit} if f.unit else {}) for f in batch.files],
        "ignored": list(batch.ignored),
    }


def totals(batch: Batch) -> dict:
    """Batch figures: budget, spending, rate, grade counts, issue counts."""
    budget = sum(r.project.funds.total.budget.value or r.project.funds.total.initial.value or 0.0
                 for r in batch.results)
    actual = sum(r.project.funds.total.actual.value or 0.0 for r in batch.results)
    grades: dict[str, int] = {}
    for r in batch.results:
        key = r.grade or r.status
        grades[key] = grades.get(key, 0) + 1
    return {
        "projects": len(batch.results),
        "scored": sum(1 for r in batch.results if r.total is not None),
        "budget": round(budget, 2),
        "actual": round(actual, 2),
        "rate": round(actual / budget, 6) if budget else None,
        "grades": grades,
        "errors": sum(1 for i in batch.issues if i.level == "错误"),
        "warnings": sum(1 for i in batch.issues if i.level == "警告"),
        "infos": sum(1 for i in batch.issues if i.level == "提示"),
    }


def write_result(batch: Batch, path: Path) -> None:
    """Write result.json (UTF-8, Chinese kept readable): ``json.dumps(batch_to_dict(batch))``, streamed."""
    # no indent: json's C encoder is used only without one (several times faster on large batches)
    encode = json.JSONEncoder(ensure_ascii=False, default=_plain).encode
    head, lists = sections(batch)
    with path.open("w", encoding="utf-8") as out:
        out.write(encode(head)[:-1])  # without its closing brace
        for key, items in lists.items():
            out.write(f", {encode(key)}: ")
            write_list(out, (encode(item) for item in items()))
        out.write("}")


def write_list(out, items: Iterable[str], separator: str = ", ", inside: tuple[str, str] = ("", ""),
               chunk: int = 256, chunk_chars: int = 1 << 20) -> None:
    """A JSON array of already encoded items, as json.dumps writes it (``separator`` between items, and
    ``inside`` after "[" and before "]" when the array is not empty: json.dumps' indent); written every
    ``chunk`` items or ``chunk_chars`` characters, whichever comes first (a project of 150 notes of 32,000
    characters encodes to 14 MB: twenty of them held at once took the run past 1 GB)."""
    out.write("[")
    pending: list[str] = []
    size = 0
    first = True
    for item in items:
        pending.append(item)
        size += len(item)
        if len(pending) >= chunk or size >= chunk_chars:
            out.write((inside[0] if first else separator) + separator.join(pending))
            pending.clear()
            size = 0
            first = False
    if pending:
        out.write((inside[0] if first else separator) + separator.join(pending))
        first = False
    out.write("]" if first else inside[1] + "]")


_GETTERS: dict[type, tuple[tuple[str, ...], attrgetter]] = {}


def _fields(obj) -> dict:
    """A flat dataclass as a dict of its fields, in order (``dataclasses.asdict`` without its deep copy;
    for values whose fields hold no other dataclass, list or dict)."""
    cls = type(obj)
    known = _GETTERS.get(cls)
    if known is None:
        names = tuple(f.name for f in dataclasses.fields(cls))
        known = _GETTERS[cls] = (names, attrgetter(*names))
    names, get = known
    return dict(zip(names, get(obj))) if len(names) > 1 else {names[0]: get(obj)}


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _amount(a: Amount) -> dict:
    return {"value": a.value, "cell": a.cell, "text": a.text}


def _value(v: Value) -> dict:
    d = _fields(v)
    d["date"] = v.date.isoformat() if v.date else None
    d["notes"] = list(v.notes)
    return d


def _indicator(s: IndicatorScore) -> dict:
    i: Indicator = s.indicator
    return {
        "level1": i.level1, "level2": i.level2, "name": i.name, "row": i.row,
        "target": _value(i.target), "actual": _value(i.actual),
        "weight": _amount(i.weight), "score_written": _amount(i.score_written),
        "deviation": i.deviation, "method": s.method, "ratio": s.ratio, "grade": s.grade,
        "score": s.score, "explanation": s.explanation,
    }


def _project(r: ProjectResult) -> dict:
    p = r.project
    funds = p.funds
    rows = {"total": funds.total, "appropriation": funds.appropriation, "own_level": funds.own_level,
            "carryover": funds.carryover, "other": funds.other}
    return {
        "file": p.file, "sheet": p.sheet, "unit": p.unit, "name": p.name, "code": p.code, "department": p.department,
        "implementer": p.implementer, "year": p.year, "project_type": p.project_type, "fund_use": p.fund_use,
        "goal": p.goal, "achievement": p.achievement,
        "funds": {
            **{k: None if row is None else {"label": row.label, "initial": _amount(row.initial),
                                             "budget": _amount(row.budget), "actual": _amount(row.actual)}
               for k, row in rows.items()},
            "weight": _amount(funds.weight), "rate_written": _amount(funds.rate_written),
            "score_written": _amount(funds.score_written),
        },
        "rate": r.rate, "budget_score": r.budget_score, "budget_explanation": r.budget_explanation,
        "indicators": [_indicator(s) for s in r.indicators],
        "subtotals": r.subtotals, "total": r.total, "total_written": r.total_written,
        "grade": r.grade, "status": r.status, "reason": r.reason,
        "issues": [_issue(i) for i in r.issues],
    }


def _issue(i: Issue) -> dict:
    return _fields(i)
