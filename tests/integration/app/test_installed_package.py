"""ROMIN installed from its wheel, as the Docker image installs it, runs away from the checkout.

The wheel is built from a copy of the working tree (what git would commit, untracked files
included), installed in a fresh virtual environment under a temporary directory (its
dependencies from the package index, as `pip install .` does), and every command runs from
another temporary directory, in production mode, with DSFR_DIR and SUPPORTS_DIR given as
configuration. So the migrations, the templates, the static files and the demo catalogue must
travel inside the package: nothing may be found relative to the checkout.

Speed (2 busy cores): building the wheel ~20 s (pip's build isolation fetches setuptools),
installing it ~50 s (resolving and unpacking about 50 distributions), the commands and the
server ~20 s. The new environment is made without pip (`venv --without-pip`, 0.4 s instead of
~25 s) and filled by this checkout's pip (`pip --python`), without byte-compiling.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from private_services import _admin_url, _with_name, free_port

from app.config import CHECKOUT
from indexer.client import MeiliClient


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _copy_of_the_checkout(target: Path) -> Path:
    """What git would commit (tracked and untracked files, .gitignore honoured): building in
    place would leave build/ and *.egg-info in the checkout."""
    listing = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=CHECKOUT
    )
    for relative in filter(None, listing.split("\0")):
        source = CHECKOUT / relative
        if source.is_file():  # a tracked file deleted in the working tree is left out
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtual environment holding ROMIN's wheel and its dependencies, nothing else."""
    assert CHECKOUT is not None, "the tests run from a checkout"
    work = tmp_path_factory.mktemp("installed")
    source = _copy_of_the_checkout(work / "source")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"), "."], source)
    (wheel,) = (work / "dist").glob("romin-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work)
    _run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
        + ["--no-compile", "--disable-pip-version-check", str(wheel)],
        work,
        timeout=600,
    )
    return venv


@pytest.fixture
def database(service_env):
    """A database of this test's own on the running PostgreSQL, committed for real."""
    name = f"romin_installed_{uuid.uuid4().hex[:8]}"
    admin = _admin_url(service_env["DATABASE_URL"])
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with_name(service_env["DATABASE_URL"], name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def meili(service_env) -> MeiliClient:
    return MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))


@pytest.fixture
def index_uid(meili):
    uid = f"installed_{uuid.uuid4().hex[:12]}"
    yield uid
    try:
        meili.request("DELETE", f"/indexes/{uid}")
    except Exception:
        pass


def _wait_until_served(url: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        assert server.poll() is None, "gunicorn stopped:\n" + log.read_text(errors="replace")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading the app
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not answer:\n" + log.read_text(errors="replace"))


def test_the_installed_package_migrates_seeds_and_serves_from_anywhere(
    installed, database, index_uid, meili, service_env, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    bin_dir = installed / "bin"
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(elsewhere),
        "LANG": "C.UTF-8",
        "DATABASE_URL": database,
        "MEILI_URL": service_env["MEILI_URL"],
        "MEILI_MASTER_KEY": service_env.get("MEILI_MASTER_KEY", ""),
        "MEILI_INDEX": index_uid,
        "SECRET_KEY": "installed-package-test-secret-" + uuid.uuid4().hex,
        "ROMIN_PRODUCTION": "1",
        "PUBLIC_URL": "https://romin.example.test",
        "DSFR_DIR": str(CHECKOUT / "node_modules" / "@gouvfr" / "dsfr" / "dist"),
        "SUPPORTS_DIR": str(tmp_path / "supports"),
        "RATELIMIT_KEY_PREFIX": index_uid,
    }

    where = _run([str(bin_dir / "python"), "-c", "import app; print(app.__file__)"], elsewhere, env)
    assert Path(where.strip()).is_relative_to(installed), where
    assert "Base de données à jour" in _run(
        [str(bin_dir / "romin"), "db", "upgrade"], elsewhere, env
    )
    _run([str(bin_dir / "romin"), "index", "settings"], elsewhere, env)
    assert "outil(s) créé(s)" in _run([str(bin_dir / "romin"), "seed"], elsewhere, env)
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as conn:
        published, (slug, title) = (
            conn.execute("SELECT count(*) FROM tools WHERE status = 'published'").fetchone()[0],
            conn.execute(
                "SELECT slug, title FROM tools WHERE status = 'published' ORDER BY slug LIMIT 1"
            ).fetchone(),
        )
    # the seed's commit pushed the tools to the index (through the bundled index settings)
    assert meili.request("GET", f"/indexes/{index_uid}/stats")["numberOfDocuments"] == published

    port = free_port()
    log = tmp_path / "gunicorn.log"
    server_env = dict(env, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", WEB_THREADS="2")
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--config", "python:app.gunicorn_conf", "app.wsgi:app"],
            cwd=elsewhere,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_served(f"{base}/healthz", server, log)
        search = requests.get(f"{base}/recherche", params={"facteur": "addictions"}, timeout=10)
        assert search.status_code == 200
        # the one stylesheet built from the DSFR_DIR given (app.asset_build), hashed, immutable
        (stylesheet,) = re.findall(r'href="(/static/site\.[0-9a-f]{12}\.css)"', search.text)
        css = requests.get(f"{base}{stylesheet}", timeout=10)
        assert css.status_code == 200 and ".fr-btn" in css.text and ".romin-" in css.text
        assert "immutable" in css.headers["Cache-Control"]
        assert 'href="/outils/' in search.text  # demo tools found through the index
        sheet = requests.get(f"{base}/outils/{slug}", timeout=10)
        assert sheet.status_code == 200 and title in html.unescape(sheet.text)
        assert requests.get(f"{base}/dsfr/dsfr.min.css", timeout=10).status_code == 200
        assert requests.get(f"{base}/static/romin.css", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
