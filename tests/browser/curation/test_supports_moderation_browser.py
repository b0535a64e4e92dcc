"""Supports and comment moderation in Chromium, with JavaScript off (every step works without
it), checked by axe-core: a curator uploads, reorders and removes a support; an officer reports
a comment from the keyboard; the curator hides it; its author and another officer see the sheet.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser

AXE_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)
PASSWORD = "mot-de-passe-de-test-456"
COMMENT = "Utilisé avec M. Martin, né le 01/02/1980 : très utile au deuxième entretien."


@pytest.fixture
def no_serious_violation(browser, live_server):
    """axe-core on what a page without script shows: its HTML is laid into a page of a
    script-enabled context at the same origin (so the stylesheets apply), where axe can run."""
    ctx = browser.new_context(locale="fr-FR", bypass_csp=True)
    checker = ctx.new_page()

    def check(page, where: str) -> None:
        checker.goto(f"{live_server}/healthz")
        checker.set_content(page.content())
        checker.wait_for_load_state("networkidle")
        checker.add_script_tag(path=AXE_PATH)
        found = checker.evaluate("""async () => (await axe.run(document,
            {resultTypes: ['violations']})).violations
            .filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes[0].html.slice(0, 160))""")
        assert found == [], f"axe sur {where} : {found}"

    yield check
    ctx.close()


@pytest.fixture
def people(app, catalogue):
    from app.accounts.service import create_user
    from app.catalogue.service import get_tool
    from app.db import db
    from app.feedback.ratings import rate
    from app.models import Tool

    with app.app_context():
        emails = {role: f"{role}.moderation@justice.fr" for role in ("curator", "author", "reader")}
        users = {
            name: create_user(
                db.session, email, "curator" if name == "curator" else "agent", PASSWORD
            )
            for name, email in emails.items()
        }
        tool = get_tool(db.session, catalogue.slugs[catalogue.runner_up])
        rate(db.session, db.session.get(Tool, tool.id), users["author"], rating=4, comment=COMMENT)
        db.session.commit()
    return emails


@pytest.fixture
def no_js(browser):
    contexts = []

    def new_page():
        ctx = browser.new_context(locale="fr-FR", java_script_enabled=False, bypass_csp=True)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield new_page
    for ctx in contexts:
        ctx.close()


def _signed_in(new_page, base, sign_in, email):
    page = new_page()
    sign_in(page, base, email, PASSWORD)
    return page


def _order(page) -> list[str]:
    return [h.inner_text() for h in page.locator("li[id^=support-] h3").all()]


def test_a_curator_uploads_reorders_and_removes_a_support(
    no_js, live_server, catalogue, people, sign_in, tmp_path, no_serious_violation, make_pdf
):
    slug = catalogue.slugs[catalogue.with_support]
    page = _signed_in(no_js, live_server, sign_in, people["curator"])
    page.goto(f"{live_server}/gestion/outils/{slug}/supports")
    before = _order(page)
    assert len(before) == 1
    no_serious_violation(page, "la page des supports")

    fake = tmp_path / "faux.pdf"
    fake.write_text("<html>pas un PDF</html>")
    page.locator("#titre").fill("Exercice complémentaire")
    page.set_input_files("#fichier", str(fake))
    page.get_by_role("button", name="Envoyer le support").click()
    assert "n'est pas celui d'un fichier PDF" in page.locator("#fichier-erreur").inner_text()
    assert page.locator("#titre").input_value() == "Exercice complémentaire"
    no_serious_violation(page, "la page des supports en erreur")

    real = tmp_path / "Exercice complémentaire.pdf"
    real.write_bytes(make_pdf("Exercice complementaire"))
    page.set_input_files("#fichier", str(real))
    page.get_by_role("button", name="Envoyer le support").click()
    assert "est ajouté" in page.locator(".fr-alert--success").inner_text()
    assert _order(page) == before + ["Exercice complémentaire"]

    page.get_by_role("button", name="Monter « Exercice complémentaire »").click()
    assert _order(page) == ["Exercice complémentaire"] + before
    page.goto(f"{live_server}/outils/{slug}")
    assert page.locator("#supports + ul a").first.inner_text().startswith("Exercice complémentaire")

    page.goto(f"{live_server}/gestion/outils/{slug}/supports")
    page.get_by_role("link", name="Supprimer « Exercice complémentaire »").click()
    no_serious_violation(page, "la confirmation de suppression")
    page.get_by_role("button", name="Supprimer définitivement").click()
    assert _order(page) == before


def test_an_officer_reports_a_curator_hides_the_author_still_sees(
    no_js, live_server, catalogue, people, sign_in, no_serious_violation
):
    sheet = f"{live_server}/outils/{catalogue.slugs[catalogue.runner_up]}"
    reader = _signed_in(no_js, live_server, sign_in, people["reader"])
    reader.goto(sheet)
    assert "numéro d'écrou" in reader.locator("#comment").evaluate("e => e.labels[0].innerText")
    card = reader.locator(".fr-card", has_text="M. Martin")
    card.locator("summary").focus()
    reader.keyboard.press("Enter")  # <details> opens from the keyboard, without script
    card.get_by_label("Motif du signalement (facultatif)").fill("Nom et date de naissance.")
    no_serious_violation(reader, "la fiche avec le formulaire de signalement")
    card.get_by_role("button", name="Signaler ce commentaire aux référents").click()
    assert "signalé aux référents" in reader.locator(".fr-alert--success").inner_text()

    curator = _signed_in(no_js, live_server, sign_in, people["curator"])
    curator.goto(f"{live_server}/gestion/commentaires")
    assert "Nom et date de naissance." in curator.content()
    no_serious_violation(curator, "la file des commentaires signalés")
    section = curator.locator("section", has_text="M. Martin").first
    section.get_by_role("button", name="Masquer ce commentaire").click()
    assert "Indiquez le motif du masquage" in curator.locator(".fr-error-text").inner_text()
    no_serious_violation(curator, "la file en erreur")
    section = curator.locator("section", has_text="M. Martin").first
    section.get_by_label("Motif du masquage (obligatoire)").fill("Identifie une personne suivie.")
    section.get_by_role("button", name="Masquer ce commentaire").click()
    assert "Commentaires masqués (1)" in curator.content()

    reader.goto(sheet)
    assert "M. Martin" not in reader.content()
    author = _signed_in(no_js, live_server, sign_in, people["author"])
    author.goto(sheet)
    mine = author.locator(".fr-card", has_text="M. Martin")
    assert "masqué par la modération" in mine.inner_text().lower()  # the badge is upper-cased
    assert "Identifie une personne suivie." in mine.inner_text()
    no_serious_violation(author, "la fiche vue par l'auteur d'un commentaire masqué")
