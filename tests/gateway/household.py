"""A simulated household and a real collector for gateway end-to-end tests."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devices.driver import DeviceInfo
from devices.reading import Kind, Reading
from devices.sim import BloodPressureCuff, Faults, GlucoseMeter, VirtualRadio, WeightScale
from gateway.pairing import GatewayStore
from tests.collector.admit import database_url, pair_all
from tests.support.processes import stop

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, 7, 0)

SCALE = "A4:C1:38:00:00:01"
CUFF = "A4:C1:38:00:00:02"
METER = "A4:C1:38:00:00:03"
STRANGER = "A4:C1:38:00:00:99"

#: The patients `pair_household` and `home` put in the gateway's pairing table.
PATIENTS = ("p-anna", "p-bert")
#: When the home was set up on the server: before every reading the household makes.
PAIRED = datetime(2026, 1, 1, tzinfo=UTC)


def weighing(minutes: int, kg: float, user: int | None = 1) -> Reading:
    return Reading(
        Kind.WEIGHT,
        {"weight_kg": kg},
        time=START + timedelta(minutes=minutes),
        user_index=user,
    )


def pressure(minutes: int, systolic: float = 128.0) -> Reading:
    return Reading(
        Kind.BLOOD_PRESSURE,
        {"systolic_mmhg": systolic, "diastolic_mmhg": 80.0, "mean_arterial_mmhg": 96.0},
        time=START + timedelta(minutes=minutes),
        user_index=1,
    )


def glucose(minutes: int, mmol: float = 5.5) -> Reading:
    return Reading(
        Kind.GLUCOSE,
        {"glucose_mmol_l": mmol},
        time=START + timedelta(minutes=minutes),
        attributes={"sample_type": "capillary_whole_blood", "sample_location": "finger"},
    )


def scale(address: str = SCALE, faults: Faults | None = None) -> WeightScale:
    return WeightScale(
        address,
        name="Scale",
        info=DeviceInfo(manufacturer="Acme", model="W1", serial="S1"),
        faults=faults,
        linger=0.05,
    )


def cuff(faults: Faults | None = None) -> BloodPressureCuff:
    return BloodPressureCuff(
        CUFF,
        name="Cuff",
        info=DeviceInfo(manufacturer="Acme", model="B1", serial="S2"),
        faults=faults,
        linger=0.05,
    )


def meter(faults: Faults | None = None) -> GlucoseMeter:
    return GlucoseMeter(
        METER,
        name="Meter",
        info=DeviceInfo(manufacturer="Acme", model="G1", serial="S3"),
        faults=faults,
    )


HOME = """
name = "gateway-test"
start = 2026-01-05
scan_interval_s = 0.05

[[patients]]
id = "p-anna"

[[devices]]
type = "glucose"
address = "{meter}"
name = "Meter"
model = "G1"
users = {{ 0 = "p-anna" }}
advertise_s = 60

[[devices]]
type = "weight_scale"
address = "{scale}"
name = "Scale"
model = "W1"
users = {{ 1 = "p-anna" }}

[[schedules]]
patient = "p-anna"
device = "{scale}"
every_minutes = 1
count = {weighings}
baseline = {{ weight_kg = 61.5 }}
"""

STORED = """
[[stored]]
device = "{meter}"
patient = "p-anna"
at = 2026-01-04T19:00:00
count = {stored}
metrics = {{ glucose_mmol_l = 5.5 }}
"""


def home(*, weighings: int, stored: int = 0) -> str:
    """A `devices.sim.household` file for `veille gateway run`: p-anna's scale weighs every
    world minute from the start, ``weighings`` times; her meter holds ``stored`` records
    (and advertises for a minute, so a restarted gateway still finds it)."""
    text = HOME.format(meter=METER, scale=SCALE, weighings=weighings)
    return text + (STORED.format(meter=METER, stored=stored) if stored else "")


def pair_household(store: GatewayStore) -> None:
    store.pair(SCALE, "p-anna", "weight_scale", user_index=1)
    store.pair(SCALE, "p-bert", "weight_scale", user_index=2)
    store.pair(CUFF, "p-anna", "blood_pressure")
    store.pair(METER, "p-anna", "glucose")


def new_radio() -> VirtualRadio:
    return VirtualRadio(start=START, scan_interval=0.05)


def stored_ids(data_dir: Path) -> list[str]:
    """Every reading id in the collector's SQLite store (duplicates included, if any)."""
    path = data_dir / "readings.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return [row[0] for row in db.execute("SELECT id FROM readings")]
        except sqlite3.OperationalError:
            return []


def stored(data_dir: Path) -> list[tuple[str, str, str]]:
    """(patient, kind, wire JSON) of every stored reading."""
    with sqlite3.connect(data_dir / "readings.sqlite") as db:
        return list(db.execute("SELECT patient, kind, wire FROM readings"))


def spawn_collector(
    data_dir: Path,
    broker_url: str,
    log: Path,
    *,
    gateway: str,
    patients: Iterable[str] = PATIENTS,
) -> subprocess.Popen[bytes]:
    """`veille collector run`, told first that ``gateway`` serves ``patients`` (issue 17:
    it refuses every other reading), as a home's set-up tells it."""
    pair_all(database_url(data_dir), [gateway], patients, paired_at=PAIRED)
    env = {**os.environ, "VEILLE_BROKER__URL": broker_url}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "veille.cli", "collector", "run", "--data-dir", str(data_dir)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )


@contextmanager
def collector(
    data_dir: Path,
    broker_url: str,
    log: Path,
    *,
    gateway: str,
    patients: Iterable[str] = PATIENTS,
) -> Iterator[subprocess.Popen[bytes]]:
    process = spawn_collector(data_dir, broker_url, log, gateway=gateway, patients=patients)
    try:
        yield process
    finally:
        stop(process, grace_s=15)
