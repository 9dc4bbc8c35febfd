"""Low saturation, fever and an oximeter's device problem reach whom the patient chose."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.engine import Engine
from alerts.notify.directory import SharingDirectory
from alerts.notify.dispatch import Address, Dispatcher
from alerts.notify.webhook import WebhookChannel
from alerts.ruleset import load_rules
from alerts.sqlstore import SqlAlertStore
from devices.reading import Kind
from sharing.grants import create_grant
from sharing.identities import add_patient, add_professional, add_team
from sharing.models import PatientNotification
from sharing.notifications import notifications_for_patient
from sharing.terms import Language
from tests.alerts.conftest import wire
from tests.alerts.servers import http_receiver
from veille.db import create_schema, make_engine, session_factory, transaction

SECRET = b"0123456789abcdef-test-secret"


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    db = make_engine(f"sqlite:///{tmp_path}/veille.db")
    create_schema(db)
    return session_factory(db)


def test_new_kinds_follow_the_grants(sessions: sessionmaker[Session], t0: datetime) -> None:
    with transaction(sessions) as session:
        add_patient(session, "p-1", now=t0, language="fr")
        team = add_team(session, "Pneumologie")
        nurse = add_professional(session, "N. One", "nurse", team_id=team.id, on_call_order=1)
        create_grant(
            session,
            "p-1",
            kinds=[Kind.SPO2],  # saturation only, not temperature
            alerts=True,
            ends_at=t0 + timedelta(days=90),
            now=t0,
            team_id=team.id,
        )
        team_id, nurse_id = team.id, nurse.id
    with http_receiver() as hook:
        contacts = {
            f"team:{team_id}": [Address("webhook", hook.url + "/team")],
            f"professional:{nurse_id}": [Address("webhook", hook.url + "/nurse")],
            "patient:p-1": [Address("webhook", hook.url + "/patient")],
        }
        dispatcher = Dispatcher(
            sessions, {"webhook": WebhookChannel(SECRET)}, SharingDirectory(contacts), link="x"
        )
        engine = Engine(load_rules(), store=SqlAlertStore(sessions))

        def deliver(kind: Kind, at: datetime, **kwargs: Any) -> list[str]:
            hook.requests.clear()
            changes = engine.on_reading(wire(kind, at, **kwargs), at)
            dispatcher.enqueue(changes, at)
            dispatcher.deliver_due(at)
            return sorted(r.path for r in hook.requests)

        # a fever: temperature is not shared, nobody hears of it
        assert deliver(Kind.TEMPERATURE, t0, temperature_c=39.8) == []
        # a saturation of 86 % on a spot check: urgent, to the team and the first on call
        later = t0 + timedelta(hours=1)
        assert deliver(Kind.SPO2, later, spo2_pct=86, pulse_bpm=90) == [
            "/hook/nurse",
            "/hook/team",
        ]
        # the night oximeter is shared with the saturation: its urgent alert goes too
        night = t0 + timedelta(hours=14)
        for minute in (0, 5):
            assert (
                deliver(Kind.SPO2_CONTINUOUS, night + timedelta(minutes=minute), spo2_pct=85) == []
            )
        assert deliver(Kind.SPO2_CONTINUOUS, night + timedelta(minutes=10), spo2_pct=85) == [
            "/hook/nurse",
            "/hook/team",
        ]
        # a displaced sensor: to the patient only, never the team
        assert deliver(
            Kind.SPO2,
            night + timedelta(hours=8),
            flags=("sensor_displaced",),
            spo2_pct=70,
            pulse_bpm=60,
        ) == ["/hook/patient"]
    with sessions() as session:
        topics = session.scalars(select(PatientNotification.topic)).all()
        shown = notifications_for_patient(session, "p-1", lang=Language.FR)
    assert topics == ["notify.check_device"]
    assert "le capteur avait glissé" in shown[0].text
    assert "oxymètre" in shown[0].text
