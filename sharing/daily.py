"""Sharing's daily housekeeping: remind patients of grants that end soon, forget
old code-guessing attempts.

Idempotent (a grant already reminded of is skipped), so any number of
processes may run it as often as they like: the web app runs it every hour
(`web.housekeeping`), and `veille sharing daily` runs it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sharing import ratelimit
from sharing.reminders import remind_ending

#: Guessing attempts older than this no longer count toward any lockout window.
ATTEMPTS_KEPT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DailyResult:
    reminders: int
    attempts_purged: int


def run_daily(session: Session, now: datetime) -> DailyResult:
    """One pass; commits, so each reminder is there for the patient at once."""
    reminders = remind_ending(session, now)
    purged = ratelimit.forget_before(session, now - ATTEMPTS_KEPT)
    session.commit()
    return DailyResult(reminders=reminders, attempts_purged=purged)
