"""The sheet in a real Chromium: « Partager » (copy with the clipboard, or the link in a field
without JavaScript, or an e-mail), a refused rating that comes back at the form with its error
summary focused (with and without JavaScript), and axe on these pages: nothing, of any impact."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AXE_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)
RESULTS = "/recherche?facteur=addictions&stade=contemplation&page=1"


def sheet_path(catalogue, title: str) -> str:
    return f"/outils/{catalogue.slugs[title]}?facteur=addictions&retour={quote(RESULTS)}"


def axe_violations(page) -> list[str]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=AXE_PATH)
    return page.evaluate("""async () => (await axe.run(document)).violations
        .map(v => `${v.id} (${v.impact}): ${v.nodes[0].html.slice(0, 160)}`)""")


def test_copy_the_link_with_the_clipboard(browser, live_server, catalogue):
    context = browser.new_context(locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.goto(live_server + sheet_path(catalogue, catalogue.with_support))
    share = page.locator("#partager-fiche")
    field = share.get_by_label("Lien à copier")
    address = f"{live_server}/outils/{catalogue.slugs[catalogue.with_support]}?facteur=addictions"
    assert field.input_value() == address
    copy = share.get_by_role("button", name="Copier le lien")
    copy.focus()
    page.keyboard.press("Enter")
    # the clipboard answers asynchronously: wait for the message
    expect(share.get_by_role("status")).to_have_text(re.compile(r"^Lien copié"))
    assert page.evaluate("() => navigator.clipboard.readText()") == address
    context.close()


def test_without_javascript_the_link_is_in_a_field(browser, live_server, catalogue):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + sheet_path(catalogue, catalogue.with_support))
    share = page.locator("#partager-fiche")
    assert not share.get_by_role("button", name="Copier le lien").is_visible()
    field = share.get_by_label("Lien à copier")
    assert field.is_visible() and "/outils/" in field.input_value()
    mail = share.get_by_role("link", name="Envoyer le lien par courriel")
    assert mail.is_visible()
    parts = urlsplit(mail.get_attribute("href"))
    body = parse_qs(parts.query)["body"][0]
    assert parts.scheme == "mailto" and field.input_value() in body
    assert "« Addictions (alcool, stupéfiants) »" in body
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "sans-js"])
def test_a_refused_rating_comes_back_at_the_form(
    browser, live_server, catalogue, sign_in, javascript
):
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=javascript, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    sign_in(page, live_server)
    page.goto(live_server + sheet_path(catalogue, catalogue.runner_up))
    page.get_by_role("button", name="Publier mon avis").click()  # no rating chosen
    page.wait_for_load_state()
    assert urlsplit(page.url).fragment == "donner-un-avis"
    assert query_of(page.url) == {"facteur": ["addictions"], "retour": [RESULTS]}
    summary = page.locator("#donner-un-avis")
    assert summary.is_visible()
    assert page.evaluate("() => document.activeElement.id") == "donner-un-avis"
    box = summary.bounding_box()
    assert 0 <= box["y"] < 800, f"résumé des erreurs hors de l'écran : {box}"
    heading = page.get_by_role("heading", name="Donner mon avis").bounding_box()
    assert 0 <= heading["y"] < box["y"], "le titre du formulaire au-dessus, visible"
    # the way back is still there; the summary's link leads to the field
    assert page.get_by_role("link", name="Retour aux résultats").count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent").startswith("Votre note :")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "rating-1"
    # and once corrected, the rating is saved, the sheet still leads back to the results
    page.locator("label[for='rating-4']").click()
    page.get_by_role("button", name="Publier mon avis").click()
    page.wait_for_load_state()
    assert "Merci, votre avis est enregistré" in page.locator(".fr-alert--success").inner_text()
    assert page.get_by_role("link", name="Retour aux résultats").get_attribute("href") == RESULTS
    context.close()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_sheet_has_no_axe_violation(browser, live_server, catalogue, sign_in, width):
    context = browser.new_context(
        locale="fr-FR", bypass_csp=True, viewport={"width": width, "height": 800}
    )
    page = context.new_page()
    sheet = live_server + sheet_path(catalogue, catalogue.with_support)
    page.goto(sheet)
    assert axe_violations(page) == [], "fiche, hors connexion"
    sign_in(page, live_server)
    page.goto(live_server + sheet_path(catalogue, catalogue.runner_up))
    assert axe_violations(page) == [], "fiche, connecté"
    page.get_by_role("button", name="Publier mon avis").click()
    page.wait_for_load_state()
    assert page.locator("#donner-un-avis").is_visible()
    assert axe_violations(page) == [], "avis refusé"
    context.close()
