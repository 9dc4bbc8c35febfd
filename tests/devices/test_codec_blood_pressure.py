"""Blood Pressure Measurement (0x2A35) and Intermediate Cuff Pressure (0x2A36).

One literal vector per flag bit and per status bit: the bits are where BLE
parsers go wrong (a bit off, the pulse range read as two flags), so each is pinned
to the specification's table here, not derived from our own enum.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import blood_pressure, intermediate_cuff_pressure
from devices.reading import Kind, Reading

BASE = "780050005d00"  # 120 / 80 / 93 mmHg, SFLOAT exponent 0
T = datetime(2026, 3, 14, 8, 30, 5)
T_HEX = "ea07030e081e05"
MMHG = {"systolic_mmhg": 120.0, "diastolic_mmhg": 80.0, "mean_arterial_mmhg": 93.0}


@pytest.mark.parametrize(
    ("hex_payload", "metrics", "time", "user"),
    [
        pytest.param("00" + BASE, MMHG, None, None, id="none"),
        pytest.param(
            "01a0f06bf078f0",  # 16.0 / 10.7 / 12.0 kPa
            {
                "systolic_mmhg": 16.0 * 7.50061683,
                "diastolic_mmhg": 10.7 * 7.50061683,
                "mean_arterial_mmhg": 12.0 * 7.50061683,
            },
            None,
            None,
            id="bit0_kpa",
        ),
        pytest.param("02" + BASE + T_HEX, MMHG, T, None, id="bit1_time_stamp"),
        pytest.param("04" + BASE + "4800", {**MMHG, "pulse_bpm": 72.0}, None, None, id="bit2"),
        pytest.param("08" + BASE + "03", MMHG, None, 3, id="bit3_user_id"),
        pytest.param("10" + BASE + "0000", MMHG, None, None, id="bit4_status_clear"),
        pytest.param(
            "1e" + BASE + T_HEX + "4800" + "02" + "0000",
            {**MMHG, "pulse_bpm": 72.0},
            T,
            2,
            id="all_fields_in_order",
        ),
    ],
)
def test_each_flag_bit(
    hex_payload: str, metrics: dict[str, float], time: datetime | None, user: int | None
) -> None:
    reading = blood_pressure.decode(bytes.fromhex(hex_payload))
    assert reading.kind is Kind.BLOOD_PRESSURE
    assert reading.metrics == pytest.approx(metrics)
    assert (reading.time, reading.user_index, reading.flags) == (time, user, ())


@pytest.mark.parametrize(
    ("status", "flags"),
    [
        ("0100", ("body_movement",)),
        ("0200", ("cuff_loose",)),
        ("0400", ("irregular_pulse",)),
        ("0800", ("pulse_rate_high",)),  # pulse rate range = 1: exceeds upper limit
        ("1000", ("pulse_rate_low",)),  # pulse rate range = 2: below lower limit
        ("1800", ()),  # pulse rate range = 3: reserved, no flag
        ("2000", ("improper_position",)),
        ("c0ff", ()),  # bits 6-15 reserved
        ("3f00", ("body_movement", "cuff_loose", "improper_position", "irregular_pulse")),
    ],
)
def test_each_measurement_status_bit(status: str, flags: tuple[str, ...]) -> None:
    reading = blood_pressure.decode(bytes.fromhex("10" + BASE + status))
    assert reading.flags == flags


def test_not_a_number_pressures_are_null() -> None:
    reading = blood_pressure.decode(bytes.fromhex("04" + "ff070008fe070208"))
    assert reading.metrics == {
        "systolic_mmhg": None,
        "diastolic_mmhg": None,
        "mean_arterial_mmhg": None,
        "pulse_bpm": None,
    }


def test_implausible_values_are_decoded_as_sent() -> None:
    reading = blood_pressure.decode(bytes.fromhex("00" + "870350005d00"))
    assert reading.metrics["systolic_mmhg"] == 903.0


def test_user_ff_is_unknown() -> None:
    assert blood_pressure.decode(bytes.fromhex("08" + BASE + "ff")).user_index is None


@pytest.mark.parametrize(
    ("hex_payload", "metrics", "flags"),
    [
        ("008c00ff07ff07", {"cuff_pressure_mmhg": 140.0}, ()),
        ("048c00ff07ff074800", {"cuff_pressure_mmhg": 140.0, "pulse_bpm": 72.0}, ()),
        ("012ef1ff07ff07", {"cuff_pressure_mmhg": 30.2 * 7.50061683}, ()),
        ("108c00ff07ff070100", {"cuff_pressure_mmhg": 140.0}, ("body_movement",)),
    ],
)
def test_intermediate_cuff_pressure(
    hex_payload: str, metrics: dict[str, float], flags: tuple[str, ...]
) -> None:
    reading = intermediate_cuff_pressure.decode(bytes.fromhex(hex_payload))
    assert reading.kind is Kind.INTERMEDIATE_CUFF_PRESSURE
    assert reading.metrics == pytest.approx(metrics)
    assert reading.flags == flags


STATUS = ["body_movement", "cuff_loose", "irregular_pulse", "improper_position"]
times = st.none() | st.datetimes(datetime(1582, 1, 1), datetime(9999, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)
mmhg = st.none() | st.integers(0, 2045).map(float)


@given(
    pressures=st.tuples(mmhg, mmhg, mmhg),
    pulse=st.none() | st.just("absent") | st.integers(0, 2045).map(float),
    time=times,
    user=st.none() | st.integers(0, 254),
    flags=st.lists(st.sampled_from(STATUS), unique=True),
    pulse_range=st.sampled_from([(), ("pulse_rate_high",), ("pulse_rate_low",)]),
)
def test_round_trip(
    pressures: tuple[float | None, float | None, float | None],
    pulse: float | str | None,
    time: datetime | None,
    user: int | None,
    flags: list[str],
    pulse_range: tuple[str, ...],
) -> None:
    metrics = dict(zip(MMHG, pressures, strict=True))
    if pulse != "absent":
        metrics["pulse_bpm"] = pulse if not isinstance(pulse, str) else None
    reading = Reading(
        Kind.BLOOD_PRESSURE, metrics, time=time, user_index=user, flags=(*flags, *pulse_range)
    )
    assert blood_pressure.decode(blood_pressure.encode(reading)) == reading


@given(
    kpa=st.integers(0, 2045).map(lambda n: n / 10),
    time=times,
    user=st.none() | st.integers(0, 254),
)
def test_round_trip_in_kpa(kpa: float, time: datetime | None, user: int | None) -> None:
    value = kpa * 7.50061683
    reading = Reading(Kind.INTERMEDIATE_CUFF_PRESSURE, {"cuff_pressure_mmhg": value}, time, user)
    back = intermediate_cuff_pressure.decode(intermediate_cuff_pressure.encode(reading, kpa=True))
    assert back.metrics["cuff_pressure_mmhg"] == pytest.approx(value)
    assert (back.time, back.user_index) == (time, user)
