"""`veille demo` as a user runs it: a subprocess, then `veille export` and the web API.

The demo replays the household's four weeks quickly (``--speed``), goes on
live, and stops by itself (``--duration``) or on SIGINT. What a user checks:
every reading the household produced is stored exactly once, the alerts the
story contains were raised and reach the nurse through the web API, and a
stop is clean (exit 0, no traceback) and loses nothing.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo.gateway import GATEWAY_ID, load_household
from demo.gateway import produced as household_counts
from tests.support.waits import wait_until
from veille.mqtt import free_port

pytestmark = pytest.mark.slow

VEILLE = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "veille"
#: Four weeks in about 25 seconds. Much faster and the radio's real-time delays (a
#: refused connection's back-off, a session's seconds) become days of simulated time.
SPEED = str(28 * 86_400 // 25)

# The patients of devices/sim/households/demo.toml.
HEART_FAILURE = "p-7f3a"  # his weight climbs
SPOUSE = "p-b41d"  # shares his scale, has her own cuff; shares weight only, no alerts
HYPERTENSION = "p-3e9c"
DIABETES = "p-d208"  # a nocturnal hypoglycaemia
KINDS = {
    HEART_FAILURE: {"weight"},
    SPOUSE: {"weight", "blood_pressure"},
    HYPERTENSION: {"blood_pressure"},
    DIABETES: {"glucose"},
    "p-c0d5": {"spo2", "spo2_continuous", "temperature"},  # COPD: oximeter and thermometer
}


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    pump: threading.Thread | None = None

    def wait_for(self, text: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in the demo's output:\n" + "".join(self.seen))

    def finish(self, timeout_s: float) -> tuple[int, str, str]:
        code = self.process.wait(timeout_s)
        if self.pump is not None:
            self.pump.join(10)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        err = self.process.stderr.read()
        self.process.stdout.close()
        self.process.stderr.close()
        return code, "".join(self.seen), err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.pump is not None:
            self.pump.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None and not stream.closed:
                stream.close()


STARTED: list[Running] = []


def start_demo(data_dir: Path, port: int, *args: str) -> Running:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("VEILLE_CONFIG", None)
    process = subprocess.Popen(
        [str(VEILLE), "demo", "--data-dir", str(data_dir), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    running = Running(process)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.put(line)

    running.pump = threading.Thread(target=pump, daemon=True)
    running.pump.start()
    STARTED.append(running)
    return running


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory; any demo a failed test left running is killed afterwards."""
    yield tmp_path / "demo-data"
    while STARTED:
        STARTED.pop().kill()


def export(data_dir: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [str(VEILLE), "export", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def produced(data_dir: Path) -> Counter[tuple[str, str]]:
    """What the household's devices measured from day 0 to where the demo stopped,
    recomputed here from the household file (and the same as the demo recorded)."""
    state = json.loads((data_dir / "demo-state.json").read_text())
    household = load_household(date.fromisoformat(state["epoch"]))
    counts = household_counts(household, datetime.fromisoformat(state["played_until"]))
    assert counts == state["produced"]
    return Counter(
        {
            (patient, kind): count
            for patient, kinds in counts.items()
            for kind, count in kinds.items()
        }
    )


def assert_stored_once(data_dir: Path) -> list[dict[str, object]]:
    readings = export(data_dir)
    ids = [str(r["id"]) for r in readings]
    assert len(ids) == len(set(ids)), "a reading was stored twice"
    # A continuous oximetry session is stored as its summaries (a reading per stable
    # minute, one per desaturation), whose number depends on when the gateway connected:
    # the household file counts its samples, not them. Everything else, exactly.
    stored = Counter(
        (str(r["patient"]), str(r["kind"])) for r in readings if r["kind"] != "spo2_continuous"
    )
    assert stored == produced(data_dir)
    return readings


def sign_in(client: httpx.Client, username: str, password: str) -> None:
    client.get("/login")
    token = client.cookies["veille_csrf"]
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def alert_categories(client: httpx.Client, patient: str) -> set[str]:
    answer = client.get(f"/api/v1/patients/{patient}/alerts")
    assert answer.status_code == 200, answer.text
    return {alert["category"] for alert in answer.json()}


def test_demo_stores_every_reading_once_and_raises_the_story_alerts(demo_dir: Path) -> None:
    port = free_port()
    demo = start_demo(demo_dir, port, "--duration", "55", "--speed", SPEED, "--reset")
    demo.wait_for("Caught up with the present", 60)
    expected = {
        HEART_FAILURE: {"weight_gain"},
        HYPERTENSION: {"hypertension", "hypertensive_crisis"},
        DIABETES: {"hypoglycemia", "severe_hypoglycemia"},
    }
    found: dict[str, set[str]] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as nurse:
        sign_in(nurse, "nurse.demo", "demo-nurse-2026")

        def story_told() -> bool:
            found.update({patient: alert_categories(nurse, patient) for patient in expected})
            return all(found[p] & categories for p, categories in expected.items())

        wait_until(story_told, 20, "the story's alerts", interval=1.0)
        # The spouse shares weight only, without alerts: the nurse sees her weight, not her
        # blood pressure, although she measures it twice a day.
        assert nurse.get(f"/api/v1/patients/{SPOUSE}/readings/weight").status_code == 200
        assert nurse.get(f"/api/v1/patients/{SPOUSE}/readings/blood_pressure").status_code == 403
    for patient, categories in expected.items():
        assert found[patient] & categories, (patient, found)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as louis:
        sign_in(louis, "louis.demo", "demo-patient-2026")
        me = louis.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["patient_id"] == DIABETES
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as coordinator:
        sign_in(coordinator, "coord.demo", "demo-coord-2026")
        fleet: list[dict[str, Any]] = []

        def gateway_reported() -> bool:
            fleet[:] = coordinator.get("/api/v1/gateways").json()
            return any(g["state"] == "online" and g["devices"] for g in fleet)

        wait_until(gateway_reported, 20, "the demo gateway's heartbeat", interval=0.5)
        assert [g["id"] for g in fleet] == [GATEWAY_ID]
        assert all(d["driver"] for d in fleet[0]["devices"])

    code, out, err = demo.finish(60)
    assert code == 0, out + err
    assert "Traceback" not in err
    readings = assert_stored_once(demo_dir)
    kinds: dict[str, set[str]] = {}
    for reading in readings:
        kinds.setdefault(str(reading["patient"]), set()).add(str(reading["kind"]))
    assert kinds == KINDS
    # Four weeks of a household: dozens of readings per patient, not a handful.
    assert len(readings) > 150


def test_sigint_and_sigterm_stop_cleanly_and_a_second_run_continues(demo_dir: Path) -> None:
    port = free_port()
    demo = start_demo(demo_dir, port, "--speed", SPEED, "--reset")
    demo.wait_for("readings published", 40)
    demo.process.send_signal(signal.SIGINT)
    code, out, err = demo.finish(60)
    assert code == 0, out + err
    assert "Traceback" not in err, err
    assert "Every published reading is in the store" in out
    first = assert_stored_once(demo_dir)
    assert first, "the demo stored nothing before SIGINT"
    assert sum(produced(demo_dir).values()) < 150, "SIGINT came after the whole replay"

    again = start_demo(demo_dir, port, "--speed", SPEED)
    again.wait_for("continuing from", 30)
    again.wait_for("readings published", 40)
    again.process.send_signal(signal.SIGTERM)
    code, out, err = again.finish(60)
    assert code == 0, out + err
    assert "Traceback" not in err, err
    assert "Every published reading is in the store" in out
    second = assert_stored_once(demo_dir)
    assert len(second) > len(first)
    assert {str(r["id"]) for r in first} <= {str(r["id"]) for r in second}
