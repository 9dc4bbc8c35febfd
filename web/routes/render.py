"""One way to render a page: language, signed-in user and CSRF token always present."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from sharing.terms import Language
from web.accounts import SignedIn
from web.deps import Services, csrf_expected
from web.words import Words, zone_of


def page(
    request: Request,
    services: Services,
    template: str,
    *,
    lang: Language,
    user: SignedIn | None,
    title: str,
    status_code: int = 200,
    zone: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """``zone``: the viewer's time zone (a patient's own); the team's by default."""
    words = Words(lang, zone_of(zone or services.settings.time_zone))
    return services.templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "user": user,
            "title": title,
            "csrf": csrf_expected(request, user),
            "w": words,
            **context,
        },
        status_code=status_code,
    )
