"""The ``veille.alert/1`` and ``veille.digest/1`` messages: alerts for trusted integrations.

The rules publish them on `wire.topics.alert` (our own broker: ACLs, TLS) and
post them to signed webhooks; they carry the alert itself with the
pseudonymous patient id, never a name. Channels we do not control get a
sentence and a link instead (`alerts.notify.base`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from wire.message import Message


class AlertMessage(Message):
    """One change of one alert (opened, updated, reopened, resolved)."""

    SCHEMA: ClassVar[str] = "veille.alert/1"

    schema_: Literal["veille.alert/1"] = Field(default="veille.alert/1", alias="schema")
    delivery: str
    alert: str
    change: str
    patient: str
    category: str
    kind: str | None = None
    severity: str
    status: str
    opened_at: AwareDatetime
    message: str
    rule: str
    rules_version: str
    link: str


class DigestMessage(Message):
    """Alerts held back during quiet hours, counted, with a link to the inbox."""

    SCHEMA: ClassVar[str] = "veille.digest/1"

    schema_: Literal["veille.digest/1"] = Field(default="veille.digest/1", alias="schema")
    delivery: str
    count: int
    link: str


class RefusalsMessage(Message):
    """Readings the collector refused from one gateway, for the programme's technical
    contact (`alerts.notify.technical`): counts and a category, never a patient id."""

    SCHEMA: ClassVar[str] = "veille.refusals/1"

    schema_: Literal["veille.refusals/1"] = Field(default="veille.refusals/1", alias="schema")
    delivery: str
    gateway: str
    category: str
    count: int
    new: int
    last_at: AwareDatetime
