"""Compare variants of the web tier on the API search, interleaved with Meilisearch itself.

    python -m bench.compare_apps --app base=. --app s1=/tmp/romin-s1 \\
        --app base-2x1=.:WEB_CONCURRENCY=2,WEB_THREADS=1 [--rounds 7] \\
        [--query addictions|mix|distinct] [--target api|page]

Each `--app NAME=DIR[:ENV=VALUE,...]` is a checkout (a scratch copy with a change to try) served
by its own gunicorn with app/gunicorn_conf.py, against the bench database and index (run
`python -m bench.run --keep-index` first). Every round measures Meilisearch directly, then each
variant's API, back to back (1 client p50, then 16 clients' throughput): on a shared machine
the ratios within a round are far steadier than figures taken minutes apart. Prints the median
over rounds of each variant's ratio to Meilisearch. `--target page` compares the search pages
instead of the API. `--query distinct`: the distinct workload of `bench.run` (bench/distinct.py,
recorded by the first variant's code; a new index generation before each variant's measure, so
no answer comes from a cache; Meilisearch replays the app's own requests; throughput in queries
per second). Figures, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
from pathlib import Path

from bench import distinct, load
from bench.catalogue import REPO_ROOT, bench_url, ensure_env
from bench.run import (
    FACTORS,
    INDEX,
    OUT_DIR,
    Gunicorn,
    api_token,
    measure_distinct,
    say,
    targets,
)


def parse_app(value: str) -> tuple[str, Path, dict[str, str]]:
    name, _, rest = value.partition("=")
    directory, _, env = rest.partition(":")
    extra = dict(item.split("=", 1) for item in env.split(",") if item)
    path = Path(directory or ".")
    return name, (path if path.is_absolute() else REPO_ROOT / path).resolve(), extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Web tier variants against Meilisearch.")
    parser.add_argument("--app", action="append", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--query", choices=("addictions", "mix", "distinct"), default="addictions")
    parser.add_argument("--target", choices=("api", "page"), default="api")
    parser.add_argument("--distinct-queries", type=int, default=3000, help="with --query distinct")
    parser.add_argument(
        "--requests", type=int, default=300, help="1-client queries, with --query distinct"
    )
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--seconds-16", type=float, default=3.0)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_env()
    url = bench_url()
    key = os.environ.get("MEILI_MASTER_KEY", "")
    factors = ("addictions",) if args.query == "addictions" else FACTORS
    apps = [parse_app(a) for a in args.app]
    client = args.client if args.client != "auto" else "wrk" if load.wrk_available() else "python"
    servers: dict[str, Gunicorn] = {}
    results: dict[str, dict[str, list]] = {}
    try:
        for name, directory, extra in apps:
            servers[name] = Gunicorn(url, directory, extra, log_name=f"gunicorn-{name}.log")
        token = api_token(url, apps[0][1])
        bases = {
            "meili": os.environ["MEILI_URL"].rstrip("/"),
            **{name: server.base for name, server in servers.items()},
        }
        if args.query == "distinct":
            queries = distinct.record(url, INDEX, args.distinct_queries, apps[0][1])["queries"]
            seqs = distinct.sequences(queries, key, token)
            measured = measure_distinct(
                url,
                bases,
                {"meili": seqs["meili"], **{name: seqs[args.target] for name in servers}},
                args.requests,
                3000,
                args.seconds_16,
                args.rounds,
                client,
            )
            results = {name: measured[name]["rounds"] for name in ("meili", *servers)}
        else:
            reqs = targets(factors, key, token)
            plan = {"meili": reqs["meili"], **{name: reqs[args.target] for name in servers}}
            for name, requests_ in plan.items():
                load.run(bases[name], requests_, 16, 300, 1, args.client)
            for r in range(args.rounds):
                line = []
                for name, requests_ in plan.items():
                    c1 = load.run(bases[name], requests_, 1, 300, args.seconds, args.client)
                    c16 = load.run(bases[name], requests_, 16, 3000, args.seconds_16, args.client)
                    results.setdefault(name, {"c1": [], "c16": []})
                    results[name]["c1"].append(c1.as_dict())
                    results[name]["c16"].append(c16.as_dict())
                    line.append(f"{name} {c1.p50_ms:.2f} ms / {c16.rps:.0f} req/s")
                say(f"round {r + 1}/{args.rounds}: " + ", ".join(line))
    finally:
        for server in servers.values():
            server.stop()
    meili = results["meili"]
    print(
        f"| Variante ({args.query}, {args.target}) | p50 1 client (ms) | /Meili p50 "
        f"| débit 16 clients (req/s) | /Meili débit | p50 16 clients (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    summary = {}
    for name, data in results.items():
        p50 = statistics.median(x["p50_ms"] for x in data["c1"])
        rps = statistics.median(x["rps"] for x in data["c16"])
        p50_16 = statistics.median(x["p50_ms"] for x in data["c16"])
        r1 = statistics.median(x["p50_ms"] / m["p50_ms"] for x, m in zip(data["c1"], meili["c1"]))
        r16 = statistics.median(x["rps"] / m["rps"] for x, m in zip(data["c16"], meili["c16"]))
        summary[name] = {
            "p50_ms": p50,
            "rps": rps,
            "p50_16_ms": p50_16,
            "ratio_p50": r1,
            "ratio_rps": r16,
        }
        print(f"| {name} | {p50:.2f} | {r1:.2f}× | {rps:.0f} | {r16:.2f}× | {p50_16:.2f} |")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "compare_apps.json").write_text(
        json.dumps(
            {"apps": [(n, str(d), e) for n, d, e in apps], "summary": summary, "rounds": results},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
