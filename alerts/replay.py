"""Replay recorded readings through the rules on a virtual clock (issue 5's contract).

Readings (``veille.reading/1`` JSON lines) are taken in the order they
reached the gateway (``received``, stable for ties), the clock jumps to each
reading's receive time and, between readings and up to ``until``, advances in
steps of at most one hour so silence is noticed when it happens. Each alert
is printed when it opens, one JSON object per line; updates, reopenings of a
flapping condition and all-clears are not printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from alerts.engine import Engine
from alerts.lifecycle import Transition
from alerts.terms import Change
from wire.errors import PayloadError
from wire.reading import WireReading

STEP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int
    reason: str


def read_lines(lines: Iterable[str]) -> tuple[list[WireReading], list[BadLine]]:
    readings: list[WireReading] = []
    bad: list[BadLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            readings.append(WireReading.decode(line))
        except PayloadError as err:
            bad.append(BadLine(number, str(err)))
    readings.sort(key=lambda r: r.received)
    return readings, bad


def alert_line(change: Transition) -> dict[str, Any]:
    alert = change.alert
    return {
        "patient": alert.patient,
        "category": alert.category.value,
        "severity": alert.severity.value,
        "time": change.at.isoformat(),
        "kind": alert.kind.value if alert.kind else None,
        "message": alert.message,
        "alert_id": alert.id,
        "rule": alert.rule,
        "rules_version": alert.rules_version,
        "reading_id": alert.reading_id,
    }


def replay(engine: Engine, readings: list[WireReading], until: datetime) -> Iterator[Transition]:
    """Every alert change, in virtual-time order, up to ``until``."""
    if not readings:
        return
    now = readings[0].received
    for reading in readings:
        if reading.received > until:
            break
        while now + STEP < reading.received:
            now += STEP
            yield from engine.tick(now)
        now = max(now, reading.received)
        yield from engine.tick(now)
        yield from engine.on_reading(reading, now)
    while now < until:
        now = min(now + STEP, until)
        yield from engine.tick(now)


def print_opened(changes: Iterable[Transition], out: TextIO) -> int:
    count = 0
    for change in changes:
        if change.change is Change.OPENED:
            out.write(json.dumps(alert_line(change)) + "\n")
            count += 1
    return count
