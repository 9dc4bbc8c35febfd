"""Alerts reach only whom the patient shares with; device problems reach the patient."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.engine import Engine
from alerts.notify.directory import SharingDirectory, device_problem_of
from alerts.notify.dispatch import Address, Dispatcher
from alerts.notify.webhook import WebhookChannel
from alerts.ruleset import load_rules
from alerts.sqlstore import SqlAlertStore
from devices.reading import Kind
from sharing.grants import create_grant, revoke_grant
from sharing.identities import add_patient, add_professional, add_team
from sharing.models import PatientNotification
from tests.alerts.conftest import wire
from tests.alerts.servers import http_receiver
from veille.db import create_schema, make_engine, session_factory, transaction

SECRET = b"0123456789abcdef-test-secret"


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    db = make_engine(f"sqlite:///{tmp_path}/veille.db")
    create_schema(db)
    return session_factory(db)


def test_alerts_follow_grants_and_device_problems_go_to_the_patient(
    sessions: sessionmaker[Session], t0: datetime
) -> None:
    with transaction(sessions) as session:
        add_patient(session, "p-1", now=t0, language="en")
        team = add_team(session, "Cardio", quiet_start=time(22), quiet_end=time(7))
        nurse = add_professional(session, "N. One", "nurse", team_id=team.id, on_call_order=1)
        backup = add_professional(session, "N. Two", "nurse", team_id=team.id, on_call_order=2)
        grant = create_grant(
            session,
            "p-1",
            kinds=[Kind.BLOOD_PRESSURE],
            alerts=True,
            ends_at=t0 + timedelta(days=90),
            now=t0,
            team_id=team.id,
        )
        team_id, nurse_id, backup_id, grant_id = team.id, nurse.id, backup.id, grant.id
    with http_receiver() as hook:
        contacts = {
            f"team:{team_id}": [Address("webhook", hook.url + "/team")],
            f"professional:{nurse_id}": [Address("webhook", hook.url + "/nurse")],
            f"professional:{backup_id}": [Address("webhook", hook.url + "/backup")],
            "patient:p-1": [Address("webhook", hook.url + "/patient")],
        }
        dispatcher = Dispatcher(
            sessions, {"webhook": WebhookChannel(SECRET)}, SharingDirectory(contacts), link="x"
        )
        engine = Engine(load_rules(), store=SqlAlertStore(sessions))

        def reading(at: datetime, **kwargs: object) -> int:
            changes = engine.on_reading(wire(at=at, **kwargs), at)  # type: ignore[arg-type]
            count = dispatcher.enqueue(changes, at)
            dispatcher.deliver_due(at)
            return count

        # glucose is not shared with the team: nobody hears of it
        assert reading(t0, kind=Kind.GLUCOSE, glucose_mmol_l=2.5) == 0
        # blood pressure is: the team's address and the first on call
        assert reading(t0, kind=Kind.BLOOD_PRESSURE, systolic_mmhg=192, diastolic_mmhg=100) == 2
        assert sorted(r.path for r in hook.requests) == ["/hook/nurse", "/hook/team"]
        assert dispatcher.escalate(t0 + timedelta(minutes=16)) == 1
        dispatcher.deliver_due(t0 + timedelta(minutes=16))
        assert hook.requests[-1].path == "/hook/backup"
        # a loose cuff: to the patient only, and a notice in the patient's language
        hook.requests.clear()
        later = t0 + timedelta(hours=1)
        assert (
            reading(
                later,
                kind=Kind.BLOOD_PRESSURE,
                flags=("cuff_loose",),
                systolic_mmhg=80,
                diastolic_mmhg=50,
            )
            == 1
        )
        assert [r.path for r in hook.requests] == ["/hook/patient"]
        # revoked: the next alert reaches nobody
        with transaction(sessions) as session:
            revoke_grant(session, grant_id, patient_id="p-1", now=later)
        assert (
            reading(
                later + timedelta(days=5),
                kind=Kind.BLOOD_PRESSURE,
                systolic_mmhg=60,
                diastolic_mmhg=40,
            )
            == 0
        )
    with sessions() as session:
        notices = session.scalars(select(PatientNotification)).all()
    assert [n.topic for n in notices] == ["notify.check_device"]


def test_device_problem_message_round_trip() -> None:
    assert device_problem_of(
        "device_problem: check the x device (flag: cuff_loose,body_movement)"
    ) == (
        "flag",
        ["cuff_loose", "body_movement"],
    )
    assert device_problem_of("device_problem: check (other_person: weight_kg differs)") == (
        "other_person",
        [],
    )
