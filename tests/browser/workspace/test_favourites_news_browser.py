"""« Ma boîte à outils » and « Nouveautés » in a real Chromium, with the keyboard only: an officer
follows a factor and adds a tool from the search page, comes back to the same results, writes a
note (refused, then saved), asks for the weekly e-mail; every page on the way passes axe-core
with no violation of any impact, and the header counts the news."""

from __future__ import annotations

import os
import re

import pytest

pytestmark = pytest.mark.browser

AXE_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)


@pytest.fixture
def officer_page(browser):
    """A page whose context lets axe be injected (the app's CSP would block it)."""
    if not os.path.isfile(AXE_PATH):
        pytest.fail(f"axe-core introuvable : {AXE_PATH} (lancez `npm ci`).", pytrace=False)
    context = browser.new_context(
        bypass_csp=True, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def assert_no_violation(page, where: str) -> None:
    """axe-core on the page as it is: no violation, whatever its impact."""
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=AXE_PATH)
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes[0].target} `
                             + v.nodes[0].html.slice(0, 160))""")
    assert found == [], f"axe sur {where} :\n" + "\n".join(found)


def tab_to(page, matches: str, limit: int = 120) -> None:
    """Press Tab until the focused element's accessible text contains `matches`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            "() => { const a = document.activeElement; return a ? "
            "(a.innerText || a.value || a.getAttribute('aria-label') || '') + ' ' + "
            "(a.labels && a.labels.length ? a.labels[0].innerText : '') : ''; }"
        )
        if matches in " ".join(text.split()):
            return
    pytest.fail(f"« {matches} » n'a pas reçu le focus après {limit} appuis sur Tab.")


def test_an_officer_keeps_a_tool_and_follows_a_factor_with_the_keyboard(
    officer_page, live_server, catalogue, sign_in
):
    page = officer_page
    sign_in(page, live_server)
    results = f"{live_server}/recherche?facteur=addictions"
    page.goto(results)
    assert_no_violation(page, "la recherche d'un agent connecté")

    # « Suivre ce facteur », then back on the same results
    tab_to(page, "Suivre ce facteur")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == results
    assert page.get_by_role("button", name=re.compile("Ne plus suivre ce facteur")).is_visible()

    # the first result into the toolbox, from its card
    first = catalogue.addictions_order[0]
    tab_to(page, f"Ajouter à ma boîte à outils : « {first} »")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == results
    assert f"« {first} » est dans votre boîte à outils." in page.locator("main").inner_text()
    assert page.get_by_role(
        "button", name=f"Retirer de ma boîte à outils : « {first} »"
    ).is_visible()
    assert_no_violation(page, "la recherche après l'ajout")

    # the header's link to the toolbox
    tab_to(page, "Ma boîte à outils")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ma-boite-a-outils$"))
    assert page.locator("h1").inner_text() == "Ma boîte à outils"
    assert first in page.locator("#facteur-addictions").locator("..").inner_text()
    assert_no_violation(page, "Ma boîte à outils")

    # a note: refused when it names someone, saved otherwise
    tab_to(page, f"Écrire une note sur « {first} »")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/note$"))
    tab_to(page, "Votre note")
    page.keyboard.type("Vu avec M. Durand le 03/04/2025.")
    tab_to(page, "Enregistrer ma note")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "La note semble contenir" in page.locator(".fr-error-text").inner_text()
    assert_no_violation(page, "la note refusée")
    page.get_by_label("Votre note").fill("")
    page.get_by_label("Votre note").focus()
    page.keyboard.type("En deuxième entretien ; prévoir la fiche imprimée.")
    tab_to(page, "Enregistrer ma note")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ma-boite-a-outils#outil-"))
    assert "En deuxième entretien ; prévoir la fiche imprimée." in page.locator("main").inner_text()

    # the news: the followed factor's tools; the weekly e-mail asked for with the keyboard
    page.goto(f"{live_server}/nouveautes")
    assert page.locator("h1").inner_text() == "Nouveautés"
    news = page.locator("main").inner_text()
    assert catalogue.addictions_order[1] in news and "Mon projet professionnel" not in news
    assert_no_violation(page, "Nouveautés")
    tab_to(page, "Recevoir chaque semaine un récapitulatif par courriel")
    page.keyboard.press("Space")
    tab_to(page, "Enregistrer mes choix")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Vos choix sont enregistrés." in page.locator("main").inner_text()
    assert page.get_by_label(re.compile("Recevoir chaque semaine")).is_checked()
    assert page.get_by_label(re.compile("Addictions")).is_checked()

    # back on the sheet: the tool is kept, and removed from there
    page.goto(f"{live_server}/outils/{catalogue.slugs[first]}")
    assert_no_violation(page, "la fiche d'un outil gardé")
    tab_to(page, f"Retirer de ma boîte à outils : « {first} »")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"« {first} » n'est plus dans votre boîte à outils." in page.locator("main").inner_text()
    page.goto(f"{live_server}/ma-boite-a-outils")
    assert "Votre boîte à outils est vide" in page.locator("main").inner_text()
    assert_no_violation(page, "Ma boîte à outils vide")


@pytest.fixture
def news_officer(app, catalogue):
    """The browser's officer follows employment since yesterday, before the server starts (the
    test thread never touches the database while the server runs): its one tool is news."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.db import db
    from app.models import User
    from app.models.base import utcnow
    from app.workspace.digest import unsubscribe_token
    from app.workspace.follows import set_follows
    from app.workspace.news import alerts_of

    with app.app_context():
        officer = db.session.scalars(select(User).where(User.email == catalogue.agent_email)).one()
        set_follows(db.session, officer, ["emploi"], digest=True)
        alerts_of(db.session, officer.id).news_seen_at = utcnow() - timedelta(days=1)
        db.session.commit()
        with app.test_request_context():
            return unsubscribe_token(officer.id)


def test_the_header_counts_news_and_the_unsubscribe_page_passes_axe(
    officer_page, news_officer, live_server, catalogue, sign_in
):
    page = officer_page
    sign_in(page, live_server)
    page.goto(f"{live_server}/recherche")
    badge = page.locator(".romin-news-count")
    assert " ".join(badge.text_content().split()) == "1 depuis votre dernière visite"

    tab_to(page, "Nouveautés")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/nouveautes$"))
    news = page.locator("main").text_content()  # badges are shown in capitals
    assert "Mon projet professionnel" in news and "Depuis votre dernière visite" in news
    assert page.locator(".romin-news-count").count() == 0  # opened: counted from now
    page.goto(f"{live_server}/recherche")
    assert page.locator(".romin-news-count").count() == 0

    # the e-mail's link, opened without signing in: a button, then done
    visitor = page.context.browser.new_context(bypass_csp=True, locale="fr-FR").new_page()
    visitor.goto(f"{live_server}/alertes/desabonnement/{news_officer}")
    assert_no_violation(visitor, "la page de désabonnement")
    tab_to(visitor, "Ne plus recevoir le récapitulatif")
    with visitor.expect_navigation():
        visitor.keyboard.press("Enter")
    assert "Vous ne recevrez plus le récapitulatif" in visitor.locator("main").inner_text()
    assert_no_violation(visitor, "le désabonnement fait")
    visitor.context.close()
