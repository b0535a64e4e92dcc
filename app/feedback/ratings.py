"""Officers' ratings and comments: one current rating per officer and tool."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.scores import refresh_scores
from app.core.refusals import Refused
from app.models import Feedback, Tool, User
from app.models.base import utcnow


class FeedbackError(Refused):
    """A rating refused, with French messages per field."""


def rate(
    session: Session,
    tool: Tool,
    user: User,
    *,
    rating: int,
    comment: str = "",
    risk_factor: str | None = None,
    modality: str | None = None,
    sessions_used: int | None = None,
    minutes_spent: int | None = None,
    is_demo: bool = False,
) -> Feedback:
    """Give or replace `user`'s rating of `tool`, then recompute the tool's scores."""
    factor = None
    if risk_factor:
        factor = next((f for f in tool.risk_factors if f.slug == risk_factor), None)
        if factor is None:
            raise FeedbackError(
                {"risk_factor": ["Choisissez un des facteurs de risque de cet outil."]}
            )
    feedback = session.scalar(
        select(Feedback).where(Feedback.tool_id == tool.id, Feedback.user_id == user.id)
    )
    if feedback is None:
        feedback = Feedback(tool_id=tool.id, user_id=user.id)
        session.add(feedback)
    feedback.rating = rating
    feedback.comment = (comment or "").strip()
    feedback.risk_factor_id = factor.id if factor else None
    feedback.modality = modality
    feedback.sessions_used = sessions_used
    feedback.minutes_spent = minutes_spent
    feedback.is_demo = is_demo
    feedback.updated_at = utcnow()
    session.flush()
    refresh_scores(session, [tool])
    return feedback


def for_tool(session: Session, tool: Tool) -> list[Feedback]:
    return list(
        session.scalars(
            select(Feedback).where(Feedback.tool_id == tool.id).order_by(Feedback.updated_at.desc())
        )
    )


def of_user(session: Session, tool: Tool, user: User | None) -> Feedback | None:
    if user is None:
        return None
    return session.scalar(
        select(Feedback).where(Feedback.tool_id == tool.id, Feedback.user_id == user.id)
    )
