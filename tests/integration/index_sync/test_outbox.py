"""The transactional outbox: written with the change, drained once Meilisearch confirms, retried
with backoff, parked when it keeps failing; duplicates and out-of-order rows converge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from app.catalogue.service import save_tool
from app.db import db
from app.index_sync import outbox
from app.index_sync.push import sync_tools
from app.models import IndexOutbox, Tool
from app.models.base import utcnow


def _tool(**extra):
    data = {
        "title": "Outil en file",
        "summary": "s",
        "risk_factors": ["famille"],
        "status": "published",
    }
    data.update(extra)
    return data


def _rows(tool_id):
    return list(
        db.session.scalars(
            select(IndexOutbox)
            .where(IndexOutbox.tool_id == tool_id)
            .order_by(IndexOutbox.id)
            .execution_options(populate_existing=True)
        )
    )


def _document(app, meili_client, tool_id):
    return meili_client.request("GET", f"/indexes/{app.config['MEILI_INDEX']}/documents/{tool_id}")


def test_an_edit_writes_its_outbox_row_in_the_same_transaction_and_it_is_done(ctx, meili_client):
    tool = save_tool(db.session, _tool())
    db.session.commit()
    rows = _rows(tool.id)
    assert len(rows) == 1 and rows[0].done_at is not None and rows[0].attempts == 0
    assert _document(ctx, meili_client, tool.id)["title"] == "Outil en file"


def test_a_rolled_back_edit_writes_no_outbox_row(ctx):
    tool = save_tool(db.session, _tool())
    db.session.commit()
    save_tool(db.session, {"title": "Jamais"}, tool)
    db.session.flush()
    db.session.rollback()
    assert len(_rows(tool.id)) == 1


def test_meilisearch_down_keeps_the_rows_queued_then_the_worker_pushes_them(
    app_factory, meili_client
):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.3)
    with down.app_context():
        tool = save_tool(db.session, _tool(title="Écrit pendant la panne"))
        db.session.commit()
        row = _rows(tool.id)[0]
        assert row.done_at is None and row.attempts == 1 and "injoignable" in row.last_error
        delay = (row.next_attempt_at - row.created_at).total_seconds()
        assert 1.5 <= delay <= 4  # first retry after 2 s
        # not due yet: the worker leaves it alone
        assert outbox.drain(db.session, sync_tools).done == 0
    up = app_factory()
    with up.app_context():
        db.session.execute(
            update(IndexOutbox)
            .where(IndexOutbox.tool_id == tool.id)
            .values(next_attempt_at=utcnow() - timedelta(hours=1))
        )
        result = outbox.drain(db.session, sync_tools)
        db.session.commit()
        assert result.done == 1 and _rows(tool.id)[0].done_at is not None
        assert _document(up, meili_client, tool.id)["title"] == "Écrit pendant la panne"


def test_a_row_that_keeps_failing_is_parked_with_its_error(app_factory):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.2)
    with down.app_context():
        tool = save_tool(db.session, _tool())
        db.session.commit()
        for _ in range(outbox.MAX_ATTEMPTS):
            db.session.execute(
                update(IndexOutbox)
                .where(IndexOutbox.tool_id == tool.id)
                .values(next_attempt_at=utcnow() - timedelta(hours=1))
            )
            outbox.drain(db.session, sync_tools)
        row = _rows(tool.id)[0]
        assert row.parked and row.attempts == outbox.MAX_ATTEMPTS and row.last_error
        # the backoff never exceeds a minute
        assert (row.next_attempt_at - utcnow()).total_seconds() <= 61
        assert outbox.pending_summary(db.session)["parked"] >= 1
        assert outbox.retry_parked(db.session) >= 1
        db.session.refresh(row)
        assert not row.parked and row.attempts == 0


def test_duplicate_and_out_of_order_rows_converge_to_the_database(ctx, meili_client):
    tool = save_tool(db.session, _tool(title="Version 1"))
    db.session.commit()
    save_tool(db.session, {"title": "Version 2"}, tool)
    db.session.commit()
    # replay old rows, newest first: each push reads the current state
    for row in reversed(_rows(tool.id)):
        row.done_at = None
    db.session.add(IndexOutbox(tool_id=tool.id))
    db.session.flush()
    outbox.drain(db.session, sync_tools)
    assert _document(ctx, meili_client, tool.id)["title"] == "Version 2"


def test_two_workers_never_claim_the_same_row(database_url):
    """Real concurrent transactions (committed rows, removed afterwards)."""
    engine = create_engine(database_url)
    marker = 2_000_000_000
    try:
        with Session(engine) as setup:
            setup.add_all([IndexOutbox(tool_id=marker + n) for n in range(6)])
            setup.commit()
        with Session(engine) as first, Session(engine) as second:
            mine = {r.tool_id for r in outbox.claim(first) if r.tool_id >= marker}
            theirs = {r.tool_id for r in outbox.claim(second) if r.tool_id >= marker}
            assert mine and not (mine & theirs)
            first.rollback()
            second.rollback()
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM index_outbox WHERE tool_id >= :m"), {"m": marker})
        engine.dispose()


def test_the_worker_command_drains_and_reports(app_factory):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.2)
    with down.app_context():
        tool = save_tool(db.session, _tool(title="Pour le worker"))
        db.session.commit()
        db.session.execute(
            update(IndexOutbox)
            .where(IndexOutbox.tool_id == tool.id)
            .values(next_attempt_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    up = app_factory()
    result = up.test_cli_runner().invoke(
        args=["index", "worker", "--once", "--reconcile-every", "0"]
    )
    assert result.exit_code == 0, result.output
    with up.app_context():
        assert _rows(tool.id)[0].done_at is not None
        assert db.session.get(Tool, tool.id) is not None
    status = up.test_cli_runner().invoke(args=["index", "status"])
    assert "File d'indexation" in status.output


def test_an_edit_made_while_a_rebuild_runs_is_not_lost(ctx, meili_client, monkeypatch):
    from app.index_sync import operations as index_admin

    tool = save_tool(db.session, _tool(title="Avant la reconstruction"))
    db.session.commit()
    real_batches = index_admin.published_batches

    def batches_then_an_edit(session):
        snapshot = list(real_batches(session))  # read before the edit, as a long rebuild would
        with ctx.app_context():  # a curator's request, committed while the rebuild goes on
            save_tool(
                db.session,
                {"title": "Modifié pendant la reconstruction"},
                db.session.get(Tool, tool.id),
            )
            db.session.commit()
        yield from snapshot

    monkeypatch.setattr(index_admin, "published_batches", batches_then_an_edit)
    index_admin.rebuild_index(db.session)
    db.session.commit()
    assert _document(ctx, meili_client, tool.id)["title"] == "Modifié pendant la reconstruction"
