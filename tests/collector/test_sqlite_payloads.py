"""SQLite keeps the collector's validated payloads as they came; readers get the reading."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path

from collector.sqlite_store import SqliteStore
from tests.collector.factory import wire
from wire.reading import WireReading


def test_a_payload_kept_as_it_came_reads_back_as_the_reading_it_validated_to(
    tmp_path: Path,
) -> None:
    reading = wire(1, flags=("irregular_pulse", "body_movement"))
    # what another gateway might send: spaced out, a +02:00 offset, a flag repeated
    data = json.loads(reading.encode())
    data["received"] = reading.received.astimezone(timezone(timedelta(hours=2))).isoformat()
    data["flags"] = ["irregular_pulse", "body_movement", "irregular_pulse"]
    payload = json.dumps(data, indent=1).encode()
    validated = WireReading.decode(payload)
    store = SqliteStore(tmp_path / "readings.sqlite")
    try:
        store.write_batch([validated], [payload])
        store.write_batch([validated], [payload])  # a redelivery: still one row

        assert store.count() == 1
        [back] = list(store.readings(reading.patient))
        assert back == validated
        assert back.flags == ["body_movement", "irregular_pulse"]
        assert back.received == reading.received  # the same instant
        assert store.latest(reading.patient) == [validated]
    finally:
        store.close()
