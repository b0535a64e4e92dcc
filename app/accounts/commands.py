"""`romin user create` and `romin token create`."""

from __future__ import annotations

import click

from app.accounts.auth import create_token
from app.accounts.service import AccountError, create_user, find_user
from app.core.commands import commit, fail, fail_refused, prompt_password
from app.core.vocabulary import ROLES
from app.db import db


def register(cli: click.Group) -> None:
    @cli.group("user", help="Comptes.")
    def user_group() -> None:
        pass

    @user_group.command(
        "create",
        help=(
            "Crée un compte. Avec --no-password : un compte en attente de ProConnect (le premier "
            "administrateur, par exemple), lié à la première connexion ProConnect de cette adresse. "
            "Sans : un compte à mot de passe (développement), que ProConnect ne reprend jamais."
        ),
    )
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
    @click.option("--name", default="", help="Nom affiché.")
    @click.option("--service", default="", help="Service (SPIP, DISP...).")
    @click.option(
        "--no-password",
        is_flag=True,
        help="Compte sans mot de passe : pour ProConnect (ou pour des jetons d'API).",
    )
    def create(email: str, role: str, name: str, service: str, no_password: bool) -> None:
        password = None if no_password else prompt_password()
        try:
            user = create_user(db.session, email, role, password, name, service)
        except AccountError as exc:
            fail_refused(exc)
        commit()
        click.echo(f"Compte créé : {user.email} ({user.role}).")
        if no_password:
            click.echo("Il sera lié au compte ProConnect de cette adresse à sa première connexion.")

    @cli.group("token", help="Jetons d'API personnels.")
    def token_group() -> None:
        pass

    @token_group.command("create", help="Crée un jeton d'API et l'affiche une seule fois.")
    @click.argument("email")
    def token_create(email: str) -> None:
        user = find_user(db.session, email)
        if user is None:
            fail(f"Aucun compte pour {email}.")
        raw = create_token(user)
        commit()
        click.echo(raw)
