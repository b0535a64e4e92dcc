"""Felt speed: first contentful paint and bytes of the search page and a tool sheet, in Chromium
on a throttled line (issue 12: 1.6 Mbit/s down, 150 ms latency).

    python -m bench.felt [--tools 10000] [--repeat 5] [--before /tmp/felt_before]

Steps, all on loopback:
1. the bench catalogue (bench/catalogue.py: `romin_bench`, N generated tools) indexed once in
   an index of this script's own, `bench_felt` (deleted at the end unless --keep-index);
2. gunicorn with app/gunicorn_conf.py for this checkout, and for --before DIR (another checkout,
   e.g. a `git archive` of an older commit with symlinks to .venv and node_modules) side by side;
   each is warmed (a few pages and files asked) so no worker builds anything while measured;
3. per round and per app, per page (`/recherche?facteur=addictions`, then the sheet of its first
   result): Debian's Chromium (`/usr/bin/chromium`, headless) in a new browser context, so its
   cache is empty (first visit); the network throttled through CDP
   (Network.emulateNetworkConditions: 1.6 Mbit/s down, 0.75 Mbit/s up, 150 ms latency), the
   page loaded until the network is idle; then the same page again in the same context, cache
   on (repeat visit). First contentful paint from performance.getEntriesByType('paint'); bytes
   are the sum of CDP's Network.loadingFinished encodedDataLength (headers and compressed
   bodies as they crossed the wire, 0 for a file the cache answered); responses are counted
   from the same events, cache hits included.
Medians and spreads (min–max) over --repeat rounds; JSON in bench/out/. Figures, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import requests

from bench.catalogue import REPO_ROOT, ensure_catalogue, ensure_env, romin
from bench.run import OUT_DIR, Gunicorn, say

INDEX = "bench_felt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# the line of issue 12; CDP wants bytes per second and milliseconds
LINE = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6e6 / 8,
    "uploadThroughput": 0.75e6 / 8,
}
SEARCH = "/recherche?facteur=addictions"


def visit(context, url: str) -> dict:
    """One navigation on the throttled line: first contentful paint (ms), bytes, requests."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", LINE)
    seen = {"bytes": 0, "requests": 0}

    def finished(event: dict) -> None:
        seen["bytes"] += int(event["encodedDataLength"])
        seen["requests"] += 1

    cdp.on("Network.loadingFinished", finished)
    page.goto(url, wait_until="networkidle", timeout=120_000)
    fcp = page.evaluate(
        "() => (performance.getEntriesByType('paint')"
        ".find(e => e.name === 'first-contentful-paint') || {}).startTime ?? null"
    )
    page.close()
    return {"fcp_ms": fcp, **seen}


def measure_page(browser, url: str) -> dict:
    """A first visit (new context: empty cache) then a repeat visit (same context)."""
    context = browser.new_context()
    try:
        return {"first": visit(context, url), "repeat": visit(context, url)}
    finally:
        context.close()


def warm(base: str) -> str:
    """Asks each worker for pages and files (the first use builds the static files); returns
    the sheet measured: the first result of the search."""
    session = requests.Session()
    sheet = ""
    for _ in range(8):
        html = session.get(base + SEARCH, timeout=60).text
        sheet = sheet or re.search(r'href="(/outils/[^"?#]+)', html).group(1)
        for link in re.findall(r'(?:href|src)="(/(?:static|dsfr)/[^"]+)"', html):
            session.get(base + link, timeout=60)
        session.get(base + sheet, timeout=60)
    return sheet


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(runs: list[dict]) -> dict:
    out: dict = {}
    for page in ("search", "sheet"):
        for kind in ("first", "repeat"):
            rows = [run[page][kind] for run in runs]
            out[f"{page}/{kind}"] = {
                "fcp_ms": spread([r["fcp_ms"] for r in rows if r["fcp_ms"] is not None]),
                "bytes": spread([r["bytes"] for r in rows]),
                "requests": spread([r["requests"] for r in rows]),
            }
    return out


def table(results: dict) -> str:
    lines = [
        "| app | page | visit | first contentful paint, ms: median (min–max) | KiB on the wire: median (min–max) "
        "| responses (cache hits included) |",
        "|---|---|---|---|---|---|",
    ]
    for label, summary in results["summary"].items():
        for key, row in summary.items():
            page, kind = key.split("/")
            f, b = row["fcp_ms"], row["bytes"]
            lines.append(
                f"| {label} | {page} | {kind} | {f['median']:.0f} ({f['min']:.0f}–{f['max']:.0f}) "
                f"| {b['median'] / 1024:.0f} ({b['min'] / 1024:.0f}–{b['max'] / 1024:.0f}) "
                f"| {row['requests']['median']:.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds (each app, each page)")
    parser.add_argument(
        "--before", type=Path, help="another checkout served beside this one (the old figures)"
    )
    parser.add_argument("--keep-index", action="store_true", help=f"leave {INDEX} in place")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from playwright.sync_api import sync_playwright

    ensure_env()
    url = ensure_catalogue(args.tools, log=say)
    say(f"index {INDEX}…")
    done = romin(["index", "rebuild"], url, REPO_ROOT, INDEX, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"romin index rebuild failed:\n{done.stdout}\n{done.stderr}")
    apps = {"after": REPO_ROOT}
    if args.before:
        apps = {"before": args.before.resolve(), **apps}
    servers: dict[str, Gunicorn] = {}
    runs: dict[str, list[dict]] = {label: [] for label in apps}
    try:
        for label, app_dir in apps.items():
            say(f"gunicorn ({label}: {app_dir})…")
            servers[label] = Gunicorn(
                url,
                app_dir,
                extra_env={"MEILI_INDEX": INDEX},
                log_name=f"gunicorn-felt-{label}.log",
            )
        sheets = {label: warm(server.base) for label, server in servers.items()}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for round_ in range(1, args.repeat + 1):
                    say(f"tour {round_}/{args.repeat}…")
                    for label, server in servers.items():  # interleaved: same machine load
                        runs[label].append(
                            {
                                "search": measure_page(browser, server.base + SEARCH),
                                "sheet": measure_page(browser, server.base + sheets[label]),
                            }
                        )
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
        if not args.keep_index:
            key = os.environ.get("MEILI_MASTER_KEY", "")
            requests.delete(
                f"{os.environ['MEILI_URL'].rstrip('/')}/indexes/{INDEX}",
                headers={"Authorization": f"Bearer {key}"} if key else {},
                timeout=30,
            )
    results = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "tools": args.tools,
        "line": LINE,
        "apps": {label: str(path) for label, path in apps.items()},
        "runs": runs,
        "summary": {label: summarise(r) for label, r in runs.items()},
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"felt-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(table(results))
    print(f"\n{args.repeat} rounds; JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
