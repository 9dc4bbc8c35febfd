"""The driver interface: what a device family (ours or a vendor's) gives the gateway.

A driver is data plus code. The data: `Matcher` objects saying which
advertisements it handles, and the characteristics it decodes. The code:
either a GATT conversation (`Driver.run_session`, over a connected
``bleak.BleakClient``) or, for devices that only broadcast,
`AdvertisementDriver.from_advertisement`.

The gateway owns everything around a session: scanning, connecting and
retrying, the outbox, and what it remembers per device (`DeviceState`). A
session hands each `Reading` to ``emit`` (the gateway's durable outbox) and
returns a `SessionResult`; the gateway commits ``result.state`` (for example
the glucose high-water sequence) only when the session returned, so a link
lost half-way leaves the old state and the next session fetches again. A
replayed reading keeps its stable id (`devices.envelope.reading_id`), so a
second delivery is recognised downstream.

Drivers register through the ``veille.devices`` entry-point group (see
`devices.registry`); a vendor package imports only from this module,
`devices.reading` and `devices.conformance`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from devices.drivers.oximeter_stream import StreamSummary
from devices.reading import Reading
from veille.errors import DecodeError, DeviceError, DriverError

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

__all__ = [
    "AdvertisementDriver",
    "BaseDriver",
    "Consent",
    "DecodeError",
    "DeviceError",
    "DeviceInfo",
    "DeviceState",
    "Driver",
    "DriverError",
    "Emit",
    "Matcher",
    "Note",
    "NoteKind",
    "Reading",
    "ScaleUser",
    "SessionResult",
    "StreamSummary",
    "normalize_uuid",
]

#: What a session calls with each reading; it returns once the reading is durable.
Emit = Callable[[Reading], Awaitable[None]]

_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"
_SHORT_UUID = re.compile(r"^(?:0x)?([0-9a-fA-F]{4})$")
_LONG_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def normalize_uuid(uuid: str) -> str:
    """The 128-bit lower-case form bleak reports: ``181b`` -> ``0000181b-0000-1000-...``."""
    text = uuid.strip().lower()
    short = _SHORT_UUID.match(text)
    if short:
        return f"0000{short.group(1).lower()}{_BASE_SUFFIX}"
    if _LONG_UUID.match(text):
        return text
    raise DriverError(f"{uuid!r} is not a Bluetooth UUID (e.g. 181D or a 128-bit UUID)")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One advertisement shape a driver handles; every given key must match.

    ``service_uuid`` matches the advertised service list; a tuple of UUIDs
    needs every one advertised and counts as that many keys (a scale that
    lists both 0x181D and 0x181B is then more precisely claimed than by
    either alone). ``service_data_uuid`` matches a key of the service *data*
    (a Xiaomi scale puts its own format under 0x181B service data, while a
    standard body-composition scale lists 0x181B as a service: different
    keys, different drivers). ``local_name`` is a regular expression matched
    from the start of the name.
    """

    service_uuid: str | tuple[str, ...] | None = None
    service_data_uuid: str | None = None
    manufacturer_id: int | None = None
    local_name: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.service_uuid, tuple):
            # One canonical form, so that equal claims compare equal (ties found at registration).
            both = tuple(sorted({normalize_uuid(u) for u in self.service_uuid}))
            object.__setattr__(self, "service_uuid", both[0] if len(both) == 1 else both or None)
        elif self.service_uuid is not None:
            object.__setattr__(self, "service_uuid", normalize_uuid(self.service_uuid))
        if self.specificity() == 0:
            raise DriverError("a Matcher needs at least one key (service, data, maker, name)")
        if self.service_data_uuid is not None:
            object.__setattr__(self, "service_data_uuid", normalize_uuid(self.service_data_uuid))
        if self.manufacturer_id is not None and not 0 <= self.manufacturer_id <= 0xFFFF:
            raise DriverError(f"manufacturer_id {self.manufacturer_id} is not a 16-bit id")
        if self.local_name is not None:
            try:
                re.compile(self.local_name)
            except re.error as error:
                raise DriverError(f"local_name {self.local_name!r}: {error}") from None

    @property
    def services(self) -> tuple[str, ...]:
        """The advertised services this matcher needs (normalised), none when it needs none."""
        if self.service_uuid is None:
            return ()
        return (self.service_uuid,) if isinstance(self.service_uuid, str) else self.service_uuid

    def specificity(self) -> int:
        """How many keys this matcher checks; the most specific match wins."""
        keys = (self.service_data_uuid, self.manufacturer_id, self.local_name)
        return len(self.services) + sum(key is not None for key in keys)

    def matches(self, name: str | None, advertisement: AdvertisementData) -> bool:
        if not set(self.services) <= {u.lower() for u in advertisement.service_uuids}:
            return False
        if self.service_data_uuid is not None and self.service_data_uuid not in {
            u.lower() for u in advertisement.service_data
        }:
            return False
        if (
            self.manufacturer_id is not None
            and self.manufacturer_id not in advertisement.manufacturer_data
        ):
            return False
        if self.local_name is not None:
            local = advertisement.local_name or name or ""
            if re.match(self.local_name, local) is None:
                return False
        return True


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What Device Information (0x180A) said; quirks are keyed on manufacturer and model."""

    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceState:
    """What the gateway remembers about one device between sessions.

    ``last_sequence`` is the driver's download cursor: the glucose meter's
    high-water record number, counted on past 65535 when the meter's 16-bit
    numbers wrap (see `devices.drivers.glucose`), or for a pulse oximeter the
    device time of the newest spot-check taken (`devices.drivers.oximeter`):
    the next session asks for the records after it. ``users`` are the user
    slots paired on a multi-user scale with the consent code each was
    registered with (User Data Service): the session gives consent for each.
    """

    last_sequence: int | None = None
    users: tuple[ScaleUser, ...] = ()


@dataclass(frozen=True, slots=True)
class ScaleUser:
    """One user slot of a User Data Service scale and its consent code (0-9999)."""

    index: int
    consent_code: int


class Consent(StrEnum):
    """What a User Data Service scale answered when the gateway gave consent for a user."""

    GIVEN = "given"
    #: the scale refused the code: someone re-registered the slot, or the code was mistyped
    REFUSED = "refused"
    #: the scale does not know the slot (deleted on the scale, or the scale was reset)
    UNKNOWN_USER = "unknown_user"
    #: the scale did not answer, or failed the operation
    NO_ANSWER = "no_answer"


class NoteKind(StrEnum):
    """What a session note is about; the gateway counts and reports by kind."""

    #: a record that did not decode (the gateway counts it as rejected)
    REJECTED = "rejected"
    #: a record a model's quirk recognised as not a measurement (counted with the rejected)
    DROPPED = "dropped"
    #: a record left out on purpose: no record number, or one the gateway already has
    SKIPPED = "skipped"
    #: half of a measurement without the other (a glucose context, a multiple-packet weight)
    UNPAIRED = "unpaired"
    #: device information, battery or clock could not be read: readings are unaffected
    INCOMPLETE = "incomplete"
    #: the device's record numbers restarted or wrapped: every record is fetched again
    RESYNC = "resync"
    #: a control-point exchange that failed on the way out (an abort nobody answered)
    PROTOCOL = "protocol"
    #: what the device says it cannot report (an oximeter without signal status)
    CAPABILITY = "capability"
    #: what a driver made of a stream or a partial measurement (samples summarised)
    SUMMARY = "summary"
    #: a multi-user scale refused consent for a user slot: nothing of that slot was taken
    CONSENT = "consent"


@dataclass(frozen=True, slots=True)
class Note:
    """Something a session noticed that is worth a log line, typed so it is matched on kind.

    ``characteristic`` is the 16-bit key (``"2A9D"``) the note is about, if any; ``str``
    gives the log text, ``"2A9D: rejected: reserved flag bits set at byte 0"``.
    """

    kind: NoteKind
    text: str
    characteristic: str | None = None

    def __str__(self) -> str:
        where = f"{self.characteristic}: " if self.characteristic else ""
        return f"{where}{self.kind.value}: {self.text}"

    @property
    def counts_as_rejected(self) -> bool:
        """A record the device sent that the gateway could not publish as a reading."""
        return self.kind in (NoteKind.REJECTED, NoteKind.DROPPED)


@dataclass(frozen=True, slots=True)
class SessionResult:
    """What one GATT session did. Commit ``state`` only because the session returned.

    ``clock_drift_s`` is device clock minus gateway clock before any
    correction (``None`` when the device offers no readable clock);
    ``clock_set`` says whether the session wrote Current Time.
    ``dropped`` counts records a quirk recognised as not measurements.
    """

    device: DeviceInfo
    state: DeviceState
    readings: int = 0
    battery_pct: int | None = None
    clock_drift_s: float | None = None
    clock_set: bool = False
    dropped: int = 0
    notes: tuple[Note, ...] = field(default_factory=tuple)
    #: per user slot of a multi-user scale, what the scale answered to the consent
    consents: tuple[tuple[int, Consent], ...] = ()


class BaseDriver:
    """What every driver declares: a unique ``name`` and its ``matchers``.

    ``characteristics`` lists the GATT characteristics (16-bit hex, ``"2A9D"``)
    the driver decodes; an advertisement-only driver lists none.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    matchers: ClassVar[Sequence[Matcher]] = ()
    characteristics: ClassVar[Sequence[str]] = ()

    def best_match(self, name: str | None, advertisement: AdvertisementData) -> int:
        """The specificity of the most specific matching matcher, 0 when none matches."""
        return max(
            (m.specificity() for m in self.matchers if m.matches(name, advertisement)), default=0
        )


class Driver(BaseDriver):
    """A device the gateway connects to and talks GATT with.

    ``run_session`` is called on a connected client. It must subscribe to
    indications *before* anything that makes the device send its memory,
    read Device Information and Battery when offered, read then set the
    device clock (Current Time 0x2A2B) when offered, hand every reading to
    ``emit`` and return a `SessionResult`. A device that misbehaves or drops
    the link raises `veille.errors.DeviceError`; bytes that break the
    specification raise `DecodeError` from ``decode`` and are reported by the
    driver, never guessed at.

    ``clock`` gives the gateway's local wall time (naive, the patient's time
    zone); the simulator passes its world clock.
    """

    async def run_session(
        self,
        client: BleakClient,
        state: DeviceState,
        emit: Emit,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> SessionResult:
        raise NotImplementedError

    def decode(self, characteristic: str, payload: bytes) -> Reading:
        """One payload of one of ``characteristics``; raises `DecodeError` only."""
        raise NotImplementedError


class AdvertisementDriver(BaseDriver):
    """A device that only broadcasts: its measurements are in its advertisements.

    ``from_advertisement`` returns the readings one advertisement carries
    (often none: an unstable weight, a repeat). A device repeats the same
    advertisement many times; the reading's stable id (device time) makes
    the repeats one reading downstream. Malformed data raises `DecodeError`.
    """

    def from_advertisement(
        self, device: BLEDevice, advertisement: AdvertisementData
    ) -> list[Reading]:
        raise NotImplementedError
