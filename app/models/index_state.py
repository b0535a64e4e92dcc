"""What ROMIN knows of the search index: last rebuild, last sync, last error."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, ScalarSelect, String, Text, select
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
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def generation_query() -> ScalarSelect[int]:
    """The index generation as a subquery, to read it in the same round trip as something else
    (a request's token check reads it with the token's user)."""
    return select(IndexState.generation).where(IndexState.name == "tools").scalar_subquery()
