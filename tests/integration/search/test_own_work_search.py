"""The officer's own tools are found by their phase and its words, never by a risk-factor or
stage filter (they work on none), on the page, in the API and in degraded mode alike."""

from __future__ import annotations

import pytest

from app.db import db
from app.search.service import search
from indexer.search import SearchQuery


def titles(answer):
    return [h["title"] for h in answer.result.hits]


@pytest.fixture
def catalogue(app, make_tool):
    make_tool(
        title="Grille de préparation de l'entretien",
        summary="Fiche que le CPIP remplit avant un entretien.",
        phase="organisation",
        kind="support",
        risk_factors=[],
        stages=[],
        evidence_level=1,
    )
    make_tool(
        title="Grille d'auto-observation",
        summary="Observer ses propres entretiens.",
        phase="organisation",
        kind="support",
        risk_factors=[],
        stages=[],
        evidence_level=2,
    )
    make_tool(title="Balance décisionnelle", risk_factors=["addictions"], stages=["contemplation"])
    make_tool(title="Recherche d'emploi", risk_factors=["emploi"], stages=["action"])
    return app


OWN = {"Grille de préparation de l'entretien", "Grille d'auto-observation"}


def test_their_phase_finds_them_and_no_factor_or_stage_does(catalogue):
    with catalogue.app_context():
        by_phase = search(db.session, SearchQuery(facets={"phase": ("organisation",)}))
        assert set(titles(by_phase)) == OWN
        for factor in ("addictions", "emploi", "famille"):
            assert not OWN & set(titles(search(db.session, SearchQuery(factor=factor)))), factor
        for stage in ("precontemplation", "contemplation", "action", "maintien"):
            answer = search(db.session, SearchQuery(facets={"stages": (stage,)}))
            assert not OWN & set(titles(answer)), stage
        everything = search(db.session, SearchQuery(facets={"kind": ("support", "outil")}))
        assert everything.result.facets["risk_factors"] == {"addictions": 1, "emploi": 1}
        assert everything.result.facets["phase"]["organisation"] == 2


@pytest.mark.parametrize("typed", ["préparer un entretien", "auto-observation", "organisation"])
def test_their_words_select_their_phase(catalogue, typed):
    with catalogue.app_context():
        answer = search(db.session, SearchQuery(text=typed))
    assert answer.query.facets == {"phase": ("organisation",)} and answer.query.factor is None
    assert set(titles(answer)) == OWN


def test_the_same_in_degraded_mode(app_factory, catalogue):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.5)
    with down.app_context():
        by_phase = search(db.session, SearchQuery(facets={"phase": ("organisation",)}))
        by_factor = search(db.session, SearchQuery(factor="addictions"))
        by_stage = search(db.session, SearchQuery(facets={"stages": ("action",)}))
    assert by_phase.degraded and set(titles(by_phase)) == OWN
    assert titles(by_factor) == ["Balance décisionnelle"]
    assert titles(by_stage) == ["Recherche d'emploi"]


def test_the_page_and_the_api(client, make_user, token_for, catalogue):
    html = client.get("/recherche?phase=organisation").get_data(as_text=True)
    assert "Grille de préparation de l&#39;entretien" in html and "Balance" not in html
    assert html.count("Pour votre pratique professionnelle") == 2  # on each card
    factor_page = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert "Grille" not in factor_page and "Balance décisionnelle" in factor_page
    headers = token_for(make_user("agent"))
    body = client.get("/api/v1/search?phase=organisation", headers=headers).get_json()
    assert {h["title"] for h in body["hits"]} == OWN
    assert all(h["risk_factors"] == [] and h["stages"] == [] for h in body["hits"])
    body = client.get("/api/v1/search?risk_factor=addictions", headers=headers).get_json()
    assert [h["title"] for h in body["hits"]] == ["Balance décisionnelle"]
