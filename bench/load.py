"""Load generation: the same client for Meilisearch, the API and the page.

`wrk` (Debian package `wrk`) when it is installed, else Python threads. Why prefer wrk: on a
2-core machine the client shares the CPU with gunicorn and Meilisearch; a Python client at 16
threads burns a good part of a core and caps the faster target (Meilisearch) first, which
would flatter the API. Both clients keep connections alive and send
`Accept-Encoding: identity`, and both are bounded: wrk by a duration (its threads cannot end
a run early: the main thread sleeps the whole duration, so a count would skew the rate), the
Python client by a number of requests.

The distinct workload (bench/distinct.py) asks each query once: its wrk script starts each
thread at its own part of the list (`spread`), so two threads never ask the same query at the
same moment, and its 1-client latency is timed by `sequences`, a plain `http.client` loop that
times a query as a whole when it is several requests (the app's multi-searches replayed against
Meilisearch) and costs little beside the server (no `requests` machinery).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    client: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "errors": self.errors,
            "client": self.client,
        }


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run(
    base_url: str,
    requests_: list[Request],
    clients: int,
    total: int,
    seconds: float,
    client: str = "auto",
    spread: bool = False,
) -> LoadResult:
    """`clients` kept-alive connections for `seconds` (wrk) or `total` requests (Python).
    `spread`: each wrk thread, or Python client, starts at its own part of the list (distinct
    queries); else they all walk it from about the same place (the repeated workload)."""
    if client == "auto":
        client = "wrk" if wrk_available() else "python"
    if client == "wrk":
        return _wrk(base_url, requests_, clients, seconds, spread)
    return _python(base_url, requests_, clients, total, spread)


# -- wrk ---------------------------------------------------------------------------------

_LUA = r"""
local reqs = { %(requests)s }
local threads = {}
local stride = %(stride)d
function setup(thread)
  thread:set("offset", stride > 0 and #threads * stride or #threads)
  table.insert(threads, thread)
end
function init(args)
  n = 0
  bad = 0
  i = offset or 0
end
function request()
  i = i + 1
  local r = reqs[(i %% #reqs) + 1]
  return wrk.format(r.method, r.path, r.headers, r.body)
end
function response(status, headers, body)
  n = n + 1
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bads = 0
  for _, t in ipairs(threads) do bads = bads + (t:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p95_us":%%d,"p99_us":%%d,' ..
    '"bad_status":%%d,"socket_errors":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), bads, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(value: str) -> str:
    level = "=" * 3
    while f"]{level}]" in value:
        level += "="
    return f"[{level}[{value}]{level}]"


def _lua_request(r: Request) -> str:
    headers = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in r.headers.items())
    body = _lua_string(r.body) if r.body is not None else "nil"
    return (
        f"{{ method = {_lua_string(r.method)}, path = {_lua_string(r.path)}, "
        f"headers = {{ {headers} }}, body = {body} }}"
    )


def _wrk(
    base_url: str, requests_: list[Request], clients: int, seconds: float, spread: bool = False
) -> LoadResult:
    threads = min(clients, 2)
    script = _LUA % {
        "requests": ",\n".join(_lua_request(r) for r in requests_),
        "stride": len(requests_) // threads if spread else 0,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        path = handle.name
    try:
        proc = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(clients),
                "-d",
                f"{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                path,
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(path)
    line = next((out for out in proc.stdout.splitlines() if out.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    data = json.loads(line[len("BENCH_JSON ") :])
    return LoadResult(
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p95_us"] / 1000,
        data["p99_us"] / 1000,
        data["bad_status"] + data["socket_errors"],
        "wrk",
    )


# -- Python threads ----------------------------------------------------------------------


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]


def _python(
    base_url: str, requests_: list[Request], clients: int, total: int, spread: bool = False
) -> LoadResult:
    per_client = max(1, total // clients)
    stride = len(requests_) // clients if spread else 1
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def worker(k: int) -> None:
        session = requests.Session()
        session.headers["Accept-Encoding"] = "identity"
        barrier.wait()
        for i in range(per_client):
            r = requests_[(k * stride + i) % len(requests_)]
            started = time.perf_counter()
            response = session.request(
                r.method,
                base_url + r.path,
                headers=r.headers,
                data=r.body.encode() if r.body else None,
            )
            _ = response.content
            latencies[k].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors[k] += 1

    return _run_clients(worker, clients, barrier, latencies, errors, "python")


def sequences(
    base_url: str, queries: list[list[Request]], clients: int = 1, total: int | None = None
) -> LoadResult:
    """Each query (one request or several, sent one after the other) timed as a whole, on one
    kept-alive `http.client` connection per client; client k asks queries k, k + clients, …
    (never the same query as another client). `total` queries in all (default: each once)."""
    total = len(queries) if total is None else total
    per_client = max(1, total // clients)
    parts = urlsplit(base_url)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        barrier.wait()
        for i in range(per_client):
            query = queries[(k + i * clients) % len(queries)]
            started = time.perf_counter()
            for r in query:
                body = r.body.encode() if r.body is not None else None
                conn.request(r.method, r.path, body=body, headers=r.headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[k] += 1
            latencies[k].append((time.perf_counter() - started) * 1000)
        conn.close()

    return _run_clients(worker, clients, barrier, latencies, errors, "python-http.client")


def _run_clients(
    worker: Callable[[int], None],
    clients: int,
    barrier: threading.Barrier,
    latencies: list[list[float]],
    errors: list[int],
    label: str,
) -> LoadResult:
    """Start `clients` workers together (the barrier), time them to the last one, and sum up
    the latencies they recorded."""
    workers = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    values = sorted(v for per in latencies for v in per)
    return LoadResult(
        len(values),
        seconds,
        statistics.median(values),
        _percentile(values, 0.95),
        _percentile(values, 0.99),
        sum(errors),
        label,
    )
