"""Plugs the workspace into the app: an officer's favourites and news, alerts by e-mail, plans
and session packs. Each module of pages is imported here for the routes it adds to `bp`, and
named in a tuple below (one line per part of the feature)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.db import RominSession
from app.workspace import (
    commands,
    favourite_views,
    news,
    news_views,
    pack_views,
    page_context,
    plan_views,
    receivers,
)
from app.workspace.blueprint import bp

_FAVOURITES_AND_NEWS = (favourite_views, news_views, receivers)  # routes on bp; receivers
_PLANS_AND_PACKS = (plan_views, pack_views)  # routes on bp


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(bp)
    news.install(RominSession)  # tool_news follows every change of the catalogue
    for helper in page_context.TEMPLATE_GLOBALS:  # the cards', sheet's and header's forms
        app.add_template_global(helper)
    commands.register(app.cli)
