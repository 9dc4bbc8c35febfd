"""The consultation summary of one patient: a printable page, and the same page as a PDF.

The page is a view (`ViewCap`, audited as one); the PDF leaves the server, so it is
an export (`ExportCap`, audited as one). WeasyPrint draws the very HTML the browser
prints, and may fetch nothing but this app's own stylesheets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from alerts.sqlstore import DbTargets
from sharing.capability import Capability
from sharing.models import Patient
from sharing.terms import Language
from veille.errors import NotAllowed
from web.accounts import SignedIn
from web.deps import ExportCap, LangDep, NowDep, Services, ServicesDep, SessionDep, ViewCap
from web.deps import Professional as ProfessionalDep
from web.i18n import t
from web.routes.render import page, team_zone
from web.summary import summary
from web.targets_form import rule_title
from web.views import patient_alerts

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parents[1] / "static"
#: The PDF's documents live under this made-up origin; only its /static/ is served.
ORIGIN = "https://veille.invalid/"


def _render(
    request: Request,
    services: Services,
    session: Session,
    user: SignedIn,
    cap: Capability,
    lang: Language,
    *,
    pdf: bool,
) -> HTMLResponse:
    now = services.clock.now()
    patient = session.get(Patient, cap.patient_id)
    targets = DbTargets(services.sessions, services.rules).for_patient(cap.patient_id)
    rules = services.rules.with_targets(targets)
    zone = team_zone(services)
    found = summary(
        session,
        services.store,
        cap,
        now=now,
        rules=rules,
        personal=targets,
        alerts=patient_alerts(session, cap),
        lang=lang,
        zone=zone,
    )
    label = patient.label if patient and patient.label else cap.patient_id
    return page(
        request,
        services,
        "summary.html",
        lang=lang,
        user=user,
        title=f"{t('summary', lang)} · {label}",
        body_class="summary",
        cap=cap,
        summary=found,
        zone=zone,
        pdf=pdf,
        rule_title=lambda r: rule_title(services.rules.by_name[r], lang),
    )


@router.get("/team/patients/{patient_id}/summary", response_class=HTMLResponse)
def summary_page(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    cap: ViewCap,
    lang: LangDep,
) -> HTMLResponse:
    return _render(request, services, session, user, cap, lang, pdf=False)


def local_only(url: str) -> Any:
    """WeasyPrint's fetcher: this app's stylesheets from disk, nothing from anywhere."""
    from weasyprint.urls import URLFetcherResponse

    name = url.removeprefix(ORIGIN + "static/")
    target = (STATIC / name).resolve()
    if url == name or target.parent != STATIC or not target.is_file():
        raise NotAllowed(f"the PDF may not fetch {url}")
    return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": "text/css"})


@router.get("/team/patients/{patient_id}/summary.pdf")
def summary_pdf(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    cap: ExportCap,
    lang: LangDep,
    now: NowDep,
) -> Response:
    from weasyprint import HTML  # heavy (pango): loaded when a PDF is asked for

    html = _render(request, services, session, user, cap, lang, pdf=True).body
    document = HTML(string=bytes(html).decode(), base_url=ORIGIN, url_fetcher=local_only)
    name = f"{cap.patient_id}-{now.date().isoformat()}.pdf"
    return Response(
        document.write_pdf(),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
