"""The JSON API: contract, tokens and roles, validation per field, never a 500."""

from __future__ import annotations

import pytest


@pytest.fixture
def agent_headers(make_user, token_for):
    return token_for(make_user("agent"))


@pytest.fixture
def curator_headers(make_user, token_for):
    return token_for(make_user("curator"))


def test_openapi_document_lists_the_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/risk-factors",
        "/api/v1/search",
        "/api/v1/tools",
        "/api/v1/tools/{slug}",
        "/api/v1/tools/{slug}/feedback",
    ):
        assert path in spec["paths"]


@pytest.mark.parametrize(
    "path", ["/api/v1/risk-factors", "/api/v1/search?risk_factor=addictions", "/api/v1/tools/x"]
)
def test_a_missing_or_wrong_token_is_401(client, path):
    assert client.get(path).status_code == 401
    response = client.get(path, headers={"Authorization": "Bearer romin_wrong"})
    assert response.status_code == 401 and response.is_json


def test_risk_factors_with_counts(client, agent_headers, make_tool):
    make_tool(risk_factors=["addictions", "emploi"])
    body = client.get("/api/v1/risk-factors", headers=agent_headers).get_json()
    by_slug = {f["slug"]: f for f in body}
    assert len(body) == 7
    assert by_slug["addictions"]["tool_count"] == 1 and by_slug["famille"]["tool_count"] == 0
    assert "alcool" in by_slug["addictions"]["synonyms"]


def test_search_contract(client, agent_headers, make_tool):
    make_tool(title="Premier", evidence_level=4)
    make_tool(title="Second", evidence_level=1)
    body = client.get(
        "/api/v1/search?risk_factor=addictions&per_page=1", headers=agent_headers
    ).get_json()
    assert body["total"] == 2 and body["page"] == 1 and body["degraded"] is False
    assert body["resolved_risk_factor"] is None
    hit = body["hits"][0]
    assert hit["title"] == "Premier"
    for key in (
        "slug",
        "title",
        "summary",
        "risk_factors",
        "evidence_level",
        "not_recommended",
        "score",
    ):
        assert key in hit
    assert hit["rating"] == {"average": None, "count": 0}
    assert set(body["facets"]) == {
        "risk_factor",
        "stage",
        "phase",
        "responsivity",
        "modality",
        "sessions",
        "kind",
        "evidence_level",
        "setting",
    }
    assert body["facets"]["evidence_level"] == {"4": 1, "1": 1}
    page2 = client.get(
        "/api/v1/search?risk_factor=addictions&per_page=1&page=2", headers=agent_headers
    )
    assert page2.get_json()["hits"][0]["title"] == "Second"


def test_search_resolves_typed_factor(client, agent_headers, make_tool):
    make_tool()
    body = client.get("/api/v1/search?q=alcol", headers=agent_headers).get_json()
    assert body["resolved_risk_factor"] == "addictions" and body["total"] == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("per_page=1000", "per_page"),
        ("stage=nope", "stage"),
        ("min_evidence=9", "min_evidence"),
        ("risk_factor=inconnu", "risk_factor"),
    ],
)
def test_search_rejects_bad_arguments_per_field(client, agent_headers, query, field):
    response = client.get(f"/api/v1/search?{query}", headers=agent_headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


def test_curators_create_and_patch_tools(client, curator_headers, agent_headers):
    payload = {
        "title": "Jeu des valeurs",
        "summary": "Explorer ses valeurs.",
        "risk_factors": ["attitudes"],
        "stages": ["contemplation"],
        "kind": "outil",
        "evidence_level": 2,
        "status": "published",
        "instructions": "### Étapes\n1. Un",
    }
    created = client.post("/api/v1/tools", json=payload, headers=curator_headers)
    assert created.status_code == 201, created.get_json()
    tool = created.get_json()
    assert tool["slug"] == "jeu-des-valeurs" and tool["risk_factors"] == ["attitudes"]
    patched = client.patch(
        "/api/v1/tools/jeu-des-valeurs", json={"evidence_level": 3}, headers=curator_headers
    )
    assert patched.status_code == 200 and patched.get_json()["evidence_level"] == 3
    assert patched.get_json()["title"] == "Jeu des valeurs"
    got = client.get("/api/v1/tools/jeu-des-valeurs", headers=agent_headers).get_json()
    assert got["evidence_level"] == 3 and got["instructions"].startswith("### Étapes")
    found = client.get("/api/v1/search?risk_factor=attitudes", headers=agent_headers).get_json()
    assert [h["slug"] for h in found["hits"]] == ["jeu-des-valeurs"]


def test_agents_may_not_write_tools(client, agent_headers):
    response = client.post("/api/v1/tools", json={"title": "x"}, headers=agent_headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"summary": "s", "risk_factors": ["addictions"]}, "title"),
        ({"title": "Un titre", "summary": "s", "risk_factors": []}, "risk_factors"),
        ({"title": "Un titre", "summary": "s", "risk_factors": ["inconnu"]}, "risk_factors"),
        (
            {
                "title": "Un titre",
                "summary": "s",
                "risk_factors": ["addictions"],
                "evidence_level": 7,
            },
            "evidence_level",
        ),
        (
            {
                "title": "Un titre",
                "summary": "s",
                "risk_factors": ["addictions"],
                "slug": "Pas Un Slug",
            },
            "slug",
        ),
        (
            {"title": "Un titre", "summary": "s", "risk_factors": ["addictions"], "colour": "red"},
            "colour",
        ),
    ],
)
def test_tool_validation_errors_per_field(client, curator_headers, payload, field):
    response = client.post("/api/v1/tools", json=payload, headers=curator_headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_a_taken_slug_is_refused(client, curator_headers, make_tool):
    tool = make_tool()
    response = client.post(
        "/api/v1/tools",
        json={"title": "Autre", "summary": "s", "slug": tool.slug, "risk_factors": ["addictions"]},
        headers=curator_headers,
    )
    assert response.status_code == 422 and "slug" in response.get_json()["errors"]["json"]


def test_malformed_json_is_a_client_error(client, curator_headers):
    response = client.post(
        "/api/v1/tools",
        data="{not json",
        headers={**curator_headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)


def test_feedback_replaces_the_previous_rating_and_moves_the_ranking(
    client, make_user, token_for, make_tool
):
    first = make_tool(title="Premier", evidence_level=2)
    second = make_tool(title="Second", evidence_level=2)
    headers = [token_for(make_user("agent")) for _ in range(4)]
    for h in headers:
        assert (
            client.post(
                f"/api/v1/tools/{first.slug}/feedback", json={"rating": 2}, headers=h
            ).status_code
            == 200
        )
    before = client.get("/api/v1/search?risk_factor=addictions", headers=headers[0]).get_json()
    assert [h["slug"] for h in before["hits"]] == [second.slug, first.slug]
    for h in headers:
        response = client.post(
            f"/api/v1/tools/{first.slug}/feedback",
            json={"rating": 5, "comment": "Très utile", "risk_factor": "addictions"},
            headers=h,
        )
        assert response.status_code == 200
    assert response.get_json()["tool"] == {"average": 5.0, "count": 4}
    after = client.get("/api/v1/search?risk_factor=addictions", headers=headers[0]).get_json()
    assert [h["slug"] for h in after["hits"]] == [first.slug, second.slug]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": "x"}, "rating"),
        ({"rating": 4, "risk_factor": "famille"}, "risk_factor"),
        ({"rating": 4, "comment": "x" * 2001}, "comment"),
    ],
)
def test_feedback_validation(client, agent_headers, make_tool, payload, field):
    tool = make_tool()
    response = client.post(
        f"/api/v1/tools/{tool.slug}/feedback", json=payload, headers=agent_headers
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_unknown_or_unpublished_tools_are_404(client, agent_headers, make_tool):
    draft = make_tool(status="draft")
    assert client.get(f"/api/v1/tools/{draft.slug}", headers=agent_headers).status_code == 404
    assert client.get("/api/v1/tools/nope", headers=agent_headers).status_code == 404
    assert (
        client.post(
            f"/api/v1/tools/{draft.slug}/feedback", json={"rating": 3}, headers=agent_headers
        ).status_code
        == 404
    )


def test_api_degrades_when_meilisearch_is_down(app_factory, make_user, token_for):
    app = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.3)
    with app.app_context():
        headers = token_for(make_user("agent"))
    body = (
        app.test_client().get("/api/v1/search?risk_factor=addictions", headers=headers).get_json()
    )
    assert body["degraded"] is True and body["total"] == 0
