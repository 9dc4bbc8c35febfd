"""The two status fields of the Pulse Oximeter Service, named once from the specification.

Measurement Status (16 bits, bits 0-4 reserved) says what kind of data a
measurement is (early estimate, validated, from storage, for testing) and
whether it is questionable; Device and Sensor Status (24 bits, bits 16-23
reserved) says what the probe saw (poor signal, low perfusion, sensor
displaced). Both appear in PLX Spot-check (0x2A5E) and Continuous (0x2A5F)
Measurements, and PLX Features (0x2A60) says which bits a device supports.
Each bit becomes the flag of its Bluetooth name in snake_case; reserved
bits are ignored, as the specification tells a receiver to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntFlag


class MeasurementStatus(IntFlag):
    """PLX Measurement Status (bits 0-4 reserved for future use)."""

    MEASUREMENT_ONGOING = 1 << 5
    EARLY_ESTIMATED_DATA = 1 << 6
    VALIDATED_DATA = 1 << 7
    FULLY_QUALIFIED_DATA = 1 << 8
    DATA_FROM_MEASUREMENT_STORAGE = 1 << 9
    DATA_FOR_DEMONSTRATION = 1 << 10
    DATA_FOR_TESTING = 1 << 11
    CALIBRATION_ONGOING = 1 << 12
    MEASUREMENT_UNAVAILABLE = 1 << 13
    QUESTIONABLE_MEASUREMENT_DETECTED = 1 << 14
    INVALID_MEASUREMENT_DETECTED = 1 << 15


class DeviceAndSensorStatus(IntFlag):
    """PLX Device and Sensor Status (bits 16-23 reserved for future use)."""

    EXTENDED_DISPLAY_UPDATE_ONGOING = 1 << 0
    EQUIPMENT_MALFUNCTION_DETECTED = 1 << 1
    SIGNAL_PROCESSING_IRREGULARITY_DETECTED = 1 << 2
    INADEQUATE_SIGNAL_DETECTED = 1 << 3
    POOR_SIGNAL_DETECTED = 1 << 4
    LOW_PERFUSION_DETECTED = 1 << 5
    ERRATIC_SIGNAL_DETECTED = 1 << 6
    NONPULSATILE_SIGNAL_DETECTED = 1 << 7
    QUESTIONABLE_PULSE_DETECTED = 1 << 8
    SIGNAL_ANALYSIS_ONGOING = 1 << 9
    SENSOR_INTERFERENCE_DETECTED = 1 << 10
    SENSOR_UNCONNECTED_TO_USER = 1 << 11
    UNKNOWN_SENSOR_CONNECTED = 1 << 12
    SENSOR_DISPLACED = 1 << 13
    SENSOR_MALFUNCTIONING = 1 << 14
    SENSOR_DISCONNECTED = 1 << 15


def _names(bits: type[IntFlag]) -> Mapping[IntFlag, str]:
    return {bit: str(bit.name).lower() for bit in bits}


MEASUREMENT_FLAGS: Mapping[IntFlag, str] = _names(MeasurementStatus)
DEVICE_FLAGS: Mapping[IntFlag, str] = _names(DeviceAndSensorStatus)


def flags_of(table: Mapping[IntFlag, str], raw: int) -> tuple[str, ...]:
    """The flag names of the bits set in ``raw`` (reserved bits give none)."""
    return tuple(name for bit, name in table.items() if raw & bit)


def value_of(table: Mapping[IntFlag, str], flags: Iterable[str]) -> int:
    """The field value carrying ``flags`` (flags of other fields are ignored)."""
    wanted = set(flags)
    raw = 0
    for bit, name in table.items():
        if name in wanted:
            raw |= bit
    return raw
