"""The search service: what the search page and the API ask for, best first.

Meilisearch answers normally. If it cannot be reached, the same query runs on PostgreSQL,
ordered by the same stored scores, and the answer says it is degraded. Answers are cached per
process, keyed on the index generation that every index change bumps: a repeated
risk-factor query is served from memory, never stale.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Float, Select, and_, any_, cast, func, or_, select
from sqlalchemy.orm import Session

from app.catalogue.resolver import FactorTerms, factor_terms, resolve
from app.catalogue.risk_factors import all_factors
from app.core.vocabulary import PUBLISHED
from app.index_sync.client import index_uid, meili
from app.index_sync.generation import current_generation
from app.models import Feedback, RiskFactor, Tool, tool_risk_factors
from indexer.client import MeiliError, MeiliUnavailable
from indexer.search import SIDEBAR_FACETS, SearchQuery, SearchResult, run_search

log = logging.getLogger(__name__)


@dataclass
class SearchAnswer:
    query: SearchQuery
    result: SearchResult
    degraded: bool = False
    # set when the text typed was recognised as a risk factor
    resolved_factor: str | None = None
    typed_text: str = ""
    factor_counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.result.total // self.query.per_page))


class SearchCache:
    """A small LRU of answers for one process, emptied whenever the generation moves."""

    def __init__(self, size: int):
        self.size = size
        # answers of several kinds (results, counts, factor terms), each under its own key
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._generation: int | None = None
        self._lock = threading.Lock()

    def get(self, generation: int, key: Hashable) -> Any:
        with self._lock:
            if generation != self._generation:
                self._data.clear()
                self._generation = generation
                return None
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, generation: int, key: Hashable, value: object) -> None:
        with self._lock:
            if generation != self._generation or self.size <= 0:
                return
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _cache() -> SearchCache:
    cache = current_app.extensions.get("romin_search_cache")
    if cache is None:
        cache = current_app.extensions["romin_search_cache"] = SearchCache(
            current_app.config["SEARCH_CACHE_SIZE"]
        )
    return cache


def resolve_text(session: Session, text: str) -> str | None:
    return resolve(text, factor_resolver_terms(session))


def factor_resolver_terms(session: Session) -> list[FactorTerms]:
    """Every way of naming each factor, cached per index generation: a curator's edit of a
    label or synonyms moves the generation in its own commit (app.index_sync.hooks before_commit)."""
    generation, cache = current_generation(session), _cache()
    terms: list[FactorTerms] | None = cache.get(generation, "factor-terms")
    if terms is None:
        terms = [factor_terms(f.slug, f.label, list(f.synonyms)) for f in all_factors(session)]
        cache.put(generation, "factor-terms", terms)
    return terms


def search(session: Session, query: SearchQuery, *, as_text: bool = False) -> SearchAnswer:
    """Run a query. Unless `as_text`, text that names a risk factor becomes that factor."""
    typed = query.text.strip()
    resolved = None
    if typed and not as_text and not query.factor:
        resolved = resolve_text(session, typed)
        if resolved:
            query = replace(query, factor=resolved, text="")
    key = _cache_key(query)
    generation = current_generation(session)
    cache = _cache()
    if query.factor and query.factor not in factor_slugs(session):
        empty = SearchResult(
            [], 0, {name: {} for name in SIDEBAR_FACETS}, query.page, query.per_page
        )
        return SearchAnswer(query, empty, False, resolved, typed, {})
    try:
        result: SearchResult | None = cache.get(generation, key)
        if result is None:
            result = run_search(meili(), index_uid(), query)
            cache.put(generation, key, result)
        counts: dict[str, int] | None = cache.get(generation, "factor-counts")
        if counts is None:
            counts = _factor_counts_from_index()
            cache.put(generation, "factor-counts", counts)
        return SearchAnswer(query, result, False, resolved, typed, counts)
    except MeiliError as exc:
        if isinstance(exc, MeiliUnavailable):
            log.warning("search degraded to PostgreSQL: %s", type(exc).__name__)
        else:
            # Not an outage: a refused query is a bug to see in the logs; officers still get answers.
            log.error("search refused by Meilisearch, degraded to PostgreSQL: %s", exc.code)
        return SearchAnswer(
            query,
            search_database(session, query),
            True,
            resolved,
            typed,
            factor_counts_database(session),
        )


def factor_slugs(session: Session) -> frozenset[str]:
    """Known risk factor slugs, cached with the answers (a factor edit bumps the generation)."""
    generation, cache = current_generation(session), _cache()
    slugs: frozenset[str] | None = cache.get(generation, "factor-slugs")
    if slugs is None:
        slugs = frozenset(session.scalars(select(RiskFactor.slug)))
        cache.put(generation, "factor-slugs", slugs)
    return slugs


def _cache_key(query: SearchQuery) -> tuple[Hashable, ...]:
    return (
        query.factor,
        query.text,
        tuple(sorted(query.facets.items())),
        query.min_evidence,
        query.page,
        query.per_page,
    )


def _factor_counts_from_index() -> dict[str, int]:
    """Published tools per risk factor, as the index sees them (one cheap request)."""
    answer = meili().search(index_uid(), {"q": "", "limit": 0, "facets": ["risk_factors"]})
    return dict(answer.get("facetDistribution", {}).get("risk_factors", {}))


# -- degraded path: the same query on PostgreSQL --------------------------------------------

_SCALAR_COLUMNS = {
    "modality": Tool.modality,
    "sessions": Tool.sessions,
    "kind": Tool.kind,
    "evidence_level": Tool.evidence_level,
}
_ARRAY_COLUMNS = {"stages": Tool.stages, "setting": Tool.setting}


def _conditions(query: SearchQuery, skip: str | None = None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Tool.status == PUBLISHED]
    if query.factor:
        conditions.append(
            Tool.id.in_(
                select(tool_risk_factors.c.tool_id)
                .join(RiskFactor)
                .where(RiskFactor.slug == query.factor)
            )
        )
    for attribute, value in query.facets.items():
        if attribute in _SCALAR_COLUMNS:
            column = _SCALAR_COLUMNS[attribute]
            conditions.append(column == (int(value) if attribute == "evidence_level" else value))
        elif attribute in _ARRAY_COLUMNS:
            conditions.append(any_(_ARRAY_COLUMNS[attribute]) == value)  # value = ANY(column)
    if query.min_evidence:
        conditions.append(Tool.evidence_level >= query.min_evidence)
    if query.text:
        document = func.to_tsvector(
            "french",
            func.concat_ws(
                " ",
                Tool.title,
                Tool.summary,
                Tool.protective_factors,
                Tool.precautions,
                Tool.instructions,
            ),
        )
        words = func.plainto_tsquery("french", query.text)
        conditions.append(or_(document.op("@@")(words), Tool.title.ilike(f"%{_like(query.text)}%")))
    return conditions


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _score_expr(factor: str | None) -> ColumnElement[float]:
    key = factor or "_"
    return cast(func.coalesce(Tool.scores[key].astext, Tool.scores["_"].astext, "0"), Float)


def search_database(session: Session, query: SearchQuery) -> SearchResult:
    conditions = and_(*_conditions(query))
    total = session.scalar(select(func.count()).select_from(Tool).where(conditions)) or 0
    ratings = (
        select(Feedback.tool_id, func.avg(Feedback.rating).label("avg"), func.count().label("n"))
        .group_by(Feedback.tool_id)
        .subquery()
    )
    rows = session.execute(
        select(Tool, ratings.c.avg, ratings.c.n, _score_expr(query.factor).label("score"))
        .outerjoin(ratings, ratings.c.tool_id == Tool.id)
        .where(conditions)
        .order_by(_score_expr(query.factor).desc(), Tool.id.asc())
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).all()
    hits = [_hit(tool, avg, n, score) for tool, avg, n, score in rows]
    return SearchResult(
        hits, total, facet_counts_database(session, query), query.page, query.per_page
    )


def _hit(tool: Tool, avg: Decimal | None, n: int | None, score: float) -> dict[str, Any]:
    return {
        "id": tool.id,
        "slug": tool.slug,
        "title": tool.title,
        "summary": tool.summary,
        "risk_factors": tool.risk_factor_slugs,
        "stages": list(tool.stages),
        "kind": tool.kind,
        "modality": tool.modality,
        "sessions": tool.sessions,
        "minutes_per_session": tool.minutes_per_session,
        "preparation_minutes": tool.preparation_minutes,
        "evidence_level": tool.evidence_level,
        "not_recommended": tool.not_recommended,
        "rating_average": round(float(avg), 2) if avg is not None else None,
        "rating_count": n or 0,
        "supports_count": len(tool.supports),
        "score": float(score),
    }


def facet_counts_database(session: Session, query: SearchQuery) -> dict[str, dict[str, int]]:
    """Counts per facet value over the filtered set, as Meilisearch's facetDistribution."""
    conditions = and_(*_conditions(query))
    counts: dict[str, dict[str, int]] = {}
    for attribute in SIDEBAR_FACETS:
        stmt: Select[tuple[Any, int]]
        if attribute == "risk_factors":
            stmt = (
                select(RiskFactor.slug, func.count())
                .select_from(Tool)
                .join(tool_risk_factors, tool_risk_factors.c.tool_id == Tool.id)
                .join(RiskFactor, RiskFactor.id == tool_risk_factors.c.risk_factor_id)
                .where(conditions)
                .group_by(RiskFactor.slug)
            )
        elif attribute in _ARRAY_COLUMNS:
            value = func.unnest(_ARRAY_COLUMNS[attribute]).label("v")
            inner = select(value).where(conditions).subquery()
            stmt = select(inner.c.v, func.count()).group_by(inner.c.v)
        else:
            column = _SCALAR_COLUMNS[attribute]
            stmt = (
                select(column, func.count()).where(conditions, column.is_not(None)).group_by(column)
            )
        rows = session.execute(stmt).all()
        counts[attribute] = {str(v): c for v, c in sorted(rows, key=lambda r: (-r[1], str(r[0])))}
    return counts


def factor_counts_database(session: Session) -> dict[str, int]:
    return facet_counts_database(session, SearchQuery())["risk_factors"]
