"""The rules file: presets, overrides, validation messages that name the key."""

from __future__ import annotations

import pytest

from perfeval.rules import RulesError, load_rules


def test_default_preset_is_caiyu_2020():
    rules = load_rules()
    assert (rules.preset, rules.budget_points, rules.indicator_points, rules.bands) == ("caiyu-2020", 10.0, 90.0, (0.8, 0.6))


def test_legacy_preset():
    rules = load_rules(preset="legacy")
    assert (rules.budget_points, rules.bands, rules.reverse_mode) == (20.0, (0.8, 0.5), "ratio")
    assert rules.indicator_points == 80.0


def test_rules_file_in_inbox_overrides_preset(tmp_path):
    (tmp_path / "perfeval.toml").write_text('[rules]\npreset = "caiyu-2020"\nover_ratio = 1.5\nreverse_mode = "ratio"\n',
                                            encoding="utf-8")
    rules = load_rules(inbox=tmp_path)
    assert (rules.over_ratio, rules.reverse_mode) == (1.5, "ratio")


def test_rules_file_top_level_keys(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('preset = "legacy"\nbands = [0.85, 0.55]\n', encoding="utf-8")
    rules = load_rules(path)
    assert rules.preset == "legacy" and rules.bands == (0.85, 0.55)


@pytest.mark.parametrize("text,key", [
    ("colour = 1", "colour"),
    ('reverse_mode = "sideways"', "reverse_mode"),
    ('preset = "beijing"', "preset"),
    ("over_ratio = 0.5", "over_ratio"),
    ("bands = [0.5, 0.8]", "bands"),
    ('budget_points = "ten"', "budget_points"),
    ('split = { "产出指标" = 50, "效益指标" = 30, "满意度指标" = 20 }', "split"),
])
def test_bad_settings_name_the_key(tmp_path, text, key):
    path = tmp_path / "r.toml"
    path.write_text(f"[rules]\n{text}\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert key in str(err.value)


def test_broken_toml_is_a_clear_error(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[rules\n", encoding="utf-8")
    with pytest.raises(RulesError, match="格式有误"):
        load_rules(path)


def test_changing_budget_points_scales_the_split():
    rules = load_rules(budget_points=20)
    assert dict(rules.split) == {"产出指标": 44.44, "效益指标": 26.67, "满意度指标": 8.89}
