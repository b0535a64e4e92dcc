"""Plugs curation into the app: the back office pages, `romin export|import|import-legacy`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.curation import commands, factor_views, legacy_commands, support_views, tool_views
from app.curation.blueprint import bp

_PAGES = (tool_views, support_views, factor_views)  # their routes are on `bp`


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(bp)
    commands.register(app.cli)
    legacy_commands.register(app.cli)
