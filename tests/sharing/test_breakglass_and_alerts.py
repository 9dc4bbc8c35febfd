"""Break-glass (reason, short window, patient told) and who receives alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import Kind
from sharing.access import authorize
from sharing.breakglass import close_break_glass, open_break_glass
from sharing.capability import ProfessionalUser, Recipient
from sharing.errors import InvalidRequest
from sharing.grants import revoke_grant
from sharing.identities import deactivate, on_call, professionals
from sharing.models import Professional
from sharing.notifications import mark_read, notifications_for_patient
from sharing.recipients import alert_recipients
from sharing.terms import Purpose, Reason, RecipientType, Via
from tests.sharing.conftest import NOW, World, audit_rows, later, share
from veille.errors import NotAllowed

REASON = "Appel du SAMU, patiente inconsciente à domicile"


def test_break_glass_opens_all_kinds_briefly_notifies_and_audits(
    factory: sessionmaker[Session], world: World
) -> None:
    nurse = ProfessionalUser(world.nurse)
    with factory() as s:
        glass = open_break_glass(s, world.nurse, world.alice, REASON, now=NOW)
        glass_id = glass.id
    assert glass.expires_at == later(hours=4)
    with factory() as s:
        cap = authorize(s, nurse, world.alice, Kind.GLUCOSE, Purpose.VIEW, later(hours=1))
    assert cap.via is Via.BREAK_GLASS
    assert cap.kinds == set(Kind)
    assert cap.expires_at == later(hours=4)
    # personal: a colleague did not break the glass
    with factory() as s, pytest.raises(NotAllowed):
        authorize(
            s,
            ProfessionalUser(world.doctor),
            world.alice,
            Kind.GLUCOSE,
            Purpose.VIEW,
            later(hours=1),
        )
    # never a route for alerts
    with factory() as s, pytest.raises(NotAllowed):
        authorize(s, nurse, world.alice, Kind.GLUCOSE, Purpose.ALERT, later(hours=1))
    # the window closes by itself
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(s, nurse, world.alice, Kind.GLUCOSE, Purpose.VIEW, later(hours=4))
    assert caught.value.reason == Reason.NO_GRANT
    # the patient is told at once, in their language, with the reason
    with factory() as s:
        [fr] = notifications_for_patient(s, world.alice, lang="fr", unread_only=True)
        [en] = notifications_for_patient(s, world.alice, lang="en")
    assert fr.created_at == NOW
    assert "Infirmière Claire" in fr.text
    assert REASON in fr.text
    assert "10:00" in fr.text  # 09:00 UTC is 10:00 in Paris on 28 March (before the DST change)
    assert "14:00" in fr.text
    assert en.text.startswith("Emergency access: Infirmière Claire opened access")
    rows = audit_rows(factory, world.alice)
    assert (rows[0].event, rows[0].detail, rows[0].ref_id) == (
        "break_glass_opened",
        REASON,
        glass_id,
    )
    assert [(r.kind, r.via) for r in rows if r.result == "allowed" and r.event == "access"] == [
        ("glucose", "break_glass")
    ]
    with factory() as s:
        assert mark_read(s, world.alice, [fr.id], now=later(hours=1)) == 1
        s.commit()
        assert notifications_for_patient(s, world.alice, unread_only=True) == []


def test_break_glass_can_be_closed_early(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        glass = open_break_glass(s, world.nurse, world.alice, REASON, now=NOW)
        with pytest.raises(NotAllowed):
            close_break_glass(s, glass.id, professional_id=world.doctor, now=later(minutes=30))
        close_break_glass(s, glass.id, professional_id=world.nurse, now=later(minutes=30))
        s.commit()
    with factory() as s, pytest.raises(NotAllowed):
        authorize(
            s, ProfessionalUser(world.nurse), world.alice, Kind.WEIGHT, Purpose.VIEW, later(hours=1)
        )


def test_break_glass_only_for_teams_that_follow_the_patient(
    factory: sessionmaker[Session], world: World
) -> None:
    for outsider in (world.stranger, world.gp):
        with factory() as s, pytest.raises(NotAllowed) as caught:
            open_break_glass(s, outsider, world.alice, REASON, now=NOW)
        assert caught.value.reason == Reason.NOT_ENROLLED
    rows = audit_rows(factory, world.alice)
    assert [(r.event, r.result, r.reason, r.detail) for r in rows] == [
        ("break_glass_opened", "refused", "not_enrolled", REASON)
    ] * 2
    with factory() as s:
        assert notifications_for_patient(s, world.alice) == []


@pytest.mark.parametrize(
    ("reason", "window", "message"),
    [("urgent", None, "state the reason"), (REASON, timedelta(hours=13), "at most 12 hours")],
    ids=["short-reason", "long-window"],
)
def test_break_glass_needs_a_reason_and_a_short_window(
    factory: sessionmaker[Session],
    world: World,
    reason: str,
    window: timedelta | None,
    message: str,
) -> None:
    with factory() as s, pytest.raises(InvalidRequest, match=message):
        open_break_glass(s, world.nurse, world.alice, reason, now=NOW, window=window)


def test_alert_recipients_follow_the_grants(factory: sessionmaker[Session], world: World) -> None:
    t = later(hours=1)
    with factory() as s:
        team_grant = share(
            s, world.alice, [Kind.WEIGHT, Kind.BLOOD_PRESSURE], alerts=True, team_id=world.cardio
        ).id
        gp_grant = share(
            s, world.alice, [Kind.BLOOD_PRESSURE], alerts=True, professional_id=world.gp
        ).id
        share(s, world.alice, [Kind.GLUCOSE], alerts=False, professional_id=world.gp)  # view only
        share(s, world.alice, [Kind.GLUCOSE], alerts=True, team_id=world.other_team)
        s.commit()
        assert alert_recipients(s, world.alice, Kind.WEIGHT, t) == [
            Recipient(
                RecipientType.CARE_TEAM, world.alice, team_id=world.cardio, grant_id=team_grant
            )
        ]
        assert alert_recipients(s, world.alice, Kind.BLOOD_PRESSURE, t) == [
            Recipient(
                RecipientType.CARE_TEAM, world.alice, team_id=world.cardio, grant_id=team_grant
            ),
            Recipient(
                RecipientType.PROFESSIONAL, world.alice, professional_id=world.gp, grant_id=gp_grant
            ),
        ]
        glucose = alert_recipients(s, world.alice, Kind.GLUCOSE, t)
        assert [(r.type, r.team_id) for r in glucose] == [
            (RecipientType.CARE_TEAM, world.other_team)
        ]
        # a kind nobody receives alerts for, and a patient who shares nothing
        assert alert_recipients(s, world.alice, Kind.BODY_COMPOSITION, t) == []
        assert alert_recipients(s, world.bob, Kind.BLOOD_PRESSURE, t) == []
        s.commit()
    deliveries = [r for r in audit_rows(factory, world.alice) if r.purpose == "alert"]
    assert [(r.actor_type, r.kind, r.result) for r in deliveries] == [
        ("care_team", "weight", "allowed"),
        ("care_team", "blood_pressure", "allowed"),
        ("professional", "blood_pressure", "allowed"),
        ("care_team", "glucose", "allowed"),
    ]


def test_device_problems_go_to_the_patient_only(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, list(Kind), alerts=True, team_id=world.cardio)
        only_patient = [Recipient(RecipientType.PATIENT, world.alice)]
        assert alert_recipients(s, world.alice, None, NOW) == only_patient
        assert (
            alert_recipients(s, world.alice, Kind.BLOOD_PRESSURE, NOW, category="device_problem")
            == only_patient
        )


def test_alerts_stop_at_revocation_expiry_and_deactivation(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        team_grant = share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.cardio).id
        share(s, world.alice, [Kind.WEIGHT], alerts=True, professional_id=world.gp)
        s.commit()
        assert len(alert_recipients(s, world.alice, Kind.WEIGHT, later(hours=1), audit=False)) == 2
        revoke_grant(s, team_grant, patient_id=world.alice, now=later(hours=2))
        gp = s.get(Professional, world.gp)
        assert gp is not None
        gp.active = False
        s.commit()
        assert alert_recipients(s, world.alice, Kind.WEIGHT, later(hours=2)) == []
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=True, team_id=world.other_team)
        s.commit()
        assert len(alert_recipients(s, world.alice, Kind.WEIGHT, later(days=29))) == 1
        assert alert_recipients(s, world.alice, Kind.WEIGHT, later(days=30)) == []
        s.commit()
    alert_rows = [r for r in audit_rows(factory, world.alice) if r.purpose == "alert"]
    assert [r.at for r in alert_rows] == [later(days=29)]


def test_on_call_order_for_escalation(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s:
        assert [p.id for p in on_call(s, world.cardio)] == [world.nurse, world.doctor]
        assert on_call(s, world.other_team) == []  # nobody on call there


def test_a_professional_who_left_is_refused_everywhere(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=True, professional_id=world.gp)
        s.commit()
        assert [p.display_name for p in professionals(s)][:2] == ["Dr Durand", "Dr Martin"]
        deactivate(s, world.gp)
        s.commit()
        assert world.gp not in {p.id for p in professionals(s)}
        assert alert_recipients(s, world.alice, Kind.WEIGHT, later(hours=1)) == []
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(
            s, ProfessionalUser(world.gp), world.alice, Kind.WEIGHT, Purpose.VIEW, later(hours=1)
        )
    assert caught.value.reason == Reason.UNKNOWN_ACCESSOR
