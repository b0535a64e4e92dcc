"""News for an officer: published tools of the risk factors they follow that are new or changed,
and their favourites that changed, since a moment (their last visit to « Nouveautés », their last
weekly e-mail).

What changed and when is kept per tool in `tool_news` by a session hook (`install`): after each
flush, in the same transaction, a tool that became published, a published sheet saved (its
`updated_at` moves: a score refresh does not), and a support added, replaced, renamed or removed
stamp their tool. Every way of changing the catalogue (back office, API, imports, seeding) goes
through the session, so none is missed; a rolled-back change leaves no stamp. Reading news is
then one query by `changed_at`, which is indexed: the header's count runs on every signed-in
page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, event, exists, func, inspect, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from app.core import vocabulary as v
from app.db import among
from app.models import (
    FactorFollow,
    Favourite,
    OfficerAlerts,
    RiskFactor,
    Support,
    SupportDownload,
    Tool,
    ToolNews,
    tool_risk_factors,
)
from app.models.base import utcnow

NEWS_DAYS = 90  # the « Nouveautés » page lists the changes of this many days…
NEWS_LIMIT = 100  # …at most this many tools, the latest first
NEW, SUPPORTS, SHEET = "new", "supports", "sheet"
KIND_LABELS = {
    NEW: "Nouvel outil",
    SUPPORTS: "Supports mis à jour",
    SHEET: "Fiche mise à jour",
}
# tools published in the session's current transaction (session.info outlives a transaction)
_PUBLISHED_KEY = "romin_news_published"
# a support's columns whose change officers see (its place in the list is not news)
_SUPPORT_FIELDS = ("sha256", "filename", "title")


# -- keeping tool_news ---------------------------------------------------------------------


def _stamps(session: Session) -> tuple[set[int], set[int], set[int]]:
    """(tools that became published, tools whose sheet was saved, tools whose supports changed)
    in this flush, read from the objects' history (still the flush's own in after_flush)."""
    published: set[int] = set()
    saved: set[int] = set()
    supports: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Tool) and obj.status == v.PUBLISHED:
            published.add(obj.id)
        elif isinstance(obj, Support):
            supports.add(obj.tool_id)
    for obj in session.dirty:
        if isinstance(obj, Tool):
            attrs = inspect(obj).attrs
            if attrs.status.history.has_changes() and obj.status == v.PUBLISHED:
                published.add(obj.id)
            elif attrs.updated_at.history.has_changes():
                saved.add(obj.id)
        elif isinstance(obj, Support):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in _SUPPORT_FIELDS):
                supports.add(obj.tool_id)
    for obj in session.deleted:
        if isinstance(obj, Support):
            supports.add(obj.tool_id)
    return published, saved, supports


def stamp(
    session: Session,
    published: Iterable[int],
    saved: Iterable[int] = (),
    supports: Iterable[int] = (),
    at: datetime | None = None,
) -> None:
    """Record that these tools changed now (one statement; tools deleted meanwhile are
    skipped). Runs on the flush's connection: never flushes, never adds to the session."""
    published, supports = set(published), set(supports)
    ids = published | set(saved) | supports
    if not ids:
        return
    now = at or utcnow()
    rows = select(
        Tool.id,
        case((among(Tool.id, published), literal(now)), else_=None),
        literal(now),
        case((among(Tool.id, supports), literal(now)), else_=None),
    ).where(among(Tool.id, ids))
    statement = insert(ToolNews).from_select(
        ["tool_id", "published_at", "changed_at", "supports_changed_at"], rows
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ToolNews.tool_id],
        set_={
            "changed_at": statement.excluded.changed_at,
            "published_at": func.coalesce(statement.excluded.published_at, ToolNews.published_at),
            "supports_changed_at": func.coalesce(
                statement.excluded.supports_changed_at, ToolNews.supports_changed_at
            ),
        },
    )
    session.connection().execute(statement)


def install(session_class: type[Session]) -> None:
    """Attach the news hook to the app's session class (once per process)."""
    if getattr(session_class, "_romin_news_hook", False):
        return
    session_class._romin_news_hook = True  # type: ignore[attr-defined]  # a mark on the class

    @event.listens_for(session_class, "after_flush")
    def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
        published, saved, supports = _stamps(session)
        # a tool published in this transaction stays new whatever else the transaction does
        # to it (`romin seed`, an import: the sheet, then its supports)
        new_here: set[int] = session.info.setdefault(_PUBLISHED_KEY, set())
        published |= new_here & (saved | supports)
        new_here |= published
        stamp(session, published, saved, supports)

    @event.listens_for(session_class, "after_transaction_end")
    def _forget(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # committed or rolled back: the next one starts afresh
            session.info.pop(_PUBLISHED_KEY, None)


# -- an officer's news state ---------------------------------------------------------------


def alerts_of(session: Session, user_id: int) -> OfficerAlerts:
    """The officer's news state, created on first use: news count from that moment."""
    session.execute(
        insert(OfficerAlerts)
        .values(user_id=user_id, news_seen_at=utcnow(), digest_enabled=False)
        .on_conflict_do_nothing(index_elements=[OfficerAlerts.user_id])
    )
    alerts = session.get(OfficerAlerts, user_id, populate_existing=True)
    assert alerts is not None  # just inserted, or already there
    return alerts


def mark_seen(session: Session, user_id: int) -> None:
    """The officer opened « Nouveautés »: the header counts from now."""
    alerts_of(session, user_id).news_seen_at = utcnow()
    session.flush()


def _concerns(user_id: int) -> ColumnElement[bool]:
    """The tool of a `tool_news` row is a favourite of the officer, or works a factor they
    follow."""
    favourite = exists().where(Favourite.user_id == user_id, Favourite.tool_id == ToolNews.tool_id)
    followed = exists().where(
        tool_risk_factors.c.tool_id == ToolNews.tool_id,
        FactorFollow.risk_factor_id == tool_risk_factors.c.risk_factor_id,
        FactorFollow.user_id == user_id,
    )
    return or_(favourite, followed)


def unseen_count(session: Session, user_id: int) -> int:
    """How many published tools brought news since the officer last opened « Nouveautés »: one
    query, by the index on `tool_news.changed_at` (0 for an officer who follows nothing)."""
    seen = (
        select(OfficerAlerts.news_seen_at).where(OfficerAlerts.user_id == user_id).scalar_subquery()
    )
    count = session.scalar(
        select(func.count())
        .select_from(ToolNews)
        .join(Tool, Tool.id == ToolNews.tool_id)
        .where(ToolNews.changed_at > seen, Tool.status == v.PUBLISHED, _concerns(user_id))
    )
    return count or 0


# -- reading news --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsItem:
    tool: Tool
    kind: str  # NEW, SUPPORTS or SHEET: what its last change was
    changed_at: datetime
    favourite: bool
    factors: list[RiskFactor]  # the followed factors the tool works
    # its supports changed after the officer last downloaded one of them
    updated_since_download: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _kind(news: ToolNews) -> str:
    if news.published_at == news.changed_at:
        return NEW
    if news.supports_changed_at == news.changed_at:
        return SUPPORTS
    return SHEET


def followed_factor_ids(session: Session, user_id: int) -> set[int]:
    return set(
        session.scalars(select(FactorFollow.risk_factor_id).where(FactorFollow.user_id == user_id))
    )


def news_since(
    session: Session, user_id: int, since: datetime, limit: int = NEWS_LIMIT
) -> list[NewsItem]:
    """The officer's news after `since`, the latest first: published tools only."""
    favourite = exists().where(Favourite.user_id == user_id, Favourite.tool_id == Tool.id)
    rows = session.execute(
        select(Tool, ToolNews, favourite.label("favourite"), SupportDownload.downloaded_at)
        .join(ToolNews, ToolNews.tool_id == Tool.id)
        .outerjoin(
            SupportDownload,
            and_(SupportDownload.tool_id == Tool.id, SupportDownload.user_id == user_id),
        )
        .where(ToolNews.changed_at > since, Tool.status == v.PUBLISHED, _concerns(user_id))
        .order_by(ToolNews.changed_at.desc(), Tool.id.desc())
        .limit(limit)
    ).all()
    followed = followed_factor_ids(session, user_id)
    return [
        NewsItem(
            tool=tool,
            kind=_kind(news),
            changed_at=news.changed_at,
            favourite=bool(is_favourite),
            factors=[f for f in tool.risk_factors if f.id in followed],
            updated_since_download=updated_since(news.supports_changed_at, downloaded_at),
        )
        for tool, news, is_favourite, downloaded_at in rows
    ]


def recent_news(session: Session, user_id: int) -> list[NewsItem]:
    """What the « Nouveautés » page lists."""
    return news_since(session, user_id, utcnow() - timedelta(days=NEWS_DAYS))


def updated_since(supports_changed_at: datetime | None, downloaded_at: datetime | None) -> bool:
    """Whether supports changed after the officer's last download (never downloaded: no)."""
    return (
        supports_changed_at is not None
        and downloaded_at is not None
        and supports_changed_at > downloaded_at
    )


def record_download(session: Session, user_id: int, tool_id: int) -> None:
    """The officer downloaded one of the tool's supports now."""
    now = utcnow()
    statement = insert(SupportDownload).values(user_id=user_id, tool_id=tool_id, downloaded_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[SupportDownload.user_id, SupportDownload.tool_id],
            set_={"downloaded_at": statement.excluded.downloaded_at},
        )
    )
