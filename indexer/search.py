"""Search requests to the tools index: hits best first, facet counts and the total.

Three shapes of query, all ordered by tier first (a *non recommandé* tool after every
recommended one: the `tier:desc` ranking rule, see `settings.py`):
- filters only (a risk factor, facets): the factor's score, best first; one request.
- words only: Meilisearch's relevance, then the score; one request.
- words kept beside filters the text named (`keep_rest`, "colère" within *Personnalité
  antisociale*): within each tier, the tools that match the words first, best first (those
  whose title or summary holds them before those that mention them further down), then the
  rest of the filtered set, best first. The set is cut in segments: a first multi-search
  counts each segment, a second one (only when the page reaches a segment that leaves tools
  out) reads the ids to leave out, a last one the page's hits.

Facet counts follow the selection: values of one group combine with OR, groups with AND, and a
group's counts are computed without its own selection (so its other values keep their count).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from indexer import filters
from indexer.client import MeiliClient
from indexer.settings import EVIDENCE_PREFIX, MAX_TOTAL_HITS, evidence_field, score_field

# Facets shown to officers (index attribute names).
SIDEBAR_FACETS = (
    "risk_factors",
    "stages",
    "phase",
    "modality",
    "sessions",
    "kind",
    "evidence_level",
    "setting",
    "responsivity",
)
NUMERIC_FACETS = frozenset({"evidence_level"})
HIT_ATTRIBUTES = (
    "id",
    "slug",
    "title",
    "summary",
    "risk_factors",
    "stages",
    "kind",
    "phase",
    "modality",
    "sessions",
    "minutes_per_session",
    "preparation_minutes",
    "evidence_level",
    "not_recommended",
    "tier",
    "rating_average",
    "rating_count",
    "supports_count",
    "score",
)
# the text-matching part of a tool; a factor's names are left out when words rank within the
# factor they named ("colère" is one of its synonyms: every tool of the factor would match)
TEXT_ATTRIBUTES = ("title", "summary", "protective_factors", "precautions", "instructions")
# what a tool is about: the words there put it before a tool that only mentions them
HEADLINE_ATTRIBUTES = ("title", "summary")
# a tool matches the words that rank beside a filter when it holds every one of them (typos
# tolerated): "jeu d'argent" is not matched by a "jeu de rôle", and finding nothing is a
# content gap; PostgreSQL's plainto_tsquery in the fallback also asks for every word
MATCH_EVERY_WORD = "all"


@dataclass(frozen=True)
class SearchQuery:
    factor: str | None = None
    text: str = ""
    # index attribute -> the values selected (OR within a group, AND across groups)
    facets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_evidence: int | None = None
    page: int = 1
    per_page: int = 20
    # the words rank within the filters instead of restricting them: the set is every tool the
    # filters keep, those matching the words first (the words came beside a factor, a stage or
    # a phase the text named)
    keep_rest: bool = False

    def __post_init__(self) -> None:
        # a group given one value alone ("action") is the group of that one value
        facets = {
            attribute: (values,) if isinstance(values, str) else tuple(values)
            for attribute, values in self.facets.items()
        }
        object.__setattr__(self, "facets", facets)


@dataclass
class SearchResult:
    hits: list[dict[str, Any]]
    total: int
    facets: dict[str, dict[str, int]]
    page: int
    per_page: int
    # how many tools of the set match the words (None: no words, or every hit matches them)
    matched_total: int | None = None


def _group(attribute: str, values: tuple[str, ...]) -> str:
    if attribute in NUMERIC_FACETS or attribute.startswith(EVIDENCE_PREFIX):
        numbers = [str(int(v)) for v in values]
        if len(numbers) == 1:
            return f"{attribute} = {numbers[0]}"
        return f"{attribute} IN [{', '.join(numbers)}]"
    if len(values) == 1:
        return filters.equals(attribute, values[0])
    return filters.any_of(attribute, list(values))


def _attribute(query: SearchQuery, attribute: str) -> str:
    """The index attribute behind a facet: the evidence level is the searched factor's own."""
    return evidence_field(query.factor) if attribute == "evidence_level" else attribute


def _facet_names(query: SearchQuery) -> list[str]:
    return [_attribute(query, a) for a in SIDEBAR_FACETS]


def _conditions(query: SearchQuery, without: str | None = None) -> list[str]:
    """The filter's parts; `without` leaves one facet group out (its own counts). When a factor
    is searched, the evidence level filtered on (its facet, `min_evidence`) is the factor's."""
    conditions = []
    if query.factor:
        conditions.append(filters.equals("risk_factors", query.factor))
    for attribute, values in sorted(query.facets.items()):
        if values and attribute != without:
            conditions.append(_group(_attribute(query, attribute), values))
    if query.min_evidence:
        conditions.append(filters.at_least(_attribute(query, "evidence_level"), query.min_evidence))
    return conditions


def _with_filter(body: dict[str, Any], conditions: list[str]) -> dict[str, Any]:
    expression = filters.all_of(conditions)
    if expression:
        body["filter"] = expression
    return body


def _sort(query: SearchQuery) -> list[str]:
    return [f"{score_field(query.factor)}:desc", "id:asc"]


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The POST body of a one-request query (filters only, or words only): quoted, escaped."""
    body: dict[str, Any] = {
        "q": query.text,
        "facets": _facet_names(query),
        "page": query.page,
        "hitsPerPage": query.per_page,
        "attributesToRetrieve": _retrieved(query),
    }
    if not query.text:  # words rank by relevance first; without words, by the score
        body["sort"] = _sort(query)
    return _with_filter(body, _conditions(query))


def _retrieved(query: SearchQuery) -> list[str]:
    """A hit's attributes, with the searched factor's score and evidence level (see `_hit`)."""
    return [*HIT_ATTRIBUTES, score_field(query.factor), evidence_field(query.factor)]


def _facet_queries(query: SearchQuery, text: str) -> list[dict[str, Any]]:
    """One count-only request per facet group with a selection, without that selection."""
    return [
        _with_filter(
            {"q": text, "limit": 0, "facets": [_attribute(query, attribute)]},
            _conditions(query, without=attribute),
        )
        for attribute, values in sorted(query.facets.items())
        if values
    ]


def _merge_facets(
    main: dict[str, Any], own: list[dict[str, Any]], query: SearchQuery
) -> dict[str, dict[str, int]]:
    """The counts per facet, by the facets' names (the searched factor's evidence levels are
    counted as `evidence_level`)."""
    names = {_attribute(query, a): a for a in SIDEBAR_FACETS}
    facets = {
        names.get(name, name): dict(values)
        for name, values in (main.get("facetDistribution") or {}).items()
    }
    for answer in own:
        for name, values in (answer.get("facetDistribution") or {}).items():
            facets[names.get(name, name)] = dict(values)
    return facets


# where a tool holds the words that rank (a hit's "matched_in"), when words rank within filters
IN_TITLE_OR_SUMMARY = "title_or_summary"
FURTHER_DOWN = "further_down"


def _hit(
    raw: dict[str, Any],
    score_key: str,
    matched: bool | None,
    matched_in: str | None = None,
    *,
    evidence_key: str = "evidence_level",
) -> dict[str, Any]:
    """A hit as the app reads it: its `score` and `evidence_level` are the searched factor's."""
    hit = dict(raw)
    hit["score"] = hit.pop(score_key, hit.get("score"))
    hit["evidence_level"] = hit.pop(evidence_key, hit.get("evidence_level"))
    hit["matched"] = matched
    hit["matched_in"] = matched_in
    return hit


def run_search(client: MeiliClient, index_uid: str, query: SearchQuery) -> SearchResult:
    if query.text and query.keep_rest:
        if query.page * query.per_page <= AT_ONCE_UP_TO:
            return _run_segmented_at_once(client, index_uid, query)
        return _run_segmented(client, index_uid, query)
    answers = client.multi_search(
        [search_body(query), *_facet_queries(query, query.text)], index_uid
    )
    main, own = answers[0], answers[1:]
    matched = True if query.text else None
    score_key, evidence_key = score_field(query.factor), evidence_field(query.factor)
    hits = [_hit(h, score_key, matched, evidence_key=evidence_key) for h in main["hits"]]
    total = main.get("totalHits", 0)
    return SearchResult(
        hits,
        total,
        _merge_facets(main, own, query),
        query.page,
        query.per_page,
        total if query.text else None,
    )


@dataclass(frozen=True)
class _Segment:
    """A run of the ordered set, in one tier: the tools whose title or summary holds the words
    (`matching` 2), then those that hold them further down the sheet (1), then the rest (0).
    Segment 1 leaves out the tools of segment 2, segment 0 those of both: the ids to leave out
    are read only when a page reaches that segment."""

    tier: int
    matching: int
    size: int


def _matching_body(query: SearchQuery, attributes: tuple[str, ...]) -> dict[str, Any]:
    return {
        "q": query.text,
        "attributesToSearchOn": list(attributes),
        "matchingStrategy": MATCH_EVERY_WORD,
    }


def _segments(client: MeiliClient, index_uid: str, query: SearchQuery) -> list[_Segment]:
    """Each segment's size, from one multi-search of counts (no hits): per tier, the tools
    matching the words in their title or summary, anywhere in their text, and all of them."""
    base = _conditions(query)
    requests: list[dict[str, Any]] = []
    for tier in (1, 0):
        tier_filter = [*base, f"tier = {tier}"]
        for attributes in (HEADLINE_ATTRIBUTES, TEXT_ATTRIBUTES):
            count = {**_matching_body(query, attributes), "page": 1, "hitsPerPage": 0}
            requests.append(_with_filter(count, tier_filter))
        requests.append(_with_filter({"q": "", "page": 1, "hitsPerPage": 0}, tier_filter))
    totals = [answer.get("totalHits", 0) for answer in client.multi_search(requests, index_uid)]
    segments = []
    for n, tier in enumerate((1, 0)):
        headline, anywhere, everything = totals[3 * n : 3 * n + 3]
        segments += [
            _Segment(tier, 2, headline),
            _Segment(tier, 1, anywhere - headline),
            _Segment(tier, 0, everything - anywhere),
        ]
    return segments


def _excluded_ids(
    client: MeiliClient, index_uid: str, query: SearchQuery, wanted: list[_Segment]
) -> dict[tuple[int, int], list[int]]:
    """For the segments a page reaches that leave tools out, the ids to leave out: segment 1
    of a tier, those matching in the title or summary; segment 0, those matching anywhere."""
    keys = sorted({(s.tier, s.matching) for s in wanted if s.matching < 2}, reverse=True)
    if not keys:
        return {}
    requests = []
    for tier, matching in keys:
        attributes = HEADLINE_ATTRIBUTES if matching == 1 else TEXT_ATTRIBUTES
        body = {**_matching_body(query, attributes), "attributesToRetrieve": ["id"]}
        body["limit"] = MAX_TOTAL_HITS
        requests.append(_with_filter(body, [*_conditions(query), f"tier = {tier}"]))
    answers = client.multi_search(requests, index_uid)
    return {key: [int(hit["id"]) for hit in answer["hits"]] for key, answer in zip(keys, answers)}


def _with_counts(
    client: MeiliClient, index_uid: str, query: SearchQuery, requests: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """`requests` sent in one multi-search with the set's facet counts (and each selected
    group's own): (the counts' answer, the groups' answers, the answers to `requests`)."""
    counts = _with_filter({"q": "", "limit": 0, "facets": _facet_names(query)}, _conditions(query))
    answers = client.multi_search([counts, *_facet_queries(query, ""), *requests], index_uid)
    own_count = len(answers) - 1 - len(requests)
    return answers[0], answers[1 : 1 + own_count], answers[1 + own_count :]


# The first pages of words ranked within filters are read in one round trip (below); deeper
# pages in three (`_run_segmented`), whose requests do not grow with the page's depth.
AT_ONCE_UP_TO = 100


def _run_segmented_at_once(client: MeiliClient, index_uid: str, query: SearchQuery) -> SearchResult:
    """The same set and order as `_run_segmented`, in one multi-search: per tier, the first
    `end` tools (in the final order) matching in the title or summary, matching anywhere, and
    of the whole tier, with their exact counts. A segment is reached by the page only when
    the segments before it hold fewer than `end` tools, so the tools it must leave out (those
    of the segments before) are then all among the ones read: the ids to leave out need no
    round trip of their own, nor do the segments' sizes (three round trips → one; measured
    in bench/, issue 12)."""
    start = (query.page - 1) * query.per_page
    end = start + query.per_page
    lists: list[dict[str, Any]] = []
    for tier in (1, 0):
        tier_filter = [*_conditions(query), f"tier = {tier}"]
        for attributes in (HEADLINE_ATTRIBUTES, TEXT_ATTRIBUTES, None):
            body: dict[str, Any] = _matching_body(query, attributes) if attributes else {"q": ""}
            body.update(
                page=1, hitsPerPage=end, sort=_sort(query), attributesToRetrieve=_retrieved(query)
            )
            lists.append(_with_filter(body, tier_filter))
    main, own, read = _with_counts(client, index_uid, query, lists)
    score_key, evidence_key = score_field(query.factor), evidence_field(query.factor)
    where = {2: IN_TITLE_OR_SUMMARY, 1: FURTHER_DOWN}
    ordered: list[dict[str, Any]] = []  # the set's first `end` tools, in order
    offset = matched_total = 0  # where the next segment starts in the whole set
    for tier in range(2):
        headline, anywhere, everything = read[3 * tier : 3 * tier + 3]
        sizes = [answer.get("totalHits", 0) for answer in (headline, anywhere, everything)]
        # the tier's earlier segments' tools: those matching in the headline, then anywhere
        leave_out: set[int] = set()
        for matching, answer, size in (
            (2, headline, sizes[0]),
            (1, anywhere, sizes[1] - sizes[0]),
            (0, everything, sizes[2] - sizes[1]),
        ):
            if offset < end:
                wanted = min(size, end - offset)
                fresh = [raw for raw in answer["hits"] if int(raw["id"]) not in leave_out][:wanted]
                if len(fresh) < wanted:  # the index moved between the requests: read again
                    return _run_segmented(client, index_uid, query)
                ordered += [
                    _hit(
                        raw, score_key, matching > 0, where.get(matching), evidence_key=evidence_key
                    )
                    for raw in fresh
                ]
                leave_out = {int(raw["id"]) for raw in answer["hits"]}
            offset += size
        matched_total += sizes[1]
    return SearchResult(
        ordered[start:end],
        offset,
        _merge_facets(main, own, query),
        query.page,
        query.per_page,
        matched_total,
    )


def _run_segmented(client: MeiliClient, index_uid: str, query: SearchQuery) -> SearchResult:
    segments = _segments(client, index_uid, query)
    start = (query.page - 1) * query.per_page
    end = start + query.per_page
    windows: list[tuple[_Segment, int, int]] = []  # the page's part of each segment it reaches
    offset = 0
    for segment in segments:
        lo, hi = max(start, offset), min(end, offset + segment.size)
        if lo < hi:
            windows.append((segment, lo - offset, hi - lo))
        offset += segment.size
    excluded = _excluded_ids(client, index_uid, query, [w[0] for w in windows])
    requests: list[dict[str, Any]] = []
    flags: list[int] = []  # each request's segment: 2 title or summary, 1 further down, 0 none
    for segment, skip, count in windows:
        conditions = [*_conditions(query), f"tier = {segment.tier}"]
        leave_out = excluded.get((segment.tier, segment.matching))
        if leave_out:
            conditions.append(f"NOT id IN [{', '.join(str(i) for i in leave_out)}]")
        body: dict[str, Any] = {
            "q": query.text if segment.matching else "",
            "offset": skip,
            "limit": count,
            "sort": _sort(query),
            "attributesToRetrieve": _retrieved(query),
        }
        if segment.matching:
            body["attributesToSearchOn"] = list(
                HEADLINE_ATTRIBUTES if segment.matching == 2 else TEXT_ATTRIBUTES
            )
            body["matchingStrategy"] = MATCH_EVERY_WORD
        requests.append(_with_filter(body, conditions))
        flags.append(segment.matching)
    main, own, pages = _with_counts(client, index_uid, query, requests)
    score_key, evidence_key = score_field(query.factor), evidence_field(query.factor)
    where = {2: IN_TITLE_OR_SUMMARY, 1: FURTHER_DOWN}
    hits = [
        _hit(raw, score_key, matching > 0, where.get(matching), evidence_key=evidence_key)
        for answer, matching in zip(pages, flags)
        for raw in answer["hits"]
    ]
    return SearchResult(
        hits,
        sum(s.size for s in segments),
        _merge_facets(main, own, query),
        query.page,
        query.per_page,
        sum(s.size for s in segments if s.matching),
    )
