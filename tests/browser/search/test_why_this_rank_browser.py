"""« Pourquoi ce rang ? » in a real Chromium: opened with the keyboard and without JavaScript, on
a result card and on the sheet; no serious axe violation once open."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser

AXE_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)


def test_opened_with_the_keyboard_without_javascript(browser, live_server, catalogue):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server}/recherche?facteur=addictions")
    disclosures = page.locator("#contenu details.romin-why")
    cards = page.locator("#contenu .fr-card")
    assert disclosures.count() == cards.count() > 0
    first = disclosures.first
    reasons = first.locator("li")
    assert not reasons.first.is_visible()  # closed until asked
    # Tab from the first card's title link reaches its summary; Enter opens it
    page.locator("#contenu .fr-card__title a").first.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    assert reasons.first.is_visible()
    text = first.inner_text()
    assert "Outil recommandé" in text and "Niveau de preuve pour" in text and "avis" in text
    # the sheet opened from that card explains its place for the factor
    page.locator("#contenu .fr-card__title a").first.click()
    page.locator("#pourquoi-ce-rang summary").click()
    assert "il est classé 1er sur" in page.locator("#pourquoi-ce-rang").inner_text()
    context.close()


def test_open_disclosures_have_no_serious_violations(browser, live_server, catalogue):
    context = browser.new_context(bypass_csp=True, locale="fr-FR")
    page = context.new_page()
    for path in (
        "/recherche?q=alcool+jeu",
        f"/outils/{catalogue.slugs[catalogue.with_support]}?facteur=addictions",
    ):
        page.goto(live_server + path)
        page.evaluate(
            "() => document.querySelectorAll('details.romin-why').forEach(d => d.open = true)"
        )
        page.add_script_tag(path=AXE_PATH)
        violations = page.evaluate("""async () => (await axe.run(document)).violations
            .filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes[0].html)""")
        assert not violations, f"{path} : {violations}"
    context.close()
