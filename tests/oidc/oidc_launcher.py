"""Starts tests/oidc/provider.mjs (the npm `oidc-provider`) for a test; fails loudly when node or
the package is missing, never skips."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "oidc" / "provider.mjs"


class Provider:
    """A running provider: its issuer URL; `stop()` ends it."""

    def __init__(self, issuer: str, process: subprocess.Popen, log):
        self.issuer, self._process, self._log = issuer, process, log

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._log.close()


def start_provider(workdir: Path, clients: list[dict], id_token_ttl: int = 3600) -> Provider:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node introuvable : installez Node.js 20 (les tests ProConnect démarrent le "
            "fournisseur OpenID `oidc-provider`).",
            pytrace=False,
        )
    if not (REPO / "node_modules" / "oidc-provider" / "package.json").is_file():
        pytest.fail(
            "Le paquet npm `oidc-provider` manque : lancez `make install` "
            "(npm ci --ignore-scripts).",
            pytrace=False,
        )
    config = workdir / "provider.json"
    config.write_text(json.dumps({"idTokenTtl": id_token_ttl, "clients": clients}))
    log_path = workdir / "provider.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [node, str(SCRIPT), str(config)], stdout=subprocess.PIPE, stderr=log, text=True, cwd=REPO
    )
    first_line: list[str] = []
    started = threading.Event()

    def read() -> None:
        first_line.append(process.stdout.readline())
        started.set()
        for _ in process.stdout:  # keep the pipe drained: the provider may print notices
            pass

    threading.Thread(target=read, daemon=True).start()
    started.wait(timeout=30)
    if not first_line or not first_line[0].strip():
        process.kill()
        log.close()
        pytest.fail(
            "Le fournisseur OpenID de test n'a pas démarré : " + log_path.read_text()[-2000:],
            pytrace=False,
        )
    return Provider(json.loads(first_line[0])["issuer"], process, log)
