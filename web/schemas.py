"""Pydantic models of the JSON API: what every `/api/v1` route returns, for OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from alerts.terms import Category, Severity, Status
from devices.reading import Kind


class Problem(BaseModel):
    detail: str


class AccountOut(BaseModel):
    username: str
    role: str
    patient_id: str | None
    professional_id: int | None


class KindLatest(BaseModel):
    kind: Kind
    time: datetime | None
    metrics: dict[str, float | None]


class TriageItem(BaseModel):
    patient_id: str
    label: str
    level: Literal["urgent", "warning", "stopped", "ok"]
    open_alerts: int
    adherence_pct: int | None
    last_reading: datetime | None
    latest: list[KindLatest]


class ReadingOut(BaseModel):
    id: str
    kind: Kind
    time: datetime
    metrics: dict[str, float | None]
    flags: list[str]


class AlertOut(BaseModel):
    id: str
    patient_id: str
    category: Category
    kind: Kind | None
    severity: Severity
    status: Status
    opened_at: datetime
    message: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    ack_note: str | None
    resolved_at: datetime | None


class AcknowledgeIn(BaseModel):
    note: str = Field(default="", max_length=1000)


class GrantOut(BaseModel):
    id: int
    recipient_type: str
    recipient_label: str | None
    kinds: list[Kind]
    alerts: bool
    starts_at: datetime
    ends_at: datetime
    status: str


class AuditLineOut(BaseModel):
    at: datetime
    text: str
    result: str


class BundleEntry(BaseModel):
    fullUrl: str  # noqa: N815 (FHIR's own name)
    resource: dict[str, JsonValue]
    search: dict[str, str] | None = None


class Bundle(BaseModel):
    """A FHIR R4 Bundle of Observations (``searchset`` or ``collection``)."""

    resourceType: Literal["Bundle"]  # noqa: N815 (FHIR's own name)
    type: Literal["searchset", "collection"]
    timestamp: str
    total: int | None = None
    entry: list[BundleEntry]
