"""Guessing limits for access codes, kept in the database so every web worker shares them.

A source (an IP address, or whatever the web identifies a caller by) that
fails `CodePolicy.source_failures` times within ``window`` is locked out
until those failures age out of the window; when all sources together fail
`CodePolicy.global_failures` times, every source is locked out likewise
(a botnet spreads its guesses across addresses). A lockout refuses even the
right code, so it tells an attacker nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sharing.models import CodeAttempt
from sharing.policy import CodePolicy


def _failures_since(session: Session, since: datetime, source: str | None) -> int:
    query = (
        select(func.count())
        .select_from(CodeAttempt)
        .where(CodeAttempt.at >= since, CodeAttempt.success.is_(False))
    )
    if source is not None:
        query = query.where(CodeAttempt.source == source)
    return int(session.scalar(query) or 0)


def locked_out(session: Session, source: str, now: datetime, policy: CodePolicy) -> bool:
    """True while ``source`` (or everyone) has failed too often within the window."""
    since = now - policy.failure_window
    if _failures_since(session, since, source) >= policy.source_failures:
        return True
    return _failures_since(session, since, None) >= policy.global_failures


def note_attempt(session: Session, source: str, now: datetime, *, success: bool) -> None:
    session.add(CodeAttempt(source=source, at=now, success=success))
    session.flush()


def forget_before(session: Session, moment: datetime) -> int:
    """Drop attempts older than ``moment`` (housekeeping; they no longer count)."""
    result = session.execute(delete(CodeAttempt).where(CodeAttempt.at < moment))
    return int(getattr(result, "rowcount", 0) or 0)


def retry_after(session: Session, source: str, now: datetime, policy: CodePolicy) -> timedelta:
    """How long until ``source`` may try again (zero when it may now)."""
    since = now - policy.failure_window
    waits = [timedelta(0)]
    for who, limit in ((source, policy.source_failures), (None, policy.global_failures)):
        query = select(CodeAttempt.at).where(
            CodeAttempt.at >= since, CodeAttempt.success.is_(False)
        )
        if who is not None:
            query = query.where(CodeAttempt.source == who)
        times = sorted(session.scalars(query))
        if len(times) >= limit:
            # the lock lifts when enough failures leave the window to fall under the limit
            oldest_to_expire = times[len(times) - limit]
            waits.append(oldest_to_expire + policy.failure_window - now)
    return max(waits)
