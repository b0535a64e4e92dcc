"""Where the time of one API search request goes (in-process, no HTTP, cache warm).

    python -m bench.profile_api [--requests 1000] [--path /api/v1/search?risk_factor=addictions]

Needs the bench catalogue and the bench index (`python -m bench.run --keep-index` leaves it).
Prints: the whole request through Flask's test client; each piece timed alone in a request
context (token lookup, the risk factor list, the index generation, the cached search, JSON
encoding, an empty transaction, the pool's pre-ping); then cProfile's top functions.
Figures for the diagnosis, not tests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time

from sqlalchemy import select, text

from bench.catalogue import bench_url, ensure_env, url_string

INDEX = "bench_tools"
AGENT_EMAIL = "bench-agent@bench.romin.invalid"


def timed(fn, n: int) -> float:
    """Median of `n` calls, in ms."""
    values = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        values.append((time.perf_counter() - start) * 1000)
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one API search request.")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--path", default="/api/v1/search?risk_factor=addictions")
    args = parser.parse_args(argv)
    ensure_env()

    from app.accounts.auth import create_token, user_for_token
    from app.accounts.service import create_user
    from app.catalogue.risk_factors import all_factors
    from app.config import Config
    from app.db import db
    from app.factory import create_app
    from app.index_sync.generation import current_generation
    from app.models import User
    from app.search.service import search
    from indexer.search import SearchQuery

    app = create_app(Config(SQLALCHEMY_DATABASE_URI=url_string(bench_url()), MEILI_INDEX=INDEX))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == AGENT_EMAIL)) or create_user(
            db.session, AGENT_EMAIL, "agent"
        )
        token = create_token(user)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    client = app.test_client()
    n = args.requests
    for _ in range(50):
        assert client.get(args.path, headers=headers).status_code == 200
    page = args.path.replace("/api/v1/search?risk_factor=", "/recherche?facteur=")
    for _ in range(20):
        client.get(page)

    rows = []
    rows.append(
        (
            "whole API request (test client)",
            timed(lambda: client.get(args.path, headers=headers), n),
        )
    )
    rows.append(("whole page request (test client)", timed(lambda: client.get(page), n // 2)))

    query = SearchQuery(factor="addictions", per_page=20)
    with app.test_request_context(args.path, headers=headers):
        session = db.session
        rows.append(("  token lookup (user_for_token)", timed(lambda: user_for_token(token), n)))
        rows.append(("  risk factor list (all_factors)", timed(lambda: all_factors(session), n)))
        rows.append(
            (
                "  index generation (current_generation)",
                timed(lambda: current_generation(session), n),
            )
        )
        rows.append(
            (
                "  search() with a cache hit (incl. generation)",
                timed(lambda: search(session, query), n),
            )
        )
        answer = search(session, query)
        from app.search.api import FACET_NAMES, _hit

        body = {
            "hits": [_hit(h) for h in answer.result.hits],
            "total": answer.result.total,
            "facets": {
                FACET_NAMES[k]: v for k, v in answer.result.facets.items() if k in FACET_NAMES
            },
        }
        rows.append(
            (
                "  response body building (_hit × 20)",
                timed(lambda: [_hit(h) for h in answer.result.hits], n),
            )
        )
        rows.append(
            ("  JSON encoding (app.json.dumps, sort_keys)", timed(lambda: app.json.dumps(body), n))
        )
        rows.append(
            (
                "  JSON encoding (json.dumps, no sort)",
                timed(
                    lambda: __import__("json").dumps(
                        body, separators=(",", ":"), ensure_ascii=False
                    ),
                    n,
                ),
            )
        )
        session.commit()

    factory = app.extensions["romin_db"].session_factory

    def empty_transaction():
        with factory() as s:
            s.execute(text("SELECT 1"))
            s.commit()

    def three_queries_one_session():
        with factory() as s:
            user_for_token_in(s)
            s.execute(text("SELECT generation FROM index_state WHERE name = 'tools'"))
            s.commit()

    def user_for_token_in(s):
        s.execute(text("SELECT 1 FROM api_tokens WHERE token_hash = 'x'"))

    with app.app_context():
        rows.append(
            (
                "  session: checkout (pre-ping) + SELECT 1 + COMMIT + close",
                timed(empty_transaction, n),
            )
        )
        engine = db.engine
        with engine.connect() as conn:
            rows.append(
                (
                    "  one raw round trip (SELECT 1, open connection)",
                    timed(lambda: conn.execute(text("SELECT 1")), n),
                )
            )
        rows.append(("  session with 2 raw queries + COMMIT", timed(three_queries_one_session, n)))

    width = max(len(label) for label, _ in rows)
    print(f"{'piece':<{width}}  median ms")
    for label, value in rows:
        print(f"{label:<{width}}  {value:8.3f}")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(args.path, headers=headers)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    print(f"\ncProfile, {n} API requests, by cumulative time:")
    print("\n".join(out.getvalue().splitlines()[:80]))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print("\ncProfile, by own time:")
    print("\n".join(out.getvalue().splitlines()[:50]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
