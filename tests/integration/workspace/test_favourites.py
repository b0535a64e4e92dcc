"""« Ma boîte à outils »: an officer adds a tool from its result card or its sheet and comes back
where they were; the page groups favourites under each of their factors with the rating and the
evidence for that factor; a note is checked like every free text; a tool that left the
catalogue says so and can be removed; nobody sees another officer's favourites."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.catalogue.service import save_tool
from app.catalogue.workflow import transition
from app.db import db
from app.feedback.ratings import rate
from app.models import Favourite, Tool, User
from app.workspace.favourites import NOTE_MAX


def _sign_in(app, client, user):
    with app.app_context():
        version = db.session.get(User, user.id).session_version
    with client.session_transaction() as session:
        session["uid"], session["sv"] = user.id, version


@pytest.fixture
def officer(app, make_user):
    user = make_user("agent")
    client = app.test_client()
    _sign_in(app, client, user)
    return user, client


def _favourites(app, user) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Tool.slug)
                .join(Favourite, Favourite.tool_id == Tool.id)
                .where(Favourite.user_id == user.id)
                .order_by(Tool.slug)
            )
        )


def _add(client, slug, back="/recherche?facteur=addictions"):
    return client.post("/ma-boite-a-outils/ajouter", data={"outil": slug, "retour": back})


def test_the_card_and_the_sheet_offer_the_form_to_officers_only(app, make_tool, officer):
    user, client = officer
    tool = make_tool(title="Balance décisionnelle")
    anonymous = app.test_client()
    for path in ("/recherche?facteur=addictions", f"/outils/{tool.slug}"):
        assert "Ajouter à ma boîte à outils" not in anonymous.get(path).get_data(as_text=True)
        page = client.get(path).get_data(as_text=True)
        assert "Ajouter à ma boîte à outils" in page
        assert f'name="outil" value="{tool.slug}"' in page


def test_adding_from_a_card_comes_back_to_the_results(app, make_tool, officer):
    user, client = officer
    tool = make_tool(title="Balance décisionnelle")

    response = _add(client, tool.slug, "/recherche?facteur=addictions&stade=contemplation")

    assert response.status_code == 303
    assert response.headers["Location"] == "/recherche?facteur=addictions&stade=contemplation"
    assert _favourites(app, user) == [tool.slug]
    page = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert "« Balance décisionnelle » est dans votre boîte à outils." in page
    assert "Retirer de ma boîte à outils" in page
    # a second click (another tab) keeps one favourite
    assert _add(client, tool.slug).status_code == 303
    assert _favourites(app, user) == [tool.slug]


@pytest.mark.parametrize(
    "back",
    [
        "https://ailleurs.example/piege",
        "//ailleurs.example/piege",
        "/\\ailleurs.example",
        "javascript:alert(1)",
        "recherche",
        "/recherche\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_the_way_back_is_a_path_of_this_site_only(app, make_tool, officer, back):
    _user, client = officer
    tool = make_tool()
    response = _add(client, tool.slug, back)
    assert response.status_code == 303
    assert response.headers["Location"] == "/ma-boite-a-outils"


def test_only_published_tools_can_be_added(app, make_tool, officer):
    user, client = officer
    draft = make_tool(status="draft")
    assert _add(client, draft.slug).status_code == 404
    assert client.post("/ma-boite-a-outils/ajouter", data={"outil": "inconnu"}).status_code == 404
    assert client.post("/ma-boite-a-outils/ajouter", data={}).status_code == 400
    assert _favourites(app, user) == []


def test_the_page_groups_tools_under_each_factor_with_rating_and_evidence(
    app, make_tool, make_user, officer
):
    user, client = officer
    both = make_tool(
        title="Entretien motivationnel",
        risk_factors=["addictions", "emploi"],
        evidence_level=2,
        factor_evidence={"addictions": {"evidence_level": 4, "references": []}},
    )
    single = make_tool(title="Plan de recherche d'emploi", risk_factors=["emploi"])
    with app.app_context():
        rater = make_user("agent")
        rate(db.session, db.session.get(Tool, both.id), db.session.get(User, rater.id), rating=4)
        rate(db.session, db.session.get(Tool, both.id), db.session.get(User, user.id), rating=5)
        db.session.commit()
    for tool in (both, single):
        _add(client, tool.slug)

    page = client.get("/ma-boite-a-outils").get_data(as_text=True)

    sections = re.findall(r'<section class="fr-mb-6w" aria-labelledby="([^"]+)">', page)
    assert sections == ["facteur-emploi", "facteur-addictions"]  # the factors' own order
    emploi, addictions = page.split('aria-labelledby="facteur-addictions"')
    assert "Entretien motivationnel" in addictions and "Plan de recherche" not in addictions
    assert "Entretien motivationnel" in emploi and "Plan de recherche d&#39;emploi" in emploi
    # the evidence for each factor: demonstrated for addictions, the tool's own for employment
    assert "Preuve pour ce facteur : Impact démontré" in addictions
    assert "Preuve pour ce facteur : Impact démontré" not in emploi
    assert "Preuve pour ce facteur : Fondé théoriquement" in emploi
    assert "Note 4.5/5 (2 avis)" in page
    # one id per tool however many groups show it (the note's way back)
    assert page.count(f'id="outil-{both.slug}"') == 1


def test_a_note_is_saved_and_an_identifying_one_refused(app, make_tool, officer):
    user, client = officer
    tool = make_tool(title="Balance décisionnelle")
    _add(client, tool.slug)

    saved = client.post(
        f"/ma-boite-a-outils/{tool.slug}/note",
        data={"note": "  À utiliser en deuxième entretien, prévoir 20 minutes.  "},
    )
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/ma-boite-a-outils#outil-{tool.slug}"
    page = client.get("/ma-boite-a-outils").get_data(as_text=True)
    assert "À utiliser en deuxième entretien, prévoir 20 minutes." in page

    refused = client.post(
        f"/ma-boite-a-outils/{tool.slug}/note",
        data={"note": "Utile avec M. Dupont, né le 03/04/1985."},
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "La note semble contenir" in body and "retirez-les avant d&#39;enregistrer" in body
    assert "Utile avec M. Dupont" in body  # given back to be corrected

    too_long = client.post(f"/ma-boite-a-outils/{tool.slug}/note", data={"note": "a" * 1001})
    assert too_long.status_code == 400
    assert f"La note fait 1001 caractères : {NOTE_MAX} au plus." in too_long.get_data(as_text=True)
    with app.app_context():
        note = db.session.scalar(select(Favourite.note).where(Favourite.user_id == user.id))
    assert note == "À utiliser en deuxième entretien, prévoir 20 minutes."


def test_a_tool_that_left_the_catalogue_says_so_and_can_be_removed(app, make_tool, officer):
    user, client = officer
    tool = make_tool(title="Outil bientôt archivé")
    _add(client, tool.slug)
    with app.app_context():
        transition(db.session, db.session.get(Tool, tool.id), "archived", None)
        db.session.commit()

    page = client.get("/ma-boite-a-outils").get_data(as_text=True)
    assert "Outils retirés du catalogue" in page
    withdrawn = page.split('id="outils-retires"')[1]
    assert "Outil bientôt archivé</strong> — n'est plus dans le catalogue." in withdrawn
    assert f'href="/outils/{tool.slug}' not in page  # its sheet is gone for officers

    removed = client.post(
        "/ma-boite-a-outils/retirer", data={"outil": tool.slug, "retour": "/ma-boite-a-outils"}
    )
    assert removed.status_code == 303
    assert _favourites(app, user) == []
    assert "Votre boîte à outils est vide" in client.get("/ma-boite-a-outils").get_data(
        as_text=True
    )


def test_officers_see_their_own_favourites_only(app, make_tool, make_user, officer):
    user, client = officer
    tool = make_tool(title="Outil de l'un")
    _add(client, tool.slug)
    client.post(f"/ma-boite-a-outils/{tool.slug}/note", data={"note": "Ma note à moi."})
    other = make_user("agent")
    other_client = app.test_client()
    _sign_in(app, other_client, other)

    assert "Outil de l&#39;un" not in other_client.get("/ma-boite-a-outils").get_data(as_text=True)
    assert other_client.get(f"/ma-boite-a-outils/{tool.slug}/note").status_code == 404
    refused = other_client.post(f"/ma-boite-a-outils/{tool.slug}/note", data={"note": "x"})
    assert refused.status_code == 404
    # removing a tool one does not keep changes nobody's favourites
    other_client.post("/ma-boite-a-outils/retirer", data={"outil": tool.slug})
    assert _favourites(app, user) == [tool.slug]


def test_a_renamed_tool_keeps_its_favourite(app, make_tool, officer):
    """The favourite follows the tool, not its address."""
    user, client = officer
    tool = make_tool(title="Ancien titre")
    _add(client, tool.slug)
    with app.app_context():
        save_tool(
            db.session,
            {"title": "Nouveau titre", "slug": "nouveau-titre"},
            db.session.get(Tool, tool.id),
        )
        db.session.commit()
    assert _favourites(app, user) == ["nouveau-titre"]
    assert "Nouveau titre" in client.get("/ma-boite-a-outils").get_data(as_text=True)


def test_a_sheet_answering_a_refused_form_sends_the_officer_to_the_toolbox(app, make_tool, officer):
    """The sheet shown again at the rating form's POST address has no address to come back
    to: the favourite form then leads to « Ma boîte à outils », never to a POST-only URL."""
    _user, client = officer
    tool = make_tool()
    refused = client.post(f"/outils/{tool.slug}/avis", data={"rating": "9"})
    assert refused.status_code == 400
    assert 'name="retour" value=""' in refused.get_data(as_text=True)
    assert _add(client, tool.slug, "").headers["Location"] == "/ma-boite-a-outils"
