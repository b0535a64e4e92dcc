"""Throttling counters, shared by every gunicorn worker (app.accounts.rate_limit_storage).

UNLOGGED: a counter is worth nothing after a crash (PostgreSQL empties the table then), and
writing it costs no WAL flush, so counting a request stays a sub-millisecond round trip.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class RateLimitCounter(Base):
    """One fixed window of one limit for one key (an address, an account, a token)."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
