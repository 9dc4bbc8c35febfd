"""The one data model: a `Reading` is what a device measured, in canonical units.

Every driver turns bytes into readings; every other package consumes them.
The metric names are a closed set and carry their unit in their suffix, so a
value can never be read in the wrong unit. A metric the device marked as not
a number (SFLOAT NaN, NRes, ±INF, reserved) is ``None``, never a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from veille.errors import VeilleError


class Kind(StrEnum):
    """What a reading measures; also the MQTT topic leaf and the InfluxDB measurement."""

    WEIGHT = "weight"
    BODY_COMPOSITION = "body_composition"
    BLOOD_PRESSURE = "blood_pressure"
    INTERMEDIATE_CUFF_PRESSURE = "intermediate_cuff_pressure"
    GLUCOSE = "glucose"
    GLUCOSE_CONTEXT = "glucose_context"
    SPO2 = "spo2"
    SPO2_CONTINUOUS = "spo2_continuous"
    TEMPERATURE = "temperature"
    INTERMEDIATE_TEMPERATURE = "intermediate_temperature"


#: Every metric name Veille knows, with its unit (UCUM where one exists).
METRICS: Mapping[str, str] = {
    # weight scale
    "weight_kg": "kg",
    "bmi": "kg/m2",
    "height_m": "m",
    # body composition
    "body_fat_pct": "%",
    "basal_metabolism_kj": "kJ",
    "muscle_pct": "%",
    "muscle_mass_kg": "kg",
    "fat_free_mass_kg": "kg",
    "soft_lean_mass_kg": "kg",
    "body_water_mass_kg": "kg",
    "impedance_ohm": "Ohm",
    # blood pressure
    "systolic_mmhg": "mm[Hg]",
    "diastolic_mmhg": "mm[Hg]",
    "mean_arterial_mmhg": "mm[Hg]",
    "pulse_bpm": "/min",
    "cuff_pressure_mmhg": "mm[Hg]",
    # glucose and its context
    "glucose_mmol_l": "mmol/L",
    "carbohydrate_g": "g",
    "exercise_duration_s": "s",
    "exercise_intensity_pct": "%",
    "medication_mg": "mg",
    "medication_ml": "mL",
    "hba1c_pct": "%",
    # pulse oximetry (pulse_bpm above is shared with the cuff)
    "spo2_pct": "%",
    "pulse_amplitude_index_pct": "%",
    "spo2_fast_pct": "%",
    "pulse_fast_bpm": "/min",
    "spo2_slow_pct": "%",
    "pulse_slow_bpm": "/min",
    # thermometry (Fahrenheit is converted by the codec)
    "temperature_c": "Cel",
}

#: Every flag a reading may carry: device status bits and what the gateway observed.
FLAGS: frozenset[str] = frozenset(
    {
        # blood pressure measurement status
        "body_movement",
        "cuff_loose",
        "irregular_pulse",
        "pulse_rate_high",
        "pulse_rate_low",
        "improper_position",
        # glucose sensor status annunciation
        "device_battery_low",
        "sensor_malfunction",
        "sample_size_insufficient",
        "strip_insertion_error",
        "strip_type_incorrect",
        "result_too_high",
        "result_too_low",
        "temperature_too_high",
        "temperature_too_low",
        "read_interrupted",
        "general_device_fault",
        "time_fault",
        # weight scale
        "measurement_unsuccessful",
        # pulse oximeter: PLX Measurement Status (devices/codecs/plx_status.py)
        "measurement_ongoing",
        "early_estimated_data",
        "validated_data",
        "fully_qualified_data",
        "data_from_measurement_storage",
        "data_for_demonstration",
        "data_for_testing",
        "calibration_ongoing",
        "measurement_unavailable",
        "questionable_measurement_detected",
        "invalid_measurement_detected",
        # pulse oximeter: PLX Device and Sensor Status
        "extended_display_update_ongoing",
        "equipment_malfunction_detected",
        "signal_processing_irregularity_detected",
        "inadequate_signal_detected",
        "poor_signal_detected",
        "low_perfusion_detected",
        "erratic_signal_detected",
        "nonpulsatile_signal_detected",
        "questionable_pulse_detected",
        "signal_analysis_ongoing",
        "sensor_interference_detected",
        "sensor_unconnected_to_user",
        "unknown_sensor_connected",
        "sensor_displaced",
        "sensor_malfunctioning",
        "sensor_disconnected",
        # pulse oximeter spot-check: the device says its clock was never set
        "device_clock_not_set",
        # what drivers and the gateway conclude
        "control_solution",
        "stored_error_record",
        "device_clock_unreliable",
    }
)


#: Attributes that steer the GATT conversation (a context record follows, more packets
#: follow) rather than describe the measurement: drivers read them, the decode
#: contract does not print them.
CONVERSATION_ATTRIBUTES: frozenset[str] = frozenset({"context_follows", "multiple_packet"})


class InvalidReading(VeilleError):
    """A reading built with an unknown metric or flag: a programming error in a driver."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One measurement as the device reported it, converted to canonical units.

    ``time`` is the device's own clock (naive: BLE Date Time carries no zone),
    or ``None`` when the device sent none. ``user_index`` is the device's user
    slot (multi-user scales and cuffs). ``sequence`` is the device's record
    number where it keeps one (glucose meters; the driver counts on past the
    meter's 16-bit wrap, so ``sequence % 65536`` is the meter's own number).
    """

    kind: Kind
    metrics: Mapping[str, float | None]
    time: datetime | None = None
    user_index: int | None = None
    sequence: int | None = None
    flags: tuple[str, ...] = ()
    attributes: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.metrics) - METRICS.keys()
        if unknown:
            raise InvalidReading(f"unknown metric(s) {sorted(unknown)}; add them to METRICS")
        for name, value in self.metrics.items():
            if value is not None and not math.isfinite(value):
                raise InvalidReading(f"metric {name} is {value}; a non-number must be None")
        bad_flags = set(self.flags) - FLAGS
        if bad_flags:
            raise InvalidReading(f"unknown flag(s) {sorted(bad_flags)}; add them to FLAGS")
        if list(self.flags) != sorted(set(self.flags)):
            object.__setattr__(self, "flags", tuple(sorted(set(self.flags))))
        object.__setattr__(self, "kind", Kind(self.kind))

    def as_decoded(self) -> dict[str, Any]:
        """The JSON object of the decode contract (`veille decode`)."""
        return {
            "kind": self.kind.value,
            "metrics": dict(self.metrics),
            # isoformat pads the year to four digits (strftime's %Y does not on Linux).
            "time": self.time.isoformat(timespec="seconds")[:19] if self.time else None,
            "user_index": self.user_index,
            "sequence": self.sequence,
            "flags": list(self.flags),
            "attributes": {
                name: value
                for name, value in self.attributes.items()
                if name not in CONVERSATION_ATTRIBUTES
            },
        }
