"""Care team pages: triage list, alert inbox, emergency access (a patient's own pages are
in `web.routes.team_patient`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from alerts.inbox import alerts_for, timeline
from alerts.terms import Severity, Status
from sharing.breakglass import open_break_glass
from sharing.errors import InvalidRequest
from sharing.models import Patient, Professional
from sharing.visibility import may_see_alert
from veille.errors import NotAllowed, StoreError
from web import alert_actions
from web.deps import (
    AlertAccessDep,
    CsrfChecked,
    LangDep,
    NowDep,
    ServicesDep,
    SessionDep,
    TeamCaps,
    professional_id_of,
)
from web.deps import Professional as ProfessionalDep
from web.i18n import t
from web.routes.render import page
from web.views import triage_rows

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


@router.get("/team", response_class=HTMLResponse)
def triage(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    caps: TeamCaps,
    lang: LangDep,
    now: NowDep,
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    summaries = services.summaries.get_many(list(caps), now)
    rows = triage_rows(session, caps, summaries, now)
    shown = rows[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
    return page(
        request,
        services,
        "triage.html",
        lang=lang,
        user=user,
        title=t("triage", lang),
        rows=shown,
        total=len(rows),
        page_no=page_no,
        pages=max(1, -(-len(rows) // PAGE_SIZE)),
        now=now,
    )


@router.get("/team/alerts", response_class=HTMLResponse)
def inbox(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    caps: TeamCaps,
    lang: LangDep,
    severity: Severity | None = None,
    state: Status | None = None,
) -> HTMLResponse:
    statuses = (state,) if state else (Status.OPEN, Status.ACKNOWLEDGED)
    found = alerts_for(session, list(caps), statuses=statuses, limit=500)
    shown = [
        a
        for a in found
        if a.patient in caps
        and may_see_alert(caps[a.patient], a)
        and (severity is None or a.severity is severity)
    ]
    labels = dict(
        session.execute(
            select(Patient.id, Patient.label).where(Patient.id.in_({a.patient for a in shown}))
        ).all()
    )
    timelines = {a.id: timeline(session, a.id) for a in shown[:100]}
    return page(
        request,
        services,
        "inbox.html",
        lang=lang,
        user=user,
        title=t("inbox", lang),
        alerts=shown,
        labels=labels,
        timelines=timelines,
        severity=severity,
        state=state,
        severities=list(Severity),
        states=list(Status),
    )


def _actor(session: SessionDep, user: ProfessionalDep) -> str:
    professional = session.get(Professional, user.professional_id)
    return professional.display_name if professional else user.username


@router.post("/team/alerts/{alert_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge(
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    access: AlertAccessDep,
    now: NowDep,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> RedirectResponse:
    try:
        alert_actions.acknowledge(
            services.sessions, access.alert.id, _actor(session, user), now, note.strip()
        )
    except StoreError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return RedirectResponse("/team/alerts", status_code=303)


@router.post("/team/alerts/{alert_id}/resolve", dependencies=[CsrfChecked])
def resolve(
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    access: AlertAccessDep,
    now: NowDep,
) -> RedirectResponse:
    alert_actions.resolve(services.sessions, access.alert.id, _actor(session, user), now)
    return RedirectResponse("/team/alerts", status_code=303)


@router.get("/team/patients/{patient_id}/break-glass", response_class=HTMLResponse)
def break_glass_form(
    patient_id: str, request: Request, services: ServicesDep, user: ProfessionalDep, lang: LangDep
) -> HTMLResponse:
    return page(
        request,
        services,
        "break_glass.html",
        lang=lang,
        user=user,
        title=t("break_glass", lang),
        patient_id=patient_id,
        error=None,
    )


@router.post(
    "/team/patients/{patient_id}/break-glass", dependencies=[CsrfChecked], response_model=None
)
def break_glass(
    patient_id: str,
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    lang: LangDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Emergency access (sharing decides, notifies the patient and audits the reason); a
    reason too short gives the form again, the words kept, the error next to the field."""
    try:
        open_break_glass(session, professional_id_of(user), patient_id, reason, now=now)
    except InvalidRequest:
        session.rollback()
        return page(
            request,
            services,
            "break_glass.html",
            lang=lang,
            user=user,
            title=t("break_glass", lang),
            patient_id=patient_id,
            error=None,
            errors={"reason": t("glass_reason", lang)},
            typed=reason,
            status_code=422,
        )
    except NotAllowed as exc:
        raise HTTPException(status_code=403, detail="not allowed") from exc
    return RedirectResponse(f"/team/patients/{patient_id}", status_code=303)
