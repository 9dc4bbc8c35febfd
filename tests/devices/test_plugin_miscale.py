"""The vendor plugin veille-miscale: public API only, conformance kit, simulator session."""

from __future__ import annotations

import ast
import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from veille_miscale import MiScale2Driver, encode, parse

from devices.conformance import (
    Broadcaster,
    Vector,
    VirtualRadio,
    check_malformed,
    check_round_trips,
    check_session,
    check_vectors,
)
from devices.driver import DeviceInfo
from devices.reading import Kind, Reading
from devices.registry import Registry

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "veille-miscale" / "veille_miscale"
PUBLIC = {"devices", "devices.driver", "devices.reading", "devices.conformance"}  # see test_sdk
WHEN = datetime(2026, 5, 6, 7, 8, 9)
DATA = "181B"


def both(kg: float, ohm: float) -> tuple[Reading, ...]:
    return (
        Reading(Kind.WEIGHT, {"weight_kg": kg}, time=WHEN),
        Reading(Kind.BODY_COMPOSITION, {"weight_kg": kg, "impedance_ohm": ohm}, time=WHEN),
    )


VECTORS = [
    Vector(
        "kg_stable_impedance", DATA, bytes.fromhex("0222ea070506070809f4017c38"), both(72.3, 500.0)
    ),
    Vector(
        "lb_stable",
        DATA,
        bytes.fromhex("0320ea07050607080900004e3e"),
        (Reading(Kind.WEIGHT, {"weight_kg": 72.348}, time=WHEN),),
    ),
    Vector("not_yet_stable", DATA, bytes.fromhex("0202ea070506070809f4017c38"), ()),
    Vector("stepped_off", DATA, bytes.fromhex("02a2ea070506070809f4017c38"), ()),
    Vector("twelve_bytes", DATA, bytes.fromhex("0222ea070506070809f4017c"), None),
    Vector("month_13", DATA, bytes.fromhex("0222ea070d06070809f4017c38"), None),
]


def test_plugin_imports_only_the_public_driver_api() -> None:
    imported: set[str] = set()
    for path in PLUGIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    ours = {m for m in imported if m.split(".")[0] in {"devices", "veille", "gateway"}}
    assert ours <= PUBLIC
    assert "devices.driver" in ours


def test_plugin_passes_its_vectors() -> None:
    report = check_vectors(MiScale2Driver(), VECTORS, local_name="MIBFS")
    report.raise_for_failures()
    assert report.passed == len(VECTORS)


def test_plugin_round_trips_and_survives_malformed_service_data() -> None:
    readings = [Reading(Kind.WEIGHT, {"weight_kg": kg}, time=WHEN) for kg in (45.0, 72.3, 150.25)]

    def encoder(reading: Reading) -> bytes:
        kg = reading.metrics["weight_kg"]
        assert kg is not None
        return encode(kg, WHEN)

    driver = MiScale2Driver()
    check_round_trips(driver, DATA, readings, encoder, local_name="MIBFS").raise_for_failures()
    seeds = [v.payload for v in VECTORS]
    report = check_malformed(driver, DATA, seeds, examples=2000, seed=181, local_name="MIBFS")
    report.raise_for_failures()


def test_plugin_session_against_a_broadcasting_virtual_scale() -> None:
    radio = VirtualRadio()
    scale = Broadcaster(
        "C8:47:8C:00:00:01",
        name="MIBFS",
        info=DeviceInfo("Xiaomi", "XMTZC05HM"),
        services=("181B",),
    )
    radio.add(scale)

    async def run() -> None:
        # the unstabilised advertisement, replaced by the stabilised one before anyone listens
        scale.broadcast({DATA: encode(81.6, WHEN, impedance_ohm=480, stabilised=False)})
        scale.broadcast({DATA: encode(81.6, WHEN, impedance_ohm=480)})
        report = await check_session(MiScale2Driver(), radio, scale.address, both(81.6, 480.0))
        report.raise_for_failures()

    asyncio.run(run())


def test_registry_gives_the_mi_scale_to_the_plugin_not_to_the_standard_driver() -> None:
    registry = Registry()
    radio = VirtualRadio()
    scale = Broadcaster("C8:47:8C:00:00:02", name="MIBFS", info=DeviceInfo(), services=("181B",))
    radio.add(scale)
    scale.broadcast({DATA: encode(70.0, WHEN)})
    chosen = registry.match(scale.name, scale.advertisement())
    assert chosen is not None
    assert chosen.driver.name == "xiaomi_mi_scale_2"
    assert chosen.distribution.startswith("veille-miscale ")


@pytest.mark.parametrize("size", [0, 1, 12, 14])
def test_wrong_sizes_are_decode_errors(size: int) -> None:
    from devices.driver import DecodeError

    with pytest.raises(DecodeError, match="13 bytes"):
        parse(bytes(size))
