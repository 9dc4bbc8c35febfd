"""The BlueZ pairing agent at the D-Bus message level, on a private dbus-daemon.

BlueZ itself is not here: a small stand-in exports ``org.bluez.AgentManager1``
on the private bus so registration is checked, and the test calls the agent's
``org.bluez.Agent1`` methods as bluetoothd would.
"""

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_method

from gateway.agent import AGENT_PATH, AgentPolicy, registered_agent
from tests.support.waits import eventually

ADDRESS = "A4:C1:38:00:00:03"
OURS = "/org/bluez/hci0/dev_A4_C1_38_00_00_03"
NEIGHBOUR = "/org/bluez/hci0/dev_11_22_33_44_55_66"


@pytest.fixture
def bus_address(tmp_path: Path) -> Iterator[str]:
    daemon = shutil.which("dbus-daemon")
    assert daemon, "dbus-daemon is missing: apt install dbus"
    config = tmp_path / "bus.conf"
    config.write_text(
        f"""<busconfig>
  <type>session</type>
  <listen>unix:path={tmp_path}/bus</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"""
    )
    process = subprocess.Popen(
        [daemon, "--config-file", str(config), "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    address = process.stdout.readline().decode().strip()
    try:
        yield address
    finally:
        process.terminate()
        process.wait(5)
        process.stdout.close()


class FakeAgentManager(ServiceInterface):
    """What bluetoothd offers at /org/bluez, recording calls."""

    def __init__(self) -> None:
        super().__init__("org.bluez.AgentManager1")
        self.calls: list[tuple[str, ...]] = []

    @dbus_method()
    def RegisterAgent(self, agent: "o", capability: "s") -> None:  # type: ignore[name-defined]  # noqa: N802, F821
        self.calls.append(("register", agent, capability))

    @dbus_method()
    def RequestDefaultAgent(self, agent: "o") -> None:  # type: ignore[name-defined]  # noqa: N802, F821
        self.calls.append(("default", agent))

    @dbus_method()
    def UnregisterAgent(self, agent: "o") -> None:  # type: ignore[name-defined]  # noqa: N802, F821
        self.calls.append(("unregister", agent))


async def _ask(
    bus: MessageBus, to: str, member: str, signature: str, body: list[object]
) -> Message:
    reply = await bus.call(
        Message(
            destination=to,
            path=AGENT_PATH,
            interface="org.bluez.Agent1",
            member=member,
            signature=signature,
            body=body,
        )
    )
    assert reply is not None
    return reply


def test_the_agent_registers_answers_for_its_device_only_and_unregisters(
    bus_address: str,
) -> None:
    shown: list[str] = []

    async def scenario() -> tuple[list[tuple[str, ...]], list[str]]:
        bluez = await MessageBus(bus_address=bus_address).connect()
        manager = FakeAgentManager()
        bluez.export("/org/bluez", manager)
        await bluez.request_name("org.bluez")
        async with registered_agent(
            "123456", ADDRESS, bus_address=bus_address, show=shown.append
        ) as policy:
            agent_name = next(
                c for c in await _names(bluez) if c.startswith(":") and c != bluez.unique_name
            )
            pin = await _ask(bluez, agent_name, "RequestPinCode", "o", [OURS])
            assert (pin.message_type, pin.body) == (MessageType.METHOD_RETURN, ["123456"])
            key = await _ask(bluez, agent_name, "RequestPasskey", "o", [OURS])
            assert key.body == [123456]
            ok = await _ask(bluez, agent_name, "RequestConfirmation", "ou", [OURS, 123456])
            assert ok.message_type == MessageType.METHOD_RETURN
            wrong = await _ask(bluez, agent_name, "RequestConfirmation", "ou", [OURS, 654321])
            assert (wrong.message_type, wrong.error_name) == (
                MessageType.ERROR,
                "org.bluez.Error.Rejected",
            )
            stranger = await _ask(bluez, agent_name, "RequestPinCode", "o", [NEIGHBOUR])
            assert stranger.error_name == "org.bluez.Error.Rejected"
            await _ask(bluez, agent_name, "DisplayPasskey", "ouq", [OURS, 42, 0])
            answered = list(policy.answered)
        await eventually(lambda: ("unregister", AGENT_PATH) in manager.calls, 10, "unregister")
        bluez.disconnect()
        return manager.calls, answered

    calls, answered = asyncio.run(scenario())
    assert calls == [
        ("register", AGENT_PATH, "KeyboardDisplay"),
        ("default", AGENT_PATH),
        ("unregister", AGENT_PATH),
    ]
    assert answered == [
        "pin",
        "passkey",
        "confirmed",
        f"refused {NEIGHBOUR}",
        "display",
    ]
    assert shown == ["confirmed passkey 123456", "type 000042 on the device to pair it"]


async def _names(bus: MessageBus) -> list[str]:
    reply = await bus.call(
        Message(
            destination="org.freedesktop.DBus",
            path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus",
            member="ListNames",
        )
    )
    assert reply is not None
    names: list[str] = reply.body[0]
    return names


def test_without_a_pin_a_pin_request_is_refused_with_advice() -> None:
    policy = AgentPolicy(address=ADDRESS, pin=None, show=lambda _t: None)
    with pytest.raises(Exception, match="--pin"):
        policy.pin_code(OURS)
    policy.confirm(OURS, 1234)  # just-works comparison with no PIN given: accepted
    assert policy.answered == ["confirmed"]
