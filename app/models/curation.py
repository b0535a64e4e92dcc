"""Curators' trail on a tool: its workflow steps (draft → review → published → archived) and its
revisions (a snapshot of the sheet at each save), so that nothing a curator did is ever lost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, utcnow


class WorkflowStep(Base):
    """One status change of a tool: who moved it, from where to where, when and why."""

    __tablename__ = "tool_workflow_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))  # None: the tool was created
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # who it was, kept even if the account is deleted later
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="web")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class ToolRevision(Base):
    """A tool's editable fields as saved, numbered per tool; `changed_fields` compared with the
    revision before."""

    __tablename__ = "tool_revisions"
    __table_args__ = (UniqueConstraint("tool_id", "number", name="uq_tool_revisions_tool_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(254), default="")
    source: Mapped[str] = mapped_column(String(20), default="web")  # web, api, restore, import...
    restored_from: Mapped[int | None] = mapped_column(Integer)  # the revision number restored
    changed_fields: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")
