"""Plugs index sync into the app: the session hooks, the health page, `romin index`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from sqlalchemy.orm import Session

from app.index_sync import commands, views
from app.index_sync.hooks import install_session_hooks


def install(session_class: type[Session]) -> None:
    """Attach the change-tracking hooks to the app's session class (once per process)."""
    install_session_hooks(session_class)


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(views.bp)
    commands.register(app.cli)
