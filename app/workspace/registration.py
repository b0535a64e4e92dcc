"""Plugs the workspace into the app: an officer's favourites and news, alerts by e-mail, plans
and session packs. Each module of pages is imported here for the routes it adds to `bp`
(one line per module)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.workspace.blueprint import bp


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(bp)
