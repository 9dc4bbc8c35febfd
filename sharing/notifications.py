"""Notices for the patient, shown on their page: break-glass, a code used, a device to check.

A notice stores a catalogue key and its parameters, not a sentence, so it is
rendered in whichever language the patient reads when they look. A parameter
named ``<field>__keys`` holds catalogue keys (comma-separated) rendered in
that language too and fills ``{<field>}``. The alerts engine tells the
patient about a device problem with `device_notice`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.audit import Actor, record
from sharing.models import PatientNotification
from sharing.terms import ActorType, Event, Language
from sharing.texts import CATALOGUE, text

KEYS_SUFFIX = "__keys"


def notify(
    session: Session, patient_id: str, topic: str, params: dict[str, str], *, now: datetime
) -> PatientNotification:
    """Add a notice; ``topic`` must be a catalogue key (``notify.break_glass``, ...)."""
    if topic not in CATALOGUE:
        raise KeyError(f"no text {topic!r} in sharing.texts.CATALOGUE; add it in FR and EN")
    for name, value in params.items():
        if name.endswith(KEYS_SUFFIX):
            missing = [key for key in value.split(",") if key not in CATALOGUE]
            if missing:
                raise KeyError(f"no text {missing} in sharing.texts.CATALOGUE")
    notice = PatientNotification(
        patient_id=patient_id, created_at=now, topic=topic, params=dict(params)
    )
    session.add(notice)
    session.flush()
    return notice


def render(topic: str, params: Mapping[str, str], lang: Language | str) -> str:
    """The notice's sentence in ``lang``, translating ``__keys`` parameters too."""
    filled: dict[str, str] = {}
    for name, value in params.items():
        if name.endswith(KEYS_SUFFIX):
            words = [text(key, lang) for key in value.split(",")]
            filled[name.removesuffix(KEYS_SUFFIX)] = ", ".join(words)
        else:
            filled[name] = value
    return text(topic, lang, **filled)


def device_notice(
    session: Session,
    patient_id: str,
    kind: Kind | None,
    problem: str,
    flags: Iterable[str] = (),
    *,
    now: datetime,
) -> PatientNotification:
    """Tell the patient to check a device: ``problem`` is ``flag`` (with ``flags``),
    ``no_value``, ``implausible`` or ``other_person``; anything else reads as a
    generic "the device reported a problem". Carries no value, only words."""
    device = f"device.{kind.value}" if kind is not None else "device.any"
    if problem == "flag":
        keys = [f"flag.{flag}" for flag in sorted(set(flags)) if f"flag.{flag}" in CATALOGUE]
        what = ",".join(keys) or "problem.other"
    else:
        what = f"problem.{problem}" if f"problem.{problem}" in CATALOGUE else "problem.other"
    params = {"device__keys": device, "what__keys": what}
    return notify(session, patient_id, "notify.check_device", params, now=now)


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
        NoticeView(n.id, n.created_at, n.topic, render(n.topic, n.params, lang), n.read_at)
        for n in session.scalars(query)
    ]


def unread_count(session: Session, patient_id: str) -> int:
    """How many of the patient's notices they have not marked read (all of them, not a page)."""
    query = select(func.count(PatientNotification.id)).where(
        PatientNotification.patient_id == patient_id, PatientNotification.read_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def mark_read(session: Session, patient_id: str, notice_ids: list[int], *, now: datetime) -> int:
    """Mark the patient's own notices read; ids of other patients are ignored.

    The patient's log says how many they marked, like every change they make on their page.
    """
    result = session.execute(
        update(PatientNotification)
        .where(
            PatientNotification.patient_id == patient_id,
            PatientNotification.id.in_(notice_ids),
            PatientNotification.read_at.is_(None),
        )
        .values(read_at=now)
    )
    marked = int(getattr(result, "rowcount", 0) or 0)
    if marked:
        record(
            session,
            patient_id=patient_id,
            actor=Actor(ActorType.PATIENT, patient_id, None),
            now=now,
            event=Event.NOTICES_READ,
            detail=str(marked),
        )
    return marked
