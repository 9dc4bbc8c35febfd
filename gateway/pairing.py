"""The gateway's own store: which device (and which user slot) belongs to which patient,
what it remembers per device, and readings it would not publish.

A reading is published only under a patient someone paired on purpose. A
device paired without a user index serves one patient whatever slot it
reports; once any user index of a device is paired, only the paired slots
are: a reading from another slot, or from a device nobody paired, goes to
the quarantine table with the reason, never out under a guessed patient.
The quarantine is local (it never leaves the home) and bounded: the oldest
rows give way past ``QUARANTINE_BOUND``, since they belong to no patient.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devices.driver import Consent, ScaleUser
from veille.errors import ConfigError, VeilleError
from veille.sqlitefile import open_state

SCHEMA = """
CREATE TABLE IF NOT EXISTS pairing (
    address TEXT NOT NULL,
    user_slot INTEGER NOT NULL,  -- -1: the whole device
    patient TEXT NOT NULL,
    driver TEXT NOT NULL,
    paired REAL NOT NULL,
    consent_code INTEGER,  -- User Data Service: the code the slot was registered with
    consent TEXT,  -- what the scale answered to the last consent (devices.driver.Consent)
    PRIMARY KEY (address, user_slot)
);
CREATE TABLE IF NOT EXISTS device (
    address TEXT PRIMARY KEY,
    last_sequence INTEGER,
    manufacturer TEXT,
    model TEXT,
    serial TEXT,
    last_seen REAL,
    last_session REAL,
    battery_pct INTEGER,
    clock_drift_s REAL
);
CREATE TABLE IF NOT EXISTS quarantine (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    driver TEXT NOT NULL,
    user_index INTEGER,
    reason TEXT NOT NULL,
    reading TEXT NOT NULL,
    at REAL NOT NULL
);
"""

#: Columns added after the first release, added on open to a store that lacks them.
_ADDED_COLUMNS = (("consent_code", "INTEGER"), ("consent", "TEXT"))

_PAIRINGS = (
    "SELECT address, user_slot, patient, driver, paired, consent_code, consent FROM pairing"
    " ORDER BY address, user_slot"
)
#: a read-only look at a store older than the consent columns
_PAIRINGS_BEFORE_CONSENT = (
    "SELECT address, user_slot, patient, driver, paired, NULL, NULL FROM pairing"
    " ORDER BY address, user_slot"
)

WHOLE_DEVICE = -1
QUARANTINE_BOUND = 10_000


class PairingError(VeilleError):
    """The pairing store cannot be read or written."""


@dataclass(frozen=True, slots=True)
class Pairing:
    address: str
    user_index: int | None
    patient: str
    driver: str
    #: when it was paired (epoch seconds): a device never heard from counts from here
    paired: float = 0.0
    #: a multi-user scale's consent code for this slot (User Data Service), if any
    consent_code: int | None = None
    #: what the scale answered to the last consent: given, refused, unknown_user, no_answer
    consent: str | None = None


@dataclass(frozen=True, slots=True)
class Remembered:
    """What the gateway keeps per device between sessions."""

    address: str
    last_sequence: int | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    last_seen: float | None = None
    last_session: float | None = None
    battery_pct: int | None = None
    clock_drift_s: float | None = None


def normalise_address(address: str) -> str:
    text = address.strip().upper()
    if not text:
        raise ConfigError("a device address is required (e.g. A4:C1:38:00:00:01)")
    return text


class GatewayStore:
    """Pairings, per-device memory and the quarantine, in one SQLite file."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """``read_only``: an existing store looked at, never changed (`veille gateway status`)."""
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = open_state(path, SCHEMA, read_only=read_only)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(pairing)")}
            if not read_only:
                for column, kind in _ADDED_COLUMNS:
                    if column not in columns:  # a store written before the column existed
                        self._db.execute(f"ALTER TABLE pairing ADD COLUMN {column} {kind}")
                        columns.add(column)
        except (OSError, sqlite3.Error) as err:
            raise PairingError(f"gateway store {path}: cannot open it ({err})") from err
        self._consent_columns = all(c in columns for c, _ in _ADDED_COLUMNS)

    def _exec(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                with self._db:
                    return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as err:
                raise PairingError(f"gateway store {self.path}: {err}") from err

    # --- pairings --------------------------------------------------------------

    def pair(
        self,
        address: str,
        patient: str,
        driver: str,
        user_index: int | None = None,
        consent_code: int | None = None,
    ) -> None:
        """Record a pairing; ``consent_code`` is a multi-user scale slot's (User Data Service)."""
        slot = WHOLE_DEVICE if user_index is None else user_index
        if not 0 <= slot <= 255 and slot != WHOLE_DEVICE:
            raise ConfigError(f"user index {user_index} is not 0..255")
        if consent_code is not None and (user_index is None or not 0 <= consent_code <= 9999):
            raise ConfigError("a consent code is 0..9999 and belongs to one user index (--user)")
        self._exec(
            "INSERT OR REPLACE INTO pairing"
            " (address, user_slot, patient, driver, paired, consent_code)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (normalise_address(address), slot, patient, driver, time.time(), consent_code),
        )

    def remove(self, address: str) -> int:
        """Forget every pairing of the device (and what the gateway remembered of it)."""
        key = normalise_address(address)
        count = len(self._exec("SELECT 1 FROM pairing WHERE address = ?", (key,)))
        self._exec("DELETE FROM pairing WHERE address = ?", (key,))
        self._exec("DELETE FROM device WHERE address = ?", (key,))
        return count

    def pairings(self) -> list[Pairing]:
        rows = self._exec(_PAIRINGS if self._consent_columns else _PAIRINGS_BEFORE_CONSENT)
        return [
            Pairing(
                str(a),
                None if s == WHOLE_DEVICE else int(str(s)),
                str(p),
                str(d),
                float(str(t)),
                None if code is None else int(str(code)),
                None if given is None else str(given),
            )
            for a, s, p, d, t, code, given in rows
        ]

    def scale_users(self, address: str) -> tuple[ScaleUser, ...]:
        """The slots of a multi-user scale paired with a consent code, by index."""
        key = normalise_address(address)
        return tuple(
            ScaleUser(p.user_index, p.consent_code)
            for p in self.pairings()
            if p.address == key and p.user_index is not None and p.consent_code is not None
        )

    def record_consents(self, address: str, consents: Sequence[tuple[int, Consent]]) -> None:
        """What the scale answered for each slot this session (shown by the gateway status)."""
        for index, outcome in consents:
            self._exec(
                "UPDATE pairing SET consent = ? WHERE address = ? AND user_slot = ?",
                (outcome.value, normalise_address(address), index),
            )

    def paired_driver(self, address: str) -> str | None:
        rows = self._exec(
            "SELECT driver FROM pairing WHERE address = ? LIMIT 1", (normalise_address(address),)
        )
        return str(rows[0][0]) if rows else None

    def patient_for(self, address: str, user_index: int | None) -> tuple[str | None, str]:
        """(patient, "") or (None, why not) for a reading from ``address``/``user_index``."""
        rows = self._exec(
            "SELECT user_slot, patient FROM pairing WHERE address = ?",
            (normalise_address(address),),
        )
        slots = {int(str(slot)): str(patient) for slot, patient in rows}
        if not slots:
            return None, "device not paired"
        users = {s: p for s, p in slots.items() if s != WHOLE_DEVICE}
        if not users:
            return slots[WHOLE_DEVICE], ""
        if user_index is None:
            return None, "device paired per user but the reading names no user index"
        if user_index in users:
            return users[user_index], ""
        return None, f"user index {user_index} not paired on this device"

    # --- per-device memory -----------------------------------------------------

    def remembered(self, address: str) -> Remembered:
        rows = self._exec(
            "SELECT address, last_sequence, manufacturer, model, serial, last_seen,"
            " last_session, battery_pct, clock_drift_s FROM device WHERE address = ?",
            (normalise_address(address),),
        )
        if not rows:
            return Remembered(normalise_address(address))
        return Remembered(*rows[0])  # type: ignore[arg-type]

    def remember(self, memory: Remembered) -> None:
        self._exec(
            "INSERT OR REPLACE INTO device (address, last_sequence, manufacturer, model, serial,"
            " last_seen, last_session, battery_pct, clock_drift_s)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                memory.address,
                memory.last_sequence,
                memory.manufacturer,
                memory.model,
                memory.serial,
                memory.last_seen,
                memory.last_session,
                memory.battery_pct,
                memory.clock_drift_s,
            ),
        )

    def devices(self) -> list[Remembered]:
        rows = self._exec(
            "SELECT address, last_sequence, manufacturer, model, serial, last_seen,"
            " last_session, battery_pct, clock_drift_s FROM device ORDER BY address"
        )
        return [Remembered(*row) for row in rows]  # type: ignore[arg-type]

    # --- quarantine ------------------------------------------------------------

    def quarantine(
        self,
        reading_id: str,
        address: str,
        driver: str,
        user_index: int | None,
        reason: str,
        reading: dict[str, object],
    ) -> bool:
        """Keep a reading nobody can be named for; False if it was already kept."""
        with self._lock:
            try:
                with self._db:
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO quarantine"
                        " (id, address, driver, user_index, reason, reading, at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            reading_id,
                            normalise_address(address),
                            driver,
                            user_index,
                            reason,
                            json.dumps(reading),
                            time.time(),
                        ),
                    )
                    self._db.execute(
                        "DELETE FROM quarantine WHERE seq <= (SELECT max(seq) FROM quarantine) - ?",
                        (QUARANTINE_BOUND,),
                    )
            except sqlite3.Error as err:
                raise PairingError(f"gateway store {self.path}: {err}") from err
        return cursor.rowcount == 1

    def quarantined(self) -> list[tuple[str, str, int | None, str]]:
        """(reading id, address, user index, reason), oldest first."""
        rows = self._exec("SELECT id, address, user_index, reason FROM quarantine ORDER BY seq")
        return [(str(i), str(a), None if u is None else int(str(u)), str(r)) for i, a, u, r in rows]

    def quarantine_count(self) -> int:
        return int(str(self._exec("SELECT count(*) FROM quarantine")[0][0]))

    def close(self) -> None:
        with self._lock:
            self._db.close()
