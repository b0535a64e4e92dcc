"""Services a fault test may break: a database of its own (committed for real), a Meilisearch
and a PostgreSQL cluster of its own, each on a free port, killed and restarted by the test.

The shared dev services (PostgreSQL on 55432, Meilisearch on 7710) are never stopped: other
tests and people use them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests
from alembic import command

from app.config import Config
from app.db_commands import alembic_config
from app.devstack import MEILI_BIN, PG_USER, _as_pg, _pg_account, _pg_bin, _run
from app.factory import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_url(url: str) -> str:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return re.sub(r"/[^/?]+(\?|$)", r"/postgres\1", plain, count=1)


def _with_name(url: str, name: str) -> str:
    return re.sub(r"/[^/?]+(\?|$)", rf"/{name}\1", url, count=1)


def app_config(
    database_url: str, meili_url: str, meili_key: str, index_uid: str, **overrides
) -> Config:
    values = dict(
        SQLALCHEMY_DATABASE_URI=database_url,
        MEILI_URL=meili_url,
        MEILI_MASTER_KEY=meili_key,
        MEILI_INDEX=index_uid,
        SECRET_KEY="test-secret-key-for-the-test-suite-only",
        TESTING=True,
        WTF_CSRF_ENABLED=False,
        SEARCH_GENERATION_LISTENER=False,
        USAGE_BUFFER_SECONDS=0,
    )
    values.update(overrides)
    return Config(**values)


@contextlib.contextmanager
def dedicated_database(base_url: str, prefix: str = "romin_faults"):
    """A migrated database of its own (transactions commit for real), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = _admin_url(base_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_name(base_url, name)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> None:
    app = create_app(app_config(url, "http://127.0.0.1:9", "", "unused"))
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    app.extensions["romin_db"].engine.dispose()


class PrivateMeili:
    """A Meilisearch of the test's own, on a free port with its own data directory."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.key = "private-meili-key-" + uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "meili.log", "ab")  # noqa: SIM115 - open while Meilisearch runs
        self.proc = subprocess.Popen(
            [
                str(MEILI_BIN),
                "--http-addr",
                f"127.0.0.1:{self.port}",
                f"--master-key={self.key}",
                "--no-analytics",
                "--env",
                "development",
                "--max-indexing-memory",
                "256MiB",
                "--db-path",
                str(self.data_dir / "data.ms"),
                "--dump-dir",
                str(self.data_dir / "dumps"),
                "--snapshot-dir",
                str(self.data_dir / "snapshots"),
                "--log-level",
                "WARN",
            ],
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.healthy():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(
            "private Meilisearch did not start: "
            + (self.data_dir / "meili.log").read_text(errors="replace")[-2000:]
        )

    def healthy(self) -> bool:
        try:
            return requests.get(self.url + "/health", timeout=0.5).ok
        except requests.RequestException:
            return False

    def kill(self) -> None:
        """SIGKILL: no flush, no goodbye, as a crash or the OOM killer would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        self.kill()


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb + pg_ctl), on a free port.

    As root, it runs as `postgres` (PostgreSQL refuses root), like app/devstack.py."""

    def __init__(self):
        self.account = _pg_account()
        self.home = Path(tempfile.mkdtemp(prefix="romin-test-pg-", dir="/tmp"))
        self.data = self.home / "data"
        self.log = self.home / "pg.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/romin"
        os.chmod(self.home, 0o755)
        if self.account is not None:
            os.chown(self.home, self.account.pw_uid, self.account.pw_gid)
        _run(
            _as_pg(
                self.account,
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(self.data),
                    "-A",
                    "trust",
                    "-U",
                    PG_USER,
                    "--encoding=UTF8",
                    "--locale=C",
                ],
            ),
            "initdb",
        )

    def _ctl(self, *args: str) -> None:
        _run(
            _as_pg(self.account, [_pg_bin("pg_ctl"), "-D", str(self.data), *args]),
            f"pg_ctl {args[-1]}",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-l", str(self.log), "-w", "-t", "60", "-o", options, "start")

    def stop(self, mode: str = "immediate") -> None:
        self._ctl("-m", mode, "-w", "stop")

    def create_database(self, name: str = "romin") -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)
