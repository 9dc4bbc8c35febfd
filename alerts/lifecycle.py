"""The alert state machine: open -> acknowledged -> resolved, pure and clock-free.

One alert per (patient, category, kind): the same condition updates it
instead of opening another. The lessons of the field's issue trackers are
the rules here (research notes 1.6 and 5):

- acknowledging or snoozing an alert touches that alert only;
- an acknowledged alert whose condition gets worse (a graver severity, or a
  value beyond the acknowledged one by the rule's ``worse_step``) is raised
  again;
- a condition that clears resolves its alert with an "all clear";
- the same condition back within ``reopen_hours`` of its all clear reopens
  the same alert (flapping is one alert), later it is a new one;
- within a family (severe hypoglycaemia > hypoglycaemia, crisis >
  hypertension) a graver alert supersedes a milder one, and a milder one is
  not opened while a graver one is open or was closed recently.

Review is a clinical act, apart from the condition's state: a clinical
warning or urgent alert waits "to review" until a professional reviews it
with a note, even when its condition cleared by itself (a hypoglycaemia at
3 a.m. that the next reading closed must still reach the nurse). Every
resolution says who or what closed it, when and why (``resolution``:
``all_clear`` with the reading that cleared it, ``superseded``, ``by_hand``
with the clinician and their note).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from alerts.terms import Category, Change, Severity, Status, graver_than, milder_than
from devices.reading import Kind
from veille.errors import VeilleError

Key = tuple[Category, Kind | None]


class AlertClosed(VeilleError, ValueError):
    """An action on an alert that is already resolved (the inbox shows it as such)."""


class ReviewNeedsNote(VeilleError, ValueError):
    """A review without a note: the note is what the review records."""


class AlreadyReviewed(VeilleError, ValueError):
    """A second review of the same alert (a second click): nothing to do."""


@dataclass(frozen=True, slots=True)
class Signal:
    """What the rules concluded about one condition of one patient, now."""

    category: Category
    kind: Kind | None
    active: bool  # False: the condition has cleared
    severity: Severity = Severity.INFO
    magnitude: float = 0.0
    message: str = ""
    rule: str = ""
    reading_id: str | None = None
    reopen_hours: float = 72.0
    worse_step: float = 1.0
    #: structured detail (see `alerts.evaluate.Outcome.params`), rendered per viewer
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.category, self.kind)


class Resolution:
    """Why an alert was closed (``AlertRecord.resolution``)."""

    ALL_CLEAR = "all_clear"
    SUPERSEDED = "superseded"
    BY_HAND = "by_hand"


@dataclass(slots=True)
class AlertRecord:
    """One alert, as the lifecycle sees it (`alerts.models.Alert` persists it)."""

    id: str
    patient: str
    category: Category
    kind: Kind | None
    severity: Severity
    status: Status
    opened_at: datetime
    updated_at: datetime
    message: str
    magnitude: float
    rule: str
    rules_version: str
    reading_id: str | None = None
    reopen_hours: float = 72.0
    worse_step: float = 1.0
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    ack_note: str | None = None
    ack_magnitude: float | None = None
    snoozed_until: datetime | None = None
    resolved_at: datetime | None = None
    escalation_level: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)
    resolution: str | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None
    resolved_reading_id: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None

    @property
    def key(self) -> Key:
        return (self.category, self.kind)

    @property
    def active(self) -> bool:
        return self.status is not Status.RESOLVED

    @property
    def needs_review(self) -> bool:
        """A clinical warning or urgent alert no professional has reviewed yet."""
        return (
            self.category.clinical
            and self.severity is not Severity.INFO
            and self.reviewed_at is None
            and self.resolution != Resolution.SUPERSEDED  # the graver alert is reviewed
        )

    def recently_resolved(self, now: datetime, hours: float) -> bool:
        return self.resolved_at is not None and now - self.resolved_at <= timedelta(hours=hours)


@dataclass(frozen=True, slots=True)
class Transition:
    """A change to an alert, with a snapshot of the alert after it; ``note`` and
    ``reading_id`` say why (a clinician's note, the reading that cleared it)."""

    alert: AlertRecord
    change: Change
    at: datetime
    note: str | None = None
    reading_id: str | None = None


class PatientAlerts:
    """The latest alert per condition of one patient (open, or the last one resolved)."""

    __slots__ = ("latest", "patient")

    def __init__(self, patient: str, records: list[AlertRecord] | None = None) -> None:
        self.patient = patient
        self.latest: dict[Key, AlertRecord] = {}
        for record in sorted(records or [], key=lambda r: r.opened_at):
            self.latest[record.key] = record

    def get(self, key: Key) -> AlertRecord | None:
        return self.latest.get(key)

    def is_open(self, key: Key) -> bool:
        record = self.latest.get(key)
        return record is not None and record.active

    def open_records(self) -> list[AlertRecord]:
        return [record for record in self.latest.values() if record.active]


def _snapshot(
    record: AlertRecord,
    change: Change,
    at: datetime,
    note: str | None = None,
    reading_id: str | None = None,
) -> Transition:
    return Transition(replace(record), change, at, note, reading_id)


def _close(record: AlertRecord, how: str, now: datetime) -> None:
    record.status = Status.RESOLVED
    record.resolved_at = now
    record.updated_at = now
    record.resolution = how


def apply(alerts: PatientAlerts, signal: Signal, now: datetime, version: str) -> list[Transition]:
    """The changes ``signal`` makes to ``alerts`` (mutated in place)."""
    record = alerts.get(signal.key)
    if not signal.active:
        if record is None or not record.active:
            return []
        _close(record, Resolution.ALL_CLEAR, now)
        record.resolved_by = None
        record.resolution_note = None
        record.resolved_reading_id = signal.reading_id
        return [_snapshot(record, Change.RESOLVED, now, reading_id=signal.reading_id)]
    if record is not None and record.active:
        return [_update(record, signal, now)]
    for graver in graver_than(signal.category):
        other = alerts.get((graver, signal.kind))
        if other is not None and (
            other.active or other.recently_resolved(now, signal.reopen_hours)
        ):
            return []  # the graver alert already says it
    if record is not None and record.recently_resolved(now, signal.reopen_hours):
        _refresh(record, signal, now)
        record.status = Status.OPEN
        record.severity = signal.severity
        record.resolved_at = None
        record.resolution = record.resolved_by = None
        record.resolution_note = record.resolved_reading_id = None
        _clear_ack(record)
        _clear_review(record)
        return [_snapshot(record, Change.REOPENED, now)]
    changes: list[Transition] = []
    for milder in milder_than(signal.category):
        other = alerts.get((milder, signal.kind))
        if other is not None and other.active:
            _close(other, Resolution.SUPERSEDED, now)
            changes.append(_snapshot(other, Change.SUPERSEDED, now))
    record = AlertRecord(
        id=uuid.uuid4().hex,
        patient=alerts.patient,
        category=signal.category,
        kind=signal.kind,
        severity=signal.severity,
        status=Status.OPEN,
        opened_at=now,
        updated_at=now,
        message=signal.message,
        magnitude=signal.magnitude,
        rule=signal.rule,
        rules_version=version,
        reading_id=signal.reading_id,
        reopen_hours=signal.reopen_hours,
        worse_step=signal.worse_step,
        params=dict(signal.params),
    )
    alerts.latest[signal.key] = record
    changes.insert(0, _snapshot(record, Change.OPENED, now))
    return changes


def _refresh(record: AlertRecord, signal: Signal, now: datetime) -> None:
    record.message = signal.message
    record.magnitude = signal.magnitude
    record.rule = signal.rule
    record.reading_id = signal.reading_id
    record.reopen_hours = signal.reopen_hours
    record.worse_step = signal.worse_step
    record.params = dict(signal.params)
    record.updated_at = now


def _clear_review(record: AlertRecord) -> None:
    record.reviewed_by = None
    record.reviewed_at = None
    record.review_note = None


def _clear_ack(record: AlertRecord) -> None:
    record.acknowledged_by = None
    record.acknowledged_at = None
    record.ack_note = None
    record.ack_magnitude = None
    record.snoozed_until = None
    record.escalation_level = 0


def _update(record: AlertRecord, signal: Signal, now: datetime) -> Transition:
    _refresh(record, signal, now)
    if signal.severity.rank > record.severity.rank:
        record.severity = signal.severity
        record.status = Status.OPEN
        _clear_ack(record)
        _clear_review(record)
        return _snapshot(record, Change.ESCALATED, now)
    if (
        record.status is Status.ACKNOWLEDGED
        and record.ack_magnitude is not None
        and signal.magnitude >= record.ack_magnitude + record.worse_step
    ):
        record.status = Status.OPEN
        _clear_ack(record)
        _clear_review(record)
        return _snapshot(record, Change.RAISED_AGAIN, now)
    return _snapshot(record, Change.UPDATED, now)


def acknowledge(record: AlertRecord, by: str, now: datetime, note: str | None = None) -> Transition:
    """Someone has seen this alert; it stays quiet unless it gets worse."""
    if not record.active:
        raise AlertClosed(f"alert {record.id} is resolved; nothing to acknowledge")
    record.status = Status.ACKNOWLEDGED
    record.acknowledged_by = by
    record.acknowledged_at = now
    record.ack_note = note
    record.ack_magnitude = record.magnitude
    record.updated_at = now
    if note:  # acknowledging with a note is a review (the nurse called the patient)
        _mark_reviewed(record, by, now, note)
    return _snapshot(record, Change.ACKNOWLEDGED, now, note=note)


def snooze(record: AlertRecord, until: datetime, now: datetime) -> Transition:
    """No reminder or escalation for this alert until ``until``; others are untouched."""
    if not record.active:
        raise AlertClosed(f"alert {record.id} is resolved; nothing to snooze")
    record.snoozed_until = until
    record.updated_at = now
    return _snapshot(record, Change.SNOOZED, now)


def resolve_by_hand(
    record: AlertRecord, by: str, now: datetime, note: str | None = None
) -> Transition:
    """A clinician closes an alert they have dealt with. If its condition still holds,
    the next reading reopens it (acknowledge instead to keep it quiet while it lasts).
    With a note, closing is also the alert's review."""
    if not record.active:
        raise AlertClosed(f"alert {record.id} is already resolved")
    _close(record, Resolution.BY_HAND, now)
    record.resolved_by = by
    record.resolution_note = note
    record.acknowledged_by = record.acknowledged_by or by
    if note:
        _mark_reviewed(record, by, now, note)
    return _snapshot(record, Change.RESOLVED, now, note=note)


def _mark_reviewed(record: AlertRecord, by: str, now: datetime, note: str) -> None:
    record.reviewed_by = by
    record.reviewed_at = now
    record.review_note = note


def review(record: AlertRecord, by: str, now: datetime, note: str) -> Transition:
    """A professional has reviewed this alert (open or already closed), with a note;
    it leaves the "to review" list. The condition's state is not touched."""
    if not note.strip():
        raise ReviewNeedsNote("a review needs a note: what was done or decided")
    if record.reviewed_at is not None:
        raise AlreadyReviewed(f"alert {record.id} was reviewed by {record.reviewed_by}")
    _mark_reviewed(record, by, now, note.strip())
    record.updated_at = now
    return _snapshot(record, Change.REVIEWED, now, note=note.strip())
