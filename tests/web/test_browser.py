"""A real browser (Debian's headless Chromium, driven by Playwright) against a real uvicorn.

Never downloads a browser: it launches /usr/bin/chromium. Screenshots of each
page go to artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sharing.audit import local_time
from sharing.breakglass import open_break_glass
from sharing.terms import Language
from tests.web.server import serving
from tests.web.world import NOW, World, password
from web.words import Words

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium package is missing (scripts/setup.sh)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


#: What a screen reader needs on every page: a language, a label for every field, a name
#: for every button and chart (WCAG 2.1 1.1.1, 1.3.1, 3.1.1, 4.1.2).
UNLABELLED = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html without lang');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label');
    if (!named) problems.push(el.outerHTML);
  }
  for (const el of document.querySelectorAll('button, a')) {
    if (!(el.innerText.trim() || el.getAttribute('aria-label'))) problems.push(el.outerHTML);
  }
  for (const el of document.querySelectorAll('svg')) {
    // a decorative trend line beside its value in words is hidden, not named
    if (el.closest('[aria-hidden="true"]')) continue;
    if (!el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      problems.push('svg without a name');
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  return problems;
}"""


def shot(page: Page, name: str) -> None:
    """Screenshot for a human, and the accessibility basics checked by machine."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate(UNLABELLED) == [], name


def sign_in(browser: Browser, base_url: str, name: str, locale: str = "fr-FR") -> Page:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()  # the first stop skips to the content
    page.get_by_label("Identifiant" if locale.startswith("fr") else "User name").fill(name)
    page.get_by_label("Mot de passe" if locale.startswith("fr") else "Password").fill(
        password(name)
    )
    page.keyboard.press("Enter")  # keyboard only: the form works without a mouse
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_nurse_sees_the_red_patient_first_the_chart_and_acknowledges(
    browser: Browser, base_url: str, world: World
) -> None:
    page = sign_in(browser, base_url, "claire")
    expect(page).to_have_url(f"{base_url}/team")
    first = page.locator("#triage tbody tr").first
    expect(first).to_have_attribute("data-patient", "p-red")
    expect(first).to_have_attribute("data-level", "urgent")
    expect(first).to_contain_text("Mme Rouge")
    shot(page, "team-triage")

    first.get_by_role("link", name="Mme Rouge").click()
    expect(page.locator("h1")).to_have_text("Mme Rouge")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    expect(charts.nth(1).locator("text.legend")).to_have_text(
        [
            "■ Systolique (mmHg) · zone cible 90 à 135",
            "■ Diastolique (mmHg) · zone cible jusqu'à 85",
        ]
    )
    expect(charts.nth(1).locator("rect.band")).to_have_count(2)  # one band per series
    expect(charts.nth(2).locator("polyline.line")).to_have_count(1)
    expect(charts.nth(2).locator("g.marker")).to_have_count(1)
    expect(charts.nth(2).locator("g.marker text")).to_have_text("urgent")
    box = charts.first.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 100
    shot(page, "team-patient")

    page.get_by_role("link", name="Mesures · glycémie").click()
    expect(page.locator("#readings tbody tr").first).to_contain_text("2,6")
    shot(page, "team-readings")

    page.get_by_role("link", name="Alertes").click()
    row = page.locator(f'tr[data-alert="{world.alerts["red"]}"]')
    row.get_by_label("Note").fill("Appelée, resucrée, contrôle à 10 h")
    row.get_by_role("button", name="Marquer comme vue").click()
    row = page.locator(f'tr[data-alert="{world.alerts["red"]}"]')
    expect(row).to_have_attribute("data-status", "acknowledged")
    expect(row).to_contain_text("par Claire (IDE)")
    expect(row).to_contain_text("Appelée, resucrée")
    shot(page, "team-inbox")


def test_patient_revokes_a_grant_and_the_nurse_can_no_longer_see(
    browser: Browser, base_url: str
) -> None:
    nurse = sign_in(browser, base_url, "claire")
    nurse.goto(f"{base_url}/team/patients/p-amber")
    expect(nurse.locator("svg.chart")).to_have_count(3)

    patient = sign_in(browser, base_url, "p-amber")
    expect(patient).to_have_url(f"{base_url}/me")
    expect(patient.locator("html")).to_have_attribute("lang", "fr")
    shot(patient, "patient-home-fr")
    grant = patient.locator('#grants tr[data-status="active"]')
    expect(grant).to_have_count(1)
    grant.get_by_role("button", name="Arrêter de partager").click()
    expect(patient.locator('#grants tr[data-status="revoked"]')).to_have_count(1)
    expect(patient.locator('#grants tr[data-status="active"]')).to_have_count(0)

    nurse.goto(f"{base_url}/team/patients/p-amber")
    expect(nurse.locator("h1")).to_have_text("Accès non autorisé")
    expect(nurse.locator("svg.chart")).to_have_count(0)
    shot(nurse, "team-refused")
    nurse.goto(f"{base_url}/team")
    expect(nurse.locator('tr[data-patient="p-amber"]')).to_have_count(0)
    answer = nurse.request.get(f"{base_url}/api/v1/patients/p-amber/readings/blood_pressure")
    assert answer.status == 403

    patient.get_by_role("link", name="Qui a regardé mes données").first.click()
    expect(patient.locator("#audit li").first).to_be_visible()
    expect(patient.locator("#audit")).to_contain_text("Claire (IDE)")
    shot(patient, "patient-audit")


def test_patient_pages_in_english_and_an_access_code(browser: Browser, base_url: str) -> None:
    patient = sign_in(browser, base_url, "p-red", locale="en-GB")
    expect(patient.locator("html")).to_have_attribute("lang", "en")
    expect(patient.get_by_role("heading", name="Who can see what")).to_be_visible()
    patient.locator("#codes").get_by_label("weight").check()
    patient.get_by_label("For whom (your note)").fill("Locum GP")
    patient.get_by_role("button", name="Create a code").click()
    code = patient.locator("#new-code").inner_text()
    assert len(code) == 9
    shot(patient, "patient-home-en")

    context = browser.new_context(locale="fr-FR")
    locum = context.new_page()
    locum.goto(f"{base_url}/code")
    locum.get_by_label("Code").fill(code)
    locum.get_by_label("Votre nom").fill("Dr Remplaçant")
    locum.get_by_role("button", name="Voir les mesures").click()
    expect(locum).to_have_url(f"{base_url}/code/patients/p-red")
    expect(locum.locator("svg.chart")).to_have_count(1)  # weight only
    shot(locum, "code-view")


def test_patient_marks_a_notice_read_and_extends_a_grant(
    browser: Browser, base_url: str, world: World
) -> None:
    with world.sessions() as s:
        open_break_glass(s, world.nurse, "p-green", "malaise au téléphone", now=NOW)
    patient = sign_in(browser, base_url, "p-green")
    count = patient.locator("#unread-count")
    expect(count).to_have_text("1 non lu(s)")
    notice = patient.locator("#notices li.unread")
    expect(notice).to_contain_text("malaise au téléphone")
    shot(patient, "patient-notice-unread")
    notice.get_by_role("button", name="Marquer comme lu").click()
    expect(count).to_have_text("0 non lu(s)")
    expect(patient.locator("#notices li.unread")).to_have_count(0)
    expect(patient.locator("#notices li.read")).to_contain_text("malaise au téléphone")

    row = patient.locator('#grants tr[data-status="active"]')
    new_end = NOW + timedelta(days=300)
    row.get_by_label("Prolonger jusqu'au").fill(local_time(new_end, "Europe/Paris")[:10])
    row.get_by_role("button", name="Prolonger").click()
    shown = Words(Language.FR, ZoneInfo("Europe/Paris")).when(new_end, zone=False)
    expect(patient.locator('#grants tr[data-status="active"]')).to_contain_text(shown)
    shot(patient, "patient-grant-extended")
