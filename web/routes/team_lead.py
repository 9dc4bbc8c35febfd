"""The team lead's review of the team's emergency accesses (break-glass), with the
justification written for each second one in a row."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sharing.breakglass import team_review
from sharing.models import Professional
from web.deps import LangDep, NowDep, ServicesDep, SessionDep, TeamLead, professional_id_of
from web.i18n import t
from web.routes.render import page

router = APIRouter(include_in_schema=False)

#: How far back the review page looks.
REVIEW_SPAN = timedelta(days=90)


@router.get("/team/break-glass", response_class=HTMLResponse)
def review(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: TeamLead,
    lang: LangDep,
    now: NowDep,
) -> HTMLResponse:
    lead = session.get(Professional, professional_id_of(user))
    rows = (
        team_review(session, lead.team_id, since=now - REVIEW_SPAN)
        if lead is not None and lead.team_id is not None
        else []
    )
    return page(
        request,
        services,
        "break_glass_review.html",
        lang=lang,
        user=user,
        title=t("break_glass_review", lang),
        rows=rows,
        now=now,
    )
