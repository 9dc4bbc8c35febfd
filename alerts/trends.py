"""Trend rules over a whole series with pandas: the reference, and what charts show.

The engine judges one reading at a time from its in-memory window (a bisect
and a few floats: at thousands of readings a second, a pandas call per
reading costs more than all the rules together, see `bench/rules.py`). These
functions compute the same quantities for every reading of a series from the
`ReadingStore` at once — the home-blood-pressure average of the last days,
the change against the earlier window, the confirmation of a threshold — for
the web's charts and triage,
and as the reference the incremental checks are tested against.
"""

from __future__ import annotations

from datetime import timedelta, tzinfo

import pandas as pd

from alerts.ruleset import AverageRule, ChangeRule, ThresholdRule


def _beyond(values: pd.Series, limit: float, op: str) -> pd.Series:
    if op == ">":
        return values > limit
    if op == ">=":
        return values >= limit
    if op == "<":
        return values < limit
    return values <= limit


def home_average(frame: pd.DataFrame, rule: AverageRule, zone: tzinfo) -> pd.DataFrame:
    """Per reading: the mean of each metric over the rule's window (ending at the
    reading, inclusive), the number of readings, the local days they cover, and
    whether the rule fires there."""
    window = pd.Timedelta(days=rule.window_days)
    metrics = list(rule.limits)
    data = frame[metrics].astype(float).sort_index()
    result = data.rolling(window, closed="both").mean().add_prefix("mean_")
    result["readings"] = data[metrics[0]].rolling(window, closed="both").count()
    index = pd.DatetimeIndex(data.index)
    local_days = pd.Series(index.tz_convert(zone).date, index=index)
    result["days"] = [local_days.loc[moment - window : moment].nunique() for moment in data.index]
    enough = (result["readings"] >= rule.min_readings) & (result["days"] >= rule.min_days)
    fires = pd.Series(False, index=data.index)
    for name, limit in rule.limits.items():
        fires |= _beyond(result[f"mean_{name}"], limit, rule.op)
    result["active"] = enough & fires
    return result


def change(frame: pd.DataFrame, rule: ChangeRule) -> pd.DataFrame:
    """Per reading: the baseline of the rule's earlier window, the change against
    it (positive in the rule's direction) and whether the rule fires there."""
    values = frame[rule.metric].astype(float).sort_index().dropna()
    start, stop = timedelta(hours=rule.baseline_from_hours), timedelta(hours=rule.baseline_to_hours)
    rows = []
    for moment, value in zip(pd.DatetimeIndex(values.index), values.tolist(), strict=True):
        earlier = values.loc[moment - start : moment - stop]
        if earlier.empty:
            rows.append((float("nan"), float("nan"), False))
            continue
        if rule.baseline == "median":
            base = float(earlier.median())
        else:
            base = float(earlier.min() if rule.direction == "gain" else earlier.max())
        delta = value - base if rule.direction == "gain" else base - value
        limit = rule.amount if rule.amount is not None else base * (rule.amount_pct or 0) / 100
        active = delta > limit
        if active and rule.reference_hours is not None:
            usual = values.loc[moment - timedelta(hours=rule.reference_hours) : moment - stop]
            if len(usual) < rule.reference_min_readings:
                active = False
            else:
                middle = float(usual.median())
                shift = value - middle if rule.direction == "gain" else middle - value
                active = shift > rule.reference_amount
        rows.append((base, delta, active))
    return pd.DataFrame(rows, index=values.index, columns=["baseline", "change", "active"])


def confirmed(frame: pd.DataFrame, rule: ThresholdRule) -> pd.Series:
    """Per reading: whether it and the ``confirm - 1`` readings before it are all past
    a limit, the first measured at most ``confirm_within_hours`` before it."""
    data = frame[list(rule.limits)].astype(float).sort_index()
    past = pd.Series(False, index=data.index)
    for name, limit in rule.limits.items():
        past |= _beyond(data[name], limit, rule.op)
    run = past.astype(int).groupby((~past).cumsum()).cumsum()  # consecutive, ending here
    times = pd.Series(data.index, index=data.index)
    span = times - times.shift(rule.confirm - 1)
    return (run >= rule.confirm) & (span <= pd.Timedelta(hours=rule.confirm_within_hours))
