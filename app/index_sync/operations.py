"""Index operations for commands and the back office: rebuild by swap, status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.index_sync.client import index_uid, meili
from app.index_sync.documents import published_batches, settings_for
from app.index_sync.generation import bump_generation, record_state
from app.index_sync.hooks import SETTINGS_KEY, mark
from app.index_sync.outbox import retry_parked
from app.index_sync.push import hold_push_lock
from app.models import IndexOutbox, Tool
from app.models.base import utcnow
from indexer import sync
from indexer.reconcile import Repair, reconcile

REPLAY_MARGIN = timedelta(minutes=1)


def rebuild_index(session: Session, progress: Callable[[int], None] = lambda n: None) -> int:
    """Fresh index from PostgreSQL, swapped in atomically; flushes the new state.

    Edits go on meanwhile and reach the old index: once the new one is live, every tool whose
    outbox row was written since the rebuild started is queued again (see _replay_edits), so no
    edit is lost. The window opens a minute early: a row is stamped just before its commit, and
    an edit stamped before the start but committed after the rebuild read its tool went to the
    old index only. Pushing a tool twice is harmless (each push reads its current state).

    A failure after the swap (or a swap of unknown outcome) still queues the edits again and
    moves the generation before raising: the caller commits them (`exc.swapped`, see
    indexer.sync.rebuild).
    """
    started = utcnow() - REPLAY_MARGIN
    try:
        count = sync.rebuild(
            meili(), index_uid(), settings_for(session), published_batches(session), progress
        )
    except Exception as exc:
        swapped = getattr(exc, "swapped", False)  # set by sync.rebuild on the way out
        if swapped is not False:
            _replay_edits(session, started)
            if swapped:
                record_state(session, last_rebuild_at=utcnow())
            bump_generation(session)
        raise
    _replay_edits(session, started)
    record_state(session, last_rebuild_at=utcnow())
    bump_generation(session)
    return count


def _replay_edits(session: Session, since: datetime) -> None:
    """Queue again, in this transaction, the tools (and index settings) edited since `since`.

    Their rows were pushed to the index that was live then, and marked done: pushing them here
    and now could fail and lose them. Fresh outbox rows, written by the session's usual commit
    hooks (app.index_sync.hooks), are pushed once this transaction commits, or by the worker."""
    edited = set(
        session.scalars(select(IndexOutbox.tool_id).where(IndexOutbox.created_at >= since))
    )
    mark(session, edited)  # a settings row's tool_id is None: mark() leaves it out
    if None in edited:
        session.info[SETTINGS_KEY] = True


def reconcile_index(session: Session) -> Repair:
    """Repair every difference between PostgreSQL and the index; returns what was repaired."""

    client, uid = meili(), index_uid()
    hold_push_lock(session)  # reconcile reads and sends like a push
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
    created_at: datetime

    @property
    def what(self) -> str:
        if self.tool_id is None:
            return "Réglages de l'index"
        return self.tool_title or f"Outil n° {self.tool_id} (supprimé)"


def parked_entries(session: Session, limit: int = 100) -> list[ParkedEntry]:
    """The oldest parked rows first, with their tool's title when the tool still exists."""
    rows = session.execute(
        select(
            IndexOutbox.id,
            IndexOutbox.tool_id,
            IndexOutbox.attempts,
            IndexOutbox.last_error,
            IndexOutbox.created_at,
            Tool.title,
            Tool.slug,
        )
        .outerjoin(Tool, Tool.id == IndexOutbox.tool_id)
        .where(IndexOutbox.parked, IndexOutbox.done_at.is_(None))
        .order_by(IndexOutbox.id)
        .limit(limit)
    ).all()
    return [
        ParkedEntry(
            id=r.id,
            tool_id=r.tool_id,
            tool_title=r.title or "",
            tool_slug=r.slug or "",
            attempts=r.attempts,
            error=r.last_error,
            created_at=r.created_at,
        )
        for r in rows
    ]


def retry_parked_entries(session: Session, entry_ids: list[int] | None = None) -> list[int]:
    """Put parked rows (these, or all) back in the queue; returns the ids requeued. Flushes."""
    query = select(IndexOutbox.id).where(IndexOutbox.parked, IndexOutbox.done_at.is_(None))
    if entry_ids is not None:
        query = query.where(IndexOutbox.id.in_(entry_ids))
    ids = list(session.scalars(query.order_by(IndexOutbox.id).with_for_update()))
    if ids:
        retry_parked(session, ids)
    return ids
