"""Pulse oximeter and thermometer vectors: the shared set (tests/data/gatt_plx_hts.json,
copied from shared/vectors) and the independent one written from the specifications
(gatt_plx_hts_extra.json), both ways, and through `veille decode --batch`."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from devices.cli import run_batch
from devices.codecs import plx_continuous, plx_spot_check, temperature
from devices.codecs.plx_status import DEVICE_FLAGS, MEASUREMENT_FLAGS
from devices.decode import CHARACTERISTICS, decode
from tests.conftest import DATA
from tests.devices.test_vectors import assert_matches
from veille.errors import DecodeError

SHARED: dict[str, Any] = json.loads((DATA / "gatt_plx_hts.json").read_text())
EXTRA: dict[str, Any] = json.loads((DATA / "gatt_plx_hts_extra.json").read_text())
CASES: list[dict[str, Any]] = SHARED["vectors"] + EXTRA["vectors"]
ERRORS: list[dict[str, Any]] = SHARED["errors"] + EXTRA["errors"]
CHARS = ("2A5E", "2A5F", "2A1C", "2A1E")


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
    """The encoder options that reproduce how the device sent this payload."""
    flags = payload[0]
    if char == "2A5E":
        bits = plx_spot_check.SpotCheckFlags
        return {
            "with_measurement_status": bool(flags & bits.MEASUREMENT_STATUS),
            "with_device_status": bool(flags & bits.DEVICE_AND_SENSOR_STATUS),
        }
    if char == "2A5F":
        cont = plx_continuous.ContinuousFlags
        return {
            "with_measurement_status": bool(flags & cont.MEASUREMENT_STATUS),
            "with_device_status": bool(flags & cont.DEVICE_AND_SENSOR_STATUS),
        }
    exponent = int.from_bytes(payload[4:5], "little", signed=True)
    return {
        "in_fahrenheit": bool(flags & temperature.TemperatureFlags.FAHRENHEIT),
        "exponent": exponent,
    }


def _reencodable(case: dict[str, Any]) -> bool:
    """Reserved bits are dropped on decoding, and every special FLOAT is ``None``, sent back
    as NaN: the bytes of those vectors cannot come back, only the reading."""
    special = None in case["expect"]["metrics"].values() and "nan" not in case["name"]
    return "reserved_bits" not in case["name"] and not special


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector_reencodes(case: dict[str, Any]) -> None:
    char, payload = case["characteristic"], bytes.fromhex(case["hex"])
    reading = decode(char, payload)
    encoded = CHARACTERISTICS[char].encode(reading, **encode_options(char, payload))
    assert_matches(decode(char, encoded).as_decoded(), reading.as_decoded())
    if _reencodable(case):
        assert encoded.hex() == case["hex"]


def test_every_status_bit_has_a_vector_of_its_own() -> None:
    """The trap of this domain is a flag read one bit off: each bit alone, once."""
    alone = {
        case["expect"]["flags"][0]
        for case in EXTRA["vectors"]
        if len(case["expect"].get("flags", ())) == 1
    }
    assert set(MEASUREMENT_FLAGS.values()) | set(DEVICE_FLAGS.values()) <= alone
    assert "device_clock_not_set" in alone


def test_the_four_characteristics_are_in_the_table_with_their_kinds() -> None:
    kinds = {char: CHARACTERISTICS[char].kind.value for char in CHARS}
    assert kinds == {
        "2A5E": "spo2",
        "2A5F": "spo2_continuous",
        "2A1C": "temperature",
        "2A1E": "intermediate_temperature",
    }
    covered = {case["characteristic"] for case in CASES} & {c["characteristic"] for c in ERRORS}
    assert covered == set(CHARS)


def test_batch_mode_gives_the_same_answers_line_for_line() -> None:
    cases = [*CASES, *ERRORS]
    lines = "".join(f"{case['characteristic']} {case['hex'] or '-'}\n" for case in cases)
    out = io.StringIO()
    run_batch(io.StringIO(lines), out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(results) == len(cases)
    for case, result in zip(cases, results, strict=True):
        if "expect" in case:
            assert "error" not in result, f"{case['name']}: {result}"
            assert_matches(result, case["expect"])
        else:
            assert "error" in result, case["name"]
