"""Item 7 of issue 17 in sharing itself, on SQLite and PostgreSQL: a code's downloads,
break-glass in a row and its review, and break-glass covering every kind."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import Kind
from sharing.access import authorize
from sharing.breakglass import JustificationNeeded, open_break_glass, team_review
from sharing.capability import CodeBearer, ProfessionalUser
from sharing.terms import Purpose, Reason, Via
from tests.sharing.conftest import World, later, share
from tests.sharing.test_codes import new_code, redeem
from veille.errors import NotAllowed

WHY = "second call from the patient, still dizzy"


@pytest.mark.parametrize("purpose", [Purpose.FHIR, Purpose.EXPORT])
def test_a_code_downloads_only_when_the_patient_allowed_it(
    factory: sessionmaker[Session], world: World, purpose: Purpose
) -> None:
    charts = redeem(factory, new_code(factory, world.alice)).token
    files = redeem(factory, new_code(factory, world.alice, downloads=True)).token
    at = later(minutes=6)
    with factory() as s:
        authorize(s, CodeBearer(charts), world.alice, Kind.WEIGHT, Purpose.VIEW, at)
        with pytest.raises(NotAllowed) as refused:
            authorize(s, CodeBearer(charts), world.alice, Kind.WEIGHT, purpose, at)
        assert refused.value.reason == Reason.PURPOSE_NOT_ALLOWED
        allowed = authorize(s, CodeBearer(files), world.alice, Kind.WEIGHT, purpose, at)
        assert allowed.via is Via.CODE


def test_break_glass_in_a_row_needs_a_justification(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        first = open_break_glass(s, world.nurse, world.alice, "fall at home", now=later())
        with pytest.raises(JustificationNeeded):  # while the first is open, by a colleague
            open_break_glass(s, world.doctor, world.alice, "fall at home", now=later(hours=1))
        s.rollback()
        second = open_break_glass(
            s, world.doctor, world.alice, "fall at home", now=later(hours=5), justification=WHY
        )
        assert (second.follows_id, second.justification) == (first.id, WHY)
        # another patient, or a day's pause, is a fresh emergency
        open_break_glass(s, world.nurse, world.bob, "fall at home", now=later(hours=5))
        third = open_break_glass(
            s, world.nurse, world.alice, "a new fall at home", now=later(hours=40)
        )
        assert third.follows_id is None
        review = team_review(s, world.cardio, since=later(days=-1))
    assert [(r.patient_id, r.in_a_row, r.justification) for r in review] == [
        (world.alice, False, None),
        (world.bob, False, None),
        (world.alice, True, WHY),
        (world.alice, False, None),
    ]


def test_break_glass_covers_every_kind_even_where_a_grant_shares_some(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=False, team_id=world.cardio)
        s.commit()
        me = ProfessionalUser(world.nurse)
        before = authorize(s, me, world.alice, None, Purpose.VIEW, later(minutes=1))
        assert (before.via, before.kinds) == (Via.GRANT, frozenset({Kind.WEIGHT}))
        open_break_glass(s, world.nurse, world.alice, "fall at home", now=later(minutes=2))
        during = authorize(s, me, world.alice, None, Purpose.VIEW, later(minutes=3))
        assert during.via is Via.BREAK_GLASS
        assert Kind.GLUCOSE in during.kinds
        # a kind the grant covers is still read through the grant
        weight = authorize(s, me, world.alice, Kind.WEIGHT, Purpose.VIEW, later(minutes=3))
        assert weight.via is Via.GRANT
