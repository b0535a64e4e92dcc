"""Plugs pilotage into the app: weights and statistics pages, the ranking API, the usage
receivers, `romin stats` and `romin scores`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.extensions import csrf
from app.pilotage import api as ranking_api
from app.pilotage import commands, score_commands, stats_views, usage_receivers, weights_views
from app.pilotage.blueprint import bp

_PAGES = (stats_views, weights_views, usage_receivers)  # routes on `bp`; signal receivers


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(bp)
    csrf.exempt(ranking_api.blp)
    api.register_blueprint(ranking_api.blp)
    commands.register(app.cli)
    score_commands.register(app.cli)
