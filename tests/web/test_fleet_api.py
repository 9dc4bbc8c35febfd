"""``GET /api/v1/gateways``: the coordinator sees every gateway, a nurse only her team's
homes, other roles get a logged 403."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from collector.pairings import pair, unpair
from fleet.record import record
from sharing.identities import add_professional
from sharing.terms import Role
from tests.web.conftest import signed_in
from tests.web.world import NOW, World, password
from web.accounts import create_account
from wire.status import OFFLINE, DeviceHeartbeat, OutboxHeartbeat, Status


def _online(gateway: str, at: datetime) -> Status:
    return Status(
        state="online",
        gateway=gateway,
        outbox=OutboxHeartbeat(
            depth=3, unpublished=0, refused=0, set_aside=0, bound=100, full=False, oldest_s=420.0
        ),
        devices={
            "AA:BB:CC:00:00:01": DeviceHeartbeat(
                last_seen=at - timedelta(hours=1),
                last_reading=at - timedelta(hours=3),
                battery_pct=15,
                driver="ble_weight",
                kinds=["weight"],
            )
        },
        sent_at=at + timedelta(seconds=400),
        version="0.9.1",
    )


@pytest.fixture
def fleet(world: World) -> World:
    """Three homes: Rouge's (cardiology), Ailleurs' (the other team), one that served Vert."""
    with world.sessions() as s, s.begin():
        coordinator = add_professional(s, "Chloé (coordination)", Role.COORDINATOR)
        create_account(s, "chloe", password("chloe"), now=NOW, professional_id=coordinator.id)
        pair(s, "gw-rouge", "p-red", now=NOW - timedelta(days=30))
        pair(s, "gw-ailleurs", "p-other", now=NOW - timedelta(days=30))
        pair(s, "gw-ancien", "p-green", now=NOW - timedelta(days=30))
        unpair(s, "gw-ancien", "p-green", now=NOW - timedelta(days=2))
        at = NOW - timedelta(days=3)
        for gateway in ("gw-rouge", "gw-ailleurs", "gw-ancien"):
            record(s, gateway, _online(gateway, at), received_at=at, retained=False)
        record(s, "gw-rouge", OFFLINE, received_at=NOW - timedelta(days=2), retained=False)
    return world


def _ids(client: TestClient) -> list[str]:
    response = client.get("/api/v1/gateways")
    assert response.status_code == 200, response.text
    return [g["id"] for g in response.json()]


def test_the_coordinator_sees_every_gateway_with_its_health(fleet: World, app: FastAPI) -> None:
    with signed_in(app, "chloe") as coordinator:
        body = coordinator.get("/api/v1/gateways").json()
    assert [g["id"] for g in body] == ["gw-ailleurs", "gw-ancien", "gw-rouge"]
    rouge = body[2]
    assert rouge["state"] == "offline"
    assert rouge["last_seen"] == "2026-11-17T09:00:00Z"
    assert rouge["outbox"] == {"pending": 3, "oldest_s": 420.0}
    assert (rouge["clock_drift_s"], rouge["version"]) == (400.0, "0.9.1")
    (device,) = rouge["devices"]
    assert device["address"] == "AA:BB:CC:00:00:01"
    assert (device["driver"], device["kinds"], device["battery_pct"]) == (
        "ble_weight",
        ["weight"],
        15,
    )
    assert device["last_contact"] == "2026-11-17T08:00:00Z"
    assert device["last_reading"] == "2026-11-17T06:00:00Z"


def test_a_nurse_sees_only_her_teams_homes(
    fleet: World, nurse: TestClient, stranger: TestClient
) -> None:
    assert _ids(nurse) == ["gw-rouge"]  # not the other team's, not the ended pairing
    assert _ids(stranger) == ["gw-ailleurs"]


def test_other_roles_are_refused_and_logged(
    fleet: World, physician: TestClient, red_patient: TestClient, app: FastAPI
) -> None:
    with capture_logs() as logs:
        assert physician.get("/api/v1/gateways").status_code == 403
        assert red_patient.get("/api/v1/gateways").status_code == 403
    refused = [e for e in logs if e["event"] == "access_refused" and e.get("what") == "fleet"]
    assert [e["role"] for e in refused] == ["physician", "patient"]
    anonymous = TestClient(app).get("/api/v1/gateways")
    assert anonymous.status_code == 401
