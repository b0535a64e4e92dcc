"""The `romin` command: one sub-command per operational task, with clear exit codes.

Each feature registers its own sub-commands (its `commands` module) when the app is built."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from app.factory import create_app


def _create_app() -> Flask:
    return create_app()


main = FlaskGroup(
    name="romin",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Commandes d'exploitation de ROMIN.",
)
