"""Draining the index outbox: claim due rows (SKIP LOCKED, so several workers never take the
same row), push the tools' current state, mark the rows done only once Meilisearch confirmed.

A failed push is retried with exponential backoff; after MAX_ATTEMPTS the row is parked with its
error, for a person to look at. Duplicate and out-of-order rows are harmless: each push reads the
tool's current state from the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, cast

from sqlalchemy import CursorResult, Row, delete, func, select, update
from sqlalchemy.orm import Session

from app.db import among
from app.models import IndexOutbox
from indexer.client import MeiliError

MAX_ATTEMPTS = 12  # about eight minutes of failures before a row is parked
BATCH = 1000

# push(session, tool_ids): send these tools' current state (None: the index settings)
Push = Callable[[Session, set[int | None]], None]


@dataclass
class Drained:
    done: int = 0
    failed: int = 0
    parked: int = 0
    error: str = ""


def claim(
    session: Session, ids: list[int] | None = None, limit: int = BATCH
) -> Sequence[Row[tuple[int, int | None, int]]]:
    """Lock pending rows for this transaction (the given ones, or the due ones): (id, tool_id, attempts)."""
    query = select(IndexOutbox.id, IndexOutbox.tool_id, IndexOutbox.attempts).where(
        IndexOutbox.done_at.is_(None)
    )
    if ids is not None:
        query = query.where(among(IndexOutbox.id, ids))
    else:
        query = query.where(~IndexOutbox.parked, IndexOutbox.next_attempt_at <= func.now())
    return session.execute(
        query.order_by(IndexOutbox.id).limit(limit).with_for_update(skip_locked=True)
    ).all()


def drain(session: Session, push: Push, ids: list[int] | None = None) -> Drained:
    """Claim, push with `push(session, tool_ids)`, record the outcome; flushes, never commits.

    Given ids (a request's own rows) are all handled, a change touching every tool included;
    without ids, one batch of due rows (the worker loops)."""
    result = Drained()
    chunks = [ids[n : n + BATCH] for n in range(0, len(ids), BATCH)] if ids is not None else [None]
    rows = [row for chunk in chunks for row in claim(session, chunk)]
    if not rows:
        return result
    claimed = [row.id for row in rows]
    try:
        # a 'settings' row has no tool: its None tells the push to send the index settings
        push(session, {row.tool_id for row in rows})
    except MeiliError as exc:
        result.error = str(exc)[:2000]
        # backoff: 2, 4, 8... seconds, at most a minute, so edits arrive soon once it is back
        attempts = IndexOutbox.attempts + 1
        session.execute(
            update(IndexOutbox)
            .where(among(IndexOutbox.id, claimed))
            .values(
                attempts=attempts,
                last_error=result.error,
                parked=attempts >= MAX_ATTEMPTS,
                next_attempt_at=func.clock_timestamp()
                + func.make_interval(0, 0, 0, 0, 0, 0, func.least(func.power(2, attempts), 60)),
            )
        )
        result.parked = sum(1 for row in rows if row.attempts + 1 >= MAX_ATTEMPTS)
        result.failed = len(rows) - result.parked
    else:
        session.execute(
            update(IndexOutbox).where(among(IndexOutbox.id, claimed)).values(done_at=func.now())
        )
        result.done = len(rows)
    return result


class PendingSummary(TypedDict):
    pending: int
    oldest_pending_at: datetime | None
    parked: int


def pending_summary(session: Session) -> PendingSummary:
    """Pending rows and the age of the oldest, parked rows: what the status shows."""
    pending = select(func.count(), func.min(IndexOutbox.created_at)).where(
        IndexOutbox.done_at.is_(None), ~IndexOutbox.parked
    )
    count, oldest = session.execute(pending).one()
    parked = (
        session.scalar(
            select(func.count()).where(IndexOutbox.done_at.is_(None), IndexOutbox.parked)
        )
        or 0
    )
    return {"pending": count, "oldest_pending_at": oldest, "parked": parked}


def retry_parked(session: Session, ids: list[int] | None = None) -> int:
    """Put parked rows (all, or these ones) back in the queue (a person fixed the cause)."""
    query = update(IndexOutbox).where(IndexOutbox.parked, IndexOutbox.done_at.is_(None))
    if ids is not None:
        query = query.where(among(IndexOutbox.id, ids))
    # an UPDATE's result is a CursorResult (Session.execute is typed for any statement)
    result = cast(
        CursorResult[Any],
        session.execute(query.values(parked=False, attempts=0, next_attempt_at=func.now())),
    )
    return result.rowcount


def purge_done(session: Session, older_than: timedelta = timedelta(days=7)) -> int:
    result = cast(
        CursorResult[Any],
        session.execute(delete(IndexOutbox).where(IndexOutbox.done_at < func.now() - older_than)),
    )
    return result.rowcount
