"""The one tolerance rule every Veille message follows, in one base class.

Readers ignore fields they do not know, so a newer sender (a gateway updated
before its collector, or the reverse) never strands an older reader; writers
never send a field their model does not declare, because they serialise the
model, never a hand-built dict. A change a reader cannot ignore is a new
version: a new schema string (``veille.ack/2``), a new model, a new golden file.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from wire.errors import from_validation


class Message(BaseModel):
    """A versioned MQTT message; subclasses set `SCHEMA` and a ``schema_`` literal."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    SCHEMA: ClassVar[str]

    def encode(self) -> bytes:
        """Compact JSON bytes for MQTT: the declared fields, by their wire names."""
        return self.model_dump_json(by_alias=True).encode()

    def as_json(self) -> dict[str, Any]:
        """The message as plain JSON types (for JSON lines files and webhooks)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def decode(cls, payload: bytes | bytearray | str) -> Self:
        """Parse and validate; raises `wire.PayloadError` naming the field that is wrong."""
        try:
            return cls.model_validate_json(payload)
        except ValidationError as err:
            raise from_validation(cls.SCHEMA, err) from err
