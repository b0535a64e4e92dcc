"""A tool's ratings as the sheet and the API show them (average, count, distribution).

Officers give ratings in the feedback feature; the catalogue only reads them, as it reads the
scores computed from them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Feedback, Tool


def summary(session: Session, tool: Tool) -> tuple[float | None, int, dict[int, int]]:
    """Average, count and distribution (stars → count) of a tool's ratings."""
    rows = session.execute(
        select(Feedback.rating, func.count())
        .where(Feedback.tool_id == tool.id)
        .group_by(Feedback.rating)
    ).all()
    distribution = {star: 0 for star in range(5, 0, -1)}
    for star, count in rows:
        distribution[star] = count
    count = sum(distribution.values())
    average = sum(s * c for s, c in distribution.items()) / count if count else None
    return average, count, distribution
