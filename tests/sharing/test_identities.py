"""Identities: pseudonymous patients, teams with quiet hours, enrolment that shares nothing."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sharing.errors import InvalidRequest
from sharing.identities import (
    add_patient,
    enrol,
    is_enrolled,
    patient_teams,
    set_quiet_hours,
    team_patients,
    unenrol,
    update_patient,
)
from sharing.models import CareTeam, Patient
from tests.sharing.conftest import NOW, World, later


def test_patient_settings_and_their_checks(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        update_patient(
            s, world.alice, label="Mme A. (ch. 12)", language="en", time_zone="America/Cayenne"
        )
        s.commit()
    with factory() as s:
        alice = s.get(Patient, world.alice)
        assert alice is not None
        assert (alice.label, alice.language, alice.time_zone) == (
            "Mme A. (ch. 12)",
            "en",
            "America/Cayenne",
        )
        assert alice.created_at == NOW
        with pytest.raises(InvalidRequest, match="IANA"):
            update_patient(s, world.alice, time_zone="Paris")
        with pytest.raises(InvalidRequest, match="fr or en"):
            update_patient(s, world.alice, language="de")
        with pytest.raises(InvalidRequest, match="fr or en"):
            add_patient(s, "p-new", now=NOW, language="de")
        for not_an_id in ("Marie Dupont", "", "p-" + "x" * 63, "1 85 12 75 108 042 33"):
            with pytest.raises(InvalidRequest, match="is not pseudonymous"):
                add_patient(s, not_an_id, now=NOW)
        with pytest.raises(InvalidRequest, match="unknown patient"):
            update_patient(s, "p-nope", label="x")


def test_quiet_hours_across_midnight(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        set_quiet_hours(s, world.cardio, time(21, 0), time(7, 30))
        s.commit()
        with pytest.raises(InvalidRequest, match="both ends"):
            set_quiet_hours(s, world.cardio, time(21, 0), None)
    with factory() as s:
        team = s.get(CareTeam, world.cardio)
        assert team is not None
        assert (team.quiet_start, team.quiet_end, team.time_zone) == (
            time(21, 0),
            time(7, 30),
            "Europe/Paris",
        )


def test_enrolment_comes_and_goes(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        assert [p.id for p in team_patients(s, world.cardio)] == [world.alice, world.bob]
        assert [t.name for t in patient_teams(s, world.alice)] == ["Cardiologie Nord"]
        unenrol(s, world.alice, world.cardio, now=later(days=1))
        assert not is_enrolled(s, world.alice, world.cardio)
        assert [p.id for p in team_patients(s, world.cardio)] == [world.bob]
        assert enrol(s, world.alice, world.cardio, now=later(days=2)).enrolled_at == later(days=2)
        assert is_enrolled(s, world.alice, world.cardio)
        # enrolling an enrolled patient again keeps the date the follow-up began
        assert enrol(s, world.bob, world.cardio, now=later(days=3)).enrolled_at == NOW
        assert not is_enrolled(s, world.alice, None)
