"""The embedded store: readings in one SQLite file (WAL), no server.

The reading id is unique, so `INSERT OR IGNORE` makes every write idempotent
(a rowid table with a unique index: random ids in a WITHOUT ROWID table of
wide rows made inserts four times slower). Each reading is kept whole, as
its wire JSON (the validated payload as it came), beside the few columns that
queries filter on.
Each INSERT statement of a batch is its own transaction (autocommit) with
``synchronous=FULL``: when `write_batch` returns, the readings survive a
power cut, and only then does the collector ack. A batch cut short by an
error may have kept its first statements: harmless, the retry of the whole
batch ignores what is already stored.

Ids are hashes, so each batch inserts at random places in the id index (and
at one place per patient in the time index): a 1,000-reading batch dirties
about as many index pages as it has readings, and every dirty page is written
to the WAL. SQLite's default checkpoint (every 1,000 WAL pages, by the
committing thread) then ran after nearly every batch, copying each page back
to the database and syncing it again. Checkpointing every ``checkpoint_pages``
(`StoreSettings`, 16,384 by default) instead writes a page that several
batches touched once, and a larger page cache keeps the indexes from being
read back through the kernel: measured on 100,000 readings in batches of
1,000, 21 -> 14 us of CPU per reading. The price is a WAL of up to 64 MiB,
and while it first grows each commit also syncs the file's new size: a
writer of one reading per transaction is faster with SQLite's 1,000
(6,100 against 3,400 commits/s on a new file).

A batch goes in as multi-row INSERTs, not ``executemany``: Python's sqlite3
lets go of the interpreter lock around every step, so ``executemany`` takes
it back once per row, each time waiting for the collector's other threads
(validating the next batch, reading the socket) to hand it over. Measured
with one busy Python thread beside it: 4,000 us per reading with
``executemany``, 27 us with one statement per 1,000 rows. For the same
reason a batch of up to `_ROWS_PER_INSERT` readings is one statement and its
own transaction: an explicit BEGIN and COMMIT around it were two more hand-overs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from collector.sqlite_file import open_durable
from collector.store import series_frame
from collector.stored import stored_reading
from devices.reading import Kind
from veille.errors import StoreError, StoreUnavailable
from wire.reading import WireReading

if TYPE_CHECKING:
    import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id TEXT NOT NULL UNIQUE,
    patient TEXT NOT NULL,
    kind TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    gateway TEXT NOT NULL,
    driver TEXT NOT NULL,
    wire TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS readings_patient_kind_time ON readings (patient, kind, time_us);
"""

_PAGE = 5000
#: Page cache of the store's connection, in KiB (SQLite's default is 2,000).
_CACHE_KIB = 16384
_COLUMNS = "id, patient, kind, time_us, gateway, driver, wire"
#: Rows per INSERT statement: 28,000 parameters, under SQLite's limit of 32,766.
_ROWS_PER_INSERT = 4000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _us(moment: datetime) -> int:
    """Microseconds since the epoch, exact (integer timedelta division, no float)."""
    if moment.tzinfo is None:  # naive: local time, as astimezone reads it
        moment = moment.astimezone(UTC)
    return (moment - _EPOCH) // _MICROSECOND


def _insert(rows: int) -> str:
    """``INSERT OR IGNORE`` of ``rows`` rows (the same text for the same count, so
    sqlite3's statement cache prepares each size once)."""
    values = ",".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT OR IGNORE INTO readings ({_COLUMNS}) VALUES {values}"  # noqa: S608 (no input)


class SqliteStore:
    """`ReadingStore` on one SQLite file; safe to share between threads."""

    def __init__(self, path: Path, *, checkpoint_pages: int = 16384) -> None:
        self.path = path
        self.checkpoint_pages = checkpoint_pages
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            db = open_durable(self.path, SCHEMA, "SQLite store")
            db.execute(f"PRAGMA wal_autocheckpoint={int(self.checkpoint_pages)}")
            db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            self._db = db
        return self._db

    def write_batch(
        self, readings: Sequence[WireReading], payloads: Sequence[bytes] | None = None
    ) -> None:
        if not readings:
            return
        if payloads is None:
            wire = [r.model_dump_json(by_alias=True) for r in readings]
        else:  # validated JSON, hence UTF-8; read back through the same validation
            wire = [payload.decode() for payload in payloads]
        rows = [
            (r.id, r.patient, r.kind.value, _us(r.time), r.gateway, r.device.driver, text)
            for r, text in zip(readings, wire, strict=True)
        ]
        with self._lock:
            db = self._conn()
            try:
                for start in range(0, len(rows), _ROWS_PER_INSERT):
                    chunk = rows[start : start + _ROWS_PER_INSERT]
                    db.execute(_insert(len(chunk)), [value for row in chunk for value in row])
            except sqlite3.OperationalError as err:  # autocommit: a failed INSERT left nothing
                raise StoreUnavailable(f"SQLite store {self.path}: write failed ({err})") from err
            except sqlite3.Error as err:
                raise StoreError(f"SQLite store {self.path}: batch refused ({err})") from err

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return self._conn().execute(sql, params).fetchall()
            except sqlite3.Error as err:
                raise StoreUnavailable(f"SQLite store {self.path}: query failed ({err})") from err

    def series(self, patient: str, kind: Kind, start: datetime, end: datetime) -> pd.DataFrame:
        rows = self._query(
            "SELECT wire FROM readings WHERE patient = ? AND kind = ? AND time_us >= ? "
            "AND time_us < ? ORDER BY time_us, id",
            (patient, Kind(kind).value, _us(start), _us(end)),
        )
        return series_frame([stored_reading(str(row[0])) for row in rows])

    def latest(self, patient: str | None = None) -> list[WireReading]:
        where = "WHERE patient = ?" if patient is not None else ""
        rows = self._query(
            "SELECT wire FROM (SELECT wire, patient, kind, row_number() OVER "  # noqa: S608 (fixed WHERE)
            "(PARTITION BY patient, kind ORDER BY time_us DESC, id DESC) AS rank "
            f"FROM readings {where}) WHERE rank = 1 ORDER BY patient, kind",
            (patient,) if patient is not None else (),
        )
        return [stored_reading(str(row[0])) for row in rows]

    def count(self) -> int:
        return int(str(self._query("SELECT count(*) FROM readings")[0][0]))

    def patients(self) -> list[str]:
        return [
            str(row[0]) for row in self._query("SELECT DISTINCT patient FROM readings ORDER BY 1")
        ]

    def readings(
        self, patient: str, since: datetime | None = None, kind: Kind | None = None
    ) -> Iterator[WireReading]:
        """Paged by (time, id), so a long history never sits in memory at once."""
        after: tuple[int, str] = (_us(since) - 1 if since else -(2**62), "")
        kinds = [Kind(kind).value] if kind is not None else [k.value for k in Kind]
        marks = ",".join("?" * len(kinds))
        while True:
            rows = self._query(
                f"SELECT time_us, id, wire FROM readings WHERE patient = ? AND kind IN ({marks}) "  # noqa: S608
                "AND (time_us > ? OR (time_us = ? AND id > ?)) ORDER BY time_us, id LIMIT ?",
                (patient, *kinds, after[0], after[0], after[1], _PAGE),
            )
            for _time, _id, wire in rows:
                yield stored_reading(str(wire))
            if len(rows) < _PAGE:
                return
            after = (int(str(rows[-1][0])), str(rows[-1][1]))

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
