"""Shared fixtures: real PostgreSQL and real Meilisearch, each test isolated.

Isolation: every test runs inside an outer transaction that is rolled back (the app's
sessions join it with savepoints), and gets its own Meilisearch index, deleted afterwards.
The test database (TEST_DATABASE_URL, else `romin_test` beside DATABASE_URL) is dropped and
migrated afresh at the start of each session. Services: DATABASE_URL / MEILI_URL when set, else the private ones of app.devstack, started
here if needed. A missing service is an error, never a skip.
"""

from __future__ import annotations

import os
import re
import uuid

import psycopg
import pytest
from alembic import command
from flask import has_app_context
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.config import Config
from app.db import RominSession, db
from app.db_commands import alembic_config
from app.factory import create_app
from indexer.client import MeiliClient


@pytest.fixture(scope="session")
def service_env():
    from app.devstack import ensure_services

    env = ensure_services()
    return env


def _test_database_url(url: str) -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    return re.sub(r"/[^/?]+(\?|$)", r"/romin_test\1", url, count=1)


def _recreate_database(url: str) -> None:
    """A fresh database per test session, so the schema is always exactly the migrations'."""
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    name = re.search(r"/([^/?]+)(?:\?|$)", plain).group(1)
    admin = re.sub(r"/[^/?]+(\?|$)", r"/postgres\1", plain, count=1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def database_url(service_env):
    url = _test_database_url(service_env["DATABASE_URL"])
    _recreate_database(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url, service_env):
    """The test database, migrated once with the real Alembic migrations."""
    app = create_app(_config(database_url, service_env, "unused"))
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    engine = create_engine(database_url, future=True)
    yield engine
    engine.dispose()


def _config(database_url, service_env, index_uid, **overrides) -> Config:
    values = dict(
        SQLALCHEMY_DATABASE_URI=database_url,
        MEILI_URL=service_env["MEILI_URL"],
        MEILI_MASTER_KEY=service_env.get("MEILI_MASTER_KEY", ""),
        MEILI_INDEX=index_uid,
        RATELIMIT_KEY_PREFIX=index_uid,  # the throttling counters of this app alone
        SECRET_KEY="test-secret-key-for-the-test-suite-only",
        TESTING=True,
        WTF_CSRF_ENABLED=False,
        SEARCH_GENERATION_LISTENER=False,
        USAGE_BUFFER_SECONDS=0,
        INDEX_JOB_WAIT=True,
        LOCAL_LOGIN_ENABLED=True,
    )
    values.update(overrides)
    return Config(**values)


@pytest.fixture
def meili_client(service_env):
    return MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))


@pytest.fixture
def app_factory(engine, database_url, service_env, meili_client, tmp_path):
    """Builds an app bound to this test's transaction and index; cleans both up."""
    connection = engine.connect()
    outer = connection.begin()
    created = []

    def factory(**overrides):
        uid = f"test_{uuid.uuid4().hex[:12]}"
        config = _config(
            database_url, service_env, uid, SUPPORTS_DIR=str(tmp_path / "supports"), **overrides
        )
        app = create_app(config)
        db.session_factory = sessionmaker(
            bind=connection,
            class_=RominSession,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        created.append(app)
        with app.app_context():
            from app.catalogue.risk_factors import ensure_risk_factors
            from app.index_sync.documents import settings_for
            from indexer.sync import ensure_index

            ensure_risk_factors(db.session)
            db.session.commit()
            ensure_index(meili_client, uid, settings_for(db.session))
        return app

    yield factory
    for app in created:
        try:
            meili_client.request("DELETE", f"/indexes/{app.config['MEILI_INDEX']}")
        except Exception:
            pass
        db.engine.dispose()
    outer.rollback()
    connection.close()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _in_context(app, work):
    """Run `work` in the current app context, or in a fresh one that ends with it.

    Requests made by the test client reuse an app context that is already pushed (and its
    `g`), so helpers used around requests must not leave one open.
    """
    if has_app_context():
        return work()
    with app.app_context():
        return work()


@pytest.fixture
def make_tool(app):
    """Creates a tool through the catalogue service and commits (so it reaches the index)."""
    from app.catalogue.service import save_tool

    counter = iter(range(1, 10_000))

    def make(**fields):
        n = next(counter)
        data = {
            "title": f"Outil de test {n}",
            "summary": f"Résumé de l'outil {n}.",
            "risk_factors": ["addictions"],
            "status": "published",
            "kind": "outil",
            "stages": ["contemplation"],
            "modality": "individuelle",
            "sessions": "1",
            "setting": ["ouvert"],
            "evidence_level": 0,
        }
        data.update(fields)

        def work():
            tool = save_tool(db.session, data)
            db.session.commit()
            return tool

        return _in_context(app, work)

    return make


@pytest.fixture
def make_user(app):
    from app.accounts.service import create_user

    counter = iter(range(1, 10_000))

    def make(role="agent", password=None):
        def work():
            user = create_user(
                db.session,
                f"{role}{next(counter)}-{uuid.uuid4().hex[:6]}@justice.test",
                role,
                password,
            )
            db.session.commit()
            return user

        return _in_context(app, work)

    return make


@pytest.fixture
def token_for(app):
    from app.accounts.auth import create_token

    def make(user):
        def work():
            raw = create_token(db.session.merge(user))
            db.session.commit()
            return {"Authorization": f"Bearer {raw}"}

        return _in_context(app, work)

    return make
