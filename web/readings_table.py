"""The readings table of one kind: clinical column order, flags in words, the device, CSV.

Columns follow `web.metric_labels.METRIC_NAMES` (systolic, diastolic, mean
arterial, pulse — the order a clinician reads a cuff), never the alphabet.
The CSV holds exactly what the page shows to this viewer: the route reaches
it through the same kind capability (and its audit row) as the page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from collector.store import ReadingStore
from devices.reading import Kind
from sharing.terms import Language
from sharing.texts import CATALOGUE
from sharing.texts import text as sharing_text
from web import localnum
from web.i18n import t
from web.metric_labels import METRIC_NAMES, metric_label
from wire.reading import WireReading

_ORDER = {name: index for index, name in enumerate(METRIC_NAMES)}
#: The column a clinician reads first where the shared order would put another first
#: (an oximeter's saturation before the pulse it shares with the cuff).
_LEAD: Mapping[Kind, str] = {Kind.SPO2: "spo2_pct", Kind.SPO2_CONTINUOUS: "spo2_pct"}


@dataclass(frozen=True, slots=True)
class ReadingRow:
    at: datetime
    values: tuple[float | None, ...]
    flags: tuple[str, ...]  # in words
    device: str


@dataclass(frozen=True, slots=True)
class ReadingsTable:
    kind: Kind
    metrics: tuple[str, ...]
    rows: tuple[ReadingRow, ...]  # newest first


def flag_words(flag: str, lang: Language) -> str:
    key = f"flag.{flag}"
    return sharing_text(key if key in CATALOGUE else "problem.other", lang)


def device_words(reading: WireReading, lang: Language) -> str:
    """The model when the device told it, else what kind of device it is."""
    return reading.device.model or sharing_text(f"device.{reading.kind.value}", lang)


def clinical_order(metrics: set[str], kind: Kind | None = None) -> tuple[str, ...]:
    lead = _LEAD.get(kind) if kind is not None else None
    return tuple(sorted(metrics, key=lambda m: (m != lead, _ORDER.get(m, len(_ORDER)), m)))


def readings_table(
    store: ReadingStore, patient: str, kind: Kind, start: datetime, end: datetime, lang: Language
) -> ReadingsTable:
    readings: Sequence[WireReading] = [
        r for r in store.readings(patient, since=start, kind=kind) if r.time < end
    ]
    metrics = clinical_order({m for r in readings for m in r.metrics}, kind)
    rows = tuple(
        ReadingRow(
            r.time,
            tuple(r.metrics.get(m) for m in metrics),
            tuple(flag_words(f, lang) for f in r.flags),
            device_words(r, lang),
        )
        for r in reversed(readings)
    )
    return ReadingsTable(kind, metrics, rows)


def to_csv(table: ReadingsTable, lang: Language, zone: ZoneInfo) -> str:
    """The table as a spreadsheet reads it in ``lang``: French with ``;`` and decimal
    commas (what a French spreadsheet expects), English with ``,`` and points; times
    ISO 8601 with their offset in ``zone``; a byte-order mark so accents survive."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang is Language.FR else ",", lineterminator="\r\n")
    writer.writerow(
        [
            t("time", lang),
            *(metric_label(m, lang) for m in table.metrics),
            t("flags", lang),
            t("device", lang),
        ]
    )
    for row in table.rows:
        writer.writerow(
            [
                row.at.astimezone(zone).isoformat(timespec="seconds"),
                *("" if v is None else localnum.number(v, lang, 2) for v in row.values),
                "; ".join(row.flags),
                row.device,
            ]
        )
    return "\ufeff" + out.getvalue()
