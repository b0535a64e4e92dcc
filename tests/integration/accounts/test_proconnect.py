"""ProConnect sign-in, end to end, against a real OpenID provider on loopback.

The provider is the certified npm package `oidc-provider`, started once per session by
tests/oidc/provider.mjs (node). ROMIN runs in the Flask test client and talks to it over real
HTTP (discovery, token, JWKS, userinfo as a signed JWT); the tests play the browser's part at
the provider with `requests` (its scripted sign-in form takes the account's sub and claims).
Every refused sign-in must show a French page and leave no session and no account.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from oidc_launcher import start_provider  # tests/oidc/, on pytest's pythonpath
from sqlalchemy import func, select

from app.db import db
from app.models import User

CALLBACK = "http://localhost/connexion/proconnect/retour"
LOGOUT_DONE = "http://localhost/deconnexion/fin"
SECRET = "secret-du-client-romin-pour-les-tests"
OTHER_SECRET = "secret-d-un-autre-service-pour-les-tests"
ID_TOKEN_TTL = 600


# -- the provider ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The real OpenID provider, listening on 127.0.0.1; its issuer URL."""
    provider = start_provider(
        tmp_path_factory.mktemp("oidc"),
        id_token_ttl=ID_TOKEN_TTL,
        clients=[
            {
                "client_id": "romin",
                "client_secret": SECRET,
                "redirect_uris": [CALLBACK],
                "post_logout_redirect_uris": [LOGOUT_DONE],
                "userinfo_signed_response_alg": "RS256",
            },
            # another relying party registered at the same provider, with the same redirect URI
            {
                "client_id": "autre-service",
                "client_secret": OTHER_SECRET,
                "redirect_uris": [CALLBACK],
                "post_logout_redirect_uris": [LOGOUT_DONE],
            },
        ],
    )
    yield provider.issuer
    provider.stop()


@pytest.fixture
def proconnect_app(app_factory, oidc_provider):
    def make(**overrides):
        values = dict(
            PROCONNECT_ISSUER=oidc_provider,
            PROCONNECT_CLIENT_ID="romin",
            PROCONNECT_CLIENT_SECRET=SECRET,
            PROCONNECT_ALLOWED_DOMAINS="justice.fr",
            LOCAL_LOGIN_ENABLED=False,
        )
        values.update(overrides)
        return app_factory(**values)

    return make


# -- playing the browser ---------------------------------------------------------------------


def _start(client, next_url="/recherche") -> str:
    """ROMIN's redirect to the provider's authorization endpoint."""
    response = client.get("/connexion/proconnect", query_string={"next": next_url})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _with_params(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _param(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query)[name][0]


def _at_provider(browser: requests.Session, url: str, account: dict | None) -> str:
    """Follow the provider's redirects (signing in with `account` when it asks) until it sends
    the browser back to ROMIN; return that URL."""
    response = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(10):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith("http://localhost/"):
                return location
            response = browser.get(location, allow_redirects=False, timeout=10)
            continue
        assert response.status_code == 200, response.text
        assert "/interaction/" in response.url and account is not None, response.text
        action = response.url.rstrip("/") + "/login"
        response = browser.post(action, data=account, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the browser back to ROMIN")


def _back_at_romin(client, url: str):
    parts = urlsplit(url)
    return client.get(parts.path + ("?" + parts.query if parts.query else ""))


def _account(sub="agent-0001", email="camille.martin@justice.fr", **claims) -> dict:
    data = {
        "sub": sub,
        "email": email,
        "given_name": "Camille",
        "usual_name": "Martin",
        "siret": "11000101300017",
        "idp_id": "fi-justice",
    }
    data.update(claims)
    return data


def sign_in(client, account, browser=None, tamper=None):
    """The whole flow; returns ROMIN's answer on its redirect URI."""
    url = _start(client)
    if tamper:
        url = tamper(url)
    back = _at_provider(browser or requests.Session(), url, account)
    return _back_at_romin(client, back)


# -- checks ----------------------------------------------------------------------------------


def _signed_in_uid(client):
    with client.session_transaction() as session:
        return session.get("uid")


def _users_with(app, sub=None, email=None) -> list[User]:
    with app.app_context():
        statement = select(User)
        if sub is not None:
            statement = statement.where(User.oidc_sub == sub)
        if email is not None:
            statement = statement.where(func.lower(User.email) == email.lower())
        return list(db.session.scalars(statement))


def assert_refused(app, client, response, sub, text, status=400):
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status, body
    assert "Connexion impossible" in body and text in body, body
    assert _signed_in_uid(client) is None
    assert _users_with(app, sub=sub) == []


# -- success ---------------------------------------------------------------------------------


def test_first_sign_in_creates_an_agent_keyed_on_sub_and_the_next_one_reuses_it(proconnect_app):
    app = proconnect_app()
    url = _start(app.test_client())
    assert _param(url, "code_challenge_method") == "S256" and _param(url, "code_challenge")
    assert len(_param(url, "state")) >= 32 and len(_param(url, "nonce")) >= 32
    assert _param(url, "redirect_uri") == CALLBACK and _param(url, "client_id") == "romin"
    client = app.test_client()
    response = sign_in(client, _account(sub="sub-premiere", email="Camille.Martin@Justice.fr"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/recherche"
    [user] = _users_with(app, sub="sub-premiere")
    assert (user.email, user.role, user.display_name, user.siret) == (
        "camille.martin@justice.fr",
        "agent",
        "Camille Martin",
        "11000101300017",
    )
    assert user.password_hash is None and user.last_login_at is not None
    assert _signed_in_uid(client) == user.id
    page = client.get("/recherche").get_data(as_text=True)
    assert "Camille Martin" in page and "Se déconnecter" in page

    # later: a new browser, the same agent (whose address changed) → the same account
    again = app.test_client()
    response = sign_in(again, _account(sub="sub-premiere", email="c.martin@justice.fr"))
    assert response.status_code == 303
    [same] = _users_with(app, sub="sub-premiere")
    assert same.id == user.id and same.email == "c.martin@justice.fr" and same.role == "agent"
    assert _signed_in_uid(again) == user.id


def _pre_created(app, email, role, password=None) -> int:
    """`romin user create EMAIL --role ROLE` (with `--no-password` when password is None)."""
    with app.app_context():
        from app.accounts.service import create_user

        user = create_user(db.session, email, role, password)
        db.session.commit()
        return user.id


def test_an_account_awaiting_proconnect_is_linked_on_its_first_sign_in(proconnect_app, caplog):
    """`romin user create EMAIL --role admin --no-password`: how the first admin gets in."""
    app = proconnect_app()
    admin_id = _pre_created(app, "premiere.admin@justice.fr", "admin")
    client = app.test_client()
    with caplog.at_level("INFO"):
        response = sign_in(client, _account(sub="sub-admin", email="Premiere.Admin@justice.fr"))
    assert response.status_code == 303
    [user] = _users_with(app, sub="sub-admin")
    assert (user.id, user.role, user.password_hash) == (admin_id, "admin", None)
    assert _signed_in_uid(client) == admin_id
    # the link is logged with the account's id, and no personal data
    assert f"account {admin_id} linked" in caplog.text
    assert "premiere" not in caplog.text.lower() and "Camille" not in caplog.text
    # linked once: another ProConnect identity with the same address is refused
    intruder = app.test_client()
    response = sign_in(intruder, _account(sub="sub-autre-admin", email="premiere.admin@justice.fr"))
    assert_refused(
        app, intruder, response, "sub-autre-admin", "Un autre compte ProConnect", status=403
    )


def test_an_account_with_a_password_is_never_taken_over_by_e_mail(proconnect_app, caplog):
    """An account made with a password (`romin user create` without --no-password), admin or
    not, is not linked to whoever presents its address at ProConnect."""
    app = proconnect_app()
    for n, role in enumerate(("admin", "curator")):
        email = f"compte.protege{n}@justice.fr"
        user_id = _pre_created(app, email, role, password="un mot de passe solide")
        client = app.test_client()
        with caplog.at_level("INFO"):
            response = sign_in(client, _account(sub=f"sub-usurpateur-{n}", email=email))
        assert_refused(
            app,
            client,
            response,
            f"sub-usurpateur-{n}",
            "Demandez à l'administrateur de ROMIN",
            status=403,
        )
        assert "mot de passe existe déjà" in html.unescape(response.get_data(as_text=True))
        [kept] = _users_with(app, email=email)
        assert (kept.id, kept.role, kept.oidc_sub) == (user_id, role, None)
        assert kept.password_hash is not None and kept.last_login_at is None
        assert "linked" not in caplog.text and email not in caplog.text


# -- refusals --------------------------------------------------------------------------------


def test_a_deactivated_account_stays_out(proconnect_app):
    app = proconnect_app()
    assert sign_in(app.test_client(), _account(sub="sub-desactive")).status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User).where(User.oidc_sub == "sub-desactive"))
        user.is_active = False
        db.session.commit()
    client = app.test_client()
    response = sign_in(client, _account(sub="sub-desactive"))
    assert response.status_code == 403
    assert "Votre compte ROMIN est désactivé" in html.unescape(response.get_data(as_text=True))
    assert _signed_in_uid(client) is None


def test_an_e_mail_already_taken_by_another_proconnect_account_is_refused(proconnect_app):
    app = proconnect_app()
    assert (
        sign_in(
            app.test_client(), _account(sub="sub-titulaire", email="dominique@justice.fr")
        ).status_code
        == 303
    )
    client = app.test_client()
    response = sign_in(client, _account(sub="sub-intrus", email="dominique@justice.fr"))
    assert_refused(app, client, response, "sub-intrus", "Un autre compte ProConnect", status=403)


def test_wrong_state_is_refused(proconnect_app):
    app = proconnect_app()
    client = app.test_client()
    back = _at_provider(requests.Session(), _start(client), _account(sub="sub-state"))
    forged = _with_params(back, state=secrets.token_urlsafe(32))
    assert_refused(app, client, _back_at_romin(client, forged), "sub-state", "state")
    # the genuine answer, in a browser that never started a sign-in, is refused too
    stranger = app.test_client()
    assert_refused(
        app, stranger, _back_at_romin(stranger, back), "sub-state", "aucune connexion en cours"
    )


def test_wrong_nonce_is_refused(proconnect_app):
    """The provider signs an ID token for another nonce than the one ROMIN keeps in the session."""
    app = proconnect_app()
    client = app.test_client()
    response = sign_in(
        client,
        _account(sub="sub-nonce"),
        tamper=lambda url: _with_params(url, nonce=secrets.token_urlsafe(24)),
    )
    assert_refused(app, client, response, "sub-nonce", "ne correspond pas à cette demande")


def test_a_code_issued_to_another_client_is_refused(proconnect_app):
    app = proconnect_app()
    client = app.test_client()
    response = sign_in(
        client,
        _account(sub="sub-code-autre"),
        tamper=lambda url: _with_params(url, client_id="autre-service"),
    )
    assert_refused(app, client, response, "sub-code-autre", "ProConnect a refusé la connexion")


def test_an_id_token_issued_to_another_client_is_refused(
    proconnect_app, oidc_provider, monkeypatch
):
    """Token substitution: the token answer ROMIN receives is a real one, signed by the
    provider, but issued to another relying party (audience `autre-service`)."""
    from authlib.integrations.flask_client.apps import FlaskOAuth2App

    app = proconnect_app()
    client = app.test_client()
    romin_url = _start(client)
    # the other service's own, complete flow at the provider, with ROMIN's nonce
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    other_url = _with_params(
        romin_url,
        client_id="autre-service",
        state=secrets.token_urlsafe(32),
        code_challenge=challenge,
    )
    back = _at_provider(requests.Session(), other_url, _account(sub="sub-aud"))
    metadata = requests.get(oidc_provider + "/.well-known/openid-configuration", timeout=10).json()
    other_token = requests.post(
        metadata["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": _param(back, "code"),
            "redirect_uri": CALLBACK,
            "client_id": "autre-service",
            "client_secret": OTHER_SECRET,
            "code_verifier": verifier,
        },
    )
    assert other_token.status_code == 200, other_token.text
    other_token = other_token.json()

    def substituted(self, redirect_uri=None, **kwargs):
        return dict(other_token)

    monkeypatch.setattr(FlaskOAuth2App, "fetch_access_token", substituted)
    # ROMIN's own flow, whose token answer is replaced by the other service's
    back = _at_provider(requests.Session(), romin_url, _account(sub="sub-aud"))
    assert_refused(
        app, client, _back_at_romin(client, back), "sub-aud", "n'a pas été délivré pour ROMIN"
    )


def test_an_expired_id_token_is_refused(proconnect_app, monkeypatch):
    """The provider's ID tokens live ID_TOKEN_TTL seconds; ROMIN's clock is moved past that."""
    import app.accounts.proconnect as proconnect

    app = proconnect_app(PROCONNECT_LEEWAY_SECONDS=30)
    client = app.test_client()
    url = _start(client)
    back = _at_provider(requests.Session(), url, _account(sub="sub-expire"))
    monkeypatch.setattr(proconnect, "clock", lambda: int(time.time()) + ID_TOKEN_TTL + 31)
    assert_refused(app, client, _back_at_romin(client, back), "sub-expire", "a expiré")


def test_an_e_mail_outside_the_allowed_domains_is_refused(proconnect_app):
    app = proconnect_app(PROCONNECT_ALLOWED_DOMAINS="justice.fr, justice.gouv.fr")
    client = app.test_client()
    response = sign_in(client, _account(sub="sub-domaine", email="quelquun@exemple.com"))
    assert_refused(app, client, response, "sub-domaine", "aucun compte n'a été créé", status=403)
    body = html.unescape(response.get_data(as_text=True))
    assert "@justice.fr" in body and "@justice.gouv.fr" in body
    assert _users_with(app, email="quelquun@exemple.com") == []
    # a sub-domain is not the domain
    response = sign_in(app.test_client(), _account(sub="sub-domaine", email="x@faux.justice.fr"))
    assert response.status_code == 403


def test_a_required_acr_missing_or_too_low_is_refused(proconnect_app):
    app = proconnect_app(PROCONNECT_ACR_VALUES="eidas2 eidas3")
    url = _start(app.test_client())
    assert json.loads(_param(url, "claims")) == {
        "id_token": {"acr": {"essential": True, "values": ["eidas2", "eidas3"]}}
    }
    for sub, acr in (("sub-sans-acr", ""), ("sub-eidas1", "eidas1")):
        client = app.test_client()
        response = sign_in(client, _account(sub=sub, acr=acr))
        assert_refused(app, client, response, sub, "niveau de sécurité")
    client = app.test_client()
    assert sign_in(client, _account(sub="sub-eidas2", acr="eidas2")).status_code == 303
    assert _signed_in_uid(client) is not None


def test_a_sign_in_cancelled_at_the_provider_is_refused(proconnect_app):
    app = proconnect_app()
    client = app.test_client()
    url = _start(client)
    response = client.get(
        "/connexion/proconnect/retour",
        query_string={"error": "access_denied", "state": _param(url, "state")},
    )
    assert_refused(app, client, response, "personne", "annulée")


def test_an_unreachable_provider_gets_a_french_page(proconnect_app):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app = proconnect_app(PROCONNECT_ISSUER=f"http://127.0.0.1:{closed}", PROCONNECT_TIMEOUT=2)
    client = app.test_client()
    response = client.get("/connexion/proconnect")
    assert response.status_code == 502
    assert "ProConnect ne répond pas" in html.unescape(response.get_data(as_text=True))
    assert _signed_in_uid(client) is None


# -- logout ----------------------------------------------------------------------------------


def test_logout_goes_through_the_providers_end_session(proconnect_app, oidc_provider):
    app = proconnect_app()
    client = app.test_client()
    browser = requests.Session()
    assert sign_in(client, _account(sub="sub-logout"), browser=browser).status_code == 303
    # while the provider's session lives, a new sign-in comes straight back (no form)
    sso = app.test_client()
    assert _at_provider(browser, _start(sso), account=None).startswith(CALLBACK)

    response = client.post("/deconnexion")
    assert response.status_code == 303
    end_session = response.headers["Location"]
    assert end_session.startswith(oidc_provider + "/session/end?")
    assert _param(end_session, "post_logout_redirect_uri") == LOGOUT_DONE
    assert _param(end_session, "id_token_hint").count(".") == 2
    assert _signed_in_uid(client) is None

    # the provider asks for confirmation (a form), then sends the browser back to ROMIN
    page = browser.get(end_session, timeout=10)
    assert page.status_code == 200
    xsrf = page.text.split('name="xsrf" value="')[1].split('"')[0]
    action = urljoin(page.url, page.text.split('action="')[1].split('"')[0])
    done = browser.post(
        action, data={"xsrf": xsrf, "logout": "yes"}, allow_redirects=False, timeout=10
    )
    assert done.is_redirect and done.headers["Location"].startswith(LOGOUT_DONE)
    response = _back_at_romin(client, done.headers["Location"])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "déconnecté(e) de ROMIN et de ProConnect" in page

    # the provider's session is over: signing in again shows its sign-in form
    with pytest.raises(AssertionError):
        _at_provider(browser, _start(app.test_client()), account=None)


# -- the login page and configuration --------------------------------------------------------


def test_login_page_shows_proconnect_and_no_password_form_when_local_login_is_off(
    proconnect_app, oidc_provider
):
    client = proconnect_app().test_client()
    response = client.get("/connexion?next=/outils")
    # browsers apply CSP form-action to the button's redirect to the provider
    assert f"form-action 'self' {oidc_provider};" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "fr-connect fr-connect--pro" in page and "S’identifier avec" in page
    assert 'action="/connexion/proconnect"' in page and 'value="/outils"' in page
    assert 'type="password"' not in page
    response = client.post("/connexion", data={"email": "a@justice.fr", "password": "x" * 12})
    assert response.status_code == 404


def test_password_form_only_when_enabled_and_never_in_production(app, monkeypatch):
    page = app.test_client().get("/connexion").get_data(as_text=True)
    assert 'type="password"' in page and "fr-connect" not in page
    from app.config import Config

    monkeypatch.delenv("LOCAL_LOGIN_ENABLED", raising=False)
    assert Config().LOCAL_LOGIN_ENABLED is False  # off unless the environment turns it on
    base = dict(SQLALCHEMY_DATABASE_URI="postgresql://x/y", SECRET_KEY="s" * 40)
    with pytest.raises(RuntimeError, match="LOCAL_LOGIN_ENABLED"):
        Config(**base, PRODUCTION=True, LOCAL_LOGIN_ENABLED=True).check()
    with pytest.raises(RuntimeError, match="PROCONNECT_ALLOWED_DOMAINS"):
        Config(
            **base,
            PROCONNECT_ISSUER="https://proconnect.example/api/v2",
            PROCONNECT_CLIENT_ID="c",
            PROCONNECT_CLIENT_SECRET="s",
            PROCONNECT_ALLOWED_DOMAINS="",
        ).check()
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        Config(
            **base,
            PRODUCTION=True,
            PROCONNECT_ISSUER="https://proconnect.example/api/v2",
            PROCONNECT_CLIENT_ID="c",
            PROCONNECT_CLIENT_SECRET="s",
            PROCONNECT_ALLOWED_DOMAINS="justice.fr",
        ).check()


def test_redirect_uris_are_built_on_the_public_url(proconnect_app):
    """Behind a TLS proxy, the registered https:// addresses are used, not the request's host."""
    app = proconnect_app(PUBLIC_URL="https://romin.justice.example")
    url = _start(app.test_client())
    assert (
        _param(url, "redirect_uri") == "https://romin.justice.example/connexion/proconnect/retour"
    )
