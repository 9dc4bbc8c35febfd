"""The throttle's rows: atomic reservations on both backends, no user name kept, purged."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.world import NOW, SECRET
from veille.db import create_schema, import_models, make_engine, session_factory
from web import throttle
from web.models import SignInThrottle
from web.throttle import LockoutPolicy, account_ref

POLICY = LockoutPolicy(5, 50, timedelta(minutes=15), timedelta(minutes=15))


@pytest.mark.integration
def test_reservations_are_atomic_and_keyed_by_account_and_source(database_url: str) -> None:
    engine = make_engine(database_url)
    import_models()
    create_schema(engine)
    sessions = session_factory(engine)
    subject = account_ref(SECRET.encode(), "Claire ")
    start = threading.Barrier(20)

    def attempt(_: int) -> timedelta | None:
        with sessions() as session:
            start.wait(30)
            return throttle.reserve(session, subject, "203.0.113.9", NOW, POLICY)

    with ThreadPoolExecutor(20) as pool:
        waits = list(pool.map(attempt, range(20)))
    assert waits.count(None) == 5  # exactly five may go on to argon2
    with sessions() as session:
        rows = {(r.subject, r.source): r.attempts for r in session.scalars(select(SignInThrottle))}
        # another source is not affected by the first one's attempts
        assert throttle.reserve(session, subject, "198.51.100.7", NOW, POLICY) is None
    assert rows == {(subject, "203.0.113.9"): 20, ("*", "203.0.113.9"): 20}
    assert "claire" not in str(rows)
    engine.dispose()


def test_a_lock_lifts_and_ended_runs_are_purged(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    import_models()
    create_schema(engine)
    subject = account_ref(SECRET.encode(), "claire")
    with session_factory(engine)() as session:
        for _ in range(5):
            assert throttle.reserve(session, subject, "s", NOW, POLICY) is None
            throttle.failed(session, subject, "s", NOW, POLICY)
        assert throttle.reserve(session, subject, "s", NOW, POLICY) == timedelta(minutes=15)
        later = NOW + timedelta(minutes=16)
        assert throttle.reserve(session, subject, "s", later, POLICY) is None
        # housekeeping passes now - window: a run started at ``later`` ends after it
        assert throttle.forget_before(session, later) == 0
        assert throttle.forget_before(session, later + timedelta(seconds=1)) == 2
        session.commit()
        assert session.scalars(select(SignInThrottle)).all() == []
    engine.dispose()


def test_an_attempt_that_cannot_be_reserved_is_not_checked(tmp_path: Path) -> None:
    """The database held by another writer past its busy timeout: refused, never a 500."""
    path = tmp_path / "t.db"
    engine = make_engine(f"sqlite:///{path}")
    import_models()
    create_schema(engine)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with session_factory(engine)() as session:
            subject = account_ref(SECRET.encode(), "claire")
            assert throttle.reserve(session, subject, "s", NOW, POLICY) == throttle.BUSY
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with session_factory(engine)() as session:
        assert throttle.reserve(session, subject, "s", NOW, POLICY) is None
    engine.dispose()
