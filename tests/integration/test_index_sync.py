"""Edits reach the index after commit, never before, never for a rollback; failures are seen."""
from __future__ import annotations

import pytest

from app.db import db
from app.models import IndexState
from app.services.catalogue import save_tool
from app.services.index_admin import index_status, rebuild_index
from indexer.client import MeiliError
from indexer.sync import upsert


def _indexed_ids(app, meili_client):
    answer = meili_client.search(app.config["MEILI_INDEX"], {"q": "", "limit": 1000})
    return {hit["id"] for hit in answer["hits"]}


def _tool(**extra):
    data = {"title": "Outil synchronisé", "summary": "s", "risk_factors": ["emploi"],
            "status": "published"}
    data.update(extra)
    return data


def test_an_edit_reaches_the_index_after_commit_not_before(ctx, meili_client):
    tool = save_tool(db.session, _tool())
    db.session.flush()
    assert tool.id not in _indexed_ids(ctx, meili_client)  # flushed, not committed
    db.session.commit()
    assert tool.id in _indexed_ids(ctx, meili_client)


def test_a_rolled_back_edit_never_reaches_the_index(ctx, meili_client):
    tool = save_tool(db.session, _tool())
    db.session.commit()
    save_tool(db.session, {"title": "Titre jamais validé"}, tool)
    db.session.rollback()
    doc = meili_client.request("GET", f"/indexes/{ctx.config['MEILI_INDEX']}/documents/{tool.id}")
    assert doc["title"] == "Outil synchronisé"
    save_tool(db.session, {"summary": "après"}, tool)
    db.session.commit()
    doc = meili_client.request("GET", f"/indexes/{ctx.config['MEILI_INDEX']}/documents/{tool.id}")
    assert doc["title"] == "Outil synchronisé" and doc["summary"] == "après"


def test_unpublishing_removes_the_document(ctx, meili_client):
    tool = save_tool(db.session, _tool())
    db.session.commit()
    save_tool(db.session, {"status": "archived"}, tool)
    db.session.commit()
    assert tool.id not in _indexed_ids(ctx, meili_client)


def test_a_task_meilisearch_rejects_raises(ctx, meili_client):
    with pytest.raises(MeiliError) as info:
        upsert(meili_client, ctx.config["MEILI_INDEX"], [{"id": "not a valid id!"}])
    assert info.value.code  # the task's error code, e.g. invalid_document_id


def test_a_failed_sync_is_recorded_and_the_edit_kept(app_factory):
    app = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.3)
    with app.app_context():
        tool = save_tool(db.session, _tool())
        db.session.commit()
        state = db.session.get(IndexState, "tools")
        assert "injoignable" in state.last_error
        assert db.session.get(type(tool), tool.id) is not None


def test_rebuild_swaps_a_complete_index_with_only_published_tools(ctx, meili_client):
    published = [save_tool(db.session, _tool(title=f"Publié {n}")) for n in range(3)]
    draft = save_tool(db.session, _tool(title="Brouillon", status="draft"))
    db.session.commit()
    # the live index drifts (someone deleted documents by hand)
    meili_client.run("DELETE", f"/indexes/{ctx.config['MEILI_INDEX']}/documents")
    count = rebuild_index(db.session)
    db.session.commit()
    assert count == 3
    assert _indexed_ids(ctx, meili_client) == {t.id for t in published}
    assert draft.id not in _indexed_ids(ctx, meili_client)
    settings = meili_client.request("GET", f"/indexes/{ctx.config['MEILI_INDEX']}/settings")
    assert "risk_factors" in settings["filterableAttributes"]
    assert settings["rankingRules"][-1] == "score:desc"
    status = index_status(db.session)
    assert status["published"] == status["indexed"] == 3 and status["last_rebuild_at"]
    leftovers = [i["uid"] for i in meili_client.request("GET", "/indexes?limit=1000")["results"]
                 if i["uid"].startswith(ctx.config["MEILI_INDEX"] + "__build")]
    assert leftovers == []


def test_every_document_carries_every_score_field(ctx, meili_client):
    save_tool(db.session, _tool(risk_factors=["emploi"]))
    db.session.commit()
    doc = meili_client.search(ctx.config["MEILI_INDEX"], {"q": "", "limit": 1})["hits"][0]
    for slug in ("attitudes", "personnalite", "entourage", "loisirs", "famille", "emploi", "addictions"):
        assert isinstance(doc[f"score_{slug}"], float)
    assert doc["content_hash"]


def test_reconcile_repairs_missing_stale_and_extra_documents(ctx, meili_client):
    from app.services.index_admin import reconcile_index
    uid = ctx.config["MEILI_INDEX"]
    kept, missing, stale = (save_tool(db.session, _tool(title=f"Outil {n}")) for n in range(3))
    db.session.commit()
    meili_client.run("POST", f"/indexes/{uid}/documents/delete-batch", [missing.id])
    meili_client.run("PUT", f"/indexes/{uid}/documents", [{"id": stale.id, "title": "périmé",
                                                           "content_hash": "x"}])
    meili_client.run("POST", f"/indexes/{uid}/documents", [{"id": 999_999_999, "title": "fantôme"}])
    repair = reconcile_index(db.session)
    db.session.commit()
    assert sorted(repair.upserted) == sorted([missing.id, stale.id])
    assert repair.deleted == [999_999_999]
    again = reconcile_index(db.session)
    assert not again.changed
    assert _indexed_ids(ctx, meili_client) == {kept.id, missing.id, stale.id}
