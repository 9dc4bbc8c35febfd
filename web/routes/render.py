"""One way to render a page: language, signed-in user and CSRF token always present."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from sharing.terms import Language
from web.accounts import SignedIn
from web.deps import Services, csrf_expected


def page(
    request: Request,
    services: Services,
    template: str,
    *,
    lang: Language,
    user: SignedIn | None,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return services.templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "user": user,
            "title": title,
            "csrf": csrf_expected(request, user),
            **context,
        },
        status_code=status_code,
    )


def team_zone(services: Services) -> ZoneInfo:
    """The care team's time zone: every time on a team page is in it, and says so."""
    return ZoneInfo(services.rules.time_zone)
