"""`romin export` and `romin import FILE`: the whole catalogue as JSON (see
app/curation/transfer.py for what travels and what an import does)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.core.commands import fail, fail_refused
from app.curation.transfer import (
    InvalidCatalogue,
    apply_catalogue,
    check_catalogue,
    dumps,
    export_catalogue,
    loads,
)
from app.db import db
from app.index_sync import push
from app.index_sync.hooks import OUTBOX_KEY
from app.models import Tool


def _commit_alone(session: Session) -> list[int]:
    """Commit, without the index push that follows a commit, and return the outbox rows the
    commit wrote. Apart, a push failing once the rows are committed cannot be taken for a
    failed import (and the files stored with the rows stay, as they must)."""

    rows: list[int] = []

    def keep(committing: Session) -> None:  # after the app's before_commit hook, which writes them
        rows.extend(committing.info.get(OUTBOX_KEY, ()))

    event.listen(session, "before_commit", keep)
    session.info["romin_sync"] = False
    try:
        session.commit()
    finally:
        event.remove(session, "before_commit", keep)
        session.info.pop("romin_sync", None)
    return rows


def _push(outbox_ids: list[int]) -> str | None:
    """Push the committed import to the search index; a French warning when it could not be
    (the rows stay queued: `romin index worker` sends them later)."""

    later = "la recherche sera à jour quand `romin index worker` les aura envoyées."
    try:
        with current_app.extensions["romin_db"].session_factory() as session:
            result, _generation = push.push_outbox(session, outbox_ids)
            session.commit()
    except Exception as exc:  # the import itself is committed: say so, do not fail it
        return (
            f"Import enregistré, mais l'index de recherche n'a pas pu être mis à jour "
            f"({type(exc).__name__}) : {later}"
        )
    if result.error:
        return (
            "Import enregistré, mais le moteur de recherche est indisponible : les "
            f"modifications restent en file d'attente ; {later}"
        )
    return None


def register(cli: click.Group) -> None:
    @cli.command(
        "export",
        help="Écrit tout le catalogue (facteurs de risque, outils, métadonnées "
        "des supports) en JSON, sur la sortie standard ou dans un fichier.",
    )
    @click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Fichier à écrire (par défaut : la sortie standard).",
    )
    def export(output: Path | None) -> None:
        if isinstance(db.session.get_bind(), Engine):
            # one snapshot for the whole file, whatever curators save meanwhile (a session bound
            # to a connection already in a transaction, as in the tests, keeps that one)
            db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        total = db.session.scalar(select(func.count()).select_from(Tool)) or 0
        with click.progressbar(length=total, label="Export", show_pos=True, file=sys.stderr) as bar:
            text = dumps(export_catalogue(db.session, progress=bar.update))
        db.session.rollback()  # read only
        if output is None:
            click.echo(text, nl=False)
            return
        partial = output.with_name(output.name + ".partiel")
        try:
            partial.write_text(text, encoding="utf-8")
            partial.replace(output)  # never a half-written file under the wanted name
        except OSError as exc:
            partial.unlink(missing_ok=True)
            fail(f"Écriture impossible dans {output} : {exc.strerror or exc}.")
        click.echo(f"Catalogue exporté dans {output} ({total} outil(s)).", err=True)

    @cli.command(
        "import",
        help="Lit un export JSON de ROMIN et met la base à jour (création ou mise à "
        "jour par identifiant ; relancer le même import ne change rien). "
        "Code de sortie : 0 fait, 1 fichier refusé (rien n'est écrit), "
        "2 fait sauf des supports dont le fichier est introuvable.",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--fichiers",
        "--files",
        "files_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Dossier où chercher les fichiers des supports par leur empreinte SHA-256, "
        "rangé comme SUPPORTS_DIR (par défaut : SUPPORTS_DIR).",
    )
    def import_command(file: Path, files_dir: Path | None) -> None:
        try:
            data = loads(file.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            fail("Fichier refusé, rien n'a été importé : il n'est pas en UTF-8.")
        except InvalidCatalogue as exc:
            fail_refused(exc)
        try:
            checked = check_catalogue(db.session, data)
        except InvalidCatalogue as exc:
            db.session.rollback()
            fail_refused(exc)
        try:
            with click.progressbar(
                length=len(checked.tools), label="Import", show_pos=True, file=sys.stderr
            ) as bar:
                report = apply_catalogue(
                    db.session,
                    checked,
                    files_dir or Path(current_app.config["SUPPORTS_DIR"]),
                    progress=bar.update,
                )
            outbox_ids = _commit_alone(db.session)  # one transaction: all of it, or nothing
        except Exception as exc:
            db.session.rollback()  # the files it stored go with it (app.catalogue.supports)
            fail(f"Import annulé, rien n'a été écrit : {type(exc).__name__}: {exc}")
        for line in report.lines():
            click.echo(line)
        warning = _push(outbox_ids) if outbox_ids else None
        if warning:
            click.echo(warning, err=True)
        raise SystemExit(2 if report.missing_files else 0)
