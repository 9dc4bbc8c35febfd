"""The one catalogue of clinical words: complete in both languages, numbers and times by locale."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from alerts.ruleset import load_rules
from alerts.terms import Category, Change
from devices.reading import FLAGS, METRICS
from sharing.terms import Language
from web.metric_labels import METRIC_NAMES
from web.words import Words, describe
from web.words.catalogue import CATEGORIES, RULES, entries
from web.words.catalogue import FLAGS as FLAG_WORDS

PARIS = ZoneInfo("Europe/Paris")
FR = Words(Language.FR, PARIS)
EN = Words(Language.EN, PARIS)


def _fields(template: str) -> set[str]:
    return {name for _t, name, _f, _c in string.Formatter().parse(template) if name}


def test_every_rule_category_flag_metric_and_change_has_both_translations() -> None:
    missing = (
        [f"category.{c.value}" for c in Category if c.value not in CATEGORIES]
        + [f"rule.{r.name}" for r in load_rules().rules if r.name not in RULES]
        + [f"flag.{f}" for f in sorted(FLAGS) if f not in FLAG_WORDS]
        + [f"metric.{m}" for m in sorted(METRICS) if m not in METRIC_NAMES]
        + [f"change.{c.value}" for c in Change if f"change.{c.value}" not in entries()]
    )
    assert missing == []
    for key, (fr, en) in entries().items():
        assert fr.strip(), key
        assert en.strip(), key
        assert _fields(fr) == _fields(en), key  # same parameters in both languages


@pytest.mark.parametrize(
    ("category", "params", "french", "english"),
    [
        (
            "hypertensive_crisis",
            {"shape": "threshold", "metric": "systolic_mmhg", "value": 184.0, "threshold": 180},
            "Crise hypertensive : PAS 184 mmHg (seuil 180)",
            "Hypertensive crisis: SBP 184 mmHg (threshold 180)",
        ),
        (
            "weight_gain",
            {
                "shape": "change",
                "metric": "weight_kg",
                "direction": "gain",
                "delta": 3.0,
                "threshold": 2.3,
                "days": 7,
            },
            "Prise de poids : +3,0 kg en 7 jours (seuil +2,3 kg)",
            "Weight gain: +3.0 kg in 7 days (threshold +2.3 kg)",
        ),
        (
            "hyperglycemia",
            {
                "shape": "threshold",
                "metric": "glucose_mmol_l",
                "value": 14.25,
                "threshold": 13.9,
                "confirm": 2,
            },
            "Hyperglycémie : glycémie 14,2 mmol/L sur 2 mesures (seuil 13,9)",
            "Hyperglycaemia: glucose 14.2 mmol/L on 2 readings (threshold 13.9)",
        ),
        (
            "device_problem",
            {"shape": "device", "problem": "flag", "flags": ["cuff_loose"]},
            "Problème d'appareil : vérifier l'appareil (tension artérielle) — brassard mal serré",
            "Device problem: check the device (blood pressure) — cuff too loose",
        ),
        ("severe_hypoglycemia", {}, "Hypoglycémie sévère", "Severe hypoglycaemia"),
    ],
)
def test_alert_sentences_with_locale_numbers(
    category: str, params: dict[str, object], french: str, english: str
) -> None:
    kind = "blood_pressure" if category == "device_problem" else None
    assert describe(FR, category, kind, params) == french
    assert describe(EN, category, kind, params) == english


def test_times_in_the_viewers_zone_with_the_zone_shown() -> None:
    winter = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert FR.when(winter) == "20 nov. 2026 10:00 UTC+01:00"
    assert EN.when(summer) == "1 Jul 2026 11:00 GMT+02:00"
    assert FR.short(winter) == "20/11 10:00"
    assert Words(Language.FR, ZoneInfo("America/Montreal")).when(winter, zone=False) == (
        "20 nov. 2026 04:00"
    )
    assert FR.number(1234.56, 1) == "1\u202f234,6" or FR.number(1234.56, 1) == "1\xa0234,6"
    assert EN.number(1234.56, 1) == "1,234.6"
    assert FR.op(">=") == "≥"
