"""Objects a URL names, or a 404: one place for the pages that take them from the path."""

from __future__ import annotations

from flask import abort

from app.catalogue.service import get_tool
from app.db import db
from app.models import Tool


def tool_or_404(slug: str) -> Tool:
    """The tool with this slug, whatever its status (each page decides who may see which)."""
    tool = get_tool(db.session, slug)
    if tool is None:
        abort(404)
    return tool
