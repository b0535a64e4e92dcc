"""axe-core on the main pages: no "serious" or "critical" violation. Then what a person sees:
two screenshots to look at, the results' layout, the header on a phone, script errors.

axe is injected from the npm package (node_modules/axe-core), never from a CDN. The app's
Content-Security-Policy (`script-src 'self'`) would block the injected script, so the axe
context bypasses CSP; the pages themselves are unchanged.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
AXE_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)


@pytest.fixture
def axe_page(browser):
    if not os.path.isfile(AXE_PATH):
        pytest.fail(f"axe-core introuvable : {AXE_PATH} (lancez `npm ci`).", pytrace=False)
    context = browser.new_context(
        bypass_csp=True, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def run_axe(page) -> list[dict]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=AXE_PATH)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
        }));
    }""")
    return result


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        node = v["nodes"][0] if v["nodes"] else {}
        lines.append(
            f"- {v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nœud(s), "
            f"premier : {node.get('target')} {node.get('html', '')[:160]}"
        )
    return "\n".join(lines)


def assert_accessible(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, f"axe sur {url} :\n{describe(violations)}"


@pytest.mark.parametrize(
    "path",
    [
        "/recherche",
        "/recherche?facteur=addictions",
        "/recherche?q=alcol",
        "/connexion",
        "/outils/cet-outil-n-existe-pas",
    ],
)
def test_pages_have_no_serious_violations(axe_page, live_server, catalogue, path):
    assert_accessible(axe_page, live_server + path)


def test_not_found_page_is_a_404(axe_page, live_server, catalogue):
    response = axe_page.goto(f"{live_server}/outils/cet-outil-n-existe-pas")
    assert response.status == 404
    assert axe_page.locator("h1").inner_text() == "Page introuvable"


def test_tool_sheet_signed_out_and_signed_in(axe_page, live_server, catalogue, sign_in):
    sheet = f"{live_server}/outils/{catalogue.slugs[catalogue.with_support]}"
    assert_accessible(axe_page, sheet)
    assert axe_page.locator("form[action*='/avis']").count() == 0

    sign_in(axe_page, live_server)
    assert_accessible(axe_page, sheet)
    assert axe_page.locator("form[action*='/avis']").count() == 1

    # the form re-rendered with its errors (no rating chosen) must be accessible too
    axe_page.get_by_role("button", name="Publier mon avis").click()
    axe_page.wait_for_load_state()
    assert axe_page.locator(".fr-alert--error").count() == 1
    violations = [v for v in run_axe(axe_page) if v["impact"] in BLOCKING]
    assert not violations, f"axe sur le formulaire d'avis en erreur :\n{describe(violations)}"


def test_screenshots(axe_page, live_server, catalogue):
    """For a person to look at: /tmp/romin-search.png and /tmp/romin-tool.png."""
    axe_page.goto(f"{live_server}/recherche?facteur=addictions")
    axe_page.wait_for_load_state("networkidle")
    # the DSFR stylesheet and its fonts are served: the body font is Marianne
    font = axe_page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "Marianne" in font, font
    axe_page.screenshot(path="/tmp/romin-search.png", full_page=True)
    axe_page.goto(f"{live_server}/outils/{catalogue.slugs[catalogue.with_support]}")
    axe_page.wait_for_load_state("networkidle")
    axe_page.screenshot(path="/tmp/romin-tool.png", full_page=True)


# -- what a person sees: layout and script health ----------------------------------------------


def test_result_cards_fit_their_content(axe_page, live_server, catalogue):
    """DSFR sets `.fr-grid-row .fr-card { height: 100% }`: a card straight in a grid column
    grows as tall as the row and the footer overlaps the list. Each card sits in its own <li>."""
    axe_page.goto(f"{live_server}/recherche?facteur=addictions")
    axe_page.wait_for_load_state("networkidle")
    boxes = axe_page.evaluate("""() => ({
        cards: [...document.querySelectorAll('#contenu .fr-card')]
            .map(c => c.getBoundingClientRect()).map(r => [r.top, r.bottom, r.height]),
        footer: document.querySelector('footer').getBoundingClientRect().top,
    })""")
    heights = [h for _top, _bottom, h in boxes["cards"]]
    assert heights and max(heights) < 600, f"cartes trop hautes : {heights}"
    assert boxes["footer"] >= boxes["cards"][-1][1], "le pied de page recouvre les résultats"


def test_sign_in_is_reachable_on_a_phone(axe_page, live_server, catalogue):
    axe_page.set_viewport_size({"width": 375, "height": 800})
    axe_page.goto(f"{live_server}/recherche")
    links = axe_page.get_by_role("link", name="Se connecter").all()
    assert any(link.is_visible() for link in links), "aucun lien « Se connecter » visible"


def test_pages_run_without_script_errors_or_csp_violations(page, live_server, catalogue, sign_in):
    """In a normal context (CSP enforced), as officers' browsers load the pages."""
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"{page.url}: {msg.text}")
        if msg.type == "error" and "Content Security Policy" in msg.text
        else None,
    )
    rated = f"/outils/{catalogue.slugs[catalogue.runner_up]}"  # has ratings: the table shows
    for path in ("/recherche", "/recherche?facteur=addictions", rated, "/connexion"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
    sign_in(page, live_server)
    page.goto(live_server + rated)
    page.wait_for_load_state("networkidle")
    assert not problems, "\n".join(problems)


# -- back office: tools, workflow, revisions -------------------------------------------------

CURATOR_EMAIL = "curatrice.navigateur@justice.fr"
CURATOR_PASSWORD = "mot-de-passe-curatrice-123"


@pytest.fixture
def curator_account(app, catalogue):
    """A curator, and a second revision of a tool so that a diff has something to show."""
    from app.accounts.service import create_user
    from app.catalogue.service import get_tool, save_tool
    from app.db import db

    with app.app_context():
        create_user(db.session, CURATOR_EMAIL, "curator", CURATOR_PASSWORD)
        tool = get_tool(db.session, catalogue.slugs[catalogue.runner_up])
        save_tool(db.session, {"summary": "Un résumé retravaillé pour l'historique."}, tool)
        db.session.commit()


def test_back_office_pages_have_no_serious_violations(
    axe_page, curator_account, live_server, catalogue, sign_in
):
    sign_in(axe_page, live_server, CURATOR_EMAIL, CURATOR_PASSWORD)
    slug = catalogue.slugs[catalogue.runner_up]
    for path in (
        "/gestion/outils",
        "/gestion/outils?statut=draft",
        "/gestion/outils/nouveau",
        f"/gestion/outils/{slug}",
        f"/gestion/outils/{slug}/modifier",
        f"/gestion/outils/{slug}/apercu",
        f"/gestion/outils/{slug}/historique",
        f"/gestion/outils/{slug}/historique/2",
        f"/gestion/outils/{slug}/supports",
        "/gestion/commentaires",
        "/gestion/facteurs",
        "/gestion/facteurs/addictions",
        "/gestion/index",
    ):
        assert_accessible(axe_page, live_server + path)
        assert axe_page.url == live_server + path, axe_page.url  # signed in, not sent to log in
    # the creation form re-rendered with its errors
    axe_page.goto(f"{live_server}/gestion/outils/nouveau")
    axe_page.get_by_role("button", name="Créer le brouillon").click()
    axe_page.wait_for_load_state()
    assert axe_page.locator(".fr-alert--error").count() == 1
    violations = [v for v in run_axe(axe_page) if v["impact"] in BLOCKING]
    assert not violations, f"axe sur le formulaire d'outil en erreur :\n{describe(violations)}"
