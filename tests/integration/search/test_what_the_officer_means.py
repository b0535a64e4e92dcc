"""Best first for what the officer means: words kept beside the filters they name, stage and
phase words, tiers in every query, several values per facet group; the same order when
Meilisearch is down."""

from __future__ import annotations

import re
from html import unescape as html_unescape

import pytest

from app.db import db
from app.search.service import search
from indexer.search import SearchQuery


def titles(answer):
    return [h["title"] for h in answer.result.hits]


@pytest.fixture
def anger_catalogue(app, make_tool):
    """Four tools of Personnalité antisociale (two about anger, one of them weak), one
    non-recommended tool that speaks of anger, and one tool of another factor."""
    make_tool(
        title="Thermomètre de la colère",
        summary="Repérer la montée de la colère.",
        risk_factors=["personnalite"],
        evidence_level=1,
    )
    make_tool(
        title="STOP feu tricolore",
        summary="S'arrêter avant l'explosion de colère.",
        risk_factors=["personnalite"],
        evidence_level=3,
    )
    make_tool(
        title="Résolution de problèmes",
        summary="Méthode en cinq étapes.",
        risk_factors=["personnalite"],
        evidence_level=4,
    )
    make_tool(
        title="Empathie pour la victime",
        summary="Travail sur le point de vue d'autrui.",
        risk_factors=["personnalite"],
        evidence_level=2,
    )
    make_tool(
        title="Choc carcéral",
        summary="Faire peur pour calmer la colère.",
        risk_factors=["personnalite"],
        evidence_level=4,
        not_recommended=True,
    )
    make_tool(title="Colère et alcool", summary="colère", risk_factors=["addictions"])
    return app


def test_a_factor_synonym_filters_and_its_word_still_ranks(anger_catalogue):
    with anger_catalogue.app_context():
        answer = search(db.session, SearchQuery(text="colère"))
    assert answer.query.factor == "personnalite" and answer.query.text == "colère"
    assert answer.resolved_factor == "personnalite"
    # the anger tools first (best first among them), then the factor's other tools, best
    # first, then the non-recommended tool, last whatever it says
    assert titles(answer) == [
        "STOP feu tricolore",
        "Thermomètre de la colère",
        "Résolution de problèmes",
        "Empathie pour la victime",
        "Choc carcéral",
    ]
    assert [h["matched"] for h in answer.result.hits] == [True, True, False, False, True]
    assert answer.result.total == 5 and answer.result.matched_total == 3


def test_the_same_order_when_meilisearch_is_down(app_factory, anger_catalogue):
    with anger_catalogue.app_context():
        normal = search(db.session, SearchQuery(text="colère"))
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.5)
    with down.app_context():
        degraded = search(db.session, SearchQuery(text="colère"))
    assert degraded.degraded and titles(degraded) == titles(normal)
    assert [h["matched"] for h in degraded.result.hits] == [
        h["matched"] for h in normal.result.hits
    ]
    assert degraded.result.matched_total == normal.result.matched_total


def test_pages_continue_from_the_matching_tools_to_the_rest(anger_catalogue):
    with anger_catalogue.app_context():
        pages = [
            titles(search(db.session, SearchQuery(text="colère", page=n, per_page=2)))
            for n in (1, 2, 3)
        ]
        whole = titles(search(db.session, SearchQuery(text="colère")))
    assert [t for page in pages for t in page] == whole


def test_the_name_of_the_factor_itself_only_filters(anger_catalogue):
    with anger_catalogue.app_context():
        answer = search(db.session, SearchQuery(text="Traits de personnalité antisociale"))
    assert answer.query.factor == "personnalite" and answer.query.text == ""
    assert titles(answer)[-1] == "Choc carcéral" and len(titles(answer)) == 5


def test_a_non_recommended_tool_comes_last_in_a_text_query(anger_catalogue):
    with anger_catalogue.app_context():
        answer = search(db.session, SearchQuery(text="peur calmer"), as_text=True)
        everything = search(db.session, SearchQuery(text="colère"), as_text=True)
    assert titles(answer) == ["Choc carcéral"]  # found, since it matches
    assert titles(everything)[-1] == "Choc carcéral"
    assert "Colère et alcool" in titles(everything)


def test_stage_words_select_the_stage(app, make_tool):
    for n in range(3):
        make_tool(title=f"Précontemplatif {n}", stages=["precontemplation"])
    make_tool(title="Pour l'action", stages=["action"])
    with app.app_context():
        for typed in ("précontemplation", "pré-contemplation", "precontemplaton"):
            answer = search(db.session, SearchQuery(text=typed))
            assert answer.query.facets == {"stages": ("precontemplation",)}, typed
            assert answer.result.total == 3 and answer.query.text == ""


def test_phase_words_select_the_phase(app, make_tool):
    make_tool(title="Grille d'évaluation", phase="evaluation")
    make_tool(title="Exercice", phase="intervention")
    with app.app_context():
        for typed in ("évaluation", "bilan"):
            answer = search(db.session, SearchQuery(text=typed))
            assert answer.query.facets == {"phase": ("evaluation",)}, typed
            assert titles(answer) == ["Grille d'évaluation"]


def test_values_of_a_group_combine_with_or_and_groups_with_and(app, make_tool):
    make_tool(title="Individuel action", stages=["action"], modality="individuelle")
    make_tool(title="Collectif action", stages=["action"], modality="collective")
    make_tool(title="Individuel maintien", stages=["maintien"], modality="individuelle")
    make_tool(title="Collectif contemplation", stages=["contemplation"], modality="collective")
    with app.app_context():
        answer = search(
            db.session,
            SearchQuery(
                factor="addictions",
                facets={"stages": ("action", "maintien"), "modality": ("individuelle",)},
            ),
        )
    assert sorted(titles(answer)) == ["Individuel action", "Individuel maintien"]
    # a group's counts leave its own selection out: the other stage still shows its count
    assert answer.result.facets["stages"] == {"action": 1, "maintien": 1, "contemplation": 0} or (
        answer.result.facets["stages"].get("action") == 1
        and answer.result.facets["stages"].get("maintien") == 1
        and answer.result.facets["stages"].get("contemplation", 0) == 0
    )
    assert answer.result.facets["modality"] == {"individuelle": 2, "collective": 1}


def test_the_api_says_how_the_text_was_read(client, make_user, token_for, anger_catalogue):
    headers = token_for(make_user("agent"))
    body = client.get("/api/v1/search?q=colère", headers=headers).get_json()
    reading = body["interpretation"]
    assert reading["risk_factor"] == "personnalite" and reading["words"] == "colère"
    assert reading["recognised"] == [
        {"words": "colère", "filter": "factor", "value": "personnalite"}
    ]
    assert reading["tools_matching_words"] == 3 and reading["words_rank_within_filters"]
    assert [h["matches_words"] for h in body["hits"]][:2] == [True, True]
    assert body["hits"][-1]["tier"] == 0


def test_the_page_shows_named_filters_as_removable(client, make_tool):
    make_tool(title="Précontemplatif", stages=["precontemplation"])
    html = client.get("/recherche?q=alcool+précontemplation").get_data(as_text=True)
    assert "correspond au facteur de risque" in html and "correspond au stade" in html
    # within the factor, the stage is a filter of its own, with a link that takes it away
    assert "stade=precontemplation" in html
    assert "filtre actif, retirer" in html


def test_a_stage_ticked_beside_free_words_keeps_them_searching(app, make_tool):
    """Counts predict results: free words with a stage ticked in the sidebar still restrict."""
    make_tool(title="Entretien motivationnel", stages=["action"], risk_factors=["attitudes"])
    make_tool(title="Autre outil", stages=["action"], risk_factors=["attitudes"])
    with app.app_context():
        words = search(db.session, SearchQuery(text="entretien motivationnel"))
        ticked = search(
            db.session,
            SearchQuery(text="entretien motivationnel", facets={"stages": ("action",)}),
        )
    assert words.result.facets["stages"]["action"] == ticked.result.total == 1


def test_a_synonym_does_not_match_a_sheet_naming_the_factor(app, make_tool):
    """'colère' finds the factor's tools through their factor field only: a sheet whose title
    says 'personnalité' does not match the word."""
    make_tool(title="Repères sur la personnalité", risk_factors=["personnalite"], evidence_level=4)
    make_tool(title="Thermomètre de la colère", risk_factors=["personnalite"])
    with app.app_context():
        answer = search(db.session, SearchQuery(text="colère"))
    assert titles(answer) == ["Thermomètre de la colère", "Repères sur la personnalité"]
    assert answer.result.matched_total == 1


def test_words_match_only_a_tool_that_holds_every_one(app, make_tool):
    """ "jeu d'argent" within Addictions: a role-play ("jeu de rôle") does not match it, so no
    tool matches and the search is a content gap (the factor's tools are still shown)."""
    make_tool(title="Savoir dire non — jeu de rôle", risk_factors=["addictions"])
    make_tool(title="Balance décisionnelle", risk_factors=["addictions"])
    with app.app_context():
        answer = search(db.session, SearchQuery(text="jeu d'argent"))
    assert answer.query.factor == "addictions" and answer.query.text == "jeu d'argent"
    assert answer.result.matched_total == 0 and answer.content_gap
    assert answer.result.total == 2


def test_a_stage_named_without_a_factor_shows_as_a_removable_filter(client, make_tool):
    make_tool(title="Entretien du début", stages=["precontemplation"])
    make_tool(title="Autre", stages=["action"])
    html = client.get("/recherche?q=entretien+précontemplation").get_data(as_text=True)
    assert "correspond au stade" in html
    # shown active in the sidebar; taking it away searches the other words alone
    active = re.search(
        r'<a class="fr-tag fr-tag--sm" aria-current="true" href="([^"]+)">'
        r"Précontemplation",
        html,
    )
    assert active and html_unescape(active.group(1)) == "/recherche?q=entretien"
    page2 = client.get("/recherche?q=entretien+précontemplation&page=1").get_data(as_text=True)
    assert "Entretien du début" in page2 and "Autre" not in page2.split("resultats")[1]
