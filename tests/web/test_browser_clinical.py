"""Issue 12 in a real browser: alerts in words, review as a clinical act, every inbox filter,
the triage list's search and states, and no identifier on any page in either language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from alerts.engine import Engine
from alerts.ruleset import load_rules
from alerts.sqlstore import SqlAlertStore
from alerts.terms import Category
from devices.reading import FLAGS, METRICS, Kind
from tests.web.test_browser import base_url, browser, shot, sign_in  # noqa: F401 (fixtures)
from tests.web.world import CLINICAL, NOW, World, reading
from web.inbox_view import INBOX_STATES, SEVERITIES
from web.words.catalogue import entries

pytestmark = pytest.mark.browser


def _self_resolved_urgent(world: World) -> str:
    """A severe hypoglycaemia of M. Ambre at 23:00 that the next reading closed, through
    the real engine and store, before anyone signed in; the readings are in the store."""
    engine = Engine(load_rules(), store=SqlAlertStore(world.sessions))
    low = reading("p-amber", Kind.GLUCOSE, NOW - timedelta(hours=10), {"glucose_mmol_l": 2.9})
    back = reading("p-amber", Kind.GLUCOSE, NOW - timedelta(hours=9), {"glucose_mmol_l": 6.2})
    world.store.write_batch([low, back])
    (opened,) = engine.on_reading(low, low.time)
    engine.on_reading(back, back.time)
    return opened.alert.id


def test_a_self_resolved_urgent_alert_waits_for_review_in_the_default_inbox(
    browser: Browser,  # noqa: F811
    base_url: str,  # noqa: F811
    world: World,
) -> None:
    alert = _self_resolved_urgent(world)
    page = sign_in(browser, base_url, "claire")
    row = page.locator('tr[data-patient="p-amber"]')
    expect(row).to_have_attribute("data-level", "urgent")  # not "stable", not only amber
    expect(row).to_contain_text("1 événement(s) urgent(s) à revoir")
    expect(row).to_contain_text("Jamais revu")
    expect(page.locator("#nav-count")).to_contain_text("à revoir")

    page.get_by_role("link", name=re.compile("^Alertes")).click()
    line = page.locator(f'tr[data-alert="{alert}"]')  # the default view, no filter chosen
    expect(line).to_have_attribute("data-status", "resolved")
    expect(line).to_have_attribute("data-to-review", "yes")
    expect(line).to_contain_text("Hypoglycémie sévère : glycémie 2,9 mmol/L (seuil 3,0)")
    expect(line).to_contain_text("close automatiquement : mesure revenue dans la cible")
    line.get_by_text("Mesures autour de l'alerte").click()
    expect(line.locator('tr[data-role="raised"]')).to_contain_text("2,9")
    expect(line.locator('tr[data-role="cleared"]')).to_contain_text("6,2")
    expect(line.get_by_role("link", name="Toutes les mesures · glycémie")).to_have_attribute(
        "href", "/team/patients/p-amber/readings/glucose?days=30"
    )
    shot(page, "team-inbox-to-review")
    line.get_by_label("Note de revue").fill("Appelé ce matin : resucré, pas de malaise")
    line.get_by_role("button", name="Marquer comme revue").click()
    expect(page.locator(f'tr[data-alert="{alert}"]')).to_have_count(0)  # reviewed: done

    page.goto(f"{base_url}/team/alerts?state=resolved")
    line = page.locator(f'tr[data-alert="{alert}"]')
    expect(line).to_have_attribute("data-to-review", "no")
    expect(line.locator(".history")).to_contain_text("revue par Claire (IDE)")
    expect(line.locator(".history")).to_contain_text("Appelé ce matin")
    page.goto(f"{base_url}/team")
    row = page.locator('tr[data-patient="p-amber"]')
    expect(row).to_have_attribute("data-level", "warning")  # its open hypertension remains
    expect(row).to_contain_text("par Claire (IDE)")


def test_every_inbox_filter_combination_is_a_page(
    browser: Browser,  # noqa: F811
    base_url: str,  # noqa: F811
    world: World,
) -> None:
    _self_resolved_urgent(world)
    page = sign_in(browser, base_url, "claire")
    page.goto(f"{base_url}/team/alerts")
    offered = {
        "severity": page.locator("#severity option").evaluate_all("os => os.map(o => o.value)"),
        "state": page.locator("#state option").evaluate_all("os => os.map(o => o.value)"),
    }
    assert offered == {"severity": list(SEVERITIES), "state": list(INBOX_STATES)}
    seen: dict[tuple[str, str], int] = {}
    for severity in offered["severity"]:
        for state in offered["state"]:
            page.goto(f"{base_url}/team/alerts")
            page.locator("#severity").select_option(severity)
            page.locator("#state").select_option(state)
            page.get_by_role("button", name="Filtrer").click()
            expect(page.locator("h1")).to_have_text("Alertes")
            expect(page.locator("#severity")).to_have_value(severity)
            rows = page.locator("#inbox > tbody > tr[data-alert]")
            for value in rows.evaluate_all("rs => rs.map(r => r.dataset.severity)"):
                assert not severity or value == severity, (severity, state)
            statuses = rows.evaluate_all("rs => rs.map(r => r.dataset.status)")
            if state in ("open", "acknowledged", "resolved"):
                assert set(statuses) <= {state}, (severity, state)
            seen[(severity, state)] = rows.count()
    assert seen[("", "")] >= 3  # red, amber's two: what needs someone
    assert seen[("urgent", "to_review")] == 2  # Mme Rouge's open one, M. Ambre's closed one
    assert seen[("", "all")] >= seen[("", "")]


def test_triage_search_and_state_filter(
    browser: Browser,  # noqa: F811
    base_url: str,  # noqa: F811
    world: World,
) -> None:
    page = sign_in(browser, base_url, "claire", locale="en-GB")
    page.get_by_label("Search for a patient").fill("silence")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#triage tbody tr[data-patient]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Mme Silence")
    expect(rows.first).to_contain_text("No recent reading: weight, blood pressure, blood sugar")
    page.get_by_label("Search for a patient").fill("")
    page.get_by_label("Status").select_option("urgent")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-patient", "p-red")
    expect(rows.first.locator(".kind-label")).to_have_text(
        ["Weight", "Blood pressure", "Blood sugar"]
    )
    expect(rows.first).to_contain_text("2.6 mmol/L")
    shot(page, "team-triage-filtered-en")


def _identifiers() -> list[str]:
    """What must never be read on a page: rule ids, categories, metric names, flag codes
    and comparison operators (those that are also words of the catalogue excepted)."""
    words = " ".join(text for pair in entries().values() for text in pair).lower()
    names = {r.name for r in load_rules().rules} | {c.value for c in Category}
    names |= set(METRICS) | set(FLAGS)
    return sorted(n for n in names if not re.search(rf"\b{re.escape(n)}\b", words))


SCAN = """(names) => {
  const text = document.body.innerText;
  const word = n => new RegExp('(^|[^A-Za-z0-9_])' + n + '($|[^A-Za-z0-9_])');
  const found = names.filter(n => word(n).test(text));
  for (const op of ['>=', '<=']) if (text.includes(op)) found.push(op);
  return found;
}"""


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_no_identifier_in_the_visible_text_of_any_page(
    browser: Browser,  # noqa: F811
    base_url: str,  # noqa: F811
    world: World,
    locale: str,
) -> None:
    _self_resolved_urgent(world)
    names = _identifiers()
    assert {"bp_crisis", "systolic_mmhg", "cuff_loose"} <= set(names)
    pages = {
        "martin": [
            "/team",
            *(f"/team/alerts?state={s}" for s in INBOX_STATES),
            *(f"/team/patients/{p}" for p in ("p-red", "p-amber", "p-silent", "p-green")),
            *(f"/team/patients/p-red/readings/{k.value}" for k in CLINICAL),
            "/team/patients/p-other/break-glass",
        ],
        "p-green": ["/me", "/me/audit"],
    }
    found: dict[str, list[str]] = {}
    for user, paths in pages.items():
        page = sign_in(browser, base_url, user, locale=locale)
        for path in paths:
            page.goto(f"{base_url}{path}")
            for details in page.locator("details").all():
                details.evaluate("d => d.open = true")
            hits = page.evaluate(SCAN, names)
            if hits:
                found[path] = hits
    anonymous = browser.new_context(locale=locale).new_page()
    for path in ("/login", "/code"):
        anonymous.goto(f"{base_url}{path}")
        hits = anonymous.evaluate(SCAN, names)
        if hits:
            found[path] = hits
    assert found == {}
