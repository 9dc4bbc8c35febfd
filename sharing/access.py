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
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.audit import Actor, record, record_reads
from sharing.capability import Accessor, Capability, CodeBearer, PatientSelf, ProfessionalUser
from sharing.decisions import ALL_KINDS, Decision, Refusal, for_professionals
from sharing.models import AuditEntry, CodeSession, Patient
from sharing.terms import ActorType, Purpose, Reason, Result, Via
from veille.errors import NotAllowed

#: Purposes that hand over a file: a code allows them only if the patient ticked it.
DOWNLOADS = frozenset({Purpose.EXPORT, Purpose.FHIR})

#: A triage list shown again within this span to the same viewer adds no audit row.
TRIAGE_COALESCE = timedelta(minutes=15)


def token_hash(token: str) -> str:
    """The stored form of a bearer token (256 random bits: a plain hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _for_code(
    session: Session,
    accessor: CodeBearer,
    patient_id: str,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Decision:
    query = select(CodeSession).where(CodeSession.token_hash == token_hash(accessor.token))
    code_session = session.scalars(query).first()
    if code_session is None:
        return Refusal(Reason.CODE_UNKNOWN, "unknown code"), Actor(ActorType.CODE, None, None)
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
    elif purpose in DOWNLOADS and not code.downloads:
        refusal = (Reason.PURPOSE_NOT_ALLOWED, "the patient allowed charts, not downloads")
    if refusal is not None:
        return Refusal(*refusal), actor
    capability = Capability(
        patient_id=patient_id,
        kinds=code.kind_set(),
        accessor=accessor,
        purpose=purpose,
        via=Via.CODE,
        expires_at=min(code.expires_at, code_session.expires_at),
        ref_id=code_session.id,
    )
    return capability, actor


def decide(
    session: Session,
    accessor: Accessor,
    patient_id: str,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Decision:
    """The decision and who asked, without audit or commit (`authorize` is what callers use)."""
    if isinstance(accessor, PatientSelf):
        actor = Actor(ActorType.PATIENT, accessor.patient_id, None)
        if accessor.patient_id == patient_id:
            return Capability(patient_id, ALL_KINDS, accessor, purpose, Via.SELF, None), actor
        return Refusal(Reason.OTHER_PATIENT, "a patient reads only their own data"), actor
    if isinstance(accessor, ProfessionalUser):
        decisions, actor = for_professionals(session, accessor, [patient_id], kind, purpose, now)
        return decisions[patient_id], actor
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
    outcome, actor = decide(session, accessor, patient_id, kind, purpose, now)
    if isinstance(outcome, Capability) and outcome.via is Via.SELF:
        return outcome
    asked = kind.value if kind is not None else None
    if isinstance(outcome, Capability):
        shown = asked or _kinds_value(outcome.kinds)
        record(
            session,
            patient_id=patient_id,
            actor=actor,
            now=now,
            kind=shown,
            purpose=purpose.value,
            via=outcome.via,
            ref_id=outcome.ref_id,
        )
    else:
        record(
            session,
            patient_id=patient_id,
            actor=actor,
            now=now,
            kind=asked,
            purpose=purpose.value,
            result=Result.REFUSED,
            reason=outcome.reason.value,
        )
    if commit:
        session.commit()
    if isinstance(outcome, Refusal):
        raise NotAllowed(outcome.message, reason=outcome.reason)
    return outcome


def _kinds_value(kinds: frozenset[Kind]) -> str | None:
    """What a whole-patient read showed, for the audit row (None: everything)."""
    return None if kinds == ALL_KINDS else ",".join(sorted(k.value for k in kinds))


def visible_kinds(
    session: Session, accessor: Accessor, patient_id: str, now: datetime
) -> frozenset[Kind]:
    """Which kinds the accessor could read now; no audit (for menus, never for data)."""
    outcome, _ = decide(session, accessor, patient_id, None, Purpose.VIEW, now)
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
    decisions, actor = for_professionals(
        session, accessor, patient_ids, None, purpose, now, live_only=True
    )
    allowed = {pid: cap for pid, cap in decisions.items() if isinstance(cap, Capability)}
    if allowed:
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
