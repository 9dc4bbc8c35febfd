"""The rule set is data: versioned, documented, validated; per-patient targets are checked too."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from alerts.ruleset import MissingRule, ThresholdRule, load_rules, parse_rules
from alerts.store import TomlTargets
from alerts.terms import Category
from veille.errors import ConfigError


def test_default_rule_set_covers_every_category_with_a_source() -> None:
    rules = load_rules()
    assert rules.version
    assert {rule.category for rule in rules.rules} == set(Category)
    for rule in rules.rules:
        assert len(rule.source) > 20, rule.name


def test_guideline_thresholds_are_the_documented_ones() -> None:
    rules = load_rules().by_name
    assert rules["glucose_level1_hypo"].limits == {"glucose_mmol_l": 3.9}
    assert rules["glucose_level2_hypo"].limits == {"glucose_mmol_l": 3.0}
    assert rules["bp_crisis"].limits == {"systolic_mmhg": 180, "diastolic_mmhg": 110}
    assert rules["bp_home_average"].limits == {"systolic_mmhg": 135, "diastolic_mmhg": 85}
    assert (rules["weight_gain_3d"].amount, rules["weight_gain_3d"].baseline_from_hours) == (
        2.0,
        84,
    )
    assert isinstance(rules["weight_missing"], MissingRule)


def test_a_broken_rule_file_says_where() -> None:
    text = resources.files("alerts.rules").joinpath("default.toml").read_text("utf-8")
    broken = text.replace('op = "<"', 'op = "<<"', 1)
    with pytest.raises(ConfigError, match=r"rule\.0"):
        parse_rules(broken)
    with pytest.raises(ConfigError, match="version"):
        parse_rules('[[rule]]\nname = "x"')


def test_targets_override_only_what_they_name_and_are_validated(tmp_path: Path) -> None:
    rules = load_rules()
    path = tmp_path / "targets.toml"
    path.write_text(
        'version = "cardio-2026-11"\n'
        '[patients."p-7".glucose_level1_hypo]\nlimits = { glucose_mmol_l = 4.4 }\n'
        '[patients."p-7".bp_home_average]\nenabled = false\n'
    )
    targets = TomlTargets.load(path, rules)
    assert targets.version == "cardio-2026-11"
    mine = rules.with_targets(targets.for_patient("p-7"))
    rule = mine.by_name["glucose_level1_hypo"]
    assert isinstance(rule, ThresholdRule)
    assert rule.limits == {"glucose_mmol_l": 4.4}
    assert rule.source == rules.by_name["glucose_level1_hypo"].source
    assert not mine.by_name["bp_home_average"].enabled
    assert rules.with_targets(targets.for_patient("p-8")) is rules
    path.write_text(
        'version = "v"\n[patients."p-7".glucose_level1_hypo]\nlimits = { glucose = 4 }\n'
    )
    with pytest.raises(ConfigError, match="glucose_level1_hypo"):
        TomlTargets.load(path, rules)
    path.write_text('version = "v"\n[patients."p-7".no_such_rule]\nenabled = false\n')
    with pytest.raises(ConfigError, match="no_such_rule"):
        TomlTargets.load(path, rules)


def test_target_command_sets_versions_and_refuses_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from veille.cli import main

    db = f"sqlite:///{tmp_path}/veille.db"
    args = ["alerts", "target", "p-7", "glucose_level1_hypo", "--database", db, "--by", "dr-2"]
    assert main([*args, "--params", '{"limits": {"glucose_mmol_l": 4.4}}', "--reason", "x"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["version"] == 1
    assert lines[1]["targets"] == {"glucose_level1_hypo": {"limits": {"glucose_mmol_l": 4.4}}}
    assert main([*args, "--params", '{"limits": {"glucose": 4.4}}']) == 2
    assert "unknown metric" in capsys.readouterr().err
    assert main([*args, "--clear"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (lines[0]["version"], lines[1]["targets"]) == (2, {})
