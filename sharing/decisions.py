"""How a professional's access is decided: their grants (or their team's), then break-glass.

Kept apart from `sharing.access` (the public front that audits and commits)
so the rule itself reads on one screen. Grants are loaded as plain column
rows (`GrantFacts`): a triage list decides for a thousand patients at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.audit import Actor, professional_actor
from sharing.capability import Capability, ProfessionalUser
from sharing.models import BreakGlass, Grant, Professional, live, revoked_by
from sharing.terms import Purpose, Reason, Via

ALL_KINDS = frozenset(Kind)


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: Reason
    message: str


#: A decision and who asked, as the audit row names them.
Decision = tuple[Capability | Refusal, Actor]


def _active_break_glass(
    session: Session, patient_ids: Sequence[str], professional_id: int, now: datetime
) -> dict[str, BreakGlass]:
    query = select(BreakGlass).where(
        BreakGlass.patient_id.in_(patient_ids),
        BreakGlass.professional_id == professional_id,
        BreakGlass.closed_at.is_(None),
        BreakGlass.opened_at <= now,
        BreakGlass.expires_at > now,
    )
    return {glass.patient_id: glass for glass in session.scalars(query)}


@dataclass(frozen=True, slots=True)
class GrantFacts:
    """What a decision needs of a grant: plain values, cheaper than ORM rows by the thousand."""

    id: int
    kinds: frozenset[Kind]
    alerts: bool
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None

    def revoked(self, now: datetime) -> bool:
        return revoked_by(self.revoked_at, now)

    def active(self, now: datetime) -> bool:
        return live(self.starts_at, self.ends_at, self.revoked_at, now)


def _grants_for(
    session: Session,
    patient_ids: Sequence[str],
    professional: Professional,
    now: datetime,
    *,
    live_only: bool,
) -> dict[str, list[GrantFacts]]:
    """The professional's (and their team's) grants per patient.

    ``live_only`` skips revoked and ended grants in SQL: a list that never
    explains refusals need not load years of history.
    """
    team_match = (
        Grant.team_id == professional.team_id if professional.team_id is not None else false()
    )
    query = select(
        Grant.patient_id,
        Grant.id,
        Grant.kinds,
        Grant.alerts,
        Grant.starts_at,
        Grant.ends_at,
        Grant.revoked_at,
    ).where(
        Grant.patient_id.in_(patient_ids),
        or_(Grant.professional_id == professional.id, team_match),
    )
    if live_only:
        query = query.where(
            or_(Grant.revoked_at.is_(None), Grant.revoked_at > now),
            Grant.starts_at <= now,
            Grant.ends_at > now,
        )
    kind_sets: dict[tuple[str, ...], frozenset[Kind]] = {}
    grants: dict[str, list[GrantFacts]] = {}
    for patient_id, grant_id, kinds, alerts, starts_at, ends_at, revoked_at in session.execute(
        query
    ):
        key = tuple(kinds)
        if key not in kind_sets:
            kind_sets[key] = frozenset(Kind(k) for k in key)
        facts = GrantFacts(grant_id, kind_sets[key], alerts, starts_at, ends_at, revoked_at)
        grants.setdefault(patient_id, []).append(facts)
    return grants


def _covers(grant: GrantFacts, kind: Kind | None) -> bool:
    return kind is None or kind in grant.kinds


def _glass_capability(
    accessor: ProfessionalUser, patient_id: str, glass: BreakGlass, purpose: Purpose
) -> Capability:
    return Capability(
        patient_id=patient_id,
        kinds=ALL_KINDS,
        accessor=accessor,
        purpose=purpose,
        via=Via.BREAK_GLASS,
        expires_at=glass.expires_at,
        ref_id=glass.id,
    )


def _professional_decision(
    accessor: ProfessionalUser,
    patient_id: str,
    grants: list[GrantFacts],
    glass: BreakGlass | None,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Capability | Refusal:
    """Grants first, then break-glass (never for alerts), then the most telling refusal.

    A patient's data as a whole (``kind`` None) under an open break-glass is every
    kind, even where a grant shares some: the emergency is why the page was opened,
    and the alert it was opened for may be of a kind the patient does not share.
    """
    if glass is not None and kind is None and purpose is not Purpose.ALERT:
        return _glass_capability(accessor, patient_id, glass, purpose)
    usable = [g for g in grants if g.active(now) and (purpose is not Purpose.ALERT or g.alerts)]
    covering = [g for g in usable if _covers(g, kind)]
    if covering:
        return Capability(
            patient_id=patient_id,
            kinds=frozenset().union(*(g.kinds for g in usable)),
            accessor=accessor,
            purpose=purpose,
            via=Via.GRANT,
            expires_at=min(g.ends_at for g in covering),
            ref_id=covering[0].id,
        )
    if glass is not None and purpose is not Purpose.ALERT:
        return _glass_capability(accessor, patient_id, glass, purpose)
    for_kind = [g for g in grants if _covers(g, kind)]
    if any(g.active(now) for g in for_kind):  # shared for viewing, not for alerts
        return Refusal(Reason.PURPOSE_NOT_ALLOWED, "the patient shares this without alerts")
    if any(g.revoked(now) for g in for_kind):
        return Refusal(Reason.REVOKED, "the patient stopped sharing this")
    if any(not g.revoked(now) and now >= g.ends_at for g in for_kind):
        return Refusal(Reason.EXPIRED, "the patient's grant has ended")
    if usable:
        return Refusal(Reason.KIND_NOT_GRANTED, "the patient does not share this kind")
    return Refusal(Reason.NO_GRANT, "the patient shares nothing with you")


def for_professionals(
    session: Session,
    accessor: ProfessionalUser,
    patient_ids: Sequence[str],
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
    *,
    live_only: bool = False,
) -> tuple[dict[str, Capability | Refusal], Actor]:
    """Decisions for many patients with two queries (the triage list needs this speed)."""
    professional = session.get(Professional, accessor.professional_id)
    actor = professional_actor(professional, accessor.professional_id)
    if professional is None or not professional.active:
        refusal = Refusal(Reason.UNKNOWN_ACCESSOR, "no such active professional")
        return dict.fromkeys(patient_ids, refusal), actor
    grants = _grants_for(session, patient_ids, professional, now, live_only=live_only)
    glasses = _active_break_glass(session, patient_ids, professional.id, now)
    decisions = {
        patient_id: _professional_decision(
            accessor,
            patient_id,
            grants.get(patient_id, []),
            glasses.get(patient_id),
            kind,
            purpose,
            now,
        )
        for patient_id in patient_ids
    }
    return decisions, actor
