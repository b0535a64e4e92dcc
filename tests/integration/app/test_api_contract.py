"""What the OpenAPI promises and the fuzz run relies on: every operation declares its answers
(a schema for each status), and the answers a valid request may get are the declared ones:
409 when it contradicts the present state, 422 when it is wrong in itself."""

from __future__ import annotations

import pytest

EVERY_OPERATION = {"400", "401", "403", "429", "503"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def tokens(make_user, token_for):
    return {role: token_for(make_user(role)) for role in ("agent", "curator", "staff")}


def test_every_operation_declares_a_json_schema_for_each_of_its_answers(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(operations) == 9
    for path, method, operation in operations:
        responses = operation["responses"]
        assert set(responses) >= EVERY_OPERATION, (method, path)
        assert any(code.startswith("2") for code in responses), (method, path)
        for code, response in responses.items():
            if code == "default":
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema, (method, path, code)


def test_rating_a_draft_is_a_409_for_those_who_see_it_and_a_404_for_the_others(
    client, make_tool, tokens
):
    slug = make_tool(status="draft").slug
    url = f"/api/v1/tools/{slug}/feedback"
    response = client.post(url, json={"rating": 4}, headers=tokens["curator"])
    assert response.status_code == 409
    assert response.get_json()["message"] == (
        "Cet outil n'est pas publié : il ne peut pas encore être noté."
    )
    response = client.post(url, json={"rating": 4}, headers=tokens["agent"])
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["0.5", "0,5", 10**400, None, [1]])
def test_the_api_takes_weights_as_json_numbers_only(client, tokens, value):
    response = client.put(
        "/api/v1/ranking/weights",
        json={"weights": {"evidence": value}, "note": "Essai"},
        headers=tokens["staff"],
    )
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["json"]["weights"]["evidence"]
    assert message.startswith("Saisissez un")


def test_weights_that_tie_every_tool_only_with_the_weights_in_force_are_a_409(client, tokens):
    headers = tokens["staff"]
    only_rating = {"rating": 1, "evidence": 0, "usage": 0, "freshness": 0}
    saved = client.put(
        "/api/v1/ranking/weights", json={"weights": only_rating, "note": "Avis"}, headers=headers
    )
    assert saved.status_code == 200, saved.get_json()
    # the request alone is fine; with the weights in force every signal would be 0
    response = client.put(
        "/api/v1/ranking/weights", json={"weights": {"rating": 0}, "note": "Rien"}, headers=headers
    )
    assert response.status_code == 409
    assert "Au moins un des quatre poids" in response.get_json()["message"]
    response = client.post(
        "/api/v1/ranking/preview",
        json={"risk_factor": "addictions", "weights": {"rating": 0}},
        headers=headers,
    )
    assert response.status_code == 409
    # all four sent at 0: wrong in itself, as the OpenAPI says ("not" all four at 0)
    zeros = dict.fromkeys(only_rating, 0)
    response = client.put(
        "/api/v1/ranking/weights", json={"weights": zeros, "note": "Rien"}, headers=headers
    )
    assert response.status_code == 422
    assert (
        "Au moins un des quatre poids"
        in response.get_json()["errors"]["json"]["weights"]["_schema"][0]
    )


def test_a_body_that_is_not_json_is_a_415_in_french(client, make_tool, tokens):
    slug = make_tool().slug
    for content_type, body in (
        ("text/plain", "title=Autre"),
        ("application/x-www-form-urlencoded", "title=Autre"),
    ):
        response = client.patch(
            f"/api/v1/tools/{slug}", data=body, content_type=content_type, headers=tokens["curator"]
        )
        assert response.status_code == 415, content_type
        assert response.get_json()["message"].startswith("L'API ne lit que du JSON")
    assert client.get(f"/api/v1/tools/{slug}", headers=tokens["curator"]).get_json()["title"] != (
        "Autre"
    )
