"""Pushing outbox rows to Meilisearch once their transaction has committed.

The request (or the worker) pushes what its outbox rows name, in a session of its own; what
fails stays queued with a backoff for `romin index worker`. Documents are always rebuilt from
the database's current state, so duplicate or out-of-order rows converge to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import current_app, g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue.risk_factors import all_factors
from app.core.vocabulary import PUBLISHED
from app.db import among
from app.index_sync.client import index_uid, meili
from app.index_sync.documents import published_batches, settings_for
from app.index_sync.generation import bump_generation, generation_listener, record_state
from app.index_sync.listener import wait_for
from app.index_sync.outbox import Drained, Push, drain
from app.models import Tool
from app.models.base import utcnow
from indexer import sync
from indexer.documents import Document, score_update

log = logging.getLogger(__name__)

# One push at a time, across processes: a push reads the tools' state, then sends it; two
# pushes interleaved could land the older state last (both outbox rows done, the index stale).
_PUSH_LOCK_KEY = 0x524F4D494E + 1


def hold_push_lock(session: Session) -> None:
    """Wait for the pushes in progress; held until this push's transaction ends (after
    Meilisearch confirmed it, as the push waits for its tasks)."""
    session.execute(select(func.pg_advisory_xact_lock(_PUSH_LOCK_KEY)))


def sync_tools(session: Session, tool_ids: set[int | None]) -> None:
    """Push the current state of these tools: published ones upserted, the others deleted.

    In batches, so that a change touching every tool (new ranking weights) never becomes one
    huge request. `None` among the ids stands for the index settings (an outbox row of kind
    'settings': a risk factor's synonyms changed); they are pushed first, from the database's
    current state, so a settings row can be duplicated or late and still converge.
    """
    client, uid = meili(), index_uid()
    hold_push_lock(session)
    push_settings = None in tool_ids
    tools = {i for i in tool_ids if i is not None}
    if client.get_index(uid) is None:  # never let Meilisearch create it without its settings
        sync.ensure_index(client, uid, settings_for(session))
    elif push_settings:
        sync.push_settings(client, uid, settings_for(session))
    published: set[int] = set()

    def batches() -> Iterator[list[Document]]:
        for batch in published_batches(session, tools):
            published.update(doc["id"] for doc in batch)
            yield batch

    sync.upsert_batches(client, uid, batches())
    sync.delete(client, uid, sorted(tools - published))


def sync_scores(session: Session, tool_ids: set[int | None]) -> None:
    """Push a change of scores only (new ranking weights, every tool): for the published tools
    the index holds, partial documents of their score fields (Meilisearch merges them, far
    faster than whole documents to build and to index); everything else as sync_tools does.
    Batches are sent as they are built, so Meilisearch indexes one while the next is read."""
    client, uid = meili(), index_uid()
    hold_push_lock(session)
    if client.get_index(uid) is None:
        return sync_tools(session, tool_ids)
    wanted = sorted(i for i in tool_ids if i is not None)
    base_hashes = sync.indexed_values(client, uid, "base_hash")
    factor_slugs = [f.slug for f in all_factors(session)]
    sent: set[int] = set()

    def batches() -> Iterator[list[Document]]:
        for start in range(0, len(wanted), sync.BATCH_SIZE):
            rows = session.execute(
                select(Tool.id, Tool.scores).where(
                    Tool.status == PUBLISHED,
                    among(Tool.id, wanted[start : start + sync.BATCH_SIZE]),
                )
            )
            batch = [
                score_update(r.id, base_hashes[r.id], r.scores or {}, factor_slugs)
                for r in rows
                if base_hashes.get(r.id)
            ]
            sent.update(doc["id"] for doc in batch)
            yield batch

    sync.upsert_batches(client, uid, batches(), partial=True)
    # A partial document upserts: one unpublished meanwhile (its deletion applied before our
    # update) would come back as a bare document of scores. Read the statuses again.
    still = set(
        session.scalars(
            select(Tool.id).where(Tool.status == PUBLISHED, among(Tool.id, sorted(sent)))
        )
    )
    sync.delete(client, uid, sorted(sent - still))
    rest = tool_ids - sent
    if rest:
        sync_tools(session, rest)


def push_outbox(
    session: Session, outbox_ids: list[int] | None = None, push: Push | None = None
) -> tuple[Drained, int | None]:
    """Push pending outbox rows (these ones, or the due ones) with `push` (sync_tools unless
    told) and record the outcome in `index_state`; returns it and the new index generation
    (None when nothing was pushed).
    Flushes, never commits: the caller's transaction holds the rows' locks until it commits."""
    result = drain(session, push or sync_tools, outbox_ids)
    if result.error:
        log.error(
            "index push failed: %d outbox row(s) queued again, %d parked",
            result.failed,
            result.parked,
        )
        record_state(session, last_error=result.error, last_error_at=utcnow())
    elif result.done:
        record_state(session, last_sync_at=utcnow())
    # even a half-applied batch makes cached answers stale
    generation = bump_generation(session) if result.done or result.error else None
    return result, generation


def sync_after_commit(outbox_ids: list[int], push: Push | None = None) -> None:
    """Once the edit is committed: push what its outbox rows name, in a session of its own.

    Rows another process already holds are skipped (SKIP LOCKED); a failure leaves them queued
    with a backoff for `romin index worker`, and is shown to the person who made the edit.
    """
    factory = current_app.extensions["romin_db"].session_factory
    with factory() as session:
        result, generation = push_outbox(session, outbox_ids, push)
        session.commit()
    if result.error and has_request_context():
        g.index_error = result.error
    # Read your own writes: the notice reaches every process at about the same time; once this
    # one has it, the officer's next page (served by any worker) sees the change.
    listener = generation_listener()
    if generation is not None and listener is not None:
        wait_for(listener, lambda value: value is None or value >= generation, timeout=0.5)
