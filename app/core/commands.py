"""Helpers every `romin` sub-command shares: a French failure with its exit code, the command's
one commit, and a password read without echo."""

from __future__ import annotations

import getpass
import sys
from typing import NoReturn

import click

from app.core.refusals import Refused
from app.db import db


def fail(message: str, code: int = 1) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def fail_refused(refusal: Refused, code: int = 1) -> NoReturn:
    """A service's refusal, one message per line, and the command's exit code."""
    fail("\n".join(refusal.lines()), code)


def commit() -> None:
    """A command is one unit of work, like a request: it commits once, at its end."""
    db.session.commit()


def prompt_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe (12 caractères minimum) : ")
    second = getpass.getpass("Confirmez le mot de passe : ")
    if first != second:
        fail("Les deux mots de passe diffèrent.")
    return first
