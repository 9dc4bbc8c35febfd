"""A professional with a temporary access code: redeem it, then a read-only view until expiry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from devices.reading import Kind
from sharing.codes import redeem_code
from sharing.texts import kinds_text
from sharing.texts import text as sharing_text
from veille.errors import Inconsistent, NotAllowed
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
from web.routes.render import page
from web.views import patient_charts

router = APIRouter(include_in_schema=False)


@router.get("/code", response_class=HTMLResponse)
def code_form(
    request: Request, services: ServicesDep, user: MaybeUser, lang: LangDep
) -> HTMLResponse:
    return page(
        request,
        services,
        "code_form.html",
        lang=lang,
        user=user,
        title=t("redeem", lang),
        error=None,
    )


@router.post("/code", dependencies=[CsrfChecked], response_model=None)
def redeem(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: MaybeUser,
    lang: LangDep,
    now: NowDep,
    code: Annotated[str, Form(max_length=20)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
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
    user: MaybeUser,
    cap: CodeCap,
    lang: LangDep,
    now: NowDep,
    days: DaysDep,
) -> HTMLResponse:
    titles = {k: sharing_text(f"kind.{k.value}", lang) for k in Kind}
    charts = patient_charts(
        services.store,
        cap,
        days=days,
        now=now,
        rules=services.rules,
        alerts=[],
        titles=titles,
        lang=lang,
    )
    return page(
        request,
        services,
        "code_view.html",
        lang=lang,
        user=user,
        title=cap.patient_id,
        cap=cap,
        charts=charts,
        days=days,
        kinds=kinds_text(sorted(k.value for k in cap.kinds), lang),
    )
