"""The patient's sharing page: notices marked read and counted, grants extended or refused."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sharing.audit import local_time
from sharing.breakglass import open_break_glass
from sharing.notifications import notify
from sharing.terms import Language
from tests.web.conftest import signed_in
from tests.web.helpers import audit, csrf
from tests.web.world import NOW, World
from web.words import Words

ZONE = "Europe/Paris"  # the world's patients live there (sharing's default)
TODAY = local_time(NOW, ZONE)[:10]


def _shown(moment: datetime) -> str:
    """A time in the grants table: the patient's zone (named in the heading), French."""
    return Words(Language.FR, ZoneInfo(ZONE)).when(moment, zone=False)


def _unread_count(page: str) -> str:
    match = re.search(r'<span id="unread-count"[^>]*>([^<]*)</span>', page)
    assert match, "no unread count on the page"
    return match.group(1)


def _notices(page: str) -> dict[str, str]:
    """notice id -> its class (unread or read)."""
    return dict(re.findall(r'<li data-notice="(\d+)" class="(\w+)"', page))


def _grant_row(page: str, grant: str) -> str:
    match = re.search(rf'<tr data-grant="{grant}".*?</tr>', page, re.S)
    assert match, f"no row for grant {grant}"
    return match.group(0)


def _only_grant(page: str) -> str:
    grants: list[str] = re.findall(r'<tr data-grant="(\d+)"', page)
    assert len(grants) == 1, grants
    return grants[0]


def _break_glass(world: World, patient: str) -> None:
    with world.sessions() as s:
        open_break_glass(s, world.nurse, patient, "chute à domicile", now=NOW - timedelta(hours=1))
        s.commit()


def test_unread_notice_is_marked_counted_then_marked_read_and_logged(
    app: FastAPI, nurse: TestClient, world: World
) -> None:
    token = csrf(nurse, "/team/alerts")
    opened = nurse.post(
        "/team/patients/p-green/break-glass", data={"csrf": token, "reason": "chute, SAMU"}
    )
    assert opened.status_code == 303
    with signed_in(app, "p-green") as patient:
        page = patient.get("/me").text
        assert _unread_count(page) == "1 non lu(s)"
        [(notice, state)] = _notices(page).items()
        assert state == "unread"
        assert "Nouveau" in page
        assert "chute, SAMU" in page

        form = {"csrf": csrf(patient, "/me"), "ids": notice}
        assert patient.post("/me/notices/read", data={"ids": notice}).status_code == 403  # CSRF
        done = patient.post("/me/notices/read", data=form)
        assert done.status_code == 303
        assert done.headers["location"] == "/me#notices"

        page = patient.get("/me").text
        assert _unread_count(page) == "0 non lu(s)"
        assert _notices(page) == {notice: "read"}
        assert "Marquer comme lu" not in page
        assert "Vous avez marqué 1 message(s) comme lu(s)." in patient.get("/me/audit").text
        assert patient.post("/me/notices/read", data=form).status_code == 303  # again: no-op
    assert [e.event for e in audit(world, "p-green")].count("notices_read") == 1


def test_mark_all_read_in_english_and_another_patients_ids_change_nothing(
    app: FastAPI, red_patient: TestClient, world: World
) -> None:
    _break_glass(world, "p-green")
    with world.sessions() as s:
        notify(s, "p-green", "notify.code_redeemed", {"when": "hier", "who": "Dr X"}, now=NOW)
        s.commit()
    with signed_in(app, "p-green") as patient:
        patient.get("/lang/en", params={"next": "/me"})
        page = patient.get("/me").text
        assert _unread_count(page) == "2 unread"
        ids = list(_notices(page))
        assert page.count('class="new"') == 2

        stolen = red_patient.post(
            "/me/notices/read", data={"csrf": csrf(red_patient, "/me"), "ids": ids}
        )
        assert stolen.status_code == 303
        assert _unread_count(patient.get("/me").text) == "2 unread"

        everything = {"csrf": csrf(patient, "/me"), "ids": ids}
        assert "Mark all as read" in page
        assert patient.post("/me/notices/read", data=everything).status_code == 303
        page = patient.get("/me").text
        assert _unread_count(page) == "0 unread"
        assert set(_notices(page).values()) == {"read"}
        assert "You marked 2 message(s) as read." in patient.get("/me/audit").text


def test_patient_extends_a_grant_and_reads_the_new_end_date(
    red_patient: TestClient, world: World
) -> None:
    page = red_patient.get("/me").text
    grant = _only_grant(page)
    old_end = _shown(NOW + timedelta(days=200))
    assert old_end in _grant_row(page, grant)
    new_end = NOW + timedelta(days=300)
    extended = red_patient.post(
        f"/me/grants/{grant}/renew",
        data={"csrf": csrf(red_patient, "/me"), "ends_on": local_time(new_end, ZONE)[:10]},
    )
    assert extended.status_code == 303
    row = _grant_row(red_patient.get("/me").text, grant)
    assert _shown(new_end) in row
    assert old_end not in row
    renewed = [e for e in audit(world, "p-red") if e.event == "grant_renewed"]
    assert [e.until for e in renewed] == [new_end]
    log = html.unescape(red_patient.get("/me/audit").text)
    until = local_time(new_end, ZONE)
    assert f"Vous avez prolongé le partage avec l'équipe « Cardiologie » jusqu'au {until}." in log


def test_extension_past_366_days_is_refused_with_a_clear_message(
    app: FastAPI, red_patient: TestClient, world: World
) -> None:
    page = red_patient.get("/me").text
    grant = _only_grant(page)
    assert 'max="' + local_time(NOW + timedelta(days=366), ZONE)[:10] + '"' in page
    at_most = local_time(NOW + timedelta(days=366), ZONE)[:10]
    too_far = local_time(NOW + timedelta(days=367), ZONE)[:10]
    token = csrf(red_patient, "/me")
    refused = red_patient.post(
        f"/me/grants/{grant}/renew", data={"csrf": token, "ends_on": too_far}
    )
    assert refused.status_code == 422
    assert "au plus 366 jours" in refused.text
    assert 'role="alert"' in refused.text
    past = red_patient.post(f"/me/grants/{grant}/renew", data={"csrf": token, "ends_on": TODAY})
    assert past.status_code == 422
    assert "après aujourd'hui" in html.unescape(past.text)
    assert _shown(NOW + timedelta(days=200)) in _grant_row(refused.text, grant)
    assert not [e for e in audit(world, "p-red") if e.event == "grant_renewed"]

    red_patient.get("/lang/en", params={"next": "/me"})
    english = red_patient.post(
        f"/me/grants/{grant}/renew", data={"csrf": token, "ends_on": too_far}
    )
    assert "at most 366 days away" in english.text
    longest = red_patient.post(
        f"/me/grants/{grant}/renew", data={"csrf": token, "ends_on": at_most}
    )
    assert longest.status_code == 303


def test_revoked_grant_cannot_be_extended_and_others_grants_are_not_found(
    red_patient: TestClient, app: FastAPI
) -> None:
    grant = _only_grant(red_patient.get("/me").text)
    token = csrf(red_patient, "/me")
    red_patient.post(f"/me/grants/{grant}/revoke", data={"csrf": token})
    row = _grant_row(red_patient.get("/me").text, grant)
    assert "Prolonger" not in row  # no button for a stopped grant
    later = local_time(NOW + timedelta(days=30), ZONE)[:10]
    refused = red_patient.post(f"/me/grants/{grant}/renew", data={"csrf": token, "ends_on": later})
    assert refused.status_code == 422
    assert "Ce partage a été arrêté : il ne peut plus être prolongé." in refused.text
    assert 'data-status="revoked"' in _grant_row(refused.text, grant)

    with signed_in(app, "p-amber") as other:
        stolen = other.post(
            f"/me/grants/{grant}/renew", data={"csrf": csrf(other, "/me"), "ends_on": later}
        )
        assert stolen.status_code == 404
