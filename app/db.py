"""Database access: one engine per app, one session and one transaction per request.

Services flush and never commit; the request boundary commits once (or rolls back on a 500).
Tests bind the session to a connection inside an outer transaction, so each test is isolated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Flask, Response, g, has_app_context
from sqlalchemy import ARRAY, ColumnElement, Executable, Row, any_, cast, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker


def among(
    column: QueryableAttribute[Any] | ColumnElement[Any], ids: Iterable[int]
) -> ColumnElement[bool]:
    """`column = ANY(array)`: one parameter however many ids (an IN list of 10,000 parameters
    costs more to render than to run)."""
    return column == any_(cast(list(ids), ARRAY(column.type)))


class RominSession(Session):
    """The app's session class: index hooks are attached to it (app.index_sync.hooks)."""


class Database:
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[RominSession] | None = None

    def init_app(self, app: Flask) -> None:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        # No pre-ping: it costs a round trip per request (bench/). After a PostgreSQL restart
        # the first request that meets a dead connection fails with the 503 page and the pool is
        # invalidated, so service resumes by itself.
        self.engine = create_engine(
            url, pool_pre_ping=False, pool_recycle=300, pool_size=5, max_overflow=5
        )
        self.session_factory = sessionmaker(
            bind=self.engine, class_=RominSession, expire_on_commit=False
        )
        app.extensions["romin_db"] = self
        app.teardown_appcontext(self._close)

    @property
    def session(self) -> Session:
        """The session of the current app context (a request or a CLI command)."""
        if "db_session" not in g:
            if self.session_factory is None:
                raise RuntimeError("db.init_app(app) was not called")
            g.db_session = self.session_factory()
        return g.db_session

    def _close(self, exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    def execute_autocommit(
        self, statement: Executable, params: dict[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """One statement in a transaction of its own, off the request's session: for a read
        (and a counter) that must neither open the request's transaction (BEGIN and COMMIT,
        two round trips more) nor be undone by its rollback. Tests bind the session to one
        connection inside their outer transaction: there it runs in the session, which sees
        the test's rows."""
        bind = self.session_factory.kw.get("bind") if self.session_factory else None
        if isinstance(bind, Engine):
            with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                return connection.execute(statement, params).all()
        return self.session.execute(statement, params).all()

    def commit(self) -> None:
        if has_app_context() and "db_session" in g:
            g.db_session.commit()

    def commit_request(self, response: Response) -> Response:
        """The request's one commit point (the factory's after_request): commit unless the
        response is an error, then run what was waiting for the commit."""
        callbacks = g.pop("romin_after_commit", [])
        if response.status_code >= 400:
            self.rollback()
            return response
        self.commit()
        for callback in callbacks:
            callback(response)
        return response

    def rollback(self) -> None:
        if has_app_context() and "db_session" in g:
            g.db_session.rollback()


db = Database()


def after_commit(callback: Callable[[Response], None]) -> None:
    """Run `callback(response)` once this request has committed (never after a rollback): a
    notice that says whether the change reached the index, a job that must see the rows."""
    g.setdefault("romin_after_commit", []).append(callback)


def like_pattern(text: str) -> str:
    """`%text%` for (I)LIKE, the user's `%`, `_` and `\\` taken literally: a search for `50%`
    finds "50%", not everything that starts with 50. Use with `escape="\\"`."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
