"""The app's side of the search index: which tools changed, their documents, syncing after commit.

Session hooks record the ids of tools whose search document may have changed and, just before
the commit, write one outbox row per tool in the same transaction (transactional outbox). Once
the transaction has committed (never before, never for a rollback) the request pushes those
rows itself; what fails stays queued for `romin index worker`, which retries with backoff and
parks what keeps failing. Documents are always rebuilt from the database's current state, so
duplicate or out-of-order rows converge to it.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from flask import current_app, g, has_request_context
from sqlalchemy import event, func, inspect, select, text, update
from sqlalchemy.orm import Session

from app.db import among
from app.models import Feedback, IndexState, RiskFactor, Support, Tool, tool_risk_factors
from app.generation import CHANNEL, GenerationListener, wait_for
from app.models.base import utcnow
from app.services.outbox import Drained, drain
from app.services.reference_data import all_factors
from app.services.scoring import rating_stats
from indexer.client import MeiliClient
from indexer.documents import ToolData, build_document, score_update
from indexer.settings import index_settings
from indexer import sync

log = logging.getLogger(__name__)
PENDING_KEY = "romin_index_pending"
OUTBOX_KEY = "romin_index_outbox"
# Set by a change of scores only (new ranking weights): its own push after commit sends
# partial documents (sync_scores). Its outbox rows are ordinary: a worker retry sends them whole.
SCORES_ONLY_KEY = "romin_index_scores_only"
CONTENT_KEY = "romin_index_content_changed"
# Risk-factor edits (see _factor_changes): the index settings to push, factors whose tools'
# documents changed, or every document (a factor added or removed).
SETTINGS_KEY = "romin_index_settings"
FACTORS_KEY = "romin_index_factors"
ALL_TOOLS_KEY = "romin_index_all_tools"


# -- reading the catalogue for the index -------------------------------------------------

def settings_for(session: Session) -> dict:
    return index_settings([(f.slug, f.label, list(f.synonyms)) for f in all_factors(session)])


# Columns a search document is built from. Plain rows, not ORM objects: a rebuild reads every
# tool, and loading objects with their relationships cost most of the time Meilisearch spent
# waiting for the next batch (bench/profile_rebuild.py).
_DOC_COLUMNS = ("id", "slug", "title", "kind", "phase", "summary", "instructions", "precautions",
                "protective_factors", "stages", "modality", "sessions", "minutes_per_session",
                "preparation_minutes", "setting", "responsivity", "evidence_level",
                "not_recommended", "scores", "last_review", "updated_at")


def _documents(session: Session, rows: list, factors: dict[int, RiskFactor],
               factor_slugs: list[str]) -> list[dict]:
    """Documents for a batch of tool rows: links, support counts and ratings in one query each."""
    ids = [r.id for r in rows]
    linked: dict[int, list[RiskFactor]] = {}
    for tool_id, factor_id in session.execute(
            select(tool_risk_factors.c.tool_id, tool_risk_factors.c.risk_factor_id)
            .where(tool_risk_factors.c.tool_id.in_(ids))):
        linked.setdefault(tool_id, []).append(factors[factor_id])
    supports = dict(session.execute(select(Support.tool_id, func.count())
                                    .where(Support.tool_id.in_(ids)).group_by(Support.tool_id)).all())
    stats = rating_stats(session, ids)
    batch = []
    for r in rows:
        overall, _per_factor = stats[r.id]
        tool_factors = sorted(linked.get(r.id, []), key=lambda f: f.position)
        batch.append(build_document(ToolData(
            id=r.id, slug=r.slug, title=r.title, kind=r.kind, phase=r.phase, summary=r.summary,
            instructions=r.instructions, precautions=r.precautions,
            protective_factors=r.protective_factors,
            risk_factors=[(f.slug, f.label, list(f.synonyms)) for f in tool_factors],
            stages=list(r.stages), modality=r.modality, sessions=r.sessions,
            minutes_per_session=r.minutes_per_session, preparation_minutes=r.preparation_minutes,
            setting=list(r.setting), responsivity=list(r.responsivity),
            evidence_level=r.evidence_level, not_recommended=r.not_recommended,
            rating_average=overall.average, rating_count=overall.count,
            scores=dict(r.scores or {}), supports_count=supports.get(r.id, 0),
            last_review=r.last_review, updated_at=r.updated_at,
        ), factor_slugs))
    return batch


def published_batches(session: Session, ids: Iterable[int] | None = None,
                      size: int = sync.BATCH_SIZE) -> Iterator[list[dict]]:
    """Documents of the published tools (all of them, or those among `ids`), in batches."""
    factor_list = all_factors(session)
    factors = {f.id: f for f in factor_list}
    factor_slugs = [f.slug for f in factor_list]
    columns = [getattr(Tool, name) for name in _DOC_COLUMNS]
    published = select(*columns).where(Tool.status == "published").order_by(Tool.id)
    if ids is not None:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), size):
            rows = session.execute(published.where(Tool.id.in_(wanted[start:start + size]))).all()
            if rows:
                yield _documents(session, rows, factors, factor_slugs)
        return
    last_id = 0
    while True:  # keyset pagination by id
        rows = session.execute(published.where(Tool.id > last_id).limit(size)).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield _documents(session, rows, factors, factor_slugs)


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
    tool_ids = {i for i in tool_ids if i is not None}
    if client.get_index(uid) is None:  # never let Meilisearch create it without its settings
        sync.ensure_index(client, uid, settings_for(session))
    elif push_settings:
        sync.push_settings(client, uid, settings_for(session))
    published: set[int] = set()

    def batches() -> Iterator[list[dict]]:
        for batch in published_batches(session, tool_ids):
            published.update(doc["id"] for doc in batch)
            yield batch

    sync.upsert_batches(client, uid, batches())
    sync.delete(client, uid, sorted(tool_ids - published))


def record_state(session: Session, **values) -> None:
    state = session.get(IndexState, "tools")
    if state is None:
        state = IndexState(name="tools")
        session.add(state)
    for key, value in values.items():
        setattr(state, key, value)


def bump_generation(session: Session) -> int:
    """Tell every process's search cache that the index changed (delivered on commit)."""
    record_state(session)
    session.flush()
    value = session.scalar(update(IndexState).where(IndexState.name == "tools")
                           .values(generation=IndexState.generation + 1)
                           .returning(IndexState.generation))
    session.execute(select(func.pg_notify(CHANNEL, str(value))))
    return value


def generation_query():
    return select(IndexState.generation).where(IndexState.name == "tools").scalar_subquery()


def generation_listener() -> GenerationListener | None:
    """This process's listener, started on first use (after gunicorn forks its workers)."""
    if not current_app.config["SEARCH_GENERATION_LISTENER"]:
        return None
    listener = current_app.extensions.get("romin_generation")
    if listener is None or not listener.alive:
        listener = GenerationListener(current_app.config["SQLALCHEMY_DATABASE_URI"])
        current_app.extensions["romin_generation"] = listener
    return listener


def current_generation(session: Session) -> int:
    """The index generation: from memory when the listener is connected, else from the
    database, once per request (a request is one transaction anyway)."""
    if has_request_context() and "romin_generation" in g:
        return g.romin_generation
    listener = generation_listener()
    value = listener.value if listener is not None else None
    if value is None:
        value = session.scalar(select(generation_query())) or 0
    if has_request_context():
        g.romin_generation = value
    return value


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

    def batches() -> Iterator[list[dict]]:
        for start in range(0, len(wanted), sync.BATCH_SIZE):
            rows = session.execute(select(Tool.id, Tool.scores).where(
                Tool.status == "published", among(Tool.id, wanted[start:start + sync.BATCH_SIZE])))
            batch = [score_update(r.id, base_hashes[r.id], r.scores or {}, factor_slugs)
                     for r in rows if base_hashes.get(r.id)]
            sent.update(doc["id"] for doc in batch)
            yield batch

    sync.upsert_batches(client, uid, batches(), partial=True)
    # A partial document upserts: one unpublished meanwhile (its deletion applied before our
    # update) would come back as a bare document of scores. Read the statuses again.
    still = set(session.scalars(select(Tool.id).where(Tool.status == "published",
                                                      among(Tool.id, sorted(sent)))))
    sync.delete(client, uid, sorted(sent - still))
    rest = tool_ids - sent
    if rest:
        sync_tools(session, rest)


def push_outbox(session: Session, outbox_ids: list[int] | None = None,
                push=None) -> tuple[Drained, int | None]:
    """Push pending outbox rows (these ones, or the due ones) with `push` (sync_tools unless
    told) and record the outcome in `index_state`; returns it and the new index generation
    (None when nothing was pushed).
    Flushes, never commits: the caller's transaction holds the rows' locks until it commits."""
    result = drain(session, push or sync_tools, outbox_ids)
    if result.error:
        log.error("index push failed: %d outbox row(s) queued again, %d parked",
                  result.failed, result.parked)
        record_state(session, last_error=result.error, last_error_at=utcnow())
    elif result.done:
        record_state(session, last_sync_at=utcnow())
    # even a half-applied batch makes cached answers stale
    generation = bump_generation(session) if result.done or result.error else None
    return result, generation


def sync_after_commit(outbox_ids: list[int], push=None) -> None:
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


def _changed_tool_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Tool):
            ids.add(obj.id)
        elif isinstance(obj, (Feedback, Support)):
            ids.add(obj.tool_id)
    return ids


def _factor_changes(session: Session) -> tuple[bool, set[int], bool]:
    """What this flush's risk-factor changes mean for the index: (push the settings?, factors
    whose tools' documents changed, every document changed?).

    Synonyms and slugs live in the index settings; labels (and their order) in the documents of
    the tools carrying the factor; a factor added, removed or renamed changes every document
    (each carries a score field per factor).
    """
    settings, relabelled, everything = False, set(), False
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, RiskFactor):
            settings = everything = True
    for obj in session.dirty:
        if not isinstance(obj, RiskFactor):
            continue
        changed = {name for name in ("slug", "label", "synonyms", "position")
                   if inspect(obj).attrs[name].history.has_changes()}
        # a label is not in the settings, but the settings row also moves the generation, which
        # the search page's factor resolver is cached on (it reads labels and synonyms)
        if changed & {"slug", "label", "synonyms"}:
            settings = True
        if "slug" in changed:
            everything = True
        if changed & {"label", "position"}:
            relabelled.add(obj.id)
    return settings, relabelled, everything


def _mark_factor_changes(session: Session) -> None:
    """Before the commit: the tools carrying a relabelled factor join the pending tools."""
    relabelled = session.info.pop(FACTORS_KEY, None)
    everything = session.info.pop(ALL_TOOLS_KEY, False)
    if everything or relabelled:
        # whole documents change (labels, score fields), never a scores-only push
        session.info[CONTENT_KEY] = True
    if everything:
        mark(session, session.scalars(select(Tool.id)))
    elif relabelled:
        mark(session, session.scalars(select(tool_risk_factors.c.tool_id).where(
            tool_risk_factors.c.risk_factor_id.in_(relabelled))))


def install_session_hooks(session_class) -> None:
    """Attach the change-tracking hooks to the app's session class (once per process)."""
    if getattr(session_class, "_romin_hooks", False):
        return
    session_class._romin_hooks = True
    session_factory = session_class

    @event.listens_for(session_factory, "after_flush")
    def _after_flush(session, _flush_context):
        changed = _changed_tool_ids(session)
        mark(session, changed)
        if changed:  # documents' content changed too: no scores-only shortcut for this commit
            session.info[CONTENT_KEY] = True
        settings, relabelled, everything = _factor_changes(session)
        if settings:
            session.info[SETTINGS_KEY] = True
        if relabelled:
            session.info.setdefault(FACTORS_KEY, set()).update(relabelled)
        if everything:
            session.info[ALL_TOOLS_KEY] = True

    @event.listens_for(session_factory, "before_commit")
    def _before_commit(session):
        """The outbox rows join the change's own transaction: flush first, so that they name
        everything this transaction changed (after_flush collects the ids)."""
        session.flush()
        _mark_factor_changes(session)
        pending = session.info.pop(PENDING_KEY, None)
        if pending:
            # One set-based INSERT (a weights change names every tool). clock_timestamp(), not
            # now(): the row's time is the commit's, which a concurrent rebuild compares with.
            ids = session.scalars(text(
                "INSERT INTO index_outbox (tool_id, created_at, attempts, next_attempt_at,"
                " last_error, parked) SELECT tool_id, clock_timestamp(), 0, clock_timestamp(),"
                " '', false FROM unnest(CAST(:ids AS integer[])) AS tool_id RETURNING id"),
                {"ids": sorted(pending)}).all()
            session.info.setdefault(OUTBOX_KEY, []).extend(ids)
        if session.info.pop(SETTINGS_KEY, False):
            # A risk factor's synonyms changed: the index settings travel the same way, and the
            # generation moves with the commit, so no process keeps resolving typed words with
            # the old synonyms (app.services.search caches them per generation).
            ids = session.scalars(text(
                "INSERT INTO index_outbox (kind, tool_id, created_at, attempts, next_attempt_at,"
                " last_error, parked) VALUES ('settings', NULL, clock_timestamp(), 0,"
                " clock_timestamp(), '', false) RETURNING id")).all()
            session.info.setdefault(OUTBOX_KEY, []).extend(ids)
            bump_generation(session)

    @event.listens_for(session_factory, "after_commit")
    def _after_commit(session):
        ids = session.info.pop(OUTBOX_KEY, None)
        content_changed = session.info.pop(CONTENT_KEY, False)
        scores_only = session.info.pop(SCORES_ONLY_KEY, False) and not content_changed
        if ids and session.info.get("romin_sync", True):
            sync_after_commit(ids, sync_scores if scores_only else None)

    @event.listens_for(session_factory, "after_rollback")
    def _after_rollback(session):
        # session.info outlives a transaction: nothing of a rolled-back one may linger
        for key in (PENDING_KEY, OUTBOX_KEY, SETTINGS_KEY, FACTORS_KEY, ALL_TOOLS_KEY,
                    SCORES_ONLY_KEY, CONTENT_KEY):
            session.info.pop(key, None)
