"""A professional with a temporary access code: redeem it, then a read-only view until expiry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sharing.codes import end_code_session, redeem_code
from sharing.models import Patient
from sharing.texts import kinds_text
from veille.errors import Inconsistent, NotAllowed
from web.chartviews import patient_charts
from web.deps import (
    CODE_COOKIE,
    CodeCap,
    CsrfChecked,
    DaysDep,
    LangDep,
    MaybeUser,
    NowDep,
    ServicesDep,
    SessionDep,
    log,
)
from web.i18n import t
from web.routes.render import page, team_zone

router = APIRouter(include_in_schema=False)


@router.get("/code", response_class=HTMLResponse)
def code_form(
    request: Request, services: ServicesDep, user: MaybeUser, lang: LangDep, ended: bool = False
) -> HTMLResponse:
    return page(
        request,
        services,
        "code_form.html",
        lang=lang,
        user=user,
        title=t("redeem", lang),
        error=None,
        ended=ended,
    )


@router.post("/code", dependencies=[CsrfChecked], response_model=None)
def redeem(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: MaybeUser,
    lang: LangDep,
    now: NowDep,
    code: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    missing = {
        field: t("field_required", lang)
        for field, value in (("code", code.strip()), ("name", name.strip()))
        if not value
    }
    if missing:
        return page(
            request,
            services,
            "code_form.html",
            lang=lang,
            user=user,
            title=t("redeem", lang),
            error=None,
            errors=missing,
            typed={"code": code, "name": name},
            status_code=422,
        )
    source = request.client.host if request.client else "unknown"
    try:
        redeemed = redeem_code(
            session,
            code,
            source=source,
            now=now,
            declared_name=name.strip(),
            professional_id=user.professional_id if user else None,
            policy=services.code_policy,
        )
    except NotAllowed as refused:
        log.info("code_refused", reason=str(refused.reason))
        status = 429 if str(refused.reason) == "rate_limited" else 403
        return page(
            request,
            services,
            "code_form.html",
            lang=lang,
            user=user,
            title=t("redeem", lang),
            error=t("code_refused", lang),
            typed={"code": code, "name": name},
            status_code=status,
        )
    cap = redeemed.capability
    response = RedirectResponse(f"/code/patients/{cap.patient_id}", status_code=303)
    if cap.expires_at is None:  # a code's capability ends with the code
        raise Inconsistent(f"access code session {cap.ref_id} has no end")
    response.set_cookie(
        CODE_COOKIE,
        redeemed.token,
        max_age=int((cap.expires_at - now).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
    )
    return response


@router.get("/code/patients/{patient_id}", response_class=HTMLResponse)
def code_view(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: MaybeUser,
    cap: CodeCap,
    lang: LangDep,
    now: NowDep,
    days: DaysDep,
) -> HTMLResponse:
    charts = patient_charts(
        services.store,
        cap,
        days=days,
        now=now,
        rules=services.rules,
        alerts=[],
        lang=lang,
        zone=team_zone(services),
    )
    patient = session.get(Patient, cap.patient_id)
    label = patient.label if patient and patient.label else None
    return page(
        request,
        services,
        "code_view.html",
        lang=lang,
        user=user,
        title=f"{label} ({cap.patient_id})" if label else cap.patient_id,
        cap=cap,
        charts=charts,
        days=days,
        zone=team_zone(services),
        kinds=kinds_text(sorted(k.value for k in cap.kinds), lang),
    )


@router.post("/code/end", dependencies=[CsrfChecked])
def end_view(request: Request, session: SessionDep, now: NowDep) -> RedirectResponse:
    """Close the read-only view: the code's session ends on the server, the cookie goes."""
    token = request.cookies.get(CODE_COOKIE)
    if token:
        end_code_session(session, token, now=now)
    response = RedirectResponse("/code?ended=1", status_code=303)
    response.delete_cookie(CODE_COOKIE)
    return response
