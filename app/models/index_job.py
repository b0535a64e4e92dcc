"""Index jobs: a rebuild started from the back office (or the command line), with its progress.

Stored in PostgreSQL so that every web process shows the same progress, and so that a second
rebuild is refused while one runs: a partial unique index allows one running job per kind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, utcnow

JOB_STATES = ("running", "succeeded", "failed")


class IndexJob(Base):
    __tablename__ = "index_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('running','succeeded','failed')", name="state_known"),
        # one running job of a kind at a time, whatever the number of processes
        Index(
            "uq_index_jobs_one_running",
            "kind",
            unique=True,
            postgresql_where=text("state = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="rebuild")
    state: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # written by the running process every few seconds: a job whose heartbeat stopped was
    # left behind by a process that died, and no longer blocks the next one
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # who or what started it, kept when the account goes ("romin index rebuild" for the CLI)
    started_by_label: Mapped[str] = mapped_column(String(254), default="")
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")

    started_by: Mapped[User | None] = relationship()
