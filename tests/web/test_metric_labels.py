"""Metrics as the care team reads them: words and units in legends, axes and tables."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from devices.reading import METRICS
from sharing.terms import Language
from web.metric_labels import METRIC_NAMES, metric_label


def test_every_metric_has_words_in_french_and_english_and_a_unit() -> None:
    assert set(METRIC_NAMES) == set(METRICS)
    for metric, (fr, en, unit) in METRIC_NAMES.items():
        assert all(word.strip() for word in (fr, en, unit)), metric
        assert metric not in (fr, en)


def _charts(page: str) -> list[str]:
    return re.findall(r'<svg class="chart".*?</svg>', page, re.S)


def _texts(svg: str, css: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(rf'<text class="{css}"[^>]*>([^<]*)</text>', svg)]


@pytest.mark.parametrize(
    ("lang", "legends", "axes"),
    [
        (
            "fr",
            [
                ["■ Poids (kg)"],
                [
                    "■ Systolique (mmHg) · zone cible 90 à 135",
                    "■ Diastolique (mmHg) · zone cible jusqu'à 85",
                ],
                ["■ Glycémie (mmol/L) · zone cible 3,9 à 13,9"],
            ],
            ["Poids (kg)", "Tension artérielle (mmHg)", "Glycémie (mmol/L)"],
        ),
        (
            "en",
            [
                ["■ Weight (kg)"],
                ["■ Systolic (mmHg) · target 90 to 135", "■ Diastolic (mmHg) · target up to 85"],
                ["■ Blood glucose (mmol/L) · target 3.9 to 13.9"],
            ],
            ["Weight (kg)", "Blood pressure (mmHg)", "Blood sugar (mmol/L)"],
        ),
    ],
)
def test_chart_legends_and_axes_name_metrics_with_units(
    nurse: TestClient, lang: str, legends: list[list[str]], axes: list[str]
) -> None:
    nurse.get(f"/lang/{lang}", params={"next": "/team"})
    charts = _charts(nurse.get("/team/patients/p-red", params={"days": 7}).text)
    assert [_texts(svg, "legend") for svg in charts] == legends
    assert [_texts(svg, "axis") for svg in charts] == [[a] for a in axes]
    for svg in charts:
        assert not any(name in svg for name in METRICS), "a machine name in a chart"


def test_readings_table_and_targets_use_the_same_words(
    nurse: TestClient, physician: TestClient
) -> None:
    nurse.get("/lang/en", params={"next": "/team"})
    table = nurse.get("/team/patients/p-red/readings/blood_pressure", params={"days": 7}).text
    headers = re.findall(r'<th scope="col">([^<]*)</th>', table)
    # clinical order, then the flags and the device
    assert headers[1:] == ["Systolic (mmHg)", "Diastolic (mmHg)", "Pulse (/min)", "Notes", "Device"]
    targets = physician.get("/team/patients/p-red").text
    label = re.search(
        r'<label for="glucose_level2_hypo-limits-glucose_mmol_l">([^<]*)</label>', targets
    )
    assert label is not None
    assert label.group(1).startswith(metric_label("glucose_mmol_l", Language.FR))
    assert label.group(1) == "Glycémie (mmol/L) : alerte en dessous de (mmol/L)"
