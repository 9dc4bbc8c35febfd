"""The demo's own pieces, without running it: its clock, its data directory, its household."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from demo.gateway import load_household, produced, story_start
from demo.runner import STATE_FILE, prepare
from demo.services import CatchUpClock, DemoError


def test_the_clock_stands_still_until_run_then_runs_fast_and_never_passes_the_wall() -> None:
    real = [0.0]  # real seconds elapsed, moved by hand
    wall0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def wall() -> datetime:
        return wall0 + timedelta(seconds=real[0])

    start = wall0 - timedelta(days=2)
    clock = CatchUpClock(start, speed=86_400, monotonic=lambda: real[0], wall=wall)
    real[0] += 0.05
    assert clock.now() == start  # standing still until run
    clock.run()
    real[0] += 0.2
    assert clock.now() - start == timedelta(hours=4.8)  # a day per real second
    assert not clock.caught_up()
    assert clock.real_seconds_left() == pytest.approx((2 * 86_400 + 0.25 - 17_280) / 86_400)
    real[0] += 2.0
    assert clock.caught_up()
    assert clock.now() == wall()  # never past the wall
    clock.freeze()
    frozen = clock.now()
    real[0] += 0.05
    assert clock.now() == frozen


def test_a_new_data_directory_is_marked_and_a_second_run_continues(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    state, new = prepare(data, reset=False, now=now)
    assert new
    assert state.epoch == date(2026, 10, 26)
    assert (data / STATE_FILE).exists()
    (data / "readings.sqlite").write_text("kept")
    again, new = prepare(data, reset=False, now=now + timedelta(days=1))
    assert not new
    assert again == state
    assert (data / "readings.sqlite").exists()


def test_reset_starts_over(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    prepare(data, reset=False, now=datetime(2026, 11, 1, tzinfo=UTC))
    (data / "readings.sqlite").write_text("old")
    state, new = prepare(data, reset=True, now=datetime(2026, 11, 23, tzinfo=UTC))
    assert new
    assert state.epoch == date(2026, 10, 26)
    assert not (data / "readings.sqlite").exists()


def test_a_directory_that_is_not_the_demos_is_never_used_nor_deleted(tmp_path: Path) -> None:
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious")
    for reset in (False, True):
        with pytest.raises(DemoError, match="not a demo data directory"):
            prepare(mine, reset=reset, now=datetime.now(UTC))
    assert (mine / "thesis.txt").read_text() == "precious"


def test_a_damaged_state_file_says_to_reset(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    prepare(data, reset=False, now=datetime.now(UTC))
    (data / STATE_FILE).write_text(json.dumps({"epoch": "yesterday"}))
    with pytest.raises(DemoError, match="--reset"):
        prepare(data, reset=False, now=datetime.now(UTC))


def test_the_household_story_is_moved_to_end_today() -> None:
    epoch = date(2026, 10, 26)
    household = load_household(epoch)
    assert household.model.start == epoch
    start = story_start(household)
    assert start == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # midnight in Paris
    # Records already in the meter's memory stay just before day 0.
    for record in household.stored():
        assert record.time < datetime(2026, 10, 26)
        assert record.time > datetime(2026, 10, 24)
    counts = produced(household, start + timedelta(days=28))
    assert set(counts) == {"p-7f3a", "p-b41d", "p-3e9c", "p-d208", "p-c0d5"}
    assert counts["p-c0d5"] == {"spo2": 2 * 28 + 2, "temperature": 2 * 28}
    assert counts["p-7f3a"] == {"weight": 28}  # one weighing a day
    assert counts["p-d208"]["glucose"] > 28 * 4  # four a day, the stored ones, the events
    assert set(counts["p-b41d"]) == {"weight", "blood_pressure"}
    assert produced(household, start) == {
        "p-d208": {"glucose": sum(r.device.endswith("04") for r in household.stored())},
        "p-c0d5": {"spo2": 2},  # spot-checks in the oximeter's memory
    }
