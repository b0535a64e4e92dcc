"""`romin db upgrade`: applies the Alembic migrations."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import current_app

from app.config import data_dir


def alembic_config() -> AlembicConfig:
    """The migrations bundled in the installed package, or the checkout's (app.config.data_dir)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(data_dir("migrations")))
    config.set_main_option(
        "sqlalchemy.url", current_app.config["SQLALCHEMY_DATABASE_URI"].replace("%", "%%")
    )
    return config


def register(cli: click.Group) -> None:
    @cli.group("db", help="Base de données.")
    def db_group() -> None:
        pass

    @db_group.command("upgrade", help="Applique les migrations (sans effet si la base est à jour).")
    def upgrade() -> None:
        command.upgrade(alembic_config(), "head")
        click.echo("Base de données à jour.")

    @db_group.command("revision", help="Crée une migration à partir des modèles (développement).")
    @click.option("-m", "--message", required=True)
    def revision(message: str) -> None:
        command.revision(alembic_config(), message=message, autogenerate=True)
