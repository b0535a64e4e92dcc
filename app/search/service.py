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
from sqlalchemy import ColumnElement, Float, Select, and_, any_, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from app.catalogue.rank_explanation import explain_hit
from app.catalogue.risk_factors import all_factors
from app.catalogue.scores import current_weights
from app.core import vocabulary as v
from app.core.vocabulary import PUBLISHED
from app.db import like_pattern
from app.index_sync.client import index_uid, meili
from app.index_sync.generation import current_generation
from app.models import Feedback, RiskFactor, Tool, tool_risk_factors
from app.search.reading import Name, Reading, names_for, read
from indexer.client import MeiliError, MeiliUnavailable
from indexer.search import (
    FURTHER_DOWN,
    IN_TITLE_OR_SUMMARY,
    SIDEBAR_FACETS,
    SearchQuery,
    SearchResult,
    run_search,
)
from ranking import Weights

log = logging.getLogger(__name__)


@dataclass
class SearchAnswer:
    query: SearchQuery
    result: SearchResult
    degraded: bool = False
    # set when the text typed named a risk factor
    resolved_factor: str | None = None
    typed_text: str = ""
    factor_counts: dict[str, int] = field(default_factory=dict)
    # how the typed text was read: the filters it named, the words that still rank
    reading: Reading | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.result.total // self.query.per_page))

    @property
    def content_gap(self) -> bool:
        """Words ranked within the filters and no tool of the set matches them: what officers
        look for and the catalogue lacks (counted in the statistics)."""
        return bool(self.query.keep_rest and self.query.text and self.result.matched_total == 0)


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
    """The risk factor this text names, if it names one (the statistics read a referring
    search's factor with it)."""
    return read(text, query_names(session)).filters.get("factor")


def query_names(session: Session) -> list[Name]:
    """Every way of naming a factor, a stage or a phase, cached per index generation: a
    curator's edit of a factor's label or synonyms moves the generation in its own commit."""
    generation, cache = current_generation(session), _cache()
    names: list[Name] | None = cache.get(generation, "query-names")
    if names is None:
        names = []
        for factor in all_factors(session):
            names += names_for(
                "factor", factor.slug, factor.label, list(factor.synonyms), synonyms_rank=True
            )
        for kind, terms, synonyms in (
            ("stage", v.STAGES, v.STAGE_SYNONYMS),
            ("phase", v.PHASES, v.PHASE_SYNONYMS),
        ):
            for term in terms:
                names += names_for(
                    kind, term.slug, term.label, synonyms.get(term.slug, ()), synonyms_rank=False
                )
        cache.put(generation, "query-names", names)
    return names


# what a filter named in the text becomes in the query (index attribute of the facet)
_NAMED_FACETS = {"stage": "stages", "phase": "phase"}


def interpret(
    session: Session, query: SearchQuery, *, as_text: bool
) -> tuple[SearchQuery, Reading | None]:
    """The query the officer means. Unless `as_text`, a factor, a stage or a phase the text
    names becomes its filter (unless one is chosen already) and the other words still rank.
    Words beside a factor, a stage or a phase rank within them: the tools matching the words
    first, then the rest of the set (`keep_rest`)."""
    reading = None
    if query.text.strip() and not as_text:
        chosen = {"factor": bool(query.factor)}
        chosen.update({kind: bool(query.facets.get(a)) for kind, a in _NAMED_FACETS.items()})
        # a kind already chosen is not read from the text: its words stay words
        names = [n for n in query_names(session) if not chosen[n.kind]]
        reading = read(query.text, names)
        facets = dict(query.facets)
        for kind, slug in reading.filters.items():
            if kind != "factor":
                facets[_NAMED_FACETS[kind]] = (slug,)
        factor = query.factor or reading.filters.get("factor")
        query = replace(query, factor=factor, facets=facets, text=reading.kept)
    # the words rank within the factor (chosen or named), or within what the text named; a
    # stage ticked beside free words keeps them searching, so the sidebar's counts hold
    criteria = bool(query.factor or (reading is not None and reading.filters))
    return replace(query, keep_rest=bool(query.text) and criteria and not as_text), reading


def search(session: Session, query: SearchQuery, *, as_text: bool = False) -> SearchAnswer:
    """Run a query as the officer means it (see `interpret`), best first."""
    typed = query.text.strip()
    chosen_factor = query.factor
    query, reading = interpret(session, replace(query, text=typed), as_text=as_text)
    resolved = query.factor if query.factor and query.factor != chosen_factor else None
    key = _cache_key(query)
    generation = current_generation(session)
    cache = _cache()
    if query.factor and query.factor not in factor_slugs(session):
        empty = SearchResult(
            [], 0, {name: {} for name in SIDEBAR_FACETS}, query.page, query.per_page
        )
        return SearchAnswer(query, empty, False, resolved, typed, {}, reading)
    try:
        result: SearchResult | None = cache.get(generation, key)
        if result is None:
            result = run_search(meili(), index_uid(), query)
            cache.put(generation, key, result)
        counts: dict[str, int] | None = cache.get(generation, "factor-counts")
        if counts is None:
            counts = _factor_counts_from_index()
            cache.put(generation, "factor-counts", counts)
        return SearchAnswer(query, result, False, resolved, typed, counts, reading)
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
            reading,
        )


def factor_slugs(session: Session) -> frozenset[str]:
    """Known risk factor slugs, cached with the answers (a factor edit bumps the generation)."""
    generation, cache = current_generation(session), _cache()
    slugs: frozenset[str] | None = cache.get(generation, "factor-slugs")
    if slugs is None:
        slugs = frozenset(session.scalars(select(RiskFactor.slug)))
        cache.put(generation, "factor-slugs", slugs)
    return slugs


def explanation_context(session: Session) -> tuple[dict[str, str], Weights]:
    """What « Pourquoi ce rang ? » needs besides the hits: the factors' labels (in the order
    officers see them, which the search page lists too) and the ranking weights in force, cached with the answers (a factor edit or new weights, which recompute
    every score, bump the generation)."""
    generation, cache = current_generation(session), _cache()
    context: tuple[dict[str, str], Weights] | None = cache.get(generation, "explanation")
    if context is None:
        labels = dict(
            session.execute(select(RiskFactor.slug, RiskFactor.label).order_by(RiskFactor.position))
            .tuples()
            .all()
        )
        context = (labels, current_weights(session))
        cache.put(generation, "explanation", context)
    return context


def hit_reasons(session: Session, answer: SearchAnswer) -> list[list[str]]:
    """« Pourquoi ce rang ? » for each hit, in order, cached with the answer (same query, same
    generation; never for a degraded answer): the page and the API show them on every hit, and a
    repeated query then builds no sentence again."""
    labels, weights = explanation_context(session)
    query = answer.query

    def build() -> list[list[str]]:
        factor_label = labels.get(query.factor) if query.factor else None
        return [
            explain_hit(
                hit,
                factor_label=factor_label,
                words=query.text,
                words_within_filters=query.keep_rest,
                weights=weights,
            )
            for hit in answer.result.hits
        ]

    if answer.degraded:
        return build()
    generation, cache = current_generation(session), _cache()
    key = ("why", _cache_key(query))
    reasons: list[list[str]] | None = cache.get(generation, key)
    if reasons is None:
        reasons = build()
        cache.put(generation, key, reasons)
    return reasons


def _cache_key(query: SearchQuery) -> tuple[Hashable, ...]:
    return (
        query.factor,
        query.text,
        tuple(sorted(query.facets.items())),
        query.min_evidence,
        query.keep_rest,
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
    "phase": Tool.phase,
    "evidence_level": Tool.evidence_level,
}
_ARRAY_COLUMNS = {
    "stages": Tool.stages,
    "setting": Tool.setting,
    "responsivity": Tool.responsivity,
}


def _evidence_expr(factor: str | None) -> ColumnElement[int]:
    """A tool's evidence level for the searched factor (its own, else the tool's), as the index
    holds it in `factor_evidence_<slug>`; the tool's without a factor."""
    if not factor:
        return Tool.evidence_level.expression
    own = (
        select(tool_risk_factors.c.evidence_level)
        .join(RiskFactor, RiskFactor.id == tool_risk_factors.c.risk_factor_id)
        .where(tool_risk_factors.c.tool_id == Tool.id, RiskFactor.slug == factor)
        .scalar_subquery()
    )
    return func.coalesce(own, Tool.evidence_level)


def _facet_condition(
    attribute: str, values: tuple[str, ...], factor: str | None = None
) -> ColumnElement[bool]:
    """One facet group: any of its values (OR); the evidence level is the factor's."""
    if attribute == "evidence_level":
        return _evidence_expr(factor).in_([int(v) for v in values])
    if attribute in _SCALAR_COLUMNS:
        return _SCALAR_COLUMNS[attribute].in_(list(values))
    return or_(*(any_(_ARRAY_COLUMNS[attribute]) == value for value in values))


def _text_match(text: str, headline: bool = False) -> ColumnElement[bool]:
    """The words, as PostgreSQL's French full text reads them, or the title containing them;
    `headline`: in the title or the summary only (what the tool is about)."""
    fields = [Tool.title, Tool.summary]
    if not headline:
        fields += [Tool.protective_factors, Tool.precautions, Tool.instructions]
    document = func.to_tsvector("french", func.concat_ws(" ", *fields))
    words = func.plainto_tsquery("french", text)
    return or_(document.op("@@")(words), Tool.title.ilike(like_pattern(text), escape="\\"))


def _conditions(query: SearchQuery, without: str | None = None) -> list[ColumnElement[bool]]:
    """The filtered set; `without` leaves a facet group out (its own counts). Words restrict
    the set unless they rank within it (`keep_rest`)."""
    conditions: list[ColumnElement[bool]] = [Tool.status == PUBLISHED]
    if query.factor:
        conditions.append(
            Tool.id.in_(
                select(tool_risk_factors.c.tool_id)
                .join(RiskFactor)
                .where(RiskFactor.slug == query.factor)
            )
        )
    for attribute, values in query.facets.items():
        if (
            values
            and attribute != without
            and (attribute in _SCALAR_COLUMNS or attribute in _ARRAY_COLUMNS)
        ):
            conditions.append(_facet_condition(attribute, values, query.factor))
    if query.min_evidence:
        conditions.append(_evidence_expr(query.factor) >= query.min_evidence)
    if query.text and not query.keep_rest:
        conditions.append(_text_match(query.text))
    return conditions


def _score_expr(factor: str | None) -> ColumnElement[float]:
    key = factor or "_"
    return cast(func.coalesce(Tool.scores[key].astext, Tool.scores["_"].astext, "0"), Float)


def search_database(session: Session, query: SearchQuery) -> SearchResult:
    """The same query on PostgreSQL, in Meilisearch's order: the tier, then (when words rank
    within the filters) the tools matching them, then the score."""
    conditions = and_(*_conditions(query))
    total = session.scalar(select(func.count()).select_from(Tool).where(conditions)) or 0
    ratings = (
        select(Feedback.tool_id, func.avg(Feedback.rating).label("avg"), func.count().label("n"))
        .group_by(Feedback.tool_id)
        .subquery()
    )
    matched: ColumnElement[bool] | None = None
    headline: ColumnElement[bool] | None = None
    matched_total: int | None = total if query.text else None
    order: list[Any] = [Tool.not_recommended.asc()]
    if query.text and query.keep_rest:
        matched = _text_match(query.text)
        headline = _text_match(query.text, headline=True)
        order += [headline.desc(), matched.desc()]
        matched_total = (
            session.scalar(select(func.count()).select_from(Tool).where(conditions, matched)) or 0
        )
    order += [_score_expr(query.factor).desc(), Tool.id.asc()]
    rows = session.execute(
        select(
            Tool,
            ratings.c.avg,
            ratings.c.n,
            _score_expr(query.factor).label("score"),
            (matched if matched is not None else literal(bool(query.text) or None)).label("m"),
            (headline if headline is not None else literal(None)).label("h"),
            _evidence_expr(query.factor).label("e"),
        )
        .outerjoin(ratings, ratings.c.tool_id == Tool.id)
        .where(conditions)
        .order_by(*order)
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).all()
    hits = [_hit(tool, avg, n, score, m, h, evidence=e) for tool, avg, n, score, m, h, e in rows]
    return SearchResult(
        hits,
        total,
        facet_counts_database(session, query),
        query.page,
        query.per_page,
        matched_total,
    )


def _hit(
    tool: Tool,
    avg: Decimal | None,
    n: int | None,
    score: float,
    matched: bool | None,
    headline: bool | None = None,
    *,
    evidence: int | None = None,
) -> dict[str, Any]:
    """A hit as Meilisearch's path builds it (`headline`: whether the words that rank within the
    filters are in the title or summary; None when they do not rank within filters)."""
    return {
        "id": tool.id,
        "slug": tool.slug,
        "title": tool.title,
        "summary": tool.summary,
        "risk_factors": tool.risk_factor_slugs,
        "stages": list(tool.stages),
        "kind": tool.kind,
        "phase": tool.phase,
        "modality": tool.modality,
        "sessions": tool.sessions,
        "minutes_per_session": tool.minutes_per_session,
        "preparation_minutes": tool.preparation_minutes,
        # the searched factor's level (as Meilisearch's path swaps it in)
        "evidence_level": tool.evidence_level if evidence is None else evidence,
        "not_recommended": tool.not_recommended,
        "tier": 0 if tool.not_recommended else 1,
        "rating_average": round(float(avg), 2) if avg is not None else None,
        "rating_count": n or 0,
        "supports_count": len(tool.supports),
        "score": float(score),
        "matched": matched,
        "matched_in": None
        if headline is None or not matched
        else (IN_TITLE_OR_SUMMARY if headline else FURTHER_DOWN),
    }


def facet_counts_database(session: Session, query: SearchQuery) -> dict[str, dict[str, int]]:
    """Counts per facet value, as Meilisearch's facetDistribution: a group with a selection is
    counted without it (its other values keep their count), every other over the set."""
    counts: dict[str, dict[str, int]] = {}
    for attribute in SIDEBAR_FACETS:
        conditions = and_(*_conditions(query, without=attribute))
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
            column = (
                _evidence_expr(query.factor)
                if attribute == "evidence_level"
                else _SCALAR_COLUMNS[attribute]
            )
            stmt = (
                select(column, func.count()).where(conditions, column.is_not(None)).group_by(column)
            )
        rows = session.execute(stmt).all()
        counts[attribute] = {str(v): c for v, c in sorted(rows, key=lambda r: (-r[1], str(r[0])))}
    return counts


def factor_counts_database(session: Session) -> dict[str, int]:
    return facet_counts_database(session, SearchQuery())["risk_factors"]
