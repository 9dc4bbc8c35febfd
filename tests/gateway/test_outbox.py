"""The outbox keeps every reading until the collector acks it, across restarts and kills."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.outbox import Outbox, OutboxFull


def test_a_reading_added_twice_is_kept_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    assert box.add("a" * 32, "t", b"1") is True
    assert box.add("a" * 32, "t", b"1") is False
    assert box.depth().waiting == 1


def test_rows_leave_only_on_ack_and_an_acked_id_is_not_taken_again(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    for n in range(3):
        box.add(f"id{n}", "t", b"x")
    box.mark_sent(["id0", "id1", "id2"])
    box.mark_published(["id0"])
    assert box.depth().waiting == 3
    assert box.acknowledge(["id0", "id1", "unknown"]) == 2
    assert [r.id for r in box.due(older_than_s=0, limit=10)] == ["id2"]
    assert box.add("id0", "t", b"x") is False  # a device replaying its memory
    assert box.depth().waiting == 1


def test_due_is_oldest_first_and_waits_for_the_republish_timeout(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    for n in range(5):
        box.add(f"id{n}", "t", b"x")
    assert [r.id for r in box.due(older_than_s=60, limit=3)] == ["id0", "id1", "id2"]
    box.mark_sent(["id0", "id1"])
    assert [r.id for r in box.due(older_than_s=60, limit=10)] == ["id2", "id3", "id4"]
    assert [r.id for r in box.due(older_than_s=0, limit=2)] == ["id0", "id1"]
    assert box.due(older_than_s=0, limit=1, exclude=["id0"])[0].id == "id1"
    assert box.due(older_than_s=0, limit=1)[0].attempts == 1


def test_a_refused_publish_is_kept_with_its_reason(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add("id0", "t", b"x")
    box.mark_sent(["id0"])
    box.mark_refused("id0", "Not authorized (0x87)")
    depth = box.depth()
    assert (depth.waiting, depth.refused) == (1, 1)


def test_a_rejected_reading_is_set_aside_with_its_reason_not_dropped(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add("id0", "t", b"x")
    assert box.set_aside("id0", "unknown metric") is True
    assert box.set_aside_reasons() == {"id0": "unknown metric"}
    assert box.depth().waiting == 0
    assert box.depth().set_aside == 1


def test_at_the_bound_new_readings_are_refused_and_nothing_is_dropped(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", max_rows=10)
    for n in range(10):
        box.add(f"id{n}", "t", b"x")
    assert box.full
    assert box.depth().full
    with pytest.raises(OutboxFull, match="bound 10"):
        box.add("id10", "t", b"x")
    assert [r.id for r in box.due(older_than_s=0, limit=100)] == [f"id{n}" for n in range(10)]
    box.acknowledge(["id0"])
    assert not box.depth().full  # (box.full: mypy still holds it True from above)
    assert box.add("id10", "t", b"x") is True


def test_the_outbox_survives_a_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add("id0", "t", b"payload")
    box.close()
    again = Outbox(tmp_path / "o.sqlite")
    assert [(r.id, r.payload) for r in again.due(older_than_s=0, limit=5)] == [("id0", b"payload")]


WRITER = """
import sys
from gateway.outbox import Outbox
box = Outbox(__import__('pathlib').Path(sys.argv[1]))
n = 0
while True:
    box.add(f"id{n:06d}", "t", b"x" * 200)
    if n % 3 == 0:
        box.acknowledge([f"id{n:06d}"])
    print(n, flush=True)
    n += 1
"""


def test_kill_9_while_writing_loses_no_row_it_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    confirmed = -1
    deadline = time.monotonic() + 30
    while confirmed < 300 and time.monotonic() < deadline:
        confirmed = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    box = Outbox(path)
    waiting = {r.id for r in box.due(older_than_s=0, limit=100_000)}
    expected = {f"id{n:06d}" for n in range(confirmed + 1) if n % 3 != 0}
    assert expected <= waiting
    assert not any(f"id{n:06d}" in waiting for n in range(0, confirmed + 1, 3))
    box.close()


def test_a_clock_that_jumped_back_does_not_strand_a_reading(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add("id0", "t", b"x")
    box.mark_sent(["id0"])
    assert box.due(older_than_s=600, limit=5) == []
    with sqlite3.connect(tmp_path / "o.sqlite") as db:  # sent "tomorrow": the clock went back
        db.execute("UPDATE outbox SET sent = ?", (time.time() + 86_400,))
    assert [r.id for r in box.due(older_than_s=600, limit=5)] == ["id0"]
    box.close()
