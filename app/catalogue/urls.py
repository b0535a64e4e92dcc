"""Addresses of the catalogue's files, for the sheet and the API alike."""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.models import Support, Tool


def support_version(support: Support) -> str:
    return support.sha256[:12]


def support_url(tool: Tool, support: Support, **kwargs: Any) -> str:
    """The download link of a support, carrying its content's version: a file replaced under
    the same name gets a new URL, so no browser serves the old one from its cache."""
    return url_for(
        "catalogue.download_support",
        slug=tool.slug,
        support_id=support.id,
        filename=support.filename,
        v=support_version(support),
        **kwargs,
    )
