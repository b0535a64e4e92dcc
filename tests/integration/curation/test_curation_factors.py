"""Curators edit the risk factors; the index follows through the outbox, even across an outage."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.curation.factor_edits import FactorError, update_factor
from app.db import db
from app.index_sync.push import push_outbox
from app.models import IndexOutbox, RiskFactor

NEW_WORD = "psychotropes"  # in no factor's synonyms, and no factor's name is near it


def _signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = user.id
    return client


def _factor(slug):
    return db.session.scalar(
        select(RiskFactor).where(RiskFactor.slug == slug).execution_options(populate_existing=True)
    )


def _synonyms_in_index(meili_client, uid):
    return meili_client.request("GET", f"/indexes/{uid}/settings/synonyms")


def _settings_rows():
    return list(
        db.session.scalars(
            select(IndexOutbox)
            .where(IndexOutbox.kind == "settings")
            .order_by(IndexOutbox.id)
            .execution_options(populate_existing=True)
        )
    )


def _form(factor, **changes):
    values = {
        "label": factor.label,
        "description": factor.description,
        "synonyms": "\n".join(factor.synonyms),
    }
    values.update(changes)
    return values


def test_a_synonym_added_by_a_curator_makes_a_typed_search_find_the_factor(
    app, make_user, make_tool, meili_client
):
    tool = make_tool(title="Carnet de consommation", risk_factors=["addictions"])
    curator = make_user("curator")
    officer = app.test_client()
    before = officer.get(f"/recherche?q={NEW_WORD}")
    assert "correspond au facteur de risque" not in html.unescape(before.get_data(as_text=True))

    client = _signed_in(app, curator)
    with app.app_context():
        factor = _factor("addictions")
        form = _form(factor, synonyms="\n".join(factor.synonyms) + f"\n  {NEW_WORD}  \n\n")
    saved = client.post("/gestion/facteurs/addictions", data=form, follow_redirects=True)
    page = html.unescape(saved.get_data(as_text=True))
    assert saved.status_code == 200 and "enregistré" in page and "tient déjà compte" in page

    with app.app_context():
        assert _factor("addictions").synonyms[-1] == NEW_WORD  # trimmed, empty lines dropped
        rows = _settings_rows()
        assert len(rows) == 1 and rows[0].tool_id is None and rows[0].done_at is not None
    # the index has the synonym: a text search (not resolved to a factor) finds the tool
    assert _synonyms_in_index(meili_client, app.config["MEILI_INDEX"])[NEW_WORD] == [
        "romfacteuraddictions"
    ]
    hits = meili_client.search(app.config["MEILI_INDEX"], {"q": NEW_WORD})["hits"]
    assert tool.id in [hit["id"] for hit in hits]
    # the search page's resolver (cached per generation) sees it at once
    after = html.unescape(officer.get(f"/recherche?q={NEW_WORD}").get_data(as_text=True))
    assert (
        f"« {NEW_WORD} » correspond au facteur de risque « Addictions (alcool, stupéfiants) »"
        in after.replace("\xa0", " ")
    )
    assert "Carnet de consommation" in after


def test_a_new_label_reaches_the_documents_of_the_factor_s_tools(app, make_tool, meili_client, ctx):
    tool = make_tool(title="Génogramme", risk_factors=["famille", "entourage"])
    make_tool(title="Autre", risk_factors=["emploi"])  # another factor's tool: not queued
    last = db.session.scalar(select(func.max(IndexOutbox.id)))
    update_factor(
        db.session,
        _factor("famille"),
        "Difficultés familiales et conjugales",
        "Relations familiales.",
        "famille\ncouple",
    )
    db.session.commit()
    uid = app.config["MEILI_INDEX"]
    document = meili_client.request("GET", f"/indexes/{uid}/documents/{tool.id}")
    assert "Difficultés familiales et conjugales" in document["risk_factor_labels"]
    rows = db.session.scalars(select(IndexOutbox.tool_id).where(IndexOutbox.id > last)).all()
    assert sorted(rows, key=str) == [tool.id, None]  # its tools' documents, and the settings


def test_bad_input_gets_french_messages_per_field_and_nothing_changes(app, make_user):
    client = _signed_in(app, make_user("curator"))
    with app.app_context():
        before = _factor("famille")
        original = (before.label, before.description, list(before.synonyms))
        outbox_before = len(db.session.scalars(select(IndexOutbox.id)).all())
    form = {
        "label": "   ",
        "description": "x" * 2001,
        "synonyms": "couple\nCannabis\ncouple\n" + "a" * 101 + "\n!!!",
    }
    answer = client.post("/gestion/facteurs/famille", data=form)
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400
    assert "Le libellé est obligatoire." in page
    assert "La description fait 2001 caractères ; 2000 au plus." in page
    assert "« Cannabis » désigne déjà le facteur « Addictions (alcool, stupéfiants) »" in page
    assert "« couple » figure deux fois." in page
    assert "dépasse 100 caractères" in page and "« !!! » ne contient ni lettre ni chiffre." in page
    assert "x" * 2001 in page and "Cannabis" in page  # what was typed is kept
    assert 'aria-describedby="label-erreur"' in page
    with app.app_context():
        after = _factor("famille")
        assert (after.label, after.description, list(after.synonyms)) == original
        assert len(db.session.scalars(select(IndexOutbox.id)).all()) == outbox_before
    # a label already worn by another factor
    answer = client.post(
        "/gestion/facteurs/famille",
        data={
            "label": "addictions (ALCOOL, stupéfiants)",
            "description": "",
            "synonyms": "famille",
        },
    )
    assert answer.status_code == 400
    assert "Le facteur « addictions » porte déjà ce libellé." in html.unescape(
        answer.get_data(as_text=True)
    )


def test_service_refuses_an_ambiguous_word_even_the_other_factor_s_label(ctx):
    try:
        update_factor(
            db.session,
            _factor("loisirs"),
            "Absence de loisirs pro-sociaux",
            "",
            "sport\nproblèmes d'ordre professionnel",
        )
    except FactorError as exc:
        assert (
            "désigne déjà le facteur « Problèmes d'ordre professionnel »" in exc.flat()["synonyms"]
        )
    else:
        raise AssertionError("the synonym naming another factor was accepted")


def test_a_label_may_not_be_another_factor_s_synonym(ctx):
    """Renaming "emploi" to a word that already leads to "addictions" would make that word
    lead to two factors: the label is refused, on the factor being edited."""
    synonym = _factor("addictions").synonyms[0]
    with pytest.raises(FactorError) as refused:
        update_factor(db.session, _factor("emploi"), synonym.capitalize(), "", "")
    assert "désigne déjà le facteur « Addictions" in refused.value.flat()["label"]
    assert (
        db.session.scalar(select(RiskFactor.label).where(RiskFactor.slug == "emploi"))
        != synonym.capitalize()
    )


def test_settings_change_is_queued_while_meilisearch_is_down_then_pushed_when_it_is_back(
    app_factory, make_user, meili_client
):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.3)
    uid = down.config["MEILI_INDEX"]  # a real index, created with the settings of before the edit
    curator = make_user("curator")
    client = _signed_in(down, curator)
    with down.app_context():
        form = _form(_factor("addictions"))
    form["synonyms"] += f"\n{NEW_WORD}"
    saved = client.post("/gestion/facteurs/addictions", data=form, follow_redirects=True)
    page = html.unescape(saved.get_data(as_text=True))
    assert saved.status_code == 200
    assert "n'a pas pu être mis à jour" in page and "file d'attente" in page
    with down.app_context():
        assert NEW_WORD in _factor("addictions").synonyms  # the edit is kept
        [row] = _settings_rows()
        assert row.done_at is None and row.attempts == 1 and row.last_error
    assert NEW_WORD not in _synonyms_in_index(meili_client, uid)

    up = app_factory(MEILI_INDEX=uid)  # the same index, Meilisearch reachable again
    with up.app_context():
        db.session.execute(
            update(IndexOutbox)
            .where(IndexOutbox.kind == "settings")
            # due by the database's clock (now() is the test transaction's start)
            .values(next_attempt_at=func.now() - timedelta(seconds=1))
        )
        result, _generation = push_outbox(db.session)  # what `romin index worker` does
        db.session.commit()
        assert result.done == 1 and result.error == ""
        [row] = _settings_rows()
        assert row.done_at is not None
    assert _synonyms_in_index(meili_client, uid)[NEW_WORD] == ["romfacteuraddictions"]


def test_a_rolled_back_factor_edit_queues_nothing(ctx):
    update_factor(db.session, _factor("emploi"), "Emploi et formation", "", "travail")
    db.session.rollback()
    assert _settings_rows() == []
    assert _factor("emploi").label == "Problèmes d'ordre professionnel"


def test_the_list_shows_every_factor_to_curators_only(app, make_user):
    page = _signed_in(app, make_user("curator")).get("/gestion/facteurs")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and text.count("Modifier<span") == 7
    assert "Facteurs de risque" in text and 'href="/gestion/facteurs/addictions"' in text
    assert _signed_in(app, make_user("agent")).get("/gestion/facteurs").status_code == 403
    assert (
        _signed_in(app, make_user("staff")).get("/gestion/facteurs/addictions").status_code == 403
    )


def test_a_synonym_saved_while_the_index_is_rebuilt_is_in_the_new_index(
    ctx, make_tool, meili_client
):
    """The rebuild builds its new index with the settings read when it started; a settings row
    written meanwhile is queued again once the new index is live (index_admin.rebuild_index),
    and pushed after the rebuild's commit."""
    from app.index_sync.operations import rebuild_index

    make_tool(title="Outil reconstruit", risk_factors=["addictions"])
    edited = []

    def during_rebuild(_count):
        if not edited:  # a curator's edit, as its commit would write it
            factor = _factor("addictions")
            factor.synonyms = [*factor.synonyms, NEW_WORD]
            db.session.add(IndexOutbox(kind="settings", tool_id=None))
            db.session.flush()
            edited.append(True)

    rebuild_index(db.session, progress=during_rebuild)
    db.session.commit()  # the replayed rows commit with the rebuild's state, then are pushed
    assert edited
    assert _synonyms_in_index(meili_client, ctx.config["MEILI_INDEX"])[NEW_WORD] == [
        "romfacteuraddictions"
    ]
