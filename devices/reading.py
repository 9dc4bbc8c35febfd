"""The one data model: a `Reading` is what a device measured, in canonical units.

Every driver turns bytes into readings; every other package consumes them.
The kinds, metric names and flags are the wire's vocabulary (`wire.vocabulary`,
re-exported here for drivers): closed sets, a unit in each metric's suffix. A
metric the device marked as not a number (SFLOAT NaN, NRes, ±INF, reserved)
is ``None``, never a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from veille.errors import VeilleError
from wire.vocabulary import FLAGS, METRICS, Kind

__all__ = ["CONVERSATION_ATTRIBUTES", "FLAGS", "METRICS", "InvalidReading", "Kind", "Reading"]


#: Attributes that steer the GATT conversation (a context record follows, more packets
#: follow) rather than describe the measurement: drivers read them, the decode
#: contract does not print them.
CONVERSATION_ATTRIBUTES: frozenset[str] = frozenset({"context_follows", "multiple_packet"})


class InvalidReading(VeilleError):
    """A reading built with an unknown metric or flag: a programming error in a driver."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One measurement as the device reported it, converted to canonical units.

    ``time`` is the device's own clock (naive: BLE Date Time carries no zone),
    or ``None`` when the device sent none. ``user_index`` is the device's user
    slot (multi-user scales and cuffs). ``sequence`` is the device's record
    number where it keeps one (glucose meters; the driver counts on past the
    meter's 16-bit wrap, so ``sequence % 65536`` is the meter's own number).
    """

    kind: Kind
    metrics: Mapping[str, float | None]
    time: datetime | None = None
    user_index: int | None = None
    sequence: int | None = None
    flags: tuple[str, ...] = ()
    attributes: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.metrics) - METRICS.keys()
        if unknown:
            raise InvalidReading(f"unknown metric(s) {sorted(unknown)}; add them to METRICS")
        for name, value in self.metrics.items():
            if value is not None and not math.isfinite(value):
                raise InvalidReading(f"metric {name} is {value}; a non-number must be None")
        bad_flags = set(self.flags) - FLAGS
        if bad_flags:
            raise InvalidReading(f"unknown flag(s) {sorted(bad_flags)}; add them to FLAGS")
        if list(self.flags) != sorted(set(self.flags)):
            object.__setattr__(self, "flags", tuple(sorted(set(self.flags))))
        object.__setattr__(self, "kind", Kind(self.kind))

    def as_decoded(self) -> dict[str, Any]:
        """The JSON object of the decode contract (`veille decode`)."""
        return {
            "kind": self.kind.value,
            "metrics": dict(self.metrics),
            # isoformat pads the year to four digits (strftime's %Y does not on Linux).
            "time": self.time.isoformat(timespec="seconds")[:19] if self.time else None,
            "user_index": self.user_index,
            "sequence": self.sequence,
            "flags": list(self.flags),
            "attributes": {
                name: value
                for name, value in self.attributes.items()
                if name not in CONVERSATION_ATTRIBUTES
            },
        }
