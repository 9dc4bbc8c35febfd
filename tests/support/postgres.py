"""A real PostgreSQL server in a throwaway directory on a free loopback port, for tests.

Started from Debian's `postgresql` binaries (initdb, pg_ctl) with trust
authentication on 127.0.0.1 only. PostgreSQL refuses to run as root, so as
root the cluster belongs to the ``postgres`` system user the package creates.
A missing installation fails loudly: run ``scripts/setup.sh --test``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.waits import wait_until
from veille.mqtt import free_port


def _bin(name: str) -> str:
    debian = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name) or (str(debian[0]) if debian else None)
    if found is None:
        raise RuntimeError(
            f"{name} not found: install Debian's postgresql (scripts/setup.sh --test)"
        )
    return found


class Postgres:
    """The cluster lives in its own temporary directory (pytest's are closed to other users)."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="veille-pg-"))
        self.data = self.workdir / "data"
        self.port = free_port()
        self.log_file = self.workdir / "postgres.log"
        self._counter = 0

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *argv], capture_output=True, timeout=60, check=False)
        if done.returncode:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{argv[0]} failed: {done.stderr.decode()} {done.stdout.decode()} {log}"
            )

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._run(
            _bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "start",
        )
        wait_until(self._accepts, 20, f"PostgreSQL on port {self.port}")

    def _accepts(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        self._counter += 1
        name = f"t{self._counter}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # name is ours, never user input
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Postgres:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
