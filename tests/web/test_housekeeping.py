"""The web app runs sharing's daily job: a grant about to end is announced to the
patient without anyone scheduling `veille sharing daily`."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from sharing.models import PatientNotification
from tests.web.conftest import signed_in
from tests.web.world import NOW, SECRET, World
from veille.clock import ManualClock
from web.app import create_app
from web.settings import WebSettings

#: p-green's grant ends at NOW + 200 days: ten days before, it is ending soon.
TEN_DAYS_BEFORE_END = NOW + timedelta(days=190)


def _patient_page(world: World, tmp_path: Path, hours: float) -> str:
    settings = WebSettings(
        data_dir=tmp_path,
        secret_key=SecretStr(SECRET),
        cookie_secure=False,
        housekeeping_hours=hours,
    )
    app = create_app(
        settings,
        clock=ManualClock(TEN_DAYS_BEFORE_END),
        store=world.store,
        sessions=world.sessions,
    )
    with signed_in(app, "p-green") as client:  # the app starts (and its housekeeping)
        response = client.get("/me")
    assert response.status_code == 200
    return html.unescape(response.text)


def test_the_patient_reads_that_a_grant_ends_soon(world: World, tmp_path: Path) -> None:
    page = _patient_page(world, tmp_path, hours=1)
    assert "Votre partage (poids) avec Cardiologie se termine le" in page
    assert "prolongez-le" in page


def test_without_housekeeping_no_reminder_appears(world: World, tmp_path: Path) -> None:
    page = _patient_page(world, tmp_path, hours=0)
    assert "se termine le" not in page


def test_several_app_processes_remind_once(world: World, tmp_path: Path) -> None:
    """Web workers each run the job: the patient still gets one reminder."""
    for _ in range(2):
        _patient_page(world, tmp_path, hours=1)
    with world.sessions() as session:
        reminders = (
            session.query(PatientNotification)
            .filter_by(patient_id="p-green", topic="notify.grant_ending")
            .count()
        )
    assert reminders == 1
