"""The measurement behind indexer/settings.py: indexing cost against search quality.

    python -m bench.settings_compare [--tools 10000] [--repeat 2] [--requests 200]

Indexes the same documents (the app's builder, on the bench catalogue) with the app's settings
but `proximityPrecision` byWord (Meilisearch's default) and byAttribute (ours), and prints:
- indexing time of each (wall clock from the first request to the last task done);
- the latency of a risk-factor query with the sidebar's facets, with facet values sorted by
  count (ours) and alphabetically (the default), on each index;
- for a few text queries, the latency and the top-10 overlap between the two precisions, and
  the first titles of each, to judge what byAttribute loses in relevance.
Figures, not tests. Indexes created here are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from bench.catalogue import ensure_catalogue, ensure_env
from bench.meili import Meili, index_documents, serialise
from bench.run import dump_documents, say
from indexer.search import SearchQuery, search_body

TEXT_QUERIES = ("alcool", "gestion de la colère", "recherche d'emploi", "balance décisionnelle")
PRECISIONS = ("byWord", "byAttribute")
FACET_ORDERS = ("count", "alpha")


def latency(meili: Meili, uid: str, body: dict, n: int) -> dict:
    data = json.dumps(body).encode()
    for _ in range(20):
        meili.session.post(f"{meili.url}/indexes/{uid}/search", data=data).raise_for_status()
    values = []
    for _ in range(n):
        start = time.perf_counter()
        response = meili.session.post(f"{meili.url}/indexes/{uid}/search", data=data)
        _ = response.content
        values.append((time.perf_counter() - start) * 1000)
    values.sort()
    return {
        "p50_ms": statistics.median(values),
        "p95_ms": values[int(0.95 * (len(values) - 1))],
        "engine_ms": response.json().get("processingTimeMs"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="proximityPrecision and facet order, measured.")
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    ensure_env()
    url = ensure_catalogue(args.tools, log=say)
    meili = Meili(os.environ["MEILI_URL"], os.environ.get("MEILI_MASTER_KEY", ""))
    settings, batches = dump_documents(url)
    bodies = serialise(batches)
    results: dict = {"indexing": {}, "facets": {}, "text": {}}
    uids = {p: f"bench_cmp_{p.lower()}" for p in PRECISIONS}
    try:
        for precision in PRECISIONS:
            variant = {**settings, "proximityPrecision": precision}
            runs = []
            for n in range(args.repeat):
                runs.append(index_documents(meili, uids[precision], variant, bodies))
                say(f"{precision} {n + 1}/{args.repeat}: {runs[-1]['wall_s']:.2f} s")
            results["indexing"][precision] = {
                "median_s": statistics.median(r["wall_s"] for r in runs),
                "runs_s": [round(r["wall_s"], 2) for r in runs],
                "documents_busy_s": statistics.median(
                    r.get("documents_indexing_busy_s", 0) for r in runs
                ),
            }
        factor_body = search_body(SearchQuery(factor="addictions", per_page=20))
        for precision in PRECISIONS:
            for order in FACET_ORDERS:
                meili.wait(
                    meili.call(
                        "PATCH",
                        f"/indexes/{uids[precision]}/settings",
                        {"faceting": {**settings["faceting"], "sortFacetValuesBy": {"*": order}}},
                    )["taskUid"]
                )
                results["facets"][f"{precision}/{order}"] = latency(
                    meili, uids[precision], factor_body, args.requests
                )
            meili.wait(
                meili.call(
                    "PATCH",
                    f"/indexes/{uids[precision]}/settings",
                    {"faceting": settings["faceting"]},
                )["taskUid"]
            )
        for q in TEXT_QUERIES:
            body = search_body(SearchQuery(text=q, per_page=10))
            tops, timing = {}, {}
            for precision in PRECISIONS:
                answer = meili.call("POST", f"/indexes/{uids[precision]}/search", body)
                tops[precision] = [(h["id"], h["title"]) for h in answer["hits"]]
                timing[precision] = latency(meili, uids[precision], body, args.requests // 2)
                timing[precision]["total_hits"] = answer.get("totalHits")
            ids = [{i for i, _t in tops[p]} for p in PRECISIONS]
            results["text"][q] = {
                "overlap_top10": len(ids[0] & ids[1]),
                "same_first": bool(
                    tops[PRECISIONS[0]]
                    and tops[PRECISIONS[1]]
                    and tops[PRECISIONS[0]][0][0] == tops[PRECISIONS[1]][0][0]
                ),
                "latency": timing,
                "top3": {p: [t for _i, t in tops[p][:3]] for p in PRECISIONS},
            }
    finally:
        for uid in uids.values():
            meili.delete_index(uid)
    print_report(results, args.tools)
    out = os.path.join(os.path.dirname(__file__), "out")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "settings_compare.json"), "w") as handle:
        json.dump(results, handle, indent=2, ensure_ascii=False)
    return 0


def print_report(results: dict, tools: int) -> None:
    print(
        f"**Réglages de l'index, {tools} outils (mêmes documents, seuls les réglages changent)**\n"
    )
    print(
        "| proximityPrecision | Indexation (médiane, s) | Runs (s) | Dont lots de documents (s) |"
    )
    print("|---|---:|---|---:|")
    for p, r in results["indexing"].items():
        print(
            f"| {p} | {r['median_s']:.2f} | {', '.join(map(str, r['runs_s']))} | "
            f"{r['documents_busy_s']:.2f} |"
        )
    print("\n| Requête facteur + 7 facettes | p50 (ms) | p95 (ms) | processingTimeMs |")
    print("|---|---:|---:|---:|")
    for k, r in results["facets"].items():
        print(f"| {k} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['engine_ms']} |")
    print(
        "\n| Texte | Recouvrement top 10 | Même 1er | p50 byWord (ms) | p50 byAttribute (ms) | Résultats |"
    )
    print("|---|---:|---|---:|---:|---:|")
    for q, r in results["text"].items():
        lat = r["latency"]
        print(
            f"| {q} | {r['overlap_top10']}/10 | {r['same_first']} | {lat['byWord']['p50_ms']:.2f} | "
            f"{lat['byAttribute']['p50_ms']:.2f} | {lat['byAttribute']['total_hits']} |"
        )
    print()
    for q, r in results["text"].items():
        for p, titles in r["top3"].items():
            print(f"- « {q} » {p}: " + " | ".join(titles))


if __name__ == "__main__":
    sys.exit(main())
