"""Flask-Limiter's counters in PostgreSQL: a storage for the `limits` library, scheme
`romin+postgresql://`, so that every gunicorn worker (and every web container) counts together.

Why PostgreSQL: ROMIN runs on PostgreSQL and Meilisearch only. The storages `limits` ships for
several processes (Redis, memcached, MongoDB) would each add a service to devstack,
docker-compose and CI to keep a few counters, and the in-memory one counts per worker (N
workers would let N times each limit through). A counter here is one upsert on an UNLOGGED
table (app.models.rate_limits), on a connection of its own in autocommit: it must outlive the
request's rollback (a refused sign-in answers 400, which rolls the request back), and must not
hold a row lock until the request ends, which would queue a token's concurrent requests.

Fixed windows only (Flask-Limiter's default strategy): `incr` opens a window, or adds to it.
Windows that ended are deleted now and then by the increments themselves.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from limits.storage import Storage
from sqlalchemy import case, create_engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.models import RateLimitCounter

SCHEME = "romin+postgresql"
PURGE_EVERY = 1000  # increments between two deletions of ended windows (per worker)

_table = RateLimitCounter
T = TypeVar("T")
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(database_url: str) -> Engine:
    """One small pool per database and process, whatever the number of apps (tests build
    many): autocommit, each statement is its own transaction."""
    with _engines_lock:
        if database_url not in _engines:
            _engines[database_url] = create_engine(
                database_url,
                isolation_level="AUTOCOMMIT",
                pool_size=4,  # gunicorn's threads per worker (app/gunicorn_conf.py)
                max_overflow=4,
                pool_recycle=300,
            )
        return _engines[database_url]


class PostgresStorage(Storage):
    """`limits` storage on the app's own database (storage option `database_url`)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        database_url: str = "",
        **options: float | str | bool,
    ) -> None:
        if not database_url:
            raise ValueError(f"{SCHEME}:// needs the storage option database_url")
        self.engine = _engine(database_url)
        self._increments = itertools.count(1)
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _run(self, work: Callable[[Connection], T]) -> T:
        """`work` on a pooled connection; once more on a fresh one when the pooled one was dead
        (PostgreSQL restarted: SQLAlchemy then invalidates the whole pool), as the app's own
        engine recovers after its first failure."""
        try:
            with self.engine.connect() as connection:
                return work(connection)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self.engine.connect() as connection:
            return work(connection)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        new = insert(_table).values(
            key=key, count=amount, expires_at=func.now() + timedelta(seconds=expiry)
        )
        ended = _table.expires_at <= func.now()
        statement = new.on_conflict_do_update(
            index_elements=[_table.key],
            set_={
                "count": case((ended, new.excluded.count), else_=_table.count + amount),
                "expires_at": case((ended, new.excluded.expires_at), else_=_table.expires_at),
            },
        ).returning(_table.count)

        def count(connection: Connection) -> int:
            value = connection.execute(statement).scalar_one()
            if next(self._increments) % PURGE_EVERY == 0:
                connection.execute(delete(_table).where(_table.expires_at < func.now()))
            return int(value)

        return self._run(count)

    def get(self, key: str) -> int:
        statement = select(_table.count).where(_table.key == key, _table.expires_at > func.now())
        return self._run(lambda connection: int(connection.execute(statement).scalar() or 0))

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (a Unix time); now when it has none."""
        statement = select(func.extract("epoch", _table.expires_at)).where(
            _table.key == key, _table.expires_at > func.now()
        )
        ends = self._run(lambda connection: connection.execute(statement).scalar())
        return float(ends) if ends is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        return self._run(lambda connection: connection.execute(delete(_table)).rowcount)

    def clear(self, key: str) -> None:
        self._run(lambda connection: connection.execute(delete(_table).where(_table.key == key)))
