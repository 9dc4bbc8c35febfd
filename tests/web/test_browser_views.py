"""Issue 12's views in a real browser (Debian's Chromium): honest charts, the readings table
and its CSV, the targets editor, the summary and its PDF, form errors as pages, phone
layouts, /api/docs from local files, and axe-core on every page in both languages.

The README's screenshots (docs/images/, tracked) are taken here, from the world the tests
build, only when ``VEILLE_SCREENSHOTS=1`` asks for them: an ordinary run leaves the
repository clean.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from devices.reading import Kind
from sharing.codes import create_code
from tests.web.test_browser import base_url, browser, shot, sign_in
from tests.web.world import NOW, World

pytestmark = pytest.mark.browser
__all__ = ["base_url", "browser"]  # fixtures used here, defined beside the first browser tests

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
AXE = Axe()


def readme_image(page: Page, name: str) -> None:
    """Retake ``docs/images/NAME.png`` when ``VEILLE_SCREENSHOTS=1`` (the files are tracked)."""
    if os.environ.get("VEILLE_SCREENSHOTS") == "1":
        page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=True)


def serious(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    found = AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def _pages(world: World, code_path: str) -> dict[str, list[str]]:
    """Every page, by who reads it."""
    return {
        "claire": [
            "/team",
            "/team/alerts",
            "/team/patients/p-red",
            "/team/patients/p-red/readings/blood_pressure?days=7",
            "/team/patients/p-red/summary",
            "/team/patients/p-green/break-glass",
            "/team/patients/p-other",  # refused: the error page
        ],
        "martin": ["/team/patients/p-amber"],  # the targets editor
        "p-red": ["/me", "/me/audit"],
        "": ["/login", "/code", code_path],
    }


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_every_page_passes_axe_in_both_languages(
    browser: Browser, base_url: str, world: World, locale: str
) -> None:
    with world.sessions() as s:
        created = create_code(s, "p-red", kinds=[Kind.WEIGHT, Kind.GLUCOSE], now=NOW, label="x")
        s.commit()
    anonymous = browser.new_context(locale=locale).new_page()
    anonymous.goto(f"{base_url}/code")
    anonymous.locator("#code").fill(created.code)
    anonymous.locator("#name").fill("Dr Remplaçant")
    anonymous.locator("form.stack button").click()
    anonymous.wait_for_url("**/code/patients/p-red")
    problems: dict[str, list[str]] = {}
    for who, paths in _pages(world, "/code/patients/p-red").items():
        page = sign_in(browser, base_url, who, locale) if who else anonymous
        for path in paths:
            page.goto(f"{base_url}{path}")
            found = serious(page)
            if found:
                problems[f"{who or 'anonymous'} {path}"] = found
        if who:
            page.context.close()
    assert problems == {}


def test_absurd_target_refused_with_the_form_kept_then_a_decimal_comma_saved(
    browser: Browser, base_url: str
) -> None:
    page = sign_in(browser, base_url, "martin")
    page.goto(f"{base_url}/team/patients/p-amber")
    form = page.locator('form[data-rule="bp_low_confirmed"]')
    form.get_by_label("Systolique (mmHg) : alerte en dessous de (mmHg)").fill("500")
    form.get_by_label("Motif").fill("essai absurde")
    form.get_by_role("button", name="Enregistrer").click()
    form = page.locator('form[data-rule="bp_low_confirmed"]')
    field = form.get_by_label("Systolique (mmHg) : alerte en dessous de (mmHg)")
    expect(field).to_have_value("500")  # kept
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".error")).to_have_text(
        "Valeur impossible ici : choisissez entre 20 et 320 mmHg."
    )
    expect(form.get_by_label("Motif")).to_have_value("essai absurde")
    shot(page, "team-target-refused")

    average = page.locator('form[data-rule="bp_home_average"]')
    average.get_by_label(
        "Systolique (mmHg) : moyenne sur la période — alerte à partir de (mmHg)"
    ).fill("130,5")
    average.get_by_label("Période de la moyenne (jours)").fill("5")
    average.get_by_label("Motif").fill("diabétique : cible plus basse")
    average.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".confirm")).to_have_text(
        "Cible enregistrée : Hypertension · à surveiller (version 1)."
    )
    average = page.locator('form[data-rule="bp_home_average"]')
    expect(
        average.get_by_label(
            "Systolique (mmHg) : moyenne sur la période — alerte à partir de (mmHg)"
        )
    ).to_have_value("130,5")
    expect(page.locator("#target-history")).to_contain_text("diabétique : cible plus basse")
    shot(page, "team-target-saved")


def test_honest_charts_readings_csv_and_summary(browser: Browser, base_url: str) -> None:
    page = sign_in(browser, base_url, "claire")
    readme_image(page, "triage")
    page.goto(f"{base_url}/team/patients/p-red?days=30")
    bp = page.locator("svg#chart-blood_pressure")
    expect(bp.locator("rect.band")).to_have_count(2)
    expect(bp.locator("text.zone")).to_have_text("Dates et heures : Europe/Paris")
    weight = page.locator("svg#chart-weight")
    expect(weight.locator("rect.band")).to_have_count(0)  # no band claimed where none is
    expect(weight.locator("text.level").first).to_contain_text("Référence")
    ticks = weight.locator("text.day")
    assert ticks.count() >= 8
    alternative = page.locator("#weight-cap ul.stats li").first
    expect(alternative).to_contain_text("Poids (kg) : dernière valeur 80,0 kg")
    readme_image(page, "patient-charts")

    page.get_by_role("link", name="Mesures · tension artérielle").click()
    headers = page.locator("#readings thead th")
    expect(headers).to_have_text(
        [
            "Heure",
            "Systolique (mmHg)",
            "Diastolique (mmHg)",
            "Pouls (/min)",
            "Remarques",
            "Appareil",
        ]
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    saved = download.value.path()
    assert saved is not None
    lines = Path(saved).read_text("utf-8-sig").splitlines()
    assert lines[0] == "Heure;Systolique (mmHg);Diastolique (mmHg);Pouls (/min);Remarques;Appareil"
    shot(page, "team-readings-bp")

    page.goto(f"{base_url}/team/patients/p-red/summary")
    expect(page.locator("h1")).to_have_text("Synthèse pour la consultation · Mme Rouge")
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator(".no-print")).to_be_hidden()
    shot(page, "team-summary-print")
    page.emulate_media(media="screen")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Télécharger en PDF").click()
    pdf_path = pdf.value.path()
    assert pdf_path is not None
    assert Path(pdf_path).read_bytes().startswith(b"%PDF-")


def test_form_errors_are_pages_next_to_the_field(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#username-err")).to_have_text("Ce champ est à remplir.")
    page.get_by_label("Identifiant").fill("claire")
    page.get_by_label("Mot de passe").fill("not-the-password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("p.error[role=alert]")).to_have_text(
        "Identifiant ou mot de passe incorrect."
    )
    expect(page.get_by_label("Identifiant")).to_have_value("claire")
    shot(page, "login-wrong-password")

    page.goto(f"{base_url}/code")
    page.get_by_role("button", name="Voir les mesures").click()
    expect(page.locator("#code-err")).to_have_text("Ce champ est à remplir.")
    expect(page.locator("#name-err")).to_have_text("Ce champ est à remplir.")

    patient = sign_in(browser, base_url, "p-amber")
    share = patient.locator('form[action="/me/grants"]')
    share.get_by_role("button", name="Partager").click()
    expect(patient.locator("#share_kinds-err")).to_have_text("Cochez au moins une mesure.")
    share = patient.locator('form[action="/me/grants"]')
    share.get_by_label("poids").check()
    share.get_by_label("Jusqu'au (jours)").fill("9999")
    share.get_by_role("button", name="Partager").click()
    expect(patient.locator("#share_days-err")).to_have_text(
        "Un nombre de jours entier entre 1 et 366."
    )
    expect(patient.locator('form[action="/me/grants"]').get_by_label("poids")).to_be_checked()
    expect(patient.locator("#share-days")).to_have_value("9999")
    shot(patient, "patient-share-refused")


def test_phone_layouts_do_not_scroll_sideways(browser: Browser, base_url: str) -> None:
    wide: dict[str, int] = {}
    for who, paths in (
        ("claire", ["/team", "/team/alerts", "/team/patients/p-red"]),
        ("p-red", ["/me"]),
    ):
        context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 780})
        page = context.new_page()
        page.goto(f"{base_url}/login")
        page.get_by_label("Identifiant").fill(who)
        page.get_by_label("Mot de passe").fill(f"{who}-password")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(lambda url: "/login" not in url)
        for path in paths:
            page.goto(f"{base_url}{path}")
            width = int(page.evaluate("document.documentElement.scrollWidth"))
            if width > 360:
                wide[path] = width
            if path == "/team":
                readme_image(page, "triage-phone")
        context.close()
    assert wide == {}


def test_patient_charts_code_view_label_and_end_and_api_docs(
    browser: Browser, base_url: str, world: World
) -> None:
    patient = sign_in(browser, base_url, "p-red")
    mine = patient.locator("#my-charts svg.chart")
    expect(mine).to_have_count(3)
    readme_image(patient, "patient")
    expect(patient.locator("#my-charts")).to_contain_text("Glycémie (mmol/L) : dernière valeur 2,6")
    with world.sessions() as s:
        created = create_code(s, "p-red", kinds=[Kind.GLUCOSE], now=NOW, label="remplaçant")
        s.commit()
    locum = browser.new_context(locale="fr-FR").new_page()
    locum.goto(f"{base_url}/code")
    locum.get_by_label("Code").fill(created.code)
    locum.get_by_label("Votre nom").fill("Dr Remplaçant")
    locum.get_by_role("button", name="Voir les mesures").click()
    expect(locum.locator("h1")).to_have_text("Mme Rouge (p-red)")
    expect(locum.locator("svg.chart")).to_have_count(1)
    shot(locum, "code-view-labelled")
    locum.get_by_role("button", name="Terminer la consultation").click()
    expect(locum.locator(".confirm")).to_contain_text("La consultation est terminée")
    locum.goto(f"{base_url}/code/patients/p-red")
    expect(locum.locator("h1")).to_have_text("Accès non autorisé")

    docs = browser.new_context().new_page()
    blocked: list[str] = []
    docs.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    docs.goto(f"{base_url}/api/docs")
    expect(docs.locator(".opblock").first).to_be_visible(timeout=15000)
    expect(docs.locator(".opblock-summary-path").first).to_contain_text("/api/v1/")
    assert blocked == []
