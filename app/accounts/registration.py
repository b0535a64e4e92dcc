"""Plugs the accounts feature into the app: ProConnect, the signed-in user in templates, the
sign-in and accounts pages, `romin user` and `romin token`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.accounts import account_views, auth, commands, proconnect, sign_in_views
from app.accounts.blueprint import bp

_PAGES = (sign_in_views, account_views)  # their routes are on `bp`


def register(app: Flask, api: Api) -> None:
    proconnect.init_app(app)
    auth.init_app(app)
    app.register_blueprint(bp)
    commands.register(app.cli)
