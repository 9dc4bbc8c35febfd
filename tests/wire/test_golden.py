"""Each message version against its golden file: what a reader of that version must accept.

A golden file is frozen once its version ships: a change that breaks one is a
new version (a new schema string, a new file), never an edit of the old file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from wire.ack import Ack
from wire.alert import AlertMessage, DigestMessage, RefusalsMessage
from wire.deadletter import DeadLetterMessage
from wire.errors import PayloadError
from wire.message import Message
from wire.reading import WireReading
from wire.status import Status

GOLDEN = Path(__file__).parent / "golden"

#: golden file -> the model that reads and writes it
MESSAGES: dict[str, type[Message]] = {
    "veille.reading-1.json": WireReading,
    "veille.ack-1.json": Ack,
    "veille.status-1.online.json": Status,
    "veille.status-1.offline.json": Status,
    "veille.deadletter-1.json": DeadLetterMessage,
    "veille.alert-1.json": AlertMessage,
    "veille.digest-1.json": DigestMessage,
    "veille.refusals-1.json": RefusalsMessage,
}


def _golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / name).read_text())
    return data


def test_every_golden_file_has_its_model() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == sorted(MESSAGES)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_the_golden_message_reads_and_writes_back_unchanged(name: str) -> None:
    model = MESSAGES[name]
    text = (GOLDEN / name).read_text()
    message = model.decode(text)
    assert message.schema_ == model.SCHEMA  # type: ignore[attr-defined]
    assert json.loads(message.encode()) == json.loads(text)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_readers_ignore_fields_they_do_not_know(name: str) -> None:
    """A newer writer may add fields: an older reader reads the rest, the same."""
    model = MESSAGES[name]
    data = _golden(name)
    newer = {**data, "added_in_a_later_release": {"nested": [1, 2]}}
    read = model.decode(json.dumps(newer))
    assert read == model.decode(json.dumps(data))
    assert "added_in_a_later_release" not in json.loads(read.encode())  # writers never send it


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_another_version_is_refused_with_its_name(name: str) -> None:
    model = MESSAGES[name]
    data = _golden(name)
    later = model.SCHEMA.rsplit("/", 1)[0] + "/2"
    with pytest.raises(PayloadError, match="schema"):
        model.decode(json.dumps({**data, "schema": later}))


def test_a_nested_unknown_field_is_ignored_too() -> None:
    data = _golden("veille.reading-1.json")
    data["device"]["firmware"] = "1.2.3"
    assert WireReading.decode(json.dumps(data)).device.address == "C4:7C:8D:6A:11:02"
    status = _golden("veille.status-1.online.json")
    status["devices"]["C4:7C:8D:6A:11:02"]["rssi_dbm"] = -70
    status["outbox"]["oldest_s"] = 12.5
    read = Status.decode(json.dumps(status))
    assert read.outbox is not None
    assert read.outbox.depth == 2


def test_the_last_will_carries_the_state_alone() -> None:
    assert json.loads(Status(state="offline").encode()) == _golden("veille.status-1.offline.json")


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"not json", "invalid veille.reading/1 payload: payload"),
        (b"[" * 5000, "invalid veille.reading/1 payload"),
        (b'{"schema": "veille.reading/1"}', "id"),
    ],
)
def test_a_bad_reading_says_what_is_wrong(payload: bytes, words: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(words)):
        WireReading.decode(payload)
