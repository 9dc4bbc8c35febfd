"""Temporary access codes: the patient reads a short code to one professional.

A code is single-patient, read-only, limited to the kinds the patient chose,
expiring and limited in uses. It is drawn from `secrets`, shown once, and
stored only as a keyed hash. Redeeming it (rate-limited, see
`sharing.ratelimit`) spends one use and returns a bearer token for a short
read-only capability (`CodeBearer`); every read with it goes through
`sharing.access.authorize`, so cancelling the code stops it at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing import ratelimit
from sharing.access import token_hash
from sharing.audit import Actor, local_time, record
from sharing.capability import Capability, CodeBearer, CodeRedemption
from sharing.errors import InvalidRequest
from sharing.kinds import with_companions
from sharing.models import AccessCode, CodeSession, Patient, Professional
from sharing.notifications import notify
from sharing.policy import ALPHABET, DEFAULT_CODE_POLICY, CodePolicy
from sharing.terms import ActorType, Event, Purpose, Reason, Result, Via
from veille.errors import NotAllowed


def generate(policy: CodePolicy = DEFAULT_CODE_POLICY) -> str:
    """A fresh code from a cryptographic source (``ABCD-EFGH`` once formatted)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(policy.length))


def display(raw: str) -> str:
    """Groups of four, for reading aloud: ``ABCD-EFGH``."""
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise(typed: str) -> str:
    """What the professional typed, without spaces, dashes or case."""
    return "".join(ch for ch in typed.upper() if ch not in " -_\t")


def digest(raw: str, policy: CodePolicy = DEFAULT_CODE_POLICY) -> str:
    """The stored form of a code: HMAC-SHA256 keyed with the server's pepper."""
    return hmac.new(policy.pepper, raw.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class NewCode:
    """The code to show the patient once (``code``, formatted) and its row id."""

    id: int
    code: str
    expires_at: datetime
    max_uses: int
    kinds: frozenset[Kind]
    downloads: bool = False


def create_code(
    session: Session,
    patient_id: str,
    *,
    kinds: Iterable[Kind | str],
    now: datetime,
    ttl: timedelta | None = None,
    max_uses: int | None = None,
    label: str | None = None,
    downloads: bool = False,
    policy: CodePolicy = DEFAULT_CODE_POLICY,
) -> NewCode:
    """Create a code for the patient's chosen ``kinds``; ``label`` is the patient's own note.

    The holder sees charts of those kinds; ``downloads`` (the patient ticked it) also
    lets them download them (CSV, FHIR). Off by default: reading aloud a code to a
    professional is not handing over a file of one's history.
    """
    if session.get(Patient, patient_id) is None:
        raise InvalidRequest(f"unknown patient {patient_id}")
    try:
        chosen = with_companions(kinds)
    except ValueError as exc:
        raise InvalidRequest(f"unknown kind: {exc}") from exc
    if not chosen:
        raise InvalidRequest("choose at least one kind to share with the code")
    lifetime = ttl if ttl is not None else policy.default_ttl
    if not timedelta(0) < lifetime <= policy.max_ttl:
        raise InvalidRequest(f"a code lasts more than 0 and at most {policy.max_ttl.days} days")
    uses = max_uses if max_uses is not None else policy.default_uses
    if not 1 <= uses <= policy.max_uses:
        raise InvalidRequest(f"a code may be used from 1 to {policy.max_uses} times")
    raw = generate(policy)
    while session.scalars(
        select(AccessCode.id).where(AccessCode.code_hash == digest(raw, policy))
    ).first():
        raw = generate(policy)  # a collision among live codes: astronomically rare, still handled
    code = AccessCode(
        patient_id=patient_id,
        code_hash=digest(raw, policy),
        label=label,
        kinds=chosen,
        created_at=now,
        expires_at=now + lifetime,
        max_uses=uses,
        uses=0,
        downloads=downloads,
    )
    session.add(code)
    session.flush()
    record(
        session,
        patient_id=patient_id,
        actor=Actor(ActorType.CODE, str(code.id), label),
        now=now,
        event=Event.CODE_CREATED,
        kind=",".join(chosen),
        ref_id=code.id,
        until=code.expires_at,
    )
    return NewCode(code.id, display(raw), code.expires_at, uses, code.kind_set(), downloads)


@dataclass(frozen=True, slots=True)
class CodeView:
    """A code as the patient lists it (never the code itself). ``status``: active, expired,
    exhausted, revoked. ``used_by`` lists (when, declared name) of each redemption;
    ``downloads``: its holder may also download, not only see charts."""

    id: int
    label: str | None
    kinds: frozenset[Kind]
    created_at: datetime
    expires_at: datetime
    uses: int
    max_uses: int
    revoked_at: datetime | None
    status: str
    used_by: tuple[tuple[datetime, str | None], ...]
    downloads: bool = False


def code_status(code: AccessCode, now: datetime) -> str:
    if code.revoked_at is not None:
        return "revoked"
    if now >= code.expires_at:
        return "expired"
    if code.uses >= code.max_uses:
        return "exhausted"
    return "active"


def codes_for_patient(session: Session, patient_id: str, *, now: datetime) -> list[CodeView]:
    """The patient's codes, newest first, with who used each."""
    codes = session.scalars(
        select(AccessCode).where(AccessCode.patient_id == patient_id).order_by(AccessCode.id.desc())
    ).all()
    views = []
    for code in codes:
        sessions = session.scalars(
            select(CodeSession).where(CodeSession.code_id == code.id).order_by(CodeSession.id)
        )
        views.append(
            CodeView(
                id=code.id,
                label=code.label,
                kinds=code.kind_set(),
                created_at=code.created_at,
                expires_at=code.expires_at,
                uses=code.uses,
                max_uses=code.max_uses,
                revoked_at=code.revoked_at,
                status=code_status(code, now),
                used_by=tuple((s.opened_at, s.declared_name) for s in sessions),
                downloads=code.downloads,
            )
        )
    return views


def revoke_code(session: Session, code_id: int, *, patient_id: str, now: datetime) -> None:
    """Cancel a code and every capability it gave, at once."""
    code = session.get(AccessCode, code_id)
    if code is None or code.patient_id != patient_id:
        raise NotAllowed(f"code {code_id} is not one of yours", reason=Reason.OTHER_PATIENT)
    if code.revoked_at is None:
        code.revoked_at = now
        record(
            session,
            patient_id=patient_id,
            actor=Actor(ActorType.CODE, str(code.id), code.label),
            now=now,
            event=Event.CODE_REVOKED,
            kind=",".join(code.kinds),
            ref_id=code.id,
        )
        session.flush()


def _refuse(
    session: Session, code: AccessCode, actor: Actor, reason: Reason, now: datetime, commit: bool
) -> NotAllowed:
    record(
        session,
        patient_id=code.patient_id,
        actor=actor,
        now=now,
        event=Event.CODE_REDEEMED,
        result=Result.REFUSED,
        reason=reason.value,
        via=Via.CODE,
        ref_id=code.id,
    )
    if commit:
        session.commit()
    return NotAllowed(f"this access code cannot be used: {reason.value}", reason=reason)


def redeem_code(
    session: Session,
    typed: str,
    *,
    source: str,
    now: datetime,
    declared_name: str | None = None,
    professional_id: int | None = None,
    policy: CodePolicy = DEFAULT_CODE_POLICY,
    commit: bool = True,
) -> CodeRedemption:
    """Spend one use of a code and return a bearer token for a short read-only capability.

    ``source`` identifies the caller for rate limiting (the client address).
    Refusals raise `NotAllowed` with ``rate_limited``, ``code_unknown``,
    ``code_revoked``, ``code_expired`` or ``code_exhausted``; the attempt is
    recorded (and committed, unless ``commit=False``) before raising.
    """
    if ratelimit.locked_out(session, source, now, policy):
        wait = ratelimit.retry_after(session, source, now, policy)
        raise NotAllowed(
            f"too many wrong codes; try again in {int(wait.total_seconds()) + 1} s",
            reason=Reason.RATE_LIMITED,
        )
    raw = normalise(typed)
    found = (
        session.scalars(
            select(AccessCode).where(AccessCode.code_hash == digest(raw, policy))
        ).first()
        if raw and set(raw) <= set(ALPHABET)
        else None
    )
    if found is None:
        ratelimit.note_attempt(session, source, now, success=False)
        if commit:
            session.commit()
        raise NotAllowed(
            "unknown access code; check it with the patient", reason=Reason.CODE_UNKNOWN
        )
    if professional_id is not None:
        professional = session.get(Professional, professional_id)
        declared_name = professional.display_name if professional else declared_name
    actor = Actor(ActorType.CODE, str(found.id), declared_name)
    reason: Reason | None = None
    if found.revoked_at is not None:
        reason = Reason.CODE_REVOKED
    elif now >= found.expires_at:
        reason = Reason.CODE_EXPIRED
    else:
        # spend a use atomically: two redemptions at once cannot both take the last one
        spent = session.execute(
            update(AccessCode)
            .where(AccessCode.id == found.id, AccessCode.uses < AccessCode.max_uses)
            .values(uses=AccessCode.uses + 1)
        )
        if not getattr(spent, "rowcount", 0):
            reason = Reason.CODE_EXHAUSTED
    if reason is not None:
        ratelimit.note_attempt(session, source, now, success=False)
        raise _refuse(session, found, actor, reason, now, commit)
    ratelimit.note_attempt(session, source, now, success=True)
    session.refresh(found)
    token = secrets.token_urlsafe(32)
    code_session = CodeSession(
        code_id=found.id,
        token_hash=token_hash(token),
        declared_name=declared_name,
        professional_id=professional_id,
        opened_at=now,
        expires_at=min(now + policy.session_ttl, found.expires_at),
    )
    session.add(code_session)
    session.flush()
    record(
        session,
        patient_id=found.patient_id,
        actor=actor,
        now=now,
        event=Event.CODE_REDEEMED,
        via=Via.CODE,
        ref_id=found.id,
        until=code_session.expires_at,
    )
    patient = session.get(Patient, found.patient_id)
    zone = patient.time_zone if patient else "UTC"
    notify(
        session,
        found.patient_id,
        "notify.code_redeemed",
        {"when": local_time(now, zone), "who": declared_name or "?"},
        now=now,
    )
    if commit:
        session.commit()
    capability = Capability(
        patient_id=found.patient_id,
        kinds=found.kind_set(),
        accessor=CodeBearer(token),
        purpose=Purpose.VIEW,
        via=Via.CODE,
        expires_at=code_session.expires_at,
        ref_id=code_session.id,
    )
    return CodeRedemption(token=token, capability=capability)


def end_code_session(session: Session, token: str, *, now: datetime) -> bool:
    """The professional closes the read-only view: its bearer token stops working now
    (not only in this browser). False when the token names no live session."""
    found = session.scalars(
        select(CodeSession).where(CodeSession.token_hash == token_hash(token))
    ).first()
    if found is None or found.expires_at <= now:
        return False
    found.expires_at = now
    session.commit()
    return True
