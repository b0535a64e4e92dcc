"""Serves the State's design system (DSFR) from the npm package: no CDN."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory

bp = Blueprint("assets", __name__)
_STATIC = Path(__file__).resolve().parent / "static"


def init_app(app: Flask) -> None:
    dsfr_dir = Path(app.config["DSFR_DIR"])

    @bp.get("/dsfr/<path:filename>")
    def dsfr(filename: str):
        if not dsfr_dir.is_dir():
            abort(404)
        return send_from_directory(dsfr_dir, filename, max_age=86400)

    @bp.get("/static/<path:filename>")
    def static(filename: str):
        return send_from_directory(_STATIC, filename, max_age=3600)

    dsfr.required_role = None
    static.required_role = None
    app.register_blueprint(bp)
