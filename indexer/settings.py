"""Index settings as code, pushed by `romin index settings` and before every rebuild.

Choices, with the measurements behind them in bench/ (10,000 tools, this machine):
- `proximityPrecision: byAttribute`: indexing cost is mostly word-proximity data; the tool
  sheet's fields are already split by purpose (title, summary, instructions...), so
  proximity across a field's words adds little relevance and costs about 3x the indexing time.
- `faceting.sortFacetValuesBy: count`: a factor query with its facets is several times faster
  than with the default alphabetical facet order, and counts are what the sidebar shows.
- `pagination.maxTotalHits` and `faceting.maxValuesPerFacet` are set on purpose: the
  defaults (1000, 100) silently truncate totals and facets.
- Ranking rules start with the tier (a *non recommandé* tool after every recommended one,
  whatever the query), then `sort`, which a query sends only when it wants the score first; they
  end with the stored score, so words alone are ordered by relevance, then the score.
"""

from __future__ import annotations

import re
from typing import Any

FACETS = (
    "risk_factors",
    "stages",
    "modality",
    "sessions",
    "kind",
    "phase",
    "evidence_level",
    "setting",
    "responsivity",
)
MAX_TOTAL_HITS = 200_000

# Common French words that carry no meaning in a search for a tool.
FRENCH_STOP_WORDS = (
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
    "des",
    "du",
    "de",
    "d",
    "et",
    "ou",
    "a",
    "à",
    "au",
    "aux",
    "en",
    "pour",
    "par",
    "sur",
    "avec",
    "dans",
    "que",
    "qui",
    "ce",
    "cette",
    "ces",
)


SCORE_PREFIX = "score_"


def score_field(factor: str | None) -> str:
    """Name of the sortable score field: per risk factor, or global."""
    return f"{SCORE_PREFIX}{factor}" if factor else "score"


EVIDENCE_PREFIX = "factor_evidence_"


def evidence_field(factor: str | None) -> str:
    """Name of the evidence level field: for a risk factor (its own level, or the tool's), or
    the tool's own."""
    return f"{EVIDENCE_PREFIX}{factor}" if factor else "evidence_level"


def factor_term(slug: str) -> str:
    """The word a document carries in `risk_factor_terms` for one of its factors: one token that
    never occurs in prose, so a factor's synonyms find the factor's tools through this field
    only (with the slug itself, "colère" would also match every sheet saying "personnalité")."""
    return "romfacteur" + re.sub(r"[^a-z0-9]", "", slug.lower())


def synonym_map(factors: list[tuple[str, str, list[str]]]) -> dict[str, list[str]]:
    """One-way synonyms: each word an officer may type for a factor finds the factor's term.

    Documents carry their factors' terms in `risk_factor_terms`, so "cannabis" finds every
    addictions tool without inflating the query with all the other synonyms.
    """
    mapping: dict[str, list[str]] = {}
    for slug, _label, synonyms in factors:
        for word in [slug, *synonyms]:
            key = word.strip().lower()
            if key:
                mapping.setdefault(key, [])
                if factor_term(slug) not in mapping[key]:
                    mapping[key].append(factor_term(slug))
    return mapping


def index_settings(factors: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
    """All settings of the tools index. `factors`: (slug, label, synonyms) of every risk factor."""
    return {
        "searchableAttributes": [
            "title",
            "risk_factor_labels",
            "risk_factor_terms",
            "summary",
            "protective_factors",
            "precautions",
            "instructions",
        ],
        "filterableAttributes": [
            *FACETS,
            "not_recommended",
            "tier",
            "id",
            *(evidence_field(slug) for slug, _l, _s in factors),
        ],
        "sortableAttributes": ["id", "score"] + [score_field(slug) for slug, _l, _s in factors],
        # tier first: a non-recommended tool after every recommended one, in every query; then
        # `sort` (sent without words: the factor's score; with words that rank within a
        # factor: best first among the matching tools); then relevance for words alone
        "rankingRules": [
            "tier:desc",
            "sort",
            "words",
            "typo",
            "proximity",
            "attribute",
            "exactness",
            "score:desc",
        ],
        "synonyms": synonym_map(factors),
        "stopWords": list(FRENCH_STOP_WORDS),
        "localizedAttributes": [{"attributePatterns": ["*"], "locales": ["fra"]}],
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 8}},
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "count"}},
        "proximityPrecision": "byAttribute",
    }
