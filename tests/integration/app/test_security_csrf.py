"""Every form that changes something refuses a request without the CSRF token: each POST, PUT,
PATCH and DELETE route of the app is tried (app.url_map, like the role table), signed in as an
admin (who may use them all), with the check on as in production and no token.

The routes without the check are listed below, each with the reason it needs none; a route
missing from both the check and the list fails the test."""

from __future__ import annotations

import re

import pytest
from flask_wtf.csrf import CSRFError

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
API_REASON = (
    "API: authenticated by a Bearer token the client puts in the Authorization header, never "
    "by a cookie, so a page of another site cannot make a browser send it"
)
# (method, rule) -> why it needs no CSRF token
WITHOUT_CSRF = {
    ("POST", "/api/v1/tools"): API_REASON,
    ("PATCH", "/api/v1/tools/<slug>"): API_REASON,
    ("POST", "/api/v1/tools/<slug>/feedback"): API_REASON,
    ("PUT", "/api/v1/ranking/weights"): API_REASON,
    ("POST", "/api/v1/ranking/preview"): API_REASON,
    ("POST", "/alertes/desabonnement/<token>"): (
        "one-click unsubscribe from an e-mail (RFC 8058): the mail client posts without any "
        "page, and the signed token in the address is the proof; no cookie is used"
    ),
}
# (The ProConnect callback is a GET: state and nonce protect it; it is not a form.)


@pytest.fixture
def csrf_app(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)

    # what the CSRF check refused, told apart from any other 400 (a form error, a bad request)
    @app.errorhandler(CSRFError)
    def _refused(exc):
        return "refusé par la vérification de sécurité", 400

    return app


def _changing_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & CHANGING):
            yield method, rule.rule


def _url(rule: str) -> str:
    """Any value for the parameters: the check runs before the view looks them up."""
    url = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<[^>]+>", "x", url)


def test_the_routes_without_csrf_exist_and_are_not_forms(csrf_app):
    routes = set(_changing_routes(csrf_app))
    assert set(WITHOUT_CSRF) <= routes  # no stale entry


def test_every_form_refuses_a_request_without_its_token(csrf_app, make_user):
    admin = make_user("admin")
    checked, problems = [], []
    for method, rule in _changing_routes(csrf_app):
        if (method, rule) in WITHOUT_CSRF:
            continue
        client = csrf_app.test_client()
        with client.session_transaction() as session:
            session["uid"] = admin.id
        response = client.open(_url(rule), method=method, data={"titre": "x", "note": "x"})
        if response.status_code != 400 or "vérification de sécurité" not in response.get_data(
            as_text=True
        ):
            problems.append(f"{method} {rule}: {response.status_code}")
        checked.append(rule)
    assert problems == []
    assert len(checked) >= 25  # the back office, the feedback, the weights, the accounts...


def test_a_wrong_or_foreign_token_is_refused_too(csrf_app, make_user):
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["uid"] = make_user("curator").id
    page = client.get("/gestion/outils/nouveau").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for wrong in ("x", token[:-2] + "zz"):
        response = client.post("/gestion/outils/nouveau", data={"csrf_token": wrong})
        assert response.status_code == 400 and "vérification de sécurité" in response.get_data(
            as_text=True
        )
    # another browser's token (a token of the attacker's own session) is not this session's
    other = csrf_app.test_client()
    with other.session_transaction() as session:
        session["uid"] = make_user("curator").id
    foreign = re.search(
        r'name="csrf_token" value="([^"]+)"', other.get("/gestion/outils/nouveau").get_data(True)
    ).group(1)
    response = client.post("/gestion/outils/nouveau", data={"csrf_token": foreign})
    assert response.status_code == 400 and "vérification de sécurité" in response.get_data(
        as_text=True
    )
    # with its own token the same form goes through the check (and then says what is missing)
    response = client.post("/gestion/outils/nouveau", data={"csrf_token": token, "title": ""})
    assert response.status_code == 400 and "vérification de sécurité" not in response.get_data(
        as_text=True
    )
    assert "pas été enregistrée" in response.get_data(as_text=True)  # the form, with its errors


def test_the_api_without_csrf_never_accepts_a_session_cookie(csrf_app, make_user, token_for):
    """What makes the exemption safe: a signed-in browser's cookie opens no API route."""
    admin = make_user("admin")
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["uid"] = admin.id
    for method, rule in WITHOUT_CSRF:
        if rule.startswith("/api/"):
            response = client.open(_url(rule), method=method, json={})
            assert response.status_code == 401, (method, rule)
    # with a token, the API answers without any CSRF token (the exemption works)
    response = client.post("/api/v1/tools", json={}, headers=token_for(admin))
    assert response.status_code == 422


def test_unsubscribing_needs_a_valid_signed_token(csrf_app):
    response = csrf_app.test_client().post("/alertes/desabonnement/faux-jeton")
    assert 400 <= response.status_code < 500
