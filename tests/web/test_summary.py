"""The consultation summary (page and PDF), each audited; /api/docs from local files."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from weasyprint import HTML

from tests.web.helpers import audit
from tests.web.world import World
from web.routes.summary import ORIGIN, local_only


def test_summary_has_thirty_days_alerts_and_targets(nurse: TestClient, world: World) -> None:
    before = len(audit(world, "p-red"))
    page = nurse.get("/team/patients/p-red/summary")
    assert page.status_code == 200
    text = page.text
    assert "Synthèse pour la consultation · Mme Rouge" in text
    assert "Glycémie · Mesures par semaine : 14,2" in text  # 61 readings in 30 days
    # the world's glucose is 5.0-5.6 twice a day and one 2.6: 1 of 61 below 3.9 and 3.0
    assert "Sous 3,9 mmol/L : 2 % des mesures" in text
    assert "Sous 3 mmol/L : 2 % des mesures" in text
    assert "Au-dessus de 10 mmol/L : 0 % des mesures" in text
    assert "Au-dessus de 13,9 mmol/L : 0 % des mesures" in text
    bp = re.search(r'data-kind="blood_pressure".*?</table>', text, re.S)
    assert bp is not None
    assert "Systolique (mmHg)" in bp.group(0)
    assert "Pouls (/min)" in bp.group(0)
    assert "Hypoglycémie sévère" in text  # the open alert of the period
    assert "Crise hypertensive · urgent" in text  # a target in force
    views = [e for e in audit(world, "p-red")[before:] if e.purpose == "view"]
    assert len(views) == 1


def test_summary_pdf_is_a_pdf_and_an_audited_export(nurse: TestClient, world: World) -> None:
    before = len(audit(world, "p-red"))
    answer = nurse.get("/team/patients/p-red/summary.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    # the same page as the browser prints it fits one A4 sheet
    html = nurse.get("/team/patients/p-red/summary").text
    drawn = HTML(string=html, base_url=ORIGIN, url_fetcher=local_only).render()
    assert len(drawn.pages) == 1
    exports = [e for e in audit(world, "p-red")[before:] if e.purpose == "export"]
    assert len(exports) == 1
    assert nurse.get("/team/patients/p-other/summary.pdf").status_code == 403


def test_api_docs_are_served_from_this_server(nurse: TestClient) -> None:
    page = nurse.get("/api/docs")
    assert page.status_code == 200
    assert "https://" not in page.text  # nothing from a CDN
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts == ["/api/docs/assets/swagger-ui-bundle.js", "/static/api-docs.js"]
    for src in scripts:
        assert nurse.get(src).status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
