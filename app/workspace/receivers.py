"""What pages tell (app.core.signals) that the workspace keeps: a signed-in officer's last
download of a tool's supports, so that a later change of them reads « mis à jour depuis votre
téléchargement »."""

from __future__ import annotations

from app.accounts.auth import current_user
from app.core import signals
from app.db import db
from app.models import Tool
from app.workspace.news import record_download


@signals.support_downloaded.connect
def _downloaded(tool: Tool, **_details: object) -> None:
    user = current_user()
    if user is not None:  # the download in the request's transaction, committed with it
        record_download(db.session, user.id, tool.id)
