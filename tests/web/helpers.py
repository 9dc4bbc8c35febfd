"""Small readers for web tests: the audit log as rows, a page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from sharing.models import AuditEntry
from tests.web.world import World


def audit(world: World, patient: str) -> list[AuditEntry]:
    with world.sessions() as s:
        return list(
            s.scalars(
                select(AuditEntry).where(AuditEntry.patient_id == patient).order_by(AuditEntry.id)
            )
        )


def last_refusal(world: World, patient: str) -> AuditEntry:
    refused = [e for e in audit(world, patient) if e.result == "refused"]
    assert refused, f"no refused attempt audited for {patient}"
    return refused[-1]


def csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)
