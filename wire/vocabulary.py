"""The words a reading is said in on the wire: its kinds, metric names and flags.

Closed sets, because every reader must understand every word a writer may send:
a new kind, metric or flag is added here first (then to the decode contract and
the drivers, see docs/architecture.md, "Where to start"). A metric carries its
unit in its suffix, so a value is never read in the wrong unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Kind(StrEnum):
    """What a reading measures; also the MQTT topic leaf and the InfluxDB measurement."""

    WEIGHT = "weight"
    BODY_COMPOSITION = "body_composition"
    BLOOD_PRESSURE = "blood_pressure"
    INTERMEDIATE_CUFF_PRESSURE = "intermediate_cuff_pressure"
    GLUCOSE = "glucose"
    GLUCOSE_CONTEXT = "glucose_context"


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
        # what drivers and the gateway conclude
        "control_solution",
        "stored_error_record",
        "device_clock_unreliable",
    }
)
