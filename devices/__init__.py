"""Devices: bytes from Bluetooth health devices into `Reading`s, and the driver SDK.

Drivers decode and converse; they open no socket and know neither MQTT nor
storage (tests/test_architecture.py). The SDK below is what a driver, a
vendor's or ours, may import from this package: `SDK` names each public name
and the module that defines it, and tests/devices/test_sdk.py fails when a
plugin or one of our registered drivers imports anything else. See
docs/architecture.md, "Where to start".

- `reading`: the `Reading` model (kinds, metrics, flags from `wire.vocabulary`)
- `envelope`: a `Reading` to and from the ``veille.reading/1`` envelope, the one place
- `uuids`: every Bluetooth UUID, named once
- `driver`: the driver interface: matchers, sessions, notes, consent
- `registry`: drivers found through the ``veille.devices`` entry points, loaded lazily
- `codecs/`: pure codecs of the Bluetooth SIG characteristics, bytes <-> `Reading`
- `cursor`, `ieee11073`: bounded reads of a payload; SFLOAT and FLOAT
- `decode`: the table of characteristics and ``veille decode``'s `decode`
- `quirks`: per-model rewrites around the strict decoders
- `drivers/`: our drivers (scales, cuff, glucose meter, oximeter, thermometer) and their bases
- `conformance`: the kit a driver must pass before it ships
- `sim/`: the BLE simulator (virtual devices and radio behind bleak's backends)
- `cli`: ``veille decode`` and ``veille devices list``
"""

from __future__ import annotations

import importlib
from typing import Any

_CODECS = (
    "blood_pressure",
    "body_composition",
    "clock",
    "glucose",
    "glucose_context",
    "intermediate_cuff_pressure",
    "intermediate_temperature",
    "plx_continuous",
    "plx_features",
    "plx_spot_check",
    "racp",
    "temperature",
    "user_control_point",
    "weight",
)

#: The driver SDK: public name -> the module a driver imports it from.
SDK: dict[str, str] = {
    **dict.fromkeys(
        (
            "AdvertisementDriver",
            "BaseDriver",
            "Consent",
            "DecodeError",
            "DeviceInfo",
            "DeviceState",
            "Driver",
            "DriverError",
            "Emit",
            "Matcher",
            "Note",
            "NoteKind",
            "ScaleUser",
            "SessionResult",
            "normalize_uuid",
        ),
        "devices.driver",
    ),
    **dict.fromkeys(("FLAGS", "METRICS", "InvalidReading", "Kind", "Reading"), "devices.reading"),
    **dict.fromkeys(
        (
            "Broadcaster",
            "ConformanceError",
            "Faults",
            "Report",
            "Vector",
            "VirtualPeripheral",
            "VirtualRadio",
            "advertisement",
            "check_malformed",
            "check_round_trips",
            "check_session",
            "check_vectors",
            "decode_with",
        ),
        "devices.conformance",
    ),
    "uuids": "devices",
    **dict.fromkeys(_CODECS, "devices.codecs"),
    "merge_packets": "devices.codecs.body_composition",
    "join_context": "devices.codecs.glucose_context",
    "DEVICE_FLAGS": "devices.codecs.plx_status",
    "MEASUREMENT_FLAGS": "devices.codecs.plx_status",
    **dict.fromkeys(
        ("CLOCK_TOLERANCE_S", "Context", "GattDriver", "offers", "uuid128"), "devices.drivers.gatt"
    ),
    **dict.fromkeys(("DONE", "Meanwhile", "RacpDriver"), "devices.drivers.racp_link"),
    "give_consent": "devices.drivers.uds",
    "StreamSummary": "devices.drivers.oximeter_stream",
}

__all__ = [  # noqa: RUF022 - the SDK's names, grouped as `SDK` lists them
    "AdvertisementDriver", "BaseDriver", "Consent", "DecodeError", "DeviceInfo",
    "DeviceState", "Driver", "DriverError", "Emit", "Matcher", "Note", "NoteKind",
    "ScaleUser", "SessionResult", "normalize_uuid",
    "FLAGS", "METRICS", "InvalidReading", "Kind", "Reading",
    "Broadcaster", "ConformanceError", "Faults", "Report", "Vector", "VirtualPeripheral",
    "VirtualRadio", "advertisement", "check_malformed", "check_round_trips", "check_session",
    "check_vectors", "decode_with",
    "uuids",
    "blood_pressure", "body_composition", "clock", "glucose", "glucose_context",
    "intermediate_cuff_pressure", "intermediate_temperature", "plx_continuous", "plx_features",
    "plx_spot_check", "racp", "temperature", "user_control_point", "weight",
    "merge_packets", "join_context", "DEVICE_FLAGS", "MEASUREMENT_FLAGS",
    "CLOCK_TOLERANCE_S", "Context", "GattDriver", "offers", "uuid128",
    "DONE", "Meanwhile", "RacpDriver", "give_consent", "StreamSummary",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    """``from devices import Matcher`` works too, loading the defining module only then."""
    module = SDK.get(name)
    if module is None:
        raise AttributeError(f"module 'devices' has no attribute {name!r} (not in the SDK)")
    if module == "devices" or name in _CODECS:
        return importlib.import_module(f"{module}.{name}")
    return getattr(importlib.import_module(module), name)
