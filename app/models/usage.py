"""Pseudonymous usage events and their daily roll-up, for the support staff's dashboard.

An event holds no name and no e-mail: only a keyed pseudonym of the account (HMAC, irreversible
without the server's secret), the officer's service, and what the page was about. Typed search
text is kept only for searches that found nothing, or whose words matched none of the tools shown
(a content gap: "jeu d'argent" shows the addictions tools, none of which speaks of it), cut
short, and erased after the retention.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

EVENT_KINDS = ("search", "view", "download", "feedback")
SEARCH_TEXT_MAX = 80


class UsageEvent(Base):
    __tablename__ = "usage_events"
    __table_args__ = (
        CheckConstraint("kind IN ('search','view','download','feedback')", name="kind_known"),
        # Privacy in the schema itself: text only on a search that found nothing, or whose
        # words matched nothing among the tools shown (migration 0012).
        CheckConstraint(
            "search_text IS NULL OR (kind = 'search' AND (results = 0 OR content_gap))",
            name="text_only_when_unmatched",
        ),
        CheckConstraint("NOT content_gap OR kind = 'search'", name="content_gap_only_on_search"),
        Index("ix_usage_events_kind_occurred_at", "kind", "occurred_at"),
        Index(
            "ix_usage_events_empty_searches",
            "occurred_at",
            postgresql_where=text("kind = 'search' AND results = 0"),
        ),
        Index("ix_usage_events_content_gaps", "occurred_at", postgresql_where=text("content_gap")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=text("now()"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    pseudonym: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(200))
    risk_factor: Mapped[str | None] = mapped_column(String(40))
    facets: Mapped[dict[str, str]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    text_typed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    results: Mapped[int | None] = mapped_column(Integer)
    tool_id: Mapped[int | None] = mapped_column(
        ForeignKey("tools.id", ondelete="SET NULL"), index=True
    )
    search_text: Mapped[str | None] = mapped_column(String(SEARCH_TEXT_MAX))
    # A search whose words rank within the filters it named (a factor, a stage, a phase) and
    # match none of their tools, though tools were shown: what officers look for and the
    # catalogue lacks (app.search.service.SearchAnswer.content_gap).
    content_gap: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class UsageDaily(Base):
    """Events counted per day (Europe/Paris), kind, risk factor, tool and service; kept for good."""

    __tablename__ = "usage_daily"
    __table_args__ = (
        Index("ix_usage_daily_day_kind", "day", "kind"),
        Index("ix_usage_daily_tool_id_day", "tool_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    risk_factor: Mapped[str | None] = mapped_column(String(40))
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("tools.id", ondelete="SET NULL"))
    service: Mapped[str | None] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer)
    # of `count`, the searches that were content gaps (kept once the events are purged)
    content_gaps: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


# Two narrow projections of usage_daily, written with it in the same transaction, because
# usage_daily hardly compresses: a day's events mostly differ by tool × service × factor (a
# million events made 820,000 daily rows). The dashboard reads these instead: a few dozen rows
# a day per risk factor, a few hundred per tool.


class UsageDailyFactor(Base):
    """usage_daily summed over tools and services: per day, kind and risk factor."""

    __tablename__ = "usage_daily_factors"
    __table_args__ = (Index("ix_usage_daily_factors_day_kind", "day", "kind"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    risk_factor: Mapped[str | None] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    content_gaps: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class UsageDailyTool(Base):
    """usage_daily summed over factors and services: per day, kind and tool (tools only)."""

    __tablename__ = "usage_daily_tools"
    __table_args__ = (
        Index(
            "ix_usage_daily_tools_kind_day", "kind", "day", postgresql_include=["tool_id", "count"]
        ),
        Index("ix_usage_daily_tools_tool_id_day", "tool_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("tools.id", ondelete="SET NULL"))
    count: Mapped[int] = mapped_column(Integer)
