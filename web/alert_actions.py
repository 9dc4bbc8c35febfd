"""Acknowledge and resolve from the inbox, with who did it kept on the alert's timeline.

Acknowledging is `alerts.sqlstore.SqlAlertStore.acknowledge`. `alerts` has no
"resolve by hand" (an alert resolves when its condition clears); a clinician
who has dealt with a problem still needs to close it, so this writes the
same transition the lifecycle writes, through `alerts.sqlstore.persist`, so
the timeline and the worker see one history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from alerts.lifecycle import Transition
from alerts.models import Alert
from alerts.sqlstore import SqlAlertStore, persist, to_record
from alerts.terms import Change, Status
from veille.db import transaction
from veille.errors import StoreError


def acknowledge(
    sessions: sessionmaker[Session], alert_id: str, by: str, now: datetime, note: str | None
) -> None:
    try:
        SqlAlertStore(sessions).acknowledge(alert_id, by, now, note or None)
    except ValueError as exc:  # already resolved
        raise StoreError(str(exc)) from exc


def resolve(sessions: sessionmaker[Session], alert_id: str, by: str, now: datetime) -> None:
    with transaction(sessions) as session:
        row = session.get(Alert, alert_id, with_for_update=True)
        if row is None:
            raise StoreError(f"no alert {alert_id}")
        record = to_record(row)
        if record.status is Status.RESOLVED:
            return
        done = replace(record, status=Status.RESOLVED, resolved_at=now, updated_at=now)
        persist(session, [Transition(done, Change.RESOLVED, now)], actor=by)
