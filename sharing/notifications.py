"""Notices for the patient, shown on their page: break-glass, a code used, a device to check.

A notice stores a catalogue key and its parameters, not a sentence, so it is
rendered in whichever language the patient reads when they look. Other
packages (alerts: "check your device") add theirs with `notify` and a key of
their own catalogue entry in `sharing.texts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sharing.models import PatientNotification
from sharing.terms import Language
from sharing.texts import CATALOGUE, text


def notify(
    session: Session, patient_id: str, topic: str, params: dict[str, str], *, now: datetime
) -> PatientNotification:
    """Add a notice; ``topic`` must be a catalogue key (``notify.break_glass``, ...)."""
    if topic not in CATALOGUE:
        raise KeyError(f"no text {topic!r} in sharing.texts.CATALOGUE; add it in FR and EN")
    notice = PatientNotification(
        patient_id=patient_id, created_at=now, topic=topic, params=dict(params)
    )
    session.add(notice)
    session.flush()
    return notice


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: int
    created_at: datetime
    topic: str
    text: str
    read_at: datetime | None


def notifications_for_patient(
    session: Session,
    patient_id: str,
    *,
    lang: Language | str = Language.FR,
    unread_only: bool = False,
    limit: int = 100,
) -> list[NoticeView]:
    """The patient's notices, newest first, as sentences in ``lang``."""
    query = select(PatientNotification).where(PatientNotification.patient_id == patient_id)
    if unread_only:
        query = query.where(PatientNotification.read_at.is_(None))
    query = query.order_by(PatientNotification.id.desc()).limit(limit)
    return [
        NoticeView(n.id, n.created_at, n.topic, text(n.topic, lang, **n.params), n.read_at)
        for n in session.scalars(query)
    ]


def mark_read(session: Session, patient_id: str, notice_ids: list[int], *, now: datetime) -> int:
    """Mark the patient's own notices read; ids of other patients are ignored."""
    result = session.execute(
        update(PatientNotification)
        .where(
            PatientNotification.patient_id == patient_id,
            PatientNotification.id.in_(notice_ids),
            PatientNotification.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
