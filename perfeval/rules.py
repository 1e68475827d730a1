"""The scoring rules as one frozen settings value (SCORING.md §4).

Built from a preset, then the rules file, then the command line, in that order. Every key is
validated up front; an unknown key or a value out of range is a ``RulesError`` naming the key and
what is allowed.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class RulesError(Exception):
    """评分规则配置有误。"""


@dataclass(frozen=True)
class Rules:
    """Scoring settings. Defaults are 财预〔2020〕10号 for 单位自评 (preset ``caiyu-2020``)."""

    preset: str = "caiyu-2020"
    budget_points: float = 10.0  # w_b
    rate_base: str = "full_year"  # full_year: A = 全年预算数; initial: 年初预算数
    budget_mode: str = "linear"  # linear: w_b × min(rate, 1); interval: by ``budget_intervals``
    budget_intervals: tuple[tuple[float, float], ...] = (
        (0.95, 10.0), (0.90, 9.0), (0.80, 8.0), (0.60, 6.0), (0.0, 0.0))  # (rate ≥, points)
    split: tuple[tuple[str, float], ...] = (("产出指标", 50.0), ("效益指标", 30.0), ("满意度指标", 10.0))
    reverse_mode: str = "linear"  # linear: w × max(0, 1 − (B−A)/A); ratio: w × A/B
    bands: tuple[float, float] = (0.8, 0.6)  # lower bounds of 达成 and 部分达成 as shares of w
    grade_defaults: tuple[tuple[str, float], ...] = (("达成", 1.0), ("部分达成", 0.7), ("未达成", 0.3))
    over_ratio: float = 1.3  # B/A from which an explanation is required
    over_penalty: bool = False
    over_k: float = 0.5  # deduction w × k × (B/A − over_ratio), capped at w × 20%
    grades: tuple[tuple[str, float], ...] = (("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", 0.0))
    low_rate: float = 0.6  # B005
    explain_rate: float = 0.9  # B004
    tolerance: float = 0.01  # 万元 and points

    @property
    def indicator_points(self) -> float:
        return round(100.0 - self.budget_points, 2)

    def grade_of(self, total: float) -> str:
        """优/良/中/差 for a total score."""
        for name, floor in self.grades:
            if total >= floor - 1e-9:
                return name
        return self.grades[-1][0]

    def default_share(self, grade: str) -> float:
        return dict(self.grade_defaults)[grade]

    def band_of(self, grade: str) -> tuple[float, float]:
        """The [low, high] share of w a qualitative grade allows."""
        high_floor, mid_floor = self.bands
        return {"达成": (high_floor, 1.0), "部分达成": (mid_floor, high_floor),
                "未达成": (0.0, mid_floor)}[grade]

    def describe(self) -> list[tuple[str, str, str]]:
        """(key, value, 说明) rows for ``perfeval rules`` and the 评分规则 sheet."""
        return [(f.name, _format(getattr(self, f.name)), f.metadata.get("doc", _DOCS.get(f.name, "")))
                for f in dataclasses.fields(self)]


_DOCS = {
    "preset": "规则预设：caiyu-2020（财预〔2020〕10号）或 legacy",
    "budget_points": "预算执行率分值",
    "rate_base": "执行率分母：full_year 全年预算数，initial 年初预算数",
    "budget_mode": "预算执行得分方式：linear 按比例，interval 按区间",
    "budget_intervals": "区间方式下的（执行率下限，得分）",
    "split": "产出/效益/满意度指标分值原则",
    "reverse_mode": "反向指标超出目标时：linear 按超出比例扣分，ratio 按目标/实际",
    "bands": "定性指标“达成”“部分达成”得分下限（占分值比例）",
    "grade_defaults": "未填报得分时定性指标默认得分比例",
    "over_ratio": "完成率达到此比例须说明偏差原因",
    "over_penalty": "超额完成是否扣分",
    "over_k": "超额扣分系数",
    "grades": "等级及分数下限",
    "low_rate": "执行率低于此值提示重点关注",
    "explain_rate": "执行率低于此值须说明原因",
    "tolerance": "金额与分数比对容差",
}

PRESETS: dict[str, dict] = {
    "caiyu-2020": {},
    "legacy": {"budget_points": 20.0, "bands": (0.8, 0.5), "reverse_mode": "ratio",
               "split": (("产出指标", 40.0), ("效益指标", 30.0), ("满意度指标", 10.0))},
}

_CHOICES = {"rate_base": ("full_year", "initial"), "budget_mode": ("linear", "interval"),
            "reverse_mode": ("linear", "ratio"), "preset": tuple(PRESETS)}


def _format(value) -> str:
    if isinstance(value, tuple):
        return "，".join(_format(v) if isinstance(v, tuple) else str(v) for v in value) \
            if value and isinstance(value[0], tuple) else "/".join(str(v) for v in value)
    return str(value)


def load_rules(path: Path | None = None, inbox: Path | None = None, **overrides) -> Rules:
    """Rules from the preset, then ``path`` (or ``perfeval.toml`` in ``inbox``), then ``overrides``."""
    settings: dict = {}
    if path is None and inbox is not None and (inbox / "perfeval.toml").is_file():
        path = inbox / "perfeval.toml"
    if path is not None:
        settings = _read_toml(path)
    settings.update({k: v for k, v in overrides.items() if v is not None})
    preset = settings.pop("preset", "caiyu-2020")
    if preset not in PRESETS:
        raise RulesError(f"规则项 preset 的值“{preset}”无效，可选：{'、'.join(PRESETS)}")
    merged = {**PRESETS[preset], **settings, "preset": preset}
    if "budget_points" in settings and "split" not in settings:
        merged["split"] = _scaled_split(merged)
    return _build(merged)


def _scaled_split(settings: dict) -> tuple[tuple[str, float], ...]:
    """The 50/30/10 principle scaled to 100 − budget_points when only the budget points were changed."""
    base = dict(settings.get("split", Rules.split))
    points = settings["budget_points"]
    if isinstance(points, bool) or not isinstance(points, (int, float)):
        return tuple(base.items())  # _build reports the bad value
    factor = (100.0 - points) / sum(base.values())
    return tuple((k, round(v * factor, 2)) for k, v in base.items())


def _read_toml(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesError(f"找不到规则文件 {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(f"规则文件 {path} 格式有误：{exc}") from None
    rules = data.get("rules", {k: v for k, v in data.items() if not isinstance(v, dict)})
    if not isinstance(rules, dict):
        raise RulesError(f"规则文件 {path} 的 [rules] 必须是一个表")
    return dict(rules)


def _build(settings: dict) -> Rules:
    names = {f.name: f for f in dataclasses.fields(Rules)}
    values = {}
    for key, raw in settings.items():
        if key not in names:
            raise RulesError(f"未知的规则项 {key}，可用的规则项：{'、'.join(names)}")
        values[key] = _coerce(key, raw, names[key].default)
    rules = Rules(**values)
    _validate(rules)
    return rules


def _coerce(key: str, raw, default):
    if key in _CHOICES:
        if raw not in _CHOICES[key]:
            raise RulesError(f"规则项 {key} 的值“{raw}”无效，可选：{'、'.join(_CHOICES[key])}")
        return raw
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise RulesError(f"规则项 {key} 应为 true 或 false")
        return raw
    if isinstance(default, float):
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise RulesError(f"规则项 {key} 应为数字")
        return float(raw)
    if key in ("split", "grade_defaults", "grades"):
        if isinstance(raw, dict):
            raw = list(raw.items())
        try:
            return tuple((str(k), float(v)) for k, v in raw)
        except (TypeError, ValueError):
            raise RulesError(f"规则项 {key} 应为名称与数值的表，如 {{ 达成 = 1.0 }}") from None
    if key == "budget_intervals":
        try:
            return tuple(sorted(((float(r), float(p)) for r, p in raw), reverse=True))
        except (TypeError, ValueError):
            raise RulesError("规则项 budget_intervals 应为 [[执行率下限, 得分], ...]") from None
    if key == "bands":
        try:
            high, mid = (float(v) for v in raw)
        except (TypeError, ValueError):
            raise RulesError("规则项 bands 应为两个比例 [达成下限, 部分达成下限]，如 [0.8, 0.6]") from None
        return (high, mid)
    return raw


def _validate(rules: Rules) -> None:
    def need(ok: bool, key: str, allowed: str) -> None:
        if not ok:
            raise RulesError(f"规则项 {key} 的值 {_format(getattr(rules, key))} 超出范围，应为{allowed}")

    need(0 < rules.budget_points < 100, "budget_points", "0 到 100 之间的分数")
    need(0 < rules.bands[1] < rules.bands[0] <= 1, "bands", "0 < 部分达成下限 < 达成下限 ≤ 1")
    need(1 <= rules.over_ratio <= 10, "over_ratio", "1 到 10 之间的比例")
    need(0 <= rules.over_k <= 10, "over_k", "0 到 10 之间的系数")
    need(0 < rules.low_rate <= rules.explain_rate <= 1, "low_rate", "0 到 explain_rate 之间的比例")
    need(0 <= rules.tolerance <= 1, "tolerance", "0 到 1 之间")
    need({g for g, _ in rules.grade_defaults} == {"达成", "部分达成", "未达成"}
         and all(0 <= s <= 1 for _, s in rules.grade_defaults), "grade_defaults",
         "达成、部分达成、未达成三项，各为 0 到 1 的比例")
    need(all(0 <= p <= rules.budget_points for _, p in rules.budget_intervals)
         and all(0 <= r <= 1 for r, _ in rules.budget_intervals), "budget_intervals",
         "执行率下限 0 到 1、得分不超过 budget_points")
    need(abs(sum(p for _, p in rules.split) - rules.indicator_points) < 0.01, "split",
         f"合计等于 100 − budget_points（{rules.indicator_points:g}）的分值")
    need(len(rules.grades) >= 2 and all(a[1] > b[1] for a, b in zip(rules.grades, rules.grades[1:])),
         "grades", "按分数下限从高到低排列的等级")
