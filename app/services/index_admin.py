"""Index operations for commands and the back office: rebuild by swap, status."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from sqlalchemy import select

from app.indexing import (
    bump_generation, index_uid, meili, published_batches, published_count, record_state,
    settings_for, sync_tools,
)
from app.models import IndexOutbox, IndexState
from app.models.base import utcnow
from indexer import sync
from indexer.client import MeiliError


def rebuild_index(session: Session, progress: Callable[[int], None] = lambda n: None) -> int:
    """Fresh index from PostgreSQL, swapped in atomically; flushes the new state.

    Edits go on meanwhile and reach the old index: once the new one is live, every tool whose
    outbox row was written since the rebuild started is pushed again, so no edit is lost.
    """
    started = utcnow()
    count = sync.rebuild(meili(), index_uid(), settings_for(session), published_batches(session),
                         progress)
    edited = set(session.scalars(select(IndexOutbox.tool_id)
                                 .where(IndexOutbox.created_at >= started)))
    if edited:
        sync_tools(session, edited)
    record_state(session, last_rebuild_at=utcnow())
    bump_generation(session)
    return count


def index_status(session: Session) -> dict:
    state = session.get(IndexState, "tools")
    try:
        indexed, error = sync.document_count(meili(), index_uid()), ""
    except MeiliError as exc:
        indexed, error = None, str(exc)
    from app.services.outbox import pending_summary
    return {
        **pending_summary(session),
        "published": published_count(session), "indexed": indexed, "index_error": error,
        "last_rebuild_at": state.last_rebuild_at if state else None,
        "last_sync_at": state.last_sync_at if state else None,
        "last_error": state.last_error if state else "",
        "last_error_at": state.last_error_at if state else None,
    }


def reconcile_index(session: Session):
    """Repair every difference between PostgreSQL and the index; returns what was repaired."""
    from indexer.reconcile import reconcile
    client, uid = meili(), index_uid()
    if client.get_index(uid) is None:
        sync.ensure_index(client, uid, settings_for(session))
    repair = reconcile(client, uid, published_batches(session))
    if repair.changed:
        bump_generation(session)
    record_state(session, last_sync_at=utcnow())
    return repair
