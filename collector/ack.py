"""The `veille.ack/1` message: the collector tells a gateway what it has stored.

A contract with the gateway: it deletes an outbox row only when its id is in
``ids`` (durably stored), and sets aside a row whose id is in ``rejected``
(the collector read the id but the reading is invalid: resending it would
fail forever). Published QoS 1 on `veille.mqtt.ack_topic(gateway_id)`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from veille.errors import PayloadError

SCHEMA = "veille.ack/1"

ReadingId = Annotated[str, Field(min_length=1, max_length=64)]


class Rejected(BaseModel):
    """A reading the collector will never store, and why (for the gateway's records)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: ReadingId
    reason: Annotated[str, Field(max_length=500)]


class Ack(BaseModel):
    """Reading ids stored (``ids``) or refused for good (``rejected``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["veille.ack/1"] = Field(default="veille.ack/1", alias="schema")
    ids: list[ReadingId] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)


def encode_ack(ack: Ack) -> bytes:
    """Compact JSON bytes for MQTT."""
    return ack.model_dump_json(by_alias=True).encode()


def decode_ack(payload: bytes | str) -> Ack:
    """Parse an ack; raises `PayloadError` with the reason."""
    try:
        return Ack.model_validate_json(payload)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise PayloadError(f"invalid {SCHEMA} message: {where}: {first['msg']}") from err
