"""Acknowledge and resolve from the inbox, with who did it kept on the alert's timeline.

Both go through `alerts.sqlstore.SqlAlertStore`, so the timeline and the
worker see one history; this module only turns "already resolved" into the
store error the routes answer with (acknowledge) or into nothing (resolving
twice is what a second click does).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from alerts.lifecycle import AlertClosed, AlreadyReviewed, ReviewNeedsNote
from alerts.sqlstore import SqlAlertStore
from veille.errors import StoreError


def acknowledge(
    sessions: sessionmaker[Session], alert_id: str, by: str, now: datetime, note: str | None
) -> None:
    try:
        SqlAlertStore(sessions).acknowledge(alert_id, by, now, note or None)
    except ValueError as exc:  # already resolved
        raise StoreError(str(exc)) from exc


def resolve(
    sessions: sessionmaker[Session], alert_id: str, by: str, now: datetime, note: str | None
) -> None:
    try:
        SqlAlertStore(sessions).resolve(alert_id, by, now, note)
    except AlertClosed:
        return


def review(
    sessions: sessionmaker[Session], alert_id: str, by: str, now: datetime, note: str
) -> None:
    """Record the review; a second click (already reviewed) or an empty note is a no-op."""
    try:
        SqlAlertStore(sessions).review(alert_id, by, now, note)
    except (AlreadyReviewed, ReviewNeedsNote):
        return
