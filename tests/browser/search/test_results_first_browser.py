"""The results page on a phone (375 × 667): the first result on the first screen, the filters
behind « Filtres » (with and without JavaScript, with the keyboard), the filters in force as
chips, « Aller aux résultats »; on a desktop the filters stay in view; the way back from a sheet
keeps the whole search; axe finds nothing, of any impact."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
AXE_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)
FILTERED = "/recherche?facteur=addictions&stade=contemplation&modalite=individuelle"
RESULT_TITLES = "#contenu .fr-card__title a"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def focused(page) -> dict:
    return page.evaluate(
        """() => { const a = document.activeElement; return {tag: a.tagName, id: a.id,
            text: a.textContent.trim(), label: a.getAttribute('aria-label') || '',
            inFacets: !!a.closest('nav.romin-facets'), chip: a.matches('.fr-tag--dismiss')}; }"""
    )


def tab_until(page, wanted, limit: int = 80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    pytest.fail("élément jamais atteint avec Tab")


def axe_violations(page) -> list[str]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=AXE_PATH)
    return page.evaluate("""async () => (await axe.run(document)).violations
        .map(v => `${v.id} (${v.impact}): ${v.nodes[0].html.slice(0, 160)}`)""")


@pytest.mark.parametrize(
    "path, typed, signed_in",
    [
        (FILTERED, "", False),
        ("/recherche?q=alcool", "", False),
        ("/recherche", "addictions", False),
        (FILTERED, "", True),
        ("/recherche?facteur=addictions", "", True),
        ("/recherche", "addictions", True),
    ],
    ids=["filtres", "texte", "facteur-tape", "connecte", "connecte-facteur", "connecte-tape"],
)
def test_the_first_result_is_on_the_first_screen_of_a_phone(
    phone, live_server, catalogue, sign_in, path, typed, signed_in
):
    if signed_in:  # the header holds the officer's name and links, the page « Suivre ce facteur »
        sign_in(phone, live_server)
    phone.goto(live_server + path)
    if typed:  # the words read as a factor: a notice above the results, its link kept
        phone.locator("#q").fill(typed)
        phone.locator("#q").press("Enter")
        phone.wait_for_load_state()
        assert phone.get_by_role(
            "link", name=f"Rechercher plutôt « {typed} » comme texte"
        ).is_visible()
    phone.wait_for_load_state("networkidle")
    # the first card's title, whole, on the first screen
    title = phone.locator("#contenu .fr-card__title").first.bounding_box()
    assert title["y"] + title["height"] <= PHONE["height"], f"premier titre à {title} px"
    # the filters fold behind « Filtres »; the search box is above the results
    summary = phone.locator("summary", has_text="Filtres")
    assert summary.is_visible()
    assert not phone.locator("nav.romin-facets").is_visible()
    assert phone.locator("#q").bounding_box()["y"] < title["y"]
    # the page title is still there for screen readers
    assert phone.get_by_role("heading", level=1).count() == 1
    # « Suivre ce facteur » (every case has a factor): one button, beside « Filtres »
    follow = phone.get_by_role("button", name=re.compile("^Suivre ce facteur"))
    assert follow.count() == (1 if signed_in else 0)
    if signed_in:
        assert follow.bounding_box()["y"] == summary.bounding_box()["y"]


def test_filters_open_and_close_without_javascript(phone_without_js, live_server, catalogue):
    page = phone_without_js
    page.goto(f"{live_server}/recherche?facteur=addictions")
    summary = page.locator("summary", has_text="Filtres")
    facets = page.locator("nav.romin-facets")
    assert not facets.is_visible()
    summary.click()
    assert facets.is_visible()
    facets.get_by_role("link", name=re.compile(r"^Individuelle \(\d+\)")).click()
    page.wait_for_load_state()
    assert query_of(page.url) == {"facteur": ["addictions"], "modalite": ["individuelle"]}
    assert catalogue.runner_up not in [
        t.strip() for t in page.locator(RESULT_TITLES).all_inner_texts()
    ]
    # the filter in force, above the results, and « Filtres » says how many
    assert page.get_by_text("1 filtre actif").count() == 1
    assert summary.inner_text().strip() == "Filtres (1 actif)"
    chip = page.get_by_role("link", name="Retirer le filtre Modalité : Individuelle")
    assert (
        chip.is_visible()
        and chip.bounding_box()["y"] < page.locator("#resultats").bounding_box()["y"]
    )
    chip.click()
    page.wait_for_load_state()
    assert query_of(page.url) == {"facteur": ["addictions"]}
    assert page.get_by_text("filtre actif").count() == 0


def test_filters_with_the_keyboard_on_a_phone(phone, live_server, catalogue):
    phone.goto(f"{live_server}/recherche?facteur=addictions")
    now = tab_until(phone, lambda f: f["tag"] == "SUMMARY")
    assert now["text"] == "Filtres"
    phone.keyboard.press("Enter")
    assert phone.locator("nav.romin-facets").is_visible()
    now = tab_until(phone, lambda f: f["inFacets"] and f["text"].startswith("Individuelle"))
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"modalite=individuelle"))
    # back to the top, the chip takes the filter away
    now = tab_until(phone, lambda f: f["chip"])
    assert now["label"] == "Retirer le filtre Modalité : Individuelle"
    phone.keyboard.press("Enter")
    phone.wait_for_url(lambda url: "modalite" not in url)
    assert query_of(phone.url) == {"facteur": ["addictions"]}


def test_the_skip_link_goes_to_the_results(phone, live_server, catalogue):
    phone.goto(f"{live_server}/recherche?facteur=addictions")
    phone.keyboard.press("Tab")
    assert focused(phone)["text"] == "Contenu"
    phone.keyboard.press("Tab")
    assert focused(phone)["text"] == "Aller aux résultats"
    phone.keyboard.press("Enter")
    assert focused(phone)["id"] == "resultats"
    # the next Tab is in the results: the first card's title
    phone.keyboard.press("Tab")
    assert focused(phone)["text"] == catalogue.addictions_order[0]


def test_on_a_desktop_the_filters_stay_in_view(browser, live_server, catalogue):
    for javascript in (True, False):
        context = browser.new_context(
            viewport=DESKTOP, locale="fr-FR", java_script_enabled=javascript
        )
        page = context.new_page()
        page.goto(live_server + FILTERED)
        assert page.locator("nav.romin-facets").is_visible()
        assert not page.locator("summary", has_text="Filtres").is_visible()
        # reached with the keyboard, without opening anything
        now = tab_until(page, lambda f: f["inFacets"])
        assert now["text"]
        # a filter in force does not look like the others
        active, other = (
            page.locator("nav.romin-facets a.fr-tag[aria-current='true']").first,
            page.locator("nav.romin-facets a.fr-tag:not([aria-current])").first,
        )
        colours = [
            e.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
            for e in (active, other)
        ]
        assert colours[0] != colours[1], colours
        context.close()


def test_from_the_results_to_a_sheet_and_back(page, app, live_server, catalogue):
    app.config["SEARCH_PER_PAGE"] = 2
    results = f"{live_server}/recherche?facteur=addictions&modalite=individuelle&q=outil&page=2"
    page.goto(results)
    titles = [" ".join(t.split()) for t in page.locator(RESULT_TITLES).all_inner_texts()]
    assert len(titles) == 2
    page.locator(RESULT_TITLES).nth(1).click()
    page.wait_for_url(re.compile(r"/outils/"))
    assert page.locator("h1").inner_text() == titles[1]
    # the breadcrumb and « Retour aux résultats » both lead back to that very page
    crumb = page.locator(".fr-breadcrumb a[href]").first.get_attribute("href")
    assert query_of(crumb) == query_of(results)
    page.get_by_role("link", name="Retour aux résultats").click()
    page.wait_for_url(re.compile(r"/recherche"))
    assert query_of(page.url) == query_of(results)
    assert [" ".join(t.split()) for t in page.locator(RESULT_TITLES).all_inner_texts()] == titles
    assert page.get_by_role("link", name="Retirer le filtre Modalité : Individuelle").is_visible()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_results_page_has_no_axe_violation(browser, live_server, catalogue, viewport):
    context = browser.new_context(viewport=viewport, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    for path in (FILTERED, "/recherche?q=alcool+contemplation", "/recherche"):
        page.goto(live_server + path)
        assert axe_violations(page) == [], path
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        assert axe_violations(page) == [], f"{path}, filtres ouverts"
    context.close()
