"""Time to download a session pack of 10 tools with their supports, one client.

    python -m bench.pack [--tools 10] [--repeat 10]

A private copy of the demo catalogue (database `romin_bench_pack`, dropped and recreated;
supports in a temporary folder): migrated, seeded with app/demo/catalogue.yaml (its supports
are generated A4 worksheets), and three of the chosen tools get two more supports each, a photo
(PNG, 1600 × 1200) and a DOCX, so that the pack merges PDFs, places images and lists a
document. The app is served by gunicorn with the project's config; an officer signs in and
downloads `/dossier-de-seance.pdf` for the tools with the most supports, `--repeat` times after
one warm-up; then builds the same pack in-process and measures its processor time, which the
load of a shared machine does not inflate. Prints medians and spreads, the pack's size and
pages. Figures, not a test.
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import signal
import statistics
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from urllib.parse import urlencode

import requests
from pypdf import PdfReader

from bench.catalogue import bench_url, ensure_env, recreate_database, url_string
from bench.run import Gunicorn

DATABASE = "romin_bench_pack"
EMAIL = "bench-pack@bench.romin.invalid"
PASSWORD = "banc-de-mesure-du-dossier"
AIM_SECONDS = 2.0


def _png(width: int = 1600, height: int = 1200) -> bytes:
    """A photo-like PNG (a gradient with noise: it does not compress to nothing)."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            noise = (x * 7919 + y * 104729) % 37
            row += bytes(((x + noise) % 256, (y + noise) % 256, (x + y) % 256))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml", "<w:document>" + "Consigne. " * 2000 + "</w:document>"
        )
    return buffer.getvalue()


def make_app(supports_dir: str):
    from app.config import Config
    from app.factory import create_app

    return create_app(
        Config(
            SQLALCHEMY_DATABASE_URI=url_string(bench_url(name=DATABASE)),
            SUPPORTS_DIR=supports_dir,
            SEARCH_GENERATION_LISTENER=False,
        )
    )


def build(app, count: int) -> list[str]:
    """The demo catalogue in the private database; the slugs of the `count` tools with the most
    supports (three of them given a photo and a DOCX besides)."""
    from alembic import command
    from sqlalchemy import func, select

    from app.accounts.service import create_user
    from app.catalogue.supports import add_support
    from app.db import db
    from app.db_commands import alembic_config
    from app.demo.seed import seed
    from app.models import Support, Tool

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        db.session.info["romin_sync"] = False  # nothing to index: the pack reads the database
        seed(db.session)
        create_user(db.session, EMAIL, "agent", PASSWORD)
        supports = func.count(Support.id)
        tools = (
            db.session.execute(
                select(Tool)
                .join(Support, Support.tool_id == Tool.id)
                .where(Tool.status == "published")
                .group_by(Tool.id)
                .order_by(supports.desc(), Tool.id)
                .limit(count)
            )
            .scalars()
            .all()
        )
        photo, document = _png(), _docx()
        for tool in tools[:3]:
            add_support(db.session, tool, "photo-du-tableau.png", photo, "Photo du tableau")
            add_support(db.session, tool, "consignes.docx", document, "Consignes")
        db.session.commit()
        slugs = [tool.slug for tool in tools]
        merged = sum(len(tool.supports) for tool in tools)
    print(f"[bench] {len(slugs)} outils, {merged} supports", flush=True)
    return slugs


def cpu_seconds(app, slugs: list[str], repeat: int) -> list[float]:
    """The processor time of building the same pack in this process (the PDF work alone, what
    the machine's load does not change), `repeat` times after one warm-up."""
    from sqlalchemy import select

    from app.db import db
    from app.models import Tool
    from app.workspace.pack import Cover, build_pack

    seconds = []
    with app.test_request_context():
        found = {t.slug: t for t in db.session.scalars(select(Tool).where(Tool.slug.in_(slugs)))}
        tools = [found[s] for s in slugs]
        for run in range(repeat + 1):
            started = time.process_time()
            build_pack(tools, Cover())
            if run:
                seconds.append(time.process_time() - started)
    return seconds


def sign_in(session: requests.Session, base: str) -> None:
    page = session.get(f"{base}/connexion", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{base}/connexion",
        data={"csrf_token": token, "email": EMAIL, "password": PASSWORD},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused ({answer.status_code})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_env()
    recreate_database(DATABASE)
    with tempfile.TemporaryDirectory(prefix="romin-bench-pack-") as supports_dir:
        app = make_app(supports_dir)
        slugs = build(app, args.tools)
        web = Gunicorn(
            bench_url(name=DATABASE),
            extra_env={"SUPPORTS_DIR": supports_dir, "LOCAL_LOGIN_ENABLED": "1"},
            log_name="gunicorn-pack.log",
        )
        try:
            session = requests.Session()
            session.headers["Accept-Encoding"] = "identity"
            sign_in(session, web.base)
            url = f"{web.base}/dossier-de-seance.pdf?" + urlencode([("outil", s) for s in slugs])
            times, size, pages = [], 0, 0
            for run in range(args.repeat + 1):
                started = time.perf_counter()
                answer = session.get(url, timeout=120)
                elapsed = time.perf_counter() - started
                answer.raise_for_status()
                if answer.headers["Content-Type"] != "application/pdf":
                    raise RuntimeError("the pack did not come back as a PDF")
                size = len(answer.content)
                pages = len(PdfReader(io.BytesIO(answer.content)).pages)
                if run:  # the first one warms the worker up
                    times.append(elapsed)
                    print(f"[bench] pack {run}: {elapsed:.3f} s", flush=True)
        finally:
            web.stop()
        cpu = cpu_seconds(app, slugs, args.repeat)
        app.extensions["romin_db"].engine.dispose()
    print(
        f"\n**Session pack of {len(slugs)} tools with their supports, 1 client** ({len(times)} downloads)\n"
    )
    print("| measure | median | min–max | aim |\n|---|---:|---|---|")
    print(
        f"| GET /dossier-de-seance.pdf | {statistics.median(times):.2f} s | "
        f"{min(times):.2f}–{max(times):.2f} s | < {AIM_SECONDS:g} s "
        f"{'✔' if statistics.median(times) < AIM_SECONDS else '✘'} |"
    )
    print(
        f"| building it, processor time in-process | {statistics.median(cpu):.2f} s | "
        f"{min(cpu):.2f}–{max(cpu):.2f} s | |"
    )
    print(f"| size of the pack | {size / 1024 / 1024:.1f} MiB ({pages} pages) | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
