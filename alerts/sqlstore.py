"""Alert state and per-patient targets in the relational database.

`SqlAlertStore` is the `AlertStore` a worker and the web share; acknowledging
and snoozing go through it so they touch exactly one alert. `SqlReadingLog` shares
the readings the workers evaluated; `DbTargets` reads the care team's
versioned per-patient targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.lifecycle import (
    AlertRecord,
    PatientAlerts,
    Transition,
    acknowledge,
    resolve_by_hand,
    review,
    snooze,
)
from alerts.models import Alert, AlertEvent, AlertTarget, EvaluatedReading
from alerts.ruleset import RuleSet
from alerts.store import AlertConflict, Evaluated, Shared
from alerts.terms import Category, Severity, Status
from devices.reading import Kind
from veille import logs
from veille.db import transaction
from veille.errors import ConfigError, StoreError

log = logs.get("alerts.targets")

#: Resolved alerts older than this cannot be reopened by any rule of the default set.
KEEP_RESOLVED = timedelta(days=15)

_FIELDS = (
    "patient",
    "category",
    "kind",
    "severity",
    "status",
    "opened_at",
    "updated_at",
    "message",
    "magnitude",
    "rule",
    "rules_version",
    "reading_id",
    "reopen_hours",
    "worse_step",
    "acknowledged_by",
    "acknowledged_at",
    "ack_note",
    "ack_magnitude",
    "snoozed_until",
    "resolved_at",
    "escalation_level",
    "resolution",
    "resolved_by",
    "resolution_note",
    "resolved_reading_id",
    "reviewed_by",
    "reviewed_at",
    "review_note",
)


def to_record(row: Alert) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        patient=row.patient_id,
        category=Category(row.category),
        kind=Kind(row.kind) if row.kind else None,
        severity=Severity(row.severity),
        status=Status(row.status),
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        message=row.message,
        magnitude=row.magnitude,
        rule=row.rule,
        rules_version=row.rules_version,
        reading_id=row.reading_id,
        reopen_hours=row.reopen_hours,
        worse_step=row.worse_step,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        ack_note=row.ack_note,
        ack_magnitude=row.ack_magnitude,
        snoozed_until=row.snoozed_until,
        resolved_at=row.resolved_at,
        escalation_level=row.escalation_level,
        params=dict(row.params or {}),
        resolution=row.resolution,
        resolved_by=row.resolved_by,
        resolution_note=row.resolution_note,
        resolved_reading_id=row.resolved_reading_id,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        review_note=row.review_note,
    )


def _write(row: Alert, record: AlertRecord) -> None:
    for name in _FIELDS:
        value: Any = getattr(record, name)
        if name == "patient":
            row.patient_id = value
            continue
        if name in ("category", "kind", "severity", "status") and value is not None:
            value = value.value
        setattr(row, name, value)
    row.params = dict(record.params) if record.params else None


def persist(session: Session, changes: Sequence[Transition], actor: str | None = None) -> None:
    """Upsert the alerts of ``changes`` and append their history, in ``session``."""
    for change in changes:
        record = change.alert
        row = session.get(Alert, record.id)
        if row is None:
            row = Alert(id=record.id)
            session.add(row)
        _write(row, record)
        session.add(
            AlertEvent(
                alert_id=record.id,
                change=change.change.value,
                at=change.at,
                severity=record.severity.value,
                message=record.message,
                actor=actor,
                note=change.note,
                reading_id=change.reading_id,
                params=dict(record.params) if record.params else None,
            )
        )


class SqlAlertStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def load(self, patient: str, now: datetime) -> PatientAlerts:
        query = select(Alert).where(
            Alert.patient_id == patient,
            or_(Alert.status != Status.RESOLVED.value, Alert.resolved_at >= now - KEEP_RESOLVED),
        )
        with self.sessions() as session:
            rows = session.scalars(query).all()
            return PatientAlerts(patient, [to_record(row) for row in rows])

    def save(self, patient: str, alerts: PatientAlerts, changes: Sequence[Transition]) -> None:
        try:
            with transaction(self.sessions) as session:
                persist(session, changes)
        except IntegrityError as err:
            raise AlertConflict(f"patient alerts changed meanwhile: {err.orig}") from err

    def get(self, alert_id: str) -> AlertRecord:
        with self.sessions() as session:
            row = session.get(Alert, alert_id)
            if row is None:
                raise StoreError(f"no alert {alert_id}")
            return to_record(row)

    def acknowledge(
        self, alert_id: str, by: str, now: datetime, note: str | None = None
    ) -> Transition:
        """Acknowledge this one alert (others of the patient are untouched)."""
        with transaction(self.sessions) as session:
            row = session.get(Alert, alert_id, with_for_update=True)
            if row is None:
                raise StoreError(f"no alert {alert_id}")
            change = acknowledge(to_record(row), by, now, note)
            persist(session, [change], actor=by)
            return change

    def snooze(self, alert_id: str, until: datetime, by: str, now: datetime) -> Transition:
        with transaction(self.sessions) as session:
            row = session.get(Alert, alert_id, with_for_update=True)
            if row is None:
                raise StoreError(f"no alert {alert_id}")
            change = snooze(to_record(row), until, now)
            persist(session, [change], actor=by)
            return change

    def resolve(self, alert_id: str, by: str, now: datetime, note: str | None = None) -> Transition:
        """Close one alert by hand (see `alerts.lifecycle.resolve_by_hand`)."""
        with transaction(self.sessions) as session:
            row = session.get(Alert, alert_id, with_for_update=True)
            if row is None:
                raise StoreError(f"no alert {alert_id}")
            change = resolve_by_hand(to_record(row), by, now, note)
            persist(session, [change], actor=by)
            return change

    def review(self, alert_id: str, by: str, now: datetime, note: str) -> Transition:
        """Record a professional's review of one alert (see `alerts.lifecycle.review`)."""
        with transaction(self.sessions) as session:
            row = session.get(Alert, alert_id, with_for_update=True)
            if row is None:
                raise StoreError(f"no alert {alert_id}")
            change = review(to_record(row), by, now, note)
            persist(session, [change], actor=by)
            return change

    def open_alerts(self) -> list[AlertRecord]:
        """Every open or acknowledged alert (escalation and reminders walk these)."""
        with self.sessions() as session:
            rows = session.scalars(select(Alert).where(Alert.status != Status.RESOLVED.value))
            return [to_record(row) for row in rows]


class SqlReadingLog:
    """The `ReadingLog` in the shared database (``alert_readings``).

    A record commits before any read, so of two workers judging two readings of
    one patient at the same moment, the later to commit sees the other's.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def record(self, patient: str, kind: Kind, reading: Evaluated, now: datetime) -> None:
        self.record_many([(patient, kind, reading)], now)

    def record_many(self, entries: Sequence[Shared], now: datetime) -> None:
        """One commit for a batch; a reading already there (a redelivery) is skipped."""
        rows = {
            reading.reading_id: EvaluatedReading(
                reading_id=reading.reading_id,
                patient_id=patient,
                kind=kind.value,
                measured_at=datetime.fromtimestamp(reading.measured_at, UTC),
                metrics=dict(reading.metrics),
                recorded_at=now,
            )
            for patient, kind, reading in entries
        }
        try:
            with transaction(self.sessions) as session:
                there = set(
                    session.scalars(
                        select(EvaluatedReading.reading_id).where(
                            EvaluatedReading.reading_id.in_(list(rows))
                        )
                    )
                )
                session.add_all([row for key, row in rows.items() if key not in there])
        except IntegrityError:  # another worker recorded one of them just now: one at a time
            if len(entries) > 1:
                for entry in entries:
                    self.record_many([entry], now)

    def between(self, patient: str, kind: Kind, start: float, end: float) -> list[Evaluated]:
        query = select(EvaluatedReading).where(
            EvaluatedReading.patient_id == patient,
            EvaluatedReading.kind == kind.value,
            EvaluatedReading.measured_at >= datetime.fromtimestamp(start, UTC),
            EvaluatedReading.measured_at <= datetime.fromtimestamp(end, UTC),
        )
        with self.sessions() as session:
            return [
                Evaluated(row.reading_id, row.measured_at.timestamp(), row.metrics)
                for row in session.scalars(query)
            ]

    def prune(self, before: datetime) -> None:
        with transaction(self.sessions) as session:
            session.execute(delete(EvaluatedReading).where(EvaluatedReading.recorded_at < before))


class DbTargets:
    """Per-patient targets from the ``alert_targets`` table (latest version per rule)."""

    def __init__(self, sessions: sessionmaker[Session], rules: RuleSet) -> None:
        self.sessions = sessions
        self.rules = rules

    def for_patient(self, patient: str) -> Mapping[str, Mapping[str, Any]]:
        latest = (
            select(AlertTarget.rule, func.max(AlertTarget.version).label("v"))
            .where(AlertTarget.patient_id == patient)
            .group_by(AlertTarget.rule)
            .subquery()
        )
        query = select(AlertTarget).join(
            latest, (AlertTarget.rule == latest.c.rule) & (AlertTarget.version == latest.c.v)
        )
        with self.sessions() as session:
            rows = session.scalars(query.where(AlertTarget.patient_id == patient)).all()
        targets = {}
        for row in rows:
            if not row.params:
                continue
            try:  # stored before the rule refused it (a NaN limit): the default holds
                self.rules.with_targets({row.rule: row.params})
            except ConfigError:
                log.warning("target_ignored", patient=patient, rule=row.rule, version=row.version)
                continue
            targets[row.rule] = dict(row.params)
        return targets

    def set(
        self,
        patient: str,
        rule: str,
        params: Mapping[str, Any] | None,
        *,
        by: str,
        reason: str,
        now: datetime,
    ) -> int:
        """Record a new version of a patient's target; refused if it breaks the rule."""
        if params is not None:
            self.rules.with_targets({rule: params})  # raises ConfigError naming the problem
        elif rule not in self.rules.by_name:
            raise ConfigError(f"unknown rule {rule!r}")
        with transaction(self.sessions) as session:
            current = session.scalar(
                select(func.max(AlertTarget.version)).where(
                    AlertTarget.patient_id == patient, AlertTarget.rule == rule
                )
            )
            version = (current or 0) + 1
            session.add(
                AlertTarget(
                    patient_id=patient,
                    rule=rule,
                    version=version,
                    params=dict(params) if params is not None else None,
                    set_by=by,
                    reason=reason,
                    set_at=now,
                )
            )
            return version
