"""Issue 17, item 7, as decided in docs/security.md: an access code's downloads are the
patient's choice; a second break-glass in a row needs a justification the team lead
reads; an open break-glass shows the alert it was opened for."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sharing.identities import add_professional
from sharing.models import Professional
from sharing.terms import Role
from tests.web.conftest import signed_in
from tests.web.helpers import csrf
from tests.web.world import NOW, World, password
from veille.clock import ManualClock
from web.accounts import create_account

REASON = "chute à domicile, appel du SAMU"
WHY_AGAIN = "toujours hospitalisée, le SAMU rappelle pour ses glycémies"


def _code(app: FastAPI, *, downloads: bool) -> str:
    with signed_in(app, "p-amber") as patient:
        form = {"csrf": csrf(patient, "/me"), "kinds": ["weight"], "hours": "24", "label": "Dr B"}
        if downloads:
            form["downloads"] = "true"
        made = patient.post("/me/codes", data=form)
        assert made.status_code == 200, made.text
        found = re.search(r'id="new-code">([A-Z0-9-]+)<', made.text)
        assert found, made.text
        return found.group(1)


def _holder(app: FastAPI, code: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    client.get("/code")
    answer = client.post(
        "/code", data={"code": code, "name": "Dr B", "csrf": client.cookies["veille_csrf"]}
    )
    assert answer.status_code == 303, answer.text
    return client


def test_a_code_shows_charts_only_unless_the_patient_allows_downloads(app: FastAPI) -> None:
    charts_only = _holder(app, _code(app, downloads=False))
    assert charts_only.get("/code/patients/p-amber").status_code == 200
    assert charts_only.get("/api/v1/patients/p-amber/fhir").status_code == 403
    search = {"patient": "p-amber", "code": "29463-7"}
    assert charts_only.get("/api/v1/fhir/Observation", params=search).status_code == 403
    downloads = _holder(app, _code(app, downloads=True))
    assert downloads.get("/api/v1/patients/p-amber/fhir").status_code == 200
    with signed_in(app, "p-amber") as patient:
        page = patient.get("/me").text
        assert "graphiques seulement" in page
        assert "graphiques et téléchargement" in page


def _open(client: TestClient, patient: str, **form: str) -> int:
    token = csrf(client, "/team/alerts")
    answer = client.post(f"/team/patients/{patient}/break-glass", data={"csrf": token, **form})
    status: int = answer.status_code
    return status


def _team_lead(app: FastAPI, world: World) -> TestClient:
    with world.sessions() as s:
        team = s.get(Professional, world.nurse)
        assert team is not None
        lead = add_professional(s, "Mme Cadre", Role.CARE_TEAM_ADMIN, team_id=team.team_id)
        create_account(s, "cadre", password("cadre"), now=NOW, professional_id=lead.id)
        s.commit()
    return signed_in(app, "cadre")


def test_a_second_break_glass_in_a_row_needs_a_justification_the_team_lead_reads(
    app: FastAPI, nurse: TestClient, physician: TestClient, world: World, clock: ManualClock
) -> None:
    assert _open(nurse, "p-green", reason=REASON) == 303
    clock.advance(timedelta(hours=4, minutes=30))  # the first one has expired
    assert "justification" in physician.get("/team/patients/p-green/break-glass").text
    assert _open(physician, "p-green", reason=REASON) == 422
    assert _open(physician, "p-green", reason=REASON, justification="encore") == 422
    assert _open(physician, "p-green", reason=REASON, justification=WHY_AGAIN) == 303
    lead = _team_lead(app, world)
    review = lead.get("/team/break-glass")
    assert review.status_code == 200
    assert WHY_AGAIN in review.text
    assert review.text.count(REASON) == 2
    assert nurse.get("/team/break-glass").status_code == 403
    with signed_in(app, "p-green") as patient:
        assert WHY_AGAIN in patient.get("/me/audit").text  # the patient reads it too
    clock.advance(timedelta(hours=30))  # a day after the last one ended: a fresh emergency
    with signed_in(app, "claire") as nurse_next_day:
        assert _open(nurse_next_day, "p-green", reason=REASON) == 303


def test_an_open_break_glass_shows_the_alert_of_an_unshared_kind(
    nurse: TestClient, world: World
) -> None:
    """p-green shares only weight, without alerts; its urgent glucose alert is why."""
    shown = f'data-alert="{world.alerts["green_glucose"]}"'
    before = nurse.get("/team/patients/p-green")
    assert before.status_code == 200
    assert shown not in before.text
    assert _open(nurse, "p-green", reason=REASON) == 303
    during = nurse.get("/team/patients/p-green").text
    assert shown in during
    assert "toutes les mesures et alertes de ce patient sont visibles" in during
