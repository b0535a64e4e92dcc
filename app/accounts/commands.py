"""`romin user create|role|deactivate|activate|sign-out` and `romin token create`.

A role change, a deactivation and `sign-out` end the account's sessions at once, as on the
admin page (app.accounts.auth, « Sessions »); its API tokens follow the new role or status at
their next request."""

from __future__ import annotations

import click

from app.accounts.auth import create_token, end_sessions
from app.accounts.service import AccountError, create_user, find_user, set_active, set_role
from app.core.commands import commit, fail, fail_refused, prompt_password
from app.core.vocabulary import ROLES
from app.db import db
from app.models import User


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

    def account(email: str) -> User:
        user = find_user(db.session, email)
        if user is None:
            fail(f"Aucun compte pour {email}.")
        return user

    @user_group.command(
        "role", help="Change le rôle d'un compte ; ses sessions ouvertes se terminent."
    )
    @click.argument("email")
    @click.argument("role", type=click.Choice(ROLES))
    def role(email: str, role: str) -> None:
        user = account(email)
        try:
            set_role(db.session, None, user, role)
        except AccountError as exc:
            fail_refused(exc)
        commit()
        click.echo(f"{user.email} a désormais le rôle {role} ; ses sessions sont terminées.")

    @user_group.command(
        "deactivate",
        help="Désactive un compte : ses sessions et ses jetons d'API sont refusés aussitôt.",
    )
    @click.argument("email")
    def deactivate(email: str) -> None:
        user = account(email)
        set_active(db.session, None, user, False)
        commit()
        click.echo(f"Compte désactivé : {user.email} ; ses sessions sont terminées.")

    @user_group.command("activate", help="Réactive un compte désactivé.")
    @click.argument("email")
    def activate(email: str) -> None:
        user = account(email)
        set_active(db.session, None, user, True)
        commit()
        click.echo(f"Compte réactivé : {user.email}.")

    @user_group.command(
        "sign-out",
        help="Termine toutes les sessions d'un compte, sur tous ses appareils (un cookie volé, "
        "un poste partagé) ; ses jetons d'API restent valables.",
    )
    @click.argument("email")
    def sign_out(email: str) -> None:
        user = account(email)
        end_sessions(db.session, user)
        commit()
        click.echo(f"Sessions de {user.email} terminées.")

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
