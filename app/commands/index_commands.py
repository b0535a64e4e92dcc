"""`romin index settings|rebuild|status`: the search index."""
from __future__ import annotations

import click

from app.cli import commit, fail
from app.db import db
from indexer.client import MeiliError


def register(cli: click.Group) -> None:
    @cli.group("index", help="Index de recherche (Meilisearch).")
    def index_group():
        pass

    @index_group.command("settings", help="Pousse les réglages de l'index (code) vers Meilisearch.")
    def settings():
        from app.indexing import index_uid, meili, settings_for
        from indexer.sync import ensure_index
        try:
            ensure_index(meili(), index_uid(), settings_for(db.session))
        except MeiliError as exc:
            fail(f"Échec : {exc}")
        click.echo("Réglages appliqués.")

    @index_group.command("rebuild", help="Reconstruit l'index à neuf et le bascule d'un coup.")
    def rebuild():
        from app.services.index_admin import rebuild_index
        from app.indexing import published_count
        total = published_count(db.session)
        try:
            with click.progressbar(length=total, label="Indexation", show_pos=True) as bar:
                count = rebuild_index(db.session, progress=bar.update)
        except MeiliError as exc:
            db.session.rollback()
            fail(f"Échec de la reconstruction, l'index en service est inchangé : {exc}")
        commit()
        click.echo(f"{count} outil(s) publiés indexés.")

    @index_group.command("status", help="Compare la base et l'index.")
    def status():
        from app.services.index_admin import index_status
        state = index_status(db.session)
        click.echo(f"Outils publiés (PostgreSQL) : {state['published']}")
        if state["indexed"] is None:
            click.echo(f"Documents dans l'index     : indisponible ({state['index_error']})")
        else:
            click.echo(f"Documents dans l'index     : {state['indexed']}")
        click.echo(f"Dernière reconstruction    : {state['last_rebuild_at'] or 'jamais'}")
        click.echo(f"Dernière synchronisation   : {state['last_sync_at'] or 'jamais'}")
        if state["last_error"]:
            click.echo(f"Dernière erreur            : {state['last_error_at']} {state['last_error']}")
        if state["indexed"] != state["published"]:
            sys_exit = 2
            click.secho("L'index diffère de la base : lancez `romin index rebuild`.", fg="yellow")
            raise SystemExit(sys_exit)
