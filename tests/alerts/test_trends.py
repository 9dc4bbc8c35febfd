"""The engine's incremental trend checks agree with the pandas computation over the series."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from alerts import evaluate, trends
from alerts.evaluate import State
from alerts.history import Window
from alerts.ruleset import AverageRule, ChangeRule, ThresholdRule, load_rules

START = datetime(2026, 2, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def series(seed: int, days: int, per_day: int, base: float, noise: float, steps: int) -> pd.Series:
    rng = random.Random(seed)
    times, values, level = [], [], base
    for day in range(days):
        if rng.random() < steps / days:
            level += rng.choice((-1, 1)) * rng.uniform(0.5, 3.5)
        for slot in range(per_day):
            if rng.random() < 0.1:
                continue
            times.append(
                START + timedelta(days=day, hours=7 + 12 * slot, minutes=rng.uniform(-40, 40))
            )
            values.append(round(level + rng.gauss(0, noise), 1))
    return pd.Series(values, index=pd.DatetimeIndex(times))


@pytest.mark.parametrize(
    "name", ["weight_gain_3d", "weight_loss_3d", "weight_gain_week", "weight_loss_month"]
)
def test_change_rules_match_pandas(name: str) -> None:
    rule = load_rules().by_name[name]
    assert isinstance(rule, ChangeRule)
    fired = 0
    for seed in range(8):
        weights = series(seed, 80, 1, 80.0, 0.4, 8)
        expected = trends.change(weights.to_frame("weight_kg"), rule)["active"].tolist()
        window = Window(1e9, values={"weight_kg": []})
        got = []
        for moment, value in weights.items():
            assert isinstance(moment, pd.Timestamp)
            index = window.add(moment.timestamp(), {"weight_kg": value})
            got.append(evaluate.change(rule, window, index, is_open=False).state is State.ACTIVE)
        assert got == expected, f"seed {seed}"
        fired += sum(expected)
    assert fired  # the series do exercise the rule


@pytest.mark.parametrize("seed", range(6))
def test_home_average_matches_pandas(seed: int) -> None:
    rule = load_rules().by_name["bp_home_average"]
    assert isinstance(rule, AverageRule)
    systolic = series(seed, 40, 2, 128.0, 8.0, 5)
    diastolic = series(seed + 100, 40, 2, 80.0, 5.0, 5)
    frame = pd.DataFrame(
        {
            "systolic_mmhg": systolic.to_numpy(),
            "diastolic_mmhg": diastolic.to_numpy()[: len(systolic)],
        }
        if len(diastolic) >= len(systolic)
        else {
            "systolic_mmhg": systolic.to_numpy()[: len(diastolic)],
            "diastolic_mmhg": diastolic.to_numpy(),
        },
        index=systolic.index[: min(len(systolic), len(diastolic))],
    )
    expected = trends.home_average(frame, rule, PARIS)["active"].tolist()
    window = Window(1e9, values={"systolic_mmhg": [], "diastolic_mmhg": []})
    got = []
    for moment, row in frame.iterrows():
        assert isinstance(moment, pd.Timestamp)
        index = window.add(moment.timestamp(), dict(row))
        got.append(evaluate.average(rule, window, index, False, PARIS).state is State.ACTIVE)
    assert got == expected


@pytest.mark.parametrize("seed", range(6))
def test_confirmed_thresholds_match_pandas(seed: int) -> None:
    rule = load_rules().by_name["glucose_high_confirmed"]
    assert isinstance(rule, ThresholdRule)
    glucose = series(seed, 60, 2, 12.0, 2.0, 6)
    expected = trends.confirmed(glucose.to_frame("glucose_mmol_l"), rule).tolist()
    window = Window(1e9, values={"glucose_mmol_l": []})
    got = []
    moments = pd.DatetimeIndex(glucose.index)
    for number, (moment, value) in enumerate(zip(moments, glucose.tolist(), strict=True)):
        index = window.add(moment.timestamp(), {"glucose_mmol_l": value}, f"{number:032x}")
        got.append(evaluate.threshold(rule, window, index, is_open=False).state is State.ACTIVE)
    assert got == expected
    assert 0 < sum(expected) < sum(glucose > rule.limits["glucose_mmol_l"])  # both ways
