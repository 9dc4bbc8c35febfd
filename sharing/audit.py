"""The audit log: written for every access attempt and sharing change, read by the patient.

Writing happens in the caller's session (`record`); `sharing.access`
commits it. Reading (`audit_for_patient`) renders each row as one plain
sentence in the patient's language, from a snapshot of the actor's name
taken when the row was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sharing.models import AuditEntry, Professional
from sharing.terms import ActorType, Event, Language, Result, Via
from sharing.texts import CATALOGUE, kinds_text, language, reason_text, text


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, as the audit row stores it."""

    type: ActorType
    id: str | None
    label: str | None


def professional_actor(professional: Professional | None, professional_id: int) -> Actor:
    """A professional as the patient will read them (a name snapshot; None if unknown)."""
    label = professional.display_name if professional else None
    return Actor(ActorType.PROFESSIONAL, str(professional_id), label)


def record(
    session: Session,
    *,
    patient_id: str,
    actor: Actor,
    now: datetime,
    event: Event = Event.ACCESS,
    kind: str | None = None,
    purpose: str | None = None,
    result: Result = Result.ALLOWED,
    reason: str | None = None,
    via: Via = Via.NONE,
    ref_id: int | None = None,
    until: datetime | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Add one audit row to ``session`` (the caller commits)."""
    entry = AuditEntry(
        at=now,
        patient_id=patient_id,
        event=event.value,
        actor_type=actor.type.value,
        actor_id=actor.id,
        actor_label=actor.label,
        kind=kind,
        purpose=purpose,
        result=result.value,
        reason=reason,
        via=via.value,
        ref_id=ref_id,
        until=until,
        detail=detail,
    )
    session.add(entry)
    return entry


def record_reads(
    session: Session,
    reads: list[tuple[str, str | None, Via, int | None]],
    *,
    actor: Actor,
    purpose: str,
    now: datetime,
) -> None:
    """Many allowed reads by one actor at once — (patient, kinds, via, ref) each — in one
    multi-row INSERT: a triage list of a thousand patients should not pay a thousand flushes."""
    if not reads:
        return
    rows = [
        {
            "at": now,
            "patient_id": patient_id,
            "event": Event.ACCESS.value,
            "actor_type": actor.type.value,
            "actor_id": actor.id,
            "actor_label": actor.label,
            "kind": kind,
            "purpose": purpose,
            "result": Result.ALLOWED.value,
            "via": via.value,
            "ref_id": ref_id,
        }
        for patient_id, kind, via, ref_id in reads
    ]
    session.execute(insert(AuditEntry), rows)


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One audit row as the patient reads it; ``text`` is the plain sentence."""

    id: int
    at: datetime
    event: str
    who: str
    kind: str | None
    purpose: str | None
    result: str
    reason: str | None
    via: str
    text: str


def _who(entry: AuditEntry, lang: Language) -> str:
    actor = ActorType(entry.actor_type)
    if actor is ActorType.PATIENT:
        return text("who.another_patient", lang)
    if actor is ActorType.CODE:
        return text("who.code_holder", lang, name=entry.actor_label or "?")
    if actor is ActorType.CARE_TEAM:
        return text("who.team", lang, name=entry.actor_label or "?")
    return entry.actor_label or text("who.unknown", lang)


def local_time(moment: datetime | None, time_zone: str = "UTC") -> str:
    """A moment as the patient reads it, in their own zone (``2026-11-23 09:30``)."""
    if moment is None:
        return "?"
    try:
        return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")
    except OverflowError:  # 9999-12-31 in a zone east of UTC (a store may hold such a time)
        return moment.strftime("%Y-%m-%d %H:%M UTC")


def describe(entry: AuditEntry, lang: Language | str, time_zone: str = "UTC") -> AuditLine:
    """The patient's plain sentence for one row, times in ``time_zone``."""
    lang = language(str(lang))
    who = _who(entry, lang)
    kind = kinds_text(entry.kind.split(",") if entry.kind else None, lang)
    event = Event(entry.event)
    if event is Event.ACCESS:
        if entry.result == Result.ALLOWED.value:
            purpose = text(f"purpose.{entry.purpose or 'view'}", lang)
            sentence = text("audit.access_allowed", lang, who=who, purpose=purpose, kind=kind)
        else:
            why = reason_text(entry.reason, lang)
            sentence = text("audit.access_refused", lang, who=who, kind=kind, reason=why)
    elif entry.result == Result.REFUSED.value:  # a refused redemption or break-glass
        refused = f"audit.{event.value}_refused"
        sentence = text(
            refused if refused in CATALOGUE else "audit.access_refused",
            lang,
            who=who,
            kind=kind,
            reason=reason_text(entry.reason, lang),
            detail=entry.detail or "",
        )
    else:
        sentence = text(
            f"audit.{event.value}",
            lang,
            who=who,
            kind=kind,
            until=local_time(entry.until, time_zone),
            detail=entry.detail or "",
        )
    return AuditLine(
        id=entry.id,
        at=entry.at,
        event=entry.event,
        who=who,
        kind=entry.kind,
        purpose=entry.purpose,
        result=entry.result,
        reason=entry.reason,
        via=entry.via,
        text=sentence,
    )


def audit_for_patient(
    session: Session,
    patient_id: str,
    *,
    lang: Language | str = Language.FR,
    time_zone: str = "UTC",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[AuditLine]:
    """The patient's audit log, newest first, each row as a sentence in ``lang``.

    ``before_id`` pages backwards (pass the last id of the previous page).
    """
    query = select(AuditEntry).where(AuditEntry.patient_id == patient_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return [describe(entry, lang, time_zone) for entry in session.scalars(query)]
