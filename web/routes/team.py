"""Care team pages: triage list, alert inbox, emergency access (a patient's own pages are
in `web.routes.team_patient`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from alerts.inbox import timeline
from sharing.breakglass import JustificationNeeded, open_break_glass, previous_in_a_row
from sharing.errors import InvalidRequest
from sharing.models import Patient, Professional
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
from web.inbox_view import (
    INBOX_STATES,
    SEVERITIES,
    alert_context,
    inbox_alerts,
    parse_filters,
    to_review_count,
)
from web.routes.render import page
from web.triage_list import STATES, search, triage_rows

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
    q: Annotated[str, Query(max_length=100)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The team's patients by severity then time; searched by name, filtered by state."""
    summaries = services.summaries.get_many(list(caps), now)
    state = state if state in STATES else ""
    rows = search(triage_rows(session, caps, summaries, now), q, state)
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
        q=q,
        state=state,
        states=STATES,
        nav_count=to_review_count(session, caps),
    )


@router.get("/team/alerts", response_class=HTMLResponse)
def inbox(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    caps: TeamCaps,
    lang: LangDep,
    now: NowDep,
    severity: Annotated[str, Query(max_length=20)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The alerts to work on; by default what still needs someone, including alerts
    whose condition cleared by itself but that no professional has reviewed yet."""
    severity, state = parse_filters(severity, state)
    shown = inbox_alerts(session, caps, severity=severity, state=state)
    labels = dict(
        session.execute(
            select(Patient.id, Patient.label).where(Patient.id.in_({a.patient for a in shown}))
        ).all()
    )
    first = shown[:100]
    timelines = {a.id: timeline(session, a.id) for a in first}
    contexts = {a.id: alert_context(services.store, a, caps[a.patient], now) for a in first}
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
        contexts=contexts,
        severity=severity,
        state=state,
        severities=SEVERITIES,
        states=INBOX_STATES,
        nav_count=to_review_count(session, caps),
    )


def _actor(session: SessionDep, user: ProfessionalDep) -> str:
    professional = session.get(Professional, user.professional_id)
    return professional.display_name if professional else user.username


def _back(request: Request) -> str:
    """Back to the inbox view the action was taken from (its filters kept)."""
    query = request.url.query
    return "/team/alerts" + (f"?{query}" if query else "")


@router.post("/team/alerts/{alert_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge(
    request: Request,
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
    return RedirectResponse(_back(request), status_code=303)


@router.post("/team/alerts/{alert_id}/resolve", dependencies=[CsrfChecked])
def resolve(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    access: AlertAccessDep,
    now: NowDep,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> RedirectResponse:
    alert_actions.resolve(
        services.sessions, access.alert.id, _actor(session, user), now, note.strip() or None
    )
    return RedirectResponse(_back(request), status_code=303)


@router.post("/team/alerts/{alert_id}/review", dependencies=[CsrfChecked])
def review(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    access: AlertAccessDep,
    now: NowDep,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> RedirectResponse:
    """A professional marks an alert reviewed, with a note (an empty note is refused
    on the page itself by the field's ``required``; a crafted one changes nothing)."""
    alert_actions.review(services.sessions, access.alert.id, _actor(session, user), now, note)
    return RedirectResponse(_back(request), status_code=303)


@router.get("/team/patients/{patient_id}/break-glass", response_class=HTMLResponse)
def break_glass_form(
    patient_id: str,
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    lang: LangDep,
    now: NowDep,
) -> HTMLResponse:
    professional = session.get(Professional, professional_id_of(user))
    team = professional.team_id if professional else None
    return page(
        request,
        services,
        "break_glass.html",
        lang=lang,
        user=user,
        title=t("break_glass", lang),
        patient_id=patient_id,
        error=None,
        needs_justification=previous_in_a_row(session, team, patient_id, now) is not None,
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
    justification: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Emergency access (sharing decides, notifies the patient and audits the reason); a
    second one in a row needs a justification for the team lead. A reason too short gives
    the form again, the words kept, the error next to the field."""
    try:
        open_break_glass(
            session,
            professional_id_of(user),
            patient_id,
            reason,
            now=now,
            justification=justification,
        )
    except InvalidRequest as exc:
        session.rollback()
        again = isinstance(exc, JustificationNeeded)
        return page(
            request,
            services,
            "break_glass.html",
            lang=lang,
            user=user,
            title=t("break_glass", lang),
            patient_id=patient_id,
            error=t("justification_needed", lang) if again else None,
            errors={} if again else {"reason": t("glass_reason", lang)},
            needs_justification=again or bool(justification),
            reason=reason,
            status_code=422,
        )
    except NotAllowed as exc:
        raise HTTPException(status_code=403, detail="not allowed") from exc
    return RedirectResponse(f"/team/patients/{patient_id}", status_code=303)
