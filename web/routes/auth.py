"""Sign in, sign out, switch language, and the front door that sends each role home."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.accounts import SignInFailed, sign_in, sign_out
from web.deps import (
    SESSION_COOKIE,
    CsrfChecked,
    LangDep,
    MaybeUser,
    NowDep,
    ServicesDep,
    SessionDep,
    log,
)
from web.i18n import COOKIE as LANG_COOKIE
from web.i18n import t
from web.routes.render import page

router = APIRouter(include_in_schema=False)


def _local(target: str | None, default: str) -> str:
    """Only a path on this site (no scheme, no //host): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@router.get("/")
def home(user: MaybeUser) -> RedirectResponse:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/team" if user.professional_id else "/me", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, services: ServicesDep, lang: LangDep, next: str | None = None
) -> HTMLResponse:
    return page(
        request,
        services,
        "login.html",
        lang=lang,
        user=None,
        title=t("sign_in", lang),
        next=_local(next, "/"),
        error=None,
        username="",
    )


@router.post("/login", dependencies=[CsrfChecked], response_model=None)
def login(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    lang: LangDep,
    now: NowDep,
    username: Annotated[str, Form(max_length=120)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    settings = services.settings
    missing = {
        name: t("field_required", lang)
        for name, value in (("username", username.strip()), ("password", password))
        if not value
    }
    if missing:
        return page(
            request,
            services,
            "login.html",
            lang=lang,
            user=None,
            title=t("sign_in", lang),
            next=_local(next, "/"),
            error=None,
            errors=missing,
            username=username,
            status_code=422,
        )
    source = request.client.host if request.client else "unknown"
    try:
        cookie, who = sign_in(
            session,
            username,
            password,
            source=source,
            now=now,
            key=services.key,
            lifetime=settings.session_hours_delta(),
            policy=settings.lockout_policy(),
        )
    except SignInFailed as failed:
        log.warning(
            "sign_in_refused",
            account_ref=failed.account_ref,
            source=source,
            throttled=failed.retry_after is not None,
        )
        status = 429 if failed.retry_after is not None else 401
        message = t("locked" if failed.retry_after else "bad_login", lang)
        response = page(
            request,
            services,
            "login.html",
            lang=lang,
            user=None,
            title=t("sign_in", lang),
            next=_local(next, "/"),
            error=message,
            username=username,
            status_code=status,
        )
        if failed.retry_after is not None:
            response.headers["Retry-After"] = str(int(failed.retry_after.total_seconds()) + 1)
        return response
    log.info("signed_in", account=who.account_id, role=who.role)
    default = "/team" if who.professional_id else "/me"
    target = _local(next, default)
    redirect = RedirectResponse(default if target == "/" else target, status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return redirect


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, services: ServicesDep, session: SessionDep) -> RedirectResponse:
    sign_out(session, request.cookies.get(SESSION_COOKIE), key=services.key)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(code: str, services: ServicesDep, next: str | None = None) -> Response:
    response = RedirectResponse(_local(next, "/"), status_code=303)
    if code in ("fr", "en"):
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 86400,
            samesite="lax",
            secure=services.settings.cookie_secure,
        )
    return response
