"""One way to render a page: language, signed-in user and CSRF token always present."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

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
    zone: ZoneInfo | str | None = None,
    **context: Any,
) -> HTMLResponse:
    """``zone``: the viewer's time zone (a patient's own); the team's by default. The
    page gets it as ``zone`` and ``w`` (`web.words.Words`: the catalogue, numbers and
    times in the viewer's language and zone)."""
    if not isinstance(zone, ZoneInfo):
        zone = zone_of(zone or services.settings.time_zone)
    words = Words(lang, zone)
    return services.templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "user": user,
            "title": title,
            "csrf": csrf_expected(request, user),
            "w": words,
            "zone": zone,
            **context,
        },
        status_code=status_code,
    )


def team_zone(services: Services) -> ZoneInfo:
    """The care team's time zone (``[web] time_zone``, Europe/Paris by default): every
    time on a team page is in it, and says so."""
    return zone_of(services.settings.time_zone)
