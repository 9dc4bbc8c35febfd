"""Pulse oximeter sessions through the simulator: stored spot-checks over RACP (resumed,
never twice), PLX Features, and a continuous session summarised."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from devices.codecs import plx_features
from devices.conformance import session
from devices.driver import DeviceInfo, DeviceState, NoteKind
from devices.drivers.oximeter import PulseOximeterDriver, cursor_of, time_of
from devices.envelope import reading_id
from devices.reading import Kind, Reading
from devices.sim import Faults, PulseOximeter, VirtualRadio
from veille.errors import DeviceError

T0 = datetime(2026, 3, 2, 8, 0)
ADDRESS = "0C:00:00:00:00:01"
INFO = DeviceInfo("Acme", "Oxi 1", "OX-1", "1.2")


def spot(i: int, spo2: float = 95.0) -> Reading:
    return Reading(Kind.SPO2, {"spo2_pct": spo2, "pulse_bpm": 72.0}, time=T0 + timedelta(hours=i))


def sample(spo2: float, *flags: str) -> Reading:
    return Reading(Kind.SPO2_CONTINUOUS, {"spo2_pct": spo2, "pulse_bpm": 80.0}, flags=flags)


def oximeter(radio: VirtualRadio, **kwargs: object) -> PulseOximeter:
    faults = Faults(**kwargs.pop("faults", {}))  # type: ignore[arg-type]
    device = PulseOximeter(ADDRESS, name="Oxi", info=INFO, faults=faults, **kwargs)  # type: ignore[arg-type]
    radio.add(device)
    return device


def driver() -> PulseOximeterDriver:
    return PulseOximeterDriver(timeout=0.5, idle=0.2)


def run(radio: VirtualRadio, state: DeviceState) -> tuple[DeviceState, list[Reading]]:
    result, readings = asyncio.run(session(radio, driver(), ADDRESS, state))
    return result.state, readings


def test_records_stored_while_away_arrive_then_only_the_new_ones() -> None:
    radio = VirtualRadio(start=T0 + timedelta(days=1))
    device = oximeter(radio)
    for i in range(5):
        device.store(spot(i, 93.0 + i))
    state, first = run(radio, DeviceState())
    assert [r.metrics["spo2_pct"] for r in first] == [93.0, 94.0, 95.0, 96.0, 97.0]
    assert all("data_from_measurement_storage" in r.flags for r in first)
    assert state.last_sequence is not None
    assert time_of(state.last_sequence) == T0 + timedelta(hours=4)
    device.store(spot(30, 91.0))
    device.wake()
    state, second = run(radio, state)
    assert [(r.time, r.metrics["spo2_pct"]) for r in second] == [(T0 + timedelta(hours=30), 91.0)]
    assert state.last_sequence == cursor_of(T0 + timedelta(hours=30))
    device.wake()
    state, third = run(radio, state)
    assert third == []


def test_a_link_lost_mid_download_resumes_next_time_and_nothing_arrives_twice() -> None:
    radio = VirtualRadio(start=T0 + timedelta(days=2))
    device = oximeter(radio, faults={"disconnect_after": 3})
    for i in range(8):
        device.store(spot(i, 90.0 + i))
    got: list[Reading] = []
    with pytest.raises(DeviceError, match="link lost during the download after 3"):
        asyncio.run(session(radio, driver(), ADDRESS, DeviceState(), into=got))
    assert len(got) == 3  # emitted and durable; the cursor was not committed
    device.wake()
    state, again = run(radio, DeviceState())
    outbox: dict[str, Reading] = {}  # the gateway's outbox: idempotent on the reading id
    for r in [*got, *again]:
        key = reading_id(ADDRESS, r.kind, sequence=None, device_time=r.time, user_index=None)
        assert outbox.setdefault(key, r) == r
    assert sorted(r.metrics["spo2_pct"] or 0 for r in outbox.values()) == [
        90.0 + i for i in range(8)
    ]
    device.wake()
    _, after = run(radio, state)
    assert after == []


def test_a_malformed_or_untimed_stored_record_is_reported_and_the_rest_arrive() -> None:
    radio = VirtualRadio(start=T0 + timedelta(days=1))
    device = oximeter(radio, faults={"garbage_record": 1})
    for i in range(3):
        device.store(spot(i))
    device.store(Reading(Kind.SPO2, {"spo2_pct": 96.0, "pulse_bpm": 70.0}))
    result, readings = asyncio.run(session(radio, driver(), ADDRESS, DeviceState()))
    assert [r.time for r in readings] == [T0, T0 + timedelta(hours=2)]
    kinds = {(note.kind, note.characteristic) for note in result.notes}
    assert {(NoteKind.REJECTED, "2A5E"), (NoteKind.SKIPPED, "2A5E")} <= kinds
    # The cursor stops before the record it could not read: never past a gap.
    assert result.state.last_sequence == cursor_of(T0)


def test_an_oximeter_without_storage_is_not_asked_and_one_without_status_is_noted() -> None:
    radio = VirtualRadio(start=T0)
    bare = plx_features.Features(plx_features.SupportedFeatures(0))
    device = oximeter(radio, features=bare)
    device.store(spot(0))
    result, readings = asyncio.run(session(radio, driver(), ADDRESS, DeviceState()))
    assert readings == []
    assert NoteKind.CAPABILITY in {note.kind for note in result.notes}


def steady(n: int, level: float) -> list[Reading]:
    return [sample(level + (i % 2)) for i in range(n)]


def test_a_continuous_session_gives_stable_minutes_and_the_desaturation_nadir() -> None:
    radio = VirtualRadio(start=T0)
    device = oximeter(radio)
    dip = [sample(v) for v in (92, 90, 88, 86, 85, 84, 84, 85, 86, 87, 88, 89, 90, 91, 92)]
    samples = steady(180, 95.0) + [sample(v) for v in (92, 90)] + dip + steady(120, 95.0)
    device.stream(samples)
    result, readings = asyncio.run(session(radio, driver(), ADDRESS, DeviceState()))
    minutes = [r for r in readings if r.attributes["summary"] == "minute"]
    dips = [r for r in readings if r.attributes["summary"] == "desaturation"]
    assert len(samples) > 300
    assert len(readings) < 10
    assert all(r.kind is Kind.SPO2_CONTINUOUS for r in readings)
    assert [r.time for r in minutes[:3]] == [T0 + timedelta(minutes=m) for m in range(3)]
    assert all(95.0 <= (r.metrics["spo2_pct"] or 0) <= 96.0 for r in minutes)
    [nadir] = dips
    assert nadir.metrics["spo2_pct"] == 84.0
    assert nadir.attributes["baseline_pct"] == 95.5
    assert int(str(nadir.attributes["duration_s"])) >= 10
    assert nadir.time is not None
    assert T0 + timedelta(minutes=3) < nadir.time < T0 + timedelta(minutes=4)
    assert "device_clock_unreliable" not in nadir.flags
    assert any("summarised" in str(note) for note in result.notes)


def test_a_sliding_probe_reading_low_is_no_desaturation() -> None:
    radio = VirtualRadio(start=T0)
    device = oximeter(radio)
    slipped = [sample(80.0, "sensor_displaced") for _ in range(30)]
    device.stream(steady(90, 95.0) + slipped + steady(60, 95.0))
    _, readings = asyncio.run(session(radio, driver(), ADDRESS, DeviceState()))
    assert [r for r in readings if r.attributes["summary"] == "desaturation"] == []
    assert all((r.metrics["spo2_pct"] or 0) >= 95.0 for r in readings)
