"""The table of characteristics Veille decodes into readings, and `decode` over it.

Keys are 16-bit UUIDs as four upper-case hex digits (``"2A9D"``);
`characteristic_key` also accepts ``0x2a9d`` and the full 128-bit form on
the Bluetooth base UUID, as bleak reports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from devices.codecs import Codec
from devices.codecs import blood_pressure as _blood_pressure
from devices.codecs import body_composition as _body_composition
from devices.codecs import glucose as _glucose
from devices.codecs import glucose_context as _glucose_context
from devices.codecs import intermediate_cuff_pressure as _icp
from devices.codecs import intermediate_temperature as _intermediate_temperature
from devices.codecs import plx_continuous as _plx_continuous
from devices.codecs import plx_spot_check as _plx_spot_check
from devices.codecs import temperature as _temperature
from devices.codecs import weight as _weight
from devices.codecs.glucose_context import join_context
from devices.reading import Reading
from veille.errors import DecodeError

CHARACTERISTICS: Mapping[str, Codec] = MappingProxyType(
    {
        codec.uuid: codec
        for codec in (
            _weight.CODEC,
            _body_composition.CODEC,
            _blood_pressure.CODEC,
            _icp.CODEC,
            _glucose.CODEC,
            _glucose_context.CODEC,
            _plx_spot_check.CODEC,
            _plx_continuous.CODEC,
            _temperature.CODEC,
            _intermediate_temperature.CODEC,
        )
    }
)

_SHORT = re.compile(r"^(?:0x)?([0-9a-f]{4})$")
_BASE = re.compile(r"^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$")


def characteristic_key(char: str) -> str:
    """``"2A9D"`` for ``2a9d``, ``0x2A9D`` or ``00002a9d-0000-1000-8000-00805f9b34fb``."""
    text = char.strip().lower()
    match = _SHORT.match(text) or _BASE.match(text)
    if match is None:
        raise DecodeError(f"{char!r} is not a 16-bit characteristic UUID such as 2A9D")
    return match.group(1).upper()


def decode(char: str, payload: bytes) -> Reading:
    """Decode ``payload`` of characteristic ``char``; unknown ones raise `DecodeError`."""
    key = characteristic_key(char)
    codec = CHARACTERISTICS.get(key)
    if codec is None:
        raise DecodeError(
            f"characteristic {key} is not one Veille decodes; known: {', '.join(CHARACTERISTICS)}"
        )
    return codec.decode(payload)


__all__ = ["CHARACTERISTICS", "Codec", "characteristic_key", "decode", "join_context"]
