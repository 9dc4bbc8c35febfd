"""Benchmark: does a wrong sign-in cost the same for a real and an unknown user name?

Builds a throwaway SQLite database with one account, serves the web app in
process (TestClient, no network), and times alternating wrong sign-ins for the
real name and for unknown names (the throttle limits raised so none is
refused early). Both must run one argon2 verification; the figure to read is
``ratio`` (unknown / existing median), within one run. Prints one JSON object.

    python -m bench.sign_in [--attempts 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collector.sqlite_store import SqliteStore
from sharing.identities import add_professional, add_team
from sharing.terms import Role
from veille.db import create_schema, import_models, make_engine, session_factory
from web.accounts import create_account
from web.app import create_app
from web.settings import WebSettings


def run(attempts: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = make_engine(f"sqlite:///{root / 'veille.db'}")
        import_models()
        create_schema(engine)
        sessions = session_factory(engine)
        with sessions() as session:
            team = add_team(session, "T")
            nurse = add_professional(session, "N", Role.NURSE, team_id=team.id)
            now = datetime.now(UTC)
            create_account(
                session, "claire", "the-real-password", now=now, professional_id=nurse.id
            )
            session.commit()
        settings = WebSettings(
            data_dir=root,
            secret_key=SecretStr("b" * 48),
            cookie_secure=False,
            housekeeping_hours=0,
            lockout_failures=10_000,
            lockout_source_failures=10_000,
        )
        store = SqliteStore(root / "readings.sqlite")
        app = create_app(settings, store=store, sessions=sessions)
        times: dict[str, list[float]] = {"existing": [], "unknown": []}
        with TestClient(app, follow_redirects=False) as client:
            client.get("/login")
            token = client.cookies["veille_csrf"]
            for i in range(attempts):
                for which, name in (("existing", "claire"), ("unknown", f"nobody-{i}")):
                    form = {"username": name, "password": f"wrong-{i}", "csrf": token}
                    start = time.perf_counter()
                    status = client.post("/login", data=form).status_code
                    times[which].append(time.perf_counter() - start)
                    if status != 401:
                        raise RuntimeError(f"{which}: expected 401, got {status}")
        store.close()
        engine.dispose()
    existing = statistics.median(times["existing"]) * 1000
    unknown = statistics.median(times["unknown"]) * 1000
    return {
        "attempts_each": attempts,
        "existing_median_ms": round(existing, 1),
        "unknown_median_ms": round(unknown, 1),
        "ratio": round(unknown / existing, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(run(args.attempts)))


if __name__ == "__main__":
    main()
