"""One way to open the collector's SQLite files (readings, dead letters).

`veille.sqlitefile` (shared with the gateway) sets WAL so readers never block
the writer, FULL sync because a row the collector has acked must survive a
power cut, and a busy timeout because several collector processes may share
a file; here its failures become `StoreUnavailable`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from veille.errors import StoreUnavailable
from veille.sqlitefile import open_state


def open_durable(path: Path, schema: str, what: str) -> sqlite3.Connection:
    """Open (creating) ``path`` with ``schema``; `StoreUnavailable` names ``what`` failed."""
    try:
        return open_state(path, schema)
    except (OSError, sqlite3.Error) as err:
        raise StoreUnavailable(f"{what} {path}: cannot open it ({err})") from err
