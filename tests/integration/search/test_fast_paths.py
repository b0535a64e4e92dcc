"""The search API's fast path: the index generation kept in memory by PostgreSQL NOTIFY.

(Verified API tokens are no longer cached: tests/integration/accounts/test_sessions_end.py.)"""

from __future__ import annotations

import psycopg

from app.index_sync.listener import CHANNEL, GenerationListener, wait_for


def test_the_listener_follows_notifications_from_postgresql(database_url, engine):
    """`engine`: the database migrated (the listener reads the generation row first)."""
    listener = GenerationListener(database_url)
    try:
        assert wait_for(listener, lambda v: v is not None), "listener never connected"
        with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f"NOTIFY {CHANNEL}, '424242'")
        assert wait_for(listener, lambda v: v == 424242)
    finally:
        listener.stop()


def test_an_unreachable_database_means_no_generation_from_memory():
    listener = GenerationListener("postgresql://romin@127.0.0.1:9/romin")
    try:
        assert not wait_for(listener, lambda v: v is not None, timeout=1.0)
    finally:
        listener.stop()


def test_bump_increments_the_generation(ctx):
    from app.db import db
    from app.index_sync.generation import bump_generation, current_generation

    before = current_generation(db.session)
    bump_generation(db.session)
    assert current_generation(db.session) == before + 1
