"""Comment moderation: officers report, curators hide (with a reason) or restore; the author
still sees a hidden comment, marked, and its rating keeps counting."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import select

from app.db import db
from app.feedback.ratings import rate
from app.models import Feedback
from app.models.moderation import CommentDecision, CommentReport

COMMENT = "Très utile en entretien individuel pour ouvrir la discussion sur la consommation."


def _sign_in(client, user):
    with client.session_transaction() as session:
        session["uid"] = user.id


def _client_for(app, user):
    client = app.test_client()
    if user is not None:
        _sign_in(client, user)
    return client


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("agent"),
        "reader": make_user("agent"),
        "other": make_user("agent"),
        "curator": make_user("curator"),
    }


@pytest.fixture
def commented(app, make_tool, people):
    """A published tool with the author's rating and comment."""
    tool = make_tool(title="Entretien motivationnel")
    with app.app_context():
        from app.models import Tool, User

        feedback = rate(
            db.session,
            db.session.get(Tool, tool.id),
            db.session.get(User, people["author"].id),
            rating=4,
            comment=COMMENT,
        )
        db.session.commit()
        return tool, feedback.id


def _rows(app, model, **where):
    with app.app_context():
        query = select(model).order_by(model.id)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(db.session.scalars(query))


def _report(client, tool, feedback_id, reason=""):
    return client.post(f"/outils/{tool.slug}/avis/{feedback_id}/signaler", data={"motif": reason})


def test_the_comment_form_reminds_officers_to_write_nothing_identifying(app, commented, people):
    tool, _ = commented
    html = _client_for(app, people["reader"]).get(f"/outils/{tool.slug}").get_data(as_text=True)
    for words in (
        "identifier une personne",
        "ni nom",
        "date de naissance",
        "numéro d&#39;écrou",
        "adresse",
    ):
        assert words in html


def test_an_officer_reports_a_comment_once(app, commented, people):
    tool, feedback_id = commented
    reader = _client_for(app, people["reader"])
    sheet = reader.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert f'action="/outils/{tool.slug}/avis/{feedback_id}/signaler"' in sheet
    assert f'for="motif-{feedback_id}"' in sheet
    response = _report(reader, tool, feedback_id, "  Cite un prénom  ")
    assert response.status_code == 303
    assert "est signalé aux référents" in reader.get(response.headers["Location"]).get_data(
        as_text=True
    )
    again = _report(reader, tool, feedback_id, "encore")
    assert "déjà signalé" in reader.get(again.headers["Location"]).get_data(as_text=True)
    [report] = _rows(app, CommentReport, feedback_id=feedback_id)
    assert report.reporter_id == people["reader"].id and report.reason == "Cite un prénom"
    assert "Vous avez signalé ce commentaire" in reader.get(f"/outils/{tool.slug}").get_data(
        as_text=True
    )
    # reporting needs a signed-in officer; one's own comment is edited, not reported
    assert _report(app.test_client(), tool, feedback_id).status_code == 302
    author = _client_for(app, people["author"])
    own = _report(author, tool, feedback_id, "moi")
    assert own.status_code == 303
    assert "signaler votre propre commentaire" in author.get(own.headers["Location"]).get_data(
        as_text=True
    )
    long = _report(_client_for(app, people["other"]), tool, feedback_id, "x" * 501)
    assert long.status_code == 400 and "Le motif dépasse 500 caractères" in long.get_data(
        as_text=True
    )
    assert len(_rows(app, CommentReport, feedback_id=feedback_id)) == 1


def test_curators_hide_with_a_required_reason_and_the_author_still_sees_it(
    app, commented, people, meili_client
):
    tool, feedback_id = commented
    _report(_client_for(app, people["reader"]), tool, feedback_id, "Cite un prénom")
    _report(_client_for(app, people["other"]), tool, feedback_id)
    curator = _client_for(app, people["curator"])
    queue = curator.get("/gestion/commentaires").get_data(as_text=True)
    assert "Commentaires signalés à examiner (1)" in queue and COMMENT in queue
    assert "signalé 2 fois" in queue and "Cite un prénom" in queue and "(sans motif)" in queue

    refused = curator.post(f"/gestion/commentaires/{feedback_id}/masquer", data={"motif": "   "})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert (
        "Indiquez le motif du masquage" in html and f'id="motif-hide-{feedback_id}-erreur"' in html
    )
    assert _rows(app, CommentDecision, feedback_id=feedback_id) == []

    index = app.config["MEILI_INDEX"]
    before = meili_client.request("GET", f"/indexes/{index}/documents/{tool.id}")
    hidden = curator.post(
        f"/gestion/commentaires/{feedback_id}/masquer",
        data={"motif": "Le commentaire donne le prénom d'une personne suivie."},
    )
    assert hidden.status_code == 303
    [decision] = _rows(app, CommentDecision, feedback_id=feedback_id)
    assert (decision.action, decision.decided_by_id) == ("hide", people["curator"].id)
    assert decision.decided_at is not None
    assert all(
        r.decision_id == decision.id for r in _rows(app, CommentReport, feedback_id=feedback_id)
    )
    after = curator.get("/gestion/commentaires").get_data(as_text=True)
    assert "Commentaires signalés à examiner (0)" in after and "Commentaires masqués (1)" in after
    assert people["curator"].email in after

    # others no longer see the text, the rating still counts
    for viewer in (people["reader"], people["other"], None):
        sheet = _client_for(app, viewer).get(f"/outils/{tool.slug}").get_data(as_text=True)
        assert COMMENT not in sheet and "4.0 / 5</strong> sur 1 avis" in sheet
    # the author sees it, marked, with the reason (hidden, not deleted)
    mine = _client_for(app, people["author"]).get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert COMMENT in mine and "Masqué par la modération" in mine
    assert "Le commentaire donne le prénom d&#39;une personne suivie." in mine
    assert len(_rows(app, Feedback, id=feedback_id)) == 1
    # nothing in the search document depends on comments: the rating is unchanged in the index
    now = meili_client.request("GET", f"/indexes/{index}/documents/{tool.id}")
    assert (
        (now["rating_count"], now["rating_average"])
        == (before["rating_count"], before["rating_average"])
        == (1, 4.0)
    )
    # a hidden comment cannot be reported
    assert _report(_client_for(app, people["reader"]), tool, feedback_id).status_code == 404


def test_a_hidden_comment_stays_hidden_when_its_author_edits_it_until_restored(
    app, commented, people
):
    tool, feedback_id = commented
    curator = _client_for(app, people["curator"])
    curator.post(f"/gestion/commentaires/{feedback_id}/masquer", data={"motif": "Nom cité."})
    author = _client_for(app, people["author"])
    author.post(
        f"/outils/{tool.slug}/avis", data={"rating": "5", "comment": "Version corrigée, sans nom."}
    )
    reader = _client_for(app, people["reader"])
    assert "Version corrigée" not in reader.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert "Modifié par son auteur depuis" in curator.get("/gestion/commentaires").get_data(
        as_text=True
    )
    assert (
        curator.post(
            f"/gestion/commentaires/{feedback_id}/retablir", data={"motif": ""}
        ).status_code
        == 303
    )
    assert "Version corrigée" in reader.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert "Masqué par la modération" not in author.get(f"/outils/{tool.slug}").get_data(
        as_text=True
    )
    assert [d.action for d in _rows(app, CommentDecision, feedback_id=feedback_id)] == [
        "hide",
        "show",
    ]
    assert "Commentaires masqués (0)" in curator.get("/gestion/commentaires").get_data(as_text=True)


def test_leaving_a_reported_comment_visible_closes_its_reports(app, commented, people):
    tool, feedback_id = commented
    reader = _client_for(app, people["reader"])
    _report(reader, tool, feedback_id, "Je ne suis pas d'accord")
    curator = _client_for(app, people["curator"])
    assert (
        curator.post(
            f"/gestion/commentaires/{feedback_id}/retablir", data={"motif": "Avis légitime"}
        ).status_code
        == 303
    )
    [report] = _rows(app, CommentReport, feedback_id=feedback_id)
    assert report.decision_id is not None
    assert "Aucun signalement en attente" in curator.get("/gestion/commentaires").get_data(
        as_text=True
    )
    assert COMMENT in reader.get(f"/outils/{tool.slug}").get_data(as_text=True)


def test_moderation_pages_need_a_curator(app, commented, people):
    _, feedback_id = commented
    assert app.test_client().get("/gestion/commentaires").status_code == 302
    agent = _client_for(app, people["reader"])
    assert agent.get("/gestion/commentaires").status_code == 403
    assert (
        agent.post(f"/gestion/commentaires/{feedback_id}/masquer", data={"motif": "x"}).status_code
        == 403
    )
    assert _rows(app, CommentDecision, feedback_id=feedback_id) == []


def test_an_officer_may_report_again_once_a_decision_closed_the_report(app, commented, people):
    tool, feedback_id = commented
    reader = _client_for(app, people["reader"])
    form = f'action="/outils/{tool.slug}/avis/{feedback_id}/signaler"'
    assert _report(reader, tool, feedback_id, "Premier motif").status_code == 303
    pending = reader.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert "Vous avez signalé ce commentaire" in pending and form not in pending
    # while it is open, a second report adds nothing and says so
    again = _report(reader, tool, feedback_id, "encore")
    message = reader.get(again.headers["Location"]).get_data(as_text=True)
    assert "pas encore examiné" in message
    assert len(_rows(app, CommentReport, feedback_id=feedback_id)) == 1

    curator = _client_for(app, people["curator"])
    assert (
        curator.post(
            f"/gestion/commentaires/{feedback_id}/retablir", data={"motif": "Rien d'identifiant"}
        ).status_code
        == 303
    )
    # examined: the sheet offers the form again, and a new report is a new open report
    after = reader.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert form in after and "Vous avez signalé ce commentaire" not in after
    second = _report(reader, tool, feedback_id, "Le commentaire a été modifié : il cite un nom")
    thanks = reader.get(second.headers["Location"]).get_data(as_text=True)
    assert "est signalé aux référents" in thanks
    first, new = _rows(app, CommentReport, feedback_id=feedback_id)
    assert first.decision_id is not None and new.decision_id is None
    assert new.reason == "Le commentaire a été modifié : il cite un nom"
    queue = curator.get("/gestion/commentaires").get_data(as_text=True)
    assert "Commentaires signalés à examiner (1)" in queue and "il cite un nom" in queue
    assert "Premier motif" not in queue  # the closed report is not in the queue any more
    sheet = reader.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert "Vous avez signalé ce commentaire" in sheet and form not in sheet


def test_moderation_dates_are_paris_dates(app, commented, people):
    """23:30 UTC on 27 November is already 28 November, 00:30, in Paris."""
    from datetime import datetime

    from sqlalchemy import update

    tool, feedback_id = commented
    _report(_client_for(app, people["reader"]), tool, feedback_id, "Cite un prénom")
    curator = _client_for(app, people["curator"])
    late = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    with app.app_context():
        db.session.execute(update(CommentReport).values(created_at=late))
        db.session.execute(
            update(Feedback).where(Feedback.id == feedback_id).values(updated_at=late)
        )
        db.session.commit()
    queue = curator.get("/gestion/commentaires").get_data(as_text=True)
    assert "depuis le 28/11/2026" in queue and "28/11/2026 à 00:30 : Cite un prénom" in queue
    assert "écrit le 28/11/2026" in queue and "27/11/2026" not in queue

    curator.post(f"/gestion/commentaires/{feedback_id}/masquer", data={"motif": "Nom cité."})
    with app.app_context():
        db.session.execute(update(CommentDecision).values(decided_at=late))
        db.session.commit()
    hidden = curator.get("/gestion/commentaires").get_data(as_text=True)
    assert "Masqué le 28/11/2026 à 00:30" in hidden and "27/11/2026" not in hidden
    mine = _client_for(app, people["author"]).get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert "un référent l'a masqué le 28/11/2026" in mine and "masqué le 27/11/2026" not in mine


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5"])
def test_a_page_number_that_is_none_gets_a_400_with_a_french_message(app, commented, people, page):
    tool, feedback_id = commented
    _report(_client_for(app, people["reader"]), tool, feedback_id, "Cite un prénom")
    response = _client_for(app, people["curator"]).get(f"/gestion/commentaires?page={page}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Numéro de page invalide." in html
    assert COMMENT in html  # the queue is still there to work on


def test_a_page_past_the_end_shows_the_last_page(app, commented, people):
    tool, feedback_id = commented
    curator = _client_for(app, people["curator"])
    curator.post(f"/gestion/commentaires/{feedback_id}/masquer", data={"motif": "Nom cité."})
    response = curator.get("/gestion/commentaires?page=99")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Commentaires masqués (1)" in html and COMMENT in html
    assert "Numéro de page invalide" not in html
