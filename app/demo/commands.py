"""`romin seed`: loads the demo catalogue, idempotently."""

from __future__ import annotations

import click

from app.core.commands import commit
from app.db import db
from app.demo.seed import load_demo, seed


def register(cli: click.Group) -> None:
    @cli.command("seed", help="Charge le catalogue de démonstration (relançable sans doublon).")
    def seed_command() -> None:
        data = load_demo()
        with click.progressbar(
            length=len(data["tools"]), label="Catalogue de démonstration"
        ) as bar:
            report = seed(db.session, data, progress=bar.update)
        commit()
        click.echo(
            f"{report.tools_created} outil(s) créé(s), {report.tools_updated} mis à jour, "
            f"{report.supports} support(s), {report.feedback} avis de démonstration."
        )
