"""One way to open the collector's SQLite files (readings, dead letters).

WAL so readers never block the writer, FULL sync because a row the collector
has acked must survive a power cut, and a busy timeout because several
collector processes may share a file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from veille.errors import StoreUnavailable


def open_durable(path: Path, schema: str, what: str) -> sqlite3.Connection:
    """Open (creating) ``path`` with ``schema``; `StoreUnavailable` names ``what`` failed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=10000")
        db.executescript(schema)
    except (OSError, sqlite3.Error) as err:
        raise StoreUnavailable(f"{what} {path}: cannot open it ({err})") from err
    return db
