"""`create_app(settings) -> FastAPI`: the care team's dashboard, the patient's pages, the API.

No global state: the database sessions, the reading store, the clock and
the caches are built here and kept in ``app.state.services``; routes reach
them through the typed dependencies of `web.deps`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from alerts.ruleset import RuleSet, load_rules
from collector.backends import open_store
from collector.store import ReadingStore
from veille.clock import Clock, SystemClock
from veille.db import import_models, make_engine, session_factory
from veille.gcpolicy import settle_after_startup
from web import localnum
from web.deps import Services, csrf_cookie, get_language
from web.housekeeping import Housekeeping
from web.i18n import t
from web.metric_labels import metric_label
from web.routes import (
    api,
    api_docs,
    auth,
    codeview,
    fleet,
    patient,
    patient_data,
    summary,
    team,
    team_lead,
    team_patient,
)
from web.settings import WebSettings
from web.triage import SummaryCache
from web.words import describe, latest_value

HERE = Path(__file__).parent

#: No script, no frame, no request to anywhere but this server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def create_app(
    settings: WebSettings,
    *,
    clock: Clock | None = None,
    store: ReadingStore | None = None,
    sessions: sessionmaker[Session] | None = None,
    rules: RuleSet | None = None,
) -> FastAPI:
    """The web app; ``clock``, ``store`` and ``sessions`` may be given (tests, benchmarks)."""
    import_models()
    if sessions is None:
        sessions = session_factory(make_engine(settings.db_url()))
    store = store or open_store(settings.store_settings())
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["t"] = t
    templates.env.globals["metric_label"] = metric_label
    templates.env.globals["number"] = localnum.number
    templates.env.globals["describe"] = describe
    templates.env.globals["latest_value"] = latest_value
    services = Services(
        settings=settings,
        key=settings.key(),
        sessions=sessions,
        store=store,
        clock=clock or SystemClock(),
        rules=rules or load_rules(),
        summaries=SummaryCache(store, settings.triage_cache_seconds),
        templates=templates,
        code_policy=settings.sharing.code_policy(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.housekeeping_hours <= 0:
            yield
            return
        housekeeping = Housekeeping(
            sessions,
            services.clock,
            settings.housekeeping_hours * 3600,
            settings.lockout_policy().window,
        )
        housekeeping.start()
        try:
            yield
        finally:
            housekeeping.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Veille",
        version="1",
        description="Home monitoring for chronic care: only what the patient shares.",
        docs_url=None,  # web.routes.api_docs serves it from local files
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.state.services = services
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    api_docs.mount(app)

    routers = (auth, team, team_patient, team_lead, summary, patient, patient_data, codeview, api)
    for module in (*routers, fleet):
        app.include_router(module.router)

    csrf_name = csrf_cookie(settings.cookie_secure)

    @app.middleware("http")
    async def security(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        anonymous = request.cookies.get(csrf_name)
        request.state.csrf = anonymous or secrets.token_urlsafe(32)
        response = await call_next(request)
        if anonymous is None:
            response.set_cookie(
                csrf_name,
                request.state.csrf,
                path="/",
                httponly=True,
                samesite="strict",
                secure=settings.cookie_secure,
            )
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def pages(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or exc.status_code not in (401, 403, 404):
            return await http_exception_handler(request, exc)
        if exc.status_code == 401:
            target = quote(request.url.path)
            return RedirectResponse(f"/login?next={target}", status_code=303)
        lang = get_language(request)
        key = "forbidden" if exc.status_code == 403 else "not_found"
        path = request.url.path
        glass = None  # a professional refused a patient page may ask for emergency access
        if exc.status_code == 403 and path.startswith("/team/patients/") and path.count("/") == 3:
            glass = f"{path}/break-glass"
        return HTMLResponse(
            templates.get_template("error.html").render(
                t=t,
                lang=lang,
                title=t(key, lang),
                user=None,
                csrf="",
                request=request,
                break_glass=glass,
            ),
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """JSON for the API; a page in the reader's language everywhere else (the forms
        check their own fields and answer with the form itself: this is the last net)."""
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        lang = get_language(request)
        return HTMLResponse(
            templates.get_template("error.html").render(
                t=t,
                lang=lang,
                title=t("invalid_request", lang),
                text=t("invalid_request_text", lang),
                user=None,
                csrf="",
                request=request,
                break_glass=None,
            ),
            status_code=422,
        )

    if settings.trusted_proxies:
        # outermost: every route, the rate limits included, sees the client the proxy saw
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def from_environment() -> FastAPI:
    """The app from ``$VEILLE_CONFIG`` and ``VEILLE_WEB__*`` (uvicorn ``--factory`` workers)."""
    from veille.config import load_section

    app = create_app(load_section(WebSettings, "web"))
    settle_after_startup()
    return app
