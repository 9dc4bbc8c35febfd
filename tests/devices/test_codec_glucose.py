"""Glucose Measurement (0x2A18): per-bit vectors, sample type/location, status, round trips."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import glucose
from devices.reading import Kind, Reading
from veille.errors import DecodeError, EncodeError

HEAD = "0100ea07030e081e05"  # sequence 1, base time 2026-03-14 08:30:05
T = datetime(2026, 3, 14, 8, 30, 5)
MG_DL_90 = 90 / 18.0156


@pytest.mark.parametrize(
    ("hex_payload", "metrics", "time", "attributes"),
    [
        pytest.param("00" + HEAD, {}, T, {}, id="none"),
        pytest.param("01" + HEAD + "0f00", {}, T + timedelta(minutes=15), {}, id="bit0_offset"),
        pytest.param("01" + HEAD + "f1ff", {}, T - timedelta(minutes=15), {}, id="negative_offset"),
        pytest.param(
            "02" + HEAD + "5ab011",
            {"glucose_mmol_l": MG_DL_90},
            T,
            {"sample_type": "capillary_whole_blood", "sample_location": "finger"},
            id="bit1_concentration_kg_per_l",
        ),
        pytest.param(
            "06" + HEAD + "37c022",
            {"glucose_mmol_l": 5.5},
            T,
            {"sample_type": "capillary_plasma", "sample_location": "alternate_site_test"},
            id="bit2_mol_per_l",
        ),
        pytest.param("08" + HEAD + "0000", {}, T, {}, id="bit3_status_clear"),
        pytest.param("10" + HEAD, {}, T, {"context_follows": True}, id="bit4_context_follows"),
        pytest.param(
            "02" + HEAD + "ff07f1",
            {"glucose_mmol_l": None},
            T,
            {"sample_type": "capillary_whole_blood", "sample_location": "not_available"},
            id="nan_concentration",
        ),
    ],
)
def test_each_flag_bit(
    hex_payload: str, metrics: dict[str, float], time: datetime, attributes: dict[str, object]
) -> None:
    reading = glucose.decode(bytes.fromhex(hex_payload))
    assert reading.kind is Kind.GLUCOSE
    assert reading.sequence == 1
    assert reading.metrics == pytest.approx(metrics)
    assert (reading.time, dict(reading.attributes), reading.flags) == (time, attributes, ())


SENSOR_STATUS = [
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
]


@pytest.mark.parametrize(("bit", "flag"), list(enumerate(SENSOR_STATUS)), ids=SENSOR_STATUS)
def test_each_sensor_status_bit(bit: int, flag: str) -> None:
    status = (1 << bit).to_bytes(2, "little").hex()
    assert glucose.decode(bytes.fromhex("08" + HEAD + status)).flags == (flag,)


def test_reserved_status_bits_give_no_flag() -> None:
    assert glucose.decode(bytes.fromhex("08" + HEAD + "00f0")).flags == ()


TYPES = [
    "capillary_whole_blood",
    "capillary_plasma",
    "venous_whole_blood",
    "venous_plasma",
    "arterial_whole_blood",
    "arterial_plasma",
    "undetermined_whole_blood",
    "undetermined_plasma",
    "interstitial_fluid",
    "control_solution",
]
LOCATIONS = {1: "finger", 2: "alternate_site_test", 3: "earlobe", 4: "control_solution"}
LOCATIONS[15] = "not_available"


@pytest.mark.parametrize(("nibble", "name"), list(enumerate(TYPES, start=1)), ids=TYPES)
def test_each_sample_type(nibble: int, name: str) -> None:
    reading = glucose.decode(bytes.fromhex("02" + HEAD + "5ab0" + f"1{nibble:x}"))
    assert reading.attributes == {"sample_type": name, "sample_location": "finger"}
    assert reading.flags == ()  # control solution is the driver's flag, not the decoder's


@pytest.mark.parametrize(("nibble", "name"), list(LOCATIONS.items()), ids=list(LOCATIONS.values()))
def test_each_sample_location(nibble: int, name: str) -> None:
    reading = glucose.decode(bytes.fromhex("02" + HEAD + "5ab0" + f"{nibble:x}1"))
    assert reading.attributes["sample_location"] == name


def test_reserved_type_and_location_stay_visible() -> None:
    reading = glucose.decode(bytes.fromhex("02" + HEAD + "5ab0" + "50"))
    assert reading.attributes == {"sample_type": "reserved_0", "sample_location": "reserved_5"}


def test_unknown_base_time_gives_no_time_even_with_offset() -> None:
    assert glucose.decode(bytes.fromhex("010100000000000000000f00")).time is None


@pytest.mark.parametrize(
    ("hex_payload", "phrase"),
    [
        ("0201", "sequence number truncated"),
        ("02" + HEAD + "5ab0", "type and sample location truncated"),
        ("08" + HEAD + "01", "sensor status annunciation truncated"),
        ("00" + HEAD + "00", "trailing"),
        ("0101000f270c1f173b3bff7f", "out of range"),  # 9999-12-31 + 32767 min
    ],
)
def test_malformed(hex_payload: str, phrase: str) -> None:
    with pytest.raises(DecodeError, match=phrase):
        glucose.decode(bytes.fromhex(hex_payload))


times = st.datetimes(datetime(1583, 1, 1), datetime(9998, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)


@given(
    sequence=st.integers(0, 0xFFFF),
    time=times,
    offset=st.none() | st.integers(-0x8000, 0x7FFF),
    value=st.none() | st.just("absent") | st.integers(0, 2045),
    mol_per_l=st.booleans(),
    sample_type=st.sampled_from(TYPES),
    location=st.sampled_from(list(LOCATIONS.values())),
    status=st.lists(st.sampled_from(SENSOR_STATUS), unique=True),
    context=st.booleans(),
)
def test_round_trip(
    sequence: int,
    time: datetime,
    offset: int | None,
    value: int | str | None,
    mol_per_l: bool,
    sample_type: str,
    location: str,
    status: list[str],
    context: bool,
) -> None:
    metrics: dict[str, float | None] = {}
    attributes: dict[str, str | int | float | bool | None] = {}
    if value != "absent":
        if isinstance(value, int):
            metrics["glucose_mmol_l"] = value / 10 if mol_per_l else value / 18.0156
        else:
            metrics["glucose_mmol_l"] = None
        attributes = {"sample_type": sample_type, "sample_location": location}
    if context:
        attributes["context_follows"] = True
    reading = Reading(
        Kind.GLUCOSE, metrics, time, sequence=sequence, flags=tuple(status), attributes=attributes
    )
    payload = glucose.encode(reading, mol_per_l=mol_per_l, time_offset_min=offset)
    back = glucose.decode(payload)
    assert back.metrics == pytest.approx(metrics)
    assert (back.time, back.sequence, back.flags) == (time, sequence, reading.flags)
    assert back.attributes == attributes
    assert glucose.encode(back, mol_per_l=mol_per_l, time_offset_min=offset) == payload


def test_reserved_names_encode_back_and_unknown_names_are_refused() -> None:
    reading = glucose.decode(bytes.fromhex("02" + HEAD + "5ab0" + "50"))
    assert glucose.encode(reading).hex() == "02" + HEAD + "5ab0" + "50"
    for bad in ("reserved_16", "blood"):
        wrong = Reading(
            Kind.GLUCOSE, {"glucose_mmol_l": 5.0}, T, sequence=1, attributes={"sample_type": bad}
        )
        with pytest.raises(EncodeError, match="sample_type"):
            glucose.encode(wrong)
