"""The ``veille.deadletter/1`` message: what the collector could not accept, and why.

Published on `wire.topics.DEAD_LETTER` after the payload is kept in the
collector's dead-letter file, so an operator's tool sees refusals as they
happen. The payload travels as text, capped (`MAX_PAYLOAD`): the file keeps
the bytes whole.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from wire.message import Message

SCHEMA = "veille.deadletter/1"

#: Characters of the refused payload the message carries (the file keeps it all).
MAX_PAYLOAD = 65_536


class DeadLetterMessage(Message):
    """One refused message: its topic, the gateway and reading id when readable, the reason."""

    SCHEMA: ClassVar[str] = SCHEMA

    schema_: Literal["veille.deadletter/1"] = Field(default="veille.deadletter/1", alias="schema")
    topic: str
    gateway: str | None = None
    id: str | None = None
    reason: str
    received: AwareDatetime
    payload: str
