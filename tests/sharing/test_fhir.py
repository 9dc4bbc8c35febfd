"""Grants export as FHIR Consent and audit rows as AuditEvent, validated by a FHIR model library."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.consent import Consent
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import Kind
from sharing.access import authorize
from sharing.breakglass import open_break_glass
from sharing.capability import ProfessionalUser
from sharing.fhir import audit_event, grant_consent
from sharing.grants import revoke_grant
from sharing.models import AuditEntry, Grant
from sharing.terms import Purpose
from tests.sharing.conftest import NOW, World, later, share
from veille.errors import NotAllowed


def test_grant_as_consent(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        grant = share(
            s, world.alice, [Kind.WEIGHT, Kind.GLUCOSE_CONTEXT], alerts=True, team_id=world.cardio
        )
        s.commit()
        active = grant_consent(grant, later(days=1), "Cardiologie Nord")
        revoke_grant(s, grant.id, patient_id=world.alice, now=later(days=2))
        s.commit()
        revoked = grant_consent(grant, later(days=3))
    # the library accepts both; the assertions then read the exported JSON itself
    assert Consent.model_validate(active).status == "active"
    assert active["patient"]["identifier"]["value"] == world.alice
    provision = active["provision"]
    assert provision["type"] == "permit"
    assert provision["actor"][0]["reference"]["display"] == "Cardiologie Nord"
    assert [a["coding"][0]["code"] for a in provision["action"]] == ["access", "disclose"]
    codes = [[(c["system"], c["code"]) for c in concept["coding"]] for concept in provision["code"]]
    assert codes == [
        [("urn:veille:kind", "glucose_context")],
        [("urn:veille:kind", "weight"), ("http://loinc.org", "29463-7")],
    ]
    assert active["provision"]["period"] == {
        "start": "2026-03-28T09:00:00+00:00",
        "end": "2026-04-27T09:00:00+00:00",
    }
    assert Consent.model_validate(revoked).status == "inactive"
    assert revoked["provision"]["period"]["end"] == "2026-03-30T09:00:00+00:00"
    assert "Mme A." not in str(active)  # identifiers only, never the label


def test_audit_rows_as_audit_events(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s, pytest.raises(NotAllowed):
        authorize(s, ProfessionalUser(world.nurse), world.alice, Kind.WEIGHT, Purpose.VIEW, NOW)
    with factory() as s:
        open_break_glass(s, world.nurse, world.alice, "Chute signalée par la famille", now=NOW)
    with factory() as s:
        authorize(s, ProfessionalUser(world.nurse), world.alice, Kind.WEIGHT, Purpose.VIEW, NOW)
    with factory() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        events = [audit_event(row) for row in rows]
        assert s.scalars(select(Grant)).all() == []
    for event in events:
        AuditEvent.model_validate(event)
    assert [(e["action"], e["outcome"]) for e in events] == [("R", "4"), ("U", "0"), ("R", "0")]
    assert events[0]["outcomeDesc"] == "no_grant"
    assert events[2]["purposeOfEvent"][0]["coding"][0]["code"] == "BTG"
    assert events[2]["agent"][0]["who"]["identifier"]["value"] == str(world.nurse)
    assert [e["type"]["code"] for e in events[2]["entity"][1:]] == ["weight"]
