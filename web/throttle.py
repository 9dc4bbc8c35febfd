"""Sign-in throttling: each attempt is reserved in one atomic statement before the password
is checked.

The counter is keyed on the account *and* the source together (``subject``, ``source``):
five wrong passwords for Claire from one address lock Claire out *from that
address* only, so a stranger cannot lock the on-call nurse out of her own
ward. A second row per source (subject ``*``) caps how many attempts one
address may have in flight or failed across all accounts (password spraying).

``attempts`` counts the attempts in flight or failed in the current run. The
reservation is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (SQLite
3.35+ and PostgreSQL): fifty parallel guesses get fifty distinct numbers, and
only those numbered up to the limit reach argon2. A success deletes the pair's
row and gives back its place in the source's row. A run ends, and the row
starts again from one, when its lock has lifted or, unlocked, when ``window``
has passed since it began. The subject is a keyed hash of the name typed, so
the table (and the logs) never hold a user name, and an unknown name is
throttled exactly like a real one: a 429 tells nothing about who exists.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, case, delete, literal, null, or_, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from veille import logs
from veille.db import UTCDateTime
from veille.errors import ConfigError
from web.models import SignInThrottle

#: The subject of a source's own row (no keyed hash is ever this short).
ANY_ACCOUNT = "*"
_TABLE = cast(Table, SignInThrottle.__table__)
#: How long an attempt waits when it could not be reserved (database busy).
BUSY = timedelta(seconds=5)

log = logs.get("web.throttle")


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """``failures`` per account and source, ``source_failures`` per source, within ``window``;
    a locked pair or source waits ``lockout``."""

    failures: int
    source_failures: int
    window: timedelta
    lockout: timedelta


def account_ref(key: bytes, username: str) -> str:
    """A pseudonymous, stable reference to a typed user name (logs, throttle rows)."""
    name = username.strip().lower().encode()
    return hmac.new(key, b"sign-in account\x00" + name, hashlib.sha256).hexdigest()[:32]


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    raise ConfigError(f"sign-in throttling needs SQLite or PostgreSQL, not {dialect}")


def _reserve_one(
    session: Session, subject: str, source: str, now: datetime, window: timedelta
) -> tuple[int, datetime | None]:
    moment = literal(now, UTCDateTime())
    since = literal(now - window, UTCDateTime())
    ended = or_(
        and_(_TABLE.c.locked_until.is_not(None), _TABLE.c.locked_until <= moment),
        and_(_TABLE.c.locked_until.is_(None), _TABLE.c.started_at <= since),
    )
    statement = (
        _insert(session)(_TABLE)
        .values(subject=subject, source=source, attempts=1, started_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.subject, _TABLE.c.source],
            set_={
                "attempts": case((ended, 1), else_=_TABLE.c.attempts + 1),
                "started_at": case((ended, moment), else_=_TABLE.c.started_at),
                "locked_until": case((ended, null()), else_=_TABLE.c.locked_until),
            },
        )
        .returning(_TABLE.c.attempts, _TABLE.c.locked_until)
    )
    attempts, locked_until = session.execute(statement).one()
    return int(attempts), locked_until


def reserve(
    session: Session, subject: str, source: str, now: datetime, policy: LockoutPolicy
) -> timedelta | None:
    """Reserve one attempt (committed at once); how long to wait if it may not go on.

    An attempt that cannot be reserved (the database busy beyond its timeout) is not
    checked either: it waits ``BUSY`` (fail closed, never a password check uncounted).
    """
    try:
        pair, pair_lock = _reserve_one(session, subject, source, now, policy.window)
        spray, source_lock = _reserve_one(session, ANY_ACCOUNT, source, now, policy.window)
        session.commit()
    except OperationalError as err:
        session.rollback()
        log.warning("sign_in_not_reserved", source=source, error=type(err.orig).__name__)
        return BUSY
    waits = [lock - now for lock in (pair_lock, source_lock) if lock is not None and lock > now]
    if pair > policy.failures or spray > policy.source_failures:
        waits.append(policy.lockout)  # over the limit, the lock not yet set by those in flight
    return max(waits) if waits else None


def failed(
    session: Session, subject: str, source: str, now: datetime, policy: LockoutPolicy
) -> None:
    """A wrong password: lock the pair (or the source) once its run reaches the limit.

    If the database is too busy to take the lock, the reservation still counts: every
    attempt past the limit is refused until the window ends.
    """
    try:
        for who, limit in ((subject, policy.failures), (ANY_ACCOUNT, policy.source_failures)):
            session.execute(
                update(_TABLE)
                .where(
                    _TABLE.c.subject == who,
                    _TABLE.c.source == source,
                    _TABLE.c.attempts >= limit,
                    or_(_TABLE.c.locked_until.is_(None), _TABLE.c.locked_until <= now),
                )
                .values(locked_until=now + policy.lockout)
            )
        session.commit()
    except OperationalError as err:
        session.rollback()
        log.warning("sign_in_lock_not_set", source=source, error=type(err.orig).__name__)


def succeeded(session: Session, subject: str, source: str) -> None:
    """The right password: the pair starts afresh; the source's row gives its place back.

    Committed with the caller's session; if the database is too busy, the sign-in still
    succeeds and the run simply ages out.
    """
    try:
        session.execute(
            delete(_TABLE).where(_TABLE.c.subject == subject, _TABLE.c.source == source)
        )
        session.execute(
            update(_TABLE)
            .where(
                _TABLE.c.subject == ANY_ACCOUNT, _TABLE.c.source == source, _TABLE.c.attempts > 0
            )
            .values(attempts=_TABLE.c.attempts - 1)
        )
    except OperationalError as err:
        session.rollback()
        log.warning("sign_in_run_not_reset", source=source, error=type(err.orig).__name__)


def forget_before(session: Session, moment: datetime) -> int:
    """Drop runs that ended before ``moment`` (housekeeping); the caller commits."""
    result = session.execute(
        delete(_TABLE).where(
            or_(_TABLE.c.locked_until.is_(None), _TABLE.c.locked_until < moment),
            _TABLE.c.started_at < moment,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
