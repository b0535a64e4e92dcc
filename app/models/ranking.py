"""Versioned ranking weights: each change is a new row, so history and rollback are free."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class RankingWeightsVersion(Base):
    __tablename__ = "ranking_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    values: Mapped[dict[str, float]] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rolled_back_from: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
