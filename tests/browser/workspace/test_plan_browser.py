"""The plan and the session pack in a real Chromium: an officer builds a plan for Addictions and
Entourage at contemplation over 6 sessions of 45 minutes with the keyboard only, reorders it,
downloads its session pack and saves it; the plan prints on one or two A4 pages without
navigation; axe-core finds no violation of any impact on these pages."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.browser

AXE_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)
CRITERIA = [
    ("facteur", "addictions"),
    ("stade", "contemplation"),
    ("facteur", "entourage"),
    ("stade", "contemplation"),
    ("modalite", "individuelle"),
    ("seances", "6"),
    ("minutes", "45"),
]
ORDER = "ol.romin-plan-tools > li strong"


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would reach it."""
    target = page.locator(selector).first
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} jamais atteint au clavier")


def plan_order(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(ORDER).all_inner_texts()]


def test_a_plan_built_reordered_packed_and_saved_with_the_keyboard(
    page, live_server, catalogue, sign_in
):
    sign_in(page, live_server)
    page.goto(f"{live_server}/plan")
    page.locator("h1").focus()

    # Addictions and Entourage, both at contemplation: typing an option's first letters picks it
    for number, factor in ((1, "Addictions"), (2, "Entourage")):
        tab_to(page, f"#facteur-{number}")
        page.keyboard.type(factor)
        page.keyboard.press("Tab")
        page.keyboard.type("Contemplation")
    assert page.locator("#facteur-2").input_value() == "entourage"
    assert page.locator("#stade-2").input_value() == "contemplation"
    tab_to(page, "#seances")
    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("45")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/plan\?.*facteur=entourage"))

    assert page.locator("#titre-plan").inner_text() == "Le plan proposé"
    assert page.locator("#seances-du-plan tbody tr").count() == 6
    first, reseau = "Repères de consommation", "Cartographie du réseau"
    order = plan_order(page)
    assert order[:2] == [first, reseau], order
    # the 6-to-10-session tool cannot fit 6 sessions once the others are placed: it is said
    assert "Journal des envies" in page.locator("#plan").inner_text()
    assert "Choc des images" not in page.locator("#plan").inner_text()  # never proposed

    # the first tool goes down one place, with the keyboard
    tab_to(page, "button[name='action'][value='descendre-0']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"outil=entourage"))
    assert plan_order(page)[:2] == [reseau, first]
    assert page.locator("#titre-plan").inner_text() == "Votre plan"

    # the session pack of the plan: the plan as its cover, each tool, the PDF support merged
    tab_to(page, "form[action$='/plan/dossier-de-seance.pdf'] button[type='submit']")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename == "dossier-de-seance.pdf"
    reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    titles = [item.title for item in reader.outline]
    assert titles[0] == "Couverture" and titles[1:3] == [reseau, first]
    cover = reader.pages[0].extract_text()
    assert "Plan d'intervention" in cover and "Contemplation" in cover and "Séance 6" in cover
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Reperes de consommation - fiche" in text  # the support's own page, merged

    # saved under a label, then listed
    tab_to(page, "#libelle")
    page.keyboard.type("Addictions et entourage")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"plan=\d+"))
    assert "est enregistré" in page.locator(".fr-alert--success").inner_text()
    assert page.locator("h1").inner_text() == "Plan «\u00a0Addictions et entourage\u00a0»"
    page.goto(f"{live_server}/mes-plans")
    assert page.locator("#mes-plans tbody tr").count() == 1


def test_a_label_naming_someone_is_refused_on_the_page(page, live_server, catalogue, sign_in):
    sign_in(page, live_server)
    page.goto(f"{live_server}/plan?{urlencode(CRITERIA)}")
    page.get_by_label("Nom du plan").fill("Plan de Mme Martin")
    page.get_by_label("Nom du plan").press("Enter")
    page.wait_for_load_state()
    error = page.locator("#libelle-erreur").inner_text()
    assert "nom de personne" in error and "retirez-le" in error
    # the field says so to a screen reader
    assert page.locator("#libelle").get_attribute("aria-describedby") == "libelle-erreur"


def test_the_plan_prints_on_one_or_two_a4_pages_without_navigation(
    page, live_server, catalogue, sign_in
):
    sign_in(page, live_server)
    page.goto(f"{live_server}/plan?{urlencode(CRITERIA)}")
    page.wait_for_load_state("networkidle")
    printed = page.pdf(format="A4", print_background=True)
    Path("/tmp/romin-plan-print.pdf").write_bytes(printed)  # for a person to look at
    reader = PdfReader(io.BytesIO(printed))
    assert 1 <= len(reader.pages) <= 2
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Séance 1" in text and "Repères de consommation" in text
    for navigation in (
        "Rechercher un outil",
        "Se déconnecter",
        "Proposer un nouveau plan",
        "Enregistrer le plan",
        "Remplacer",
    ):
        assert navigation not in text, navigation
    box = reader.pages[0].mediabox
    # A4 in points (595 × 842), to Chromium's rounding
    assert abs(float(box.width) - 595) < 2 and abs(float(box.height) - 842) < 2


# -- axe-core: no violation of any impact ---------------------------------------------------


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


def violations(page) -> list[str]:
    page.wait_for_load_state("networkidle")
    # closed disclosures are opened: what they hold is checked too
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    page.add_script_tag(path=AXE_PATH)
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes[0].html.slice(0, 160)}`);
    }""")
    return found


def test_plan_and_pack_pages_have_no_violation(axe_page, live_server, catalogue, sign_in):
    sign_in(axe_page, live_server)
    slugs = [catalogue.slugs[catalogue.with_support], catalogue.slugs[catalogue.runner_up]]
    pages = [
        "/plan",
        "/plan?" + urlencode(CRITERIA),
        "/plan?"
        + urlencode(
            [
                ("facteur", "addictions"),
                ("stade", ""),
                ("seances", "0"),
                ("minutes", "45"),
                ("modalite", "individuelle"),
            ]
        ),
        "/mes-plans",
        "/dossier-de-seance?"
        + urlencode(
            [("outil", s) for s in slugs] + [("facteur", "addictions"), ("stade", "contemplation")]
        ),
        "/dossier-de-seance",
        "/recherche?facteur=addictions",
    ]
    problems = {}
    for path in pages:
        axe_page.goto(live_server + path)
        found = violations(axe_page)
        if found:
            problems[path] = found
    # a saved plan opened, and the list with it
    axe_page.goto(f"{live_server}/plan?{urlencode(CRITERIA)}")
    axe_page.get_by_label("Nom du plan").fill("Plan pour l'accessibilité")
    axe_page.get_by_role("button", name="Enregistrer le plan").click()
    axe_page.wait_for_url(re.compile(r"plan=\d+"))
    for where in (axe_page.url, f"{live_server}/mes-plans"):
        axe_page.goto(where)
        found = violations(axe_page)
        if found:
            problems[where] = found
    assert not problems, problems
