"""The index generation in memory, kept current by PostgreSQL NOTIFY.

Every change pushed to the index bumps `index_state.generation` and, in the same transaction,
sends `NOTIFY romin_index_generation`. Each process listens on one connection of its own, so a
cached search answer can be served without any database round trip, and is dropped as soon as
the change is committed (a few milliseconds later). While the listener is not connected, callers
read the generation from the database instead: never a stale answer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import psycopg

CHANNEL = "romin_index_generation"
log = logging.getLogger(__name__)


class GenerationListener:
    def __init__(self, dsn: str):
        self.dsn = dsn.replace("postgresql+psycopg://", "postgresql://")
        self._value: int | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="romin-generation", daemon=True)
        self._thread.start()

    @property
    def value(self) -> int | None:
        """The current generation, or None when the listener is not connected."""
        if os.getpid() != self._pid:  # forked: this thread does not exist in the child
            return None
        with self._lock:
            return self._value

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and os.getpid() == self._pid

    def _set(self, value: int | None) -> None:
        with self._lock:
            self._value = value

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # read after LISTEN: no change can slip between the read and the first notice
                    row = conn.execute(
                        "SELECT generation FROM index_state WHERE name = 'tools'"
                    ).fetchone()
                    self._set(row[0] if row else 0)
                    delay = 0.5
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            self._set(int(notice.payload))
                        conn.execute("SELECT 1")  # notices stop silently if the server went away
            except Exception as exc:  # any failure: fall back to the database, retry
                self._set(None)
                log.warning("index generation listener disconnected: %s", type(exc).__name__)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def wait_for(
    listener: GenerationListener, predicate: Callable[[int | None], bool], timeout: float = 5.0
) -> bool:
    """Wait until `predicate(listener.value)` holds, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(listener.value):
            return True
        time.sleep(0.02)
    return False
