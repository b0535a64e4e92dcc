"""What a person is told after a change that goes to the search index."""

from __future__ import annotations

from flask import Response, flash, g

from app.db import after_commit

QUEUED = (
    "Le moteur de recherche n'a pas pu être mis à jour pour l'instant : la modification "
    "est en file d'attente et sera appliquée dès son retour, sans autre action de votre "
    "part."
)


def flash_saved(saved: str, reached: str = "", queued: str = QUEUED) -> None:
    """Once the request has committed: `saved`, then whether the search already shows the
    change (`reached`) or will once Meilisearch is back (`queued`). The push after commit sets
    `g.index_error` when it failed, and the change waits in the outbox."""

    def notice(_response: Response) -> None:
        if getattr(g, "index_error", None):
            flash(f"{saved} {queued}", "warning")
        else:
            flash(f"{saved} {reached}".strip(), "success")

    after_commit(notice)
