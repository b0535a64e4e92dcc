"""Edits reach the index after commit, never before, never for a rollback; failures are seen."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, update

from app.catalogue.service import save_tool
from app.db import db
from app.index_sync.documents import published_batches, settings_for
from app.index_sync.operations import rebuild_index
from app.index_sync.push import push_outbox
from app.index_sync.status import index_status
from app.models import IndexOutbox, IndexState
from app.models.base import utcnow
from indexer import sync
from indexer.client import MeiliClient, MeiliError, MeiliUnavailable
from indexer.sync import upsert


def _indexed_ids(app, meili_client):
    answer = meili_client.search(app.config["MEILI_INDEX"], {"q": "", "limit": 1000})
    return {hit["id"] for hit in answer["hits"]}


def _tool(**extra):
    data = {
        "title": "Outil synchronisé",
        "summary": "s",
        "risk_factors": ["emploi"],
        "status": "published",
    }
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
    leftovers = [
        i["uid"]
        for i in meili_client.request("GET", "/indexes?limit=1000")["results"]
        if i["uid"].startswith(ctx.config["MEILI_INDEX"] + "__build")
    ]
    assert leftovers == []


def test_every_document_carries_every_score_field(ctx, meili_client):
    save_tool(db.session, _tool(risk_factors=["emploi"]))
    db.session.commit()
    doc = meili_client.search(ctx.config["MEILI_INDEX"], {"q": "", "limit": 1})["hits"][0]
    for slug in (
        "attitudes",
        "personnalite",
        "entourage",
        "loisirs",
        "famille",
        "emploi",
        "addictions",
    ):
        assert isinstance(doc[f"score_{slug}"], float)
    assert doc["content_hash"]


def test_reconcile_repairs_missing_stale_and_extra_documents(ctx, meili_client):
    from app.index_sync.operations import reconcile_index

    uid = ctx.config["MEILI_INDEX"]
    kept, missing, stale = (save_tool(db.session, _tool(title=f"Outil {n}")) for n in range(3))
    db.session.commit()
    meili_client.run("POST", f"/indexes/{uid}/documents/delete-batch", [missing.id])
    meili_client.run(
        "PUT",
        f"/indexes/{uid}/documents",
        [{"id": stale.id, "title": "périmé", "content_hash": "x"}],
    )
    meili_client.run("POST", f"/indexes/{uid}/documents", [{"id": 999_999_999, "title": "fantôme"}])
    repair = reconcile_index(db.session)
    db.session.commit()
    assert sorted(repair.upserted) == sorted([missing.id, stale.id])
    assert repair.deleted == [999_999_999]
    again = reconcile_index(db.session)
    assert not again.changed
    assert _indexed_ids(ctx, meili_client) == {kept.id, missing.id, stale.id}


class _FailingClient(MeiliClient):
    """The real client, but requests of one method whose path holds `part` fail, as they would
    if Meilisearch went away at that very step."""

    def __init__(self, real: MeiliClient, method: str, part: str):
        super().__init__(real.url, real.api_key)
        self.method, self.part = method, part

    def request(self, method, path, json=None, timeout=None):
        if method == self.method and self.part in path:
            raise MeiliUnavailable("Meilisearch injoignable : panne simulée")
        return super().request(method, path, json=json, timeout=timeout)


def _builds(uid, meili_client):
    return [
        i["uid"]
        for i in meili_client.request("GET", "/indexes?limit=1000")["results"]
        if i["uid"].startswith(uid + "__build_")
    ]


def test_a_rebuild_failing_before_the_swap_says_so_and_leaves_the_live_index(ctx, meili_client):
    uid = ctx.config["MEILI_INDEX"]
    tool = save_tool(db.session, _tool())
    db.session.commit()
    meili_client.run("DELETE", f"/indexes/{uid}/documents")  # drift the rebuild would repair
    failing = _FailingClient(meili_client, "PATCH", "__build_")
    with pytest.raises(MeiliError) as info:
        sync.rebuild(failing, uid, settings_for(db.session), published_batches(db.session))
    assert info.value.swapped is False
    assert tool.id not in _indexed_ids(ctx, meili_client)  # the live index was not touched
    deadline = time.monotonic() + 30  # the half-built index's deletion is queued, not awaited
    while _builds(uid, meili_client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _builds(uid, meili_client) == []


def test_a_rebuild_failing_after_the_swap_says_so(ctx, meili_client):
    uid = ctx.config["MEILI_INDEX"]
    tool = save_tool(db.session, _tool())
    db.session.commit()
    meili_client.run("DELETE", f"/indexes/{uid}/documents")
    failing = _FailingClient(meili_client, "DELETE", "__build_")  # the old index's deletion
    try:
        with pytest.raises(MeiliError) as info:
            sync.rebuild(failing, uid, settings_for(db.session), published_batches(db.session))
        assert info.value.swapped is True
        assert tool.id in _indexed_ids(ctx, meili_client)  # the new index is live
        assert len(_builds(uid, meili_client)) == 1  # the old one, left for the next rebuild
    finally:
        for leftover in _builds(uid, meili_client):
            meili_client.run("DELETE", f"/indexes/{leftover}")


def test_after_the_swap_the_edits_made_meanwhile_are_queued_again_even_on_failure(
    ctx, meili_client, monkeypatch
):
    from app.index_sync import operations as index_admin

    uid = ctx.config["MEILI_INDEX"]
    tool = save_tool(db.session, _tool(title="Avant"))
    db.session.commit()
    # an edit that reached the old index only (its row done), stamped since the rebuild began
    tool.title = "Modifié pendant la reconstruction"
    db.session.commit()
    db.session.execute(update(IndexOutbox).values(done_at=func.now()))
    db.session.add(IndexOutbox(kind="settings", tool_id=None, done_at=utcnow()))
    db.session.commit()
    real_batches = index_admin.published_batches

    def batches_read_before_the_edit(session):
        for batch in real_batches(session):
            yield [dict(doc, title="Avant") for doc in batch]

    monkeypatch.setattr(index_admin, "published_batches", batches_read_before_the_edit)
    monkeypatch.setattr(
        index_admin, "meili", lambda: _FailingClient(meili_client, "DELETE", "__build_")
    )
    try:
        with pytest.raises(MeiliError) as info:
            rebuild_index(db.session)
        assert info.value.swapped is True
        title = meili_client.request("GET", f"/indexes/{uid}/documents/{tool.id}")["title"]
        assert title == "Avant"  # the new live index misses the edit...
        db.session.info["romin_sync"] = False  # ...queued again, for the worker here
        db.session.commit()
        db.session.info["romin_sync"] = True
        queued = db.session.execute(
            select(IndexOutbox.id, IndexOutbox.kind, IndexOutbox.tool_id).where(
                IndexOutbox.done_at.is_(None)
            )
        ).all()
        assert sorted((r.kind, r.tool_id or 0) for r in queued) == [
            ("settings", 0),
            ("tool", tool.id),
        ]
        # (now() is frozen in this test's outer transaction: the rows are named, not "due")
        result, _generation = push_outbox(db.session, [r.id for r in queued])
        db.session.commit()
        assert result.done == 2 and not result.error
        title = meili_client.request("GET", f"/indexes/{uid}/documents/{tool.id}")["title"]
        assert title == "Modifié pendant la reconstruction"
    finally:
        for leftover in _builds(uid, meili_client):
            meili_client.run("DELETE", f"/indexes/{leftover}")


def test_failure_messages_say_whether_the_new_index_is_live():
    from app.index_sync.rebuild_jobs import failure_message

    before = failure_message("panne", False, False)
    assert "L'index précédent reste en service" in before
    after = failure_message("panne", True, True)
    assert "Échec après la bascule" in after and "Le nouvel index est en service" in after
    assert "remises en file d'indexation" in after and "précédent reste" not in after
    lost = failure_message("panne", True, False)
    assert "romin index reconcile" in lost and "précédent reste" not in lost
    unknown = failure_message("panne", None, True)
    assert "peut-être déjà en service" in unknown and "précédent reste" not in unknown
