"""Opening a Veille SQLite state file one way (gateway outbox and pairings, collector stores).

Read-write: WAL so readers never block the writer, an fsync at each commit
because a kept row must survive a power cut, a 10 s busy wait because
several threads or processes may share the file, the schema made if missing.
Read-only (``veille gateway status``): the file as it is, never created or
changed, so a look at a wrong directory makes no empty store and a look as
root leaves no root-owned file behind for the service user.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_state(path: Path, schema: str, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection usable from several threads (callers hold their own lock).

    Raises `OSError` or `sqlite3.Error`; a read-only open of a missing file is
    `FileNotFoundError`.
    """
    if read_only:
        if not path.is_file():
            raise FileNotFoundError(f"no such file {path}")
        # A running writer keeps -wal and -shm beside the file: read through them. Without
        # them nobody writes, and opening as "immutable" creates none (a -shm made by root
        # here would lock the service user out of its own file).
        running = any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))
        uri = f"{path.resolve().as_uri()}?{'mode=ro' if running else 'immutable=1'}"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA busy_timeout=10000")
        return db
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    db.executescript(schema)
    return db
