"""Plugs the catalogue into the app: the tool sheet and the tools API."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.catalogue import api as tools_api
from app.catalogue import views
from app.extensions import csrf


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(views.bp)
    csrf.exempt(tools_api.blp)
    api.register_blueprint(tools_api.blp)
