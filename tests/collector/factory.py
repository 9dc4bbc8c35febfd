"""Wire readings for collector tests, built the way a gateway builds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devices.envelope import envelope
from devices.reading import Kind, Reading
from wire.reading import DeviceRef, WireReading

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe moves its clocks

METRICS_OF: dict[Kind, dict[str, float | None]] = {
    Kind.WEIGHT: {"weight_kg": 71.35, "bmi": 23.1},
    Kind.BLOOD_PRESSURE: {
        "systolic_mmhg": 128.0,
        "diastolic_mmhg": 81.0,
        "mean_arterial_mmhg": None,
        "pulse_bpm": 64.0,
    },
    Kind.GLUCOSE: {"glucose_mmol_l": 5.6},
}


def wire(
    n: int,
    *,
    patient: str = "p-0001",
    gateway: str = "gw-01",
    kind: Kind = Kind.BLOOD_PRESSURE,
    minutes: float | None = None,
    flags: tuple[str, ...] = (),
    metrics: dict[str, float | None] | None = None,
    address: str = "C0:FF:EE:00:00:01",
) -> WireReading:
    """Reading number ``n`` of a device: its sequence is ``n``, so its id is stable."""
    measured = T0 + timedelta(minutes=n if minutes is None else minutes)
    reading = Reading(
        kind=kind,
        metrics=dict(METRICS_OF[kind] if metrics is None else metrics),
        time=measured.replace(tzinfo=None),
        sequence=n,
        flags=flags,
        attributes={"meal": "fasting"} if kind is Kind.GLUCOSE else {},
        user_index=1,
    )
    device = DeviceRef(address=address, driver="omron_bp", model="HEM-7600T", serial="SN1")
    return envelope(
        reading,
        patient=patient,
        gateway=gateway,
        device=device,
        time=measured,
        received=measured + timedelta(seconds=3, microseconds=250),
    )
