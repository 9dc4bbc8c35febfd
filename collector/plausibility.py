"""Is this reading physically possible? Checked at ingest, before the store and the rules.

Decoding reports what the device sent; a gateway (or whoever holds its
credentials) can send anything the envelope's schema allows: ``Infinity``,
1e308, a weight of -5 kg, a reading dated 9999. Such a value would reach the
care team's charts, the FHIR export and the rules (an infinite weight gain
is an alert; a NaN target silenced one). The bounds below are wide on
purpose: they refuse what no human body or home device can produce, never a
value that is merely alarming (that is the rules' judgement).

Times: a measurement may not be later than now plus the allowed clock skew
(a gateway's clock is NTP-synchronised; a device's is corrected by the
gateway), nor earlier than the device's pairing minus the longest a device
keeps records in its memory (a glucose meter stores months of readings the
gateway fetches with RACP on first contact).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from wire.errors import PayloadError
from wire.reading import WireReading

#: metric -> (lowest, highest) physically possible value, in the metric's canonical unit.
#: Every metric of `devices.reading.METRICS` has a row (a test checks it); names of
#: kinds still being added (SpO2, temperature) are here already.
BOUNDS: Mapping[str, tuple[float, float]] = {
    # weight scale. Heaviest recorded human about 635 kg, but home scales weigh up to
    # 180-300 kg: 500 kg refuses nothing a scale can show. 0.5 kg: a newborn on a baby scale.
    "weight_kg": (0.5, 500.0),
    "bmi": (5.0, 250.0),  # 500 kg at 1.4 m is 255: a scale computing BMI stays inside
    "height_m": (0.3, 2.8),  # tallest recorded human 2.72 m (Wadlow)
    # body composition (bioimpedance scales): shares of the body, masses within the weight
    "body_fat_pct": (0.0, 100.0),
    "muscle_pct": (0.0, 100.0),
    "basal_metabolism_kj": (0.0, 40_000.0),  # about 9,500 kcal; measured BMRs stay far below
    "muscle_mass_kg": (0.0, 500.0),
    "fat_free_mass_kg": (0.0, 500.0),
    "soft_lean_mass_kg": (0.0, 500.0),
    "body_water_mass_kg": (0.0, 500.0),
    "impedance_ohm": (0.0, 10_000.0),  # body impedance 300-1,000 ohm at 50 kHz
    # blood pressure. Home cuffs inflate to 280-300 mmHg (IEC 80601-2-30 cuff range 0-300);
    # 320/20 is the bound; diastolic and mean below the systolic ceiling.
    "systolic_mmhg": (20.0, 320.0),
    "diastolic_mmhg": (10.0, 300.0),
    "mean_arterial_mmhg": (10.0, 310.0),
    "cuff_pressure_mmhg": (0.0, 350.0),
    # heart rate: 10/min (deep bradycardia) to 350/min (infant supraventricular tachycardia,
    # the fastest rhythms recorded with a pulse)
    "pulse_bpm": (10.0, 350.0),
    "pulse_fast_bpm": (10.0, 350.0),
    "pulse_slow_bpm": (10.0, 350.0),
    # glucose: highest recorded blood glucose 147.6 mmol/L (2,656 mg/dL, Guinness 2008);
    # meters read 0.6-33.3 mmol/L and report "HI"/"LO" as flags outside it
    "glucose_mmol_l": (0.0, 150.0),
    "carbohydrate_g": (0.0, 2_000.0),
    "exercise_duration_s": (0.0, 65_535.0),  # a uint16 in the Glucose Measurement Context
    "exercise_intensity_pct": (0.0, 100.0),
    "medication_mg": (0.0, 100_000.0),
    "medication_ml": (0.0, 10_000.0),
    "hba1c_pct": (2.0, 30.0),  # the assays' reportable ranges end near 20 %
    # pulse oximetry: a share of saturated haemoglobin
    "spo2_pct": (0.0, 100.0),
    "spo2_fast_pct": (0.0, 100.0),
    "spo2_slow_pct": (0.0, 100.0),
    "pulse_amplitude_index_pct": (0.0, 100.0),
    # body temperature: lowest survived 13.7 C (Bagenholm, 1999), highest 46.5 C (Jones, 1980)
    "temperature_c": (10.0, 47.0),
}


class PlausibilitySettings(BaseModel):
    """``[collector.plausibility]``."""

    model_config = ConfigDict(extra="forbid")

    #: how far in the future a measurement time may be (clocks differ a little)
    clock_skew_s: float = Field(default=600.0, ge=0, le=86_400)
    #: how long before its pairing a device may have measured (records kept in its memory)
    storage_horizon_days: float = Field(default=400.0, ge=0, le=3_650)


def check_values(reading: WireReading) -> None:
    """Every metric finite and within `BOUNDS`; raises `PayloadError` saying which is not."""
    for name, value in reading.metrics.items():
        if value is None:
            continue
        if not math.isfinite(value):
            raise PayloadError(f"implausible: metric {name} is {value}, not a finite number")
        bounds = BOUNDS.get(name)
        if bounds is None:
            raise PayloadError(f"implausible: metric {name} has no plausible range")
        low, high = bounds
        if not low <= value <= high:
            raise PayloadError(
                f"implausible: metric {name} = {value:g} is outside {low:g}..{high:g}"
            )
    for name, attribute in reading.attributes.items():
        if isinstance(attribute, float) and not math.isfinite(attribute):
            raise PayloadError(f"implausible: attribute {name} is {attribute}")


def check_time(
    reading: WireReading, *, now: datetime, paired_at: datetime, settings: PlausibilitySettings
) -> None:
    """The measurement time lies between pairing minus storage horizon and now plus skew."""
    check_window(
        reading,
        latest=now + timedelta(seconds=settings.clock_skew_s),
        earliest=paired_at - timedelta(days=settings.storage_horizon_days),
        settings=settings,
    )


def check_window(
    reading: WireReading, *, latest: datetime, earliest: datetime, settings: PlausibilitySettings
) -> None:
    """`check_time` with its bounds computed by the caller (once per batch and pairing:
    comparing aware datetimes is most of the cost of this check)."""
    if reading.time > latest or reading.received > latest:
        which = "time" if reading.time > latest else "received"
        raise PayloadError(
            f"implausible: {which} {getattr(reading, which).isoformat()} is in the future"
            f" (more than {settings.clock_skew_s:g} s after the collector's clock)"
        )
    if reading.time < earliest:
        paired = earliest + timedelta(days=settings.storage_horizon_days)
        raise PayloadError(
            f"implausible: time {reading.time.isoformat()} is before the pairing"
            f" ({paired.date().isoformat()}) minus {settings.storage_horizon_days:g} days"
        )
