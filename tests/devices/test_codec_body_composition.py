"""Body Composition Measurement (0x2A9C): one literal vector per flag bit, units, round trips."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import body_composition
from devices.reading import Kind, Reading
from veille.errors import DecodeError

FAT = "c800"  # 20.0 %
T = datetime(2026, 3, 14, 8, 30, 5)
T_HEX = "ea07030e081e05"
LB = 0.45359237


@pytest.mark.parametrize(
    ("hex_payload", "extra", "time", "user"),
    [
        pytest.param("0000" + FAT, {}, None, None, id="none"),
        pytest.param(
            "0104" + FAT + "1027", {"weight_kg": 100 * LB}, None, None, id="bit0_imperial"
        ),
        pytest.param("0200" + FAT + T_HEX, {}, T, None, id="bit1_time_stamp"),
        pytest.param("0400" + FAT + "02", {}, None, 2, id="bit2_user_id"),
        pytest.param("0800" + FAT + "4c1d", {"basal_metabolism_kj": 7500.0}, None, None, id="bit3"),
        pytest.param("1000" + FAT + "c201", {"muscle_pct": 45.0}, None, None, id="bit4"),
        pytest.param("2000" + FAT + "401f", {"muscle_mass_kg": 40.0}, None, None, id="bit5"),
        pytest.param("4000" + FAT + "b036", {"fat_free_mass_kg": 70.0}, None, None, id="bit6"),
        pytest.param("8000" + FAT + "a032", {"soft_lean_mass_kg": 64.8}, None, None, id="bit7"),
        pytest.param("0001" + FAT + "7017", {"body_water_mass_kg": 30.0}, None, None, id="bit8"),
        pytest.param("0002" + FAT + "a00f", {"impedance_ohm": 400.0}, None, None, id="bit9"),
        pytest.param("0004" + FAT + "b036", {"weight_kg": 70.0}, None, None, id="bit10_weight"),
        pytest.param("0008" + FAT + "d606", {"height_m": 1.75}, None, None, id="bit11_height"),
        pytest.param(
            "0108" + FAT + "b602", {"height_m": 69.4 * 0.0254}, None, None, id="height_inches"
        ),
        pytest.param(
            "fe0f" + FAT + T_HEX + "02" + "4c1dc201401fb036a0327017a00fb036d606",
            {
                "basal_metabolism_kj": 7500.0,
                "muscle_pct": 45.0,
                "muscle_mass_kg": 40.0,
                "fat_free_mass_kg": 70.0,
                "soft_lean_mass_kg": 64.8,
                "body_water_mass_kg": 30.0,
                "impedance_ohm": 400.0,
                "weight_kg": 70.0,
                "height_m": 1.75,
            },
            T,
            2,
            id="all_fields_in_order",
        ),
    ],
)
def test_each_flag_bit(
    hex_payload: str, extra: dict[str, float], time: datetime | None, user: int | None
) -> None:
    reading = body_composition.decode(bytes.fromhex(hex_payload))
    assert reading.kind is Kind.BODY_COMPOSITION
    assert reading.metrics == pytest.approx({"body_fat_pct": 20.0, **extra})
    assert (reading.time, reading.user_index, reading.flags) == (time, user, ())
    assert reading.attributes == {}


def test_bit12_multiple_packet_is_exposed() -> None:
    reading = body_composition.decode(bytes.fromhex("0010" + FAT))
    assert reading.attributes == {"multiple_packet": True}


def test_unsuccessful_measurement() -> None:
    reading = body_composition.decode(bytes.fromhex("0000ffff"))
    assert reading.metrics == {"body_fat_pct": None}
    assert reading.flags == ("measurement_unsuccessful",)


@pytest.mark.parametrize(
    ("hex_payload", "phrase"),
    [("00", "flags truncated"), ("0002" + FAT + "a0", "impedance truncated")],
)
def test_malformed(hex_payload: str, phrase: str) -> None:
    with pytest.raises(DecodeError, match=phrase):
        body_composition.decode(bytes.fromhex(hex_payload))


OPTIONAL = [name for _bit, name, _field, _unit in body_composition.FIELDS]


@given(
    imperial=st.booleans(),
    fat=st.integers(0, 0xFFFF),
    time=st.none() | st.datetimes(datetime(1582, 1, 1)).map(lambda t: t.replace(microsecond=0)),
    user=st.none() | st.integers(0, 254),
    fields=st.dictionaries(st.sampled_from(OPTIONAL), st.integers(0, 0xFFFF)),
    multiple=st.booleans(),
)
def test_round_trip(
    imperial: bool,
    fat: int,
    time: datetime | None,
    user: int | None,
    fields: dict[str, int],
    multiple: bool,
) -> None:
    units = {name: unit(imperial) for _bit, name, _field, unit in body_composition.FIELDS}
    metrics: dict[str, float | None] = {"body_fat_pct": None if fat == 0xFFFF else fat / 10}
    metrics |= {name: raw * units[name] for name, raw in fields.items()}
    reading = Reading(
        Kind.BODY_COMPOSITION,
        metrics,
        time=time,
        user_index=user,
        flags=("measurement_unsuccessful",) if fat == 0xFFFF else (),
        attributes={"multiple_packet": True} if multiple else {},
    )
    payload = body_composition.encode(reading, imperial=imperial)
    back = body_composition.decode(payload)
    assert back.metrics == pytest.approx(metrics)
    assert (back.time, back.user_index, back.flags) == (time, user, reading.flags)
    assert back.attributes == reading.attributes
    assert body_composition.encode(back, imperial=imperial) == payload


def test_merge_packets_of_a_multiple_packet_measurement() -> None:
    first = body_composition.decode(bytes.fromhex("0e10" + FAT + T_HEX + "02" + "4c1d"))
    second = body_composition.decode(bytes.fromhex("0014" + FAT + "b036"))
    merged = body_composition.merge_packets(first, second)
    assert merged.metrics == pytest.approx(
        {"body_fat_pct": 20.0, "basal_metabolism_kj": 7500.0, "weight_kg": 70.0}
    )
    assert (merged.time, merged.user_index, merged.attributes) == (T, 2, {})
    other = body_composition.decode(bytes.fromhex("0014" + "c900" + "b036"))
    with pytest.raises(DecodeError, match="disagree on body_fat_pct"):
        body_composition.merge_packets(first, other)
