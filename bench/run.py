"""ROMIN against Meilisearch on this machine: rebuild time and search latency/throughput.

    python -m bench.run [--tools 10000] [--repeat 5] [--requests 300]   (or `make bench`)

Steps, all on loopback, all in one run so the figures sit side by side:
1. the catalogue: N generated tools in `romin_bench` (reused when already built with the same
   N, unless --rebuild-catalogue);
2. `romin index rebuild` (a subprocess, MEILI_INDEX=bench_tools): wall clock of the whole
   command, as a curator sees it; the tasks' timestamps split it;
3. Meilisearch's own indexing of the SAME documents (dumped once with the app's builder) and
   the SAME settings, in the same batch size: wall clock from the first request to the last
   task seen done (bench/meili.py says how; the tasks' startedAt/finishedAt give the split);
   2 and 3 alternate R times, and the ratio is the median of the R paired ratios;
4. gunicorn with app/gunicorn_conf.py on a free port, an agent and an API token in the bench
   database; then for `risk_factor=addictions` and for a mix over the 7 factors:
   (a) Meilisearch directly (POST with indexer.search.search_body's body),
   (b) the API `/api/v1/search?risk_factor=…` with the Bearer token,
   (c) the page `/recherche?facteur=…`;
   latency at 1 client (p50, p95), then throughput and p50 at 16 clients, with the same client
   for the three (bench/load.py), interleaved over --rounds rounds (median of rounds);
5. the distinct workload (bench/distinct.py): --distinct-queries queries factor × stage ×
   modality × typed words × page, each answered once by the checkout's code beforehand to
   record the Meilisearch requests it sends; per round and per target, a new index generation
   (every worker's search cache empty: no answer from memory), then each query asked once at 1
   client (`http.client`, a query of several Meilisearch requests timed as a whole), then wrk at
   16 clients walking the list (each thread from its own part). Meilisearch's target replays the
   app's own requests, so its throughput is in queries per second like the app's. Before it, a
   sample of queries checked: Meilisearch, the API and the page give the same tools in the same
   order.

Aims (issue 12): API p50 / Meilisearch p50 <= 1.5 and page p50 / Meilisearch p50 <= 2 at 1
client; API throughput / Meilisearch throughput >= 0.6 at 16 clients (both workloads);
rebuild / Meilisearch indexing <= 1.2.
Figures, not tests: nothing is asserted. JSON goes to bench/out/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench import distinct, load
from bench.catalogue import REPO_ROOT, app_env, ensure_catalogue, ensure_env, romin, url_string
from bench.meili import Meili, index_documents, serialise, task_breakdown
from indexer.search import SearchQuery, search_body
from indexer.sync import BATCH_SIZE

INDEX = "bench_tools"
OWN_INDEX = "bench_meili_own"
OUT_DIR = REPO_ROOT / "bench" / "out"
FACTORS = ("attitudes", "personnalite", "entourage", "loisirs", "famille", "emploi", "addictions")
AGENT_EMAIL = "bench-agent@bench.romin.invalid"
AIMS = {"latency": 1.5, "page_latency": 2.0, "throughput": 0.6, "rebuild": 1.2}
TARGETS = ("meili", "api", "page")


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def spread(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": [round(v, 3) for v in values],
    }


# -- indexing ------------------------------------------------------------------------------


def rebuild_once(url, meili: Meili, app_dir: Path = REPO_ROOT) -> dict:
    """`romin index rebuild` as a subprocess, wall clock; its tasks give the split."""
    since = datetime.fromtimestamp(time.time() - 1).astimezone()
    start = time.time()
    proc = romin(["index", "rebuild"], url, app_dir, INDEX, capture_output=True, text=True)
    end = time.time()
    if proc.returncode != 0:
        raise RuntimeError(f"romin index rebuild failed:\n{proc.stdout}\n{proc.stderr}")
    tasks = [
        t
        for t in meili.tasks_since(since)
        if (t.get("indexUid") or "").startswith(f"{INDEX}__build_")
        and t["enqueuedAt"]
        and datetime.fromisoformat(t["enqueuedAt"]).timestamp() >= start
    ]
    return {"wall_s": end - start, **task_breakdown(tasks, start, end)}


def time_indexing(url, meili: Meili, repeat: int, app_dir: Path = REPO_ROOT) -> dict:
    """Rebuild and Meilisearch's own indexing, alternated run by run (paired on a busy machine)."""
    say("documents et réglages de l'app (une fois)…")
    settings, batches = dump_documents(url, app_dir)
    bodies = serialise(batches)
    rebuilds, owns = [], []
    for n in range(repeat):
        rebuilds.append(rebuild_once(url, meili, app_dir))
        owns.append(index_documents(meili, OWN_INDEX, settings, bodies))
        meili.delete_index(OWN_INDEX)
        rb, own = rebuilds[-1], owns[-1]
        say(
            f"indexation {n + 1}/{repeat}: rebuild {rb['wall_s']:.2f} s "
            f"({rb.get('document_batches')} lot(s) Meilisearch), Meilisearch seul "
            f"{own['wall_s']:.2f} s ({own.get('document_batches')} lot(s))"
        )
    ratio = statistics.median(r["wall_s"] / o["wall_s"] for r, o in zip(rebuilds, owns))
    return {
        "rebuild": {**spread([r["wall_s"] for r in rebuilds]), "details": rebuilds},
        "meili_indexing": {
            **spread([o["wall_s"] for o in owns]),
            "details": owns,
            "payload_mb": round(sum(len(b) for b in bodies) / 1e6, 1),
        },
        "paired_ratio": ratio,
        "settings": settings,
    }


def time_command_startup(url, app_dir: Path = REPO_ROOT, repeat: int = 3) -> float:
    """What any `romin` command costs before it does anything (interpreter, imports, app)."""
    values = []
    for _ in range(repeat):
        start = time.perf_counter()
        romin(["--help"], url, app_dir, INDEX, check=True, capture_output=True)
        values.append(time.perf_counter() - start)
    return statistics.median(values)


_DUMP = """
import json, sys
sys.path.insert(0, '.')
from app.factory import create_app
from app.db import db
from app.index_sync.documents import published_batches, settings_for
app = create_app()
with app.app_context():
    data = {"settings": settings_for(db.session), "batches": list(published_batches(db.session))}
with open(sys.argv[1], "w") as out:
    json.dump(data, out, ensure_ascii=False)
"""


def dump_documents(url, app_dir: Path = REPO_ROOT) -> tuple[dict, list[list[dict]]]:
    """The documents and settings a rebuild sends, built once by the checkout's own code."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "documents.json"
        subprocess.run(
            [sys.executable, "-c", _DUMP, str(path)],
            env=app_env(url, INDEX),
            cwd=app_dir,
            check=True,
            capture_output=True,
        )
        data = json.loads(path.read_text())
    return data["settings"], data["batches"]


# -- web tier ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn with the project's config, on a free loopback port, against the bench DB."""

    def __init__(
        self,
        url,
        app_dir: Path = REPO_ROOT,
        extra_env: dict[str, str] | None = None,
        log_name: str = "gunicorn.log",
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**app_env(url, INDEX), **(extra_env or {})}
        env["BIND"] = f"127.0.0.1:{self.port}"
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log = open(OUT_DIR / log_name, "ab")  # noqa: SIM115 - the server's log, open while it runs
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.proc = subprocess.Popen(
            [gunicorn, "--config", "app/gunicorn_conf.py", "app.wsgi:app"],
            cwd=app_dir,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.proc.returncode}), see {OUT_DIR / 'gunicorn.log'}"
                )
            try:
                if requests.get(self.base + "/recherche", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)  # our own master only; it stops its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def api_token(url, app_dir: Path = REPO_ROOT) -> str:
    """An agent without password and a fresh personal token, through the `romin` commands."""
    romin(
        ["user", "create", AGENT_EMAIL, "--role", "agent", "--no-password"],
        url,
        app_dir,
        INDEX,
        capture_output=True,
    )
    proc = romin(
        ["token", "create", AGENT_EMAIL],
        url,
        app_dir,
        INDEX,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip().splitlines()[-1]


def targets(factors: tuple[str, ...], key: str, token: str) -> dict[str, list[load.Request]]:
    meili_headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }
    plain = {"Accept-Encoding": "identity"}
    return {
        "meili": [
            load.Request(
                "POST",
                f"/indexes/{INDEX}/search",
                meili_headers,
                json.dumps(search_body(SearchQuery(factor=f, per_page=20))),
            )
            for f in factors
        ],
        "api": [
            load.Request(
                "GET",
                "/api/v1/search?" + urlencode({"risk_factor": f}),
                {**plain, "Authorization": f"Bearer {token}"},
            )
            for f in factors
        ],
        "page": [
            load.Request("GET", "/recherche?" + urlencode({"facteur": f}), plain) for f in factors
        ],
    }


def same_answer(meili_url: str, key: str, web: str, token: str) -> dict:
    """The API's hits must be Meilisearch's, in the same order: a cache must not serve stale."""
    body = search_body(SearchQuery(factor="addictions", per_page=20))
    direct = requests.post(
        f"{meili_url}/indexes/{INDEX}/search",
        json=body,
        timeout=10,
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    api = requests.get(
        f"{web}/api/v1/search",
        params={"risk_factor": "addictions"},
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    return {
        "same_hits": [h["slug"] for h in direct["hits"]] == [h["slug"] for h in api["hits"]],
        "same_total": direct["totalHits"] == api["total"],
        "api_response_bytes": len(json.dumps(api)),
        "total": api["total"],
    }


def measure_search(
    bases: dict[str, str],
    reqs: dict[str, list[load.Request]],
    n1: int,
    n16: int,
    s1: float,
    s16: float,
    rounds: int,
    client: str,
) -> dict:
    """Interleaved rounds (meili, api, page) so that noise hits the three alike."""
    per_round: dict[str, dict[str, list[dict]]] = {t: {"c1": [], "c16": []} for t in reqs}
    for target, requests_ in reqs.items():  # warm-up: caches of every worker, connections
        load.run(bases[target], requests_, 16, 300, 1, client)
    for r in range(rounds):
        for target, requests_ in reqs.items():
            per_round[target]["c1"].append(
                load.run(bases[target], requests_, 1, n1, s1, client).as_dict()
            )
            per_round[target]["c16"].append(
                load.run(bases[target], requests_, 16, n16, s16, client).as_dict()
            )
        say(
            f"round {r + 1}/{rounds}: "
            + ", ".join(
                f"{t} p50 {per_round[t]['c1'][-1]['p50_ms']:.2f} ms / {per_round[t]['c16'][-1]['rps']:.0f} req/s"
                for t in reqs
            )
        )
    return summarise(per_round)


def summarise(per_round: dict[str, dict[str, list[dict]]]) -> dict:
    """Medians over rounds; the ratios to Meilisearch are medians of per-round ratios."""
    summary = {}
    meili_rounds = per_round.get("meili")
    for target, kinds in per_round.items():
        summary[target] = {
            "c1_p50_ms": statistics.median(x["p50_ms"] for x in kinds["c1"]),
            "c1_p95_ms": statistics.median(x["p95_ms"] for x in kinds["c1"]),
            "c16_rps": statistics.median(x["rps"] for x in kinds["c16"]),
            "c16_p50_ms": statistics.median(x["p50_ms"] for x in kinds["c16"]),
            "c16_p95_ms": statistics.median(x["p95_ms"] for x in kinds["c16"]),
            "errors": sum(x["errors"] for k in kinds.values() for x in k),
            "rounds": kinds,
        }
        if meili_rounds:  # paired per round: noise from the rest of the machine partly cancels
            summary[target]["ratio_c1_p50"] = statistics.median(
                x["p50_ms"] / m["p50_ms"] for x, m in zip(kinds["c1"], meili_rounds["c1"])
            )
            summary[target]["ratio_c16_rps"] = statistics.median(
                x["rps"] / m["rps"] for x, m in zip(kinds["c16"], meili_rounds["c16"])
            )
    return summary


def fresh_generation(url) -> None:
    """A new index generation, as an index change makes it: every worker's search cache is
    emptied on its next request, so the distinct queries that follow are not answered from
    memory. The same UPDATE and NOTIFY as app.index_sync.generation.bump_generation."""
    from app.index_sync.listener import CHANNEL

    engine = create_engine(url_string(url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            value = conn.execute(
                text(
                    "UPDATE index_state SET generation = generation + 1 "
                    "WHERE name = 'tools' RETURNING generation"
                )
            ).scalar_one()
            conn.execute(
                text("SELECT pg_notify(:channel, :value)"),
                {"channel": CHANNEL, "value": str(value)},
            )
    finally:
        engine.dispose()
    time.sleep(0.3)  # each worker's listener gets the notice within milliseconds


def measure_distinct(
    url,
    bases: dict[str, str],
    seqs: dict[str, list[list[load.Request]]],
    n1: int,
    n16: int,
    s16: float,
    rounds: int,
    client: str,
) -> dict:
    """Per round, the three targets back to back; before each measure of the app a new index
    generation, so each query is asked once per target per round with no cached answer.
    Throughput counts queries (Meilisearch's requests per query are 1 to 3)."""
    flat = {t: [r for q in qs for r in q] for t, qs in seqs.items()}
    steps = {t: len(flat[t]) / len(qs) for t, qs in seqs.items()}
    per_round: dict[str, dict[str, list[dict]]] = {t: {"c1": [], "c16": []} for t in seqs}
    for target in seqs:  # warm-up: connections, code paths (on the list's end)
        load.sequences(bases[target], seqs[target][-200:], 4)
    for r in range(rounds):
        for target in seqs:
            if target != "meili":
                fresh_generation(url)
            c1 = load.sequences(bases[target], seqs[target], 1, min(n1, len(seqs[target])))
            if target != "meili":
                fresh_generation(url)
            if client == "wrk":
                c16 = load.run(bases[target], flat[target], 16, n16, s16, client, spread=True)
                c16_dict = c16.as_dict()
                # repeats within the measure could come from the cache: say how many
                c16_dict["asked_twice"] = max(0, c16.requests - len(flat[target]))
                c16_dict["requests_per_s"] = c16_dict["rps"]
                # queries per second; wrk's latencies stay per request (Meilisearch: per step)
                c16_dict["rps"] = round(c16.rps / steps[target], 1)
            else:
                c16_dict = load.sequences(bases[target], seqs[target], 16, n16).as_dict()
                c16_dict["asked_twice"] = max(0, n16 - len(seqs[target]))
            per_round[target]["c1"].append(c1.as_dict())
            per_round[target]["c16"].append(c16_dict)
        say(
            f"distinct round {r + 1}/{rounds}: "
            + ", ".join(
                f"{t} p50 {per_round[t]['c1'][-1]['p50_ms']:.2f} ms / "
                f"{per_round[t]['c16'][-1]['rps']:.0f} req/s"
                for t in seqs
            )
        )
    summary = summarise(per_round)
    summary["steps_per_query"] = steps
    summary["queries"] = len(seqs["meili"])
    summary["asked_twice_max"] = max(
        x.get("asked_twice", 0) for t in per_round if t != "meili" for x in per_round[t]["c16"]
    )
    return summary


# -- report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "oui / yes" if ok else "NON / no"


def report(results: dict) -> str:
    lines = []
    env = results["environment"]
    lines.append(
        f"**{results['tools']} outils, {env['cpus']} cœurs, Meilisearch {env['meili_version']}, "
        f"gunicorn {env['web_concurrency']} workers × {env['web_threads']} threads, "
        f"client {env['client']} ({env['bounds']} per measure), "
        f"{results['rounds']} rounds (médianes)**"
    )
    lines.append("")
    lines += search_table(results)
    lines.append("")
    lines.append(
        "Détail (API / Meili: median over rounds of the ratio measured within each round; "
        "the three targets are measured back to back in a round)."
    )
    lines.append("")
    lines.append(
        "| Requête | Mesure | Meilisearch direct | API | Page | API / Meili | Objectif | Atteint |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---|---|")
    for name, label in (("addictions", "risk_factor=addictions"), ("mix", "mix des 7 facteurs")):
        if name not in results["search"]:
            continue
        s = results["search"][name]
        m, a, p = s["meili"], s["api"], s["page"]
        r1, r16 = a["ratio_c1_p50"], a["ratio_c16_rps"]
        lines.append(
            f"| {label} | p50, 1 client (ms) | {m['c1_p50_ms']:.2f} | {a['c1_p50_ms']:.2f} | "
            f"{p['c1_p50_ms']:.2f} | {r1:.2f}× | ≤ {AIMS['latency']}× | {verdict(r1 <= AIMS['latency'])} |"
        )
        lines.append(
            f"| {label} | p95, 1 client (ms) | {m['c1_p95_ms']:.2f} | {a['c1_p95_ms']:.2f} | "
            f"{p['c1_p95_ms']:.2f} | {a['c1_p95_ms'] / m['c1_p95_ms']:.2f}× | | |"
        )
        lines.append(
            f"| {label} | débit, 16 clients (req/s) | {m['c16_rps']:.0f} | {a['c16_rps']:.0f} | "
            f"{p['c16_rps']:.0f} | {r16:.2f}× | ≥ {AIMS['throughput']}× | {verdict(r16 >= AIMS['throughput'])} |"
        )
        lines.append(
            f"| {label} | p50, 16 clients (ms) | {m['c16_p50_ms']:.2f} | {a['c16_p50_ms']:.2f} | "
            f"{p['c16_p50_ms']:.2f} | {a['c16_p50_ms'] / m['c16_p50_ms']:.2f}× | | |"
        )
    lines.append("")
    if "rebuild" not in results:
        return "\n".join(lines + answer_checks(results))
    rb, own = results["rebuild"], results["meili_indexing"]
    ratio = results["paired_ratio"]
    lines.append(
        "Rapport : médiane des rapports rebuild / Meilisearch seul, mesurés l'un après l'autre."
    )
    lines.append("")
    lines.append(
        "| Indexation de tout le catalogue | Médiane (s) | Min–max (s) | Rapport | Objectif | Atteint |"
    )
    lines.append("|---|---:|---:|---:|---|---|")
    lines.append(
        f"| Meilisearch seul (mêmes documents, réglages, lots de {BATCH_SIZE}) | "
        f"{own['median']:.2f} | {own['min']:.2f}–{own['max']:.2f} | 1 | | |"
    )
    lines.append(
        f"| `romin index rebuild` (commande entière) | {rb['median']:.2f} | "
        f"{rb['min']:.2f}–{rb['max']:.2f} | {ratio:.2f}× | ≤ {AIMS['rebuild']}× | "
        f"{verdict(ratio <= AIMS['rebuild'])} |"
    )
    lines.append("")
    d = rb["details"][len(rb["details"]) // 2]
    lines.append(
        f"Rebuild split (run {len(rb['details']) // 2 + 1}): before the first task "
        f"{d.get('before_first_task_s', 0):.2f} s (command start-up alone "
        f"{results['command_startup_s']:.2f} s), before the first documents "
        f"{d.get('before_first_document_s', 0):.2f} s, documents sent over "
        f"{d.get('sending_documents_s', 0):.2f} s, documents indexed over "
        f"{d.get('documents_span_s', 0):.2f} s in {d.get('document_batches')} batch(es), "
        f"after the last document {d.get('after_last_document_s', 0):.2f} s."
    )
    o = own["details"][len(own["details"]) // 2]
    lines.append(
        f"Meilisearch alone: documents indexed over {o.get('documents_span_s', 0):.2f} s in "
        f"{o.get('document_batches')} batch(es); payload {own['payload_mb']} MB."
    )
    return "\n".join(lines + answer_checks(results))


WORKLOADS = (
    ("addictions", "répétée : risk_factor=addictions"),
    ("mix", "répétée : mix des 7 facteurs"),
    ("distinct", "distincte (chaque requête une fois)"),
)


def search_table(results: dict) -> list[str]:
    """Issue 12's table: per workload, the API and the page against Meilisearch."""
    lines = [
        "ms and req/s: each target's median over rounds; / Meili: the median of the ratios "
        "measured within each round (the three targets back to back), which need not be the "
        "quotient of the two medians on a busy machine.",
        "",
        "| Charge | Cible | p50 1 client (ms) | / Meili | Objectif | Atteint "
        "| débit 16 clients (req/s) | / Meili | Objectif | Atteint |",
        "|---|---|---:|---:|---|---|---:|---:|---|---|",
    ]
    for name, label in WORKLOADS:
        s = results["search"].get(name)
        if s is None:
            continue
        m = s["meili"]
        lines.append(
            f"| {label} | Meilisearch direct | {m['c1_p50_ms']:.2f} | 1 | | "
            f"| {m['c16_rps']:.0f} | 1 | | |"
        )
        for target, label_t, aim_p50, aim_rps in (
            ("api", "API", AIMS["latency"], AIMS["throughput"]),
            ("page", "page", AIMS["page_latency"], None),
        ):
            t = s[target]
            r1, r16 = t["ratio_c1_p50"], t["ratio_c16_rps"]
            rps_aim = f"≥ {aim_rps}×" if aim_rps is not None else ""
            rps_ok = verdict(r16 >= aim_rps) if aim_rps is not None else ""
            lines.append(
                f"| | {label_t} | {t['c1_p50_ms']:.2f} | {r1:.2f}× | ≤ {aim_p50}× | "
                f"{verdict(r1 <= aim_p50)} | {t['c16_rps']:.0f} | {r16:.2f}× | {rps_aim} | {rps_ok} |"
            )
    d = results["search"].get("distinct")
    if d is not None:
        steps = d["steps_per_query"]["meili"]
        lines.append("")
        lines.append(
            f"Distinct: {d['queries']} queries (Meilisearch: {steps:.2f} requests per query, the "
            f"app's own, replayed); p50 at 1 client over the first {results['requests_1']} "
            f"queries (whole query); throughput in queries/s; a new index generation before "
            f"each measure of the app; queries asked twice within a 16-client measure, at most: "
            f"{d['asked_twice_max']}; p95 at 1 client: Meilisearch {d['meili']['c1_p95_ms']:.2f}, "
            f"API {d['api']['c1_p95_ms']:.2f}, page {d['page']['c1_p95_ms']:.2f} ms."
        )
    return lines


def answer_checks(results: dict) -> list[str]:
    lines = []
    check = results.get("same_answer")
    if check:
        lines.append(
            f"API answer = Meilisearch answer (hits and order, total), addictions: "
            f"{check['same_hits'] and check['same_total']} ({check['total']} hits)."
        )
    check = results.get("same_answer_distinct")
    if check:
        lines.append(
            f"Distinct queries, API = page (tools and order), in Meilisearch's order (the app's "
            f"requests replayed; API total = recorded): {check['same']} of {check['checked']}."
            + (f" Differ: {check['differ']}" if check["differ"] else "")
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ROMIN vs Meilisearch, on this machine.")
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=5, help="indexing runs (rebuild and Meilisearch)"
    )
    parser.add_argument(
        "--requests", type=int, default=300, help="requests per 1-client measure (Python client)"
    )
    parser.add_argument(
        "--requests-16",
        type=int,
        default=3000,
        help="requests per 16-client measure (Python client)",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per 1-client measure (wrk)")
    parser.add_argument("--seconds-16", type=float, default=4.0, help="per 16-client measure (wrk)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--rebuild-catalogue", action="store_true")
    parser.add_argument(
        "--skip-indexing", action="store_true", help="reuse the bench index; measure search only"
    )
    parser.add_argument(
        "--keep-index", action="store_true", help="leave bench_tools in Meilisearch"
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=REPO_ROOT,
        help="serve the app from this checkout (a scratch copy with a change to try)",
    )
    parser.add_argument("--label", default="", help="name of this run in its JSON file")
    parser.add_argument(
        "--workloads",
        default="repeated,distinct",
        help="comma-separated: repeated (addictions and the 7-factor mix), distinct",
    )
    parser.add_argument(
        "--distinct-queries",
        type=int,
        default=3000,
        help="distinct queries recorded (more than a 16-client measure asks the app)",
    )
    parser.add_argument(
        "--check-sample", type=int, default=40, help="distinct queries checked for the same answer"
    )
    args = parser.parse_args(argv)

    # A `kill` (or timeout) must still stop gunicorn and drop the bench indexes: run `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_env()
    url = ensure_catalogue(args.tools, args.rebuild_catalogue, log=say, app_dir=args.app_dir)
    meili_url, key = os.environ["MEILI_URL"].rstrip("/"), os.environ.get("MEILI_MASTER_KEY", "")
    meili = Meili(meili_url, key)
    client = args.client if args.client != "auto" else ("wrk" if load.wrk_available() else "python")
    results: dict = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "tools": args.tools,
        "label": args.label,
        "app_dir": str(args.app_dir),
        "rounds": args.rounds,
        "requests_1": args.requests,
        "requests_16": args.requests_16,
        "environment": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "meili_version": meili.call("GET", "/version")["pkgVersion"],
            "client": client,
            "web_concurrency": int(os.environ.get("WEB_CONCURRENCY", os.cpu_count())),
            "web_threads": int(os.environ.get("WEB_THREADS", "4")),
            "bounds": (
                f"{args.seconds:g} s at 1 client, {args.seconds_16:g} s at 16 clients"
                if client == "wrk"
                else f"{args.requests} requests at 1 client, {args.requests_16} at 16 clients"
            ),
        },
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    server = None
    try:
        if not args.skip_indexing:
            say(f"`romin index rebuild` et Meilisearch seul, × {args.repeat}…")
            results.update(time_indexing(url, meili, args.repeat, args.app_dir))
            results["command_startup_s"] = time_command_startup(url, args.app_dir)
        elif meili.session.get(f"{meili_url}/indexes/{INDEX}", timeout=30).status_code == 404:
            say("index absent : une reconstruction…")
            rebuild_once(url, meili, args.app_dir)
        say("gunicorn…")
        server = Gunicorn(url, args.app_dir)
        token = api_token(url, args.app_dir)
        results["same_answer"] = same_answer(meili_url, key, server.base, token)
        bases = {"meili": meili_url, "api": server.base, "page": server.base}
        results["search"] = {}
        workloads = set(args.workloads.split(","))
        repeated = (("addictions", ("addictions",)), ("mix", FACTORS))
        for name, factors in repeated if "repeated" in workloads else ():
            say(f"recherche « {name} »…")
            results["search"][name] = measure_search(
                bases,
                targets(factors, key, token),
                args.requests,
                args.requests_16,
                args.seconds,
                args.seconds_16,
                args.rounds,
                client,
            )
        if "distinct" in workloads:
            say(f"requêtes distinctes : {args.distinct_queries} enregistrées par le code de l'app…")
            recorded = distinct.record(url, INDEX, args.distinct_queries, args.app_dir)
            queries = recorded["queries"]
            results["distinct_recording"] = {
                "kept": len(queries),
                "combinations_tried": recorded["seen"],
                "page_and_api_differ": recorded["mismatched"],
            }
            step = max(1, len(queries) // max(1, args.check_sample))
            results["same_answer_distinct"] = distinct.same_answers(
                queries[::step][: args.check_sample], meili_url, key, server.base, token
            )
            say(f"recherche « distinct » ({len(queries)} requêtes)…")
            results["search"]["distinct"] = measure_distinct(
                url,
                bases,
                distinct.sequences(queries, key, token),
                args.requests,
                args.requests_16,
                args.seconds_16,
                args.rounds,
                client,
            )
    finally:
        if server is not None:
            server.stop()
        if not args.keep_index:
            meili.delete_index(INDEX)
        meili.delete_index(OWN_INDEX)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"run-{stamp}{'-' + args.label if args.label else ''}.json"
    for file_name in (name, "latest.json"):
        (OUT_DIR / file_name).write_text(
            json.dumps(results, indent=2, ensure_ascii=False, default=str)
        )
    print(report(results))
    say(f"résultats : {OUT_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
