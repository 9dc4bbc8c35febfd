"""Charts that do not mislead: drawing rules on literal numbers, then on the world's pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from alerts.ruleset import load_rules
from devices.reading import Kind
from sharing.grants import create_grant
from sharing.identities import add_patient, enrol
from sharing.terms import Language
from tests.web.world import NOW, World, reading
from web import localnum
from web.charts import (
    Band,
    Frame,
    Series,
    chart,
    day_ticks,
    segments,
    usual_gap,
    value_range,
)
from web.chartviews import bands, gain_rule, weight_reference

PARIS = ZoneInfo("Europe/Paris")
DAY = 86400.0


def _frame(days: int = 7) -> Frame:
    end = NOW.timestamp()
    return Frame(
        end - days * DAY,
        end,
        PARIS,
        lambda d: localnum.day(d, Language.FR),
        lambda v: localnum.number(v, Language.FR),
    )


def test_a_gap_longer_than_the_usual_interval_breaks_the_line() -> None:
    twice_a_day = [(i * DAY / 2, 80.0) for i in range(10)]
    after_a_silence = [(10 * DAY, 80.0), (10.5 * DAY, 80.2)]
    pts = twice_a_day + after_a_silence
    assert usual_gap(pts) == 2.5 * DAY / 2  # 2.5 times the usual 12 h
    assert [len(s) for s in segments(pts, usual_gap(pts))] == [10, 2]
    svg = chart(
        [Series("Poids (kg)", pts)],
        frame=Frame(0, 11 * DAY, PARIS, str, str),
        ident="c",
        title="Poids",
        axis="Poids (kg)",
        zone_caption="Europe/Paris",
        description="d",
    )
    assert svg.count('class="line"') == 2


def test_one_missed_reading_stays_joined() -> None:
    pts = [(0.0, 1.0), (DAY, 1.0), (3 * DAY, 1.0), (4 * DAY, 1.0)]  # daily, one day skipped
    assert len(segments(pts, usual_gap(pts))) == 1


def test_weight_axis_spans_at_least_four_kilograms() -> None:
    noise = [Series("Poids", [(0.0, 80.1), (DAY, 79.8), (2 * DAY, 80.2)])]
    lo, hi = value_range(noise, (), 4.0)
    assert hi - lo >= 4.0
    assert lo < 79.8
    assert hi > 80.2


def test_each_series_has_its_own_band_in_its_own_colour() -> None:
    svg = chart(
        [
            Series("Systolique", [(NOW.timestamp() - DAY, 150.0)], Band(90, 135)),
            Series("Diastolique", [(NOW.timestamp() - DAY, 100.0)], Band(None, 85)),
        ],
        frame=_frame(),
        ident="bp",
        title="Tension",
        axis="mmHg",
        zone_caption="Europe/Paris",
        description="d",
    )
    bands_ = re.findall(r'<rect class="band" data-series="(\d)"[^>]* fill="(#[0-9a-f]+)"', svg)
    assert [b[0] for b in bands_] == ["0", "1"]
    assert bands_[0][1] != bands_[1][1]
    assert svg.count('class="band-edge"') == 3  # 90, 135 and 85


def test_day_ticks_are_local_midnights_even_across_a_clock_change() -> None:
    start = datetime(2026, 10, 20, 12, tzinfo=UTC).timestamp()
    end = datetime(2026, 10, 29, 12, tzinfo=UTC).timestamp()  # summer time ends on the 25th
    ticks = day_ticks(start, end, PARIS)
    assert [d.day for d in ticks] == list(range(21, 30))
    assert all((d.hour, d.minute) == (0, 0) for d in ticks)
    assert ticks[5].utcoffset() != ticks[3].utcoffset()


def test_bands_from_the_rules_one_per_metric() -> None:
    found = bands(load_rules())
    assert found["systolic_mmhg"] == Band(90, 135)
    assert found["diastolic_mmhg"] == Band(None, 85)
    assert "weight_kg" not in found  # weight has no threshold: no "target band" to claim


def test_weight_reference_is_what_the_gain_rule_compares_against() -> None:
    rule = gain_rule(load_rules())
    assert rule is not None
    assert rule.name == "weight_gain_3d"
    weights = [((NOW - timedelta(hours=h)).timestamp(), 80.0 + h / 100) for h in range(0, 100, 6)]
    found = weight_reference(rule, weights, NOW, Language.FR)
    assert found is not None
    levels, note = found
    lowest = min(v for t, v in weights if 12 <= (NOW.timestamp() - t) / 3600 <= 84)
    assert [lv.value for lv in levels] == [lowest, lowest + 2.0]
    assert "le plus bas" in note
    assert "80,1 kg" in levels[0].label


def test_patient_page_charts_say_what_they_show(nurse: TestClient) -> None:
    page = nurse.get("/team/patients/p-red", params={"days": 7}).text
    assert "(zone cible)" not in page
    assert 'aria-labelledby="chart-weight-t chart-weight-d"' in page
    assert "Systolique (mmHg) : dernière valeur" in page  # the text alternative, visible too
    assert "moyenne" in page
    assert "minimum" in page
    assert "maximum" in page
    assert "Dates et heures : Europe/Paris" in page
    assert re.search(r'<g class="marker"><title>urgent : Hypoglycémie sévère, ', page)
    assert "Référence 8" in page  # the weight rule's reference line
    assert page.count('class="day"') >= 2 * 6  # a tick (line and words) per day


def test_no_chart_for_a_shared_kind_without_a_device(nurse: TestClient, world: World) -> None:
    with world.sessions() as s:
        add_patient(s, "p-new", now=NOW - timedelta(days=10), label="M. Neuf", language="fr")
        enrol(s, "p-new", world.team, now=NOW - timedelta(days=10))
        create_grant(
            s,
            "p-new",
            kinds=(Kind.WEIGHT, Kind.GLUCOSE),
            alerts=False,
            team_id=world.team,
            ends_at=NOW + timedelta(days=30),
            now=NOW - timedelta(days=10),
        )
        s.commit()
    world.store.write_batch(
        [
            reading("p-new", Kind.WEIGHT, NOW - timedelta(hours=h), {"weight_kg": 70.0})
            for h in (1, 25)
        ]
    )
    page = nurse.get("/team/patients/p-new").text
    assert page.count('class="chart"') == 1  # weight; no empty glucose chart
    assert "Glycémie : partagé, mais aucun appareil ni aucune mesure" in page
    assert "Tension" not in page  # not shared: not even named
