"""Which patients and devices each gateway serves: the server's answer, not the gateway's.

The broker's ACL vouches only for the gateway in the topic; the ``patient``
field of a reading is what the gateway says. A reading is admitted only when
a live `collector.models.GatewayPairing` row says this gateway serves this
patient (through this device, when the row names one). The rows are read
into an immutable `PairingTable` and refreshed every ``refresh_s`` (and at
most once a second on a miss, so a home set up a moment ago is found at
once); a database that is down keeps the last table in force, and before the
first table is loaded the collector waits and retries, it never refuses.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from collector.models import GatewayPairing, GatewayRefusal
from veille import logs
from veille.errors import StoreUnavailable

log = logs.get("collector.authority")

_MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Pairing:
    """One live authority: ``gateway`` serves ``patient`` (through ``device``, or any)."""

    gateway: str
    patient: str
    device: str | None
    paired_at: datetime
    ended_at: datetime | None = None

    def covers(self, device: str, at: datetime) -> bool:
        return (self.device is None or self.device == device.upper()) and (
            self.ended_at is None or at < self.ended_at
        )


class PairingTable:
    """An immutable snapshot of the pairings, indexed by gateway then patient."""

    def __init__(self, pairings: Iterable[Pairing]) -> None:
        index: dict[str, dict[str, list[Pairing]]] = defaultdict(lambda: defaultdict(list))
        for pairing in pairings:
            index[pairing.gateway][pairing.patient].append(pairing)
        self._index: Mapping[str, Mapping[str, Sequence[Pairing]]] = {
            gateway: dict(patients) for gateway, patients in index.items()
        }

    def find(self, gateway: str, patient: str, device: str, measured: datetime) -> Pairing | None:
        """The pairing that lets ``gateway`` send this reading measured then, or None."""
        for pairing in self._index.get(gateway, {}).get(patient, ()):
            if pairing.covers(device, measured):
                return pairing
        return None

    def serves(self, gateway: str, patient: str) -> bool:
        return patient in self._index.get(gateway, {})


def refusal_reason(table: PairingTable, gateway: str, patient: str, device: str) -> str:
    """Why ``gateway`` may not send this reading (for the dead letters and the ack)."""
    if table.serves(gateway, patient):
        return (
            f"unauthorised: device {device} is not paired to patient {patient}"
            f" on gateway {gateway}, or the pairing has ended"
        )
    return f"unauthorised: gateway {gateway} does not serve patient {patient}"


class Refusals:
    """Refused readings counted per gateway and category, written to the database in bulk."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], tuple[int, datetime, datetime, str]] = {}

    def add(self, gateway: str, category: str, reason: str, at: datetime) -> None:
        with self._lock:
            key = (gateway, category)
            count, first, _last, _why = self._pending.get(key, (0, at, at, ""))
            self._pending[key] = (count + 1, first, at, reason[:_MAX_REASON])

    def flush(self, session: Session) -> None:
        """Add the counts to ``gateway_refusals`` (the caller commits); kept on failure."""
        with self._lock:
            pending, self._pending = self._pending, {}
        try:
            for (gateway, category), (count, first, last, reason) in pending.items():
                row = session.get(GatewayRefusal, (gateway, category))
                if row is None:
                    row = GatewayRefusal(
                        gateway_id=gateway, category=category, count=0, reported=0, first_at=first
                    )
                    session.add(row)
                row.count += count
                row.last_at, row.last_reason = last, reason
            session.flush()
        except SQLAlchemyError:
            with self._lock:
                for key, value in pending.items():
                    count, first, last, reason = value
                    if key in self._pending:
                        more, _f, last, reason = self._pending[key]
                        count += more
                    self._pending[key] = (count, first, last, reason)
            raise


class DbAuthority:
    """Pairings from the relational database, refreshed; refusals written back."""

    def __init__(self, sessions: sessionmaker[Session], *, refresh_s: float = 10.0) -> None:
        self.sessions = sessions
        self.refresh_s = refresh_s
        self.refusals = Refusals()
        self._table: PairingTable | None = None
        self._loaded_at = 0.0

    def table(self, *, miss: bool = False) -> PairingTable:
        """The current table; reloaded when old (or, on a miss, older than a second).

        Raises `StoreUnavailable` only while no table was ever loaded."""
        age = time.monotonic() - self._loaded_at
        if self._table is None or age >= self.refresh_s or (miss and age >= 1.0):
            self._reload()
        if self._table is None:
            raise StoreUnavailable("pairings database: not reachable yet")
        return self._table

    def _reload(self) -> None:
        try:
            with self.sessions() as session, session.begin():
                self.refusals.flush(session)
                pairings = GatewayPairing.__table__.c
                rows = session.execute(  # plain rows, not ORM objects: a table of every home
                    select(
                        pairings.gateway_id,
                        pairings.patient_id,
                        pairings.device_address,
                        pairings.paired_at,
                        pairings.ended_at,
                    )
                ).all()
                table = PairingTable(Pairing(*row) for row in rows)
        except SQLAlchemyError as err:
            self._loaded_at = time.monotonic()  # try again in refresh_s, not on every reading
            log.warning("pairings_unavailable", error=type(err).__name__)
            return
        self._table, self._loaded_at = table, time.monotonic()
