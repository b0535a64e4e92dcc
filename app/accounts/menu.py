"""The back office's side menu. Each area adds its one entry here; a page shows the entries
whose view exists and whose role the signed-in user holds, so no area links to another by hand."""

from __future__ import annotations

from flask import current_app

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


def visible_entries(user: User | None) -> list[tuple[str, str]]:
    """(label, endpoint) of the entries this user may open, among those that exist."""
    return [
        (label, endpoint)
        for label, endpoint, role in ENTRIES
        if endpoint in current_app.view_functions and has_role(user, role)
    ]
