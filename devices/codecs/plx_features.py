"""PLX Features (0x2A60): what a pulse oximeter supports, read once per connection.

Layout: supported features (u16), [Measurement Status support (u16)] when
bit 0, [Device and Sensor Status support (u24)] when bit 1. The support
fields use the bit positions of the status fields themselves, so they
decode into the same flag names: the driver can tell "the device never
reports low perfusion" from "the probe saw no low perfusion".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

from devices import uuids
from devices.codecs.plx_status import DEVICE_FLAGS, MEASUREMENT_FLAGS, flags_of, value_of
from devices.cursor import Cursor, Writer

UUID = uuids.PLX_FEATURES


class SupportedFeatures(IntFlag):
    """PLX Features' Supported Features field (bits 8-15 reserved)."""

    MEASUREMENT_STATUS = 1 << 0
    DEVICE_AND_SENSOR_STATUS = 1 << 1
    MEASUREMENT_STORAGE = 1 << 2  # spot-check records kept, downloaded through RACP
    SPOT_CHECK_TIMESTAMP = 1 << 3
    SPO2PR_FAST = 1 << 4
    SPO2PR_SLOW = 1 << 5
    PULSE_AMPLITUDE_INDEX = 1 << 6
    MULTIPLE_BONDS = 1 << 7


@dataclass(frozen=True, slots=True)
class Features:
    """What the oximeter said it supports; ``status_flags`` are the status bits it reports."""

    supported: SupportedFeatures
    status_flags: frozenset[str] = frozenset()

    @property
    def stores_records(self) -> bool:
        return SupportedFeatures.MEASUREMENT_STORAGE in self.supported

    def reports(self, flag: str) -> bool:
        return flag in self.status_flags


def decode(payload: bytes) -> Features:
    cursor = Cursor(payload, "PLX Features")
    supported = SupportedFeatures(cursor.u16("supported features"))
    names: list[str] = []
    if SupportedFeatures.MEASUREMENT_STATUS in supported:
        names += flags_of(MEASUREMENT_FLAGS, cursor.u16("measurement status support"))
    if SupportedFeatures.DEVICE_AND_SENSOR_STATUS in supported:
        names += flags_of(DEVICE_FLAGS, cursor.u24("device and sensor status support"))
    cursor.finish()
    return Features(supported, frozenset(names))


def encode(features: Features) -> bytes:
    out = Writer()
    out.u16(int(features.supported), "supported features")
    if SupportedFeatures.MEASUREMENT_STATUS in features.supported:
        out.u16(value_of(MEASUREMENT_FLAGS, features.status_flags), "measurement status support")
    if SupportedFeatures.DEVICE_AND_SENSOR_STATUS in features.supported:
        out.u24(value_of(DEVICE_FLAGS, features.status_flags), "device and sensor status support")
    return out.getvalue()
