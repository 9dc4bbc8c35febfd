"""`Reading.as_decoded`: the JSON object of the decode contract, time as YYYY-MM-DDTHH:MM:SS."""

from __future__ import annotations

from datetime import datetime

import pytest

from devices.reading import Kind, Reading


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 3, 14, 8, 30, 5), "2026-03-14T08:30:05"),
        (datetime(999, 1, 2, 3, 4, 5), "0999-01-02T03:04:05"),  # four digits, whatever the year
        (datetime(2026, 3, 14, 8, 30, 5, 999_999), "2026-03-14T08:30:05"),  # no fraction
    ],
)
def test_time_is_always_nineteen_characters(moment: datetime, text: str) -> None:
    decoded = Reading(kind=Kind.WEIGHT, metrics={"weight_kg": 70.0}, time=moment).as_decoded()
    assert decoded["time"] == text


def test_keys_in_contract_order() -> None:
    decoded = Reading(kind=Kind.WEIGHT, metrics={"weight_kg": None}).as_decoded()
    assert list(decoded) == [
        "kind",
        "metrics",
        "time",
        "user_index",
        "sequence",
        "flags",
        "attributes",
    ]
    assert decoded["time"] is None
