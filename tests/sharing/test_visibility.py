"""Whose patients a professional's list holds, and which alerts a capability shows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from alerts.terms import Category
from devices.reading import Kind
from sharing.capability import Capability, ProfessionalUser
from sharing.grants import revoke_grant
from sharing.terms import Purpose, Via
from sharing.visibility import may_see_alert, team_patient_ids, visible_alerts
from tests.sharing.conftest import NOW, World, later, share


@dataclass(frozen=True)
class SeenAlert:
    kind: Kind | None
    category: Category


def cap(*kinds: Kind) -> Capability:
    return Capability(
        "p-a11c", frozenset(kinds), ProfessionalUser(1), Purpose.VIEW, Via.GRANT, None
    )


@pytest.mark.parametrize(
    ("alert", "kinds", "seen"),
    [
        pytest.param(SeenAlert(Kind.WEIGHT, Category.WEIGHT_GAIN), (Kind.WEIGHT,), True, id="kind"),
        pytest.param(
            SeenAlert(Kind.WEIGHT, Category.WEIGHT_GAIN), (Kind.GLUCOSE,), False, id="other-kind"
        ),
        pytest.param(
            SeenAlert(None, Category.MISSING_DATA), (Kind.GLUCOSE,), True, id="no-kind-shared"
        ),
        pytest.param(SeenAlert(None, Category.MISSING_DATA), (), False, id="no-kind-nothing"),
        pytest.param(
            SeenAlert(Kind.WEIGHT, Category.DEVICE_PROBLEM), (Kind.WEIGHT,), False, id="device"
        ),
    ],
)
def test_a_capability_sees_clinical_alerts_on_its_kinds(
    alert: SeenAlert, kinds: tuple[Kind, ...], seen: bool
) -> None:
    assert may_see_alert(cap(*kinds), alert) is seen
    assert visible_alerts([alert, alert], cap(*kinds)) == ([alert, alert] if seen else [])


def test_the_list_holds_the_team_and_live_direct_grants(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        assert team_patient_ids(s, world.nurse, NOW) == [world.alice, world.bob]
        assert team_patient_ids(s, world.gp, NOW) == []
        grant = share(s, world.bob, [Kind.WEIGHT], alerts=False, professional_id=world.gp, days=2)
        s.commit()
        assert team_patient_ids(s, world.gp, NOW) == [world.bob]
        assert team_patient_ids(s, world.gp, later(days=3)) == []  # ended
        revoke_grant(s, grant.id, patient_id=world.bob, now=later(hours=1))
        s.commit()
        assert team_patient_ids(s, world.gp, later(hours=2)) == []
        assert team_patient_ids(s, world.stranger, NOW) == []
