"""Tools for the officer's own work (phase « organisation ») carry no risk factor and no stage:
the catalogue refuses them otherwise, and requires a factor of every other tool (issue 9,
point 6). Their sheet says « Pour votre pratique professionnelle » instead of factors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.catalogue.phases import FACTORS_ON_OWN_TOOL, NO_FACTOR, STAGES_ON_OWN_TOOL
from app.catalogue.service import CatalogueError, save_tool
from app.db import db
from app.index_sync.documents import published_batches
from app.models import Tool


@pytest.fixture
def curator_headers(make_user, token_for):
    return token_for(make_user("curator"))


OWN_TOOL = {
    "title": "Grille de préparation de l'entretien",
    "summary": "Fiche que le CPIP remplit avant un entretien.",
    "phase": "organisation",
    "kind": "support",
}


def test_the_api_creates_an_own_work_tool_without_factor_or_stage(client, curator_headers):
    response = client.post("/api/v1/tools", json=OWN_TOOL, headers=curator_headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["phase"] == "organisation"
    assert body["risk_factors"] == [] and body["stages"] == []


@pytest.mark.parametrize(
    "extra, messages",
    [
        ({"risk_factors": ["addictions"]}, {"risk_factors": [FACTORS_ON_OWN_TOOL]}),
        ({"stages": ["action"]}, {"stages": [STAGES_ON_OWN_TOOL]}),
        (
            {"risk_factors": ["addictions", "emploi"], "stages": ["action"]},
            {"risk_factors": [FACTORS_ON_OWN_TOOL], "stages": [STAGES_ON_OWN_TOOL]},
        ),
    ],
)
def test_factors_or_stages_on_an_own_work_tool_are_refused(
    client, curator_headers, extra, messages
):
    response = client.post("/api/v1/tools", json={**OWN_TOOL, **extra}, headers=curator_headers)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == messages


@pytest.mark.parametrize("phase", ["intervention", "evaluation", None])
def test_any_other_tool_needs_a_factor(client, curator_headers, phase):
    payload = {**OWN_TOOL, "phase": phase} if phase else {"title": "Sans facteur", "summary": "s"}
    response = client.post("/api/v1/tools", json=payload, headers=curator_headers)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"risk_factors": [NO_FACTOR]}


def test_a_partial_update_is_checked_on_the_sheet_as_it_will_be(client, curator_headers, make_tool):
    tool = make_tool(title="Tableau de suivi des objectifs", stages=["action"])
    url = f"/api/v1/tools/{tool.slug}"
    refused = client.patch(url, json={"phase": "organisation"}, headers=curator_headers)
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"] == {
        "risk_factors": [FACTORS_ON_OWN_TOOL],
        "stages": [STAGES_ON_OWN_TOOL],
    }
    moved = client.patch(
        url,
        json={"phase": "organisation", "risk_factors": [], "stages": []},
        headers=curator_headers,
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["risk_factors"] == [] and moved.get_json()["phase"] == "organisation"
    # an edit that does not touch the phase, the factors or the stages goes through
    assert client.patch(url, json={"summary": "Autre"}, headers=curator_headers).status_code == 200
    # giving it a factor back, or moving it to another phase alone, is refused
    for change in ({"risk_factors": ["emploi"]}, {"phase": "intervention"}):
        response = client.patch(url, json=change, headers=curator_headers)
        assert response.status_code == 422, change
    both = client.patch(
        url, json={"phase": "intervention", "risk_factors": ["emploi"]}, headers=curator_headers
    )
    assert both.status_code == 200 and both.get_json()["risk_factors"] == ["emploi"]


def test_the_service_refuses_before_changing_anything(app, make_tool):
    tool = make_tool(title="Outil travaillé", risk_factors=["addictions"])
    with app.app_context():
        row = db.session.get(Tool, tool.id)
        with pytest.raises(CatalogueError) as refused:
            save_tool(db.session, {"phase": "organisation"}, row)
        assert refused.value.errors == {
            "risk_factors": [FACTORS_ON_OWN_TOOL],
            "stages": [STAGES_ON_OWN_TOOL],
        }
        assert row.phase == "intervention" and row.risk_factor_slugs == ["addictions"]


def test_an_own_work_tool_has_only_the_global_score_and_every_score_field(app, make_tool):
    tool = make_tool(**OWN_TOOL, risk_factors=[], stages=[], evidence_level=2)
    with app.app_context():
        row = db.session.scalar(select(Tool).where(Tool.id == tool.id))
        assert set(row.scores) == {"_"}
        docs = [d for batch in published_batches(db.session, [tool.id]) for d in batch]
    (doc,) = docs
    assert doc["risk_factors"] == [] and doc["stages"] == [] and doc["phase"] == "organisation"
    factor_scores = {k: v for k, v in doc.items() if k.startswith("score_")}
    assert len(factor_scores) == 7 and set(factor_scores.values()) == {doc["score"]}


def test_the_sheet_says_it_is_for_the_officers_practice(client, make_tool):
    own = make_tool(**OWN_TOOL, risk_factors=[], stages=[])
    worked = make_tool(title="Balance décisionnelle", risk_factors=["addictions"])
    html = client.get(f"/outils/{own.slug}").get_data(as_text=True)
    assert "Pour votre pratique professionnelle" in html
    assert "Facteurs de risque travaillés" not in html and "Stades du changement" not in html
    assert 'href="/recherche?phase=organisation"' in html
    other = client.get(f"/outils/{worked.slug}").get_data(as_text=True)
    assert "Facteurs de risque travaillés" in other
    assert "Pour votre pratique professionnelle" not in other
