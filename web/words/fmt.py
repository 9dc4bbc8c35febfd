"""`Words`: the catalogue in one language and one time zone, numbers and times by Babel.

A page gets one `Words` for its viewer: a professional reads times in the
team's zone (``[web] time_zone``, Europe/Paris by default), a patient in
their own; either way the zone is printed where a time stands alone
(``20 nov. 2026 10:00 UTC+01:00``). Numbers carry the locale's decimal sign
(``3,0`` / ``3.0``).
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.numbers import format_decimal

from sharing.terms import Language
from sharing.texts import text as sharing_text
from web.metric_labels import METRIC_NAMES
from web.words.catalogue import CATEGORIES, FLAGS, METRIC_SHORT, RULES, entries

_LOCALES = {Language.FR: "fr_FR", Language.EN: "en_GB"}
_ENTRIES = entries()


def zone_of(name: str | None, fallback: str = "Europe/Paris") -> ZoneInfo:
    """A zone by its IANA name; an unknown or empty one falls back (a page still renders)."""
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


class Words:
    """Messages, numbers and times for one viewer (language, time zone)."""

    __slots__ = ("lang", "locale", "zone")

    def __init__(self, lang: Language, zone: ZoneInfo) -> None:
        self.lang = lang
        self.zone = zone
        self.locale = _LOCALES[lang]

    def _pick(self, entry: tuple[str, str]) -> str:
        return entry[1] if self.lang is Language.EN else entry[0]

    def say(self, key: str, **params: object) -> str:
        """The message ``key`` with ``params`` (already formatted strings or ints)."""
        return self._pick(_ENTRIES[key]).format(**params)

    # --- numbers ----------------------------------------------------------

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None or not math.isfinite(value):
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        try:
            return format_decimal(value, pattern, locale=self.locale)
        except decimal.InvalidOperation:  # beyond what a decimal quantizes (1e300)
            return format_decimal(value, "0.###E0", locale=self.locale)

    def signed(self, value: float, digits: int = 1) -> str:
        text = self.number(abs(value), digits)
        return ("+" if value >= 0 else "−") + text

    # --- times ------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone)

    def when(self, moment: datetime | None, *, zone: bool = True) -> str:
        """``20 nov. 2026 10:00 UTC+01:00``: a time that stands alone says its zone."""
        if moment is None:
            return "—"
        return self._format(moment, "d MMM y HH:mm" + (" ZZZZ" if zone else ""))

    def _format(self, moment: datetime, pattern: str) -> str:
        """A stored moment a zone cannot hold (year 9999 + offset) is printed as stored."""
        try:
            return format_datetime(self.local(moment), pattern, locale=self.locale)
        except (OverflowError, ValueError):
            return moment.isoformat(sep=" ", timespec="minutes")

    def short(self, moment: datetime | None) -> str:
        """``20/11 10:00`` in a table whose heading says the zone."""
        if moment is None:
            return "—"
        return self._format(moment, "dd/MM HH:mm")

    def day(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return self._format(moment, "d MMM y")

    def zone_label(self, moment: datetime | None = None) -> str:
        """``UTC+01:00`` (``GMT+01:00`` in English) at ``moment`` (now's offset if None)."""
        return self._format(moment or datetime.now(UTC), "ZZZZ")

    # --- clinical words ---------------------------------------------------

    def category(self, category: str) -> str:
        entry = CATEGORIES.get(category)
        return self._pick(entry) if entry else self.say("resolution.unknown")

    def rule(self, name: str) -> str:
        """A rule's clinical name; a rule the catalogue lacks reads as its category would."""
        entry = RULES.get(name)
        return self._pick(entry) if entry else "—"

    def flag(self, code: str) -> str:
        entry = FLAGS.get(code)
        return self._pick(entry) if entry else "—"

    def flags(self, codes: Iterable[str] | str | None) -> str:
        if not codes:
            return ""
        if isinstance(codes, str):
            codes = [c for c in codes.replace(";", ",").split(",") if c.strip()]
        return ", ".join(self.flag(code.strip()) for code in codes)

    def metric(self, name: str) -> str:
        """A metric's full name (``Systolique``), from `web.metric_labels`."""
        entry = METRIC_NAMES.get(name)
        if entry is None:
            return "—"
        return entry[1] if self.lang is Language.EN else entry[0]

    def metric_short(self, name: str) -> str:
        entry = METRIC_SHORT.get(name)
        return self._pick(entry) if entry else self.metric(name).lower()

    def unit(self, name: str) -> str:
        entry = METRIC_NAMES.get(name)
        return entry[2] if entry else ""

    @staticmethod
    def op(op: str) -> str:
        """A rule's comparison as printed (``≥``, never ``>=``)."""
        return {">=": "≥", "<=": "≤"}.get(op, op)

    def kind(self, kind: str) -> str:
        return sharing_text(f"kind.{kind}", self.lang.value)
