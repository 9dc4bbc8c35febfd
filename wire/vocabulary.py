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
