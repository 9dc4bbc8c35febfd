"""The one error `wire` raises: a message that is not what its schema says.

`wire` imports nothing of the product, so this is not a `veille.errors.VeilleError`:
it is a `ValueError`, and every reader (collector, gateway, rules, demo) catches it
by this name. The message names the schema, the field and what is wrong; it goes
to the dead letters or the logs, never with the payload's values.
"""

from __future__ import annotations

from pydantic import ValidationError


class PayloadError(ValueError):
    """An MQTT message that is not a valid Veille message; the reason goes to the dead letters."""


def from_validation(schema: str, err: ValidationError) -> PayloadError:
    """The first thing pydantic found wrong, as one line naming the field."""
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return PayloadError(f"invalid {schema} payload: {where}: {first['msg']}")
