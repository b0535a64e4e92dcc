"""A workflow note (« Commentaire pour l'historique ») goes through the one identifying checker:
a note holding a phone number is refused in French, the tool keeps its status and no step is
written."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from app.db import db
from app.models import Tool, WorkflowStep

PASSWORD = "un mot de passe solide"


def _curator(app, make_user):
    client = app.test_client()
    user = make_user("curator", password=PASSWORD)
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def _state(app, slug):
    with app.app_context():
        tool = db.session.scalar(select(Tool).where(Tool.slug == slug))
        steps = db.session.scalars(select(WorkflowStep).where(WorkflowStep.tool_id == tool.id))
        return tool.status, [s.note for s in steps]


def test_a_workflow_note_with_a_phone_number_is_refused(app, make_user, make_tool):
    tool = make_tool(title="Balance décisionnelle", status="draft")
    curator = _curator(app, make_user)
    before = _state(app, tool.slug)
    response = curator.post(
        f"/gestion/outils/{tool.slug}/statut",
        data={"vers": "review", "note": "Voir avec la personne suivie, tél. 06 12 34 56 78"},
        follow_redirects=True,
    )
    html = unescape(response.get_data(as_text=True))
    assert (
        "Le commentaire pour l'historique semble contenir un numéro de téléphone : retirez-le "
        "avant d'enregistrer." in html
    )
    assert _state(app, tool.slug) == before
    ok = curator.post(
        f"/gestion/outils/{tool.slug}/statut", data={"vers": "review", "note": "Prêt, 3 séances"}
    )
    assert ok.status_code == 303
    status, notes = _state(app, tool.slug)
    assert status == "review" and notes[-1] == "Prêt, 3 séances"
