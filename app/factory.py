"""The app factory: config injected (tests) or read from the environment; each feature
registers its pages, API, commands and signal receivers here, in the order of the layers."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from flask import Flask, Response
from flask_smorest import Api

from app import assets, db_commands, errors, health, request_guard
from app.accounts import registration as accounts
from app.accounts import throttling
from app.accounts.menu import visible_entries
from app.catalogue import registration as catalogue
from app.config import Config, data_dir
from app.core.dates import fr_date, fr_datetime
from app.curation import registration as curation
from app.db import RominSession, db
from app.demo import commands as demo_commands
from app.extensions import csrf
from app.feedback import registration as feedback
from app.index_sync import registration as index_sync
from app.pilotage import registration as pilotage
from app.search import registration as search
from app.workspace import registration as workspace

FEATURES = (accounts, catalogue, index_sync, search, feedback, curation, workspace, pilotage)


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    if isinstance(config, dict):
        config = Config(**config)
    config = config or Config()
    config.check()

    app = Flask(__name__, template_folder=data_dir("templates"), static_folder=None)
    app.config.from_mapping(config.as_mapping())
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    request_guard.init_app(app)  # first of the request hooks: refuses NUL bytes, deep JSON
    db.init_app(app)
    index_sync.install(RominSession)
    csrf.init_app(app)
    throttling.init_app(app)  # before the pages: a request over a limit goes no further
    assets.init_app(app)
    app.register_blueprint(health.bp)
    api = _api(app)
    for feature in FEATURES:
        feature.register(app, api)
    errors.init_app(app)  # after the API: its handlers answer HTML pages, flask-smorest's JSON
    # for every template: the back office's side menu, and dates as read in France
    app.jinja_env.globals["backoffice_entries"] = visible_entries
    app.jinja_env.filters["date_heure"] = partial(fr_datetime, empty="—")
    app.jinja_env.filters["date_jour"] = partial(fr_date, empty="—")
    app.after_request(db.commit_request)  # one transaction per request, committed here only
    app.after_request(_security_headers)
    db_commands.register(app.cli)
    demo_commands.register(app.cli)
    return app


def _api(app: Flask) -> Api:
    """The JSON API under /api/v1 (flask-smorest), Bearer tokens; features add their
    blueprints to it, exempt from CSRF (no cookie authenticates them)."""
    api = Api(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    app.extensions["romin_api"] = api
    return api


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    return response
