"""A BlueZ pairing agent (``org.bluez.Agent1`` over D-Bus, with dbus-fast).

bleak registers no agent, so a device that shows a PIN or asks for a
passkey (many glucose meters and cuffs) cannot bond without one. This agent
is registered only while `veille pair --bond` runs, and answers for the one
device being paired: the PIN or passkey the installer typed (``--pin``), a
numeric comparison only when it matches that passkey, and nothing at all for
any other device (a neighbour cannot pair with the gateway meanwhile).

The decisions live in `AgentPolicy` (plain Python, tested directly); the
D-Bus surface is `PairingAgent`, tested against a private dbus-daemon. What
cannot be tested without a radio is BlueZ itself calling us.
"""

# dbus-fast reads the D-Bus signature from each annotation string ("o", "s", "u")
# and needs ``-> None`` as the object None, so this module does not use
# ``from __future__ import annotations``; mypy cannot read D-Bus signatures.
# mypy: disable-error-code="name-defined,valid-type"

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from dbus_fast import BusType, DBusError, Message, MessageType
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_method

from veille import logs
from veille.errors import DeviceError

log = logs.get("gateway.agent")

AGENT_PATH = "/org/veille/gateway/agent"
REJECTED = "org.bluez.Error.Rejected"
CANCELED = "org.bluez.Error.Canceled"


def device_suffix(address: str) -> str:
    """BlueZ's object name for a device: ``AA:BB:..`` -> ``dev_AA_BB_..``."""
    return "dev_" + address.upper().replace(":", "_")


@dataclass(slots=True)
class AgentPolicy:
    """What to answer BlueZ while pairing ``address`` with the installer's ``pin``."""

    address: str
    pin: str | None = None
    show: Callable[[str], None] = print
    answered: list[str] = field(default_factory=list)

    def _ours(self, device_path: str) -> None:
        if not device_path.endswith("/" + device_suffix(self.address)):
            self.answered.append(f"refused {device_path}")
            raise DBusError(REJECTED, f"this agent only pairs {self.address}")

    def pin_code(self, device_path: str) -> str:
        self._ours(device_path)
        if not self.pin:
            raise DBusError(REJECTED, "the device wants a PIN: run veille pair with --pin")
        self.answered.append("pin")
        return self.pin

    def passkey(self, device_path: str) -> int:
        self._ours(device_path)
        if not self.pin or not self.pin.isdigit() or int(self.pin) > 999_999:
            raise DBusError(REJECTED, "the device wants a 6-digit passkey: use --pin 123456")
        self.answered.append("passkey")
        return int(self.pin)

    def display(self, device_path: str, code: str) -> None:
        self._ours(device_path)
        self.answered.append("display")
        self.show(f"type {code} on the device to pair it")

    def confirm(self, device_path: str, passkey: int) -> None:
        self._ours(device_path)
        shown = f"{passkey:06d}"
        if self.pin is not None and self.pin != shown:
            raise DBusError(REJECTED, f"the device shows {shown}, not the --pin given")
        self.answered.append("confirmed")
        self.show(f"confirmed passkey {shown}")

    def authorize(self, device_path: str) -> None:
        self._ours(device_path)
        self.answered.append("authorized")


class PairingAgent(ServiceInterface):
    """``org.bluez.Agent1``: each method defers to the policy."""

    def __init__(self, policy: AgentPolicy) -> None:
        super().__init__("org.bluez.Agent1")
        self.policy = policy

    @dbus_method()
    def Release(self) -> None:  # noqa: N802 (D-Bus names)
        log.info("agent_released")

    @dbus_method()
    def RequestPinCode(self, device: "o") -> "s":  # noqa: N802, F821
        return self.policy.pin_code(device)

    @dbus_method()
    def DisplayPinCode(self, device: "o", pincode: "s") -> None:  # noqa: N802, F821
        self.policy.display(device, pincode)

    @dbus_method()
    def RequestPasskey(self, device: "o") -> "u":  # noqa: N802, F821
        return self.policy.passkey(device)

    @dbus_method()
    def DisplayPasskey(self, device: "o", passkey: "u", entered: "q") -> None:  # noqa: N802, F821
        self.policy.display(device, f"{passkey:06d}")

    @dbus_method()
    def RequestConfirmation(self, device: "o", passkey: "u") -> None:  # noqa: N802, F821
        self.policy.confirm(device, passkey)

    @dbus_method()
    def RequestAuthorization(self, device: "o") -> None:  # noqa: N802, F821
        self.policy.authorize(device)

    @dbus_method()
    def AuthorizeService(self, device: "o", uuid: "s") -> None:  # noqa: N802, F821
        self.policy.authorize(device)

    @dbus_method()
    def Cancel(self) -> None:  # noqa: N802
        log.warning("agent_request_cancelled")


async def _call(bus: MessageBus, member: str, signature: str, body: list[object]) -> None:
    reply = await bus.call(
        Message(
            destination="org.bluez",
            path="/org/bluez",
            interface="org.bluez.AgentManager1",
            member=member,
            signature=signature,
            body=body,
        )
    )
    if reply is None or reply.message_type == MessageType.ERROR:
        detail = reply.body[0] if reply is not None and reply.body else "no reply"
        raise DeviceError(
            f"BlueZ refused {member}: {detail} (is bluetoothd running, and may this user "
            "talk to it? see docs/pi-install.md)"
        )


@contextlib.asynccontextmanager
async def registered_agent(
    pin: str | None,
    address: str,
    *,
    bus_address: str | None = None,
    show: Callable[[str], None] = print,
) -> AsyncIterator[AgentPolicy]:
    """Our agent registered (and made default) with BlueZ for the duration of a bond."""
    bus = MessageBus(bus_address=bus_address, bus_type=BusType.SYSTEM)
    await bus.connect()
    policy = AgentPolicy(address=address, pin=pin, show=show)
    bus.export(AGENT_PATH, PairingAgent(policy))
    capability = "KeyboardDisplay" if pin else "NoInputNoOutput"
    try:
        await _call(bus, "RegisterAgent", "os", [AGENT_PATH, capability])
        await _call(bus, "RequestDefaultAgent", "o", [AGENT_PATH])
        yield policy
    finally:
        with contextlib.suppress(DeviceError):
            await _call(bus, "UnregisterAgent", "o", [AGENT_PATH])
        bus.disconnect()
