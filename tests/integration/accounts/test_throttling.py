"""Throttling: each limit answers 429 once crossed (a French page, or flask-smorest's JSON error
under /api), with Retry-After; counters live in PostgreSQL, shared by every worker.

Each test's app counts apart (its own key prefix, tests/conftest.py); the limits are lowered
here so that a few requests cross them.
"""

from __future__ import annotations

import html
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from app.accounts import rate_limit_storage
from app.accounts.rate_limit_storage import PostgresStorage
from app.models import RateLimitCounter

PASSWORD = "un mot de passe solide"


def _browser(app, address="10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client, email, password="pas le bon mot de passe", **headers):
    return client.post("/connexion", data={"email": email, "password": password}, headers=headers)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _assert_french_429_page(response):
    assert response.status_code == 429
    page = _text(response)
    assert "Trop de demandes" in page and "Patientez quelques minutes" in page
    assert "Too Many Requests" not in page
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_password_sign_in_is_limited_per_account(app_factory, make_user):
    app = app_factory(
        RATELIMIT_SIGN_IN_PER_ACCOUNT="3 per minute", RATELIMIT_SIGN_IN_PER_ADDRESS="100 per minute"
    )
    user = make_user("agent", password=PASSWORD)
    for n in range(3):  # from three addresses: the account's counter is what stops the 4th
        assert _attempt(_browser(app, f"10.0.1.{n}"), user.email).status_code == 400
    # the right password, from yet another address, counts too: no guess gets checked
    refused = _attempt(_browser(app, "10.0.1.9"), f"  {user.email.upper()} ", PASSWORD)
    _assert_french_429_page(refused)
    # another account from the same addresses is not held back
    other = make_user("agent", password=PASSWORD)
    assert _attempt(_browser(app, "10.0.1.0"), other.email, PASSWORD).status_code == 303


def test_password_sign_in_is_limited_per_address(app_factory):
    app = app_factory(
        RATELIMIT_SIGN_IN_PER_ACCOUNT="100 per minute", RATELIMIT_SIGN_IN_PER_ADDRESS="3 per minute"
    )
    client = _browser(app, "10.0.2.1")
    for n in range(3):  # a different account each time: the address's counter stops the 4th
        assert _attempt(client, f"personne{n}@justice.test").status_code == 400
    _assert_french_429_page(_attempt(client, "personne9@justice.test"))
    assert _attempt(_browser(app, "10.0.2.2"), "personne9@justice.test").status_code == 400
    # the sign-in page itself is not counted: only the form's posts are
    assert client.get("/connexion").status_code == 200


def test_a_made_up_x_forwarded_for_does_not_escape_the_address_limit(app_factory):
    app = app_factory(RATELIMIT_SIGN_IN_PER_ADDRESS="3 per minute")
    client = _browser(app, "10.0.3.1")
    for n in range(3):
        response = _attempt(client, f"p{n}@justice.test", **{"X-Forwarded-For": f"192.0.2.{n}"})
        assert response.status_code == 400
    spoofed = _attempt(client, "p9@justice.test", **{"X-Forwarded-For": "192.0.2.99"})
    _assert_french_429_page(spoofed)


def test_behind_trusted_proxies_the_address_the_outermost_saw_counts(app_factory):
    """TRUSTED_PROXIES=1: the address our proxy appended (the last one) is the client's; what
    the client wrote before it is ignored."""
    app = app_factory(RATELIMIT_SIGN_IN_PER_ADDRESS="2 per minute", TRUSTED_PROXIES=1)
    proxy = _browser(app, "10.0.4.1")  # every request comes through the same proxy

    def through_proxy(n, client_address, claimed="198.51.100.7"):
        forwarded = f"{claimed}, {client_address}"
        return _attempt(proxy, f"q{n}@justice.test", **{"X-Forwarded-For": forwarded})

    assert through_proxy(1, "203.0.113.1").status_code == 400
    assert through_proxy(2, "203.0.113.1", claimed="198.51.100.8").status_code == 400
    _assert_french_429_page(through_proxy(3, "203.0.113.1", claimed="198.51.100.9"))
    # another client behind the same proxy has its own counter
    assert through_proxy(4, "203.0.113.2").status_code == 400


def test_a_long_forwarded_entry_is_cut_to_an_address(app_factory):
    """Too high a TRUSTED_PROXIES lets the client write the entry read: it is cut, so it never
    makes a key the counters' table refuses (a 500)."""
    app = app_factory(RATELIMIT_SIGN_IN_PER_ADDRESS="1 per minute", TRUSTED_PROXIES=2)
    long_entry = "a" * 1000
    client = _browser(app, "10.0.4.9")
    headers = {"X-Forwarded-For": f"{long_entry}, 10.0.4.8"}
    assert _attempt(client, "t1@justice.test", **headers).status_code == 400
    _assert_french_429_page(_attempt(client, "t2@justice.test", **headers))


def test_proconnect_callbacks_are_limited_per_address(app_factory):
    """Over the limit, the callback answers 429 before anything reaches the provider (here an
    unreachable one: every counted callback answers 502)."""
    app = app_factory(
        PROCONNECT_ISSUER="http://127.0.0.1:9",
        PROCONNECT_CLIENT_ID="romin",
        PROCONNECT_CLIENT_SECRET="secret",
        PROCONNECT_ALLOWED_DOMAINS="justice.fr",
        PROCONNECT_TIMEOUT=1,
        RATELIMIT_PROCONNECT_PER_ADDRESS="2 per minute",
    )
    client = _browser(app, "10.0.5.1")
    callback = "/connexion/proconnect/retour?code=abc&state=def"
    assert [client.get(callback).status_code for _ in range(2)] == [502, 502]
    _assert_french_429_page(client.get(callback))
    assert _browser(app, "10.0.5.2").get(callback).status_code == 502
    # the button that starts a sign-in is not the callback: not counted
    assert client.get("/connexion").status_code == 200


def test_the_api_is_limited_per_token_with_a_json_429(app_factory, make_user, token_for):
    app = app_factory(RATELIMIT_API_PER_TOKEN="3 per minute")
    agent, other = make_user("agent"), make_user("agent")
    token, other_token = token_for(agent), token_for(other)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/risk-factors", headers=token).status_code == 200
    refused = client.get("/api/v1/risk-factors", headers=token)
    assert refused.status_code == 429 and refused.is_json
    body = refused.get_json()
    assert body["code"] == 429 and body["status"] == "Too Many Requests"
    assert "Trop de requêtes avec ce jeton d'API" in body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # per token: another token is served; a made-up token is refused as such and counts nowhere
    assert client.get("/api/v1/risk-factors", headers=other_token).status_code == 200
    for _ in range(5):
        made_up = {"Authorization": "Bearer romin_" + uuid.uuid4().hex}
        assert client.get("/api/v1/risk-factors", headers=made_up).status_code == 401


def test_a_limit_is_shared_by_two_workers(app_factory):
    """Two apps stand for two gunicorn workers: each has its own Limiter and storage object,
    and they count together through PostgreSQL (with memory:// each would allow 4)."""
    shared = dict(
        RATELIMIT_KEY_PREFIX=f"deux-workers-{uuid.uuid4().hex[:8]}",
        RATELIMIT_SIGN_IN_PER_ADDRESS="4 per minute",
    )
    first, second = app_factory(**shared), app_factory(**shared)
    assert first.extensions["romin_limiter"] is not second.extensions["romin_limiter"]
    assert isinstance(first.extensions["romin_limiter"].storage, PostgresStorage)
    a, b = _browser(first, "10.0.6.1"), _browser(second, "10.0.6.1")
    statuses = [
        _attempt(client, f"r{n}@justice.test").status_code for n, client in enumerate((a, b, a, b))
    ]
    assert statuses == [400, 400, 400, 400]
    _assert_french_429_page(_attempt(a, "r8@justice.test"))
    _assert_french_429_page(_attempt(b, "r9@justice.test"))


def test_limits_can_be_turned_off(app_factory, make_user):
    """The switch a bench or a test uses (RATELIMIT_ENABLED=0); on by default, tests included."""
    assert app_factory().config["RATELIMIT_ENABLED"] is True
    app = app_factory(RATELIMIT_ENABLED=False, RATELIMIT_SIGN_IN_PER_ADDRESS="1 per minute")
    client = _browser(app, "10.0.7.1")
    assert [_attempt(client, f"s{n}@justice.test").status_code for n in range(3)] == [400] * 3


# -- the storage itself ----------------------------------------------------------------------


def test_the_storage_counts_opens_a_new_window_and_purges_ended_ones(
    database_url, engine, monkeypatch
):
    storage = PostgresStorage("romin+postgresql://", database_url=database_url)
    key = f"test-stockage-{uuid.uuid4().hex}"
    assert storage.get(key) == 0
    assert [storage.incr(key, 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr(key, 60, amount=2) == 5 and storage.get(key) == 5
    assert 0 < storage.get_expiry(key) - storage.get_expiry(f"{key}-aucune") <= 60

    def end_window():
        with engine.begin() as connection:
            connection.execute(
                update(RateLimitCounter)
                .where(RateLimitCounter.key == key)
                .values(expires_at=func.now() - timedelta(seconds=1))
            )

    end_window()
    assert storage.get(key) == 0  # an ended window counts nothing
    assert storage.incr(key, 60) == 1  # and the next hit opens a new one

    end_window()
    monkeypatch.setattr(rate_limit_storage, "PURGE_EVERY", 1)
    storage.incr(f"{key}-autre", 60)  # any increment may purge the ended windows
    with engine.connect() as connection:
        keys = set(
            connection.scalars(
                select(RateLimitCounter.key).where(RateLimitCounter.key.startswith(key))
            )
        )
    assert keys == {f"{key}-autre"}
    storage.clear(f"{key}-autre")
    assert storage.get(f"{key}-autre") == 0 and storage.check() is True
