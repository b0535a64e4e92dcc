"""Time from saving new ranking weights to the search API serving the new order (issue 4).

`python -m bench.weights [--tools 10000] [--repeat 3]`: on the generated bench catalogue,
served by gunicorn, a staff token PUTs new weights (evidence only, then ratings only, in turn)
and the clock runs until `/api/v1/search?risk_factor=addictions` answers with a different
order (the two variants order that factor differently). Prints the PUT's own time and the time to the new order, median and
spread. Figures, not a test.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time

import requests

from bench.catalogue import REPO_ROOT, ensure_catalogue, ensure_env, romin
from bench.run import INDEX, Gunicorn

STAFF_EMAIL = "bench-staff@bench.romin.invalid"
VARIANTS = ({"rating": 0.0, "evidence": 1.0}, {"rating": 1.0, "evidence": 0.0})


def staff_token(url) -> str:
    romin(
        ["user", "create", STAFF_EMAIL, "--role", "staff", "--no-password"],
        url,
        REPO_ROOT,
        INDEX,
        capture_output=True,
    )
    proc = romin(
        ["token", "create", STAFF_EMAIL],
        url,
        REPO_ROOT,
        INDEX,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip().splitlines()[-1]


def order(session: requests.Session, base: str) -> list[str]:
    answer = session.get(f"{base}/api/v1/search?risk_factor=addictions&per_page=20", timeout=30)
    answer.raise_for_status()
    return [hit["slug"] for hit in answer.json()["hits"]]


def one_change(session, base, weights: dict, before: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    response = session.put(
        f"{base}/api/v1/ranking/weights",
        timeout=120,
        json={"weights": weights, "note": "bench: temps de prise en compte"},
    )
    put_done = time.perf_counter()
    response.raise_for_status()
    deadline = started + 120
    while time.perf_counter() < deadline:
        if order(session, base) != before:
            return put_done - started, time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError("the new order never showed within 120 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_env()
    url = ensure_catalogue(args.tools)
    romin(["index", "rebuild"], url, REPO_ROOT, INDEX, check=True, capture_output=True)
    token = staff_token(url)
    web = Gunicorn(url, log_name="gunicorn-weights.log")
    puts, totals = [], []
    try:
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"})
        for run in range(args.repeat * len(VARIANTS)):
            before = order(session, web.base)
            put_s, total_s = one_change(session, web.base, VARIANTS[run % len(VARIANTS)], before)
            puts.append(put_s)
            totals.append(total_s)
            print(
                f"[bench] change {run + 1}: PUT {put_s:.2f} s, new order served after {total_s:.2f} s",
                flush=True,
            )
    finally:
        web.stop()
        romin(["index", "rebuild"], url, REPO_ROOT, INDEX, capture_output=True)  # defaults back
    print(f"\n**Saving ranking weights, {args.tools} tools** ({len(totals)} changes)\n")
    print("| measure | median (s) | min–max (s) | aim |\n|---|---:|---|---|")
    print(
        f"| PUT /api/v1/ranking/weights | {statistics.median(puts):.2f} | "
        f"{min(puts):.2f}–{max(puts):.2f} | |"
    )
    print(
        f"| save → search API serves the new order | {statistics.median(totals):.2f} | "
        f"{min(totals):.2f}–{max(totals):.2f} | < 10 s |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
