"""Addresses of the catalogue's files, for the sheet and the API alike."""

from __future__ import annotations

from flask import current_app, url_for

from app.models import Support, Tool


def support_version(support: Support) -> str:
    return support.sha256[:12]


def support_url(tool: Tool, support: Support, public: bool = False) -> str:
    """The download link of a support, carrying its content's version: a file replaced under
    the same name gets a new URL, so no browser serves the old one from its cache.

    public=True (the API, read outside ROMIN's pages): on PUBLIC_URL, never on the request's
    Host header, which whoever sends the request chooses; without PUBLIC_URL (development,
    tests) the link stays relative to the site, as on the pages."""
    path = url_for(
        "catalogue.download_support",
        slug=tool.slug,
        support_id=support.id,
        filename=support.filename,
        v=support_version(support),
    )
    base = current_app.config["PUBLIC_URL"] if public else ""
    return base + path
