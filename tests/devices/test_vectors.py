"""The byte-exact vectors of tests/data/gatt.json (copied from shared/vectors), both ways."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from devices.codecs import blood_pressure, glucose, weight
from devices.decode import CHARACTERISTICS, characteristic_key, decode
from tests.conftest import DATA
from veille.errors import DecodeError

VECTORS: dict[str, Any] = json.loads((DATA / "gatt.json").read_text())
CASES = VECTORS["vectors"]
ERRORS = VECTORS["errors"]


def assert_matches(decoded: dict[str, Any], expect: dict[str, Any]) -> None:
    """Every key present in ``expect``: numbers within rel 1e-3, null exact, the rest equal."""
    for key, wanted in expect.items():
        got = decoded[key]
        if key == "metrics":
            assert set(got) == set(wanted), f"metric names: {sorted(got)} != {sorted(wanted)}"
            for name, value in wanted.items():
                if value is None:
                    assert got[name] is None, f"{name} should be null, is {got[name]}"
                else:
                    assert got[name] is not None, f"{name} is null, expected {value}"
                    assert math.isclose(got[name], value, rel_tol=1e-3), f"{name}: {got[name]}"
        else:
            assert got == wanted, f"{key}: {got!r} != {wanted!r}"


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector_decodes_as_expected(case: dict[str, Any]) -> None:
    decoded = decode(case["characteristic"], bytes.fromhex(case["hex"])).as_decoded()
    assert_matches(decoded, case["expect"])


@pytest.mark.parametrize("case", ERRORS, ids=[case["name"] for case in ERRORS])
def test_error_vector_raises_with_its_reason(case: dict[str, Any]) -> None:
    with pytest.raises(DecodeError) as raised:
        decode(case["characteristic"], bytes.fromhex(case["hex"]))
    assert case["error"] in str(raised.value)
    assert raised.value.offset is not None


def encode_options(char: str, payload: bytes) -> dict[str, Any]:
    """The encoder options that reproduce how this payload was sent (units, offset, status)."""
    flags = payload[0]
    if char == "2A9D":
        return {"imperial": bool(flags & weight.WeightFlags.IMPERIAL)}
    if char == "2A35":
        return {
            "kpa": bool(flags & blood_pressure.BloodPressureFlags.KPA),
            "with_status": bool(flags & blood_pressure.BloodPressureFlags.MEASUREMENT_STATUS),
            "exponent": (payload[2] >> 4) - 16 if payload[2] >= 0x80 else payload[2] >> 4,
        }
    assert char == "2A18"
    offset = None
    if flags & glucose.GlucoseFlags.TIME_OFFSET:
        offset = int.from_bytes(payload[10:12], "little", signed=True)
    return {
        "mol_per_l": bool(flags & glucose.GlucoseFlags.MOL_PER_L),
        "time_offset_min": offset,
        "with_status": bool(flags & glucose.GlucoseFlags.SENSOR_STATUS),
    }


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector_reencodes(case: dict[str, Any]) -> None:
    """Encoding the decoded reading gives the same reading, and the same bytes unless the
    device sent the "unknown user" 0xFF that Veille reports as no user at all."""
    char, payload = case["characteristic"], bytes.fromhex(case["hex"])
    reading = decode(char, payload)
    encoded = CHARACTERISTICS[char].encode(reading, **encode_options(char, payload))
    assert_matches(decode(char, encoded).as_decoded(), reading.as_decoded())
    unknown_user = (
        char == "2A9D" and payload[0] & weight.WeightFlags.USER_ID and reading.user_index is None
    )
    if not unknown_user:
        assert encoded.hex() == case["hex"]


def test_the_table_holds_the_ten_measurement_characteristics() -> None:
    assert sorted(CHARACTERISTICS) == [
        "2A18",
        "2A1C",
        "2A1E",
        "2A34",
        "2A35",
        "2A36",
        "2A5E",
        "2A5F",
        "2A9C",
        "2A9D",
    ]
    assert {codec.kind.value for codec in CHARACTERISTICS.values()} == {
        "weight",
        "body_composition",
        "blood_pressure",
        "intermediate_cuff_pressure",
        "glucose",
        "glucose_context",
        "spo2",
        "spo2_continuous",
        "temperature",
        "intermediate_temperature",
    }


@pytest.mark.parametrize(
    "spelling", ["2A9D", "2a9d", "0x2A9D", " 2A9D ", "00002a9d-0000-1000-8000-00805f9b34fb"]
)
def test_characteristic_spellings(spelling: str) -> None:
    assert characteristic_key(spelling) == "2A9D"
    assert decode(spelling, bytes.fromhex("00b036")).metrics == {"weight_kg": 70.0}


@pytest.mark.parametrize("spelling", ["2A9", "12345", "00002a9d-0000-1000-8000-00805f9b34fc"])
def test_bad_characteristic_spellings(spelling: str) -> None:
    with pytest.raises(DecodeError, match="16-bit characteristic UUID"):
        characteristic_key(spelling)
