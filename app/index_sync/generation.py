"""The index generation: a counter in `index_state` that every change pushed to the index moves.

Search caches are keyed on it; each process learns of a new value through PostgreSQL's
LISTEN/NOTIFY (`listener.GenerationListener`), so a cached answer never outlives a change."""

from __future__ import annotations

from flask import current_app, g, has_request_context
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.index_sync.listener import CHANNEL, GenerationListener
from app.models import IndexState
from app.models.index_state import generation_query


def record_state(session: Session, **values: object) -> None:
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
    value = session.execute(
        update(IndexState)
        .where(IndexState.name == "tools")
        .values(generation=IndexState.generation + 1)
        .returning(IndexState.generation)
    ).scalar_one()  # record_state made the row
    session.execute(select(func.pg_notify(CHANNEL, str(value))))
    return value


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
