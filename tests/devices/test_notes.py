"""Session notes are typed: the gateway counts rejections by kind, never by substring."""

from __future__ import annotations

import pytest

from devices.driver import Note, NoteKind

COUNTED = {NoteKind.REJECTED, NoteKind.DROPPED}


@pytest.mark.parametrize("kind", list(NoteKind), ids=[k.value for k in NoteKind])
def test_only_rejected_and_dropped_records_count_as_rejections(kind: NoteKind) -> None:
    # a text that merely mentions a rejection does not make the note one
    note = Note(kind, "the scale said: rejected: dropped:", "2A9D")
    assert note.counts_as_rejected is (kind in COUNTED)


def test_a_note_reads_as_its_log_line() -> None:
    assert str(Note(NoteKind.REJECTED, "bad flags at byte 0", "2A9D")) == (
        "2A9D: rejected: bad flags at byte 0"
    )
    assert str(Note(NoteKind.INCOMPLETE, "identification: timeout")) == (
        "incomplete: identification: timeout"
    )
