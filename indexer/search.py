"""Search requests to the tools index: one request gives hits, facet counts and the total."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from indexer import filters
from indexer.client import MeiliClient
from indexer.settings import score_field

# Facets shown to officers (index attribute names).
SIDEBAR_FACETS = (
    "risk_factors",
    "stages",
    "modality",
    "sessions",
    "kind",
    "evidence_level",
    "setting",
)
HIT_ATTRIBUTES = (
    "id",
    "slug",
    "title",
    "summary",
    "risk_factors",
    "stages",
    "kind",
    "modality",
    "sessions",
    "minutes_per_session",
    "preparation_minutes",
    "evidence_level",
    "not_recommended",
    "rating_average",
    "rating_count",
    "supports_count",
    "score",
)


@dataclass(frozen=True)
class SearchQuery:
    factor: str | None = None
    text: str = ""
    # index attribute -> value (one value per facet)
    facets: dict[str, str] = field(default_factory=dict)
    min_evidence: int | None = None
    page: int = 1
    per_page: int = 20


@dataclass
class SearchResult:
    hits: list[dict[str, Any]]
    total: int
    facets: dict[str, dict[str, int]]
    page: int
    per_page: int


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The POST body for a query: the filter's values are quoted and escaped."""
    conditions = []
    if query.factor:
        conditions.append(filters.equals("risk_factors", query.factor))
    for attribute, value in sorted(query.facets.items()):
        if attribute == "evidence_level":
            conditions.append(f"evidence_level = {int(value)}")
        else:
            conditions.append(filters.equals(attribute, value))
    if query.min_evidence:
        conditions.append(filters.at_least("evidence_level", query.min_evidence))
    body: dict[str, Any] = {
        "q": query.text,
        "facets": list(SIDEBAR_FACETS),
        "page": query.page,
        "hitsPerPage": query.per_page,
        "attributesToRetrieve": list(HIT_ATTRIBUTES) + [score_field(query.factor)],
        "sort": [f"{score_field(query.factor)}:desc", "id:asc"],
    }
    expression = filters.all_of(conditions)
    if expression:
        body["filter"] = expression
    return body


def run_search(client: MeiliClient, index_uid: str, query: SearchQuery) -> SearchResult:
    answer = client.search(index_uid, search_body(query))
    facets = {
        name: dict(values) for name, values in (answer.get("facetDistribution") or {}).items()
    }
    score_key = score_field(query.factor)
    hits = []
    for hit in answer["hits"]:
        hit = dict(hit)
        hit["score"] = hit.pop(score_key, hit.get("score"))
        hits.append(hit)
    return SearchResult(hits, answer.get("totalHits", 0), facets, query.page, query.per_page)
