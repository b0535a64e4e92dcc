"""`romin scores refresh`: every tool's stored scores against a new prior (today's catalogue mean
and date), stored with them in one transaction and pushed to the index in one push (the nightly
job of docker-compose.yml)."""

from __future__ import annotations

import click

from app.catalogue.scores import current_weights
from app.core.commands import commit
from app.db import db
from app.pilotage.weights import recompute_all_scores


def register(cli: click.Group) -> None:
    @cli.group("scores", help="Scores de classement enregistrés.")
    def scores_group() -> None:
        pass

    @scores_group.command(
        "refresh", help="Recalcule les scores de tous les outils (et met l'index à jour)."
    )
    def refresh() -> None:
        count = recompute_all_scores(db.session, current_weights(db.session))
        commit()  # the changed tools reach the index after this commit
        click.echo(f"{count} outil(s) recalculé(s).")
