"""Poison messages: a payload that stopped the process is never handled again.

Every parse path catches what a hostile payload can raise, but some deaths
cannot be caught (the interpreter's C stack, the kernel's OOM killer, a bug in
a C extension). Then the broker redelivers the unacknowledged messages and,
without this journal, the same payload kills every restart.

Before a batch is handled its message digests (SHA-256 of topic and payload)
are written to ``poison.sqlite`` under this instance's client id, and removed
once the batch is acknowledged. A process that starts and finds its own rows
left there died while handling them:

- rows of a batch: each of its messages becomes a *suspect*, handled again
  one at a time (the innocent ones are stored as usual);
- a row of one message handled alone: that message is *poison*; from then on
  it is dead-lettered unread and acknowledged.

A process stopped by ``kill -9`` while it handled one suspect alone marks an
innocent payload poison: it goes to the dead letters (kept, replayable), not
lost. The file is per host and shared by the workers of one collector; the
writes need no fsync (a process crash keeps the OS page cache).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from veille.errors import StoreUnavailable
from veille.sqlitefile import open_state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inflight (
    client_id TEXT NOT NULL, batch INTEGER NOT NULL, alone INTEGER NOT NULL,
    digests BLOB NOT NULL, PRIMARY KEY (client_id, batch));
CREATE TABLE IF NOT EXISTS suspects (
    digest BLOB PRIMARY KEY, poison INTEGER NOT NULL, crashes INTEGER NOT NULL,
    first_at TEXT NOT NULL);
"""
_SIZE = 16  # bytes of SHA-256 kept: 128 bits, no accidental collision


def digest(topic: str, payload: bytes) -> bytes:
    """What identifies a message across redeliveries (MQTT message ids do not survive)."""
    return hashlib.sha256(topic.encode(errors="replace") + b"\0" + payload).digest()[:_SIZE]


POISON_REASON = (
    "poison: the collector stopped while handling this message alone; it is not read again"
)


@dataclass(frozen=True, slots=True)
class Verdicts:
    """What the journal knows of some messages, by position in their batch."""

    poison: frozenset[int]
    suspect: frozenset[int]


class PoisonJournal:
    """The journal of one collector instance (``client_id``) in a shared file."""

    def __init__(self, path: Path, client_id: str) -> None:
        self.path = path
        self.client_id = client_id
        self._lock = threading.Lock()
        self._next = 0
        try:
            self._db = open_state(path, _SCHEMA)
            self._db.execute("PRAGMA synchronous=OFF")
            self._suspects = self._recover()
        except (OSError, sqlite3.Error) as err:
            raise StoreUnavailable(f"poison journal {path}: cannot open it ({err})") from err

    def _recover(self) -> dict[bytes, bool]:
        """Turn what this instance left in flight into suspects (or poison); load them all."""
        db = self._db
        now = datetime.now(UTC).isoformat()
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute(
            "SELECT alone, digests FROM inflight WHERE client_id = ?", (self.client_id,)
        ).fetchall()
        for alone, blob in rows:
            for start in range(0, len(blob), _SIZE):
                db.execute(
                    "INSERT INTO suspects (digest, poison, crashes, first_at) VALUES (?, ?, 1, ?)"
                    " ON CONFLICT (digest) DO UPDATE SET crashes = crashes + 1,"
                    " poison = max(poison, excluded.poison)",
                    (blob[start : start + _SIZE], int(alone), now),
                )
        db.execute("DELETE FROM inflight WHERE client_id = ?", (self.client_id,))
        db.execute("COMMIT")
        return {bytes(d): bool(p) for d, p in db.execute("SELECT digest, poison FROM suspects")}

    @property
    def has_suspects(self) -> bool:
        return bool(self._suspects)

    def judge(self, digests: Sequence[bytes]) -> Verdicts:
        """Which of ``digests`` are poison, and which must be handled alone."""
        known = self._suspects
        poison, suspect = set(), set()
        for index, key in enumerate(digests):
            verdict = known.get(key)
            if verdict is True:
                poison.add(index)
            elif verdict is False:
                suspect.add(index)
        return Verdicts(frozenset(poison), frozenset(suspect))

    def begin(self, digests: Sequence[bytes], *, alone: bool = False) -> int:
        """Write down that these messages are being handled; returns the entry to `end`."""
        with self._lock:
            self._next += 1
            entry = self._next
            self._write(
                "INSERT OR REPLACE INTO inflight (client_id, batch, alone, digests)"
                " VALUES (?, ?, ?, ?)",
                (self.client_id, entry, int(alone), b"".join(digests)),
            )
        return entry

    def end(self, entry: int, cleared: Sequence[bytes] = ()) -> None:
        """The batch is acknowledged; ``cleared`` suspects were handled alone and lived."""
        with self._lock:
            self._write(
                "DELETE FROM inflight WHERE client_id = ? AND batch = ?", (self.client_id, entry)
            )
            for key in cleared:
                if self._suspects.get(key) is False:
                    del self._suspects[key]
                    self._write("DELETE FROM suspects WHERE digest = ?", (key,))

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as err:
            raise StoreUnavailable(f"poison journal {self.path}: write failed ({err})") from err

    def close(self) -> None:
        with self._lock:
            self._db.close()
