"""Malformed input gets a 400 or a 422 in French, never a 5xx: NUL bytes anywhere (PostgreSQL
refuses them), JSON that is not an object or is nested without end, CR/LF in the sign-in's
`next`, and a 405 that says which methods the address takes."""

from __future__ import annotations

import json

import pytest

NUL = "La demande contient un caractère nul"
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture
def tokens(make_user, token_for):
    return {role: token_for(make_user(role)) for role in ("agent", "curator", "staff")}


@pytest.fixture
def slug(make_tool):
    return make_tool().slug


def _french_json_error(response, code):
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code
    return body


def test_a_nul_byte_in_a_page_address_or_query_is_a_400_in_french(client, slug):
    for url in ("/outils/a%00b", f"/outils/{slug}?x=a%00b", "/recherche?q=addic%00tions"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert NUL in response.get_data(as_text=True), url


def test_a_nul_byte_in_an_api_address_or_query_is_a_400_in_french(client, tokens):
    for url in ("/api/v1/tools/a%00b", "/api/v1/search?q=a%00b", "/api/v1/search?a%00=1"):
        body = _french_json_error(client.get(url, headers=tokens["agent"]), 400)
        assert body["message"].startswith(NUL), url


def test_a_nul_byte_in_a_form_field_is_a_400_in_french(client):
    response = client.post("/connexion", data={"email": "a\x00b@exemple.fr", "password": "x"})
    assert response.status_code == 400
    assert NUL in response.get_data(as_text=True)


def test_a_nul_byte_in_a_json_string_or_key_is_a_400_in_french(client, tokens, slug):
    for body in ({"rating": 4, "comment": "bien\x00"}, {"rating": 4, "a\x00": 1}):
        response = client.post(f"/api/v1/tools/{slug}/feedback", json=body, headers=tokens["agent"])
        assert _french_json_error(response, 400)["message"].startswith(NUL)
    response = client.post(
        "/api/v1/tools",
        json={"title": "Un titre", "summary": "Un résumé", "references": ["a", "b\x00"]},
        headers=tokens["curator"],
    )
    assert _french_json_error(response, 400)["message"].startswith(NUL)


def test_a_lone_surrogate_or_nan_in_json_is_a_400_in_french(client, tokens, slug):
    url = f"/api/v1/tools/{slug}/feedback"
    for raw in ('{"rating": 4, "comment": "\\ud800"}', '{"rating": NaN}'):
        response = client.post(
            url, data=raw, content_type="application/json", headers=tokens["agent"]
        )
        message = _french_json_error(response, 400)["message"]
        assert message.startswith("Le corps de la requête contient un nombre invalide") or (
            message.startswith("La demande contient un caractère Unicode invalide")
        )


def _json_operations(slug):
    return [
        ("post", "/api/v1/tools", "curator"),
        ("patch", f"/api/v1/tools/{slug}", "curator"),
        ("post", f"/api/v1/tools/{slug}/feedback", "agent"),
        ("put", "/api/v1/ranking/weights", "staff"),
        ("post", "/api/v1/ranking/preview", "staff"),
    ]


@pytest.mark.parametrize("raw", ["[null]", '"x"', "1", "null", "true"])
def test_json_that_is_not_an_object_is_refused_in_french_by_every_json_operation(
    client, tokens, slug, raw
):
    for method, url, role in _json_operations(slug):
        response = getattr(client, method)(
            url, data=raw, content_type="application/json", headers=tokens[role]
        )
        assert response.status_code in (400, 422), (method, url, response.status_code)
        body = response.get_json()
        text = json.dumps(body, ensure_ascii=False)
        assert "objet" in text, (method, url, text)  # « … objet attendu » / « objet JSON »


def test_deeply_nested_json_is_a_400_in_french_on_every_json_operation(client, tokens, slug):
    for method, url, role in _json_operations(slug):
        for raw in (DEEP, '{"title": ' + DEEP + "}"):
            response = getattr(client, method)(
                url, data=raw, content_type="application/json", headers=tokens[role]
            )
            body = _french_json_error(response, 400)
            assert body["message"].startswith("Le corps de la requête est trop imbriqué"), url


def test_json_that_does_not_parse_is_a_400_in_french(client, tokens, slug):
    response = client.post(
        f"/api/v1/tools/{slug}/feedback",
        data='{"rating": ',
        content_type="application/json",
        headers=tokens["agent"],
    )
    assert _french_json_error(response, 400)["message"] == (
        "Le corps de la requête n'est pas un JSON valide."
    )


def test_marshmallow_default_messages_reach_the_caller_in_french(client, tokens):
    response = client.get("/api/v1/search?per_page=abc", headers=tokens["agent"])
    body = _french_json_error(response, 422)
    assert body["errors"] == {"query": {"per_page": ["Nombre entier attendu."]}}
    assert body["message"] == "Les informations envoyées ont été refusées."


@pytest.mark.parametrize(
    "target", ["/outils%0d%0aSet-Cookie:%20x=1", "/outils%0ax", "/%5Cevil.example"]
)
def test_a_next_address_with_cr_lf_or_a_backslash_goes_to_the_search_page(
    client, make_user, target
):
    user = make_user("agent", password="un mot de passe assez long")
    response = client.post(
        f"/connexion?next={target}",
        data={"email": user.email, "password": "un mot de passe assez long"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/recherche"
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    # signed in now: the form's GET redirects at once, through the same check
    response = client.get(f"/connexion?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/recherche"


def test_a_405_says_which_methods_the_address_takes(client, tokens):
    response = client.delete("/api/v1/search", headers=tokens["agent"])
    body = _french_json_error(response, 405)
    assert body["message"] == "Cette action n'est pas possible sur cette page."
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    response = client.open("/api/v1/tools", method="TRACE")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    response = client.delete("/recherche")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_item_errors_beside_a_rule_between_fields_are_a_422_not_a_500(client, tokens):
    """A list's item errors are keyed by index; the sheet's phase rule adds "_schema" beside
    them: JSON could not sort {0: …, "_schema": …} (a 500)."""
    response = client.post(
        "/api/v1/tools",
        json={
            "title": "Un titre",
            "summary": "Un résumé.",
            "phase": "organisation",
            "risk_factors": ["a" * 500, "addictions"],
        },
        headers=tokens["curator"],
    )
    body = _french_json_error(response, 422)
    errors = body["errors"]["json"]["risk_factors"]
    assert "0" in errors and "_schema" in errors
