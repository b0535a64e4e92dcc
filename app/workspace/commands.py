"""`romin alerts send`: the weekly news e-mail to the officers who asked for it.

Run it as often as you like (daily, say): each officer gets it at most once a week. Exit codes:
0 when every due e-mail was sent, or when no SMTP server is configured (nothing is sent, and the
command says so); 1 when the settings cannot work or the server cannot be reached; 2 when some
e-mails were refused by the server (the others were sent)."""

from __future__ import annotations

import smtplib

import click
from flask import current_app

from app.core.commands import commit, fail, fail_refused
from app.db import db
from app.models.base import utcnow
from app.workspace.digest import due, send_digests
from app.workspace.mail import Mailer, MailSettingsRefused, smtp_settings

SOME_REFUSED = 2


def register(cli: click.Group) -> None:
    @cli.group("alerts", help="Alertes des agents : le récapitulatif hebdomadaire par courriel.")
    def alerts_group() -> None:
        pass

    @alerts_group.command(
        "send",
        help="Envoie le récapitulatif hebdomadaire aux agents qui l'ont demandé "
        "(au plus un par semaine et par agent, seulement s'il y a du nouveau).",
    )
    def send_command() -> None:
        try:
            settings = smtp_settings(current_app.config)
        except MailSettingsRefused as exc:
            fail_refused(exc)
        if settings is None:
            click.echo(
                "Aucun serveur SMTP n'est configuré (SMTP_HOST est vide) : aucun courriel "
                "n'a été envoyé."
            )
            return
        public_url = current_app.config["PUBLIC_URL"]
        if not public_url:
            fail(
                "Définissez PUBLIC_URL (l'adresse https:// de ROMIN) : les liens du courriel "
                "sont construits sur elle."
            )
        now = utcnow()
        officers = due(db.session, now)
        if not officers:
            click.echo("Aucun agent n'attend de récapitulatif cette semaine.")
            return
        try:
            # the links of the e-mails are written for PUBLIC_URL
            with (
                current_app.test_request_context("/", base_url=public_url),
                Mailer(settings) as mailer,
                click.progressbar(length=len(officers), label="Récapitulatifs") as bar,
            ):
                outcome = send_digests(db.session, mailer, officers, now, bar.update, commit)
        except (smtplib.SMTPException, OSError) as exc:
            fail(
                f"Le serveur SMTP {settings.host}:{settings.port} ne répond pas ou refuse "
                f"la connexion ({exc.__class__.__name__} : {exc}). Réessayez plus tard : les "
                "courriels déjà envoyés ne le seront pas deux fois."
            )
        commit()
        click.echo(
            f"{outcome.sent} courriel(s) envoyé(s), {outcome.nothing_new} agent(s) sans "
            f"nouveauté, {outcome.failed} refusé(s) par le serveur."
        )
        if outcome.failed:
            fail("Des courriels ont été refusés : voir le journal.", SOME_REFUSED)
