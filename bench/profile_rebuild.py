"""Where the Python side of `romin index rebuild` spends its time (no Meilisearch involved).

    python -m bench.profile_rebuild

Builds every document of the bench catalogue with the app's code (app.index_sync.hooks.published_batches)
and splits the time: loading tools (ORM, selectin relationships), rating statistics, the
document builder, its content hash, and the JSON encoding `requests` does before sending.
Why it matters: while Python builds batch k, Meilisearch indexes batch k-1 on the same two
cores, and the slower the batches arrive, the more separate (and costlier) indexing batches
Meilisearch runs. Figures, not tests.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import time

from bench.catalogue import bench_url, ensure_env, url_string


def main() -> int:
    ensure_env()
    from app.config import Config
    from app.db import db
    from app.factory import create_app
    from app.index_sync.documents import published_batches

    app = create_app(
        Config(SQLALCHEMY_DATABASE_URI=url_string(bench_url()), MEILI_INDEX="bench_tools")
    )
    with app.app_context():
        start = time.perf_counter()
        batches = list(published_batches(db.session))
        built = time.perf_counter()
        bodies = [json.dumps(batch) for batch in batches]
        encoded = time.perf_counter()
        print(
            f"{sum(map(len, batches))} documents built in {built - start:.2f} s; "
            f"JSON bodies ({sum(map(len, bodies)) / 1e6:.1f} MB) in {encoded - built:.2f} s"
        )
        profiler = cProfile.Profile()
        profiler.enable()
        list(published_batches(db.session))
        profiler.disable()
    stats = pstats.Stats(profiler, stream=(out := io.StringIO()))
    stats.sort_stats("cumulative").print_stats(
        r"(indexing|documents|scoring|loading|strategies|"
        r"encoder|psycopg/cursor)"
    )
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
