"""What an officer keeps in ROMIN (app/workspace): favourite tools with a note on their use, the
risk factors they follow, when they last downloaded a tool's supports, and their alerts.

Everything here is about tools and the officer's own practice, never about a person on
probation: the only free text is the note, checked for identifying details before it is stored.
`tool_news` is kept by a session hook (app.workspace.news) so that « what changed since… » is
one indexed query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.catalogue import RiskFactor, Tool


class Favourite(Base):
    """A tool in an officer's « Ma boîte à outils », with their note about its use."""

    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "tool_id", name="uq_favourites_user_tool"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    tool: Mapped[Tool] = relationship(lazy="joined")


class FactorFollow(Base):
    """A risk factor an officer follows: its new and updated tools are news to them."""

    __tablename__ = "factor_follows"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    risk_factor_id: Mapped[int] = mapped_column(
        ForeignKey("risk_factors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    risk_factor: Mapped[RiskFactor] = relationship(lazy="joined")


class SupportDownload(Base):
    """When an officer last downloaded one of a tool's supports: a later change of the supports
    is « mis à jour depuis votre téléchargement »."""

    __tablename__ = "support_downloads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    tool_id: Mapped[int] = mapped_column(
        ForeignKey("tools.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    downloaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ToolNews(Base):
    """When a tool last became published, last changed (sheet, supports or publication), and
    last had its supports changed; one row per tool, written by app.workspace.news."""

    __tablename__ = "tool_news"

    tool_id: Mapped[int] = mapped_column(
        ForeignKey("tools.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    supports_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OfficerAlerts(Base):
    """An officer's news state: when they last opened « Nouveautés » (the header counts what
    came after), whether they asked for the weekly e-mail and when it was last sent."""

    __tablename__ = "officer_alerts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    news_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    digest_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
