"""The publisher against a real mosquitto: acks empty the outbox, refusals are kept."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.settings import GatewaySettings
from tests.gateway.support import Acker
from tests.support.mosquitto import Mosquitto
from tests.support.waits import eventually
from veille.mqtt import BrokerSettings
from wire import topics
from wire.status import Status

pytestmark = pytest.mark.integration


def _settings(tmp_path: Path, **extra: Any) -> GatewaySettings:
    return GatewaySettings(id="gw-1", data_dir=tmp_path, republish_after_s=0.5, **extra)


async def _pumping(publisher: Publisher) -> asyncio.Task[None]:
    await publisher.connect()
    await eventually(lambda: publisher.connected, what="connected")
    return asyncio.create_task(publisher.pump())


async def _stop(task: asyncio.Task[None], publisher: Publisher) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    publisher.close()


def test_acked_readings_leave_the_outbox_and_rejected_ones_are_set_aside(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    acker = Acker(mosquitto.port)
    ids = [f"{n:032x}" for n in range(20)]
    acker.reject.add(ids[7])
    publisher = Publisher(_settings(tmp_path), mosquitto.settings(), outbox, _online)

    async def scenario() -> None:
        task = await _pumping(publisher)
        for ident in ids:
            outbox.add(ident, topics.reading("gw-1", "weight"), f'{{"id": "{ident}"}}'.encode())
            publisher.offer(ident, 0.0)
        await eventually(lambda: outbox.depth().waiting == 0, what="outbox drained")
        await _stop(task, publisher)

    asyncio.run(scenario())
    acker.close()
    assert sorted(set(acker.ids())) == ids
    assert outbox.set_aside_reasons() == {ids[7]: "test rejects it"}
    assert publisher.counters.acked == 19
    assert publisher.counters.rejected == 1


def _online() -> Status:
    return Status(state="online")


ACL = f"""
topic readwrite {topics.status("gw-1")}
topic read {topics.ack("gw-1")}
"""


@pytest.fixture
def guarded(tmp_path: Path) -> Any:
    """A mosquitto whose ACL lets the gateway publish its status but no reading."""
    acl = tmp_path / "acl"
    acl.write_text(ACL)
    with Mosquitto(tmp_path / "guarded", extra_config=f"acl_file {acl}") as broker:
        yield broker


def test_a_publish_refused_with_0x87_is_kept_and_reported(
    guarded: Mosquitto, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    publisher = Publisher(_settings(tmp_path), guarded.settings(protocol="5"), outbox, _online)
    ident = "ab" * 16

    async def scenario() -> None:
        task = await _pumping(publisher)
        outbox.add(ident, topics.reading("gw-1", "weight"), b"{}")
        publisher.offer(ident, 0.0)
        await eventually(lambda: publisher.counters.refused >= 2, what="refused twice")
        await _stop(task, publisher)

    asyncio.run(scenario())
    depth = outbox.depth()
    assert (depth.waiting, depth.refused) == (1, 1)
    assert publisher.counters.published == 0
    assert publisher.counters.last_refusal is not None
    assert "0x87" in publisher.counters.last_refusal


def test_mqtt_311_publishes_and_drains_too(mosquitto: Mosquitto, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    acker = Acker(mosquitto.port)
    settings: BrokerSettings = mosquitto.settings(protocol="3.1.1")
    publisher = Publisher(_settings(tmp_path), settings, outbox, _online)

    async def scenario() -> None:
        task = await _pumping(publisher)
        assert publisher.conn is not None
        assert not publisher.conn.is_v5
        outbox.add("cd" * 16, topics.reading("gw-1", "glucose"), b'{"id": "' + b"cd" * 16 + b'"}')
        publisher.offer("cd" * 16, 0.0)
        await eventually(lambda: outbox.depth().waiting == 0, what="outbox drained")
        await _stop(task, publisher)

    asyncio.run(scenario())
    acker.close()
    assert publisher.counters.published == 1


def test_unacked_readings_are_republished_oldest_first_at_a_bounded_rate(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    acker = Acker(mosquitto.port, ack=False)  # the collector is away: nothing is acked
    settings = _settings(tmp_path, republish_per_s=10.0)
    publisher = Publisher(settings, mosquitto.settings(), outbox, _online)
    ids = [f"{n:032x}" for n in range(60)]

    async def scenario() -> None:
        task = await _pumping(publisher)
        for ident in ids:
            outbox.add(ident, topics.reading("gw-1", "weight"), f'{{"id": "{ident}"}}'.encode())
            publisher.offer(ident, 0.0)
        await eventually(lambda: len(acker.ids()) >= 60, what="first publish of all")
        first_round = len(acker.ids())
        # the first moment 15 have come again: a bucket of 10 then 10/s, never the 60 at once
        await eventually(lambda: len(acker.ids()) >= first_round + 15, 30, "republishes")
        republished = acker.ids()[first_round:]
        await _stop(task, publisher)
        assert 15 <= len(republished) <= 45  # a starved event loop looks late, never all 60
        assert republished[:10] == ids[:10]  # oldest first

    asyncio.run(scenario())
    acker.close()
    assert outbox.depth().waiting == 60
