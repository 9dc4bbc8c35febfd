"""The radio loop: broadcast-only devices, the scan watchdog, the connection cap."""

from __future__ import annotations

from pathlib import Path

import pytest
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from devices.driver import AdvertisementDriver, DeviceInfo, Matcher
from devices.reading import Kind, Reading
from devices.registry import Registry
from devices.sim import VirtualRadio
from devices.sim.devices import Broadcaster
from gateway.pairing import GatewayStore
from gateway.service import Gateway
from tests.gateway import household as hh
from tests.gateway.support import Acker
from tests.gateway.test_household import run_gateway, settings
from tests.support.mosquitto import Mosquitto
from tests.support.waits import eventually
from veille.errors import DecodeError

pytestmark = pytest.mark.integration

BROADCAST_SCALE = "A4:C1:38:00:00:10"
NEIGHBOUR = "A4:C1:38:00:00:11"


class KitchenScale(AdvertisementDriver):
    """Test driver: weight in 10 g steps and a measurement counter in service data FFF0."""

    name = "kitchen_scale"
    matchers = (Matcher(service_data_uuid="FFF0"),)

    def from_advertisement(
        self, device: BLEDevice, advertisement: AdvertisementData
    ) -> list[Reading]:
        data = advertisement.service_data.get("0000fff0-0000-1000-8000-00805f9b34fb")
        if data is None:
            return []
        if len(data) != 3:
            raise DecodeError(f"FFF0 service data is {len(data)} bytes, expected 3")
        weight = int.from_bytes(data[:2], "little") / 100
        return [Reading(Kind.WEIGHT, {"weight_kg": weight}, sequence=data[2])]


def broadcaster(address: str) -> Broadcaster:
    return Broadcaster(address, name="Kitchen", info=DeviceInfo(), advertise_seconds=2.0)


def test_broadcasts_are_published_once_and_an_unpaired_one_is_quarantined(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    registry = Registry(entries=[])
    registry.add(KitchenScale(), entry_point="kitchen_scale", distribution="tests")
    acker = Acker(mosquitto.port)

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        gateway.store.pair(BROADCAST_SCALE, "p-anna", "kitchen_scale")
        ours = radio.add(broadcaster(BROADCAST_SCALE))
        theirs = radio.add(broadcaster(NEIGHBOUR))
        ours.broadcast({"FFF0": (7130).to_bytes(2, "little") + b"\x01"})
        theirs.broadcast({"FFF0": (9000).to_bytes(2, "little") + b"\x01"})
        await eventually(lambda: len(acker.ids()) == 1, what="one published")
        heard = gateway.radio.counters.advertisements
        await eventually(  # the same advertisement keeps repeating: published once
            lambda: gateway.radio.counters.advertisements >= heard + 20, what="repeats heard"
        )
        ours.broadcast({"FFF0": (7130).to_bytes(2, "little") + b"\x02"})  # same weight again
        await eventually(lambda: len(acker.ids()) == 2, what="the second weighing")
        ours.broadcast({"FFF0": b"\x01"})  # malformed: reported, not guessed
        await eventually(lambda: _rejected(gateway) == 1, what="the malformed one reported")
        ours.broadcast({"FFF0": (7131).to_bytes(2, "little") + b"\x03"})
        await eventually(lambda: len(acker.ids()) == 3, what="three weighings")
        await eventually(lambda: gateway.outbox.depth().waiting == 0, what="acked")

    gateway = run_gateway(
        settings(tmp_path / "gw"), mosquitto, hh.new_radio(), scenario, registry=registry
    )
    acker.close()
    assert len(acker.ids()) == len(set(acker.ids())) == 3
    assert gateway.radio.counters.devices[BROADCAST_SCALE].records_rejected == 1
    assert {r["patient"] for r in acker.received} == {"p-anna"}
    store = GatewayStore(gateway.settings.pairing_path)
    assert [(q[1], q[3]) for q in store.quarantined()] == [(NEIGHBOUR, "device not paired")]
    store.close()


def test_a_silent_scan_is_restarted_by_the_watchdog(mosquitto: Mosquitto, tmp_path: Path) -> None:
    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        await eventually(lambda: gateway.radio.counters.scans_restarted >= 2, what="restarts")

    run_gateway(settings(tmp_path / "gw", scan_watchdog_s=0.3), mosquitto, hh.new_radio(), scenario)


def test_never_more_connections_than_the_cap(mosquitto: Mosquitto, tmp_path: Path) -> None:
    most = 0

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        nonlocal most
        scales = [radio.add(hh.scale(f"A4:C1:38:00:01:0{n}")) for n in range(4)]
        for n, scale in enumerate(scales):
            gateway.store.pair(scale.address, f"p-{n}", "weight_scale")
            scale.store(hh.weighing(n, 70.0))

        def done() -> bool:
            nonlocal most
            most = max(most, sum(1 for s in scales if s.link is not None))
            return not gateway.outbox.depth().waiting and gateway.publisher.counters.acked >= 4

        await eventually(done, 30, "4 weighings acked", interval=0.002)

    acker = Acker(mosquitto.port)
    run_gateway(settings(tmp_path / "gw", max_connections=2), mosquitto, hh.new_radio(), scenario)
    acker.close()
    assert most == 2


def _rejected(gateway: Gateway) -> int:
    activity = gateway.radio.counters.devices.get(BROADCAST_SCALE)
    return activity.records_rejected if activity else 0
