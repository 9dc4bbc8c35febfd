"""Pages as a user reads them: triage order, charts, inbox actions, targets, patient pages."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from alerts.models import Alert, AlertEvent, AlertTarget
from tests.web.conftest import signed_in
from tests.web.helpers import audit, csrf
from tests.web.world import World


def _triage_order(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-patient="([^"]+)" data-level="([^"]+)"', html)


def test_triage_urgent_then_warning_then_silent_then_rest(nurse: TestClient) -> None:
    page = nurse.get("/team")
    assert page.status_code == 200
    assert _triage_order(page.text) == [
        ("p-red", "urgent"),
        ("p-amber", "warning"),
        ("p-silent", "stopped"),
        ("p-green", "ok"),  # its urgent glucose alert is on a kind it does not share
    ]
    assert "p-other" not in page.text
    assert page.text.count('class="spark"') == 3 * 3 + 1  # p-green shows weight only
    assert "2,6 mmol/L" in page.text  # the red patient's latest glucose, French decimals


def test_triage_api_has_latest_values_and_adherence(nurse: TestClient) -> None:
    rows = nurse.get("/api/v1/patients").json()
    red = rows[0]
    assert red["patient_id"] == "p-red"
    assert red["level"] == "urgent"
    assert red["adherence_pct"] == 100
    glucose = next(k for k in red["latest"] if k["kind"] == "glucose")
    assert glucose["metrics"]["glucose_mmol_l"] == 2.6
    silent = next(r for r in rows if r["patient_id"] == "p-silent")
    assert silent["adherence_pct"] < 70
    green = next(r for r in rows if r["patient_id"] == "p-green")
    assert [k["kind"] for k in green["latest"]] == ["weight"]


def test_triage_view_is_audited_once_per_quarter_hour(nurse: TestClient, world: World) -> None:
    nurse.get("/team")
    nurse.get("/team")
    triage_rows = [e for e in audit(world, "p-red") if e.purpose == "triage"]
    assert len(triage_rows) == 1


def test_patient_page_has_three_charts_with_bands_and_alert_marker(nurse: TestClient) -> None:
    page = nurse.get("/team/patients/p-red", params={"days": 7})
    assert page.status_code == 200
    assert page.text.count('class="chart"') == 3
    assert page.text.count('class="band"') == 3
    assert 'class="marker"' in page.text  # the hypoglycaemia alert on the glucose chart
    assert "Mme Rouge" in page.text
    assert "/team/patients/p-red/readings/glucose?days=7" in page.text
    assert nurse.get("/team/patients/p-red", params={"days": 12}).status_code == 422


def test_readings_table(nurse: TestClient) -> None:
    page = nurse.get("/team/patients/p-red/readings/glucose", params={"days": 7})
    assert page.status_code == 200
    assert page.text.count("<tr>") == 1 + 7 * 2 + 1  # header, twice a day, the low one
    assert '<td class="num">2,6</td>' in page.text  # a French page writes a decimal comma


def test_acknowledge_with_a_note_then_resolve_visible_to_the_team(
    nurse: TestClient, app: FastAPI, world: World
) -> None:
    alert = world.alerts["red"]
    token = csrf(nurse, "/team/alerts")
    done = nurse.post(
        f"/team/alerts/{alert}/acknowledge", data={"csrf": token, "note": "appelée, resucrée"}
    )
    assert done.status_code == 303
    with signed_in(app, "martin") as physician:
        inbox = physician.get("/team/alerts").text
        assert "appelée, resucrée" in inbox
        assert "vue par Claire (IDE)" in inbox
        token = csrf(physician, "/team/alerts")
        assert (
            physician.post(f"/team/alerts/{alert}/resolve", data={"csrf": token}).status_code == 303
        )
    with world.sessions() as s:
        row = s.get(Alert, alert)
        assert row is not None
        assert (row.status, row.acknowledged_by, row.ack_note) == (
            "resolved",
            "Claire (IDE)",
            "appelée, resucrée",
        )
        actors = s.scalars(select(AlertEvent.actor).where(AlertEvent.alert_id == alert)).all()
        assert list(actors)[-2:] == ["Claire (IDE)", "Dr Martin"]
    resolved = nurse.get("/team/alerts", params={"state": "resolved"}).text
    assert f'data-alert="{alert}"' in resolved
    assert f'data-alert="{alert}"' not in nurse.get("/team/alerts").text


def test_inbox_filters_by_severity(nurse: TestClient, world: World) -> None:
    urgent = nurse.get("/team/alerts", params={"severity": "urgent"}).text
    assert world.alerts["red"] in urgent
    assert world.alerts["amber"] not in urgent
    assert world.alerts["green_glucose"] not in urgent  # not shared with the team
    assert world.alerts["other"] not in nurse.get("/team/alerts").text


def test_api_acknowledge_needs_csrf_header(nurse: TestClient, world: World) -> None:
    alert = world.alerts["amber"]
    url = f"/api/v1/alerts/{alert}/acknowledge"
    assert nurse.post(url, json={"note": "vu"}).status_code == 403
    token = csrf(nurse, "/team/alerts")
    answer = nurse.post(url, json={"note": "vu"}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert answer.json()["status"] == "acknowledged"
    assert answer.json()["ack_note"] == "vu"


def test_physician_edits_targets_nurse_cannot(
    physician: TestClient, nurse: TestClient, world: World
) -> None:
    form = {"rule": "glucose_level1_hypo", "limits.glucose_mmol_l": "4,4", "reason": "elderly"}
    token = csrf(nurse, "/team/alerts")
    refused = nurse.post("/team/patients/p-red/targets", data={**form, "csrf": token})
    assert refused.status_code == 403
    token = csrf(physician, "/team/alerts")
    done = physician.post("/team/patients/p-red/targets", data={**form, "csrf": token})
    assert done.status_code == 303
    with world.sessions() as s:
        target = s.scalars(select(AlertTarget)).one()
        assert (target.patient_id, target.params, target.set_by) == (
            "p-red",
            {"limits": {"glucose_mmol_l": 4.4}},
            "Dr Martin",
        )
    page = physician.get("/team/patients/p-red").text
    assert 'value="4,4"' in page
    bad = physician.post(
        "/team/patients/p-red/targets",
        data={**form, "limits.glucose_mmol_l": "lots", "csrf": token},
    )
    assert bad.status_code == 422
    assert "Ce n&#39;est pas un nombre" in bad.text
    assert 'value="lots"' in bad.text  # the input is kept


def test_patient_home_in_french_by_default_and_english_by_browser(app: FastAPI) -> None:
    with signed_in(app, "p-red") as patient:
        page = patient.get("/me")
        assert '<html lang="fr">' in page.text
        assert "Qui peut voir quoi" in page.text
        english = patient.get("/me", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
        assert '<html lang="en">' in english.text
        assert "Who can see what" in english.text
        switched = patient.get("/lang/en", params={"next": "/me"})
        assert switched.headers["location"] == "/me"
        assert '<html lang="en">' in patient.get("/me").text
        assert patient.get("/lang/en", params={"next": "//evil.example"}).headers["location"] == "/"


def test_patient_home_shows_devices_values_grants(red_patient: TestClient) -> None:
    page = red_patient.get("/me").text
    assert "Cardiologie" in page
    assert page.count('data-status="active"') == 1
    assert "lecteur de glycémie" in page
    assert "2,6 mmol/L" in page


def test_patient_shares_a_kind_with_a_professional_then_stops(app: FastAPI, world: World) -> None:
    with signed_in(app, "p-other") as patient:
        token = csrf(patient, "/me")
        done = patient.post(
            "/me/grants",
            data={
                "csrf": token,
                "recipient": f"pro:{world.physician}",
                "kinds": ["weight"],
                "days": "30",
            },
        )
        assert done.status_code == 303
        with signed_in(app, "martin") as physician:
            assert physician.get("/api/v1/patients/p-other/readings/weight").status_code == 200
            assert physician.get("/api/v1/patients/p-other/readings/glucose").status_code == 403
            grant = re.search(
                r'data-grant="(\d+)" data-status="active"><td>Dr Martin', patient.get("/me").text
            )
            assert grant
            patient.post(f"/me/grants/{grant.group(1)}/revoke", data={"csrf": token})
            assert physician.get("/api/v1/patients/p-other/readings/weight").status_code == 403
        bad = patient.post(
            "/me/grants", data={"csrf": token, "recipient": "pro:999", "kinds": ["weight"]}
        )
        assert bad.status_code == 422


def test_who_looked_lists_reads_and_refusals(
    app: FastAPI, nurse: TestClient, stranger: TestClient
) -> None:
    nurse.get("/team/patients/p-red")
    stranger.get("/team/patients/p-red")
    with signed_in(app, "p-red") as patient:
        page = patient.get("/me/audit").text
        assert "Claire (IDE)" in page
        assert "Sam (IDE)" in page
        lines = patient.get("/api/v1/me/audit", headers={"Accept-Language": "en"}).json()
        assert any(line["result"] == "refused" and "Sam" in line["text"] for line in lines)


def test_download_all_my_data_as_json_lines(red_patient: TestClient, world: World) -> None:
    response = red_patient.get("/me/export.jsonl")
    lines = [json.loads(line) for line in response.text.splitlines()]
    expected = list(world.store.readings("p-red"))
    assert len(lines) == len(expected) == 30 * 2 * 3 + 1
    assert {line["patient"] for line in lines} == {"p-red"}
    assert lines[0]["schema"] == "veille.reading/1"
