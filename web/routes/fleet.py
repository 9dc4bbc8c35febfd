"""``GET /api/v1/gateways``: the fleet's health for the coordinator, and for a nurse
the gateways of her team's patients (`fleet.view`). Other roles: 403, logged."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from fleet.view import GatewayView, gateways, team_gateways
from sharing.models import Professional
from sharing.terms import Role
from web.deps import CurrentUser, NowDep, SessionDep, log
from web.schemas import Problem

router = APIRouter()

#: who may read the fleet: the coordinator all of it, a nurse her team's homes
FLEET_ROLES = frozenset({Role.COORDINATOR.value, Role.NURSE.value})


@router.get(
    "/api/v1/gateways",
    response_model=list[GatewayView],
    tags=["fleet"],
    responses={
        401: {"model": Problem, "description": "not signed in"},
        403: {"model": Problem, "description": "neither coordinator nor nurse (logged)"},
    },
)
def list_gateways(user: CurrentUser, session: SessionDep, now: NowDep) -> list[GatewayView]:
    """Each gateway's state, last contact, outbox, clock drift, version and devices."""
    if user.role not in FLEET_ROLES or user.professional_id is None:
        log.info("access_refused", what="fleet", role=user.role, account=user.account_id)
        raise HTTPException(status_code=403, detail="not allowed")
    if user.role == Role.COORDINATOR.value:
        return gateways(session)
    professional = session.get(Professional, user.professional_id)
    if professional is None or professional.team_id is None:
        return []
    return gateways(session, team_gateways(session, professional.team_id, now))
