"""A CPIP's query on real PostgreSQL and Meilisearch: best first, facets, typos, pagination."""

from __future__ import annotations

import pytest

from app.db import db
from app.feedback import ratings as feedback_service
from app.search.service import search
from indexer.search import SearchQuery

pytestmark = pytest.mark.usefixtures("ctx")


def titles(answer):
    return [hit["title"] for hit in answer.result.hits]


def test_a_factor_lists_its_published_tools_best_first(make_tool):
    low = make_tool(title="Niveau un", evidence_level=1)
    high = make_tool(title="Niveau quatre", evidence_level=4)
    mid = make_tool(title="Niveau deux", evidence_level=2)
    make_tool(title="Brouillon", evidence_level=4, status="draft")
    make_tool(title="Autre facteur", evidence_level=4, risk_factors=["emploi"])
    answer = search(db.session, SearchQuery(factor="addictions"))
    assert titles(answer) == [high.title, mid.title, low.title]
    assert answer.result.total == 3 and not answer.degraded
    assert answer.factor_counts["addictions"] == 3 and answer.factor_counts["emploi"] == 1


def test_not_recommended_comes_last_whatever_its_evidence(make_tool):
    make_tool(title="Néfaste", evidence_level=4, not_recommended=True)
    make_tool(title="Modeste", evidence_level=0)
    assert titles(search(db.session, SearchQuery(factor="addictions"))) == ["Modeste", "Néfaste"]


def test_ratings_for_a_factor_reorder_that_factor(make_tool, make_user):
    a = make_tool(title="Outil A", evidence_level=2, risk_factors=["addictions", "emploi"])
    b = make_tool(title="Outil B", evidence_level=2, risk_factors=["addictions", "emploi"])
    c = make_tool(title="Outil C", evidence_level=1, risk_factors=["famille"])
    for _ in range(6):
        feedback_service.rate(db.session, c, make_user(), rating=2)  # a catalogue mean below 5
        feedback_service.rate(db.session, b, make_user(), rating=5, risk_factor="addictions")
        feedback_service.rate(db.session, a, make_user(), rating=5, risk_factor="emploi")
    db.session.commit()
    assert titles(search(db.session, SearchQuery(factor="addictions")))[0] == "Outil B"
    assert titles(search(db.session, SearchQuery(factor="emploi")))[0] == "Outil A"


def test_typed_factor_names_and_typos_resolve_to_the_factor(make_tool):
    make_tool(title="Pour l'alcool", risk_factors=["addictions"])
    make_tool(title="Pour la colère", risk_factors=["personnalite"])
    for typed, slug in (
        ("alcol", "addictions"),
        ("adiction", "addictions"),
        ("colere", "personnalite"),
    ):
        answer = search(db.session, SearchQuery(text=typed))
        assert answer.resolved_factor == slug and answer.typed_text == typed
        assert answer.result.total == 1
    as_text = search(db.session, SearchQuery(text="alcol"), as_text=True)
    assert as_text.resolved_factor is None


def test_other_text_is_searched_with_typo_tolerance(make_tool):
    make_tool(title="Balance décisionnelle", summary="Peser le pour et le contre du changement.")
    make_tool(title="Ligne de vie", summary="Retracer son parcours.")
    answer = search(db.session, SearchQuery(text="balanse decisionelle"))
    assert answer.resolved_factor is None
    assert titles(answer) == ["Balance décisionnelle"]


def test_facets_count_and_refine(make_tool):
    make_tool(title="Un", stages=["action"], modality="collective", evidence_level=3)
    make_tool(title="Deux", stages=["action", "maintien"], modality="individuelle")
    make_tool(title="Trois", stages=["contemplation"], modality="individuelle")
    answer = search(db.session, SearchQuery(factor="addictions"))
    assert answer.result.facets["stages"] == {"action": 2, "maintien": 1, "contemplation": 1}
    assert answer.result.facets["modality"] == {"individuelle": 2, "collective": 1}
    refined = search(
        db.session, SearchQuery(factor="addictions", facets={"stages": "action"}, min_evidence=3)
    )
    assert titles(refined) == ["Un"]


def test_pagination_covers_every_result(make_tool):
    for n in range(7):
        make_tool(title=f"Outil paginé {n}", evidence_level=n % 5)
    seen = []
    for page in (1, 2, 3):
        answer = search(db.session, SearchQuery(factor="addictions", page=page, per_page=3))
        assert answer.result.total == 7 and answer.pages == 3
        seen += titles(answer)
    assert len(seen) == 7 and len(set(seen)) == 7


def test_filter_values_with_quotes_cannot_break_out(make_tool):
    make_tool(title="Seul outil")
    answer = search(db.session, SearchQuery(factor='addictions" OR kind = "outil'))
    assert answer.result.total == 0 and not answer.degraded


def test_meilisearch_down_answers_from_postgresql_in_the_same_order(app_factory):
    from app.catalogue.service import save_tool

    app = app_factory()
    with app.app_context():
        for level in (1, 3, 2):
            save_tool(
                db.session,
                {
                    "title": f"Niveau {level}",
                    "summary": "s",
                    "status": "published",
                    "risk_factors": ["addictions"],
                    "evidence_level": level,
                    "stages": ["action"],
                },
            )
        db.session.commit()
        normal = search(db.session, SearchQuery(factor="addictions"))
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.5)
    with down.app_context():
        degraded = search(db.session, SearchQuery(factor="addictions"))
    assert degraded.degraded and not normal.degraded
    assert titles(degraded) == titles(normal) == ["Niveau 3", "Niveau 2", "Niveau 1"]
    assert [h["score"] for h in degraded.result.hits] == [h["score"] for h in normal.result.hits]
    for facet in (
        "stages",
        "modality",
        "sessions",
        "kind",
        "evidence_level",
        "setting",
        "risk_factors",
    ):
        assert degraded.result.facets[facet] == {
            str(k): v for k, v in normal.result.facets[facet].items()
        }
