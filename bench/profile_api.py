"""Where a search request spends its time, API and page, on distinct queries and a repeated one.

    python -m bench.profile_api [--requests 300] [--no-gunicorn] [--cprofile]

Needs the bench catalogue and index (`python -m bench.run --keep-index` leaves them; without the
index, one rebuild). Each request runs through Flask's test client in this process; its time is
split into stages by wrappers put from outside the app (no timing code in app/): the functions
below are replaced, before or after `create_app`, by timed copies, and the request hooks Flask
holds (before_request, after_request, teardown, context processors) are wrapped where the app
registered them. A stage's time is its own: what a stage calls that is itself a stage counts
there (the Meilisearch round trip is not the search service's). "other" is the request's time
outside every stage (Werkzeug, Flask's dispatch, the test client). The database statements are
counted and timed apart (SQLAlchemy cursor events): they happen inside the stages.

Workloads: "distinct", the bench's distinct queries (bench/distinct.py: factor × stage ×
modality × typed words × page, each asked once, the search cache emptied between the API's run
and the page's); "repeated", `risk_factor=addictions` asked N times (answered from the cache).
Then, unless --no-gunicorn, the same queries through gunicorn (app/gunicorn_conf.py), one client,
a new index generation before each run, beside Meilisearch's replay of the app's own requests.
Medians and means over N requests, in ms. Figures for the diagnosis, not tests.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import http.client
import importlib
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from bench import distinct, load
from bench.catalogue import bench_url, ensure_env, url_string

INDEX = "bench_tools"
AGENT_EMAIL = "bench-agent@bench.romin.invalid"
REPEATED = "risk_factor=addictions"
REPLAY = "reference, not in the request: the same Meilisearch requests replayed bare"


class Stages:
    """Timed copies of functions: each call's own time (minus the stages it calls) is added to
    its stage for the current request."""

    def __init__(self) -> None:
        self._stack: list[float] = []
        self.current: dict[str, float] = {}
        self.sql_count = 0
        self.sql_time = 0.0

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self._stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                children = self._stack.pop()
                elapsed = time.perf_counter() - start
                self.current[stage] = self.current.get(stage, 0.0) + elapsed - children
                if self._stack:
                    self._stack[-1] += elapsed

        timed.__bench_stage__ = stage  # type: ignore[attr-defined]
        return timed

    def reset(self) -> None:
        self.current = {}
        self.sql_count = 0
        self.sql_time = 0.0


# (stage, module, attribute path): functions looked up where their callers find them
PATCHES = (
    # the token check, with the throttling counter when they are one statement (bearer.py)
    ("token check", "app.accounts.bearer", "check_token"),
    ("token check", "app.accounts.auth", "_token_owner"),
    ("argument parsing", "webargs.core", "Parser.parse"),
    ("argument parsing", "marshmallow.schema", "Schema.load"),
    ("argument parsing", "app.search.views", "query_arguments"),
    ("query reading (interpret, factor check)", "app.search.service", "interpret"),
    ("query reading (interpret, factor check)", "app.search.api", "factor_slugs"),
    ("search service (cache, rest)", "app.search.api", "search"),
    ("search service (cache, rest)", "app.search.views", "search"),
    ("Meilisearch round trip", "indexer.client", "MeiliClient.request"),
    ("Meilisearch answer decoding (JSON)", "requests.models", "Response.json"),
    ("« Pourquoi ce rang ? »", "app.search.api", "hit_reasons"),
    ("« Pourquoi ce rang ? »", "app.search.views", "hit_reasons"),
    ("« Pourquoi ce rang ? »", "app.search.views", "explanation_context"),
    ("API view (hits, facets, answer)", "app.search.api", "Search.get"),
    ("JSON encoding", "flask_smorest.response", "jsonify"),
    ("page view (state, links, filters)", "app.search.views", "_render"),
    ("page view (state, links, filters)", "app.search.views", "search_page"),
    ("template rendering", "app.search.views", "render_template"),
    ("usage event (signal → record)", "app.core.signals", "search_answered.send"),
)
# request hooks the app registers, by qualified name: their stage
HOOKS = {
    "check_request": "request guard",
    "Limiter._check_request_limit": "throttling (Flask-Limiter, PostgreSQL counter)",
    "Database.commit_request": "commit (after_request)",
    "Database._close": "teardown (session close)",
    "_schedule": "usage event (signal → record)",
    "_inject_user": "signed-in user (context processor)",
}
# where the view functions are looked up: Flask holds them in app.view_functions
VIEWS = {"search.search_page": "page view (state, links, filters)"}


def install(stages: Stages) -> list[str]:
    """Put the timed copies in place; the stages none of whose functions exists (the app
    changed) are returned. A stage may name the function of today's code and of earlier code."""
    found: set[str] = set()
    tried: dict[str, list[str]] = {}
    for stage, module_name, path in PATCHES:
        try:
            owner: Any = importlib.import_module(module_name)
            *parents, name = path.split(".")
            for part in parents:
                owner = getattr(owner, part)
            original = getattr(owner, name)
        except (ImportError, AttributeError):
            tried.setdefault(stage, []).append(f"{module_name}.{path}")
            continue
        found.add(stage)
        if getattr(original, "__bench_stage__", None) is None:
            setattr(owner, name, stages.wrap(stage, original))

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        stages.sql_time += time.perf_counter() - conn.info["bench_started"].pop()
        stages.sql_count += 1

    return [" or ".join(names) for stage, names in tried.items() if stage not in found]


def wrap_hooks(app: Any, stages: Stages) -> list[str]:
    """Wrap the request hooks and context processors where Flask holds them."""
    seen = []
    for registry in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.template_context_processors,
    ):
        for funcs in registry.values():
            for i, fn in enumerate(funcs):
                name = hook_name(fn)
                stage = HOOKS.get(name) or HOOKS.get(name.rsplit(".", 1)[-1])
                if stage is None:
                    stage = f"other hook: {name}"
                funcs[i] = stages.wrap(stage, fn)
                seen.append(name)
    for i, fn in enumerate(app.teardown_appcontext_funcs):
        name = hook_name(fn)
        app.teardown_appcontext_funcs[i] = stages.wrap(HOOKS.get(name, f"other hook: {name}"), fn)
        seen.append(name)
    for endpoint, stage in VIEWS.items():
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = stages.wrap(stage, app.view_functions[endpoint])
    return list(dict.fromkeys(seen))


def hook_name(fn: Any) -> str:
    """A hook's qualified name (a partial's function's, without its bound arguments)."""
    fn = getattr(fn, "func", fn)
    return getattr(fn, "__qualname__", type(fn).__name__)


def profile(
    client: Any,
    paths: list[str],
    headers: dict[str, str],
    stages: Stages,
    replays: list[list[load.Request]] | None = None,
) -> tuple[list[float], list[dict[str, float]], list[tuple[int, float]]]:
    """Each path once: the whole request's time, its stages, its SQL (count, time). With
    `replays`, the Meilisearch requests the app sent for each query are sent again bare
    (http.client, answer read, not decoded), a reference for the "Meilisearch round trip"
    stage: after the request for even queries, before it for odd ones (what was just asked is
    faster to answer again)."""
    totals, per_stage, sql = [], [], []
    bare = None
    if replays:
        parts = urlsplit(os.environ["MEILI_URL"])
        bare = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def replay(n: int) -> float:
        assert bare is not None and replays is not None
        start = time.perf_counter()
        for r in replays[n]:
            body = r.body.encode() if r.body is not None else None
            bare.request(r.method, r.path, body=body, headers=r.headers)
            bare.getresponse().read()
        return (time.perf_counter() - start) * 1000

    for n, path in enumerate(paths):
        before = replay(n) if bare is not None and n % 2 else None
        stages.reset()
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        totals.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data(True)[:300]}")
        per_stage.append({k: v * 1000 for k, v in stages.current.items()})
        sql.append((stages.sql_count, stages.sql_time * 1000))
        if bare is not None:
            per_stage[-1][REPLAY] = before if before is not None else replay(n)
    if bare is not None:
        bare.close()
    return totals, per_stage, sql


def table(runs: dict[str, tuple[list[float], list[dict[str, float]], list[tuple[int, float]]]]):
    """One row per stage, median and mean per run (API / page, distinct / repeated)."""
    names: list[str] = []
    for _totals, per_stage, _sql in runs.values():
        for d in per_stage:
            for k in d:
                if k not in names:
                    names.append(k)
    order = [p[0] for p in PATCHES] + list(HOOKS.values())
    names.sort(key=lambda n: (order.index(n) if n in order else len(order), n))
    header = "| stage | " + " | ".join(f"{r} median | {r} mean" for r in runs) + " |"
    lines = [header, "|---|" + "---:|---:|" * len(runs)]
    names = [n for n in names if n != REPLAY]

    def row(label: str, values_per_run: list[list[float]]) -> str:
        cells = []
        for values in values_per_run:
            cells += [f"{statistics.median(values):.2f}", f"{statistics.fmean(values):.2f}"]
        return f"| {label} | " + " | ".join(cells) + " |"

    for name in names:
        lines.append(row(name, [[d.get(name, 0.0) for d in r[1]] for r in runs.values()]))
    lines.append(
        row(
            "other (Werkzeug, Flask dispatch, test client)",
            [
                [t - sum(v for k, v in d.items() if k != REPLAY) for t, d in zip(r[0], r[1])]
                for r in runs.values()
            ],
        )
    )
    lines.append(row("**whole request (test client)**", [r[0] for r in runs.values()]))
    if any(REPLAY in d for r in runs.values() for d in r[1]):
        lines.append(row(REPLAY, [[d.get(REPLAY, 0.0) for d in r[1]] for r in runs.values()]))
    lines.append(
        row(
            "database statements (count), inside the stages",
            [[c for c, _ in r[2]] for r in runs.values()],
        )
    )
    lines.append(
        row(
            "database statements (time), inside the stages",
            [[t for _, t in r[2]] for r in runs.values()],
        )
    )
    return "\n".join(lines)


def through_gunicorn(url: Any, queries: list[distinct.Distinct], n_repeat: int) -> str:
    """The same queries through gunicorn, one client: Meilisearch's replay, the API, the page
    (a new index generation before each run of the app), then the repeated query."""
    from bench.run import Gunicorn, api_token, fresh_generation

    key = os.environ.get("MEILI_MASTER_KEY", "")
    meili_url = os.environ["MEILI_URL"].rstrip("/")
    server = Gunicorn(url)
    try:
        token = api_token(url)
        seqs = distinct.sequences(queries, key, token)
        bases = {"meili": meili_url, "api": server.base, "page": server.base}
        for target in seqs:  # warm-up on other queries than those timed
            load.sequences(bases[target], seqs[target][-100:], 2)
        rows = []
        for target in ("meili", "api", "page"):
            if target != "meili":
                fresh_generation(url)
            r = load.sequences(bases[target], seqs[target][: len(queries)], 1)
            rows.append((f"distinct, {target}", r))
        from bench.run import targets

        rep = targets(("addictions",), key, token)
        for target in ("meili", "api", "page"):
            r = load.sequences(bases[target], [[rep[target][0]]] * n_repeat, 1)
            rows.append((f"repeated ({REPEATED}), {target}", r))
    finally:
        server.stop()
    lines = [
        "| through gunicorn, 1 client | p50 ms | p95 ms | / Meilisearch p50 |",
        "|---|---:|---:|---:|",
    ]
    base_p50 = {}
    for label, r in rows:
        workload = label.split(",")[0]
        if label.endswith("meili"):
            base_p50[workload] = r.p50_ms
        lines.append(
            f"| {label} | {r.p50_ms:.2f} | {r.p95_ms:.2f} | {r.p50_ms / base_p50[workload]:.2f}× |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Where a search request spends its time.")
    parser.add_argument("--requests", type=int, default=300, help="requests per run")
    parser.add_argument("--no-gunicorn", action="store_true")
    parser.add_argument(
        "--cprofile", action="store_true", help="also cProfile the API's distinct requests"
    )
    args = parser.parse_args(argv)
    ensure_env()
    url = bench_url()

    from bench.meili import Meili

    meili = Meili(os.environ["MEILI_URL"], os.environ.get("MEILI_MASTER_KEY", ""))
    if meili.session.get(f"{meili.url}/indexes/{INDEX}", timeout=30).status_code == 404:
        from bench.run import rebuild_once

        print("[bench] index absent : une reconstruction…", file=sys.stderr)
        rebuild_once(url, meili)
    n = args.requests
    print(f"[bench] {n + 60} requêtes distinctes enregistrées…", file=sys.stderr)
    queries = distinct.record(url, INDEX, n + 60)["queries"]
    timed, warm = queries[:n], queries[n:]

    stages = Stages()
    missing = install(stages)  # before create_app: hooks and views are taken as the app finds them

    from app.accounts.auth import create_token
    from app.accounts.service import create_user
    from app.config import Config
    from app.db import db
    from app.factory import create_app
    from app.models import User

    app = create_app(Config(SQLALCHEMY_DATABASE_URI=url_string(url), MEILI_INDEX=INDEX))
    hooks = wrap_hooks(app, stages)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == AGENT_EMAIL)) or create_user(
            db.session, AGENT_EMAIL, "agent"
        )
        token = create_token(user)
        db.session.commit()
    bearer = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    plain = {"Accept-Encoding": "identity"}
    client = app.test_client()

    def empty_cache() -> None:
        cache = app.extensions.get("romin_search_cache")
        if cache is not None:
            cache.clear()

    for q in warm:  # code paths, connections, the factor names read once
        client.get(q.api, headers=bearer)
        client.get(q.page, headers=plain)
    runs = {}
    empty_cache()
    key = os.environ.get("MEILI_MASTER_KEY", "")
    replays = [distinct.meili_sequence(q, key) for q in timed]
    runs["API distinct"] = profile(client, [q.api for q in timed], bearer, stages, replays)
    empty_cache()
    runs["page distinct"] = profile(client, [q.page for q in timed], plain, stages, replays)
    runs["API repeated"] = profile(client, [f"/api/v1/search?{REPEATED}"] * n, bearer, stages)
    page_repeated = "/recherche?" + REPEATED.replace("risk_factor", "facteur")
    runs["page repeated"] = profile(client, [page_repeated] * n, plain, stages)

    print(
        f"Per-stage time of one search request, in-process (Flask test client), {n} requests "
        f"per run, ms (a stage's own time; the database statements happen inside the stages). "
        f"Distinct: each query once, cache emptied before each run; repeated: `{REPEATED}`, "
        f"answered from the cache."
    )
    print()
    print(table(runs))
    if missing:
        print(f"\nStages not found (not timed; the app changed?): {'; '.join(missing)}")
    print(f"\nRequest hooks wrapped: {', '.join(hooks)}")

    if args.cprofile:
        empty_cache()
        profiler = cProfile.Profile()
        profiler.enable()
        for q in timed:
            client.get(q.api, headers=bearer)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(f"\ncProfile, {n} distinct API requests, by cumulative time:")
        print("\n".join(out.getvalue().splitlines()[:80]))
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print("\ncProfile, by own time:")
        print("\n".join(out.getvalue().splitlines()[:50]))

    if not args.no_gunicorn:
        print()
        print(through_gunicorn(url, timed, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
