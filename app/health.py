"""Liveness for container health checks: the database and the search engine, no details."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from app.accounts.auth import public
from app.db import db
from app.index_sync.client import meili

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """200 while the database answers (search degrades on its own); 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:
        database = False
    search = meili().healthy()
    return jsonify({"database": database, "search": search}), (200 if database else 503)
