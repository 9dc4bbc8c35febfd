"""Numbers and moments as a reader of the page's language writes them (Babel's CLDR data).

``80,4 kg`` on a French page, ``80.4 kg`` on an English one; days and times in
the viewer's zone. A decimal comma typed in a form is read back by `parse_number`.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import InvalidOperation
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal

from sharing.terms import Language

_LOCALE = {Language.FR: "fr_FR", Language.EN: "en_GB"}


def locale_of(lang: Language) -> str:
    return _LOCALE[lang]


def number(value: float | None, lang: Language, digits: int = 1, *, fixed: bool = False) -> str:
    """``80,4`` / ``80.4``: at most ``digits`` decimals (exactly, when ``fixed``)."""
    if value is None or not math.isfinite(value):
        return "—"
    pattern = "0" if digits == 0 else "0." + ("0" if fixed else "#") * digits
    try:
        return str(format_decimal(value, format=pattern, locale=_LOCALE[lang]))
    except (InvalidOperation, OverflowError):  # 1e308 a store may hold: past Decimal's digits
        text = f"{value:.3g}"
        return text.replace(".", ",") if lang is Language.FR else text


def day(moment: datetime, lang: Language) -> str:
    """``20 nov.`` / ``20 Nov`` (a chart's tick)."""
    return str(format_skeleton("dMMM", moment, locale=_LOCALE[lang]))


def moment(at: datetime, lang: Language, zone: ZoneInfo) -> str:
    """``20/11/2026 08:04`` / ``20/11/2026 08:04`` in ``zone``: day first in both languages."""
    try:
        return at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    except OverflowError:  # 9999-12-31 east of UTC (a store may hold such a time)
        return at.strftime("%d/%m/%Y %H:%M UTC")


def parse_number(text: str) -> float | None:
    """A number typed by a person: ``95,5``, ``95.5``, `` 95 ``; None if it is not one.

    Thousands separators are not accepted (``1,234`` would be ambiguous); infinities
    and NaN are not numbers a person means.
    """
    cleaned = text.strip().replace("\u202f", "").replace(" ", "")
    if cleaned.count(",") + cleaned.count(".") > 1:
        return None
    try:
        value = float(cleaned.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
