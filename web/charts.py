"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript.

Pure functions from numbers and already-translated words to markup. Only
numbers and escaped words go into the SVG, so a chart can never carry markup
from data. What makes a chart honest is decided here once for every page:
each series has its own target band in its own colour, a gap longer than the
patient's usual interval breaks the line, the value axis never zooms below a
minimum span (scale noise must not look like a spike), alert markers carry
words, and the date ticks fall on midnights of the named time zone.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

Point = tuple[float, float]  # (epoch seconds, value)

#: Colours with at least 4.5:1 contrast on white (WCAG AA), one per line.
PALETTE = ("#1f4e9c", "#a3231f", "#2d6a2d", "#6b3d8f")
#: Never join two readings further apart than this, whatever the usual interval.
MAX_JOIN = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Band:
    """A target band for one metric: drawn as a shaded zone (either end may be open)."""

    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its legend (``Systolique (mmHg)``), its points and its own target band."""

    label: str
    points: Sequence[Point]
    band: Band | None = None


@dataclass(frozen=True, slots=True)
class Marker:
    """An alert on the time axis: a short visible word and a full sentence as its tooltip."""

    at: float
    short: str
    label: str


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal line a rule compares against (a weight reference), with its words."""

    value: float
    label: str


@dataclass(frozen=True, slots=True)
class Frame:
    """Where the chart is: the time span, the zone its days are in, how ticks are written."""

    start: float
    end: float
    zone: ZoneInfo
    day_label: Callable[[datetime], str]
    number: Callable[[float], str]


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    """Factor and offset mapping [lo, hi] onto [a, b] (a flat range maps to the middle)."""
    if hi - lo < 1e-9:
        return 0.0, (a + b) / 2
    k = (b - a) / (hi - lo)
    return k, a - lo * k


def sparkline(points: Sequence[Point], start: float, end: float) -> str:
    """A 120x28 trend line with the last point marked; an empty one says so.

    Decorative (hidden from screen readers): the cell beside it names the kind and
    its latest value in words, and a summary cached for every language cannot carry
    a label in one.
    """
    width, height, pad = 120.0, 28.0, 3.0
    if not points:
        return (
            f'<svg class="spark" width="{width:.0f}" height="{height:.0f}" aria-hidden="true">'
            '<line x1="0" y1="14" x2="120" y2="14" '
            'stroke="#767676" stroke-dasharray="2 3"/></svg>'
        )
    values = [v for _, v in points]
    kx, bx = _scale(start, end, pad, width - pad)
    ky, by = _scale(min(values), max(values), height - pad, pad)
    coords = " ".join(f"{t * kx + bx:.1f},{v * ky + by:.1f}" for t, v in points)
    lx, ly = points[-1][0] * kx + bx, points[-1][1] * ky + by
    return (
        f'<svg class="spark" width="{width:.0f}" height="{height:.0f}" aria-hidden="true">'
        '<polyline fill="none" stroke="#1f4e9c" '
        f'stroke-width="1.5" points="{coords}"/><circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.5" '
        'fill="#1f4e9c"/></svg>'
    )


def value_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round values between ``lo`` and ``hi`` (1, 2, 2.5 or 5 times a power of ten apart)."""
    if hi - lo < 1e-9:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = []
    value = (lo // step + 1) * step
    while value < hi:
        ticks.append(round(value, 6))
        value += step
    return ticks


def day_ticks(start: float, end: float, zone: ZoneInfo) -> list[datetime]:
    """Midnights in ``zone`` within the span, at most about eight of them."""
    days = (end - start) / 86400
    step = 1 if days <= 10 else 3 if days <= 31 else 10
    day = datetime.fromtimestamp(start, zone).date() + timedelta(days=1)
    ticks = []
    while (midnight := datetime.combine(day, time(0), tzinfo=zone)).timestamp() < end:
        ticks.append(midnight)  # calendar days, so a daylight-saving change moves nothing
        day += timedelta(days=step)
    return ticks


def usual_gap(points: Sequence[Point]) -> float:
    """How far apart readings may be and still be joined: 2.5 times the patient's median
    interval (a single missed reading stays joined), never less than a day."""
    times = sorted(t for t, _ in points)
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    if not gaps:
        return MAX_JOIN
    return max(2.5 * statistics.median(gaps), MAX_JOIN)


def segments(points: Sequence[Point], gap: float) -> list[list[Point]]:
    """The points cut wherever two readings are further apart than ``gap``."""
    out: list[list[Point]] = []
    for point in points:
        if out and point[0] - out[-1][-1][0] <= gap:
            out[-1].append(point)
        else:
            out.append([point])
    return out


def value_range(
    series: Sequence[Series], levels: Sequence[Level], min_span: float
) -> tuple[float, float]:
    """The value axis: data, bands and levels, at least ``min_span`` tall, with a margin."""
    values = [v for s in series for _, v in s.points]
    for s in series:
        if s.band is not None:
            values += [x for x in (s.band.low, s.band.high) if x is not None]
    values += [level.value for level in levels]
    lo, hi = (min(values), max(values)) if values else (0.0, min_span or 1.0)
    if hi - lo < min_span:
        middle = (hi + lo) / 2
        lo, hi = middle - min_span / 2, middle + min_span / 2
    margin = (hi - lo) * 0.08 or 1.0
    return lo - margin, hi + margin


def chart(
    series: Sequence[Series],
    *,
    frame: Frame,
    ident: str,
    title: str,
    axis: str,
    zone_caption: str,
    description: str,
    markers: Sequence[Marker] = (),
    levels: Sequence[Level] = (),
    min_span: float = 0.0,
) -> str:
    """A time chart of one or more series of one unit, with bands, markers and levels.

    ``ident`` makes the ids of the title and description unique on the page;
    ``description`` is the text alternative (last value, min, max, mean per series).
    """
    width, height = 720.0, 280.0
    left, right, bottom = 56.0, 12.0, 44.0
    top = 16.0 + 20.0 * len(series) + 14.0
    lo, hi = value_range(series, levels, min_span)
    kx, bx = _scale(frame.start, frame.end, left, width - right)
    ky, by = _scale(lo, hi, height - bottom, top)
    inner_w, floor = width - left - right, height - bottom
    parts = [
        f'<svg class="chart" id="{ident}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)}</desc>',
        f'<rect x="{left}" y="{top}" width="{inner_w}" height="{floor - top}" '
        'fill="#fff" stroke="#767676"/>',
    ]
    for index, s in enumerate(series):
        if s.band is None:
            continue
        colour = PALETTE[index % len(PALETTE)]
        y1 = top if s.band.high is None else max(top, s.band.high * ky + by)
        y2 = floor if s.band.low is None else min(floor, s.band.low * ky + by)
        parts.append(
            f'<rect class="band" data-series="{index}" x="{left}" y="{y1:.1f}" '
            f'width="{inner_w}" height="{max(0.0, y2 - y1):.1f}" fill="{colour}" '
            'fill-opacity="0.10"/>'
        )
        for limit in (s.band.low, s.band.high):
            if limit is not None:
                y = limit * ky + by
                parts.append(
                    f'<line class="band-edge" x1="{left}" y1="{y:.1f}" x2="{width - right}" '
                    f'y2="{y:.1f}" stroke="{colour}" stroke-dasharray="6 4" stroke-opacity="0.7"/>'
                )
    for tick in value_ticks(lo, hi):
        y = tick * ky + by
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e4e4"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#333">{escape(frame.number(tick))}</text>'
        )
    middle = (top + floor) / 2
    parts.append(
        f'<text class="axis" transform="translate(14,{middle:.1f}) rotate(-90)" '
        f'text-anchor="middle" font-size="12" fill="#333">{escape(axis)}</text>'
    )
    for day in day_ticks(frame.start, frame.end, frame.zone):
        x = day.timestamp() * kx + bx
        parts.append(
            f'<line class="day" x1="{x:.1f}" y1="{floor}" x2="{x:.1f}" y2="{floor + 5}" '
            f'stroke="#767676"/><text class="day" x="{x:.1f}" y="{floor + 18}" '
            f'text-anchor="middle" font-size="12" fill="#333">{escape(frame.day_label(day))}</text>'
        )
    parts.append(
        f'<text class="zone" x="{width - right}" y="{height - 6}" text-anchor="end" '
        f'font-size="12" fill="#333">{escape(zone_caption)}</text>'
    )
    for level in levels:
        y = level.value * ky + by
        parts.append(
            f'<line class="level" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            'stroke="#333" stroke-width="1.5" stroke-dasharray="2 3"/>'
            f'<text class="level" x="{width - right - 4}" y="{y - 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#333">{escape(level.label)}</text>'
        )
    for marker in markers:
        x = marker.at * kx + bx
        parts.append(
            f'<g class="marker"><title>{escape(marker.label)}</title>'
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{floor}" stroke="#a3231f" '
            'stroke-width="2" stroke-dasharray="4 3"/>'
            f'<text x="{x - 3 if x > width - 120 else x + 3:.1f}" y="{top + 13}" '
            f'text-anchor="{"end" if x > width - 120 else "start"}" font-size="12" '
            f'fill="#a3231f">{escape(marker.short)}</text></g>'
        )
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        gap = usual_gap(s.points)
        for piece in segments(s.points, gap):
            if len(piece) < 2:
                continue
            coords = " ".join(f"{t * kx + bx:.1f},{v * ky + by:.1f}" for t, v in piece)
            parts.append(
                f'<polyline class="line" data-series="{index}" fill="none" stroke="{colour}" '
                f'stroke-width="2" points="{coords}"/>'
            )
        parts.extend(
            f'<circle cx="{t * kx + bx:.1f}" cy="{v * ky + by:.1f}" r="2.5" fill="{colour}"/>'
            for t, v in s.points[-400:]
        )
        parts.append(
            f'<text class="legend" x="{left}" y="{16 + 20 * index + 12}" font-size="13" '
            f'fill="{colour}">■ {escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
