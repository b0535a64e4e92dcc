"""Session hooks: which tools a transaction changed, written to the outbox in that transaction.

Session hooks record the ids of tools whose search document may have changed and, just before
the commit, write one outbox row per tool in the same transaction (transactional outbox). Once
the transaction has committed (never before, never for a rollback) the request pushes those
rows itself; what fails stays queued for `romin index worker`, which retries with backoff and
parks what keeps failing. Documents are always rebuilt from the database's current state, so
duplicate or out-of-order rows converge to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session, UOWTransaction

from app.index_sync.generation import bump_generation
from app.index_sync.push import sync_after_commit, sync_scores
from app.models import Feedback, RiskFactor, Support, Tool, tool_risk_factors

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


def mark(session: Session, tool_ids: Iterable[int | None]) -> None:
    session.info.setdefault(PENDING_KEY, set()).update(i for i in tool_ids if i is not None)


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
        changed = {
            name
            for name in ("slug", "label", "synonyms", "position")
            if inspect(obj).attrs[name].history.has_changes()
        }
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
        mark(
            session,
            session.scalars(
                select(tool_risk_factors.c.tool_id).where(
                    tool_risk_factors.c.risk_factor_id.in_(relabelled)
                )
            ),
        )


def install_session_hooks(session_class: type[Session]) -> None:
    """Attach the change-tracking hooks to the app's session class (once per process)."""
    if getattr(session_class, "_romin_hooks", False):
        return
    session_class._romin_hooks = True  # type: ignore[attr-defined]  # a mark on the class itself
    session_factory = session_class

    @event.listens_for(session_factory, "after_flush")
    def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
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
    def _before_commit(session: Session) -> None:
        """The outbox rows join the change's own transaction: flush first, so that they name
        everything this transaction changed (after_flush collects the ids)."""
        session.flush()
        _mark_factor_changes(session)
        pending = session.info.pop(PENDING_KEY, None)
        if pending:
            # One set-based INSERT (a weights change names every tool). clock_timestamp(), not
            # now(): the row's time is the commit's, which a concurrent rebuild compares with.
            ids = session.scalars(
                text(
                    "INSERT INTO index_outbox (tool_id, created_at, attempts, next_attempt_at,"
                    " last_error, parked) SELECT tool_id, clock_timestamp(), 0, clock_timestamp(),"
                    " '', false FROM unnest(CAST(:ids AS integer[])) AS tool_id RETURNING id"
                ),
                {"ids": sorted(pending)},
            ).all()
            session.info.setdefault(OUTBOX_KEY, []).extend(ids)
        if session.info.pop(SETTINGS_KEY, False):
            # A risk factor's synonyms changed: the index settings travel the same way, and the
            # generation moves with the commit, so no process keeps resolving typed words with
            # the old synonyms (app.search.service caches them per generation).
            ids = session.scalars(
                text(
                    "INSERT INTO index_outbox (kind, tool_id, created_at, attempts, next_attempt_at,"
                    " last_error, parked) VALUES ('settings', NULL, clock_timestamp(), 0,"
                    " clock_timestamp(), '', false) RETURNING id"
                )
            ).all()
            session.info.setdefault(OUTBOX_KEY, []).extend(ids)
            bump_generation(session)

    @event.listens_for(session_factory, "after_commit")
    def _after_commit(session: Session) -> None:
        ids = session.info.pop(OUTBOX_KEY, None)
        content_changed = session.info.pop(CONTENT_KEY, False)
        scores_only = session.info.pop(SCORES_ONLY_KEY, False) and not content_changed
        if ids and session.info.get("romin_sync", True):
            sync_after_commit(ids, sync_scores if scores_only else None)

    @event.listens_for(session_factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        # session.info outlives a transaction: nothing of a rolled-back one may linger
        for key in (
            PENDING_KEY,
            OUTBOX_KEY,
            SETTINGS_KEY,
            FACTORS_KEY,
            ALL_TOOLS_KEY,
            SCORES_ONLY_KEY,
            CONTENT_KEY,
        ):
            session.info.pop(key, None)
