"""Oxygen saturation and temperature: two more choices a patient shares, or not."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.consent import Consent
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import Kind
from sharing.access import authorize
from sharing.capability import ProfessionalUser
from sharing.codes import create_code
from sharing.fhir import grant_consent
from sharing.kinds import SHAREABLE, choices, with_companions
from sharing.recipients import alert_recipients
from sharing.terms import Language, Purpose, RecipientType
from sharing.texts import kinds_text, text
from tests.sharing.conftest import NOW, World, later, share
from veille.errors import NotAllowed


def test_saturation_and_temperature_are_choices_with_words() -> None:
    assert {Kind.SPO2, Kind.TEMPERATURE} <= set(SHAREABLE)
    for kind in SHAREABLE:
        for lang in Language:
            assert text(f"kind.{kind.value}", lang) != f"kind.{kind.value}"
    assert with_companions([Kind.SPO2]) == ["spo2", "spo2_continuous"]
    assert with_companions(["temperature", "weight"]) == [
        "intermediate_temperature",
        "temperature",
        "weight",
    ]
    assert choices(["spo2", "spo2_continuous", "weight"]) == ["spo2", "weight"]
    assert choices(["spo2_continuous"]) == ["spo2_continuous"]  # alone, it is named
    assert kinds_text(["spo2", "spo2_continuous", "temperature"], Language.FR) == (
        "saturation en oxygène, température"
    )
    assert kinds_text(["spo2", "spo2_continuous"], Language.EN) == "blood oxygen saturation"


def test_a_saturation_grant_covers_the_night_oximeter_and_alerts_on_it(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        grant = share(s, world.alice, [Kind.SPO2], alerts=True, team_id=world.cardio)
        s.commit()
        assert grant.kinds == ["spo2", "spo2_continuous"]
        nurse = ProfessionalUser(world.nurse)
        for kind in (Kind.SPO2, Kind.SPO2_CONTINUOUS):
            assert authorize(s, nurse, world.alice, kind, Purpose.VIEW, NOW).allows(kind)
        with pytest.raises(NotAllowed):
            authorize(s, nurse, world.alice, Kind.TEMPERATURE, Purpose.VIEW, NOW)
        night = alert_recipients(s, world.alice, Kind.SPO2_CONTINUOUS, NOW, audit=False)
        assert [(r.type, r.team_id) for r in night] == [(RecipientType.CARE_TEAM, world.cardio)]
        assert alert_recipients(s, world.alice, Kind.TEMPERATURE, NOW, audit=False) == []
        consent = grant_consent(grant, later(days=1))
    Consent.model_validate(consent)
    codes = [
        [(c["system"], c["code"]) for c in concept["coding"]]
        for concept in consent["provision"]["code"]
    ]
    assert [("urn:veille:kind", "spo2"), ("http://loinc.org", "59408-5")] in codes


def test_an_access_code_for_temperature_reads_temperature_only(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        new = create_code(s, world.alice, kinds=["temperature"], now=NOW)
        s.commit()
    assert new.kinds == {Kind.TEMPERATURE, Kind.INTERMEDIATE_TEMPERATURE}
