"""Relational tables of sharing: identities, grants, codes, break-glass, audit.

Every table is on the one `veille.db.Base`. Times are aware UTC
(`veille.db.UTCDateTime`). Kinds are stored as the `devices.reading.Kind`
values in a JSON list, small enough to filter in Python.

Nothing here decides anything: `sharing.access` is the one place that says
yes or no. Rows are never deleted to revoke something; they get a
``revoked_at`` so the patient's history stays readable.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from devices.reading import Kind
from veille.db import Base, UTCDateTime


def revoked_by(revoked_at: datetime | None, now: datetime) -> bool:
    """Revoked at or before ``now`` (a replay on a virtual clock sees history as it was)."""
    return revoked_at is not None and revoked_at <= now


def live(
    starts_at: datetime, ends_at: datetime, revoked_at: datetime | None, now: datetime
) -> bool:
    """The one rule of a grant in force: started, not ended, not revoked."""
    return not revoked_by(revoked_at, now) and starts_at <= now < ends_at


class Patient(Base):
    """A patient known by a pseudonymous id, the same the gateway publishes (``p-7f3a``).

    ``label`` is what the care team calls the patient on the server (set
    there, never sent from the home). ``language`` chooses the texts the
    patient reads (``fr`` or ``en``); ``time_zone`` is an IANA name.
    """

    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str | None] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    language: Mapped[str] = mapped_column(String(2), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CareTeam(Base):
    """A care team; quiet hours are local times in ``time_zone`` (alerts uses them)."""

    __tablename__ = "care_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    quiet_start: Mapped[time | None] = mapped_column(Time())
    quiet_end: Mapped[time | None] = mapped_column(Time())

    members: Mapped[list[Professional]] = relationship(back_populates="team")


class Professional(Base):
    """A nurse, physician or team admin; ``on_call_order`` 1 is called first, None never."""

    __tablename__ = "professionals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("care_teams.id"), index=True)
    on_call_order: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    team: Mapped[CareTeam | None] = relationship(back_populates="members")


class Enrolment(Base):
    """A patient followed by a care team: needed for break-glass and the triage list.

    Enrolment alone shows nothing: the data itself needs a `Grant`.
    """

    __tablename__ = "enrolments"

    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("care_teams.id"), primary_key=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Grant(Base):
    """The patient shares ``kinds`` with one recipient from ``starts_at`` to ``ends_at``.

    The recipient is a care team or one professional, never both. An end date
    is required (at most a year ahead; renewing is one click): sharing that
    nobody remembers giving is the failure of products without expiry.
    """

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint(
            "(team_id IS NULL) <> (professional_id IS NULL)", name="grant_one_recipient"
        ),
        CheckConstraint("ends_at > starts_at", name="grant_ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("care_teams.id"))
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professionals.id"))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    alerts: Mapped[bool] = mapped_column(Boolean)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def kind_set(self) -> frozenset[Kind]:
        return frozenset(Kind(k) for k in self.kinds)

    def revoked(self, now: datetime) -> bool:
        return revoked_by(self.revoked_at, now)

    def active(self, now: datetime) -> bool:
        return live(self.starts_at, self.ends_at, self.revoked_at, now)


class AccessCode(Base):
    """A code the patient reads to one professional; only its keyed hash is stored."""

    __tablename__ = "access_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the patient also let its holder download (CSV, FHIR); charts only otherwise
    downloads: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def kind_set(self) -> frozenset[Kind]:
        return frozenset(Kind(k) for k in self.kinds)


class CodeSession(Base):
    """The short read-only capability a redeemed code gives; the bearer token is hashed."""

    __tablename__ = "code_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("access_codes.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    declared_name: Mapped[str | None] = mapped_column(String(200))
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professionals.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    code: Mapped[AccessCode] = relationship()


class CodeAttempt(Base):
    """One redemption attempt, for rate limiting per source and overall (no code stored)."""

    __tablename__ = "code_attempts"
    __table_args__ = (Index("ix_code_attempts_source_at", "source", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class BreakGlass(Base):
    """Emergency access by a professional of an enrolled team, with the reason they gave."""

    __tablename__ = "break_glass"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"))
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the opener's team when it was opened (the team lead reviews their team's)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("care_teams.id"), index=True)
    #: the team's emergency access on this patient it follows without a pause, if any
    follows_id: Mapped[int | None] = mapped_column(Integer)
    #: why a second one in a row was needed, written for the team lead
    justification: Mapped[str | None] = mapped_column(Text)


class PatientNotification(Base):
    """Something the patient must know (break-glass, a code used, a device to check).

    ``topic`` is a key of `sharing.texts`; ``params`` fill its placeholders, so
    the text is rendered in the language the patient reads at display time.
    """

    __tablename__ = "patient_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    topic: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One access attempt (allowed or refused) or one change to the patient's sharing.

    ``actor_label`` is a snapshot of the name the patient will read, so a
    renamed or deleted account still reads truthfully. ``ref_id`` is the
    grant, code or break-glass id the decision rested on. ``kind`` is the kind
    read, or for a grant or code event the kinds it covers, comma-separated
    (None: all kinds). ``until`` is the end of what a change event opened;
    ``detail`` the reason a professional gave for break-glass.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    event: Mapped[str] = mapped_column(String(32))
    actor_type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[str | None] = mapped_column(Text)
