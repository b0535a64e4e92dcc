"""The weekly news e-mail an officer may ask for on « Nouveautés » (`romin alerts send`).

Each officer who asked gets it at most once a week (`officer_alerts.digest_sent_at`), and only
when something changed since the last one (or, for a first one, within the week): the tools'
titles, what changed, the factors and links, nothing about any person. Its unsubscribe link
carries a signed token (itsdangerous, keyed by SECRET_KEY), so it works without signing in.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import OfficerAlerts, User
from app.workspace.mail import Mailer, SmtpSettings, compose
from app.workspace.news import NewsItem, news_since

log = logging.getLogger(__name__)

DIGEST_EVERY = timedelta(days=7)
_SALT = "romin-digest-unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user_id: int) -> str:
    return _serializer().dumps(user_id)


def user_for_token(session: Session, token: str) -> User | None:
    """The account an unsubscribe token names, or None for a token not signed by ROMIN."""
    try:
        user_id = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(user_id, int):
        return None
    return session.get(User, user_id)


def due(session: Session, now: datetime) -> list[OfficerAlerts]:
    """The officers who asked for the e-mail and have had none for a week, active accounts
    only, in a fixed order."""
    return list(
        session.scalars(
            select(OfficerAlerts)
            .join(User, User.id == OfficerAlerts.user_id)
            .where(
                OfficerAlerts.digest_enabled,
                User.is_active,
                or_(
                    OfficerAlerts.digest_sent_at.is_(None),
                    OfficerAlerts.digest_sent_at <= now - DIGEST_EVERY,
                ),
            )
            .order_by(OfficerAlerts.user_id)
        )
    )


def since(alerts: OfficerAlerts, now: datetime) -> datetime:
    """From when the e-mail tells: the last one sent (nothing is told twice nor lost when a
    week went by without news), else the past week."""
    return alerts.digest_sent_at or now - DIGEST_EVERY


def _subject(items: list[NewsItem]) -> str:
    count = len(items)
    return f"ROMIN : {count} nouveauté{'s' if count > 1 else ''} pour vos outils suivis"


def digest_message(settings: SmtpSettings, user: User, items: list[NewsItem]) -> EmailMessage:
    """The e-mail for one officer, its links absolute: built in a request context whose base
    is PUBLIC_URL (the command sets it up)."""
    unsubscribe_url = url_for(
        "workspace.unsubscribe_page", token=unsubscribe_token(user.id), _external=True
    )
    values = dict(
        items=items,
        news_url=url_for("workspace.news", _external=True),
        favourites_url=url_for("workspace.favourites", _external=True),
        sheet_urls={
            item.tool.id: url_for("catalogue.tool_sheet", slug=item.tool.slug, _external=True)
            for item in items
        },
        unsubscribe_url=unsubscribe_url,
    )
    return compose(
        settings,
        to=user.email,
        subject=_subject(items),
        text=render_template("workspace/digest.txt", **values),
        html=render_template("workspace/digest.html", **values),
        unsubscribe_url=unsubscribe_url,
    )


# what refuses one message, not the connection: the run goes on with the next officer
PER_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)


@dataclass
class Outcome:
    sent: int = 0
    nothing_new: int = 0
    failed: int = 0


def send_digests(
    session: Session,
    mailer: Mailer,
    officers: list[OfficerAlerts],
    now: datetime,
    progress: Callable[[int], None],
    commit: Callable[[], None],
) -> Outcome:
    """Send each due officer their e-mail, committing after each one sent: a run stopped
    half-way never sends the same news twice."""
    outcome = Outcome()
    for alerts in officers:
        user = session.get(User, alerts.user_id)
        items = news_since(session, alerts.user_id, since(alerts, now)) if user else []
        if user is None or not items:
            outcome.nothing_new += 1
        else:
            try:
                mailer.send(digest_message(mailer.settings, user, items))
            except PER_MESSAGE_ERRORS as exc:
                log.warning("weekly e-mail to account %s refused: %s", user.id, exc)
                outcome.failed += 1
            else:
                alerts.digest_sent_at = now
                session.flush()
                commit()
                outcome.sent += 1
        progress(1)
    return outcome
