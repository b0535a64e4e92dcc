"""The app's Meilisearch client and index name: everything in `app/` reaches Meilisearch here."""

from __future__ import annotations

from flask import current_app

from indexer.client import MeiliClient


def meili() -> MeiliClient:
    """The app's Meilisearch client (one per app; one HTTP session per thread inside)."""
    client = current_app.extensions.get("romin_meili")
    if client is None:
        client = MeiliClient(
            current_app.config["MEILI_URL"],
            current_app.config["MEILI_MASTER_KEY"],
            timeout=current_app.config["MEILI_TIMEOUT"],
        )
        current_app.extensions["romin_meili"] = client
    return client


def index_uid() -> str:
    return current_app.config["MEILI_INDEX"]
