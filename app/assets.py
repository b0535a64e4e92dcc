"""Serves the State's design system (DSFR) from the npm package: no CDN."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, send_from_directory

from app.accounts.auth import public

bp = Blueprint("assets", __name__)
_STATIC = Path(__file__).resolve().parent / "static"


@bp.get("/dsfr/<path:filename>")
@public
def dsfr(filename: str) -> Response:
    directory = Path(current_app.config["DSFR_DIR"])
    if not directory.is_dir():
        abort(404)
    return send_from_directory(directory, filename, max_age=86400)


@bp.get("/static/<path:filename>")
@public
def static(filename: str) -> Response:
    return send_from_directory(_STATIC, filename, max_age=3600)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
