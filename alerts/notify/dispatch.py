"""From alert changes to deliveries: who, over which channel, when; retries and escalation.

Every notification is first a `Delivery` row, then an attempt: a crash
between the two loses nothing, a failed attempt is retried with exponential
backoff and, after the last one, stays visible as ``failed``. A row is
claimed (its next attempt pushed out by a lease) before it is sent, so two
dispatchers never send it twice, and a sent row is never sent again: a
channel that fails then recovers delivers once.

Quiet hours belong to a care team, in the team's time zone: inside them only
urgent alerts go out at once, the rest wait for one digest at the end of the
quiet window (computed with zoneinfo, so across daylight-saving changes). An
urgent alert nobody acknowledged in time goes to the next person on call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts.lifecycle import AlertRecord, Transition
from alerts.models import Alert, AlertEvent, Delivery
from alerts.notify.base import Channel, DeliveryFailed, render, render_digest
from alerts.sqlstore import to_record
from alerts.terms import Change, Severity, Status
from veille.db import transaction
from veille.logs import get

log = get("alerts.dispatch")

PENDING, SENT, FAILED, WITHDRAWN = "pending", "sent", "failed", "withdrawn"


@dataclass(frozen=True, slots=True)
class Address:
    channel: str  # a key of the dispatcher's channels: email, webhook, mqtt, apprise
    target: str  # an e-mail address, a URL, an apprise URL ("" for mqtt)
    language: str = "fr"


@dataclass(frozen=True, slots=True)
class Quiet:
    zone: ZoneInfo
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Audience:
    """One recipient of an alert: where to reach them, their quiet hours, who is next on call."""

    key: str  # "team:3", "professional:7", "patient:p-7f3a"
    addresses: tuple[Address, ...]
    quiet: Quiet | None = None
    on_call: tuple[tuple[Address, ...], ...] = field(default=())


class Directory(Protocol):
    def audiences(self, session: Session, alert: AlertRecord, now: datetime) -> list[Audience]:
        """Who may hear of ``alert`` now (only what the patient shares; device -> patient)."""
        ...

    def still_allowed(self, session: Session, alert: AlertRecord, key: str, now: datetime) -> bool:
        """Checked again before each attempt: a revoked grant stops a pending delivery."""
        ...


def quiet_until(now: datetime, quiet: Quiet | None) -> datetime | None:
    """The end of the quiet window ``now`` falls in (aware UTC), or None outside it."""
    if quiet is None or quiet.start == quiet.end:
        return None
    local = now.astimezone(quiet.zone)
    clock = local.time().replace(tzinfo=None)
    today = local.date()
    if quiet.start < quiet.end:
        inside = quiet.start <= clock < quiet.end
        end_day = today
    else:  # spans midnight, e.g. 22:00-07:00
        inside = clock >= quiet.start or clock < quiet.end
        end_day = today + timedelta(days=1) if clock >= quiet.start else today
    if not inside:
        return None
    end = datetime.combine(end_day, quiet.end, tzinfo=quiet.zone)
    return end.astimezone(now.tzinfo)


@dataclass(frozen=True, slots=True)
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    withdrawn: int = 0


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Mapping[str, Channel],
        directory: Directory,
        *,
        link: str,
        max_attempts: int = 6,
        backoff_s: float = 30.0,
        backoff_cap_s: float = 3600.0,
        escalate_after: timedelta = timedelta(minutes=15),
        lease_s: float = 120.0,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.directory = directory
        self.link = link
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.escalate_after = escalate_after
        self.lease_s = lease_s

    # --- enqueue ----------------------------------------------------------------

    def enqueue(self, changes: Sequence[Transition], now: datetime) -> int:
        """Delivery rows for the changes people must hear of; returns how many."""
        count = 0
        with transaction(self.sessions) as session:
            for change in changes:
                if not change.change.notifies:
                    continue
                if change.change is Change.RESOLVED and not change.alert.category.clinical:
                    continue  # a device working again is no news to the patient
                for audience in self.directory.audiences(session, change.alert, now):
                    count += self._add(session, change.alert, change.change, audience, now)
        return count

    def _add(
        self,
        session: Session,
        alert: AlertRecord,
        change: Change,
        audience: Audience,
        now: datetime,
        addresses: tuple[Address, ...] | None = None,
    ) -> int:
        urgent = alert.severity is Severity.URGENT and change is not Change.RESOLVED
        deferred = None if urgent else quiet_until(now, audience.quiet)
        chosen = audience.addresses if addresses is None else addresses
        for address in chosen:
            if address.channel not in self.channels:
                log.warning("alert_channel_unknown", channel=address.channel, alert=alert.id)
            recipient_type, _, recipient_id = audience.key.partition(":")
            session.add(
                Delivery(
                    alert_id=alert.id,
                    change=change.value,
                    recipient_type=recipient_type,
                    recipient_id=recipient_id,
                    channel=address.channel,
                    target=address.target,
                    language=address.language,
                    status=PENDING,
                    digest=deferred is not None,
                    attempts=0,
                    next_attempt_at=deferred or now,
                    created_at=now,
                )
            )
        return len(chosen)

    # --- deliver ------------------------------------------------------------------

    def deliver_due(self, now: datetime) -> Report:
        """Attempt every delivery that is due; digests go out as one note per recipient."""
        with self.sessions() as session:
            due = session.scalars(
                select(Delivery)
                .where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
                .order_by(Delivery.id)
            ).all()
        groups: dict[tuple[str, str, str, str], list[Delivery]] = {}
        for row in due:
            key = (
                (row.recipient_type, row.recipient_id, row.channel, row.target)
                if row.digest
                else ("one", str(row.id), "", "")
            )
            groups.setdefault(key, []).append(row)
        totals = {SENT: 0, "retrying": 0, FAILED: 0, WITHDRAWN: 0}
        for rows in groups.values():
            outcome = self._attempt(rows, now)
            totals[outcome] += len(rows)
        return Report(totals[SENT], totals["retrying"], totals[FAILED], totals[WITHDRAWN])

    def _claim(self, ids: list[int], now: datetime) -> bool:
        lease = now + timedelta(seconds=self.lease_s)
        with transaction(self.sessions) as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.status == PENDING,
                    Delivery.next_attempt_at <= now,
                )
                .values(next_attempt_at=lease)
            )
            claimed: int = result.rowcount  # type: ignore[attr-defined]
            if claimed != len(ids):
                session.rollback()
                return False
        return True

    def _attempt(self, rows: list[Delivery], now: datetime) -> str:
        ids = [row.id for row in rows]
        if not self._claim(ids, now):
            return "retrying"  # another dispatcher has it
        first = rows[0]
        with self.sessions() as session:
            alert_rows = [session.get(Alert, row.alert_id) for row in rows]
            records = [to_record(a) for a in alert_rows if a is not None]
            key = f"{first.recipient_type}:{first.recipient_id}"
            allowed = [self.directory.still_allowed(session, r, key, now) for r in records]
        if not all(allowed) or not records:
            self._finish(ids, WITHDRAWN, now, "the patient no longer shares this with them")
            return WITHDRAWN
        channel = self.channels.get(first.channel)
        delivery_id = f"veille-{first.id}" + (f"-{len(rows)}" if first.digest else "")
        if first.digest:
            note = render_digest(delivery_id, len(rows), self.link, first.language)
        else:
            note = render(records[0], Change(first.change), delivery_id, self.link, first.language)
        if channel is not None and not channel.trusted:
            note = type(note)(note.delivery_id, note.title, note.body, None)  # nothing to leak
        try:
            if channel is None:
                raise DeliveryFailed(f"no channel {first.channel!r} is configured")
            channel.send(first.target, note)
        except DeliveryFailed as err:
            return self._failed(ids, first.attempts + 1, now, str(err))
        self._finish(ids, SENT, now, None)
        log.info("alert_delivered", delivery=delivery_id, channel=first.channel)
        return SENT

    def _finish(self, ids: list[int], status: str, now: datetime, error: str | None) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(
                    status=status,
                    sent_at=now if status == SENT else None,
                    attempts=Delivery.attempts + 1,
                    last_error=error,
                )
            )

    def _failed(self, ids: list[int], attempts: int, now: datetime, error: str) -> str:
        give_up = attempts >= self.max_attempts
        delay = min(self.backoff_cap_s, self.backoff_s * 2 ** (attempts - 1))
        with transaction(self.sessions) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(
                    status=FAILED if give_up else PENDING,
                    attempts=attempts,
                    last_error=error[:1000],
                    next_attempt_at=now + timedelta(seconds=delay),
                )
            )
        log.warning("alert_delivery_failed", deliveries=ids, attempts=attempts, gave_up=give_up)
        return FAILED if give_up else "retrying"

    # --- escalation -----------------------------------------------------------------

    def escalate(self, now: datetime) -> int:
        """Urgent alerts still unacknowledged go to the next person on call; returns how many."""
        count = 0
        with transaction(self.sessions) as session:
            rows = session.scalars(
                select(Alert).where(
                    Alert.status == Status.OPEN.value, Alert.severity == Severity.URGENT.value
                )
            ).all()
            for row in rows:
                if row.snoozed_until is not None and row.snoozed_until > now:
                    continue
                if now < row.opened_at + self.escalate_after * (row.escalation_level + 1):
                    continue
                record = to_record(row)
                level = row.escalation_level
                reached = False
                for audience in self.directory.audiences(session, record, now):
                    if level < len(audience.on_call):
                        self._add(
                            session,
                            record,
                            Change.ESCALATED_ON_CALL,
                            audience,
                            now,
                            audience.on_call[level],
                        )
                        reached = True
                if not reached:
                    continue
                row.escalation_level = level + 1
                session.add(
                    AlertEvent(
                        alert_id=row.id,
                        change=Change.ESCALATED_ON_CALL.value,
                        at=now,
                        severity=row.severity,
                        message=f"not acknowledged: on-call step {level + 1}",
                        actor=None,
                    )
                )
                count += 1
        return count

    def deliveries(self, alert_id: str) -> list[Delivery]:
        """Every delivery of an alert, for the inbox (a failure is shown, never hidden)."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)
                )
            )
