"""The care team's and the patient's pages with oximetry and temperature, in words and units."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerts.lifecycle import AlertRecord, Transition
from alerts.ruleset import load_rules
from alerts.sqlstore import persist
from alerts.terms import Category, Change, Severity, Status
from devices.reading import Kind
from sharing.grants import create_grant
from sharing.terms import Language
from tests.web.conftest import signed_in
from tests.web.helpers import csrf
from tests.web.world import NOW, World, reading
from web.targets_form import target_forms
from web.words.catalogue import category_name


def _share_and_measure(world: World) -> None:
    """p-amber shares saturation and temperature with the team and measures both."""
    with world.sessions() as s:
        create_grant(
            s,
            "p-amber",
            kinds=[Kind.SPO2, Kind.TEMPERATURE],
            alerts=True,
            team_id=world.team,
            ends_at=NOW + timedelta(days=30),
            now=NOW - timedelta(days=10),
        )
        low = AlertRecord(
            id=uuid.uuid4().hex,
            patient="p-amber",
            category=Category.LOW_SPO2,
            kind=Kind.SPO2_CONTINUOUS,
            severity=Severity.URGENT,
            status=Status.OPEN,
            opened_at=NOW - timedelta(hours=6),
            updated_at=NOW - timedelta(hours=6),
            message="low_spo2: spo2_pct=86.0 < 88 on 3 readings",
            magnitude=-86.0,
            rule="spo2_continuous_very_low",
            rules_version="test",
        )
        persist(s, [Transition(low, Change.OPENED, low.opened_at)])
        s.commit()
    batch = []
    for day in range(6):
        at = NOW - timedelta(days=day, hours=2)
        spo2: dict[str, float | None] = {"spo2_pct": 95.0 - (day == 0) * 4, "pulse_bpm": 78.0}
        batch.append(reading("p-amber", Kind.SPO2, at, spo2))
        temp: dict[str, float | None] = {"temperature_c": 36.8 + (day == 0) * 1.8}
        batch.append(reading("p-amber", Kind.TEMPERATURE, at + timedelta(minutes=5), temp))
    batch.append(
        reading(
            "p-amber",
            Kind.SPO2,
            NOW - timedelta(days=1, hours=5),
            {"spo2_pct": 72.0, "pulse_bpm": 70.0},
            ["sensor_displaced", "validated_data"],
        )
    )
    night = NOW - timedelta(hours=7)
    batch += [
        reading("p-amber", Kind.SPO2_CONTINUOUS, night + timedelta(minutes=m), {"spo2_pct": 86.0})
        for m in range(0, 30, 5)
    ]
    world.store.write_batch(batch)


def test_triage_names_the_new_values_and_the_alert(nurse: TestClient, world: World) -> None:
    _share_and_measure(world)
    page = nurse.get("/team").text
    row = re.search(r'<tr class="[a-z]+" data-patient="p-amber".*?</tr>', page, re.S)
    assert row
    assert 'data-level="urgent"' in row.group(0)
    assert "SpO₂ 91 % · pouls 78 /min" in row.group(0)
    assert "38,6 °C" in row.group(0)  # the French decimal comma


def test_patient_page_charts_the_new_kinds_with_their_bands(
    nurse: TestClient, world: World
) -> None:
    _share_and_measure(world)
    page = nurse.get("/team/patients/p-amber", params={"days": 7}).text
    for kind in ("spo2", "spo2_continuous", "temperature"):
        assert f'id="chart-{kind}"' in page, kind
        assert f"/team/patients/p-amber/readings/{kind}?days=7" in page
    assert "Saturation en oxygène" in page
    assert "(%)" in page
    assert "(°C)" in page
    assert category_name("low_spo2", Language.FR) in page  # the alert, in words


def test_readings_table_leads_with_saturation_and_says_the_flags(
    nurse: TestClient, world: World
) -> None:
    _share_and_measure(world)
    page = nurse.get("/team/patients/p-amber/readings/spo2", params={"days": 7}).text
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headers[1:3] == ["Saturation en oxygène (%)", "Pouls (/min)"]
    assert "le capteur avait glissé" in page
    assert "mesure validée" in page
    assert "sensor_displaced" not in page
    temperature = nurse.get("/team/patients/p-amber/readings/temperature", params={"days": 7})
    assert "Température" in temperature.text
    assert "°C" in temperature.text


def test_the_team_does_not_see_what_is_not_shared(nurse: TestClient, world: World) -> None:
    world.store.write_batch(
        [reading("p-green", Kind.TEMPERATURE, NOW - timedelta(hours=1), {"temperature_c": 39.9})]
    )
    page = nurse.get("/team").text
    row = re.search(r'<tr class="[a-z]+" data-patient="p-green".*?</tr>', page, re.S)
    assert row
    assert "°C" not in row.group(0)
    assert nurse.get("/team/patients/p-green/readings/temperature").status_code == 403


def test_the_patient_sees_the_values_and_shares_saturation(app: FastAPI, world: World) -> None:
    _share_and_measure(world)
    with signed_in(app, "p-amber") as patient:
        home = patient.get("/me").text
        assert "saturation en oxygène" in home.lower()
        assert 'id="share-spo2"' in home
        assert 'id="share-temperature"' in home
        assert 'id="share-spo2_continuous"' not in home  # shared with its choice


def test_a_patient_shares_saturation_with_one_professional(app: FastAPI, world: World) -> None:
    """p-other (another team) shares saturation with Dr Martin: the night oximeter too,
    and nothing else."""
    with signed_in(app, "p-other") as patient:
        token = csrf(patient, "/me")
        done = patient.post(
            "/me/grants",
            data={
                "csrf": token,
                "recipient": f"pro:{world.physician}",
                "kinds": ["spo2"],
                "days": "30",
            },
        )
        assert done.status_code == 303
        listed = patient.get("/me").text
        assert re.search(r"<td>Dr Martin</td><td>saturation en oxygène[ <(]", listed)
    with signed_in(app, "martin") as physician:
        for kind in ("spo2", "spo2_continuous"):
            assert physician.get(f"/api/v1/patients/p-other/readings/{kind}").status_code == 200
        assert physician.get("/api/v1/patients/p-other/readings/temperature").status_code == 403


@pytest.mark.parametrize("lang", list(Language))
def test_every_alert_category_has_words(lang: Language) -> None:
    for category in Category:
        words = category_name(category.value, lang)
        assert words
        assert "_" not in words


def test_the_targets_editor_offers_the_oximeter_s_rules_and_its_pulse() -> None:
    forms = {f.rule: f for f in target_forms(load_rules(), frozenset({Kind.SPO2}), Language.FR)}
    assert {"spo2_low", "spo2_very_low", "pulse_high_confirmed"} <= set(forms)
    assert forms["pulse_high_confirmed"].kind is Kind.SPO2  # shown with the oximeter
    assert "fever_confirmed" not in forms
    assert forms["spo2_low"].legend == "Désaturation · à surveiller"
    both = target_forms(load_rules(), frozenset({Kind.SPO2, Kind.BLOOD_PRESSURE}), Language.EN)
    assert [f.kind for f in both if f.rule == "pulse_high_confirmed"] == [Kind.BLOOD_PRESSURE]


def test_the_consultation_summary_reports_saturation_and_temperature(
    nurse: TestClient, world: World
) -> None:
    _share_and_measure(world)
    text = nurse.get("/team/patients/p-amber/summary").text
    spo2 = re.search(r'data-kind="spo2".*?</table>', text, re.S)
    assert spo2 is not None
    assert "Saturation en oxygène (%)" in spo2.group(0)
    assert "Pouls (/min)" in spo2.group(0)
    temperature = re.search(r'data-kind="temperature".*?</table>', text, re.S)
    assert temperature is not None
    assert "Température (°C)" in temperature.group(0)
    assert category_name("low_spo2", Language.FR) in text  # the alert of the period, in words
