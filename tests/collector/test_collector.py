"""The collector on a real mosquitto: valid readings stored once, invalid ones
dead-lettered with their reason, acks only for what is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters
from collector.sqlite_store import SqliteStore
from devices.reading import Kind
from tests.collector.admit import admission
from tests.collector.factory import wire
from tests.collector.peers import Ears, as_message, publish, running
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from wire import topics

pytestmark = pytest.mark.integration


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[SqliteStore, DeadLetters]]:
    store = SqliteStore(tmp_path / "readings.sqlite")
    letters = DeadLetters(tmp_path / "deadletter.sqlite")
    yield store, letters
    store.close()
    letters.close()


def _collector(
    mosquitto: Mosquitto, store: SqliteStore, letters: DeadLetters, **kw: object
) -> Collector:
    settings = CollectorSettings.model_validate(
        {"client_id": "test-collector", "batch_size": 50, "flush_interval_s": 0.05, **kw}
    )
    admit = admission(
        store.path.parent,
        gateways=("gw-00", "gw-01", "gw-02"),
        patients=("p-0", "p-1", "p-2", "p-0001", "p-0002"),
    )
    return Collector(settings, mosquitto.settings(), store, letters, admit)


def _invalid_messages() -> list[tuple[str, bytes, str | None, str]]:
    """(topic, payload, readable id or None, a word the reason must contain)."""
    good = wire(900)
    data = json.loads(good.encode())
    unknown_metric = {**data, "id": "a" * 32, "metrics": {"weight_stones": 11.0}}
    wrong_gateway = {**data, "id": "b" * 32, "gateway": "gw-99"}
    no_patient = {k: v for k, v in data.items() if k != "patient"} | {"id": "c" * 32}
    topic = topics.reading("gw-01", "blood_pressure")
    return [
        (topic, b"not json at all", None, "invalid"),
        (topic, json.dumps(unknown_metric).encode(), "a" * 32, "unknown metric"),
        (topic, json.dumps(wrong_gateway).encode(), "b" * 32, "gateway"),
        (topic, json.dumps(no_patient).encode(), "c" * 32, "patient"),
        (topics.reading("gw-01", "weight"), (wire(901)).encode(), wire(901).id, "kind"),
        (topic, json.dumps([1, 2, 3]).encode(), None, "invalid"),
    ]


@pytest.mark.parametrize("client", ["fast", "paho"])
def test_a_burst_of_invalid_payloads_never_blocks_the_valid_ones(
    mosquitto: Mosquitto, parts: tuple[SqliteStore, DeadLetters], client: str
) -> None:
    """With either MQTT client (`collector.fastclient`, or stock paho as the fallback)."""
    store, letters = parts
    valid = [wire(n, gateway=f"gw-0{n % 3}", patient=f"p-{n % 3}") for n in range(300)]
    invalid = _invalid_messages() * 10  # 60 invalid messages
    messages = [as_message(r) for r in valid]
    mixed: list[tuple[str, bytes]] = []
    for index, message in enumerate(messages):
        mixed.append(message)
        if index % 5 == 0 and invalid:
            topic, payload, _id, _word = invalid.pop()
            mixed.append((topic, payload))
    mixed.extend((t, p) for t, p, _i, _w in invalid)
    ears = Ears(mosquitto.port)
    with running(_collector(mosquitto, store, letters, client=client)) as collector:
        publish(mosquitto.port, mixed)
        wait_until(lambda: collector.stats.stored + collector.stats.dead == len(mixed), what="all")
        wait_until(lambda: len(ears.dead) == 60, what="dead letters on MQTT")
        wait_until(lambda: len(set(ears.acked_ids())) == 300, what="acks")
        wait_until(lambda: len(ears.rejected()) == 4, what="rejections")
    ears.close()

    assert store.count() == 300
    assert sorted(ears.acked_ids()) == sorted(r.id for r in valid)
    expected = {i: word for _t, _p, i, word in _invalid_messages() if i is not None}
    rejected = ears.rejected()
    assert set(rejected) == set(expected)
    for reading_id, word in expected.items():
        assert word in rejected[reading_id]
    dead = letters.all()
    assert len(dead) == 60
    by_payload = {x.payload: x for x in dead}
    for topic, payload, readable, word in _invalid_messages():
        letter = by_payload[payload]
        assert word in letter.reason
        assert (letter.reading_id, letter.topic, letter.gateway) == (readable, topic, "gw-01")
    assert {d["reason"] for d in ears.dead} == {x.reason for x in dead}


def test_the_same_reading_delivered_twice_is_stored_once_and_acked(
    mosquitto: Mosquitto, parts: tuple[SqliteStore, DeadLetters]
) -> None:
    store, letters = parts
    ears = Ears(mosquitto.port)
    reading = wire(1, kind=Kind.GLUCOSE)
    with running(_collector(mosquitto, store, letters)) as collector:
        publish(mosquitto.port, [as_message(reading)])
        wait_until(lambda: collector.stats.stored == 1)
        publish(mosquitto.port, [as_message(reading), as_message(reading)])
        wait_until(lambda: collector.stats.stored == 3)
        wait_until(lambda: reading.id in ears.acked_ids(), what="the ack")
    ears.close()
    assert store.count() == 1
    assert set(ears.acked_ids()) == {reading.id}
    assert [r.id for r in store.readings("p-0001")] == [reading.id]


def test_nothing_is_acked_before_it_is_stored(
    mosquitto: Mosquitto, parts: tuple[SqliteStore, DeadLetters]
) -> None:
    """Every id a gateway hears about is already in the store when it hears it."""
    store, letters = parts
    seen_missing: list[str] = []
    ears = Ears(mosquitto.port)
    original = ears._on_message

    def check_then_record(client: object, userdata: object, msg: object) -> None:
        original(client, userdata, msg)  # type: ignore[arg-type]
        stored = {r.id for r in store.readings("p-0001")}
        seen_missing.extend(i for i in ears.acked_ids() if i not in stored)

    ears.client.on_message = check_then_record
    readings = [wire(n) for n in range(120)]
    with running(_collector(mosquitto, store, letters)) as collector:
        publish(mosquitto.port, [as_message(r) for r in readings])
        wait_until(lambda: collector.stats.stored == 120)
        wait_until(lambda: len(ears.acked_ids()) == 120)
    ears.close()
    assert seen_missing == []
