"""The worked example of docs/drivers.md: a non-standard oximeter, through the conformance
kit and a simulated session; the page shows this very code."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib.util
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from bleak.exc import BleakError

from devices.conformance import (
    Vector,
    VirtualPeripheral,
    VirtualRadio,
    check_malformed,
    check_vectors,
    session,
)
from devices.driver import DeviceInfo, DeviceState, NoteKind
from devices.reading import Kind, Reading
from devices.sim.peripheral import CharSpec, Link

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "acme_oximeter.py"
PUBLIC = {"devices.driver", "devices.reading", "devices.conformance"}


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("acme_oximeter", EXAMPLE)
    if spec is None or spec.loader is None:
        raise ImportError(EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["acme_oximeter"] = module
    spec.loader.exec_module(module)
    return module


acme = load()


def packet(status: int, spo2: int, pulse: int, pi: int = 25) -> bytes:
    return bytes((0xA5, status, spo2, pulse, pi))


class AcmeOx9(VirtualPeripheral):
    """The device the example is written for, on the virtual radio."""

    services = (acme.SERVICE,)

    def __init__(self, address: str, packets: list[bytes], **kwargs: Any) -> None:
        super().__init__(address, **kwargs)
        self.packets = packets
        self.has_current_time = False

    def measurement_gatt(self) -> list[CharSpec]:
        return [CharSpec(acme.SERVICE, acme.STREAM, ("notify",))]

    async def subscribed(self, link: Link, char: str) -> None:
        asyncio.get_running_loop().create_task(self._stream(link))

    async def _stream(self, link: Link) -> None:
        with contextlib.suppress(BleakError):
            for data in self.packets:
                assert self.radio is not None

                self.radio.advance(timedelta(seconds=1))
                await link.notify(acme.STREAM, data)
            link.drop()


def test_the_page_shows_the_tested_code() -> None:
    page = (ROOT / "docs" / "drivers.md").read_text()
    assert EXAMPLE.read_text().strip() in page


def test_the_example_imports_only_the_public_api() -> None:
    imported = {
        node.module
        for node in ast.walk(ast.parse(EXAMPLE.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("devices")
    }
    assert imported <= PUBLIC


def test_the_example_passes_the_conformance_kit() -> None:
    driver = acme.AcmeOx9Driver()
    vectors = [
        Vector(
            "steady",
            acme.STREAM,
            packet(0, 95, 72, 31),
            (
                Reading(
                    Kind.SPO2_CONTINUOUS,
                    {"spo2_pct": 95.0, "pulse_bpm": 72.0, "pulse_amplitude_index_pct": 3.1},
                ),
            ),
        ),
        Vector(
            "finger_out",
            acme.STREAM,
            packet(1, 0x7F, 0xFF, 0),
            (
                Reading(
                    Kind.SPO2_CONTINUOUS,
                    {"spo2_pct": None, "pulse_bpm": None, "pulse_amplitude_index_pct": 0.0},
                    flags=("sensor_unconnected_to_user",),
                ),
            ),
        ),
        Vector("bad_sync", acme.STREAM, bytes((0x5A, 0, 95, 72, 31)), None),
        Vector("spo2_over_100", acme.STREAM, packet(0, 101, 72), None),
        Vector("unknown_status_bit", acme.STREAM, packet(0x08, 95, 72), None),
    ]
    check_vectors(driver, vectors).raise_for_failures()
    seeds = [v.payload for v in vectors]
    check_malformed(driver, acme.STREAM, seeds, examples=1000, seed=9).raise_for_failures()


def test_a_night_with_a_desaturation_and_a_slipping_probe_through_the_simulator() -> None:
    steady = [packet(0, 94, 80)] * 120
    dip = [packet(0, 86, 95)] * 20
    slipped = [packet(4, 70, 80)] * 30  # weak signal: never a desaturation
    radio = VirtualRadio(start=datetime(2026, 3, 3, 23, 0))
    device = radio.add(
        AcmeOx9(
            "0E:00:00:00:00:01",
            [*steady, *dip, *steady, *slipped, *steady, b"\xa5\x00"],
            name="OX-9",
            info=DeviceInfo("Acme", "OX-9"),
        )
    )
    device.wake()  # it advertises once the finger is in
    driver = acme.AcmeOx9Driver(idle=0.3)
    result, readings = asyncio.run(session(radio, driver, "0E:00:00:00:00:01", DeviceState()))
    dips = [r for r in readings if r.attributes["summary"] == "desaturation"]
    assert [r.metrics["spo2_pct"] for r in dips] == [86.0]
    assert all(r.kind is Kind.SPO2_CONTINUOUS for r in readings)
    assert 5 <= len(readings) < 12
    assert [n.kind for n in result.notes] == [NoteKind.REJECTED]  # the cut packet
