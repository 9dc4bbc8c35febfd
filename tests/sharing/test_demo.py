"""The demo world: varied choices, so the demo shows that sharing decides."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import Kind
from sharing.access import authorize
from sharing.capability import ProfessionalUser
from sharing.demo import seed_demo
from sharing.identities import on_call, team_patients
from sharing.recipients import alert_recipients
from sharing.terms import Purpose, RecipientType
from tests.sharing.conftest import NOW, later
from veille.errors import NotAllowed

PATIENTS = ["p-0001", "p-0002", "p-0003", "p-0004"]


def test_demo_world_is_varied_and_idempotent(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        first = seed_demo(s, PATIENTS, now=NOW)
        s.commit()
        again = seed_demo(s, PATIENTS, now=NOW)  # a second demo start adds nothing
        s.commit()
        assert first == again
        assert [p.id for p in team_patients(s, first.team_id)] == PATIENTS
        assert [p.id for p in on_call(s, first.team_id)] == [first.nurse_id, first.physician_id]
        t = later(hours=1)
        teams = [
            [r.type for r in alert_recipients(s, pid, Kind.GLUCOSE, t, audit=False)]
            for pid in PATIENTS
        ]
        assert teams == [[RecipientType.CARE_TEAM], [RecipientType.CARE_TEAM], [], []]
    nurse = ProfessionalUser(first.nurse_id)
    with factory() as s:
        assert authorize(s, nurse, "p-0003", None, Purpose.VIEW, later(hours=1)).kinds == {
            Kind.WEIGHT
        }
    with factory() as s, pytest.raises(NotAllowed):
        authorize(s, nurse, "p-0004", Kind.WEIGHT, Purpose.VIEW, later(hours=1))
