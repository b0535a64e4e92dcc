"""What ROMIN knows of the search index: last rebuild, last sync, last error."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class IndexState(Base):
    """A single row (name = 'tools') updated by syncs and rebuilds."""

    __tablename__ = "index_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_rebuild_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped by every change pushed to the index: search caches key on it.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
