"""The one access decision every read of a patient's data goes through.

`authorize` answers "may this accessor read this kind of this patient's data,
for this purpose, now?" with a `Capability` or `NotAllowed` (and its
``reason``), and writes an audit row for every attempt by someone other than
the patient, allowed or refused.

It COMMITS the session (``commit=True``, the default) so the audit row
survives whatever the request does next, including answering 403 and
rolling back. Call it first, with a plain session (``factory()``, or the
web's per-request session), not inside `veille.db.transaction`, whose
context refuses work after a commit. A capability is for one request: ask
again on the next, and a revocation takes effect at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.audit import Actor, record, record_reads
from sharing.capability import Accessor, Capability, CodeBearer, PatientSelf, ProfessionalUser
from sharing.models import (
    AuditEntry,
    BreakGlass,
    CodeSession,
    Grant,
    Patient,
    Professional,
    live,
    revoked_by,
)
from sharing.terms import ActorType, Purpose, Reason, Result, Via
from veille.errors import NotAllowed

ALL_KINDS = frozenset(Kind)

#: A triage list shown again within this span to the same viewer adds no audit row.
TRIAGE_COALESCE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: Reason
    actor: Actor
    message: str


def token_hash(token: str) -> str:
    """The stored form of a bearer token (256 random bits: a plain hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _professional_actor(professional: Professional | None, professional_id: int) -> Actor:
    label = professional.display_name if professional else None
    return Actor(ActorType.PROFESSIONAL, str(professional_id), label)


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


def _professional_decision(
    accessor: ProfessionalUser,
    actor: Actor,
    patient_id: str,
    grants: list[GrantFacts],
    glass: BreakGlass | None,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Capability | Refusal:
    """Grants first, then break-glass (never for alerts), then the most telling refusal."""
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
        return Capability(
            patient_id=patient_id,
            kinds=ALL_KINDS,
            accessor=accessor,
            purpose=purpose,
            via=Via.BREAK_GLASS,
            expires_at=glass.expires_at,
            ref_id=glass.id,
        )
    for_kind = [g for g in grants if _covers(g, kind)]
    if any(g.active(now) for g in for_kind):  # shared for viewing, not for alerts
        return Refusal(Reason.PURPOSE_NOT_ALLOWED, actor, "the patient shares this without alerts")
    if any(g.revoked(now) for g in for_kind):
        return Refusal(Reason.REVOKED, actor, "the patient stopped sharing this")
    if any(not g.revoked(now) and now >= g.ends_at for g in for_kind):
        return Refusal(Reason.EXPIRED, actor, "the patient's grant has ended")
    if usable:
        return Refusal(Reason.KIND_NOT_GRANTED, actor, "the patient does not share this kind")
    return Refusal(Reason.NO_GRANT, actor, "the patient shares nothing with you")


def _for_professionals(
    session: Session,
    accessor: ProfessionalUser,
    patient_ids: Sequence[str],
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
    *,
    live_only: bool = False,
) -> dict[str, Capability | Refusal]:
    """Decisions for many patients with two queries (the triage list needs this speed)."""
    professional = session.get(Professional, accessor.professional_id)
    actor = _professional_actor(professional, accessor.professional_id)
    if professional is None or not professional.active:
        refusal = Refusal(Reason.UNKNOWN_ACCESSOR, actor, "no such active professional")
        return dict.fromkeys(patient_ids, refusal)
    grants = _grants_for(session, patient_ids, professional, now, live_only=live_only)
    glasses = _active_break_glass(session, patient_ids, professional.id, now)
    return {
        patient_id: _professional_decision(
            accessor,
            actor,
            patient_id,
            grants.get(patient_id, []),
            glasses.get(patient_id),
            kind,
            purpose,
            now,
        )
        for patient_id in patient_ids
    }


def _for_code(
    session: Session,
    accessor: CodeBearer,
    patient_id: str,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Capability | Refusal:
    query = select(CodeSession).where(CodeSession.token_hash == token_hash(accessor.token))
    code_session = session.scalars(query).first()
    if code_session is None:
        return Refusal(Reason.CODE_UNKNOWN, Actor(ActorType.CODE, None, None), "unknown code")
    code = code_session.code
    actor = Actor(ActorType.CODE, str(code.id), code_session.declared_name)
    refusal: tuple[Reason, str] | None = None
    if code.patient_id != patient_id:
        refusal = (Reason.OTHER_PATIENT, "this code is for another patient")
    elif purpose is Purpose.ALERT:
        refusal = (Reason.PURPOSE_NOT_ALLOWED, "an access code never receives alerts")
    elif code.revoked_at is not None and code.revoked_at <= now:
        refusal = (Reason.CODE_REVOKED, "the patient cancelled this code")
    elif now >= code.expires_at:
        refusal = (Reason.CODE_EXPIRED, "this code has expired")
    elif now >= code_session.expires_at:
        refusal = (Reason.CODE_SESSION_EXPIRED, "access by code has ended; redeem it again")
    elif kind is not None and kind not in code.kind_set():
        refusal = (Reason.KIND_NOT_GRANTED, "this code does not cover this kind")
    if refusal is not None:
        return Refusal(refusal[0], actor, refusal[1])
    return Capability(
        patient_id=patient_id,
        kinds=code.kind_set(),
        accessor=accessor,
        purpose=purpose,
        via=Via.CODE,
        expires_at=min(code.expires_at, code_session.expires_at),
        ref_id=code_session.id,
    )


def decide(
    session: Session,
    accessor: Accessor,
    patient_id: str,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Capability | Refusal:
    """The decision alone, without audit or commit (`authorize` is what callers use)."""
    if isinstance(accessor, PatientSelf):
        if accessor.patient_id == patient_id:
            return Capability(patient_id, ALL_KINDS, accessor, purpose, Via.SELF, None)
        actor = Actor(ActorType.PATIENT, accessor.patient_id, None)
        return Refusal(Reason.OTHER_PATIENT, actor, "a patient reads only their own data")
    if isinstance(accessor, ProfessionalUser):
        return _for_professionals(session, accessor, [patient_id], kind, purpose, now)[patient_id]
    return _for_code(session, accessor, patient_id, kind, purpose, now)


def authorize(
    session: Session,
    accessor: Accessor,
    patient_id: str,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
    *,
    commit: bool = True,
) -> Capability:
    """Allow (a `Capability`) or refuse (`NotAllowed` with ``reason``), auditing the attempt.

    ``kind`` None asks for the patient's data as a whole (a patient page):
    allowed when at least one kind is shared, and the capability lists which.
    A patient's own reads are not audited; everything else is, allowed or
    refused. With ``commit=False`` the caller must commit, even on refusal.
    """
    if session.get(Patient, patient_id) is None:
        raise NotAllowed(f"unknown patient {patient_id}", reason=Reason.UNKNOWN_PATIENT)
    outcome = decide(session, accessor, patient_id, kind, purpose, now)
    if isinstance(outcome, Capability) and outcome.via is Via.SELF:
        return outcome
    kind_value = kind.value if kind is not None else None
    if isinstance(outcome, Capability):
        actor = (
            _professional_actor(
                session.get(Professional, outcome.accessor.professional_id),
                outcome.accessor.professional_id,
            )
            if isinstance(outcome.accessor, ProfessionalUser)
            else _code_actor(session, outcome.ref_id)
        )
        record(
            session,
            patient_id=patient_id,
            actor=actor,
            now=now,
            kind=kind_value or _kinds_value(outcome.kinds),
            purpose=purpose.value,
            via=outcome.via,
            ref_id=outcome.ref_id,
        )
        if commit:
            session.commit()
        return outcome
    record(
        session,
        patient_id=patient_id,
        actor=outcome.actor,
        now=now,
        kind=kind_value,
        purpose=purpose.value,
        result=Result.REFUSED,
        reason=outcome.reason.value,
    )
    if commit:
        session.commit()
    raise NotAllowed(outcome.message, reason=outcome.reason)


def _kinds_value(kinds: frozenset[Kind]) -> str | None:
    """What a whole-patient read showed, for the audit row (None: everything)."""
    return None if kinds == ALL_KINDS else ",".join(sorted(k.value for k in kinds))


def _code_actor(session: Session, code_session_id: int | None) -> Actor:
    code_session = session.get(CodeSession, code_session_id) if code_session_id else None
    if code_session is None:
        return Actor(ActorType.CODE, None, None)
    return Actor(ActorType.CODE, str(code_session.code_id), code_session.declared_name)


def visible_kinds(
    session: Session, accessor: Accessor, patient_id: str, now: datetime
) -> frozenset[Kind]:
    """Which kinds the accessor could read now; no audit (for menus, never for data)."""
    outcome = decide(session, accessor, patient_id, None, Purpose.VIEW, now)
    return outcome.kinds if isinstance(outcome, Capability) else frozenset()


def _recently_audited(
    session: Session, actor: Actor, patient_ids: Sequence[str], purpose: Purpose, since: datetime
) -> set[str]:
    query = select(AuditEntry.patient_id).where(
        AuditEntry.patient_id.in_(patient_ids),
        AuditEntry.actor_type == actor.type.value,
        AuditEntry.actor_id == actor.id,
        AuditEntry.purpose == purpose.value,
        AuditEntry.result == Result.ALLOWED.value,
        AuditEntry.at > since,
    )
    return set(session.scalars(query))


def authorize_many(
    session: Session,
    accessor: ProfessionalUser,
    patient_ids: Sequence[str],
    purpose: Purpose,
    now: datetime,
    *,
    coalesce: timedelta = TRIAGE_COALESCE,
    commit: bool = True,
) -> dict[str, Capability]:
    """Capabilities for many patients at once (the triage list); refused ones are absent.

    Each allowed patient gets an audit row, unless the same viewer already
    has one for the same purpose within ``coalesce`` (a list refreshed every
    minute would otherwise bury the patient's log). Refusals are not audited
    here: a list shows nothing of a patient it may not read.
    """
    decisions = _for_professionals(
        session, accessor, patient_ids, None, purpose, now, live_only=True
    )
    allowed = {pid: cap for pid, cap in decisions.items() if isinstance(cap, Capability)}
    if allowed:
        professional = session.get(Professional, accessor.professional_id)
        actor = _professional_actor(professional, accessor.professional_id)
        recent = _recently_audited(session, actor, list(allowed), purpose, now - coalesce)
        reads = [
            (patient_id, _kinds_value(cap.kinds), cap.via, cap.ref_id)
            for patient_id, cap in allowed.items()
            if patient_id not in recent
        ]
        record_reads(session, reads, actor=actor, purpose=purpose.value, now=now)
    if commit:
        session.commit()
    return allowed
