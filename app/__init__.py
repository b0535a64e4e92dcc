"""ROMIN: intervention tools for French probation officers, ranked per risk factor."""
from __future__ import annotations

import logging

from flask import Flask

from app.config import Config


def create_app(config: Config | dict | None = None) -> Flask:
    """App factory: config injected (tests) or read from the environment."""
    from app import assets, auth, errors, indexing
    from app.api import register_api
    from app.db import RominSession, db
    from app.extensions import csrf
    from app.web import register_web

    if isinstance(config, dict):
        config = Config(**config)
    config = config or Config()
    config.check()

    app = Flask(__name__, template_folder="../templates", static_folder=None)
    app.config.from_mapping(config.as_mapping())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    indexing.install_session_hooks(RominSession)
    csrf.init_app(app)
    auth.init_app(app)
    assets.init_app(app)
    register_web(app)
    register_api(app)
    errors.init_app(app)  # after the API: its handlers answer HTML pages, flask-smorest's JSON

    @app.after_request
    def _commit(response):
        """One transaction per request: commit what the request did unless it failed."""
        if response.status_code < 400:
            db.commit()
        else:
            db.rollback()
        return response

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        return response

    from app.cli import register_commands
    register_commands(app)
    return app
