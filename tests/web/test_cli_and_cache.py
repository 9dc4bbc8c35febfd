"""`veille web` as an operator runs it, and the triage summary cache."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx

from devices.reading import Kind
from tests.support.waits import wait_until
from tests.web.world import NOW, SECRET, World, reading
from veille.mqtt import free_port
from web.triage import SummaryCache

ROOT = Path(__file__).resolve().parents[2]


def test_add_account_then_serve_and_sign_in(world: World, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VEILLE_WEB__DATA_DIR": str(tmp_path),
        "VEILLE_WEB__SECRET_KEY": SECRET,
        "VEILLE_WEB__COOKIE_SECURE": "false",
    }
    secret = tmp_path / "pw"
    secret.write_text("operator-made-password\n")
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "veille.cli",
            "web",
            "add-account",
            "dr.who",
            "--professional",
            str(world.physician),
            "--password-file",
            str(secret),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    assert '"role": "physician"' in added.stdout
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:

            def listening() -> bool:
                try:
                    client.get("/login")
                except httpx.TransportError:
                    assert server.poll() is None, "veille web exited"
                    return False
                return True

            wait_until(listening, 20, "veille web listening")
            answer = client.post(
                "/login",
                data={
                    "username": "dr.who",
                    "password": "operator-made-password",
                    "csrf": client.cookies["veille_csrf"],
                },
            )
            assert answer.status_code == 303
            assert client.get("/api/v1/me").json()["role"] == "physician"
            assert client.get("/api/v1/patients/p-red/readings/weight").status_code == 200
    finally:
        server.terminate()
        server.wait(10)


def test_veille_web_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {**os.environ, "VEILLE_WEB__DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "veille.cli", "web", "--port", str(free_port())],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "secret_key_file" in done.stderr


def test_stale_summary_is_served_then_refreshed_in_the_background(world: World) -> None:
    ticks = [0.0]
    cache = SummaryCache(world.store, ttl=60, clock=lambda: ticks[0])
    first = cache.get_many(["p-silent"], NOW)["p-silent"]
    assert first.stopped(frozenset({Kind.WEIGHT}), NOW)
    world.store.write_batch(
        [reading("p-silent", Kind.WEIGHT, NOW - timedelta(hours=1), {"weight_kg": 70.0})]
    )
    assert cache.get_many(["p-silent"], NOW)["p-silent"] is first  # fresh yet: kept
    ticks[0] = 61.0  # a minute later
    stale = cache.get_many(["p-silent"], NOW)["p-silent"]
    assert stale is first  # served at once, not recomputed in the request
    wait_until(
        lambda: cache.get_many(["p-silent"], NOW)["p-silent"] is not first,
        5,
        "the background refresh",
    )
    fresh = cache.get_many(["p-silent"], NOW)["p-silent"]
    assert not fresh.stopped(frozenset({Kind.WEIGHT}), NOW)
    assert fresh.kinds[Kind.WEIGHT].text == "70.0 kg"
