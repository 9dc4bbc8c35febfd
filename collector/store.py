"""The `ReadingStore` seam: where readings live once the collector has them.

Two backends share one contract (tests/collector/test_store_contract.py), each
registered by name in `collector.backends` (which opens them; this module
imports neither):
SQLite, the embedded default (one file, no server), and InfluxDB (Debian's
1.6 through 3.x). Every write is idempotent on the reading id, so a resend
from a gateway's outbox or an MQTT redelivery never makes a duplicate.

Errors: `StoreUnavailable` when the store cannot be reached (retry later,
never drop), `StoreError` when it refused the data (dead-letter it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from devices.reading import Kind
from veille.errors import ConfigError
from wire.reading import WireReading

if TYPE_CHECKING:  # pandas is for readers; the collector process never loads it
    import pandas as pd

#: Columns of `ReadingStore.series` besides one float column per metric.
SERIES_EXTRA_COLUMNS = ("id", "flags")


def sqlite_path(data_dir: Path) -> Path:
    """Where the SQLite store lives in a Veille data directory (demo, export, Pi)."""
    return data_dir / "readings.sqlite"


def dead_letter_path(data_dir: Path) -> Path:
    """Where the collector keeps payloads it could not accept, in a data directory."""
    return data_dir / "deadletter.sqlite"


class StoreSettings(BaseModel):
    """The ``[store]`` section. Secrets are read from files, never written here."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["sqlite", "influxdb"] = "sqlite"
    #: SQLite: the database file (see `sqlite_path`).
    path: Path = Path("veille-data/readings.sqlite")
    #: SQLite: WAL pages between checkpoints; large suits the collector's batches (see
    #: collector/sqlite_store.py), SQLite's own 1,000 a writer of one reading at a time.
    checkpoint_pages: int = Field(default=16384, ge=100, le=1_000_000)
    #: InfluxDB: base URL, credentials and where the points go.
    url: str = "http://127.0.0.1:8086"
    token_file: Path | None = None
    username: str | None = None
    password_file: Path | None = None
    org: str = ""
    #: 2.x/3.x bucket, or 1.x database (created if missing on 1.x).
    bucket: str = Field(default="veille", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    #: "auto" reads the server's version from /ping; "v1" or "v2" force a write API.
    api: Literal["auto", "v1", "v2"] = "auto"
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    def secret(self, which: Literal["token", "password"]) -> str | None:
        path = self.token_file if which == "token" else self.password_file
        if path is None:
            return None
        try:
            return path.read_text().strip()
        except OSError as err:
            raise ConfigError(f"[store] {which}_file: cannot read it ({err.strerror})") from err


class ReadingStore(Protocol):
    """What the collector writes to and what the rules, web and export read from.

    Synchronous: a write returns only once the store has the batch durably
    (SQLite commit, InfluxDB 2xx).
    """

    def write_batch(
        self, readings: Sequence[WireReading], payloads: Sequence[bytes] | None = None
    ) -> None:
        """Store readings; one already stored (same id) is left as it is.

        ``payloads``, when given, are the validated JSON payloads the readings were
        decoded from (same order): a store that keeps the wire form keeps them as
        they came instead of encoding each reading again."""
        ...

    def series(self, patient: str, kind: Kind, start: datetime, end: datetime) -> pd.DataFrame:
        """Readings of ``kind`` measured in [start, end), oldest first: a UTC
        DatetimeIndex named ``time``, one float column per metric present, plus
        ``id`` and ``flags`` (sorted, comma-separated, "" when none)."""
        ...

    def latest(self, patient: str | None = None) -> list[WireReading]:
        """The latest reading per patient and kind (one patient, or all)."""
        ...

    def count(self) -> int:
        """How many distinct readings are stored."""
        ...

    def patients(self) -> list[str]:
        """Every patient with at least one reading, sorted (for exports)."""
        ...

    def readings(
        self, patient: str, since: datetime | None = None, kind: Kind | None = None
    ) -> Iterator[WireReading]:
        """A patient's readings in measurement-time order (the patient's export)."""
        ...

    def close(self) -> None: ...


def empty_series(metrics: Sequence[str] = ()) -> pd.DataFrame:
    """A series frame with no rows, typed like a full one."""
    import pandas as pd

    index = pd.DatetimeIndex([], tz="UTC", name="time")
    columns: dict[str, pd.Series] = {
        "id": pd.Series([], dtype=object, index=index),
        "flags": pd.Series([], dtype=object, index=index),
    }
    for name in metrics:
        columns[name] = pd.Series([], dtype=float, index=index)
    return pd.DataFrame(columns, index=index)


def series_frame(rows: Sequence[WireReading]) -> pd.DataFrame:
    """The `ReadingStore.series` frame for readings already in time order."""
    import pandas as pd

    if not rows:
        return empty_series()
    metric_names = sorted({name for row in rows for name in row.metrics})
    index = pd.DatetimeIndex([row.time for row in rows], name="time").tz_convert("UTC")
    data: dict[str, list[object]] = {
        "id": [row.id for row in rows],
        "flags": [",".join(row.flags) for row in rows],
    }
    for name in metric_names:
        data[name] = [row.metrics.get(name) for row in rows]
    frame = pd.DataFrame(data, index=index)
    for name in metric_names:
        frame[name] = frame[name].astype(float)
    return frame
