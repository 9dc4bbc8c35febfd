"""A real `veille web` process on a free loopback port, on a database the test prepares.

The security tests race real concurrent requests and put a real reverse proxy
in front: an in-process TestClient would serialise the requests and never
see a socket's source address.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from devices.reading import Kind
from sharing.codes import create_code
from sharing.identities import add_patient, add_professional, add_team
from sharing.terms import Role
from tests.support.processes import stop
from tests.support.waits import wait_until
from tests.web.world import NOW, SECRET
from veille.db import create_schema, import_models, make_engine, session_factory
from veille.mqtt import free_port
from web.accounts import create_account

ROOT = Path(__file__).resolve().parents[2]


def prepare(url: str, names: Mapping[str, str]) -> None:
    """A schema and one nurse account per ``name -> password``."""
    engine = make_engine(url)
    import_models()
    create_schema(engine)
    with session_factory(engine)() as session:
        team = add_team(session, "Cardiologie")
        for name, password in names.items():
            nurse = add_professional(session, name, Role.NURSE, team_id=team.id)
            create_account(session, name, password, now=NOW, professional_id=nurse.id)
        session.commit()
    engine.dispose()


def prepare_code(url: str, patient: str = "p-0c0de") -> str:
    """A patient and a live access code for their weight (now: the server uses the real clock)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    with session_factory(engine)() as session:
        add_patient(session, patient, now=now)
        made = create_code(session, patient, kinds=[Kind.WEIGHT], now=now, max_uses=10)
        session.commit()
    engine.dispose()
    return made.code


def wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = 30,
    name: str = "veille web",
    log: Path | None = None,
) -> None:
    """Until ``url``/login answers 200 (through a proxy too); fail at once if ``process``
    died, with its ``log`` when it keeps one."""

    def answers() -> bool:
        if process.poll() is not None:
            said = f": {log.read_text()}" if log is not None else ""
            raise RuntimeError(f"{name} exited with {process.returncode}{said}")
        try:
            return httpx.get(f"{url}/login", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answers, timeout, f"{name} answering on {url}")


@contextmanager
def veille_web(data_dir: Path, database_url: str, **settings: str) -> Iterator[str]:
    """Serve `veille web` on ``database_url``; yields its base URL, stops it afterwards.

    ``settings`` are extra ``[web]`` keys (``trusted_proxies="127.0.0.1"``).
    """
    port = free_port()
    env = {
        **os.environ,
        "VEILLE_WEB__DATA_DIR": str(data_dir),
        "VEILLE_WEB__DATABASE_URL": database_url,
        "VEILLE_WEB__SECRET_KEY": SECRET,
        "VEILLE_WEB__COOKIE_SECURE": "false",
        "VEILLE_WEB__HOUSEKEEPING_HOURS": "0",
        **{f"VEILLE_WEB__{key.upper()}": value for key, value in settings.items()},
    }
    log = (data_dir / "web.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        stop(process)
        log.close()
