"""`veille decode` as a user runs it: the installed entry point, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devices.cli import parse_hex
from tests.conftest import DATA
from veille.errors import DecodeError

VEILLE = Path(sys.executable).parent / "veille"
VECTORS: dict[str, Any] = json.loads((DATA / "gatt.json").read_text())


def veille(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VEILLE), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_single_prints_one_json_object() -> None:
    result = veille("decode", "2A35", "1ed20035006900e907050f072c2b2b00013200")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "kind": "blood_pressure",
        "metrics": {
            "systolic_mmhg": 210.0,
            "diastolic_mmhg": 53.0,
            "mean_arterial_mmhg": 105.0,
            "pulse_bpm": 43.0,
        },
        "time": "2025-05-15T07:44:43",
        "user_index": 1,
        "sequence": None,
        "flags": ["cuff_loose", "improper_position", "pulse_rate_low"],
        "attributes": {},
    }
    assert result.stdout.count("\n") == 1


def test_lower_case_uuid_and_hex_are_accepted() -> None:
    result = veille("decode", "2a9d", "00B036")
    assert json.loads(result.stdout)["metrics"] == {"weight_kg": 70.0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2A9D", "0010"), "payload shorter than flags require"),
        (("2A9D", "02b036ea07"), "timestamp truncated"),
        (("2A9D", "zz"), "not hexadecimal"),
        (("2A00", "00"), "not one Veille decodes"),
        (("nonsense", "00"), "not a 16-bit characteristic UUID"),
        (("2A9D",), "give CHAR HEX"),
    ],
    ids=["truncated", "timestamp", "bad_hex", "unknown_char", "bad_uuid", "missing_hex"],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(
    args: tuple[str, ...], message: str
) -> None:
    result = veille("decode", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_batch_writes_one_line_per_input_line() -> None:
    good = VECTORS["vectors"]
    lines = [f"{case['characteristic']} {case['hex']}" for case in good]
    lines += ["2A9D 0010", "", "2A9D", "2A99 00", "2A18 nothex"]
    result = veille("decode", "--batch", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(good) + 4  # the blank line is skipped
    for case, decoded in zip(good, out, strict=False):
        assert decoded["kind"] == case["expect"]["kind"], case["name"]
        assert decoded["time"] == case["expect"]["time"], case["name"]
    errors = out[len(good) :]
    assert "payload shorter than flags require" in errors[0]["error"]
    assert "expected 'CHAR HEX'" in errors[1]["error"]
    assert "not one Veille decodes" in errors[2]["error"]
    assert "not hexadecimal" in errors[3]["error"]
    assert all(set(error) == {"error"} for error in errors)


def test_batch_refuses_positional_arguments() -> None:
    result = veille("decode", "--batch", "2A9D", "00b036")
    assert result.returncode == 2
    assert "--batch reads stdin" in result.stderr


@pytest.mark.parametrize(
    "spelling",
    [
        "00b036",
        "00B036",
        "0x00b036",
        "0X00B036",
        "00 b0 36",
        "00:B0:36",
        "0x00 0xb0 0x36",
        " 00b036\n",
    ],
)
def test_hex_spellings_people_paste(spelling: str) -> None:
    """Case, spaces, colons and 0x prefixes (on the whole payload or on each byte) are accepted."""
    assert parse_hex(spelling) == bytes.fromhex("00b036")


@pytest.mark.parametrize("spelling", ["0b036", "10x5", "00b0 3", "b0x36", "00;b0;36", "0x0x00"])
def test_hex_that_is_not_whole_bytes_is_refused(spelling: str) -> None:
    with pytest.raises(DecodeError, match="not hexadecimal bytes"):
        parse_hex(spelling)


def test_single_form_accepts_prefixed_uuid_and_spaced_hex() -> None:
    result = veille("decode", "0x2a9d", "0x00 0xB0 0x36")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["metrics"] == {"weight_kg": 70.0}
