"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript.

Pure functions from numbers to markup. Only numbers and fixed words go
into the SVG (labels are escaped), so a chart can never carry markup from data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

Point = tuple[float, float]  # (epoch seconds, value)

#: Colours with at least 4.5:1 contrast on white (WCAG AA), one per line.
PALETTE = ("#1f4e9c", "#a3231f", "#2d6a2d", "#6b3d8f")


@dataclass(frozen=True, slots=True)
class Band:
    """A target band for one metric: drawn as a shaded zone (either end may be open)."""

    low: float | None
    high: float | None


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    """Factor and offset mapping [lo, hi] onto [a, b] (a flat range maps to the middle)."""
    if hi - lo < 1e-9:
        return 0.0, (a + b) / 2
    k = (b - a) / (hi - lo)
    return k, a - lo * k


def sparkline(points: Sequence[Point], start: float, end: float, label: str) -> str:
    """A 120x28 trend line with the last point marked; an empty one says so."""
    width, height, pad = 120.0, 28.0, 3.0
    if not points:
        return (
            f'<svg class="spark" width="{width:.0f}" height="{height:.0f}" role="img" '
            f'aria-label="{escape(label)}"><line x1="0" y1="14" x2="120" y2="14" '
            'stroke="#767676" stroke-dasharray="2 3"/></svg>'
        )
    values = [v for _, v in points]
    kx, bx = _scale(start, end, pad, width - pad)
    ky, by = _scale(min(values), max(values), height - pad, pad)
    coords = " ".join(f"{t * kx + bx:.1f},{v * ky + by:.1f}" for t, v in points)
    lx, ly = points[-1][0] * kx + bx, points[-1][1] * ky + by
    return (
        f'<svg class="spark" width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="{escape(label)}"><polyline fill="none" stroke="#1f4e9c" '
        f'stroke-width="1.5" points="{coords}"/><circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.5" '
        'fill="#1f4e9c"/></svg>'
    )


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi - lo < 1e-9:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = (lo // step + 1) * step
    ticks = []
    value = first
    while value < hi:
        ticks.append(round(value, 6))
        value += step
    return ticks


def chart(
    lines: Mapping[str, Sequence[Point]],
    *,
    start: float,
    end: float,
    title: str,
    labels: Mapping[str, str],
    axis: str,
    bands: Mapping[str, Band] | None = None,
    markers: Sequence[float] = (),
    marker_label: str = "alert",
) -> str:
    """A time chart of one or more metrics with target bands and alert markers.

    ``lines`` and ``bands`` are keyed by metric; ``labels`` gives each metric's legend
    (``Systolic (mmHg)``), ``axis`` the vertical axis's caption: a reader never meets a
    metric's machine name.
    """
    width, height = 720.0, 260.0
    left, right, top, bottom = 56.0, 12.0, 28.0, 30.0
    bands = bands or {}
    values = [v for pts in lines.values() for _, v in pts]
    for band in bands.values():
        values += [x for x in (band.low, band.high) if x is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    margin = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - margin, hi + margin
    kx, bx = _scale(start, end, left, width - right)
    ky, by = _scale(lo, hi, height - bottom, top)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" '
        f'height="{height - top - bottom}" fill="#fff" stroke="#767676"/>',
    ]
    for name, band in bands.items():
        if name not in lines:
            continue
        y1 = (band.high if band.high is not None else hi) * ky + by
        y2 = (band.low if band.low is not None else lo) * ky + by
        parts.append(
            f'<rect class="band" x="{left}" y="{y1:.1f}" width="{width - left - right}" '
            f'height="{max(0.0, y2 - y1):.1f}" fill="#2d6a2d" fill-opacity="0.12"/>'
        )
    for tick in _ticks(lo, hi):
        y = tick * ky + by
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#333">{tick:g}</text>'
        )
    middle = (top + height - bottom) / 2
    parts.append(
        f'<text class="axis" transform="translate(14,{middle:.1f}) rotate(-90)" '
        f'text-anchor="middle" font-size="12" fill="#333">{escape(axis)}</text>'
    )
    for moment, anchor in ((start, "start"), ((start + end) / 2, "middle"), (end, "end")):
        x = moment * kx + bx
        day = datetime.fromtimestamp(moment, UTC).strftime("%d/%m")
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}" font-size="12" '
            f'fill="#333">{day}</text>'
        )
    for moment in markers:
        x = moment * kx + bx
        parts.append(
            f'<line class="marker" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" '
            f'stroke="#a3231f" stroke-width="2" stroke-dasharray="4 3"><title>'
            f"{escape(marker_label)}</title></line>"
        )
    for index, (name, pts) in enumerate(lines.items()):
        colour = PALETTE[index % len(PALETTE)]
        coords = " ".join(f"{t * kx + bx:.1f},{v * ky + by:.1f}" for t, v in pts)
        parts.append(
            f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{coords}"/>'
        )
        parts.extend(
            f'<circle cx="{t * kx + bx:.1f}" cy="{v * ky + by:.1f}" r="2.5" fill="{colour}"/>'
            for t, v in pts[-200:]
        )
        parts.append(
            f'<text class="legend" x="{left + 8 + 230 * index}" y="{top - 9}" font-size="13" '
            f'fill="{colour}">■ {escape(labels.get(name, name))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
