"""Comment moderation: officers' reports and curators' decisions (hide or show a comment).

A comment's current state is its latest decision: hidden after a "hide", visible otherwise.
Decisions are kept (who, when, why), never overwritten, and a hidden comment is never deleted:
its author still sees it, marked as hidden, with the reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, utcnow
from app.models.feedback import Feedback

REASON_MAX = 500


class CommentDecision(Base):
    """A curator hid a comment (reason required) or showed it again / left it visible."""

    __tablename__ = "comment_decisions"
    __table_args__ = (
        CheckConstraint("action IN ('hide','show')", name="action_known"),
        CheckConstraint("action <> 'hide' OR length(btrim(reason)) > 0", name="hide_has_reason"),
        Index("ix_comment_decisions_feedback_latest", "feedback_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    feedback: Mapped[Feedback] = relationship()
    decided_by: Mapped[User | None] = relationship(lazy="joined")


class CommentReport(Base):
    """An officer's report of a comment, open until a decision closes it. One open report per
    officer and comment; once a decision closed it, the officer may report the comment again."""

    __tablename__ = "comment_reports"
    __table_args__ = (
        Index(
            "uq_comment_reports_open_feedback_reporter",
            "feedback_id",
            "reporter_id",
            unique=True,
            postgresql_where=text("decision_id IS NULL"),
        ),
        Index(
            "ix_comment_reports_open", "created_at", postgresql_where=text("decision_id IS NULL")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # set by the decision that closed the report
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment_decisions.id", ondelete="SET NULL"), index=True
    )

    feedback: Mapped[Feedback] = relationship()
    decision: Mapped[CommentDecision | None] = relationship()
