"""`authorize`: nothing without a grant, only its kinds, until its end; revocation at once."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import Kind
from sharing.access import authorize, authorize_many, visible_kinds
from sharing.capability import PatientSelf, ProfessionalUser
from sharing.errors import InvalidRequest
from sharing.grants import create_grant, grants_for_patient, renew_grant, revoke_grant
from sharing.terms import Purpose, Reason, Via
from tests.sharing.conftest import NOW, World, audit_rows, later, share
from veille.db import transaction
from veille.errors import NotAllowed


def refused(
    factory: sessionmaker[Session], accessor: object, patient: str, kind: Kind | None, **kw: object
) -> str:
    """Ask, expect a refusal, return its reason."""
    purpose = kw.get("purpose", Purpose.VIEW)
    now = kw.get("now", later(hours=1))
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(s, accessor, patient, kind, purpose, now)  # type: ignore[arg-type]
    return caught.value.reason


def test_nothing_is_shared_before_a_grant(factory: sessionmaker[Session], world: World) -> None:
    for who in (world.nurse, world.doctor, world.stranger, world.gp):
        for kind in (*Kind, None):
            assert refused(factory, ProfessionalUser(who), world.alice, kind) == Reason.NO_GRANT
    # enrolment in the team is not a grant
    with factory() as s:
        assert visible_kinds(s, ProfessionalUser(world.nurse), world.alice, later(hours=1)) == set()


def test_team_grant_covers_its_kinds_only(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        share(
            s,
            world.alice,
            [Kind.WEIGHT, Kind.BLOOD_PRESSURE],
            alerts=True,
            team_id=world.cardio,
            days=90,
        )
        s.commit()
    with factory() as s:
        cap = authorize(
            s, ProfessionalUser(world.nurse), world.alice, Kind.WEIGHT, Purpose.VIEW, later(hours=1)
        )
    assert cap.via is Via.GRANT
    assert cap.kinds == {Kind.WEIGHT, Kind.BLOOD_PRESSURE}
    assert cap.expires_at == later(days=90)
    assert cap.allows(Kind.BLOOD_PRESSURE)
    assert not cap.allows(Kind.GLUCOSE)
    # the whole team sees it, nobody else does
    with factory() as s:
        authorize(
            s,
            ProfessionalUser(world.doctor),
            world.alice,
            Kind.BLOOD_PRESSURE,
            Purpose.FHIR,
            later(hours=1),
        )
    assert (
        refused(factory, ProfessionalUser(world.nurse), world.alice, Kind.GLUCOSE)
        == Reason.KIND_NOT_GRANTED
    )
    assert (
        refused(factory, ProfessionalUser(world.stranger), world.alice, Kind.WEIGHT)
        == Reason.NO_GRANT
    )
    assert refused(factory, ProfessionalUser(world.gp), world.alice, Kind.WEIGHT) == Reason.NO_GRANT
    # another patient of the same team shares nothing
    assert (
        refused(factory, ProfessionalUser(world.nurse), world.bob, Kind.WEIGHT) == Reason.NO_GRANT
    )


def test_grant_to_one_professional(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.GLUCOSE], alerts=False, professional_id=world.gp, days=7)
        s.commit()
    with factory() as s:
        cap = authorize(
            s, ProfessionalUser(world.gp), world.alice, None, Purpose.VIEW, later(days=1)
        )
    assert cap.kinds == {Kind.GLUCOSE}
    # the professional's colleagues (none) and the patient's team get nothing
    assert (
        refused(factory, ProfessionalUser(world.nurse), world.alice, Kind.GLUCOSE)
        == Reason.NO_GRANT
    )


def test_expired_grant_is_refused(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.cardio)
        s.commit()
    with factory() as s:
        authorize(
            s,
            ProfessionalUser(world.nurse),
            world.alice,
            Kind.WEIGHT,
            Purpose.VIEW,
            later(days=29, hours=23),
        )
    reason = refused(
        factory, ProfessionalUser(world.nurse), world.alice, Kind.WEIGHT, now=later(days=30)
    )
    assert reason == Reason.EXPIRED


def test_revocation_takes_effect_at_once(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        grant = share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.cardio)
        s.commit()
        grant_id = grant.id
    nurse = ProfessionalUser(world.nurse)
    t = later(hours=2)
    with factory() as s:
        authorize(s, nurse, world.alice, Kind.WEIGHT, Purpose.VIEW, t)
    with factory() as s:
        revoke_grant(s, grant_id, patient_id=world.alice, now=t)
        s.commit()
    # the very same instant, any purpose
    for purpose in (Purpose.VIEW, Purpose.EXPORT, Purpose.FHIR, Purpose.ALERT):
        assert (
            refused(factory, nurse, world.alice, Kind.WEIGHT, purpose=purpose, now=t)
            == Reason.REVOKED
        )
    with factory() as s:
        assert [g.status for g in grants_for_patient(s, world.alice, now=t)] == ["revoked"]
        with pytest.raises(InvalidRequest):
            renew_grant(s, grant_id, patient_id=world.alice, ends_at=later(days=60), now=t)


def test_only_the_patient_revokes_their_grant(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        grant = share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.cardio)
        with pytest.raises(NotAllowed) as caught:
            revoke_grant(s, grant.id, patient_id=world.bob, now=NOW)
        assert caught.value.reason == Reason.OTHER_PATIENT
        assert grant.revoked_at is None


def test_renewal_extends_access(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        grant = share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.cardio)
        renew_grant(
            s, grant.id, patient_id=world.alice, ends_at=later(days=200), now=later(days=20)
        )
        s.commit()
    with factory() as s:
        authorize(
            s,
            ProfessionalUser(world.nurse),
            world.alice,
            Kind.WEIGHT,
            Purpose.VIEW,
            later(days=100),
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"team_id": None}, "exactly one recipient"),
        ({"professional_id": 1}, "exactly one recipient"),
        ({"kinds": []}, "at least one kind"),
        ({"kinds": ["heart_sound"]}, "unknown kind"),
        ({"ends_at": NOW}, "in the future"),
        ({"ends_at": later(days=400)}, "at most 366 days"),
    ],
    ids=["no-recipient", "two-recipients", "no-kind", "unknown-kind", "past-end", "too-long"],
)
def test_grant_requests_that_break_a_rule(
    factory: sessionmaker[Session], world: World, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "team_id": world.cardio,
        "kinds": [Kind.WEIGHT],
        "alerts": True,
        "ends_at": later(days=30),
        "now": NOW,
    }
    args.update(kwargs)
    with factory() as s, pytest.raises(InvalidRequest, match=message):
        create_grant(s, world.alice, **args)  # type: ignore[arg-type]


def test_patient_reads_own_data_but_not_another_patients(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        cap = authorize(s, PatientSelf(world.alice), world.alice, Kind.GLUCOSE, Purpose.EXPORT, NOW)
    assert cap.via is Via.SELF
    assert cap.kinds == set(Kind)
    assert audit_rows(factory, world.alice) == []  # one's own reads are not "someone else"
    assert (
        refused(factory, PatientSelf(world.alice), world.bob, Kind.GLUCOSE) == Reason.OTHER_PATIENT
    )
    rows = audit_rows(factory, world.bob)
    assert [(r.actor_type, r.result, r.reason) for r in rows] == [
        ("patient", "refused", "other_patient")
    ]


def test_every_attempt_is_audited_allowed_and_refused(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=False, team_id=world.cardio)
        s.commit()
    nurse = ProfessionalUser(world.nurse)
    with factory() as s:
        authorize(s, nurse, world.alice, Kind.WEIGHT, Purpose.EXPORT, later(hours=1))
    refused(factory, nurse, world.alice, Kind.GLUCOSE, now=later(hours=2))
    refused(factory, ProfessionalUser(world.stranger), world.alice, Kind.WEIGHT, now=later(hours=3))
    rows = [r for r in audit_rows(factory, world.alice) if r.event == "access"]
    assert [(r.actor_id, r.kind, r.purpose, r.result, r.reason, r.via, r.at) for r in rows] == [
        (str(world.nurse), "weight", "export", "allowed", None, "grant", later(hours=1)),
        (
            str(world.nurse),
            "glucose",
            "view",
            "refused",
            "kind_not_granted",
            "none",
            later(hours=2),
        ),
        (str(world.stranger), "weight", "view", "refused", "no_grant", "none", later(hours=3)),
    ]
    assert rows[0].actor_label == "Infirmière Claire"


def test_a_refusal_is_audited_even_inside_a_rolled_back_transaction(
    factory: sessionmaker[Session], world: World
) -> None:
    """The web answers 403 and its request transaction rolls back: the audit row must stay."""
    with pytest.raises(NotAllowed), transaction(factory) as s:
        authorize(s, ProfessionalUser(world.gp), world.alice, Kind.WEIGHT, Purpose.VIEW, NOW)
    assert [r.reason for r in audit_rows(factory, world.alice)] == ["no_grant"]


def test_unknown_patient_and_unknown_professional(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(s, ProfessionalUser(world.nurse), "p-nope", Kind.WEIGHT, Purpose.VIEW, NOW)
    assert caught.value.reason == Reason.UNKNOWN_PATIENT
    assert (
        refused(factory, ProfessionalUser(9999), world.alice, Kind.WEIGHT)
        == Reason.UNKNOWN_ACCESSOR
    )


def test_alert_purpose_needs_a_grant_with_alerts(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=False, team_id=world.cardio)
        s.commit()
    nurse = ProfessionalUser(world.nurse)
    with factory() as s:
        authorize(s, nurse, world.alice, Kind.WEIGHT, Purpose.VIEW, later(hours=1))
    assert (
        refused(factory, nurse, world.alice, Kind.WEIGHT, purpose=Purpose.ALERT)
        == Reason.PURPOSE_NOT_ALLOWED
    )


def test_triage_batch_shows_only_shared_patients(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.cardio)
        # bob's history: one grant revoked, one ended before the list is shown
        revoked = share(s, world.bob, [Kind.WEIGHT], alerts=True, team_id=world.cardio)
        revoke_grant(s, revoked.id, patient_id=world.bob, now=later(minutes=30))
        share(s, world.bob, [Kind.GLUCOSE], alerts=True, team_id=world.cardio, days=1 / 48)
        s.commit()
    with factory() as s:
        caps = authorize_many(
            s,
            ProfessionalUser(world.nurse),
            [world.alice, world.bob],
            Purpose.TRIAGE,
            later(hours=1),
        )
    assert set(caps) == {world.alice}
    assert caps[world.alice].kinds == {Kind.WEIGHT}
    assert [
        (r.purpose, r.result, r.kind)
        for r in audit_rows(factory, world.alice)
        if r.event == "access"
    ] == [("triage", "allowed", "weight")]
    assert [r.event for r in audit_rows(factory, world.bob)] == [
        "grant_created",
        "grant_revoked",
        "grant_created",
    ]


def test_triage_refreshes_coalesce_audit_rows_per_viewer(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.cardio)
        s.commit()
    for viewer, minutes in [
        (world.nurse, 0),
        (world.nurse, 5),  # a refresh: coalesced
        (world.doctor, 6),  # another viewer: its own row
        (world.nurse, 15),  # the quarter hour has passed: a new row
    ]:
        with factory() as s:
            caps = authorize_many(
                s, ProfessionalUser(viewer), [world.alice], Purpose.TRIAGE, later(minutes=minutes)
            )
            assert set(caps) == {world.alice}
    rows = [(r.actor_id, r.at) for r in audit_rows(factory, world.alice) if r.event == "access"]
    assert rows == [
        (str(world.nurse), later(minutes=0)),
        (str(world.doctor), later(minutes=6)),
        (str(world.nurse), later(minutes=15)),
    ]
