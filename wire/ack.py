"""The ``veille.ack/1`` message: the collector tells a gateway what it has stored.

A contract: the gateway deletes an outbox row only when its id is in ``ids``
(durably stored), and sets aside a row whose id is in ``rejected`` (the
collector read the id but the reading is invalid: resending it would fail
forever). Published QoS 1 on `wire.topics.ack`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from wire.message import Message

SCHEMA = "veille.ack/1"

ReadingId = Annotated[str, Field(min_length=1, max_length=64)]


class Rejected(BaseModel):
    """A reading the collector will never store, and why (for the gateway's records)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: ReadingId
    reason: Annotated[str, Field(max_length=500)]


class Ack(Message):
    """Reading ids stored (``ids``) or refused for good (``rejected``)."""

    SCHEMA: ClassVar[str] = SCHEMA

    schema_: Literal["veille.ack/1"] = Field(default="veille.ack/1", alias="schema")
    ids: list[ReadingId] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)
