"""FHIR search parameters for Observation: ``code`` (token) and ``date`` (prefix + value).

Pure parsing: a bad value is a `SearchError` (answered 400), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from devices.reading import Kind
from veille.errors import VeilleError
from web.fhir import KINDS_OF_CODE, LOINC

PREFIXES = ("eq", "ge", "gt", "le", "lt")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class SearchError(VeilleError):
    """A search parameter FHIR would reject; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime = EARLIEST
    end: datetime = LATEST  # exclusive

    def narrow(self, start: datetime, end: datetime) -> Window:
        return Window(max(self.start, start), min(self.end, end))


def parse_code(token: str) -> tuple[tuple[Kind, ...], str]:
    """``[system|]code`` -> (the kinds it comes from, the code); only LOINC codes we export."""
    system, bar, code = token.rpartition("|")
    if bar and system not in ("", LOINC):
        raise SearchError(f"code system {system!r} is not searchable; use {LOINC}")
    kinds = KINDS_OF_CODE.get(code)
    if kinds is None:
        raise SearchError(f"unknown code {code!r}; searchable: {', '.join(sorted(KINDS_OF_CODE))}")
    return kinds, code


def _moment(value: str) -> tuple[datetime, datetime]:
    """The span a FHIR date value denotes, at its own precision: [start, end)."""
    try:
        if len(value) == 4 and value.isdigit():
            start = datetime(int(value), 1, 1, tzinfo=UTC)
            return start, start.replace(year=start.year + 1)
        if len(value) == 7 and value[4] == "-":
            start = datetime(int(value[:4]), int(value[5:]), 1, tzinfo=UTC)
            month = start.month % 12 + 1
            return start, start.replace(year=start.year + (month == 1), month=month)
        if len(value) == 10:
            start = datetime.fromisoformat(value).replace(tzinfo=UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError) as exc:
        raise SearchError(f"date {value!r} is not a FHIR date or dateTime") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, moment + timedelta(seconds=1)


def parse_dates(values: list[str]) -> Window:
    """Every ``date`` parameter narrows the window (they are ANDed, as FHIR says)."""
    window = Window()
    for raw in values:
        prefix, value = (raw[:2], raw[2:]) if raw[:2] in PREFIXES else ("eq", raw)
        try:
            start, end = _moment(value)
        except (ValueError, OverflowError) as exc:
            raise SearchError(f"date {raw!r} is not valid") from exc
        if prefix == "eq":
            window = window.narrow(start, end)
        elif prefix == "ge":
            window = window.narrow(start, LATEST)
        elif prefix == "gt":
            window = window.narrow(end, LATEST)
        elif prefix == "le":
            window = window.narrow(EARLIEST, end)
        else:
            window = window.narrow(EARLIEST, start)
    return window
