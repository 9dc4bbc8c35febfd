"""Broker away, collector away, outbox full: nothing lost, the backlog drains, it is said aloud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices.sim import VirtualRadio
from gateway.service import Gateway
from tests.gateway import household as hh
from tests.gateway.support import Acker
from tests.gateway.test_household import GATEWAY, run_gateway, settings
from tests.support.mosquitto import Mosquitto
from tests.support.processes import stop
from tests.support.waits import eventually

pytestmark = pytest.mark.integration


def test_collector_then_broker_away_while_measuring_then_the_backlog_drains(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    data = tmp_path / "server"
    log = tmp_path / "collector.log"

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        scale = radio.add(hh.scale())
        collector = hh.spawn_collector(data, mosquitto.url, log, gateway=GATEWAY)
        try:
            for n in range(5):
                scale.store(hh.weighing(n, 70.0, user=1))
            await eventually(lambda: len(hh.stored_ids(data)) == 5, timeout=30, what="5 stored")
            await eventually(lambda: gateway.outbox.depth().waiting == 0, what="5 acked")
        finally:
            stop(collector, grace_s=15)
        # collector down: published to the broker, never acked, kept
        for n in range(5, 10):
            scale.store(hh.weighing(n, 70.0, user=1))
        await eventually(lambda: gateway.outbox.depth().waiting == 5, what="5 waiting")
        await eventually(lambda: gateway.outbox.depth().unpublished == 0, what="5 published")
        # broker down too: kept unpublished
        mosquitto.stop()
        for n in range(10, 15):
            scale.store(hh.weighing(n, 70.0, user=1))
        await eventually(lambda: gateway.outbox.depth().unpublished == 5, what="5 unpublished")
        mosquitto.start()
        collector = hh.spawn_collector(data, mosquitto.url, log, gateway=GATEWAY)
        try:
            await eventually(lambda: len(hh.stored_ids(data)) == 15, timeout=60, what="15 stored")
            await eventually(lambda: gateway.outbox.depth().waiting == 0, what="outbox drained")
        finally:
            stop(collector, grace_s=15)

    run_gateway(settings(tmp_path / "gw"), mosquitto, hh.new_radio(), scenario)
    ids = hh.stored_ids(data)
    assert len(ids) == len(set(ids)) == 15


def test_a_full_outbox_leaves_the_records_on_the_device_and_says_so(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    acker = Acker(mosquitto.port, ack=False)

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        meter = radio.add(hh.meter())
        for n in range(30):
            meter.store(hh.glucose(n))
        await eventually(lambda: gateway.outbox.full, what="outbox full")
        await eventually(
            lambda: any(
                isinstance(o := s.get("outbox"), dict) and o.get("full") for s in acker.status
            ),
            what="heartbeat says full",
        )
        # the session that hit the bound failed: its high-water mark was not committed
        assert gateway.store.remembered(hh.METER).last_sequence is None
        acker.ack = True
        await eventually(lambda: len(set(acker.ids())) == 10, what="10 published")

    gw_settings = settings(tmp_path / "gw", outbox_max_rows=10)
    run_gateway(gw_settings, mosquitto, hh.new_radio(), scenario)
    acker.close()
    last = acker.status[-1]
    assert last["state"] == "offline"
    online = [s for s in acker.status if s["state"] == "online"]
    assert online[-1]["outbox"]["bound"] == 10  # type: ignore[index]
    assert json.dumps(online[-1]).count("A4:C1:38:00:00:03") == 1  # per-device activity
