"""The distinct-query workload: every query asked once, so no answer comes from the app's cache.

The repeated workload (a factor, or the 7 factors in turn) is answered from the per-generation
cache after the first request, which hides the web tier's own cost: the token check, the
argument parsing, the reading of the typed words, Meilisearch's round trip, the serialisation or
the template, the usage event. Here the queries are the product factor × stage × modality ×
typed words × page, shuffled with a fixed seed, and a query is kept only when it has results and
its page exists (else the page answers 400).

What Meilisearch is asked for the same query is not rebuilt here: the checkout's own code
answers each query once, in a subprocess, with a cache of size 0, and every request its
Meilisearch client sends from `run_search` is recorded (method, path, JSON body). Replaying
those requests is the Meilisearch target, so the ratio compares like with like: same filter,
same `q`, same page and limit, same facets, and, for words ranking within a factor, the same
two or three multi-searches one after the other.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests

from bench import load
from bench.catalogue import REPO_ROOT, app_env

SEED = 20_261_128
FACTORS = ("attitudes", "personnalite", "entourage", "loisirs", "famille", "emploi", "addictions")
STAGES = ("precontemplation", "contemplation", "determination", "action", "maintien")
MODALITIES = ("individuelle", "collective", "mixte")
# what officers type: methods of the generated catalogue, words of its sentences, words that
# name a factor ("alcool") or a stage ("contemplation"), which the app reads as filters
WORDS = (
    "",
    "balance décisionnelle",
    "jeu de rôle",
    "ligne de vie",
    "photolangage",
    "entretien motivationnel",
    "situations à risque",
    "plan d'action",
    "journal de bord",
    "en groupe",
    "jeunes adultes",
    "motivation",
    "alcool",
    "emploi",
    "contemplation",
    "colère",
)
PAGES = (1, 2, 3)


@dataclass(frozen=True)
class Distinct:
    """One query of the workload: its API and page addresses, the Meilisearch requests the app
    sends for it, and the answer the app gave when it was recorded."""

    api: str
    page: str
    meili: tuple[dict, ...]  # {"method", "path", "json"} in the order the app sent them
    slugs: tuple[str, ...]
    total: int

    @property
    def steps(self) -> int:
        return len(self.meili)


def combinations(seed: int = SEED) -> list[dict]:
    """Every factor × stage × modality × words × page (None: not chosen), shuffled."""
    out = [
        {"factor": f, "stage": s, "modality": m, "q": w, "page": p}
        for f in (None, *FACTORS)
        for s in (None, *STAGES)
        for m in (None, *MODALITIES)
        for w in WORDS
        for p in PAGES
    ]
    random.Random(seed).shuffle(out)
    return out


def _pairs(args: dict, names: dict[str, str]) -> list[tuple[str, str]]:
    return [(names[k], str(v)) for k, v in args.items() if v not in (None, "") and k in names]


API_NAMES = {
    "factor": "risk_factor",
    "stage": "stage",
    "modality": "modality",
    "q": "q",
    "page": "page",
}
PAGE_NAMES = {
    "factor": "facteur",
    "stage": "stade",
    "modality": "modalite",
    "q": "q",
    "page": "page",
}


def api_query(args: dict) -> str:
    return urlencode(
        _pairs({**args, "page": args["page"] if args["page"] > 1 else None}, API_NAMES)
    )


def page_query(args: dict) -> str:
    return urlencode(
        _pairs({**args, "page": args["page"] if args["page"] > 1 else None}, PAGE_NAMES)
    )


_RECORD = r"""
import json, sys
from urllib.parse import parse_qsl
sys.path.insert(0, '.')
from werkzeug.datastructures import MultiDict
from app.factory import create_app
from app.db import db
import app.search.service as service
from app.search.schemas import ApiSearchArgs, PageSearchArgs, query_arguments, to_query
from indexer.client import MeiliClient

spec = json.load(open(sys.argv[1]))
calls, recording = [], [False]
real_request = MeiliClient.request

def request(self, method, path, json=None, timeout=None):
    if recording[0]:
        calls.append({"method": method, "path": path, "json": json})
    return real_request(self, method, path, json=json, timeout=timeout)

MeiliClient.request = request
real_run = service.run_search

def run_search(*args, **kwargs):
    recording[0] = True
    try:
        return real_run(*args, **kwargs)
    finally:
        recording[0] = False

service.run_search = run_search
app = create_app()
out, mismatched, seen = [], 0, 0
with app.app_context():
    per_page = app.config["SEARCH_PER_PAGE"]
    for item in spec["queries"]:
        seen += 1
        args = ApiSearchArgs().load(query_arguments(MultiDict(parse_qsl(item["api"]))))
        query = to_query(args, per_page)
        page_args = PageSearchArgs().load(query_arguments(MultiDict(parse_qsl(item["page"]))))
        if to_query(page_args, per_page) != query:
            mismatched += 1
            continue
        del calls[:]
        answer = service.search(db.session, query)
        db.session.rollback()
        if answer.degraded:
            sys.exit("search degraded: is Meilisearch up and the bench index there?")
        if not answer.result.total or answer.query.page > answer.pages:
            continue
        out.append({
            "api": item["api"], "page": item["page"], "meili": list(calls),
            "slugs": [h["slug"] for h in answer.result.hits], "total": answer.result.total,
        })
        if len(out) >= spec["count"]:
            break
json.dump({"queries": out, "seen": seen, "mismatched": mismatched},
          open(sys.argv[2], "w"), ensure_ascii=False)
"""


def record(url, index: str, count: int, app_dir: Path = REPO_ROOT, seed: int = SEED) -> dict:
    """`count` distinct queries with results, each answered once by the checkout's own code (no
    cache), with the Meilisearch requests it sent. Returns {"queries": [Distinct], "seen",
    "mismatched"}: how many combinations were tried, and how many the page and the API read as
    different queries (left out: there would be no single Meilisearch equivalent)."""
    spec = {
        "count": count,
        "queries": [{"api": api_query(a), "page": page_query(a)} for a in combinations(seed)],
    }
    env = {**app_env(url, index), "SEARCH_CACHE_SIZE": "0", "SEARCH_GENERATION_LISTENER": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "spec.json", Path(tmp) / "recorded.json"
        src.write_text(json.dumps(spec, ensure_ascii=False))
        proc = subprocess.run(
            [sys.executable, "-c", _RECORD, str(src), str(dst)],
            env=env,
            cwd=app_dir,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"recording the distinct queries failed:\n{proc.stderr[-3000:]}")
        data = json.loads(dst.read_text())
    data["queries"] = [
        Distinct(
            "/api/v1/search" + (f"?{q['api']}" if q["api"] else ""),
            "/recherche" + (f"?{q['page']}" if q["page"] else ""),
            tuple(q["meili"]),
            tuple(q["slugs"]),
            q["total"],
        )
        for q in data["queries"]
    ]
    return data


# -- the three targets -------------------------------------------------------------------------


def meili_headers(key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }


def meili_sequence(query: Distinct, key: str) -> list[load.Request]:
    """The requests the app sent Meilisearch for this query, one after the other."""
    headers = meili_headers(key)
    return [
        load.Request(
            c["method"],
            c["path"],
            headers,
            json.dumps(c["json"]) if c["json"] is not None else None,
        )
        for c in query.meili
    ]


def sequences(queries: list[Distinct], key: str, token: str) -> dict[str, list[list[load.Request]]]:
    """Per target, one list of requests per query (Meilisearch: 1 to 3; API and page: 1)."""
    plain = {"Accept-Encoding": "identity"}
    return {
        "meili": [meili_sequence(q, key) for q in queries],
        "api": [
            [load.Request("GET", q.api, {**plain, "Authorization": f"Bearer {token}"})]
            for q in queries
        ],
        "page": [[load.Request("GET", q.page, plain)] for q in queries],
    }


# -- same answer ------------------------------------------------------------------------------

_SHEET_LINK = re.compile(r'href="/outils/([^"/?#]+)\?')


def page_slugs(html: str) -> list[str]:
    """The result cards' tools, in order: each card links to its sheet once or more."""
    return list(dict.fromkeys(_SHEET_LINK.findall(html)))


def meili_slugs(meili_url: str, key: str, query: Distinct) -> list[str]:
    """Replay the app's requests to Meilisearch: the hits of the last round trip, in order (the
    counting requests before it, and the facet counts beside it, retrieve none). The app may
    ask for more than its page (words ranked within a factor: the first positions at once) and
    cut its page out of them (a tool read in several of its lists counts once, where first
    read: the lists of a tier's segments overlap, the tools matching in the title or summary
    being among those matching anywhere)."""
    session = requests.Session()
    answer: dict = {}
    for r in meili_sequence(query, key):
        response = session.request(
            r.method, meili_url + r.path, headers=r.headers, data=r.body, timeout=10
        )
        response.raise_for_status()
        answer = response.json()
    results = answer.get("results", [answer])
    return list(dict.fromkeys(hit["slug"] for result in results for hit in result.get("hits", [])))


def within(page: list[str], direct: list[str]) -> bool:
    """The page's tools, in their order, one run of Meilisearch's answer (all of it, or the
    page's part of the positions the app asked for)."""
    n = len(page)
    return n > 0 and any(direct[i : i + n] == page for i in range(len(direct) - n + 1))


def same_answers(queries: list[Distinct], meili_url: str, key: str, web: str, token: str) -> dict:
    """On a sample: the API and the page give the same tools in the same order, that order is
    Meilisearch's (the app's requests replayed: its answer, or a run of it when the app asked
    for more positions than its page), and the API's total is the one recorded."""
    session = requests.Session()
    differ = []
    for q in queries:
        direct = meili_slugs(meili_url, key, q)
        api = session.get(web + q.api, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        page = session.get(web + q.page, timeout=10)
        api_slugs = [h["slug"] for h in api.json()["hits"]] if api.status_code == 200 else None
        html_slugs = page_slugs(page.text) if page.status_code == 200 else None
        same = api_slugs is not None and api_slugs == html_slugs and within(api_slugs, direct)
        if not same or api.json().get("total") != q.total:
            differ.append(
                {
                    "api": q.api,
                    "meili": direct[:5],
                    "api_hits": (api_slugs or [])[:5],
                    "page_hits": (html_slugs or [])[:5],
                    "statuses": [api.status_code, page.status_code],
                }
            )
    return {"checked": len(queries), "same": len(queries) - len(differ), "differ": differ[:3]}
