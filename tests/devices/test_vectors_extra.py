"""The independent vectors of tests/data/gatt_extra.json: every characteristic, flag bit,
optional field, unit system, SFLOAT special value and truncation point.

Their expectations were written from the Bluetooth SIG specifications, not produced by
the decoder, so they check the decoder rather than describe it. The comparison is the
one `test_vectors` uses for the shared vectors.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from devices.cli import run_batch
from devices.decode import decode
from tests.conftest import DATA
from tests.devices.test_vectors import assert_matches
from veille.errors import DecodeError

EXTRA: dict[str, Any] = json.loads((DATA / "gatt_extra.json").read_text())
CASES: list[dict[str, Any]] = EXTRA["vectors"]
ERRORS: list[dict[str, Any]] = EXTRA["errors"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_extra_vector_decodes_as_the_specification_says(case: dict[str, Any]) -> None:
    decoded = decode(case["characteristic"], bytes.fromhex(case["hex"])).as_decoded()
    assert_matches(decoded, case["expect"])


@pytest.mark.parametrize("case", ERRORS, ids=[case["name"] for case in ERRORS])
def test_extra_error_vector_names_the_field_and_where(case: dict[str, Any]) -> None:
    with pytest.raises(DecodeError) as raised:
        decode(case["characteristic"], bytes.fromhex(case["hex"]))
    assert case["error"] in str(raised.value)
    assert raised.value.offset is not None


def test_every_characteristic_and_every_truncation_is_covered() -> None:
    """The file keeps its promise: all six characteristics, each with vectors and errors."""
    chars = {"2A9D", "2A9C", "2A35", "2A36", "2A18", "2A34"}
    assert {case["characteristic"] for case in CASES} == chars
    assert {case["characteristic"] for case in ERRORS} == chars


def test_batch_mode_gives_the_same_answers_line_for_line() -> None:
    """`veille decode --batch` over the whole file, with upper-case hex and a 0x prefix."""
    cases = [*CASES, *ERRORS]
    lines = "".join(f"{case['characteristic']} 0x{case['hex'].upper()}\n" for case in cases)
    out = io.StringIO()
    assert run_batch(io.StringIO(lines), out) == 0
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(results) == len(cases)
    for case, result in zip(cases, results, strict=True):
        if "expect" in case:
            assert "error" not in result, f"{case['name']}: {result}"
            assert list(result) == [
                "kind",
                "metrics",
                "time",
                "user_index",
                "sequence",
                "flags",
                "attributes",
            ]
            assert_matches(result, case["expect"])
        else:
            assert list(result) == ["error"], f"{case['name']}: {result}"
            assert case["error"] in result["error"]
