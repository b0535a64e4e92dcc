"""`romin stats rollup|purge`: daily aggregates of usage events and their retention."""

from __future__ import annotations

from datetime import date, timedelta

import click
from flask import current_app

from app.core.commands import commit, fail, fail_refused
from app.db import db
from app.pilotage import rollup as ur
from app.pilotage.rollup import RollupError, days_to_roll, rollup
from app.pilotage.stats import today


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("date attendue au format AAAA-MM-JJ.") from None


def register(cli: click.Group) -> None:
    @cli.group("stats", help="Statistiques d'usage (événements pseudonymes).")
    def stats_group() -> None:
        pass

    @stats_group.command(
        "rollup",
        help="Calcule les agrégats quotidiens des jours terminés "
        "(idempotent : un jour recalculé remplace ses agrégats).",
    )
    @click.option(
        "--depuis", callback=_day, help="Recalcule aussi à partir de ce jour (AAAA-MM-JJ)."
    )
    @click.option("--jusqua", callback=_day, help="Dernier jour à calculer (défaut : hier).")
    def rollup_command(depuis: date | None, jusqua: date | None) -> None:
        through = jusqua or today() - timedelta(days=1)
        if through >= today():
            fail("Le jour en cours n'est pas terminé : choisissez au plus tard hier.")
        try:
            days = days_to_roll(db.session, through, depuis)
        except RollupError as exc:
            fail_refused(exc)
        with click.progressbar(length=len(days), label="Agrégats quotidiens", show_pos=True) as bar:
            written = rollup(db.session, through, depuis, progress=bar.update, commit=commit)
        commit()
        click.echo(f"{len(days)} jour(s) agrégé(s), {written} ligne(s) d'agrégats.")

    @stats_group.command(
        "purge",
        help="Applique la rétention (STATS_RETENTION_DAYS) : agrège, "
        "efface les textes de recherche puis les événements anciens.",
    )
    def purge_command() -> None:
        retention = current_app.config["STATS_RETENTION_DAYS"]
        if retention < 1:
            fail("STATS_RETENTION_DAYS doit valoir au moins 1.")
        now = today()
        cutoff = ur.retention_cutoff(now, retention)
        days = ur.days_to_roll(db.session, now - timedelta(days=1))
        with click.progressbar(length=len(days), label="Agrégats quotidiens", show_pos=True) as bar:
            written = ur.rollup(
                db.session, now - timedelta(days=1), progress=bar.update, commit=commit
            )
        texts = ur.erase_old_texts(db.session, cutoff)
        commit()
        total = ur.old_events_count(db.session, cutoff)
        deleted = 0
        with click.progressbar(length=total, label="Événements supprimés", show_pos=True) as bar:
            while True:
                batch = ur.delete_old_events(db.session, cutoff)
                commit()
                if not batch:
                    break
                deleted += batch
                bar.update(batch)
        click.echo(
            f"Rétention de {retention} jours (avant le {cutoff:%d/%m/%Y}) : "
            f"{len(days)} jour(s) agrégé(s) ({written} ligne(s)), {texts} texte(s) de "
            f"recherche effacé(s), {deleted} événement(s) supprimé(s). Agrégats conservés."
        )
