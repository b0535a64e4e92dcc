"""The API's token check as production runs it: one statement, in autocommit, that reads the
token and counts its hit; the search opens no transaction of the request.

The other tests bind the app's session to their outer transaction, where the check runs in the
session (`Database.execute_autocommit`); this one builds an app on the engine, as gunicorn
does, with rows committed for real (and deleted at the end).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, event, func, select, update

from app.accounts.auth import create_token
from app.accounts.service import create_user
from app.catalogue.risk_factors import ensure_risk_factors
from app.config import Config
from app.db import db
from app.factory import create_app
from app.index_sync.documents import settings_for
from app.models import RateLimitCounter, RiskFactor, User
from indexer.sync import ensure_index


@pytest.fixture
def engine_app(engine, database_url, service_env, meili_client):
    uid = f"test_{uuid.uuid4().hex[:12]}"
    app = create_app(
        Config(
            SQLALCHEMY_DATABASE_URI=database_url,
            MEILI_URL=service_env["MEILI_URL"],
            MEILI_MASTER_KEY=service_env.get("MEILI_MASTER_KEY", ""),
            MEILI_INDEX=uid,
            RATELIMIT_KEY_PREFIX=uid,
            RATELIMIT_API_PER_TOKEN="3 per minute",
            SECRET_KEY="test-secret-key-for-the-test-suite-only",
            TESTING=True,
            SEARCH_GENERATION_LISTENER=False,
            USAGE_BUFFER_SECONDS=0,
        )
    )
    email = f"jeton-{uid}@justice.test"
    with app.app_context():
        had_factors = db.session.scalar(select(func.count()).select_from(RiskFactor)) > 0
        ensure_risk_factors(db.session)  # the index settings name each factor's fields
        ensure_index(meili_client, uid, settings_for(db.session))
        raw = create_token(create_user(db.session, email, "agent"))
        db.session.commit()
    yield app, {"Authorization": f"Bearer {raw}"}
    with engine.begin() as connection:
        connection.execute(delete(User).where(User.email == email))  # its tokens cascade
        connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key.like(f"{uid}/%")))
        if not had_factors:
            connection.execute(delete(RiskFactor))
    meili_client.request("DELETE", f"/indexes/{uid}")
    with app.app_context():
        db.engine.dispose()


def test_an_api_search_reads_and_counts_its_token_in_one_autocommit_statement(engine_app, engine):
    app, token = engine_app
    seen: list[tuple[str, bool]] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        if "usage_events" not in statement:  # the statistics' own writer, after the answer
            seen.append((statement, connection.connection.dbapi_connection.autocommit))

    client = app.test_client()
    assert client.get("/api/v1/search?risk_factor=addictions", headers=token).status_code == 200
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    seen.clear()
    answer = client.get("/api/v1/search?risk_factor=emploi", headers=token)  # not cached
    assert answer.status_code == 200 and answer.get_json()["total"] == 0
    assert len(seen) == 1, [statement[:60] for statement, _ in seen]
    statement, autocommit = seen[0]
    assert "api_tokens" in statement and "rate_limit_counters" in statement
    assert autocommit  # no BEGIN, no COMMIT: one round trip

    # counted in the same statement: 2 hits so far, the third passes, the fourth is refused
    with engine.connect() as connection:
        counts = connection.scalars(
            select(RateLimitCounter.count).where(
                RateLimitCounter.key.like(f"{app.config['RATELIMIT_KEY_PREFIX']}/api-jeton/%")
            )
        ).all()
    assert counts == [2]
    assert client.get("/api/v1/search?risk_factor=famille", headers=token).status_code == 200
    refused = client.get("/api/v1/search?risk_factor=loisirs", headers=token)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60


def test_a_deactivated_account_loses_its_token_at_the_next_request(engine_app, engine):
    app, token = engine_app
    client = app.test_client()
    assert client.get("/api/v1/risk-factors", headers=token).status_code == 200
    with engine.begin() as connection:
        connection.execute(
            update(User)
            .where(User.email.like(f"jeton-{app.config['MEILI_INDEX']}@%"))
            .values(is_active=False)
        )
    assert client.get("/api/v1/risk-factors", headers=token).status_code == 401
