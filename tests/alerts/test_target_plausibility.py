"""Issue 17, finding 6: targets accepted nan, inf, -inf and 1e308; a NaN limit compares
false with every reading, so it silently switched off the severe-hypoglycaemia rule.

The rule itself refuses them (`alerts.ruleset`), so every way in — the web form, the
API, ``veille alerts target``, a targets TOML — is refused alike; a target stored
before is ignored (the default holds) rather than disabling the rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.models import AlertTarget
from alerts.ruleset import ThresholdRule, load_rules, parse_rules
from alerts.sqlstore import DbTargets
from alerts.store import TomlTargets
from collector.plausibility import BOUNDS
from veille.db import create_schema, import_models, make_engine, session_factory
from veille.errors import ConfigError

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
HOSTILE = ("nan", "inf", "-inf", "1e308", "-5", "151")


def _targets(tmp_path: Path) -> DbTargets:
    engine = make_engine(f"sqlite:///{tmp_path / 'veille.db'}")
    import_models()
    create_schema(engine)
    return DbTargets(session_factory(engine), load_rules())


@pytest.mark.parametrize("typed", HOSTILE)
def test_a_target_must_be_finite_and_plausible(tmp_path: Path, typed: str) -> None:
    targets = _targets(tmp_path)
    params = {"limits": {"glucose_mmol_l": float(typed)}}
    with pytest.raises(ConfigError, match="glucose_level2_hypo"):
        targets.set("p-7", "glucose_level2_hypo", params, by="dr", reason="x", now=NOW)
    assert targets.for_patient("p-7") == {}


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "-Infinity", "1e308"])
def test_the_command_line_refuses_them(
    tmp_path: Path, typed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from veille.cli import main

    db = f"sqlite:///{tmp_path}/veille.db"
    args = ["alerts", "target", "p-7", "glucose_level2_hypo", "--database", db]
    params = '{"limits": {"glucose_mmol_l": ' + typed + "}}"
    assert main([*args, "--params", params]) == 2
    assert "glucose_mmol_l" in capsys.readouterr().err


def test_a_rule_file_or_targets_file_with_them_is_refused(tmp_path: Path) -> None:
    text = load_rules_text()
    assert "limits = { glucose_mmol_l = 3.0 }" in text
    with pytest.raises(ConfigError, match="finite"):
        parse_rules(
            text.replace("limits = { glucose_mmol_l = 3.0 }", "limits = { glucose_mmol_l = nan }")
        )
    path = tmp_path / "targets.toml"
    path.write_text(
        'version = "v"\n[patients."p-7".glucose_level2_hypo]\nlimits = { glucose_mmol_l = inf }\n'
    )
    with pytest.raises(ConfigError, match="glucose_level2_hypo"):
        TomlTargets.load(path, load_rules())
    path.write_text('version = "v"\n[patients."p-7".bp_home_average]\nwindow_days = inf\n')
    with pytest.raises(ConfigError, match="bp_home_average"):
        TomlTargets.load(path, load_rules())


def load_rules_text() -> str:
    from importlib import resources

    return resources.files("alerts.rules").joinpath("default.toml").read_text("utf-8")


def test_a_nan_target_stored_before_is_ignored_and_the_rule_still_fires(tmp_path: Path) -> None:
    targets = _targets(tmp_path)
    with targets.sessions() as session:
        session.add(
            AlertTarget(
                patient_id="p-7",
                rule="glucose_level2_hypo",
                version=1,
                params={"limits": {"glucose_mmol_l": float("nan")}},
                set_by="before the fix",
                reason="",
                set_at=NOW,
            )
        )
        session.commit()
    assert targets.for_patient("p-7") == {}
    rule = targets.rules.with_targets(targets.for_patient("p-7")).by_name["glucose_level2_hypo"]
    assert isinstance(rule, ThresholdRule)
    assert rule.limits == {"glucose_mmol_l": 3.0}


def test_every_shipped_limit_lies_within_the_ingest_table() -> None:
    for rule in load_rules().rules:
        for metric, value in getattr(rule, "limits", {}).items():
            low, high = BOUNDS[metric]
            assert low <= value <= high, (rule.name, metric)
