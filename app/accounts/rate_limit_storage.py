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
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.models import RateLimitCounter

SCHEME = "romin+postgresql"
PURGE_EVERY = 1000  # increments between two deletions of ended windows (per worker)

T = TypeVar("T")

# Written once as SQL: built with the expression language on each call, the upsert cost
# several times its round trip in Python (measured: ~4 ms against ~0.7 ms on a loaded machine).
_TABLE = RateLimitCounter.__tablename__
# A fixed window: an ended one starts again, a running one adds up. Shared with the API
# token check (app/accounts/bearer.py), which counts in the statement that reads the token.
UPSERT_ON_CONFLICT = (
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN c.expires_at <= now() THEN excluded.count "
    "ELSE c.count + excluded.count END, "
    "expires_at = CASE WHEN c.expires_at <= now() THEN excluded.expires_at "
    "ELSE c.expires_at END"
)
_INCR = text(
    f"INSERT INTO {_TABLE} AS c (key, count, expires_at) "
    f"VALUES (:key, :amount, now() + :expiry) {UPSERT_ON_CONFLICT} "
    "RETURNING count"
)
_GET = text(f"SELECT count FROM {_TABLE} WHERE key = :key AND expires_at > now()")
_EXPIRY = text(
    f"SELECT extract(epoch FROM expires_at) FROM {_TABLE} WHERE key = :key AND expires_at > now()"
)
_PURGE = text(f"DELETE FROM {_TABLE} WHERE expires_at < now()")
_CLEAR = text(f"DELETE FROM {_TABLE} WHERE key = :key")
_RESET = text(f"DELETE FROM {_TABLE}")
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
        params = {"key": key, "amount": amount, "expiry": timedelta(seconds=expiry)}

        def count(connection: Connection) -> int:
            value = connection.execute(_INCR, params).scalar_one()
            if next(self._increments) % PURGE_EVERY == 0:
                connection.execute(_PURGE)
            return int(value)

        return self._run(count)

    def get(self, key: str) -> int:
        return self._run(
            lambda connection: int(connection.execute(_GET, {"key": key}).scalar() or 0)
        )

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (a Unix time); now when it has none."""
        ends = self._run(lambda connection: connection.execute(_EXPIRY, {"key": key}).scalar())
        return float(ends) if ends is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        return self._run(lambda connection: connection.execute(_RESET).rowcount)

    def clear(self, key: str) -> None:
        self._run(lambda connection: connection.execute(_CLEAR, {"key": key}))
