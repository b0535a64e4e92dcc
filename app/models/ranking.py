"""Versioned ranking weights: each change is a new row, so history and rollback are free."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text
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


class ScorePrior(Base):
    """The prior every stored score was computed against, set when all scores are recomputed
    together (weights saved, `romin scores refresh`, `romin seed`): the catalogue mean, the
    smoothing strengths and the reference date of freshness. A new rating or an edit scores
    its own tool against the latest row, so every stored score shares one prior at any moment.
    Each recompute appends a row (the history of the prior)."""

    __tablename__ = "score_priors"

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_mean: Mapped[float] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)  # ratings the mean is of
    prior_strength: Mapped[float] = mapped_column(Float)
    factor_prior_strength: Mapped[float] = mapped_column(Float)
    reference_date: Mapped[date] = mapped_column(Date)
    # the weights version in force (None: ROMIN's defaults in code, no version saved yet)
    weights_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("ranking_weights.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(20), default="refresh")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
