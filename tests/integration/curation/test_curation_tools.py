"""Back office for tools: list and filters, create and edit every field, preview, workflow with
who and when, publishing into (and archiving out of) the search index, revisions with a diff and
restore. Real PostgreSQL, real Meilisearch."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.curation import tool_views
from app.db import db
from app.models import IndexOutbox, Tool, ToolRevision, WorkflowStep


@pytest.fixture
def curator(make_user):
    return make_user("curator")


@pytest.fixture
def signed_in(app, curator):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = curator.id
    return client


def _tool(app, slug):
    with app.app_context():
        return db.session.scalar(select(Tool).where(Tool.slug == slug))


def _searchable(app, client, title, slug="jeu-des-valeurs"):
    """Whether an officer's search finds the tool (the search page, through Meilisearch)."""
    html = client.get("/recherche?q=" + title + "&texte=1").get_data(as_text=True)
    assert "Service dégradé" not in html  # the answer comes from Meilisearch
    return f'href="/outils/{slug}' in html


def _indexed_ids(app, meili_client):
    answer = meili_client.search(app.config["MEILI_INDEX"], {"q": "", "limit": 1000})
    return {hit["id"] for hit in answer["hits"]}


FULL_FORM = {
    "title": "Jeu des valeurs partagées",
    "slug": "jeu-des-valeurs",
    "summary": "Faire émerger les valeurs de la personne.",
    "kind": "programme",
    "phase": "evaluation",
    "risk_factors": ["attitudes", "entourage"],
    "protective_factors": "Soutien familial",
    "stages": ["contemplation", "action"],
    "setting": ["ouvert", "ferme"],
    "responsivity": ["falc", "jeunes-adultes"],
    "modality": "collective",
    "sessions": "6-10",
    "minutes_per_session": "90",
    "preparation_minutes": "30",
    "instructions": "### Étapes\n1. Présenter les cartes.\n2. Trier les valeurs.",
    "precautions": "Ne pas juger les choix.",
    "evidence_level": "3",
    "not_recommended": "1",
    "references": "Miller & Rollnick, 2013\n\nAndrews & Bonta, 2010",
    "last_review": "15/03/2025",
    "author_name": "Camille Martin",
    "author_role": "CPIP",
    "author_structure": "SPIP de l'Ain",
    "author_contact": "spip01@justice.test",
}


# -- list ------------------------------------------------------------------------------------


def test_the_list_shows_every_status_with_last_edit_author_and_index_state(
    app, signed_in, make_tool
):
    make_tool(title="Publié et à jour", status="published")
    make_tool(title="Un brouillon", status="draft")
    make_tool(title="En relecture", status="review")
    waiting = make_tool(title="Publié en attente", status="published")
    failing = make_tool(title="Publié en échec", status="published")
    with app.app_context():
        db.session.add(IndexOutbox(tool_id=waiting.id))
        db.session.add(IndexOutbox(tool_id=failing.id, parked=True, attempts=12, last_error="boom"))
        db.session.commit()
    response = signed_in.get("/gestion/outils")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = {
        m[0]: m[1]
        for m in re.findall(r'<tr>\s*<td><a href="[^"]+">([^<]+)</a></td>(.*?)</tr>', html, re.S)
    }
    assert "Brouillon" in rows["Un brouillon"] and "hors index" in rows["Un brouillon"]
    assert "En relecture" in rows["En relecture"]
    assert "à jour" in rows["Publié et à jour"]
    assert "en attente d&#39;indexation" in rows["Publié en attente"]
    assert "en échec" in rows["Publié en échec"]
    # the last edit's author: the seed/test fixtures save without an account
    assert "Système (import ou commande)" in rows["Un brouillon"]
    assert re.search(r"\d\d/\d\d/\d{4} à \d\d:\d\d", rows["Un brouillon"])
    assert 'aria-current="page"' in html and "Gestion du catalogue" in html  # menu and header


def test_the_list_filters_by_status_and_factor_and_searches_titles(app, signed_in, make_tool):
    make_tool(title="Carte des addictions", status="draft", risk_factors=["addictions"])
    make_tool(title="Carte de la famille", status="published", risk_factors=["famille"])
    make_tool(title="Autre outil 100%", status="published", risk_factors=["addictions"])

    def titles(query):
        html = signed_in.get("/gestion/outils?" + query).get_data(as_text=True)
        return set(re.findall(r'<td><a href="/gestion/outils/[^"]+">([^<]+)</a></td>', html))

    assert titles("statut=draft") == {"Carte des addictions"}
    assert titles("facteur=addictions") == {"Carte des addictions", "Autre outil 100%"}
    assert titles("q=carte") == {"Carte des addictions", "Carte de la famille"}
    assert titles("q=carte&statut=published&facteur=famille") == {"Carte de la famille"}
    assert titles("q=100%25") == {"Autre outil 100%"}  # % is searched as itself
    assert titles("q=_") == set()


def test_the_list_paginates_and_bad_filters_get_a_french_message(
    app, signed_in, make_tool, monkeypatch
):
    monkeypatch.setattr(tool_views, "PER_PAGE", 2)
    for n in range(5):
        make_tool(title=f"Outil paginé {n}", status="draft")
    html = signed_in.get("/gestion/outils?statut=draft").get_data(as_text=True)
    assert "fr-pagination" in html and "page=3" in html and "page 1 sur 3" in html
    last = signed_in.get("/gestion/outils?statut=draft&page=3").get_data(as_text=True)
    assert len(re.findall(r"Outil paginé", last)) == 1
    for query, message in (
        ("statut=publie", "Statut inconnu"),
        ("facteur=x", "Facteur de risque inconnu"),
        ("page=0", "Numéro de page invalide"),
    ):
        bad = signed_in.get("/gestion/outils?" + query)
        assert bad.status_code == 400 and message in bad.get_data(as_text=True)


# -- create and edit ---------------------------------------------------------------------------


def test_create_with_errors_gives_a_french_message_per_field_and_keeps_the_values(app, signed_in):
    form = {
        "title": "ab",
        "summary": "",
        "instructions": "Mes consignes gardées",
        "minutes_per_session": "beaucoup",
        "preparation_minutes": "-5",
        "last_review": "32/13/2024",
        "stages": ["action"],
        "kind": "outil",
        "phase": "intervention",
        "evidence_level": "0",
        "references": "Une référence",
    }
    response = signed_in.post("/gestion/outils/nouveau", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (
        "Le titre doit faire entre 3 et 200 caractères.",
        "Le résumé est obligatoire",
        "Indiquez au moins un facteur de risque.",
        "Durée d&#39;une séance : indiquez un nombre entier de minutes.",
        "Temps de préparation : un nombre de minutes entre 0 et 1440.",
        "Date de la dernière revue invalide",
    ):
        assert message in html, message
    assert "6 champs à corriger" in html
    assert 'value="ab"' in html and "Mes consignes gardées" in html and "Une référence" in html
    assert 'value="beaucoup"' in html and 'value="32/13/2024"' in html
    assert re.search(r'id="stages-action" name="stages" value="action" checked', html)
    assert 'href="#risk_factors-fieldset"' in html  # the summary links to each field
    with app.app_context():
        assert db.session.scalar(select(Tool).where(Tool.title == "ab")) is None


def test_an_unknown_choice_gets_a_message_naming_the_list(signed_in):
    form = {**FULL_FORM, "kind": "inconnu", "stages": ["pas-un-stade"]}
    html = signed_in.post("/gestion/outils/nouveau", data=form).get_data(as_text=True)
    assert "Choisissez le type d&#39;outil dans la liste." in html
    assert "Cochez des stades du changement parmi ceux proposés." in html


def test_create_saves_every_field_as_a_draft_with_a_first_revision(
    app, signed_in, curator, meili_client
):
    response = signed_in.post("/gestion/outils/nouveau", data={**FULL_FORM, "status": "published"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/gestion/outils/jeu-des-valeurs")
    tool = _tool(app, "jeu-des-valeurs")
    assert tool.status == "draft"  # whatever is posted, a new tool starts as a draft
    assert tool.title == "Jeu des valeurs partagées" and tool.kind == "programme"
    assert tool.phase == "evaluation" and tool.risk_factor_slugs == ["attitudes", "entourage"]
    assert tool.protective_factors == "Soutien familial"
    assert tool.stages == ["contemplation", "action"] and tool.setting == ["ouvert", "ferme"]
    assert tool.responsivity == ["falc", "jeunes-adultes"]
    assert (tool.modality, tool.sessions) == ("collective", "6-10")
    assert (tool.minutes_per_session, tool.preparation_minutes) == (90, 30)
    assert tool.instructions.startswith("### Étapes\n1.")
    assert tool.precautions == "Ne pas juger les choix."
    assert tool.evidence_level == 3 and tool.not_recommended is True
    assert tool.references == ["Miller & Rollnick, 2013", "Andrews & Bonta, 2010"]
    assert tool.last_review == date(2025, 3, 15)
    assert (tool.author_name, tool.author_role, tool.author_structure, tool.author_contact) == (
        "Camille Martin",
        "CPIP",
        "SPIP de l'Ain",
        "spip01@justice.test",
    )
    with app.app_context():
        revision = db.session.scalar(select(ToolRevision).where(ToolRevision.tool_id == tool.id))
        assert revision.number == 1 and revision.author_id == curator.id
        assert revision.source == "web" and "instructions" in revision.changed_fields
        assert revision.snapshot["risk_factors"] == ["attitudes", "entourage"]
        step = db.session.scalar(select(WorkflowStep).where(WorkflowStep.tool_id == tool.id))
        assert (step.from_status, step.to_status, step.actor_id) == (None, "draft", curator.id)
    assert tool.id not in _indexed_ids(app, meili_client)  # a draft is never searchable
    page = signed_in.get("/gestion/outils/jeu-des-valeurs").get_data(as_text=True)
    assert "L&#39;outil est créé en brouillon." in page


def test_edit_shows_every_value_and_saves_the_changes(app, signed_in, make_tool):
    tool = make_tool(
        title="Avant modification",
        status="draft",
        minutes_per_session=45,
        references=["Réf. A"],
        last_review=date(2024, 1, 2),
    )
    form_html = signed_in.get(f"/gestion/outils/{tool.slug}/modifier").get_data(as_text=True)
    assert 'value="Avant modification"' in form_html and 'value="45"' in form_html
    assert "Réf. A" in form_html and 'value="2024-01-02"' in form_html
    assert (
        'id="risk_factors-addictions" name="risk_factors" value="addictions" checked' in form_html
    )
    response = signed_in.post(f"/gestion/outils/{tool.slug}/modifier", data=FULL_FORM)
    assert response.status_code == 303
    edited = _tool(app, tool.slug)  # the address does not change with the title
    assert edited.title == "Jeu des valeurs partagées" and edited.status == "draft"
    assert edited.minutes_per_session == 90 and edited.references[-1] == "Andrews & Bonta, 2010"
    # emptied optional fields become empty, nothing is left behind
    signed_in.post(
        f"/gestion/outils/{tool.slug}/modifier",
        data={
            **FULL_FORM,
            "minutes_per_session": "",
            "modality": "",
            "not_recommended": "",
            "references": "",
            "last_review": "",
        },
    )
    edited = _tool(app, tool.slug)
    assert edited.minutes_per_session is None and edited.modality is None
    assert edited.not_recommended is False and edited.references == []
    assert edited.last_review is None


def test_an_edit_error_keeps_the_tool_unchanged(app, signed_in, make_tool):
    tool = make_tool(title="Intact", status="draft")
    response = signed_in.post(
        f"/gestion/outils/{tool.slug}/modifier",
        data={**FULL_FORM, "risk_factors": ["pas-un-facteur"], "title": "Changé"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Facteur de risque inconnu : pas-un-facteur." in html and 'value="Changé"' in html
    assert _tool(app, tool.slug).title == "Intact"


# -- preview -------------------------------------------------------------------------------


def test_the_preview_is_the_officers_sheet_with_a_banner_for_any_status(app, signed_in, make_tool):
    tool = make_tool(title="Outil en aperçu", status="draft", summary="Un résumé visible.")
    html = signed_in.get(f"/gestion/outils/{tool.slug}/apercu").get_data(as_text=True)
    assert "Aperçu" in html and "Statut : Brouillon" in html
    assert "elle n&#39;est pas visible des agents" in html
    assert '<h1 id="titre-outil">Outil en aperçu</h1>' in html  # templates/tool.html itself
    assert "Un résumé visible." in html and "Temps nécessaire" in html
    archived = make_tool(title="Outil archivé vu", status="archived")
    preview = signed_in.get(f"/gestion/outils/{archived.slug}/apercu").get_data(as_text=True)
    assert "Statut : Archivé" in preview


# -- workflow ------------------------------------------------------------------------------


def test_workflow_records_who_and_when_and_only_published_tools_are_searchable(
    app, signed_in, curator, meili_client
):
    signed_in.post("/gestion/outils/nouveau", data=FULL_FORM)
    tool = _tool(app, "jeu-des-valeurs")
    officer = app.test_client()
    assert not _searchable(app, officer, "Jeu des valeurs")

    refused = signed_in.post(
        f"/gestion/outils/{tool.slug}/statut", data={"vers": "published"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "ne peut pas passer au statut « Publié »" in refused
    assert _tool(app, tool.slug).status == "draft"

    signed_in.post(f"/gestion/outils/{tool.slug}/statut", data={"vers": "review", "note": "Prêt"})
    assert _tool(app, tool.slug).status == "review"
    assert not _searchable(app, officer, "Jeu des valeurs")
    signed_in.post(f"/gestion/outils/{tool.slug}/statut", data={"vers": "published"})
    assert _tool(app, tool.slug).status == "published"
    assert tool.id in _indexed_ids(app, meili_client)
    assert _searchable(app, officer, "Jeu des valeurs")

    page = signed_in.get(f"/gestion/outils/{tool.slug}").get_data(as_text=True)
    steps = re.findall(r"<tr>\s*<td>(\d\d/\d\d/\d{4} à \d\d:\d\d)</td>\s*<td>([^<]+)", page)
    assert [s[1].strip() for s in steps] == [
        "En relecture → Publié",
        "Brouillon → En relecture",
        "Création (brouillon)",
    ]
    assert page.count(curator.email) >= 3 and "Prêt" in page
    assert "à jour" in page and "/pilotage/outils/jeu-des-valeurs/statistiques" in page

    signed_in.post(f"/gestion/outils/{tool.slug}/statut", data={"vers": "archived"})
    assert tool.id not in _indexed_ids(app, meili_client)
    assert not _searchable(app, officer, "Jeu des valeurs")
    with app.app_context():
        rows = db.session.scalars(select(IndexOutbox).where(IndexOutbox.tool_id == tool.id)).all()
        assert len(rows) >= 4 and all(r.done_at is not None for r in rows)  # each change was queued
        steps = db.session.scalars(
            select(WorkflowStep).where(WorkflowStep.tool_id == tool.id).order_by(WorkflowStep.id)
        ).all()
        assert [(s.from_status, s.to_status) for s in steps] == [
            (None, "draft"),
            ("draft", "review"),
            ("review", "published"),
            ("published", "archived"),
        ]
        assert all(s.actor_id == curator.id and s.created_at is not None for s in steps)
    signed_in.post(f"/gestion/outils/{tool.slug}/statut", data={"vers": "draft"})
    assert _tool(app, tool.slug).status == "draft"


def test_an_api_status_change_is_a_recorded_step(app, client, make_tool, make_user, token_for):
    tool = make_tool(status="draft")
    api_curator = make_user("curator")
    response = client.patch(
        f"/api/v1/tools/{tool.slug}", json={"status": "published"}, headers=token_for(api_curator)
    )
    assert response.status_code == 200
    with app.app_context():
        step = db.session.scalars(
            select(WorkflowStep)
            .where(WorkflowStep.tool_id == tool.id)
            .order_by(WorkflowStep.id.desc())
        ).first()
        assert (step.from_status, step.to_status, step.actor_id, step.source) == (
            "draft",
            "published",
            api_curator.id,
            "api",
        )


# -- revisions -----------------------------------------------------------------------------


def test_every_save_records_a_revision_with_a_readable_diff_and_restore(
    app, signed_in, curator, make_tool, make_user, token_for, client, meili_client
):
    tool = make_tool(
        title="Outil versionné",
        status="published",
        summary="Le résumé de départ.",
        instructions="Ligne une.\nLigne deux inchangée.",
    )
    signed_in.post(
        f"/gestion/outils/{tool.slug}/modifier",
        data={
            **FULL_FORM,
            "title": "Outil versionné",
            "summary": "Le résumé retravaillé.",
            "instructions": "Ligne une modifiée.\nLigne deux inchangée.",
        },
    )
    api_curator = make_user("curator")
    client.patch(
        f"/api/v1/tools/{tool.slug}",
        json={"precautions": "Par l'API."},
        headers=token_for(api_curator),
    )
    # a save that changes nothing records nothing
    client.patch(
        f"/api/v1/tools/{tool.slug}",
        json={"precautions": "Par l'API."},
        headers=token_for(api_curator),
    )
    with app.app_context():
        revs = db.session.scalars(
            select(ToolRevision)
            .where(ToolRevision.tool_id == tool.id)
            .order_by(ToolRevision.number)
        ).all()
        assert [r.number for r in revs] == [1, 2, 3]
        assert [r.author_id for r in revs] == [None, curator.id, api_curator.id]
        assert revs[2].changed_fields == ["precautions"] and revs[2].source == "api"
        assert "summary" in revs[1].changed_fields and "title" not in revs[1].changed_fields

    history = signed_in.get(f"/gestion/outils/{tool.slug}/historique").get_data(as_text=True)
    assert "Précautions d&#39;usage" in history
    assert curator.email in history and api_curator.email in history
    assert "Restaurer la version 1" in history and "Restaurer la version 3" not in history

    diff = signed_in.get(f"/gestion/outils/{tool.slug}/historique/2").get_data(as_text=True)
    assert re.search(r"<del><span class=\"fr-sr-only\">\[supprimé : </span>de départ\.", diff)
    assert re.search(r"<ins><span class=\"fr-sr-only\">\[ajouté : </span>retravaillé\.", diff)
    assert "Ligne deux inchangée." in diff  # unchanged context stays readable
    assert "<dt>Avant</dt><dd>Non évalué</dd>" in diff
    assert "<dt>Après</dt><dd>Prometteur</dd>" in diff
    assert "Traits de personnalité" not in diff and "<ins>Attitudes &amp; croyances" in diff
    assert "<del>Addictions (alcool, stupéfiants)</del>" in diff

    restored = signed_in.post(f"/gestion/outils/{tool.slug}/historique/1/restaurer")
    assert restored.status_code == 303
    back = _tool(app, tool.slug)
    assert back.summary == "Le résumé de départ." and back.precautions == ""
    assert back.risk_factor_slugs == ["addictions"] and back.status == "published"
    with app.app_context():
        last = db.session.scalars(
            select(ToolRevision)
            .where(ToolRevision.tool_id == tool.id)
            .order_by(ToolRevision.number.desc())
        ).first()
        assert (last.number, last.restored_from, last.author_id, last.source) == (
            4,
            1,
            curator.id,
            "restore",
        )
    doc = meili_client.request("GET", f"/indexes/{app.config['MEILI_INDEX']}/documents/{tool.id}")
    assert doc["summary"] == "Le résumé de départ."  # the restore went through the outbox
    page = signed_in.get(f"/gestion/outils/{tool.slug}/historique").get_data(as_text=True)
    assert "retour à la version 1" in page


def test_unknown_revisions_and_tools_are_404(signed_in, make_tool):
    tool = make_tool(status="draft")
    assert signed_in.get(f"/gestion/outils/{tool.slug}/historique/99").status_code == 404
    assert signed_in.post(f"/gestion/outils/{tool.slug}/historique/99/restaurer").status_code == 404
    assert signed_in.get("/gestion/outils/nexiste-pas").status_code == 404


def test_an_unknown_step_is_refused_with_a_french_message(app, signed_in, make_tool):
    tool = make_tool(status="review")
    html = signed_in.post(
        f"/gestion/outils/{tool.slug}/statut", data={"vers": "supprime"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Étape inconnue : choisissez l&#39;un des boutons proposés." in html
    assert _tool(app, tool.slug).status == "review"
    page = signed_in.get(f"/gestion/outils/{tool.slug}").get_data(as_text=True)
    assert 'name="vers" value="published">Publier' in page
    assert 'name="vers" value="draft">Renvoyer en brouillon' in page


def test_the_order_risk_factors_are_given_in_is_not_a_change(app, signed_in, make_tool):
    tool = make_tool(status="draft", risk_factors=["addictions", "attitudes"])
    form = {
        **FULL_FORM,
        "title": tool.title,
        "summary": tool.summary,
        "risk_factors": ["attitudes", "addictions"],
    }
    signed_in.post(f"/gestion/outils/{tool.slug}/modifier", data=form)
    with app.app_context():
        last = db.session.scalars(
            select(ToolRevision)
            .where(ToolRevision.tool_id == tool.id)
            .order_by(ToolRevision.number.desc())
        ).first()
        assert last.number == 2 and "risk_factors" not in last.changed_fields
        assert last.snapshot["risk_factors"] == ["attitudes", "addictions"]


def test_a_save_based_on_an_old_version_is_shown_not_silently_overwritten(
    app, signed_in, make_tool, make_user, token_for, client
):
    tool = make_tool(title="Outil partagé", status="draft")
    form_html = signed_in.get(f"/gestion/outils/{tool.slug}/modifier").get_data(as_text=True)
    base = re.search(r'name="base_revision" value="(\d+)"', form_html).group(1)
    # another curator saves in between (through the API)
    other = make_user("curator")
    client.patch(
        f"/api/v1/tools/{tool.slug}",
        json={"summary": "Le résumé de l'autre curateur."},
        headers=token_for(other),
    )
    mine = {**FULL_FORM, "title": "Outil partagé", "summary": "Mon résumé.", "base_revision": base}
    response = signed_in.post(f"/gestion/outils/{tool.slug}/modifier", data=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "La fiche a été modifiée depuis que vous l'avez ouverte" in html and other.email in html
    assert "Mon résumé." in html  # nothing typed is lost
    assert _tool(app, tool.slug).summary == "Le résumé de l'autre curateur."
    again = re.search(r'name="base_revision" value="(\d+)"', html).group(1)
    assert again == str(int(base) + 1)
    assert (
        signed_in.post(
            f"/gestion/outils/{tool.slug}/modifier", data={**mine, "base_revision": again}
        ).status_code
        == 303
    )
    assert _tool(app, tool.slug).summary == "Mon résumé."


def test_the_edit_locks_the_tool_before_comparing_versions(app, signed_in, make_tool):
    """Two curators saving from the same version: the second waits on the row lock, then sees
    the first's revision (and gets the conflict page) instead of overwriting it silently."""
    from sqlalchemy import event

    tool = make_tool(title="Outil verrouillé", status="draft")
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        signed_in.post(
            f"/gestion/outils/{tool.slug}/modifier",
            data={**FULL_FORM, "title": "Outil verrouillé", "base_revision": "1"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    locked = next(n for n, s in enumerate(statements) if "FROM tools" in s and "FOR UPDATE" in s)
    compared = next(n for n, s in enumerate(statements) if "FROM tool_revisions" in s)
    assert locked < compared


def test_a_parked_row_a_later_push_superseded_is_not_a_failure(app, make_tool):
    """Each push sends the tool's current state: once a later row is done, an older parked one
    no longer means the index misses something."""
    from app.models.base import utcnow

    tool = make_tool(title="Outil repoussé")
    with app.app_context():

        def state():
            return tool_views.index_states(db.session, [db.session.get(Tool, tool.id)])[tool.id]

        db.session.add(IndexOutbox(tool_id=tool.id, parked=True, attempts=12, last_error="panne"))
        db.session.flush()
        assert state() == "failed"
        db.session.add(IndexOutbox(tool_id=tool.id, done_at=utcnow()))
        db.session.flush()
        assert state() == "ok"
