"""Readings as FHIR R4 ``Observation`` resources (vital-signs profiles, LOINC, UCUM).

Pure functions of `wire.reading.WireReading`. Choices:

- One reading may give several observations: a blood-pressure reading is a
  BP panel (85354-9 with systolic 8480-6 and diastolic 8462-4) and, when the
  cuff measured it, a heart rate (8867-4). Each has a resource id and an
  identifier derived from the reading id (``<reading id>-bp``), so exporting
  the same reading twice gives the same resource: a receiver that upserts on
  the identifier never duplicates.
- A value the device could not measure (a null metric) or flagged as a fault
  is ``dataAbsentReason`` (``error``; ``positive-infinity`` or
  ``negative-infinity`` for a meter's "too high / too low"), never a number.
- Glucose is capillary glucose by meter, 14743-9 in mmol/L (canonical unit),
  category laboratory: it is not a vital sign.
- Oxygen saturation (spot check or a continuous session's readings) is
  59408-5 "by pulse oximetry", with 2708-6 beside it as the R4 vital-signs
  ``oxygensat`` profile requires, in ``%``; the oximeter's pulse is a heart
  rate (8867-4) like the cuff's. Body temperature is 8310-5 in ``Cel``, the
  measurement site as ``bodySite`` text. A running temperature (intermediate)
  and an oximeter's demonstration or test data are not exported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from devices.reading import Kind
from wire.reading import WireReading

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
READING_SYSTEM = "urn:veille:reading"
PATIENT_SYSTEM = "urn:veille:patient"
ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
PROFILE = "http://hl7.org/fhir/StructureDefinition/"

WEIGHT = "29463-7"
BP_PANEL = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
HEART_RATE = "8867-4"
GLUCOSE_MMOL = "14743-9"
GLUCOSE_MG = "41653-7"
SPO2_OXIMETRY = "59408-5"
SPO2_ARTERIAL = "2708-6"
BODY_TEMPERATURE = "8310-5"

OXIMETRY = (Kind.SPO2, Kind.SPO2_CONTINUOUS)

#: Which kinds of reading each searchable LOINC code comes from.
KINDS_OF_CODE: Mapping[str, tuple[Kind, ...]] = {
    WEIGHT: (Kind.WEIGHT,),
    BP_PANEL: (Kind.BLOOD_PRESSURE,),
    SYSTOLIC: (Kind.BLOOD_PRESSURE,),
    DIASTOLIC: (Kind.BLOOD_PRESSURE,),
    HEART_RATE: (Kind.BLOOD_PRESSURE, *OXIMETRY),
    GLUCOSE_MMOL: (Kind.GLUCOSE,),
    GLUCOSE_MG: (Kind.GLUCOSE,),
    SPO2_OXIMETRY: OXIMETRY,
    SPO2_ARTERIAL: OXIMETRY,
    BODY_TEMPERATURE: (Kind.TEMPERATURE,),
}

#: Readings that measured nobody: not observations of the patient.
_NOT_OF_PATIENT = frozenset({"data_for_demonstration", "data_for_testing", "control_solution"})

_FAULTS = frozenset(
    {
        "measurement_unsuccessful",
        "sensor_malfunction",
        "general_device_fault",
        "sample_size_insufficient",
        "strip_insertion_error",
        "strip_type_incorrect",
        "read_interrupted",
        "temperature_too_high",
        "temperature_too_low",
        "control_solution",
        # pulse oximeter: the device says the value is not to be trusted
        "invalid_measurement_detected",
        "questionable_measurement_detected",
        "measurement_unavailable",
        "calibration_ongoing",
        "equipment_malfunction_detected",
        "inadequate_signal_detected",
        "poor_signal_detected",
        "low_perfusion_detected",
        "erratic_signal_detected",
        "nonpulsatile_signal_detected",
        "signal_processing_irregularity_detected",
        "sensor_interference_detected",
        "sensor_unconnected_to_user",
        "unknown_sensor_connected",
        "sensor_displaced",
        "sensor_malfunctioning",
        "sensor_disconnected",
    }
)

_NAMES = {
    WEIGHT: "Body weight",
    BP_PANEL: "Blood pressure panel with all children optional",
    SYSTOLIC: "Systolic blood pressure",
    DIASTOLIC: "Diastolic blood pressure",
    HEART_RATE: "Heart rate",
    GLUCOSE_MMOL: "Glucose [Moles/volume] in Capillary blood by Glucometer",
    SPO2_OXIMETRY: "Oxygen saturation in Arterial blood by Pulse oximetry",
    SPO2_ARTERIAL: "Oxygen saturation in Arterial blood",
    BODY_TEMPERATURE: "Body temperature",
}


def _concept(code: str, *also: str) -> dict[str, Any]:
    return {
        "coding": [{"system": LOINC, "code": c, "display": _NAMES[c]} for c in (code, *also)],
        "text": _NAMES[code],
    }


def _absent(reading: WireReading, value: float | None) -> str | None:
    """Why there is no value (a data-absent-reason code), or None when the value stands."""
    flags = set(reading.flags)
    if "result_too_high" in flags:
        return "positive-infinity"
    if "result_too_low" in flags:
        return "negative-infinity"
    if value is None or flags & _FAULTS:
        return "error"
    return None


def _value(reading: WireReading, metric: str, unit: str, code: str) -> dict[str, Any]:
    """``valueQuantity`` or ``dataAbsentReason`` for one metric."""
    value = reading.metrics.get(metric)
    why = _absent(reading, value)
    if why is not None or value is None:
        return {
            "dataAbsentReason": {
                "coding": [{"system": ABSENT_SYSTEM, "code": why or "error"}],
            }
        }
    return {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": code}}


def _base(
    reading: WireReading, suffix: str, code: str, profile: str | None, *also: str
) -> dict[str, Any]:
    vital = profile is not None
    category = "vital-signs" if vital else "laboratory"
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{reading.id}-{suffix}",
        "identifier": [{"system": READING_SYSTEM, "value": f"{reading.id}-{suffix}"}],
        "status": "final",
        "category": [
            {
                "coding": [{"system": CATEGORY_SYSTEM, "code": category}],
                "text": category,
            }
        ],
        "code": _concept(code, *also),
        "subject": {
            "reference": f"Patient/{reading.patient}",
            "identifier": {"system": PATIENT_SYSTEM, "value": reading.patient},
        },
        "effectiveDateTime": reading.time.isoformat(),
        "issued": reading.received.isoformat(),
        "device": {"display": reading.device.model or reading.device.driver},
    }
    if vital:
        resource["meta"] = {"profile": [f"{PROFILE}vitalsigns", f"{PROFILE}{profile}"]}
    return resource


def observations(reading: WireReading) -> list[dict[str, Any]]:
    """The observations of one reading (none for kinds FHIR export does not cover)."""
    if reading.kind in (Kind.WEIGHT, Kind.BODY_COMPOSITION) and "weight_kg" in reading.metrics:
        obs = _base(reading, "weight", WEIGHT, "bodyweight")
        return [obs | _value(reading, "weight_kg", "kg", "kg")]
    if reading.kind is Kind.BLOOD_PRESSURE:
        panel = _base(reading, "bp", BP_PANEL, "bp")
        panel["component"] = [
            {"code": _concept(SYSTOLIC)} | _value(reading, "systolic_mmhg", "mmHg", "mm[Hg]"),
            {"code": _concept(DIASTOLIC)} | _value(reading, "diastolic_mmhg", "mmHg", "mm[Hg]"),
        ]
        result = [panel]
        if "pulse_bpm" in reading.metrics:
            rate = _base(reading, "hr", HEART_RATE, "heartrate")
            result.append(rate | _value(reading, "pulse_bpm", "beats/minute", "/min"))
        return result
    if reading.kind is Kind.GLUCOSE:
        obs = _base(reading, "glucose", GLUCOSE_MMOL, None)
        return [obs | _value(reading, "glucose_mmol_l", "mmol/L", "mmol/L")]
    if _NOT_OF_PATIENT & set(reading.flags):
        return []
    if reading.kind in OXIMETRY:
        sat = _base(reading, "spo2", SPO2_OXIMETRY, "oxygensat", SPO2_ARTERIAL)
        result = [sat | _value(reading, "spo2_pct", "%", "%")]
        if "pulse_bpm" in reading.metrics:
            rate = _base(reading, "hr", HEART_RATE, "heartrate")
            result.append(rate | _value(reading, "pulse_bpm", "beats/minute", "/min"))
        return result
    if reading.kind is Kind.TEMPERATURE:
        obs = _base(reading, "temp", BODY_TEMPERATURE, "bodytemp")
        site = reading.attributes.get("site")
        if isinstance(site, str) and site:
            obs["bodySite"] = {"text": site.replace("_", " ")}
        return [obs | _value(reading, "temperature_c", "°C", "Cel")]
    return []


def codes_of(observation: Mapping[str, Any]) -> set[str]:
    """Every LOINC code an observation answers to (its own and its components')."""
    found = {c["code"] for c in observation["code"]["coding"]}
    for component in observation.get("component", []):
        found |= {c["code"] for c in component["code"]["coding"]}
    return found


def bundle(
    resources: Iterable[Mapping[str, Any]], *, kind: str, now: datetime, base: str = ""
) -> dict[str, Any]:
    """A ``searchset`` or ``collection`` Bundle of observations."""
    entries = [
        {"fullUrl": f"{base}Observation/{r['id']}", "resource": dict(r)}
        | ({"search": {"mode": "match"}} if kind == "searchset" else {})
        for r in resources
    ]
    result: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": kind,
        "timestamp": now.isoformat(),
        "entry": entries,
    }
    if kind == "searchset":
        result["total"] = len(entries)
    return result
