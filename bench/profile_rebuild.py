"""Where `romin index rebuild` spends its time, and how it compares with Meilisearch alone.

    python -m bench.profile_rebuild                  # the Python side only (no Meilisearch)
    python -m bench.profile_rebuild --indexing 5     # rebuild vs Meilisearch alone, paired
    python -m bench.profile_rebuild --indexing 1 --app-dir /tmp/before   # another commit's code

The Python side: builds every document of the bench catalogue with the app's code
(app.index_sync.documents.published_batches) and splits the time between reading PostgreSQL
with the document builder and the JSON encoding, then profiles it.

`--indexing N`: the rebuild row of `bench.run` alone, measured with bench.run's own functions
(`romin index rebuild` as a subprocess, wall clock, against Meilisearch indexing the same
dumped documents with the same settings; the ratio is the median of the N paired ratios), plus
the command's start-up. It runs in a database and indexes of its own (`romin_bench_rebuild`,
`rebuild_tools`, `rebuild_meili_own`), so it may run beside `bench.run` without either
rebuild finding the other's job running; the machine's load still moves both figures.
Figures, not tests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

from bench.catalogue import (
    BENCH_DB,
    REPO_ROOT,
    SEED,
    bench_url,
    ensure_env,
    existing_marker,
    marker,
    migrate,
    populate,
    recreate_database,
    set_marker,
    url_string,
)

OWN_DB = "romin_bench_rebuild"
OWN_INDEXES = ("rebuild_tools", "rebuild_meili_own")


def python_side(database: str) -> None:
    from app.config import Config
    from app.db import db
    from app.factory import create_app
    from app.index_sync.documents import published_batches

    app = create_app(
        Config(SQLALCHEMY_DATABASE_URI=url_string(bench_url(name=database)), MEILI_INDEX="unused")
    )
    with app.app_context():
        start = time.perf_counter()
        batches = list(published_batches(db.session))
        built = time.perf_counter()
        bodies = [json.dumps(batch, ensure_ascii=False).encode() for batch in batches]
        encoded = time.perf_counter()
        print(
            f"{sum(map(len, batches))} documents read and built in {built - start:.2f} s; "
            f"JSON bodies ({sum(map(len, bodies)) / 1e6:.1f} MB) in {encoded - built:.2f} s"
        )
        profiler = cProfile.Profile()
        profiler.enable()
        list(published_batches(db.session))
        profiler.disable()
    stats = pstats.Stats(profiler, stream=(out := io.StringIO()))
    stats.sort_stats("cumulative").print_stats(20)
    print(out.getvalue())


def own_catalogue(tools: int) -> None:
    """The bench catalogue in a database of its own (built once, reused while its mark holds)."""
    url = bench_url(name=OWN_DB)
    wanted = marker(tools, SEED)
    if existing_marker(OWN_DB) == wanted:
        migrate(url)
        return
    recreate_database(OWN_DB)
    migrate(url)
    populate(url, tools, SEED)
    set_marker(wanted, OWN_DB)


def indexing(repeat: int, tools: int, app_dir: Path) -> None:
    """bench.run's indexing measure, pointed at this script's database and indexes."""
    import os

    from bench import run
    from bench.meili import Meili

    own_catalogue(tools)
    run.INDEX, run.OWN_INDEX = OWN_INDEXES
    url = bench_url(name=OWN_DB)
    meili = Meili(os.environ["MEILI_URL"], os.environ.get("MEILI_MASTER_KEY", ""))
    try:
        result = run.time_indexing(url, meili, repeat, app_dir)
        startup = run.time_command_startup(url, app_dir)
    finally:
        meili.delete_index(run.INDEX)
        meili.delete_index(run.OWN_INDEX)
    rb, own = result["rebuild"], result["meili_indexing"]
    ratios = [r["wall_s"] / o["wall_s"] for r, o in zip(rb["details"], own["details"])]
    print(f"Meilisearch alone : median {own['median']:.2f} s ({own['min']:.2f}–{own['max']:.2f})")
    print(f"romin index rebuild: median {rb['median']:.2f} s ({rb['min']:.2f}–{rb['max']:.2f})")
    print(
        f"paired ratio: median {statistics.median(ratios):.2f}× "
        f"({min(ratios):.2f}–{max(ratios):.2f}; runs {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    print(f"command start-up (romin --help): {startup:.2f} s; code: {app_dir}")
    keys = (
        "before_first_task_s",
        "before_first_document_s",
        "sending_documents_s",
        "documents_span_s",
        "documents_indexing_busy_s",
        "after_last_document_s",
        "document_batches",
    )
    for label, runs in (("rebuild", rb["details"]), ("alone", own["details"])):
        for n, d in enumerate(runs, 1):
            print(
                f"  {label} {n}: {d['wall_s']:.2f} s  "
                + "  ".join(
                    f"{k.removesuffix('_s')}={d[k]:.2f}"
                    if isinstance(d.get(k), float)
                    else f"{k}={d.get(k)}"
                    for k in keys
                )
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indexing", type=int, metavar="N", help="paired runs against Meilisearch")
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument(
        "--database", default=BENCH_DB, help="catalogue read by the Python-side profile"
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=REPO_ROOT,
        help="rebuild with the code of this checkout (a `git archive` of another commit)",
    )
    args = parser.parse_args()
    ensure_env()
    if args.indexing:
        indexing(args.indexing, args.tools, args.app_dir)
    else:
        python_side(args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
