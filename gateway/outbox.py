"""The durable outbox: a reading is on disk before it is published, and leaves only when
the collector says its store has it.

Life of a row (keyed by reading id, so a re-downloaded record is not doubled)::

    add ──▶ pending ──PUBACK ok──▶ published ──collector ack──▶ delivered (id kept 30 days)
               ▲  │                    │
               │  └─PUBACK refused─────┤ (error kept, reported, retried after the timeout)
               └──── republish after the timeout, oldest first, at a bounded rate
    collector rejects ──▶ set_aside (with its reason; never silently dropped)

Every change is one transaction in WAL mode, so a `kill -9` at any point
leaves either the old or the new state. Taking a reading is fsynced
(``synchronous=FULL``) before it is published; bookkeeping (sent, PUBACK,
ack) is not, because a power cut that undoes it only republishes a reading
the collector already recognises by its id.
When the bound is reached the outbox refuses new readings (`OutboxFull`) rather
than dropping old ones: the gateway then stops downloading, so the records
stay in the devices' memory, and the heartbeat and logs say so.
Thread-safe: the MQTT network thread settles PUBACKs and acks while the
asyncio thread adds readings.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from veille.errors import VeilleError
from veille.sqlitefile import open_state

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    added REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published')),
    attempts INTEGER NOT NULL DEFAULT 0,
    sent REAL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, sent);
CREATE TABLE IF NOT EXISTS delivered (
    id TEXT PRIMARY KEY,
    at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS set_aside (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
"""

#: how long an acked id is remembered, so a device replaying its memory is not resent
DELIVERED_MEMORY_S = 30 * 86_400


class OutboxError(VeilleError):
    """The outbox file cannot be opened or written."""


class OutboxFull(OutboxError):
    """The bound is reached: the reading was not taken (it stays on the device)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One reading waiting to be (re)published."""

    id: str
    topic: str
    payload: bytes
    attempts: int


@dataclass(frozen=True, slots=True)
class Depth:
    """What the heartbeat reports about the outbox."""

    waiting: int
    unpublished: int
    refused: int
    set_aside: int
    bound: int

    @property
    def full(self) -> bool:
        return self.waiting >= self.bound


class Outbox:
    """The SQLite outbox in ``path``; ``max_rows`` bounds waiting readings.

    ``read_only``: an existing outbox looked at, never changed (`veille gateway status`).
    """

    def __init__(self, path: Path, *, max_rows: int = 100_000, read_only: bool = False) -> None:
        self.path = path
        self.max_rows = max_rows
        self._lock = threading.Lock()
        try:
            self._db = open_state(path, SCHEMA, read_only=read_only)
            self._waiting = self._count("SELECT count(*) FROM outbox")
        except (OSError, sqlite3.Error) as err:
            raise OutboxError(f"outbox {path}: cannot open it ({err})") from err

    def _count(self, sql: str, args: Sequence[object] = ()) -> int:
        value: int = self._db.execute(sql, args).fetchone()[0]
        return value

    def _write(self, sql: str, args: Iterable[Sequence[object]], *, durable: bool = True) -> int:
        """Run ``sql`` for each args tuple in one transaction; rows changed.

        ``durable=False`` skips the fsync for bookkeeping whose loss only causes
        an early republish (sent time, PUBACK state); the next durable commit
        flushes it anyway (WAL).
        """
        try:
            if not durable:
                self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                with self._db:
                    cursor = self._db.executemany(sql, args)
            finally:
                if not durable:
                    self._db.execute("PRAGMA synchronous=FULL")
            return cursor.rowcount
        except sqlite3.Error as err:
            raise OutboxError(f"outbox {self.path}: write failed ({err})") from err

    # --- the reading side (asyncio thread) -----------------------------------

    def add(self, reading_id: str, topic: str, payload: bytes) -> bool:
        """Keep a reading; False when it is already waiting or was delivered recently.

        Raises `OutboxFull` at the bound: the caller must not count the reading as taken.
        """
        with self._lock:
            known = self._db.execute(
                "SELECT 1 FROM outbox WHERE id = ? UNION ALL SELECT 1 FROM delivered WHERE id = ?",
                (reading_id, reading_id),
            ).fetchone()
            if known:
                return False
            if self._waiting >= self.max_rows:
                raise OutboxFull(
                    f"outbox holds {self._waiting} readings (bound {self.max_rows}); "
                    "new readings are refused and stay on the devices until the collector acks"
                )
            added = self._write(
                "INSERT OR IGNORE INTO outbox (id, topic, payload, added) VALUES (?, ?, ?, ?)",
                [(reading_id, topic, payload, time.time())],
            )
            self._waiting += added
            return added == 1

    @property
    def full(self) -> bool:
        return self._waiting >= self.max_rows

    # --- the publishing side --------------------------------------------------

    def due(self, *, older_than_s: float, limit: int, exclude: Iterable[str] = ()) -> list[Row]:
        """Readings to publish: never sent, or sent and unacked for ``older_than_s``,
        oldest first. ``exclude`` are ids already in flight."""
        skip = set(exclude)
        now = time.time()
        with self._lock:
            # "sent" in the future: the clock jumped back (a Pi has no RTC before NTP)
            rows = self._db.execute(
                "SELECT id, topic, payload, attempts FROM outbox"
                " WHERE sent IS NULL OR sent < ? OR sent > ? ORDER BY seq LIMIT ?",
                (now - older_than_s, now + 60, limit + len(skip)),
            ).fetchall()
        return [Row(*row) for row in rows if row[0] not in skip][:limit]

    def mark_sent(self, ids: Sequence[str]) -> None:
        """Handed to MQTT: not due again before the republish timeout."""
        now = time.time()
        with self._lock:
            self._write(
                "UPDATE outbox SET sent = ?, attempts = attempts + 1 WHERE id = ?",
                [(now, i) for i in ids],
                durable=False,
            )

    def mark_published(self, ids: Sequence[str]) -> None:
        """The broker took them (PUBACK success)."""
        if not ids:
            return
        with self._lock:
            self._write(
                "UPDATE outbox SET state = 'published', error = NULL WHERE id = ?",
                [(i,) for i in ids],
                durable=False,
            )

    def mark_refused(self, reading_id: str, reason: str) -> None:
        """The broker refused it (PUBACK >= 0x80): kept, reported, retried later."""
        with self._lock:
            self._write(
                "UPDATE outbox SET state = 'pending', error = ? WHERE id = ?",
                [(reason[:500], reading_id)],
            )

    def acknowledge(self, ids: Sequence[str]) -> int:
        """The collector stored these: they leave the outbox (their ids are remembered)."""
        if not ids:
            return 0
        now = time.time()
        with self._lock:
            try:
                # No fsync: a power cut that undoes an ack only republishes what the
                # collector already has (it acks again); a kill -9 loses nothing (WAL).
                self._db.execute("PRAGMA synchronous=NORMAL")
                try:
                    with self._db:
                        cursor = self._db.executemany(
                            "DELETE FROM outbox WHERE id = ?", [(i,) for i in ids]
                        )
                        removed = cursor.rowcount
                        self._db.executemany(
                            "INSERT OR REPLACE INTO delivered (id, at) VALUES (?, ?)",
                            [(i, now) for i in ids],
                        )
                finally:
                    self._db.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error as err:
                raise OutboxError(f"outbox {self.path}: ack failed ({err})") from err
            self._waiting = max(0, self._waiting - max(removed, 0))
            return max(removed, 0)

    def set_aside(self, reading_id: str, reason: str) -> bool:
        """The collector will never store it: moved aside with the reason, for a person."""
        now = time.time()
        with self._lock:
            try:
                with self._db:
                    row = self._db.execute(
                        "SELECT topic, payload FROM outbox WHERE id = ?", (reading_id,)
                    ).fetchone()
                    if row is None:
                        return False
                    self._db.execute(
                        "INSERT OR REPLACE INTO set_aside (id, topic, payload, reason, at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (reading_id, row[0], row[1], reason[:500], now),
                    )
                    self._db.execute("DELETE FROM outbox WHERE id = ?", (reading_id,))
            except sqlite3.Error as err:
                raise OutboxError(f"outbox {self.path}: set aside failed ({err})") from err
            self._waiting = max(0, self._waiting - 1)
            return True

    def set_aside_reasons(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT id, reason FROM set_aside").fetchall())

    def set_aside_by_reason(self) -> dict[str, int]:
        """How many readings the collector rejected, per reason, most frequent first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT reason, count(*) AS n FROM set_aside GROUP BY reason ORDER BY n DESC"
            ).fetchall()
        return {str(reason): int(n) for reason, n in rows}

    def oldest_added(self) -> float | None:
        """When the oldest reading still waiting for its ack was taken (epoch seconds)."""
        with self._lock:
            value = self._db.execute("SELECT min(added) FROM outbox").fetchone()[0]
        return None if value is None else float(value)

    def prune_delivered(self, older_than_s: float = DELIVERED_MEMORY_S) -> int:
        with self._lock:
            return self._write(
                "DELETE FROM delivered WHERE at < ?", [(time.time() - older_than_s,)]
            )

    def depth(self) -> Depth:
        with self._lock:
            waiting, unpublished, refused = self._db.execute(
                "SELECT count(*), coalesce(sum(state = 'pending'), 0),"
                " coalesce(sum(error IS NOT NULL), 0) FROM outbox"
            ).fetchone()
            aside = self._count("SELECT count(*) FROM set_aside")
            self._waiting = waiting
        return Depth(waiting, unpublished, refused, aside, self.max_rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()
