"""The back office's side menu. Each area adds its one entry here; a page shows the entries
whose view exists and whose role the signed-in user holds, so no area links to another by hand."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from app.accounts.auth import has_role
from app.models import User

# (label, endpoint, least role), in the order they are shown.
ENTRIES: list[tuple[str, str, str]] = [
    ("Outils", "curation.tool_list", "curator"),
    ("Commentaires signalés", "feedback.reported", "curator"),
    ("Facteurs de risque", "curation.factor_list", "curator"),
    ("État de l'index", "index_sync.health_page", "curator"),
    ("Comptes et rôles", "accounts.accounts", "admin"),
]


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    current: str | None  # aria-current: "page" on the entry's own page, "true" below it


def visible_entries(user: User | None) -> list[MenuEntry]:
    """The entries this user may open, among those that exist; the one whose address the
    current page's starts with (the longest such) is marked current."""
    entries = [
        (label, url_for(endpoint))
        for label, endpoint, role in ENTRIES
        if endpoint in current_app.view_functions and has_role(user, role)
    ]
    path = request.path.rstrip("/")
    within = [url for _label, url in entries if path == url or path.startswith(url + "/")]
    current = max(within, key=len, default=None)
    return [
        MenuEntry(label, url, ("page" if path == url else "true") if url == current else None)
        for label, url in entries
    ]
