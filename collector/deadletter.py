"""Payloads the collector could not accept, kept with the reason.

An invalid message must never block the stream: it is written here (one
SQLite file, beside the store or where ``[collector] dead_letter_path`` says),
published on `wire.topics.DEAD_LETTER` (a `wire.deadletter` message), and only
then acknowledged.
The payload is kept as it came, so nothing is lost and an operator can
replay it once the sender is fixed; it is never logged.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic_core import from_json

from collector.sqlite_file import open_durable
from veille.errors import StoreUnavailable
from wire.deadletter import MAX_PAYLOAD, DeadLetterMessage

_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One refused message: where it came from, why, and the bytes themselves."""

    topic: str
    gateway: str | None
    reading_id: str | None
    reason: str
    payload: bytes
    received: datetime


#: Past this a payload is not a reading (a real one is under 2 KB): its id is not looked for.
MAX_ID_SCAN = 65_536


def readable_id(payload: bytes) -> str | None:
    """The reading id of an invalid payload, when one can still be read from it.

    Hostile bytes reach this: pydantic-core's parser bounds nesting depth (a
    ``ValueError``, where `json.loads` raised `RecursionError` on ``[`` x 5,000
    and stopped the collector) and refuses invalid UTF-8."""
    if len(payload) > MAX_ID_SCAN:
        return None
    try:
        data = from_json(payload)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    if isinstance(data, dict):
        found = data.get("id")
        if isinstance(found, str) and _ID.match(found):
            return found
    return None


def message(letter: DeadLetter) -> bytes:
    """What goes on the dead-letter topic (the payload as text, capped)."""
    return DeadLetterMessage(
        topic=letter.topic,
        gateway=letter.gateway,
        id=letter.reading_id,
        reason=letter.reason,
        received=letter.received,
        payload=letter.payload[:MAX_PAYLOAD].decode(errors="replace"),
    ).encode()


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS dead_letters"
    " (seq INTEGER PRIMARY KEY AUTOINCREMENT, received TEXT NOT NULL,"
    " topic TEXT NOT NULL, gateway TEXT, reading_id TEXT,"
    " reason TEXT NOT NULL, payload BLOB NOT NULL);"
)


class DeadLetters:
    """The dead-letter table; `record` returns once the rows are committed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            db = open_durable(self.path, _SCHEMA, "dead letters")
            self._db = db
        return self._db

    def record(self, letters: Sequence[DeadLetter]) -> None:
        rows = [
            (x.received.isoformat(), x.topic, x.gateway, x.reading_id, x.reason, x.payload)
            for x in letters
        ]
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "INSERT INTO dead_letters"
                    " (received, topic, gateway, reading_id, reason, payload)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                db.execute("COMMIT")
            except sqlite3.Error as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise StoreUnavailable(f"dead letters {self.path}: write failed ({err})") from err

    def all(self) -> list[DeadLetter]:
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT topic, gateway, reading_id, reason, payload, received"
                    " FROM dead_letters ORDER BY seq"
                )
                .fetchall()
            )
        return [
            DeadLetter(t, g, i, r, bytes(p), datetime.fromisoformat(at))
            for t, g, i, r, p, at in rows
        ]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
