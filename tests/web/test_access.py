"""Every "not allowed" path: 403 (never a hint of the data), and the attempt audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sharing.models import Grant
from tests.web.conftest import signed_in
from tests.web.helpers import audit, csrf, last_refusal
from tests.web.world import World
from veille.clock import ManualClock

RED_PAGES = [
    "/team/patients/p-red",
    "/team/patients/p-red/readings/glucose",
    "/api/v1/patients/p-red/readings/glucose",
    "/api/v1/patients/p-red/alerts",
    "/api/v1/patients/p-red/fhir",
    "/api/v1/fhir/Observation?patient=p-red",
]


def _grant_id(world: World, patient: str) -> int:
    with world.sessions() as s:
        return s.scalars(select(Grant.id).where(Grant.patient_id == patient)).one()


@pytest.mark.parametrize("url", RED_PAGES)
def test_nurse_of_the_team_reads_and_is_audited(nurse: TestClient, world: World, url: str) -> None:
    before = len(audit(world, "p-red"))
    response = nurse.get(url)
    assert response.status_code == 200
    rows = audit(world, "p-red")[before:]
    assert rows
    assert rows[-1].result == "allowed"
    assert rows[-1].actor_label == "Claire (IDE)"


@pytest.mark.parametrize("url", RED_PAGES)
def test_other_teams_nurse_gets_403_nothing_leaked_and_audited(
    stranger: TestClient, world: World, url: str
) -> None:
    response = stranger.get(url)
    assert response.status_code == 403
    assert "Rouge" not in response.text
    assert "2.6" not in response.text
    refusal = last_refusal(world, "p-red")
    assert refusal.reason == "no_grant"
    assert refusal.actor_label == "Sam (IDE)"


def test_other_teams_patient_is_403_for_the_nurse(nurse: TestClient, world: World) -> None:
    assert nurse.get("/team/patients/p-other").status_code == 403
    assert nurse.get("/api/v1/patients/p-other/readings/weight").status_code == 403
    assert last_refusal(world, "p-other").reason == "no_grant"


def test_unknown_patient_answers_like_a_refusal(nurse: TestClient, stranger: TestClient) -> None:
    unknown = nurse.get("/api/v1/patients/p-nobody/readings/weight")
    refused = stranger.get("/api/v1/patients/p-red/readings/weight")
    assert unknown.status_code == refused.status_code == 403
    assert unknown.json() == refused.json()


def test_kind_not_shared_is_403_and_the_shared_one_is_not(nurse: TestClient, world: World) -> None:
    assert nurse.get("/api/v1/patients/p-green/readings/weight").status_code == 200
    assert nurse.get("/api/v1/patients/p-green/readings/glucose").status_code == 403
    assert last_refusal(world, "p-green").reason == "kind_not_granted"
    page = nurse.get("/team/patients/p-green")
    assert page.status_code == 200
    assert "readings/glucose" not in page.text
    assert "readings/weight" in page.text


def test_revoked_grant_is_403_at_once(app: FastAPI, nurse: TestClient, world: World) -> None:
    assert nurse.get("/api/v1/patients/p-amber/readings/weight").status_code == 200
    with signed_in(app, "p-amber") as patient:
        grant = _grant_id(world, "p-amber")
        token = csrf(patient, "/me")
        done = patient.post(f"/me/grants/{grant}/revoke", data={"csrf": token})
        assert done.status_code == 303
    response = nurse.get("/api/v1/patients/p-amber/readings/weight")
    assert response.status_code == 403
    assert last_refusal(world, "p-amber").reason == "revoked"
    triage = nurse.get("/api/v1/patients").json()
    assert "p-amber" not in {row["patient_id"] for row in triage}


def test_expired_grant_is_403(nurse: TestClient, world: World, clock: ManualClock) -> None:
    with world.sessions() as s:
        grant = s.get(Grant, _grant_id(world, "p-red"))
        assert grant is not None
        grant.ends_at = clock.now() + timedelta(hours=1)
        s.commit()
    assert nurse.get("/api/v1/patients/p-red/readings/weight").status_code == 200
    clock.advance(timedelta(hours=2))
    assert nurse.get("/api/v1/patients/p-red/readings/weight").status_code == 403
    assert last_refusal(world, "p-red").reason == "expired"


def test_patient_reading_another_patient_is_403_and_audited(
    red_patient: TestClient, world: World
) -> None:
    for url in (
        "/api/v1/patients/p-amber/readings/weight",
        "/api/v1/fhir/Observation?patient=p-amber",
        "/api/v1/patients/p-amber/fhir",
    ):
        response = red_patient.get(url)
        assert response.status_code == 403
        assert "80." not in response.text
    refusal = last_refusal(world, "p-amber")
    assert refusal.reason == "other_patient"
    assert refusal.actor_type == "patient"
    # and the professional pages are not theirs at all
    assert red_patient.get("/team").status_code == 403


def test_patient_cannot_revoke_someone_elses_grant(red_patient: TestClient, world: World) -> None:
    grant = _grant_id(world, "p-amber")
    token = csrf(red_patient, "/me")
    assert red_patient.post(f"/me/grants/{grant}/revoke", data={"csrf": token}).status_code == 404
    with world.sessions() as s:
        assert s.get(Grant, grant).revoked_at is None  # type: ignore[union-attr]


def _code(app: FastAPI, world: World, kinds: list[str]) -> str:
    import re

    with signed_in(app, "p-red") as patient:
        token = csrf(patient, "/me")
        page = patient.post(
            "/me/codes",
            data={"csrf": token, "kinds": kinds, "hours": "2", "label": "Dr Remplaçant"},
        )
        assert page.status_code == 200
        match = re.search(r'id="new-code">([A-Z0-9-]+)<', page.text)
        assert match
        return match.group(1)


def _redeem(app: FastAPI, code: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    client.get("/code")
    response = client.post(
        "/code", data={"code": code, "name": "Dr Remplaçant", "csrf": client.cookies["veille_csrf"]}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/code/patients/p-red"
    return client


def test_access_code_gives_read_only_view_of_one_patient_until_expiry(
    app: FastAPI, world: World, clock: ManualClock
) -> None:
    code = _code(app, world, ["weight"])
    with _redeem(app, code) as locum:
        view = locum.get("/code/patients/p-red")
        assert view.status_code == 200
        assert "<svg" in view.text
        assert locum.get("/api/v1/patients/p-red/readings/weight").status_code == 200
        assert locum.get("/api/v1/patients/p-red/readings/glucose").status_code == 403
        assert last_refusal(world, "p-red").reason == "kind_not_granted"
        assert locum.get("/code/patients/p-amber").status_code == 403
        assert last_refusal(world, "p-amber").reason == "other_patient"
        clock.advance(timedelta(hours=3))
        assert locum.get("/code/patients/p-red").status_code == 403
        assert last_refusal(world, "p-red").reason in {"code_expired", "code_session_expired"}


def test_expired_code_cannot_be_redeemed(app: FastAPI, world: World, clock: ManualClock) -> None:
    code = _code(app, world, ["weight"])
    clock.advance(timedelta(hours=3))
    client = TestClient(app, follow_redirects=False)
    client.get("/code")
    response = client.post(
        "/code", data={"code": code, "name": "X", "csrf": client.cookies["veille_csrf"]}
    )
    assert response.status_code == 403
    assert "veille_code" not in response.cookies
    assert last_refusal(world, "p-red").reason == "code_expired"


def test_revoked_code_ends_the_view_at_once(app: FastAPI, world: World) -> None:
    code = _code(app, world, ["weight", "glucose"])
    with _redeem(app, code) as locum:
        assert locum.get("/code/patients/p-red").status_code == 200
        with signed_in(app, "p-red") as patient:
            page = patient.get("/me")
            import re

            code_id = re.search(r'data-code="(\d+)"', page.text)
            assert code_id
            token = csrf(patient, "/me")
            patient.post(f"/me/codes/{code_id.group(1)}/revoke", data={"csrf": token})
        assert locum.get("/code/patients/p-red").status_code == 403
        assert last_refusal(world, "p-red").reason == "code_revoked"


def test_signed_out_gets_401_on_api_and_the_sign_in_page_on_pages(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    assert client.get("/api/v1/patients/p-red/readings/weight").status_code == 401
    page = client.get("/team/patients/p-red")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


def test_alert_of_a_kind_not_shared_cannot_be_acknowledged(nurse: TestClient, world: World) -> None:
    token = csrf(nurse, "/team/alerts")
    alert = world.alerts["green_glucose"]
    response = nurse.post(f"/team/alerts/{alert}/acknowledge", data={"csrf": token, "note": "x"})
    assert response.status_code == 403
    assert last_refusal(world, "p-green").reason == "kind_not_granted"


def test_other_teams_alert_cannot_be_acknowledged(stranger: TestClient, world: World) -> None:
    token = csrf(stranger, "/team/alerts")
    response = stranger.post(
        f"/team/alerts/{world.alerts['red']}/acknowledge", data={"csrf": token, "note": "x"}
    )
    assert response.status_code == 403
    from alerts.models import Alert

    with world.sessions() as s:
        assert s.get(Alert, world.alerts["red"]).status == "open"  # type: ignore[union-attr]


def test_break_glass_opens_everything_for_a_while_and_tells_the_patient(
    app: FastAPI, nurse: TestClient, world: World, clock: ManualClock
) -> None:
    assert nurse.get("/api/v1/patients/p-green/readings/glucose").status_code == 403
    refused = nurse.get("/team/patients/p-other")
    assert "/team/patients/p-other/break-glass" in refused.text
    token = csrf(nurse, "/team/alerts")
    short = nurse.post("/team/patients/p-green/break-glass", data={"csrf": token, "reason": "x"})
    assert short.status_code == 422
    reason = "chute à domicile, appel du SAMU"
    opened = nurse.post(
        "/team/patients/p-green/break-glass", data={"csrf": token, "reason": reason}
    )
    assert opened.status_code == 303
    assert nurse.get("/api/v1/patients/p-green/readings/glucose").status_code == 200
    with signed_in(app, "p-green") as patient:
        assert reason in patient.get("/me").text
        assert reason in patient.get("/me/audit").text
    clock.advance(timedelta(hours=5))
    nurse_again = signed_in(app, "claire")
    assert nurse_again.get("/api/v1/patients/p-green/readings/glucose").status_code == 403


def test_break_glass_outside_the_patients_teams_is_refused_and_audited(
    stranger: TestClient, world: World
) -> None:
    token = csrf(stranger, "/team/alerts")
    answer = stranger.post(
        "/team/patients/p-red/break-glass",
        data={"csrf": token, "reason": "je veux juste regarder"},
    )
    assert answer.status_code == 403
    assert last_refusal(world, "p-red").reason == "not_enrolled"
    assert stranger.get("/api/v1/patients/p-red/readings/weight").status_code == 403
