"""Plugs search into the app: the search page and its API."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.extensions import csrf
from app.search import api as search_api
from app.search import risk_factors_api, views


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(views.bp)
    for module in (risk_factors_api, search_api):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
