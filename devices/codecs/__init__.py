"""Pure codecs of the Bluetooth SIG health characteristics: bytes ⇄ `Reading`.

One module per characteristic. Each exposes ``decode(payload) -> Reading``,
``encode(reading, **options) -> bytes`` and a `Codec` named ``CODEC`` that
`devices.decode` collects into its table. Decoders have no state, clock,
logging or I/O; conversations (RACP, joining context, time sync) belong to
drivers. Flags are named once per characteristic, as `enum.IntFlag`, from the
specification's tables.

Encoder options (keyword-only, all default to what a typical device sends):

- ``weight``, ``body_composition``: ``imperial`` (lb / in instead of kg / m).
- ``blood_pressure``, ``intermediate_cuff_pressure``: ``kpa`` (kPa instead
  of mmHg), ``with_status`` (force the measurement status field on or off;
  by default present when the reading has a status flag).
- ``glucose``: ``mol_per_l`` (mol/L instead of kg/L), ``time_offset_min``
  (send ``time - offset`` as base time plus this offset), ``with_status``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from devices.reading import Kind, Reading


@dataclass(frozen=True, slots=True)
class Codec:
    """A characteristic Veille decodes into readings: its UUID, name and two functions."""

    uuid: str
    name: str
    kind: Kind
    decode: Callable[[bytes], Reading]
    encode: Callable[..., bytes]

    def __call__(self, payload: bytes) -> Reading:
        return self.decode(payload)
