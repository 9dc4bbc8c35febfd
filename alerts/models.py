"""Relational tables of alerts: alerts, their history, deliveries, per-patient targets.

On the one `veille.db.Base`, times aware UTC. Patients are referred to by
their pseudonymous id without a foreign key, so a replay or a worker can keep
alert state for a patient the web has not registered yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from veille.db import Base, UTCDateTime


class Alert(Base):
    """One alert: a condition of one patient, from open to resolved."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_patient_status", "patient_id", "status"),
        # one unresolved alert per condition: two workers opening it at once cannot both
        Index(
            "ux_alerts_open_condition",
            "patient_id",
            "category",
            "kind",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(Text)
    magnitude: Mapped[float] = mapped_column(Float)
    rule: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    reading_id: Mapped[str | None] = mapped_column(String(32))
    reopen_hours: Mapped[float] = mapped_column(Float)
    worse_step: Mapped[float] = mapped_column(Float)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_note: Mapped[str | None] = mapped_column(Text)
    ack_magnitude: Mapped[float | None] = mapped_column(Float)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    #: the rule's findings as data (metric, value, threshold…): pages word them per viewer
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: why it closed: all_clear (``resolved_reading_id`` cleared it), superseded, by_hand
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_reading_id: Mapped[str | None] = mapped_column(String(32))
    #: a professional's review, with a note; a warning or urgent alert waits for one
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)


class AlertEvent(Base):
    """Everything that happened to an alert, in order: the inbox shows it as a timeline."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    change: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    reading_id: Mapped[str | None] = mapped_column(String(32))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Delivery(Base):
    """One notification of one alert change to one recipient over one channel.

    Never deleted: ``status`` is ``pending`` (waiting for its first try, a
    retry, or the end of quiet hours), ``sent``, ``failed`` (gave up after
    the last retry — shown in the inbox, never silent) or ``withdrawn`` (the
    patient stopped sharing before it went out).
    """

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    change: Mapped[str] = mapped_column(String(32))
    recipient_type: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    status: Mapped[str] = mapped_column(String(16))
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertTarget(Base):
    """A care team's per-patient parameters for one rule; each change is a new version.

    The highest ``version`` per (patient, rule) applies; ``params`` None
    returns the rule to the default. Who set it and why is kept with it.
    """

    __tablename__ = "alert_targets"
    __table_args__ = (Index("ix_alert_targets_patient_rule", "patient_id", "rule", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EvaluatedReading(Base):
    """A reading a rule worker evaluated, kept for the other workers for a day or two.

    Workers share the readings round robin, so the readings a confirmation needs
    may have gone to another worker and not yet reached the readings store or
    this worker's cache; each records here what it evaluated (of the kinds a
    rule must confirm) and reads back the patient's recent ones before judging.
    """

    __tablename__ = "alert_readings"
    __table_args__ = (
        Index("ix_alert_readings_patient_kind_time", "patient_id", "kind", "measured_at"),
    )

    reading_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
