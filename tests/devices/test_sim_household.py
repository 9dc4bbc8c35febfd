"""The household file and the simulated home: schedules, clinical stories, and whole sessions."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices.conformance import session
from devices.driver import DeviceState, ScaleUser
from devices.drivers.glucose import GlucoseDriver
from devices.drivers.scales import BloodPressureDriver, WeightScaleDriver
from devices.reading import Kind, Reading
from devices.sim import GlucoseMeter
from devices.sim.household import Household, SimulatedHome
from veille.errors import ConfigError, DeviceError

DEMO = Path(__file__).resolve().parents[2] / "devices" / "sim" / "households" / "demo.toml"
START, END = datetime(2026, 1, 5), datetime(2026, 2, 2)
SCALE, CUFF_LATE, METER = "C4:7C:8D:6A:10:01", "C4:7C:8D:6A:10:03", "C4:7C:8D:6A:10:04"


@pytest.fixture(scope="module")
def demo() -> Household:
    return Household.load(DEMO)


def test_demo_heart_failure_weight_climbs_more_than_2_kg_in_3_days(demo: Household) -> None:
    weights = [
        (m.time, m.reading.metrics["weight_kg"])
        for m in demo.measurements(START, END)
        if m.patient == "p-7f3a"
    ]
    climbs = [
        later - earlier
        for t0, earlier in weights
        for t1, later in weights
        if earlier is not None and later is not None and timedelta(0) < t1 - t0 <= timedelta(days=3)
    ]
    assert max(climbs) > 2.0


def test_demo_couple_shares_one_multi_user_scale(demo: Household) -> None:
    on_scale = {
        (m.patient, m.reading.user_index)
        for m in demo.measurements(START, END)
        if m.device == SCALE
    }
    assert on_scale == {("p-7f3a", 1), ("p-b41d", 2)}
    assert demo.pairings()[(SCALE, 1)] == "p-7f3a"


def test_demo_hypertensive_and_diabetic_stories(demo: Household) -> None:
    taken = demo.measurements(START, END)
    systolic = [m.reading.metrics["systolic_mmhg"] or 0 for m in taken if m.patient == "p-3e9c"]
    assert sum(systolic) / len(systolic) > 150
    glucose = [m for m in taken if m.patient == "p-d208"]
    hypo = [m for m in glucose if (m.reading.metrics["glucose_mmol_l"] or 99) < 3.0]
    assert [m.time for m in hypo] == [datetime(2026, 1, 14, 3, 10)]
    control = [m for m in glucose if m.reading.attributes["sample_type"] == "control_solution"]
    assert len(control) == 1
    assert all(m.reading.kind is Kind.GLUCOSE for m in glucose)


def test_schedules_are_deterministic_and_windowed(demo: Household) -> None:
    again = Household.load(DEMO)
    assert demo.measurements(START, END) == again.measurements(START, END)
    week = demo.measurements(START, START + timedelta(days=7))
    assert all(START <= m.time < START + timedelta(days=7) for m in week)
    assert week == [m for m in demo.measurements(START, END) if m.time < START + timedelta(days=7)]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('users = { 0 = "p-3e9c" }', 'users = { 0 = "p-zzzz" }'), "unknown patient p-zzzz"),
        (('timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"'), "not an IANA time zone"),
        (("baseline = { weight_kg = 64.2 }", "baseline = { weight_lb = 141 }"), "unknown metric"),
        (('id = "p-3e9c"', 'id = "Jean Dupont"'), "id"),
    ],
)
def test_household_mistakes_are_config_errors_that_name_them(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    text = DEMO.read_text()
    assert edit[0] in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ConfigError, match=message):
        Household.load(path)


def test_simulated_home_plays_three_days_through_the_drivers(demo: Household) -> None:
    home = SimulatedHome(demo)
    taken = home.advance_to(START + timedelta(days=3))
    assert home.radio.now() == START + timedelta(days=3)

    async def gateway_round() -> dict[str, int]:
        counts: dict[str, int] = {}
        users = tuple(ScaleUser(slot, demo.consent_code(SCALE, slot) or 0) for slot in (1, 2))
        _, scale = await session(
            home.radio, WeightScaleDriver(), SCALE, DeviceState(users=users), connect_attempts=2
        )
        counts["scale"] = len(scale)
        result, cuff = await session(home.radio, BloodPressureDriver(), CUFF_LATE)
        assert result.clock_drift_s == pytest.approx(-47 * 60, abs=1)
        assert all("device_clock_unreliable" in r.flags for r in cuff)
        counts["cuff"] = len(cuff)
        first: list[Reading] = []
        with pytest.raises(DeviceError, match="link lost"):
            await session(home.radio, GlucoseDriver(timeout=0.5), METER, into=first)
        assert len(first) == 6
        home.devices[METER].wake()
        result, meter = await session(home.radio, GlucoseDriver(timeout=0.5), METER, DeviceState())
        counts["meter"] = len(meter)
        assert sum("control_solution" in r.flags for r in meter) == 1
        assert result.state.last_sequence == len(meter)
        return counts

    counts = asyncio.run(gateway_round())
    by_device = {
        address: sum(m.device == address for m in taken) for address in (SCALE, CUFF_LATE, METER)
    }
    assert counts == {
        "scale": by_device[SCALE],
        "cuff": by_device[CUFF_LATE],
        "meter": by_device[METER] + 2,  # plus the two records stored before the start
    }


LOAD_TEST = """
name = "load"
start = 2026-01-05
[[patients]]
id = "p-anna"
[[devices]]
type = "glucose"
address = "A4:C1:38:00:00:03"
name = "Meter"
model = "G1"
users = { 0 = "p-anna" }
advertise_s = 60
[[devices]]
type = "weight_scale"
address = "A4:C1:38:00:00:01"
name = "Scale"
model = "W1"
users = { 1 = "p-anna" }
[[schedules]]
patient = "p-anna"
device = "A4:C1:38:00:00:01"
every_minutes = 3
count = 4
baseline = { weight_kg = 61.5 }
[[stored]]
device = "A4:C1:38:00:00:03"
patient = "p-anna"
at = 2026-01-04T19:00:00
count = 30
metrics = { glucose_mmol_l = 5.5 }
"""


def test_a_load_test_household_measures_every_few_minutes_a_fixed_number_of_times(
    tmp_path: Path,
) -> None:
    path = tmp_path / "load.toml"
    path.write_text(LOAD_TEST)
    household = Household.load(path)
    taken = household.measurements(START, END)
    assert [m.time for m in taken] == [START + timedelta(minutes=3 * n) for n in (1, 2, 3, 4)]
    assert all(m.reading.user_index == 1 for m in taken)
    # a window that starts mid-way gets only what falls inside it, still counted from the start
    later = household.measurements(START + timedelta(minutes=7), END)
    assert [m.time.minute for m in later] == [9, 12]
    home = SimulatedHome(household)
    meter = home.devices["A4:C1:38:00:00:03"]
    assert meter.advertise_seconds == 60
    assert isinstance(meter, GlucoseMeter)
    assert [r.sequence for r, _ in meter.records] == list(range(1, 31))


def test_a_schedule_needs_times_or_an_interval_not_both(tmp_path: Path) -> None:
    path = tmp_path / "both.toml"
    path.write_text(LOAD_TEST.replace("every_minutes = 3", 'every_minutes = 3\ntimes = ["07:00"]'))
    with pytest.raises(ConfigError, match="either times or every_minutes"):
        Household.load(path)
