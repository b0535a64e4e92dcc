"""Index operations for commands and the back office: rebuild by swap, status."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.indexing import (
    bump_generation, index_uid, meili, published_batches, published_count, record_state,
    settings_for, sync_tools,
)
from app.models import IndexOutbox, IndexState, Tool
from app.models.base import utcnow
from indexer import sync
from indexer.client import MeiliError


REPLAY_MARGIN = timedelta(minutes=1)


def rebuild_index(session: Session, progress: Callable[[int], None] = lambda n: None) -> int:
    """Fresh index from PostgreSQL, swapped in atomically; flushes the new state.

    Edits go on meanwhile and reach the old index: once the new one is live, every tool whose
    outbox row was written since the rebuild started is pushed again, so no edit is lost. The
    window opens a minute early: a row is stamped just before its commit, and an edit stamped
    before the start but committed after the rebuild read its tool went to the old index only.
    Pushing a tool twice is harmless (each push reads its current state).
    """
    started = utcnow() - REPLAY_MARGIN
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
    from app.services.index_jobs import latest_job, running_job
    from app.services.outbox import pending_summary
    return {
        **pending_summary(session),
        "published": published_count(session), "indexed": indexed, "index_error": error,
        "last_rebuild_at": state.last_rebuild_at if state else None,
        "last_sync_at": state.last_sync_at if state else None,
        "last_error": state.last_error if state else "",
        "last_error_at": state.last_error_at if state else None,
        "running_job": running_job(session), "last_job": latest_job(session, finished=True),
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


@dataclass
class ParkedEntry:
    """An outbox row that kept failing, as the health page lists it."""
    id: int
    tool_id: int | None
    tool_title: str
    tool_slug: str
    attempts: int
    error: str
    created_at: object

    @property
    def what(self) -> str:
        if self.tool_id is None:
            return "Réglages de l'index"
        return self.tool_title or f"Outil n° {self.tool_id} (supprimé)"


def parked_entries(session: Session, limit: int = 100) -> list[ParkedEntry]:
    """The oldest parked rows first, with their tool's title when the tool still exists."""
    rows = session.execute(
        select(IndexOutbox.id, IndexOutbox.tool_id, IndexOutbox.attempts, IndexOutbox.last_error,
               IndexOutbox.created_at, Tool.title, Tool.slug)
        .outerjoin(Tool, Tool.id == IndexOutbox.tool_id)
        .where(IndexOutbox.parked, IndexOutbox.done_at.is_(None))
        .order_by(IndexOutbox.id).limit(limit)).all()
    return [ParkedEntry(id=r.id, tool_id=r.tool_id, tool_title=r.title or "", tool_slug=r.slug or "",
                        attempts=r.attempts, error=r.last_error, created_at=r.created_at)
            for r in rows]


def retry_parked_entries(session: Session, entry_ids: list[int] | None = None) -> list[int]:
    """Put parked rows (these, or all) back in the queue; returns the ids requeued. Flushes."""
    from app.services.outbox import retry_parked
    query = select(IndexOutbox.id).where(IndexOutbox.parked, IndexOutbox.done_at.is_(None))
    if entry_ids is not None:
        query = query.where(IndexOutbox.id.in_(entry_ids))
    ids = list(session.scalars(query.order_by(IndexOutbox.id).with_for_update()))
    if ids:
        retry_parked(session, ids)
    return ids
