"""Words ranked within a factor: the first pages come from one multi-search
(`indexer.search._run_segmented_at_once`) and must equal, page by page, what the three
round trips of `_run_segmented` give (the segments' sizes, the ids to leave out, the page)."""

from __future__ import annotations

import pytest

from app.db import db
from app.search.service import search
from indexer import search as index_search
from indexer.client import MeiliClient
from indexer.search import SearchQuery


@pytest.fixture
def two_tiers(app, make_tool):
    """Personnalité antisociale: tools naming « colère » in their title or summary, tools that
    mention it only in their instructions, tools that do not, each in both tiers."""
    for n in range(4):
        make_tool(
            title=f"Colère, outil {n}",
            risk_factors=["personnalite"],
            evidence_level=n % 5,
            not_recommended=n == 3,
        )
    for n in range(4):
        make_tool(
            title=f"Maîtrise, outil {n}",
            instructions=f"Revenir sur la dernière colère ressentie ({n}).",
            risk_factors=["personnalite"],
            evidence_level=(n + 2) % 5,
            not_recommended=n == 0,
        )
    for n in range(5):
        make_tool(
            title=f"Autre outil {n}",
            risk_factors=["personnalite"],
            evidence_level=(n + 1) % 5,
            not_recommended=n in (1, 4),
        )
    return app


def _read(meili_client, app, page, per_page):
    """Straight from the index (the search service would answer the second read from its
    cache): « colère » as the service reads it, the factor it names and the word ranking."""
    query = SearchQuery(
        factor="personnalite", text="colère", keep_rest=True, page=page, per_page=per_page
    )
    result = index_search.run_search(meili_client, app.config["MEILI_INDEX"], query)
    return (
        [(h["slug"], h["matched"], h["matched_in"], h.get("tier")) for h in result.hits],
        result.total,
        result.matched_total,
        result.facets,
    )


def test_every_page_in_one_round_trip_equals_the_three_round_trips(
    two_tiers, meili_client, monkeypatch
):
    calls = []
    multi_search = MeiliClient.multi_search

    def counted(self, *args, **kwargs):
        calls.append(1)
        return multi_search(self, *args, **kwargs)

    monkeypatch.setattr(MeiliClient, "multi_search", counted)
    with two_tiers.app_context():
        # the service reads « colère » as the factor it names, the word ranking within it
        answer = search(db.session, SearchQuery(text="colère"))
        assert answer.query.factor == "personnalite" and answer.query.keep_rest
        for per_page in (2, 3, 5, 20):
            for page in range(1, 13 // per_page + 2):
                calls.clear()
                at_once = _read(meili_client, two_tiers, page, per_page)
                assert len(calls) == 1, (per_page, page)
                monkeypatch.setattr(index_search, "AT_ONCE_UP_TO", 0)
                calls.clear()
                segmented = _read(meili_client, two_tiers, page, per_page)
                assert len(calls) >= 2
                monkeypatch.setattr(index_search, "AT_ONCE_UP_TO", 100)
                assert at_once == segmented, (per_page, page)
                assert at_once[1] == 13 and at_once[2] == 8
        whole = _read(meili_client, two_tiers, 1, 20)[0]
    # the tiers, then within each the headline, further down, the rest
    assert [(matched, where, tier) for _, matched, where, tier in whole] == (
        [(True, "title_or_summary", 1)] * 3
        + [(True, "further_down", 1)] * 3
        + [(False, None, 1)] * 3
        + [(True, "title_or_summary", 0), (True, "further_down", 0)]
        + [(False, None, 0)] * 2
    )
