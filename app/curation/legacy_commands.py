"""`romin import-legacy DIR`: the original product's Markdown files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.core.commands import commit
from app.curation.legacy_import import import_directory
from app.db import db


def register(cli: click.Group) -> None:
    @cli.command(
        "import-legacy", help="Importe les fiches Markdown de la première version de ROMIN."
    )
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option(
        "--publish",
        is_flag=True,
        help="Publie les fiches importées au lieu d'en faire des brouillons à relire.",
    )
    def import_legacy(directory: Path, publish: bool) -> None:
        files = sorted(directory.rglob("*.md"))
        with click.progressbar(
            length=len(files), label="Import", show_pos=True, file=sys.stderr
        ) as bar:
            report = import_directory(
                db.session, directory, files, progress=bar.update, publish=publish
            )
        commit()
        for line in report.lines():
            click.echo(line)
        raise SystemExit(1 if report.failed else 0)
