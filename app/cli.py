"""The `romin` command: one sub-command per operational task, with clear exit codes."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from app.db import db


def _create_app() -> Flask:
    from app import create_app
    return create_app()


main = FlaskGroup(name="romin", create_app=_create_app, add_default_commands=False,
                  add_version_option=False, load_dotenv=False,
                  help="Commandes d'exploitation de ROMIN.")


def fail(message: str, code: int = 1):
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def register_commands(app: Flask) -> None:
    from app.commands import db_commands, index_commands, legacy_commands, seed_commands, user_commands
    from app.commands import score_commands, stats_commands
    from app.commands import transfer_commands
    for module in (db_commands, index_commands, legacy_commands, seed_commands, user_commands,
                   stats_commands, score_commands, transfer_commands):
        module.register(app.cli)


def commit() -> None:
    db.session.commit()


def repo_path(*parts: str) -> Path:
    return Path(current_app.root_path).parent.joinpath(*parts)


def prompt_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe (12 caractères minimum) : ")
    second = getpass.getpass("Confirmez le mot de passe : ")
    if first != second:
        fail("Les deux mots de passe diffèrent.")
    return first
