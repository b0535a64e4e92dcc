"""An officer's saved intervention plans: which tools, for which risk factors, over how many
sessions. A plan is about tools, never about a person: its only free text is its label, checked
for identifying details before it is stored (app.workspace.plans)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class SavedPlan(Base):
    """A plan an officer kept under a label. `state` holds the plan as its page's address does
    (app.workspace.plans.PlanState.to_json): factors with their stages, modality, sessions,
    minutes per session and the tools in order."""

    __tablename__ = "saved_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
