"""What a professional's lists may show: whose patients, and which of their alerts.

The web's triage list and inbox show what these functions return; they decide
nothing themselves. Alerts are taken structurally (anything with a ``kind`` and
a ``category`` that knows whether it is clinical) so sharing needs no import of
the alerts package.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.capability import Capability
from sharing.models import Enrolment, Grant, Professional, live


class _Category(Protocol):
    @property
    def clinical(self) -> bool: ...


class AlertLike(Protocol):
    """An alert as sharing sees it: the kind it is about, and whether it is clinical."""

    @property
    def kind(self) -> Kind | None: ...

    @property
    def category(self) -> _Category: ...


A = TypeVar("A", bound=AlertLike)


def may_see_alert(cap: Capability, alert: AlertLike) -> bool:
    """A clinical alert on a kind the capability covers (an alert on no particular kind:
    any shared kind); device problems are the patient's own business."""
    if not alert.category.clinical:
        return False
    return bool(cap.kinds) if alert.kind is None else alert.kind in cap.kinds


def visible_alerts(alerts: Sequence[A], cap: Capability) -> list[A]:
    """The alerts of ``alerts`` the capability may see, in their order."""
    return [a for a in alerts if may_see_alert(cap, a)]


def team_patient_ids(session: Session, professional_id: int, now: datetime) -> list[str]:
    """Patients the professional's team follows, plus those whose grant to them is live."""
    professional = session.get(Professional, professional_id)
    ids: set[str] = set()
    if professional is not None and professional.team_id is not None:
        enrolled = select(Enrolment.patient_id).where(
            Enrolment.team_id == professional.team_id, Enrolment.ended_at.is_(None)
        )
        ids |= set(session.scalars(enrolled))
    direct = session.execute(
        select(Grant.patient_id, Grant.starts_at, Grant.ends_at, Grant.revoked_at).where(
            Grant.professional_id == professional_id
        )
    )
    ids |= {row[0] for row in direct if live(row[1], row[2], row[3], now)}
    return sorted(ids)
