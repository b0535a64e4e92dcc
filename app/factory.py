"""The app factory: config injected (tests) or read from the environment; each feature
registers its pages, API, commands and signal receivers here, in the order of the layers."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from flask import Flask, Response, current_app, g, request, session
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
    assets.init_app(app)  # before the other after_request hooks: pages are compressed last
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


# Browser features ROMIN never uses, refused to its pages and to anything they could embed.
# (interest-cohort is left out: FLoC was abandoned in 2022 and no browser reads it any more;
# browsing-topics, the API that replaced it, is refused instead.)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
# Production is served over https only (behind its TLS proxy): browsers remember it two years.
HSTS = "max-age=63072000; includeSubDomains"
# Files that set their own cache policy: the design system and the app's static files (public),
# and support downloads (app.catalogue.views.download_support: private, versioned).
OWN_CACHE_POLICY = {"assets.dsfr", "assets.static", "catalogue.download_support"}


def _signed_in() -> bool:
    """Whether the request comes from someone signed in (a session) or an API client (a token):
    its answer may then hold what only they may read."""
    return (
        g.get("user") is not None
        or g.get("api_user") is not None
        or "uid" in session
        or "Authorization" in request.headers
    )


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if current_app.config["PRODUCTION"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint not in OWN_CACHE_POLICY and _signed_in():
        # neither a shared cache nor the browser's keeps a signed-in page (a shared computer)
        response.headers["Cache-Control"] = "private, no-store"
    return response
