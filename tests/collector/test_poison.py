"""Hostile payloads never stop the collector, and a payload that did is never read again."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters, readable_id
from collector.poison import POISON_REASON, PoisonJournal, digest
from collector.sqlite_store import SqliteStore
from collector.store import dead_letter_path, sqlite_path
from tests.collector.admit import admission, database_url, pair_all
from tests.collector.factory import wire
from tests.collector.peers import Ears, as_message, publish, running
from tests.collector.process import collector_process
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from wire import topics

DEEP = b"[" * 5000  # issue 17, finding 1: 5 KB that raised RecursionError


@pytest.mark.parametrize(
    "payload",
    [DEEP, b"{" * 5000, b'{"id":' * 5000, b"\xff\xfe\x00", b"[" * 300_000, b'"\\ud800"'],
    ids=["brackets", "braces", "nested-objects", "invalid-utf8", "huge", "lone-surrogate"],
)
def test_no_payload_makes_readable_id_raise(payload: bytes) -> None:
    assert readable_id(payload) is None


@pytest.mark.integration
def test_deep_nesting_is_dead_lettered_and_the_running_collector_stays_up(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """The real `veille collector run`: before the fix it exited on the first such message
    and again on every restart (the broker redelivers what was never acknowledged)."""
    data = tmp_path / "data"
    pair_all(database_url(data), ["gw-01"], ["p-0001"])
    ears = Ears(mosquitto.port)
    with collector_process(data, mosquitto.url, tmp_path / "collector.log") as process:
        publish(mosquitto.port, [(topics.reading("gw-01", "weight"), DEEP)])
        publish(mosquitto.port, [as_message(wire(1))])
        store = SqliteStore(sqlite_path(data))
        wait_until(lambda: store.count() == 1 or process.poll() is not None, what="the reading")
        assert process.poll() is None, (tmp_path / "collector.log").read_text()[-2000:]
        assert store.count() == 1
        wait_until(lambda: len(ears.dead) == 1, what="the dead letter")
        store.close()
    ears.close()
    letters = DeadLetters(dead_letter_path(data))
    [letter] = letters.all()
    letters.close()
    assert letter.payload == DEEP
    assert "recursion" in letter.reason


def _died_while_handling(path: Path, client_id: str, digests: list[bytes], alone: bool) -> None:
    """What a process leaves in its journal when it dies in the middle of a batch."""
    journal = PoisonJournal(path, client_id)
    journal.begin(digests, alone=alone)
    journal.close()  # never `end`: the process is gone


def test_the_journal_turns_a_dead_batch_into_suspects_then_a_lone_death_into_poison(
    tmp_path: Path,
) -> None:
    path, a, b = tmp_path / "poison.sqlite", digest("t", b"a"), digest("t", b"b")
    _died_while_handling(path, "c1", [a, b], alone=False)
    journal = PoisonJournal(path, "c1")
    verdicts = journal.judge([b, a, digest("t", b"c")])
    assert (verdicts.suspect, verdicts.poison) == (frozenset({0, 1}), frozenset())
    entry = journal.begin([a], alone=True)
    journal.end(entry, cleared=[a])  # `a` handled alone and lived: innocent
    journal.begin([b], alone=True)
    journal.close()  # died while handling `b` alone
    again = PoisonJournal(path, "c1")
    verdicts = again.judge([a, b])
    assert (verdicts.suspect, verdicts.poison) == (frozenset(), frozenset({1}))
    again.close()
    other = PoisonJournal(path, "c2")  # another worker of the same host knows it too
    assert other.judge([b]).poison == {0}
    other.close()


@pytest.mark.integration
def test_a_payload_that_killed_the_collector_is_dead_lettered_unread_and_acked(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """After a death, the batch's messages go one by one (innocent ones stored); one that
    killed the process alone is dead-lettered without being parsed, and acknowledged."""
    store = SqliteStore(tmp_path / "readings.sqlite")
    letters = DeadLetters(tmp_path / "deadletter.sqlite")
    poison_at = tmp_path / "poison.sqlite"
    innocent, killer = wire(1), wire(2)
    topic, payload = as_message(killer)
    _died_while_handling(poison_at, "c", [digest(*as_message(innocent))], alone=False)
    _died_while_handling(poison_at, "c", [digest(topic, payload)], alone=True)
    journal = PoisonJournal(poison_at, "c")
    settings = CollectorSettings(client_id="c", batch_size=10, ack_interval_s=0)
    ears = Ears(mosquitto.port)
    collector = Collector(
        settings, mosquitto.settings(), store, letters, admission(tmp_path), journal
    )
    with running(collector):
        publish(mosquitto.port, [as_message(innocent), (topic, payload), as_message(wire(3))])
        wait_until(lambda: store.count() == 2 and len(ears.dead) == 1, what="stored and dead")
        wait_until(lambda: killer.id in ears.rejected(), what="the killer acked as rejected")
    ears.close()
    assert sorted(ears.acked_ids()) == sorted([innocent.id, wire(3).id])
    assert [x.reason for x in letters.all()] == [POISON_REASON]
    assert journal.judge([digest(*as_message(innocent))]).suspect == set()  # cleared
    journal.close()
    store.close()
    letters.close()
