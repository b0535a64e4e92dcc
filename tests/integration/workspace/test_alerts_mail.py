"""`romin alerts send` against a real SMTP server (aiosmtpd on loopback): an officer who asked
for the weekly e-mail gets one, in French, plain text and HTML, holding tool titles, factors and
links only, with one-click unsubscribe (RFC 8058); at most one a week; nothing without news;
without SMTP settings nothing is sent and the command says so."""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app.accounts.service import create_user
from app.catalogue.service import save_tool
from app.db import db
from app.models import OfficerAlerts, ToolNews
from app.models.base import utcnow
from app.workspace.digest import DIGEST_EVERY, unsubscribe_token
from app.workspace.follows import set_follows


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app_factory, smtp_server):
    controller, _inbox = smtp_server
    return app_factory(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        SMTP_STARTTLS=False,
        SMTP_SSL=False,
        SMTP_FROM="ROMIN <romin@justice.test>",
        PUBLIC_URL="https://romin.test",
    )


def _officer(app, factor="addictions", digest=True):
    """An officer who follows `factor` and asked for the weekly e-mail (or not)."""
    with app.app_context():
        user = create_user(db.session, f"cpip-{factor}@justice.test", "agent", None)
        set_follows(db.session, user, [factor], digest=digest)
        db.session.commit()
    return user


def _make_tool(app, **fields):
    data = {
        "title": "Outil",
        "summary": "Résumé.",
        "risk_factors": ["addictions"],
        "status": "published",
        "kind": "outil",
        "stages": ["contemplation"],
        "modality": "individuelle",
        "sessions": "1",
        "setting": ["ouvert"],
        "evidence_level": 0,
        **fields,
    }
    with app.app_context():
        tool = save_tool(db.session, data)
        db.session.commit()
        return tool


def _send(app):
    return app.test_cli_runner().invoke(args=["alerts", "send"])


def test_the_weekly_email_holds_tools_and_links_only(mail_app, smtp_server):
    _controller, inbox = smtp_server
    user = _officer(mail_app)
    tool = _make_tool(mail_app, title="Balance décisionnelle")
    _make_tool(mail_app, title="Choc des images", not_recommended=True)
    _make_tool(mail_app, title="Outil de l'emploi", risk_factors=["emploi"])

    result = _send(mail_app)

    assert result.exit_code == 0, result.output
    assert "1 courriel(s) envoyé(s)" in result.output
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [user.email]
    assert message["From"] == "ROMIN <romin@justice.test>"
    assert message["Subject"] == "ROMIN : 2 nouveautés pour vos outils suivis"
    unsubscribe = str(message["List-Unsubscribe"]).strip()  # folded: a long header
    assert unsubscribe.startswith("<https://romin.test/alertes/desabonnement/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Balance décisionnelle" in body
        assert f"https://romin.test/outils/{tool.slug}" in body
        assert "Addictions" in body
        assert "Outil de l" not in body
        assert user.email not in body  # nothing about anyone, not even the officer
    assert "nouvel outil le" in text
    assert "Choc des images — nouvel outil le" in text and ", non recommandé" in text

    # the one-click unsubscribe: the mail client posts to the header's address, no sign-in
    path = urlsplit(unsubscribe.strip("<>")).path
    assert (
        mail_app.test_client().post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    )
    with mail_app.app_context():
        assert (
            db.session.get(OfficerAlerts, user.id, populate_existing=True).digest_enabled is False
        )


def test_at_most_one_a_week_and_none_without_news(mail_app, smtp_server):
    _controller, inbox = smtp_server
    user = _officer(mail_app)
    _officer(mail_app, factor="famille")  # asked too, but nothing new for them
    _officer(mail_app, factor="emploi", digest=False)  # did not ask
    _make_tool(mail_app, title="Outil de la semaine")
    _make_tool(mail_app, title="Outil de l'emploi", risk_factors=["emploi"])

    first = _send(mail_app)
    assert first.exit_code == 0, first.output
    assert "1 courriel(s) envoyé(s), 1 agent(s) sans nouveauté" in first.output
    assert [r for r, _m in inbox.messages] == [[user.email]]

    _make_tool(mail_app, title="Outil du lendemain")
    second = _send(mail_app)
    assert second.exit_code == 0
    assert len(inbox.messages) == 1  # a week has not gone by

    with mail_app.app_context():  # a week goes by: only what came after the last e-mail
        db.session.execute(
            update(OfficerAlerts)
            .where(OfficerAlerts.user_id == user.id)
            .values(digest_sent_at=OfficerAlerts.digest_sent_at - DIGEST_EVERY)
        )
        db.session.execute(
            update(ToolNews).values(
                changed_at=ToolNews.changed_at - DIGEST_EVERY,
                published_at=ToolNews.published_at - DIGEST_EVERY,
            )
        )
        db.session.commit()
    third = _send(mail_app)
    assert third.exit_code == 0
    assert len(inbox.messages) == 2
    later = inbox.messages[1][1].get_body(("plain",)).get_content()
    assert "Outil du lendemain" in later and "Outil de la semaine" not in later


def test_without_smtp_nothing_is_sent_and_the_command_says_so(app, smtp_server):
    _controller, inbox = smtp_server
    _officer(app)
    _make_tool(app, title="Outil")
    result = _send(app)
    assert result.exit_code == 0
    assert "Aucun serveur SMTP n'est configuré (SMTP_HOST est vide)" in result.output
    assert inbox.messages == []
    with app.app_context():
        assert db.session.scalar(select(OfficerAlerts.digest_sent_at)) is None


def test_settings_that_cannot_work_are_refused_in_french(app_factory, smtp_server):
    controller, inbox = smtp_server
    no_sender = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="")
    result = _send(no_sender)
    assert result.exit_code == 1
    assert "Définissez SMTP_FROM" in result.output
    unreachable = app_factory(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=_free_port(),
        SMTP_STARTTLS=False,
        SMTP_FROM="romin@justice.test",
        PUBLIC_URL="https://romin.test",
    )
    _officer(unreachable)
    _make_tool(unreachable, title="Outil")
    result = _send(unreachable)
    assert result.exit_code == 1
    assert "ne répond pas ou refuse la connexion" in result.output
    assert inbox.messages == []


def test_the_unsubscribe_link_needs_no_sign_in_and_a_real_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    user = _officer(app)
    with app.test_request_context():
        token = unsubscribe_token(user.id)
    visitor = app.test_client()

    page = visitor.get(f"/alertes/desabonnement/{token}")
    assert page.status_code == 200
    assert "Ne plus recevoir le récapitulatif" in page.get_data(as_text=True)
    with app.app_context():  # opening the link (a link checker) changes nothing
        assert db.session.get(OfficerAlerts, user.id, populate_existing=True).digest_enabled

    done = visitor.post(f"/alertes/desabonnement/{token}")  # no CSRF token: RFC 8058's POST
    assert done.status_code == 200
    assert "Vous ne recevrez plus le récapitulatif" in done.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(OfficerAlerts, user.id, populate_existing=True).digest_enabled

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert visitor.post(f"/alertes/desabonnement/{forged}").status_code == 404
    assert visitor.get("/alertes/desabonnement/nimporte-quoi").status_code == 404


def test_only_due_officers_are_read(mail_app, smtp_server):
    """An officer sent an e-mail yesterday is not due, whatever happened since."""
    _controller, inbox = smtp_server
    user = _officer(mail_app)
    with mail_app.app_context():
        db.session.execute(
            update(OfficerAlerts)
            .where(OfficerAlerts.user_id == user.id)
            .values(digest_sent_at=utcnow() - DIGEST_EVERY / 7)
        )
        db.session.commit()
    _make_tool(mail_app, title="Outil")
    result = _send(mail_app)
    assert result.exit_code == 0
    assert "Aucun agent n'attend de récapitulatif cette semaine." in result.output
    assert inbox.messages == []
