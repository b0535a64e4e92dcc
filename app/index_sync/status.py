"""The index's health in figures: PostgreSQL against Meilisearch, the outbox, the rebuilds."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from app.index_sync.client import index_uid, meili
from app.index_sync.documents import published_count
from app.index_sync.outbox import PendingSummary, pending_summary
from app.index_sync.rebuild_jobs import JobView, jobs_for_display, stale_after
from app.models import IndexState
from indexer import sync
from indexer.client import MeiliError


class IndexStatus(PendingSummary):
    published: int
    indexed: int | None  # None: no index, or Meilisearch did not answer (index_error)
    index_error: str
    last_rebuild_at: datetime | None
    last_sync_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    running_job: JobView | None
    last_job: JobView | None


def index_status(session: Session, stale: timedelta | None = None) -> IndexStatus:
    """Figures for the health page and `romin index status`; reads only (a job left running by
    a dead process, judged by `stale`, is shown as interrupted, not closed)."""
    running, last = jobs_for_display(session, stale or stale_after(current_app))
    state = session.get(IndexState, "tools")
    try:
        indexed, error = sync.document_count(meili(), index_uid()), ""
    except MeiliError as exc:
        indexed, error = None, str(exc)
    return {
        **pending_summary(session),
        "published": published_count(session),
        "indexed": indexed,
        "index_error": error,
        "last_rebuild_at": state.last_rebuild_at if state else None,
        "last_sync_at": state.last_sync_at if state else None,
        "last_error": state.last_error if state else "",
        "last_error_at": state.last_error_at if state else None,
        "running_job": running,
        "last_job": last,
    }
