"""The one exception tree of Veille.

::

    VeilleError
     ├── DecodeError          a GATT payload that does not follow its specification
     ├── EncodeError          a reading that no GATT payload can carry (simulator, time sync)
     ├── DriverError          a driver that is missing, broken or ambiguous
     ├── StoreError           a time-series or relational store that failed
     │    └── StoreUnavailable    down or unreachable: retry later, never drop
     ├── ConfigError          a configuration that cannot work
     ├── DeviceError          a BLE device that misbehaved during a conversation
     ├── NotAllowed           a sharing check refused access (web answers 403)
     ├── NotReady             an object used before it was set up (connect() first)
     └── Inconsistent         data or state that breaks a promise made elsewhere

An MQTT message that is not what its schema says raises `wire.PayloadError`
(a `ValueError`): `wire` imports nothing of the product, this module included.

Foreign exceptions (bleak, paho, sqlite3, urllib3) are wrapped once, at the
edge that calls them. Messages say what went wrong, where, and what to try.
"""


class VeilleError(Exception):
    """Root of every error Veille raises on purpose."""


class DecodeError(VeilleError):
    """A payload that cannot be decoded; ``offset`` is where decoding stopped."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        self.offset = offset
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{message}{where}")
        self.reason = message


class EncodeError(VeilleError):
    """A value a characteristic cannot carry (too large for an SFLOAT, unknown enum name)."""


class DriverError(VeilleError):
    """A driver that cannot be loaded or two drivers that claim the same device."""


class StoreError(VeilleError):
    """A store refused or failed an operation."""


class StoreUnavailable(StoreError):
    """The store cannot be reached now; callers keep the data and retry."""


class ConfigError(VeilleError):
    """A configuration value that cannot work; the message names the key."""


class DeviceError(VeilleError):
    """A BLE device that refused, dropped the link or answered out of protocol."""


class NotAllowed(VeilleError):
    """Access refused by sharing: no grant, expired, revoked, or another patient's data.

    ``reason`` is a short machine code (``no_grant``, ``expired``, ``revoked``,
    ``other_patient``, ``code_expired``, ...; see `sharing.terms.Reason`) that
    the audit log and the API report; the message is for people.
    """

    def __init__(self, message: str, *, reason: str = "not_allowed") -> None:
        super().__init__(message)
        self.reason = reason


class NotReady(VeilleError):
    """An object used before the call that sets it up (``connect()``, joining a radio).

    A programming error, raised instead of an ``assert`` so it survives ``python -O``.
    """


class Inconsistent(VeilleError):
    """Data or state that breaks a promise made elsewhere: a bug, or a hand-edited database.

    For instance a grant with neither a team nor a professional (a check constraint says
    one of them is set), or a factory that built another class than asked. Raised instead
    of an ``assert`` so it survives ``python -O``; the message names the row or object.
    """
