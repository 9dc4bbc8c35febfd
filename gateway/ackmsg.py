"""The `veille.ack/1` message as the gateway reads it.

A wire contract with the collector (which owns the sending side): the field
names are identical, but the gateway parses it with its own model, because a
gateway never imports the server side. Extra fields are ignored so a newer
collector can add some without stranding old gateways.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from veille.errors import PayloadError

ReadingId = Annotated[str, Field(min_length=1, max_length=64)]


class RejectedId(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: ReadingId
    reason: Annotated[str, Field(max_length=500)]


class AckMessage(BaseModel):
    """Reading ids the collector stored (``ids``) or refused for good (``rejected``)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    schema_: Literal["veille.ack/1"] = Field(alias="schema")
    ids: list[ReadingId] = Field(default_factory=list)
    rejected: list[RejectedId] = Field(default_factory=list)


def parse_ack(payload: bytes | bytearray) -> AckMessage:
    """Validate an ack; raises `PayloadError` saying what is wrong."""
    try:
        return AckMessage.model_validate_json(payload)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise PayloadError(f"invalid veille.ack/1 message: {where}: {first['msg']}") from err
