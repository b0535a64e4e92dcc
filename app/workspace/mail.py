"""Sending e-mail through the SMTP server the environment names (SMTP_* in app/config.py).

ROMIN sends one kind of e-mail, the weekly news an officer asked for (app.workspace.digest). It
is composed here in plain text and HTML, with the one-click unsubscribe headers of RFC 8058
(`List-Unsubscribe` with an https address, `List-Unsubscribe-Post`), and sent over one
connection for the whole run."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from types import TracebackType
from typing import Any

from app.core.refusals import Refused


class MailSettingsRefused(Refused):
    """SMTP settings that cannot work, said in French."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    sender: str
    starttls: bool
    ssl: bool
    timeout: float


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings | None:
    """The SMTP settings, None when no server is configured (SMTP_HOST empty); refused when
    they contradict each other or lack the sender."""
    host = config.get("SMTP_HOST", "")
    if not host:
        return None
    problems = []
    if config["SMTP_SSL"] and config["SMTP_STARTTLS"]:
        problems.append(
            "SMTP_SSL et SMTP_STARTTLS s'excluent : SMTP_SSL chiffre dès la connexion (port "
            "465), SMTP_STARTTLS chiffre une connexion ouverte en clair (port 587). Gardez-en un."
        )
    if "@" not in parseaddr(config.get("SMTP_FROM", ""))[1]:
        problems.append(
            "Définissez SMTP_FROM : l'adresse d'expédition des courriels "
            "(par exemple « ROMIN <romin@justice.fr> »)."
        )
    if problems:
        raise MailSettingsRefused({"smtp": problems})
    return SmtpSettings(
        host=host,
        port=int(config["SMTP_PORT"]),
        username=config.get("SMTP_USERNAME", ""),
        password=config.get("SMTP_PASSWORD", ""),
        sender=config["SMTP_FROM"],
        starttls=bool(config["SMTP_STARTTLS"]),
        ssl=bool(config["SMTP_SSL"]),
        timeout=float(config.get("SMTP_TIMEOUT", 30)),
    )


def compose(
    settings: SmtpSettings,
    to: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe_url: str,
) -> EmailMessage:
    """A French e-mail in plain text and HTML, with one-click unsubscribe (RFC 8058)."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].partition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no automatic replies
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = "fr"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class Mailer:
    """One SMTP connection for a run: `with Mailer(settings) as mailer: mailer.send(…)`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        if s.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def send(self, message: EmailMessage) -> None:
        assert self._smtp is not None, "Mailer used outside its `with` block"
        self._smtp.send_message(message)

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            self._smtp = None
