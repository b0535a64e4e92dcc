"""The index outbox: a row per tool whose search document must be pushed (kind 'tool'), or for
the index settings (kind 'settings': a risk factor's synonyms changed), written in the same
transaction as the change, so that no edit is ever lost whatever Meilisearch does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class IndexOutbox(Base):
    __tablename__ = "index_outbox"
    __table_args__ = (
        # what the worker asks for: pending, not parked, due
        Index(
            "ix_index_outbox_due",
            "next_attempt_at",
            postgresql_where="done_at IS NULL AND NOT parked",
        ),
        CheckConstraint(
            "(kind = 'tool' AND tool_id IS NOT NULL) OR (kind = 'settings' AND tool_id IS NULL)",
            name="kind_and_tool",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # 'tool': push this tool's document; 'settings': push the index settings (no tool)
    kind: Mapped[str] = mapped_column(String(20), default="tool", server_default="tool")
    # no foreign key: a deleted tool still needs its document deleted
    tool_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    parked: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
