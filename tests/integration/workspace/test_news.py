"""« Nouveautés »: what changed in the catalogue is stamped per tool in the same transaction; an
officer who follows a factor (from the search page or the form) sees its new and updated
tools, and their favourites' updates; the header counts what came since their last visit with
one query, and never queries anything for an anonymous visitor; a support changed after the
officer downloaded it says so."""

from __future__ import annotations

import pytest
from fpdf import FPDF
from sqlalchemy import event, select

from app.catalogue.service import save_tool
from app.catalogue.supports import add_support, move_support, replace_support
from app.db import db
from app.feedback.ratings import rate
from app.models import FactorFollow, OfficerAlerts, RiskFactor, Support, Tool, ToolNews, User
from app.workspace.news import unseen_count


def _sign_in(app, client, user):
    with app.app_context():
        version = db.session.get(User, user.id).session_version
    with client.session_transaction() as session:
        session["uid"], session["sv"] = user.id, version


def _pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


@pytest.fixture
def officer(app, make_user):
    user = make_user("agent")
    client = app.test_client()
    _sign_in(app, client, user)
    return user, client


def _news(app, tool_id) -> ToolNews:
    with app.app_context():
        news = db.session.get(ToolNews, tool_id, populate_existing=True)
        assert news is not None
        return news


def _edit(app, tool_id, **fields):
    with app.app_context():
        save_tool(db.session, fields, db.session.get(Tool, tool_id))
        db.session.commit()


def test_each_change_of_the_catalogue_is_stamped_on_its_tool(app, make_tool, make_user):
    draft = make_tool(status="draft")
    with app.app_context():  # a new draft is no news to anyone
        assert db.session.get(ToolNews, draft.id) is None

    tool = make_tool()
    created = _news(app, tool.id)
    assert created.published_at == created.changed_at  # new in the catalogue

    _edit(app, tool.id, summary="Un résumé revu.")
    edited = _news(app, tool.id)
    assert edited.changed_at > created.changed_at
    assert edited.published_at == created.published_at
    assert edited.supports_changed_at is None

    with app.app_context():
        add_support(db.session, db.session.get(Tool, tool.id), "fiche.pdf", _pdf("un"))
        add_support(db.session, db.session.get(Tool, tool.id), "grille.pdf", _pdf("deux"))
        db.session.commit()
    with_supports = _news(app, tool.id)
    assert with_supports.supports_changed_at == with_supports.changed_at > edited.changed_at

    with app.app_context():  # reordering is not news, nor is a rating (a score refresh)
        support = db.session.scalar(select(Support).where(Support.tool_id == tool.id))
        assert move_support(db.session, support, +1)
        rate(
            db.session,
            db.session.get(Tool, tool.id),
            db.session.get(User, make_user("agent").id),
            rating=5,
        )
        db.session.commit()
    assert _news(app, tool.id).changed_at == with_supports.changed_at

    with app.app_context():
        support = db.session.scalar(select(Support).where(Support.tool_id == tool.id))
        replace_support(db.session, support, "fiche.pdf", _pdf("nouvelle version"))
        db.session.commit()
    replaced = _news(app, tool.id)
    assert replaced.supports_changed_at == replaced.changed_at > with_supports.changed_at


def test_a_tool_published_with_its_supports_in_one_transaction_is_new(app, make_tool):
    """`romin seed` and imports save the sheet, then add its supports: still a new tool."""
    with app.app_context():
        tool = save_tool(
            db.session,
            {
                "title": "Outil neuf et ses supports",
                "risk_factors": ["addictions"],
                "status": "published",
            },
        )
        add_support(db.session, tool, "fiche.pdf", _pdf("un"))
        db.session.commit()
        tool_id = tool.id
    news = _news(app, tool_id)
    assert news.published_at == news.changed_at == news.supports_changed_at
    with app.app_context():  # the next transaction's change of supports is an update
        add_support(db.session, db.session.get(Tool, tool_id), "grille.pdf", _pdf("deux"))
        db.session.commit()
    later = _news(app, tool_id)
    assert later.published_at == news.published_at < later.supports_changed_at == later.changed_at


def test_a_rolled_back_change_leaves_no_stamp(app, make_tool):
    tool = make_tool()
    before = _news(app, tool.id).changed_at
    with app.app_context():
        save_tool(db.session, {"summary": "Jamais enregistré."}, db.session.get(Tool, tool.id))
        db.session.rollback()
    assert _news(app, tool.id).changed_at == before


def test_following_a_factor_from_the_search_page(app, make_tool, officer):
    user, client = officer
    make_tool(title="Outil addictions")
    anonymous = app.test_client().get("/recherche?facteur=addictions").get_data(as_text=True)
    assert "Suivre ce facteur" not in anonymous

    page = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert "Suivre ce facteur" in page
    response = client.post(
        "/nouveautes/suivre",
        data={"facteur": "addictions", "retour": "/recherche?facteur=addictions"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/recherche?facteur=addictions"
    page = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert "Vous suivez « Addictions »" in page or "Ne plus suivre ce facteur" in page
    assert "Ne plus suivre ce facteur" in page

    client.post("/nouveautes/ne-plus-suivre", data={"facteur": "addictions"})
    with app.app_context():
        assert (
            db.session.scalar(select(FactorFollow).where(FactorFollow.user_id == user.id)) is None
        )
    assert client.post("/nouveautes/suivre", data={"facteur": "inconnu"}).status_code == 404


def test_news_of_followed_factors_and_favourites_with_the_header_count(app, make_tool, officer):
    user, client = officer
    client.post("/nouveautes/suivre", data={"facteur": "addictions"})
    kept = make_tool(title="Outil gardé", risk_factors=["emploi"])
    client.post("/ma-boite-a-outils/ajouter", data={"outil": kept.slug})
    page = client.get("/nouveautes").get_data(as_text=True)  # the count starts from here
    assert "romin-news-count" not in page

    make_tool(title="Nouvel outil addictions", risk_factors=["addictions"])
    make_tool(title="Outil d'un autre facteur", risk_factors=["loisirs"])
    make_tool(title="Brouillon addictions", risk_factors=["addictions"], status="draft")
    _edit(app, kept.id, summary="Résumé mis à jour.")

    search = client.get("/recherche").get_data(as_text=True)
    assert (
        '<span class="fr-badge fr-badge--sm fr-badge--new fr-badge--no-icon romin-news-count">2'
        in search
    )
    news = client.get("/nouveautes").get_data(as_text=True)
    assert "Nouvel outil addictions" in news and "Outil gardé" in news
    assert "Outil d&#39;un autre facteur" not in news and "Brouillon addictions" not in news
    assert "Nouvel outil" in news and "Fiche mise à jour" in news
    assert news.count("Depuis votre dernière visite") == 2
    # opened: the count starts again from zero, the page still lists the news
    again = client.get("/nouveautes").get_data(as_text=True)
    assert "romin-news-count" not in again
    assert "Nouvel outil addictions" in again and "Depuis votre dernière visite" not in again


def test_the_count_is_one_query_and_none_for_anonymous_visitors(app, make_tool, officer):
    user, client = officer
    client.post("/nouveautes/suivre", data={"facteur": "addictions"})
    make_tool()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        app.test_client().get("/recherche?facteur=addictions")
        anonymous = [s for s in statements if "tool_news" in s or "favourites" in s]
        statements.clear()
        client.get("/recherche?facteur=addictions")
        signed_in = [s for s in statements if "tool_news" in s]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert anonymous == []
    assert len(signed_in) == 1
    with app.app_context():
        assert unseen_count(db.session, user.id) == 1


def test_a_support_changed_after_a_download_says_so(app, make_tool, officer):
    user, client = officer
    tool = make_tool(title="Outil à support")
    with app.app_context():
        support = add_support(db.session, db.session.get(Tool, tool.id), "fiche.pdf", _pdf("v1"))
        db.session.commit()
        url = f"/outils/{tool.slug}/supports/{support.id}/{support.filename}"
    client.post("/ma-boite-a-outils/ajouter", data={"outil": tool.slug})
    assert client.get(url).status_code == 200
    page = client.get("/ma-boite-a-outils").get_data(as_text=True)
    assert "Supports mis à jour depuis votre téléchargement" not in page

    with app.app_context():
        replace_support(db.session, db.session.get(Support, support.id), "fiche.pdf", _pdf("v2"))
        db.session.commit()
    page = client.get("/ma-boite-a-outils").get_data(as_text=True)
    assert "Supports mis à jour depuis votre téléchargement" in page
    news = client.get("/nouveautes").get_data(as_text=True)
    assert "Supports mis à jour" in news and "Mis à jour depuis votre téléchargement" in news

    with app.app_context():  # downloaded again: up to date
        url = f"/outils/{tool.slug}/supports/{support.id}/{db.session.get(Support, support.id).filename}"
    assert client.get(url).status_code == 200
    page = client.get("/ma-boite-a-outils").get_data(as_text=True)
    assert "Supports mis à jour depuis votre téléchargement" not in page


def test_the_form_sets_the_factors_and_the_weekly_email(app, officer):
    user, client = officer
    response = client.post(
        "/nouveautes/facteurs", data={"facteurs": ["addictions", "emploi"], "recapitulatif": "1"}
    )
    assert response.status_code == 303
    with app.app_context():
        followed = set(
            db.session.scalars(
                select(RiskFactor.slug)
                .join(FactorFollow, FactorFollow.risk_factor_id == RiskFactor.id)
                .where(FactorFollow.user_id == user.id)
            )
        )
        assert followed == {"addictions", "emploi"}
        assert db.session.get(OfficerAlerts, user.id).digest_enabled is True

    client.post("/nouveautes/facteurs", data={"facteurs": ["emploi"]})
    with app.app_context():
        assert (
            db.session.get(OfficerAlerts, user.id, populate_existing=True).digest_enabled is False
        )
    page = client.get("/nouveautes").get_data(as_text=True)
    assert 'id="facteurs-emploi" name="facteurs" value="emploi" checked' in page
    assert 'id="facteurs-addictions" name="facteurs" value="addictions">' in page

    refused = client.post("/nouveautes/facteurs", data={"facteurs": ["pas-un-facteur"]})
    assert refused.status_code == 400
    assert "Facteur de risque inconnu : pas-un-facteur." in refused.get_data(as_text=True)
