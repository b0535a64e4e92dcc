"""Every free text officers and curators write about comments goes through the one identifying
checker: a comment (sheet form and API), a report reason and a moderation reason holding a
name, a date of birth or a phone number are refused with a French message saying what to
remove, and nothing is stored."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from app.db import db
from app.feedback.ratings import rate
from app.models import Feedback, Tool, User
from app.models.moderation import CommentDecision, CommentReport

PASSWORD = "un mot de passe solide"
IDENTIFYING_COMMENT = "rencontré M. Martin, DDN 1985-04-03, 06 12 34 56 78"
COMMENT = "Très utile en 3 séances de 45 minutes avec les 18-25 ans (art. 132-45 du code pénal)."


def _login(app, user):
    client = app.test_client()
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def _rows(app, model, **where):
    with app.app_context():
        query = select(model).order_by(model.id)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(db.session.scalars(query))


@pytest.fixture
def people(make_user):
    return {role: make_user(role, password=PASSWORD) for role in ("agent", "curator")} | {
        "author": make_user("agent", password=PASSWORD)
    }


@pytest.fixture
def commented(app, make_tool, people):
    tool = make_tool(title="Entretien motivationnel")
    with app.app_context():
        feedback = rate(
            db.session,
            db.session.get(Tool, tool.id),
            db.session.get(User, people["author"].id),
            rating=4,
            comment=COMMENT,
        )
        db.session.commit()
        return tool, feedback.id


def test_an_identifying_comment_is_refused_on_the_sheet_form(app, make_tool, people):
    tool = make_tool(title="Balance décisionnelle")
    officer = _login(app, people["agent"])
    response = officer.post(
        f"/outils/{tool.slug}/avis", data={"rating": "4", "comment": IDENTIFYING_COMMENT}
    )
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    assert (
        "Le commentaire semble contenir une date de naissance, un numéro de téléphone et un nom "
        "de personne (après « M. », « Mme »…) : retirez-les avant d'enregistrer." in html
    )
    assert "ROMIN ne conserve rien qui permette d'identifier une personne suivie." in html
    assert IDENTIFYING_COMMENT in html  # given back to be corrected, not stored
    assert _rows(app, Feedback, tool_id=tool.id) == []
    # the same practice note, without what identifies, is saved
    ok = officer.post(f"/outils/{tool.slug}/avis", data={"rating": "4", "comment": COMMENT})
    assert ok.status_code == 303
    assert [f.comment for f in _rows(app, Feedback, tool_id=tool.id)] == [COMMENT]


def test_an_identifying_comment_is_refused_by_the_api(app, client, make_tool, people, token_for):
    tool = make_tool(title="Balance décisionnelle")
    headers = token_for(people["agent"])
    response = client.post(
        f"/api/v1/tools/{tool.slug}/feedback",
        json={"rating": 4, "comment": IDENTIFYING_COMMENT},
        headers=headers,
    )
    assert response.status_code == 422
    messages = [m for ms in response.get_json()["errors"]["json"].values() for m in ms]
    assert any(
        m.startswith("Le commentaire semble contenir une date de naissance") for m in messages
    )
    assert _rows(app, Feedback, tool_id=tool.id) == []
    ok = client.post(
        f"/api/v1/tools/{tool.slug}/feedback",
        json={"rating": 4, "comment": COMMENT},
        headers=headers,
    )
    assert ok.status_code == 200 and ok.get_json()["comment"] == COMMENT


def test_a_report_reason_with_a_phone_number_is_refused(app, commented, people):
    tool, feedback_id = commented
    reader = _login(app, people["agent"])
    response = reader.post(
        f"/outils/{tool.slug}/avis/{feedback_id}/signaler",
        data={"motif": "L'auteur donne le numéro de la personne : 06 12 34 56 78"},
    )
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    assert (
        "Le motif semble contenir un numéro de téléphone : retirez-le avant d'enregistrer." in html
    )
    assert f'id="motif-{feedback_id}-erreur"' in html
    assert _rows(app, CommentReport, feedback_id=feedback_id) == []
    ok = reader.post(
        f"/outils/{tool.slug}/avis/{feedback_id}/signaler",
        data={"motif": "Le commentaire donne le numéro de téléphone d'une personne suivie."},
    )
    assert ok.status_code == 303 and len(_rows(app, CommentReport, feedback_id=feedback_id)) == 1


@pytest.mark.parametrize("action", ["masquer", "retablir"])
def test_a_moderation_reason_with_a_phone_number_is_refused(app, commented, people, action):
    tool, feedback_id = commented
    reader = _login(app, people["agent"])
    reader.post(f"/outils/{tool.slug}/avis/{feedback_id}/signaler", data={"motif": "À revoir"})
    curator = _login(app, people["curator"])
    response = curator.post(
        f"/gestion/commentaires/{feedback_id}/{action}",
        data={"motif": "Appeler Mme Dupont au +33 6 12 34 56 78 avant de décider."},
    )
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    assert (
        "Le motif semble contenir un numéro de téléphone et un nom de personne (après « M. », "
        "« Mme »…) : retirez-les avant d'enregistrer." in html
    )
    assert f'id="motif-{"hide" if action == "masquer" else "show"}-{feedback_id}-erreur"' in html
    assert _rows(app, CommentDecision, feedback_id=feedback_id) == []
