"""Relevance of the search service on the demo catalogue: NDCG@10 and good first results.

    python -m bench.relevance [--json]

The judged queries are in bench/relevance_queries.yaml (what officers type, graded 0-3 from the
tools' content). The script builds a private copy of the demo catalogue: database
`romin_relevance` (dropped and recreated), migrated, seeded with app/demo/catalogue.yaml, and a
Meilisearch index `bench_relevance` rebuilt from it with the app's own settings and documents.
Each query then goes through `app.search.service.search`, the function behind the search page
and the API, in-process, and its first 10 hits are scored against the judgments.

Per query: NDCG@10 (gain 2^grade - 1, ideal order from the judgments) and whether the first
hit is judged relevant (grade >= 2); then the means, overall and per kind of query. The index
is deleted at the end; the database stays for inspection until the next run.

Deterministic: scores carry a freshness signal computed against the stored prior's reference
date, which the seed sets to today, so the seed runs with today pinned (SCORE_TODAY); ties in
the index break on tool id, assigned in the file's order.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from unittest import mock

import yaml

from bench.catalogue import bench_url, ensure_env, recreate_database, url_string

QUERIES_FILE = Path(__file__).resolve().parent / "relevance_queries.yaml"
DATABASE = "romin_relevance"
INDEX = "bench_relevance"
DEPTH = 10
GOOD_GRADE = 2
KINDS = ("factor", "need", "stage", "phase", "combo", "text")
# After every last_review of the demo catalogue: the freshness signal is the same on any day.
SCORE_TODAY = date(2026, 7, 1)


# --------------------------------------------------------------------------- judgments


@dataclass(frozen=True)
class JudgedQuery:
    query: str
    kind: str
    intent: str
    judgments: dict[str, int]


def load_queries(path: Path, known_slugs: set[str]) -> list[JudgedQuery]:
    """The judged set, checked: a typo in a slug would silently count as an irrelevant tool."""
    with open(path, encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)["queries"]
    problems, queries, seen = [], [], set()
    for number, entry in enumerate(entries, 1):
        where = f"requête n° {number} ({entry.get('query')!r})"
        missing = {"query", "kind", "intent", "judgments"} - set(entry)
        if missing:
            problems.append(f"{where} : champ(s) manquant(s) {sorted(missing)}")
            continue
        if entry["query"] in seen:
            problems.append(f"{where} : requête en double")
        seen.add(entry["query"])
        if entry["kind"] not in KINDS:
            problems.append(f"{where} : kind inconnu {entry['kind']!r}")
        for slug, grade in entry["judgments"].items():
            if slug not in known_slugs:
                problems.append(f"{where} : outil inconnu {slug!r}")
            if grade not in (1, 2, 3):
                problems.append(f"{where} : note {grade!r} pour {slug} (1, 2 ou 3)")
        queries.append(
            JudgedQuery(
                **{k: entry[k] for k in ("query", "kind", "intent")},
                judgments=dict(entry["judgments"]),
            )
        )
    if problems:
        raise SystemExit(f"{path.name} invalide :\n  " + "\n  ".join(problems))
    return queries


# --------------------------------------------------------------------------- metrics


def dcg(grades: list[int]) -> float:
    """Discounted cumulative gain with exponential gains: a 3 weighs 7, a 2 weighs 3, a 1 one."""
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg(ranked_slugs: list[str], judgments: dict[str, int], depth: int = DEPTH) -> float:
    """DCG of the answer over DCG of the best possible order of the judged tools."""
    ideal = dcg(sorted(judgments.values(), reverse=True)[:depth])
    if ideal == 0:
        return 0.0
    return dcg([judgments.get(slug, 0) for slug in ranked_slugs[:depth]]) / ideal


@dataclass
class QueryOutcome:
    query: str
    kind: str
    resolved_factor: str | None
    total: int
    ndcg: float
    first_good: bool
    top: list[dict]  # {"slug", "grade"} of the first DEPTH hits, best first


def evaluate(
    judged: JudgedQuery, slugs: list[str], resolved: str | None, total: int
) -> QueryOutcome:
    """One query's figures from the slugs the service returned, best first."""
    return QueryOutcome(
        query=judged.query,
        kind=judged.kind,
        resolved_factor=resolved,
        total=total,
        ndcg=round(ndcg(slugs, judged.judgments), 4),
        first_good=bool(slugs) and judged.judgments.get(slugs[0], 0) >= GOOD_GRADE,
        top=[{"slug": slug, "grade": judged.judgments.get(slug, 0)} for slug in slugs[:DEPTH]],
    )


def summarise(outcomes: list[QueryOutcome]) -> dict:
    """Mean NDCG@10 and share of good first results, overall and per kind."""

    def figures(group: list[QueryOutcome]) -> dict:
        good = sum(o.first_good for o in group)
        return {
            "queries": len(group),
            "ndcg_at_10": round(sum(o.ndcg for o in group) / len(group), 4),
            "first_good": good,
            "first_good_share": round(good / len(group), 4),
        }

    by_kind: dict[str, list[QueryOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    return {
        "all": figures(outcomes),
        "by_kind": {kind: figures(by_kind[kind]) for kind in KINDS if by_kind[kind]},
    }


# --------------------------------------------------------------------------- services


def make_app(supports_dir: str):
    """The app pointed at the private database and index; no NOTIFY listener thread, as the
    script is the only writer and reads the generation from the database."""
    from app.config import Config
    from app.factory import create_app

    return create_app(
        Config(
            SQLALCHEMY_DATABASE_URI=url_string(bench_url(name=DATABASE)),
            MEILI_INDEX=INDEX,
            SUPPORTS_DIR=supports_dir,
            SEARCH_GENERATION_LISTENER=False,
        )
    )


def build_catalogue(app, log) -> int:
    """Migrate, seed the demo catalogue, rebuild the index; returns the indexed tool count.

    Pushes after commit are switched off for the seed: the rebuild that follows sends every
    document with the index settings in one go (as `romin index rebuild` does).
    """
    from alembic import command

    from app.db import db
    from app.db_commands import alembic_config
    from app.demo.seed import seed
    from app.index_sync.operations import rebuild_index

    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration otherwise
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        db.session.info["romin_sync"] = False
        # the seed's prior (app.catalogue.scores.new_prior) takes today as its reference date
        with mock.patch("app.catalogue.scores.date", _PinnedDate):
            report = seed(db.session)
        db.session.commit()
        log(f"catalogue : {report.tools_created} outils, {report.feedback} avis")
        count = rebuild_index(db.session)
        db.session.commit()
        log(f"index {INDEX} : {count} outils")
        return count


class _PinnedDate(date):
    """`date` whose today() is SCORE_TODAY, for the scores computed during the seed."""

    @classmethod
    def today(cls):
        return SCORE_TODAY


def delete_index(app) -> None:
    """Leave Meilisearch as found: the index is rebuilt from the database at every run."""
    from app.index_sync.client import meili
    from indexer.client import MeiliError

    with app.app_context():
        try:
            meili().run("DELETE", f"/indexes/{INDEX}")
        except MeiliError as exc:
            if exc.code != "index_not_found":
                raise


def run_queries(app, queries: list[JudgedQuery]) -> list[QueryOutcome]:
    """Each query through the search service, as the page and the API call it."""
    from app.db import db
    from app.search.service import search
    from indexer.search import SearchQuery

    outcomes = []
    with app.app_context():
        for judged in queries:
            answer = search(db.session, SearchQuery(text=judged.query, per_page=DEPTH))
            if answer.degraded:  # PostgreSQL's order would be measured, not Meilisearch's
                raise SystemExit(f"recherche dégradée (PostgreSQL) pour {judged.query!r}")
            slugs = [hit["slug"] for hit in answer.result.hits]
            outcomes.append(evaluate(judged, slugs, answer.resolved_factor, answer.result.total))
    return outcomes


# --------------------------------------------------------------------------- report


def print_report(outcomes: list[QueryOutcome], summary: dict) -> None:
    print(f"\n{'kind':<7} {'query':<28} {'→ facteur':<13} {'NDCG@10':>7}  1er résultat")
    for o in outcomes:
        first = f"{o.top[0]['slug']} ({o.top[0]['grade']})" if o.top else "(aucun)"
        mark = "ok" if o.first_good else "--"
        print(
            f"{o.kind:<7} {o.query[:28]:<28} {o.resolved_factor or '':<13} "
            f"{o.ndcg:7.3f}  {mark} {first}"
        )
    print(f"\n{'':<7} {'requêtes':>8} {'NDCG@10':>8} {'1er bon':>9}")
    rows = [("toutes", summary["all"]), *summary["by_kind"].items()]
    for name, fig in rows:
        share = f"{fig['first_good']}/{fig['queries']}"
        print(f"{name:<7} {fig['queries']:>8} {fig['ndcg_at_10']:>8.3f} {share:>9}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="JSON on stdout instead of a table")
    args = parser.parse_args(argv)
    log = (lambda message: print(message, file=sys.stderr)) if args.json else print

    from app.demo.seed import load_demo

    known = {tool["slug"] for tool in load_demo()["tools"]}
    queries = load_queries(QUERIES_FILE, known)
    ensure_env()
    recreate_database(DATABASE)
    with tempfile.TemporaryDirectory(prefix="romin-relevance-") as supports_dir:
        app = make_app(supports_dir)
        try:
            build_catalogue(app, log)
            outcomes = run_queries(app, queries)
        finally:
            delete_index(app)
    summary = summarise(outcomes)
    if args.json:
        print(
            json.dumps(
                {"summary": summary, "queries": [asdict(o) for o in outcomes]},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print_report(outcomes, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
