"""The project's rules, checked on every run of the test command: import contracts
(import-linter, `.importlinter`), lint and format (ruff), types (mypy, `pyproject.toml`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    tool = BIN / args[0]
    if not tool.exists():
        pytest.fail(f"{args[0]} manque : lancez `make install` (extras [dev]).", pytrace=False)
    return subprocess.run(
        [str(tool), *args[1:]], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_import_contracts_hold():
    result = _run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_catch_an_upward_import(tmp_path):
    """The contracts could fail: the catalogue importing pilotage is refused."""
    for name in ("app", "indexer", "ranking"):
        shutil.copytree(
            ROOT / name,
            tmp_path / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "static"),
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    service = tmp_path / "app" / "catalogue" / "service.py"
    service.write_text(service.read_text() + "\nfrom app.pilotage import stats  # noqa\n")
    result = _run("lint-imports", "--no-cache", cwd=tmp_path)
    assert result.returncode != 0
    assert "app.catalogue.service -> app.pilotage.stats" in result.stdout


def test_ruff_lint_is_clean():
    result = _run("ruff", "check", "app", "indexer", "ranking", "tests", "bench", "migrations")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied():
    result = _run(
        "ruff", "format", "--check", "app", "indexer", "ranking", "tests", "bench", "migrations"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_types_check():
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
