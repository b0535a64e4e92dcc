"""The app's side of the search index: which tools changed, their documents, syncing after commit.

Session hooks record the ids of tools whose search document may have changed; once the
transaction has committed (never before, never for a rollback) the documents are rebuilt from
the database and pushed. A Meilisearch failure is logged, recorded in `index_state` and shown
to the person who made the edit; the database keeps the edit, and `romin index rebuild` (or the
outbox worker, when it exists) repairs the index. `sync_after_commit` is the one place an
outbox can slot in.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from flask import current_app, g, has_request_context
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, selectinload

from app.models import Feedback, IndexState, RiskFactor, Support, Tool
from app.models.base import utcnow
from app.services.scoring import rating_stats
from indexer.client import MeiliClient, MeiliError
from indexer.documents import ToolData, build_document
from indexer.settings import index_settings
from indexer import sync

log = logging.getLogger(__name__)
PENDING_KEY = "romin_index_pending"


# -- reading the catalogue for the index -------------------------------------------------

def all_factors(session: Session) -> list[RiskFactor]:
    return list(session.scalars(select(RiskFactor).order_by(RiskFactor.position)))


def settings_for(session: Session) -> dict:
    return index_settings([(f.slug, f.label, list(f.synonyms)) for f in all_factors(session)])


def tool_data(session: Session, tools: list[Tool]) -> list[ToolData]:
    stats = rating_stats(session, [t.id for t in tools])
    data = []
    for tool in tools:
        overall, _per_factor = stats[tool.id]
        data.append(ToolData(
            id=tool.id, slug=tool.slug, title=tool.title, kind=tool.kind, phase=tool.phase,
            summary=tool.summary, instructions=tool.instructions, precautions=tool.precautions,
            protective_factors=tool.protective_factors,
            risk_factors=[(f.slug, f.label, list(f.synonyms)) for f in tool.risk_factors],
            stages=list(tool.stages), modality=tool.modality, sessions=tool.sessions,
            minutes_per_session=tool.minutes_per_session,
            preparation_minutes=tool.preparation_minutes, setting=list(tool.setting),
            responsivity=list(tool.responsivity), evidence_level=tool.evidence_level,
            not_recommended=tool.not_recommended, rating_average=overall.average,
            rating_count=overall.count, scores=dict(tool.scores or {}),
            supports_count=len(tool.supports), last_review=tool.last_review,
            updated_at=tool.updated_at,
        ))
    return data


def documents(session: Session, tools: list[Tool], factor_slugs: list[str]) -> list[dict]:
    return [build_document(d, factor_slugs) for d in tool_data(session, tools)]


def published_batches(session: Session, size: int = sync.BATCH_SIZE) -> Iterator[list[dict]]:
    """Documents of every published tool, in batches, by id (keyset pagination)."""
    factor_slugs = [f.slug for f in all_factors(session)]
    last_id = 0
    while True:
        tools = list(session.scalars(
            select(Tool).where(Tool.status == "published", Tool.id > last_id)
            .options(selectinload(Tool.risk_factors), selectinload(Tool.supports))
            .order_by(Tool.id).limit(size)
        ))
        if not tools:
            return
        last_id = tools[-1].id
        yield documents(session, tools, factor_slugs)
        session.expunge_all()


def published_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Tool).where(Tool.status == "published"))


# -- the client ----------------------------------------------------------------------------

def meili() -> MeiliClient:
    """The app's Meilisearch client (one per app; one HTTP session per thread inside)."""
    client = current_app.extensions.get("romin_meili")
    if client is None:
        client = MeiliClient(current_app.config["MEILI_URL"], current_app.config["MEILI_MASTER_KEY"],
                             timeout=current_app.config["MEILI_TIMEOUT"])
        current_app.extensions["romin_meili"] = client
    return client


def index_uid() -> str:
    return current_app.config["MEILI_INDEX"]


# -- syncing after commit ------------------------------------------------------------------

def mark(session: Session, tool_ids: Iterable[int]) -> None:
    session.info.setdefault(PENDING_KEY, set()).update(i for i in tool_ids if i is not None)


def sync_tools(session: Session, tool_ids: set[int]) -> None:
    """Push the current state of these tools: published ones upserted, the others deleted.

    In batches, so that a change touching every tool (new ranking weights) never becomes one
    huge request.
    """
    factor_slugs = [f.slug for f in all_factors(session)]
    client, uid = meili(), index_uid()
    if client.get_index(uid) is None:  # never let Meilisearch create it without its settings
        sync.ensure_index(client, uid, settings_for(session))
    published: set[int] = set()

    def batches() -> Iterator[list[dict]]:
        ids = sorted(tool_ids)
        for start in range(0, len(ids), sync.BATCH_SIZE):
            tools = list(session.scalars(
                select(Tool).where(Tool.id.in_(ids[start:start + sync.BATCH_SIZE]),
                                   Tool.status == "published")
                .options(selectinload(Tool.risk_factors), selectinload(Tool.supports))
            ))
            published.update(t.id for t in tools)
            yield documents(session, tools, factor_slugs)

    sync.upsert_batches(client, uid, batches())
    sync.delete(client, uid, sorted(tool_ids - published))


def record_state(session: Session, **values) -> None:
    state = session.get(IndexState, "tools")
    if state is None:
        state = IndexState(name="tools")
        session.add(state)
    for key, value in values.items():
        setattr(state, key, value)


def bump_generation(session: Session) -> None:
    """Tell every process's search cache that the index changed."""
    record_state(session)
    session.flush()
    session.execute(update(IndexState).where(IndexState.name == "tools")
                    .values(generation=IndexState.generation + 1))


def current_generation(session: Session) -> int:
    return session.scalar(select(IndexState.generation).where(IndexState.name == "tools")) or 0


def sync_after_commit(tool_ids: set[int]) -> None:
    """Runs once the edit is committed, in a session of its own."""
    factory = current_app.extensions["romin_db"].session_factory
    with factory() as session:
        try:
            sync_tools(session, tool_ids)
            record_state(session, last_sync_at=utcnow())
        except MeiliError as exc:
            log.error("index sync failed for %d tool(s): %s", len(tool_ids), exc)
            record_state(session, last_error=str(exc)[:2000], last_error_at=utcnow())
            if has_request_context():
                g.index_error = str(exc)
        bump_generation(session)  # even a half-applied batch makes cached answers stale
        session.commit()


def _changed_tool_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Tool):
            ids.add(obj.id)
        elif isinstance(obj, (Feedback, Support)):
            ids.add(obj.tool_id)
    return ids


def install_session_hooks(session_class) -> None:
    """Attach the change-tracking hooks to the app's session class (once per process)."""
    if getattr(session_class, "_romin_hooks", False):
        return
    session_class._romin_hooks = True
    session_factory = session_class

    @event.listens_for(session_factory, "after_flush")
    def _after_flush(session, _flush_context):
        mark(session, _changed_tool_ids(session))

    @event.listens_for(session_factory, "after_commit")
    def _after_commit(session):
        pending = session.info.pop(PENDING_KEY, None)
        if pending and session.info.get("romin_sync", True):
            sync_after_commit(set(pending))

    @event.listens_for(session_factory, "after_rollback")
    def _after_rollback(session):
        session.info.pop(PENDING_KEY, None)
