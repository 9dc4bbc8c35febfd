"""A simulated household through a real mosquitto and the real collector (in-process gateway)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devices.registry import Registry
from devices.sim import Faults, VirtualRadio
from gateway.pairing import GatewayStore
from gateway.service import Backends, Gateway
from gateway.settings import GatewaySettings
from tests.gateway import household as hh
from tests.support.mosquitto import Mosquitto
from tests.support.waits import eventually

pytestmark = pytest.mark.integration


GATEWAY = "gw-home"


def settings(data_dir: Path, **extra: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "id": GATEWAY,
        "data_dir": data_dir,
        "timezone": "Europe/Paris",
        "republish_after_s": 2.0,
        "heartbeat_s": 0.5,
        "reconnect_after_s": 2.0,
        "retry_after_s": 0.2,
        "scan_watchdog_s": 30.0,
        **extra,
    }
    return GatewaySettings.model_validate(values)


Scenario = Callable[[Gateway, VirtualRadio], Awaitable[None]]


def run_gateway(
    gw_settings: GatewaySettings,
    mosquitto: Mosquitto,
    radio: VirtualRadio,
    scenario: Scenario,
    registry: Registry | None = None,
) -> Gateway:
    gateway = Gateway(
        gw_settings,
        mosquitto.settings(),
        Backends(radio.scanner_backend, radio.client_backend, radio.now),
        registry,
    )
    hh.pair_household(gateway.store)

    async def main() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(gateway.run(stop))
        try:
            await scenario(gateway, radio)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    asyncio.run(main())
    return gateway


def test_a_household_arrives_once_each_under_the_right_patient(
    mosquitto: Mosquitto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "server"
    radio = hh.new_radio()

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        scale, cuff, meter = radio.add(hh.scale()), radio.add(hh.cuff()), radio.add(hh.meter())
        stranger = radio.add(hh.scale(hh.STRANGER))
        scale.store(hh.weighing(0, 71.3, user=1))
        scale.store(hh.weighing(1, 71.3, user=1))  # same value, another weighing: two readings
        scale.store(hh.weighing(2, 88.0, user=2))
        scale.store(hh.weighing(3, 60.0, user=3))  # nobody paired slot 3: quarantined
        cuff.store(hh.pressure(5))
        for n in range(10):
            meter.store(hh.glucose(10 + n))
        stranger.store(hh.weighing(4, 50.0))  # never connected to: nobody paired it
        await eventually(lambda: len(hh.stored_ids(data)) == 14, timeout=30, what="14 stored")
        await eventually(lambda: gateway.outbox.depth().waiting == 0, what="outbox empty")
        # the meter measures again: only the new record is downloaded
        meter.store(hh.glucose(40))
        await eventually(lambda: len(hh.stored_ids(data)) == 15, timeout=30, what="15 stored")
        assert stranger.connections == 0

    with hh.collector(data, mosquitto.url, tmp_path / "collector.log", gateway=GATEWAY):
        gateway = run_gateway(settings(tmp_path / "gw"), mosquitto, radio, scenario)

    ids = hh.stored_ids(data)
    assert len(ids) == len(set(ids)) == 15
    rows = hh.stored(data)
    by_patient = {(p, k) for p, k, _ in rows}
    assert by_patient == {
        ("p-anna", "weight"),
        ("p-bert", "weight"),
        ("p-anna", "blood_pressure"),
        ("p-anna", "glucose"),
    }
    weights = [json.loads(w) for p, k, w in rows if k == "weight"]
    first = min(weights, key=lambda w: w["time"])
    # 07:00 in Paris in January is 06:00 UTC
    assert first["time"].startswith("2026-01-05T06:00:00")
    logged = capsys.readouterr()
    assert "reading_published" in logged.out + logged.err
    for secret in ("71.3", "88.0", "p-anna", "p-bert", "weight_kg"):  # no value, no patient
        assert secret not in logged.out + logged.err
    store = GatewayStore(gateway.settings.pairing_path)
    assert [q[2] for q in store.quarantined()] == [3]
    assert store.remembered(hh.METER).last_sequence == 11
    store.close()


def test_a_meter_with_500_records_that_drops_the_link_mid_download(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    data = tmp_path / "server"
    radio = hh.new_radio()

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        meter = hh.meter(Faults(disconnect_after=180))
        for n in range(500):
            meter.store(hh.glucose(n, 4.0 + (n % 50) / 10))
        meter.advertise_seconds = 60.0
        radio.add(meter)
        meter.wake()
        await eventually(lambda: len(hh.stored_ids(data)) >= 500, timeout=60, what="500 stored")
        await eventually(
            lambda: gateway.store.remembered(hh.METER).last_sequence == 500, what="high-water"
        )
        await eventually(lambda: gateway.outbox.depth().waiting == 0, what="outbox empty")

    with hh.collector(data, mosquitto.url, tmp_path / "collector.log", gateway=GATEWAY):
        gateway = run_gateway(settings(tmp_path / "gw"), mosquitto, radio, scenario)
    ids = hh.stored_ids(data)
    assert len(ids) == len(set(ids)) == 500
    activity = gateway.radio.counters.devices[hh.METER]
    assert activity.sessions_failed >= 1
    assert activity.sessions_ok >= 1


def test_refusals_a_malformed_record_and_a_wrong_clock_lose_no_good_reading(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    data = tmp_path / "server"
    radio = hh.new_radio()

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        cuff = radio.add(hh.cuff(Faults(refuse_connections=4)))
        scale = radio.add(hh.scale(faults=Faults(garbage_record=1)))
        meter = radio.add(hh.meter(Faults(clock_offset=timedelta(days=-400))))
        cuff.store(hh.pressure(0))
        scale.store(hh.weighing(0, 70.0))
        scale.store(hh.weighing(1, 70.1))  # sent as garbage: reported, not guessed
        scale.store(hh.weighing(2, 70.2))
        meter.store(hh.glucose(3))  # the meter stamps it with its own clock
        await eventually(lambda: len(hh.stored_ids(data)) == 4, timeout=40, what="4 stored")

    with hh.collector(data, mosquitto.url, tmp_path / "collector.log", gateway=GATEWAY):
        gateway = run_gateway(settings(tmp_path / "gw"), mosquitto, radio, scenario)
    rows = hh.stored(data)
    assert len(rows) == 4
    glucose = next(json.loads(w) for _p, k, w in rows if k == "glucose")
    assert "device_clock_unreliable" in glucose["flags"]
    assert glucose["device_time"].startswith("2024-12-01")  # the device clock, kept
    assert glucose["time"].startswith("2026-01-05")  # when the gateway received it
    devices = gateway.radio.counters.devices
    assert devices[hh.CUFF].sessions_failed >= 1
    assert devices[hh.CUFF].sessions_ok >= 1
    assert devices[hh.SCALE].records_rejected == 1
    rejection = devices[hh.SCALE].last_rejection
    assert rejection is not None
    assert rejection.startswith("2A9D: rejected")
    meter = radio.device(hh.METER)
    assert meter is not None
    assert meter.clock_writes, "the gateway set the wrong clock through Current Time"
    assert devices[hh.METER].clock_drift_s == 0.0  # measured again in the next session
