"""A new officer's journey, in a real Chromium: search, filter, open, download, sign in, rate.

Also the same main path without JavaScript, and with the keyboard only.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

FACTOR_LINKS = "section[aria-labelledby='titre-facteurs'] a"
RESULT_TITLES = "#contenu .fr-card__title a"


def factor_link_counts(page) -> dict[str, int]:
    """Label → count, read from the links' text "Label (n)"."""
    counts = {}
    for text in page.locator(FACTOR_LINKS).all_inner_texts():
        match = re.fullmatch(r"(.+) \((\d+)\)", " ".join(text.split()))
        assert match, f"lien de facteur sans compte : {text!r}"
        counts[match.group(1)] = int(match.group(2))
    return counts


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def result_titles(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(RESULT_TITLES).all_inner_texts()]


def test_search_download_sign_in_and_rate(page, live_server, catalogue, sign_in):
    # The search page shows the seven factors with their counts of published tools.
    page.goto(f"{live_server}/recherche")
    counts = factor_link_counts(page)
    assert len(counts) == 7, counts
    assert counts["Addictions (alcool, stupéfiants)"] == catalogue.counts["addictions"]
    assert counts["Problèmes d'ordre professionnel"] == catalogue.counts["emploi"]
    assert counts["Absence de loisirs pro-sociaux"] == 0

    # A click on Addictions lists its tools, best first: by evidence when nobody rated them.
    page.locator(FACTOR_LINKS, has_text="Addictions").click()
    page.wait_for_url(re.compile(r"facteur=addictions"))
    titles = result_titles(page)
    assert titles == catalogue.addictions_order
    assert catalogue.draft not in titles
    recommended = [catalogue.evidence[t] for t in titles[:-1]]
    assert recommended == sorted(recommended, reverse=True)
    assert page.locator("#resultats").inner_text().startswith("7 outils")

    # The first tool's sheet, and its PDF support downloaded.
    page.locator(RESULT_TITLES).first.click()
    page.wait_for_url(re.compile(r"/outils/"))
    assert page.locator("h1").inner_text() == catalogue.with_support
    with page.expect_download() as info:
        page.locator("#supports ~ ul a.fr-link--download").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    assert data == catalogue.pdf_bytes

    # Signed out, the sheet invites to sign in; the header link brings back here afterwards.
    assert page.get_by_role("link", name="Connectez-vous").is_visible()
    page.get_by_role("link", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/connexion"))
    page.get_by_label("Adresse électronique").type(catalogue.agent_email)
    page.keyboard.press("Tab")
    page.keyboard.type(catalogue.agent_password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/outils/{catalogue.slugs[catalogue.with_support]}"))
    assert "Vous êtes connecté(e)." in page.locator(".fr-alert--success").inner_text()

    # Rate the runner-up 5 stars through the form.
    page.goto(f"{live_server}/recherche?facteur=addictions")
    assert result_titles(page)[1] == catalogue.runner_up
    page.locator(RESULT_TITLES).nth(1).click()
    page.wait_for_url(re.compile(rf"/outils/{catalogue.slugs[catalogue.runner_up]}"))
    # The DSFR radio input is visually replaced by its label: click the label, as people do.
    page.locator("label[for='rating-5']").click()
    assert page.get_by_role("radio", name="5").is_checked()
    page.get_by_label("Votre commentaire").fill(
        "Utile pour préparer un changement : à faire en deux temps."
    )
    page.get_by_role("button", name="Publier mon avis").click()
    page.wait_for_load_state()
    success = page.locator(".fr-alert--success")
    assert "Merci, votre avis est enregistré" in success.inner_text()
    assert page.get_by_role("heading", name="Modifier mon avis").is_visible()

    # The ranking changed: the runner-up is now first on Addictions.
    page.goto(f"{live_server}/recherche?facteur=addictions")
    titles = result_titles(page)
    assert titles[0] == catalogue.runner_up, titles
    assert titles[1] == catalogue.with_support, titles


def test_misspelt_factor_is_recognised(page, live_server, catalogue):
    page.goto(f"{live_server}/recherche")
    # a search input with a datalist is exposed as a combobox: find it by its label
    search_field = page.get_by_label("Facteur de risque ou mots-clés")
    search_field.fill("alcol")
    search_field.press("Enter")
    page.wait_for_url(re.compile(r"q=alcol"))
    notice = page.locator(".fr-notice")
    assert (
        "« alcol » correspond au facteur de risque « Addictions (alcool, stupéfiants) »"
        in " ".join(notice.inner_text().replace("\u00a0", " ").split())
    )
    assert result_titles(page) == catalogue.addictions_order

    as_text = notice.get_by_role("link", name=re.compile("comme texte"))
    assert as_text.is_visible()
    as_text.click()
    page.wait_for_load_state()
    query = query_of(page.url)
    assert query.get("q") == ["alcol"] and query.get("texte") == ["1"]
    assert page.locator(".fr-notice").count() == 0


def test_main_path_without_javascript(browser, live_server, catalogue, sign_in):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/recherche")
        # Search by typing the factor's name and submitting the form (plain GET, no script).
        page.locator("#q").fill("addictions")
        page.locator("#q").press("Enter")
        page.wait_for_url(re.compile(r"q=addictions"))
        assert result_titles(page) == catalogue.addictions_order

        # A facet link narrows the results; the URL carries the filter.
        facets = page.locator("nav.romin-facets")
        facets.get_by_role("link", name=re.compile(r"^Prometteur \(1\)")).click()
        page.wait_for_load_state()
        assert query_of(page.url).get("preuve") == ["3"], page.url
        assert result_titles(page) == ["Journal des envies"]
        assert page.get_by_role("link", name=re.compile("Retirer tous les filtres")).is_visible()

        # Open the sheet.
        page.locator(RESULT_TITLES).first.click()
        page.wait_for_url(re.compile(r"/outils/"))
        assert page.locator("h1").inner_text() == "Journal des envies"

        # Signing in and rating work without JavaScript too.
        sign_in(page, live_server)
        assert page.locator(".fr-alert--success").count() == 1
        page.goto(f"{live_server}/outils/{catalogue.slugs['Journal des envies']}")
        page.locator("label[for='rating-4']").click()
        page.get_by_role("button", name="Publier mon avis").click()
        page.wait_for_load_state()
        assert "Merci, votre avis est enregistré" in page.locator(".fr-alert--success").inner_text()
    finally:
        context.close()


def test_keyboard_only(page, live_server, catalogue):
    page.goto(f"{live_server}/recherche")
    page.keyboard.press("Tab")
    first = page.evaluate(
        "() => [document.activeElement.textContent.trim(), "
        "document.activeElement.getAttribute('href')]"
    )
    assert first == ["Contenu", "#contenu"], first

    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const a = document.activeElement;"
            " return a && a.closest(\"section[aria-labelledby='titre-facteurs']\")"
            " ? a.textContent.trim() : null; }"
        )
        if focused and focused.startswith("Addictions"):
            break
    else:
        pytest.fail("Le lien « Addictions » n'a pas reçu le focus après 60 appuis sur Tab.")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"facteur=addictions"))
    assert query_of(page.url)["facteur"] == ["addictions"]
    assert result_titles(page)[0] == catalogue.addictions_order[0]
