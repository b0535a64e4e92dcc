"""A tool's place in the search on each of its risk factors, for the sheet's « Pourquoi ce rang ? ».

Read from the stored scores in the index's order for a factor searched without words: the
factor's score, best first (a *non recommandé* tool's score is below every recommended one's),
then the id. Only published tools are ranked.
"""

from __future__ import annotations

from sqlalchemy import Float, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.catalogue.rank_explanation import Position
from app.core.vocabulary import PUBLISHED
from app.models import RiskFactor, Tool, tool_risk_factors


def positions(session: Session, tool: Tool, factors: list[RiskFactor]) -> list[Position]:
    """The tool's rank among the published tools of each of `factors` (one query)."""
    if tool.status != PUBLISHED or not factors:
        return []
    other = aliased(Tool)
    # as the index's documents carry them: the factor's score, else the global one
    mine = cast(
        func.coalesce(Tool.scores[RiskFactor.slug].astext, Tool.scores["_"].astext, "0"), Float
    )
    theirs = cast(
        func.coalesce(other.scores[RiskFactor.slug].astext, other.scores["_"].astext, "0"), Float
    )
    ahead = or_(theirs > mine, and_(theirs == mine, other.id < Tool.id))
    rows = session.execute(
        select(
            RiskFactor.slug,
            func.count(),
            func.sum(case((ahead, 1), else_=0)),
        )
        .select_from(tool_risk_factors)
        .join(RiskFactor, RiskFactor.id == tool_risk_factors.c.risk_factor_id)
        .join(other, other.id == tool_risk_factors.c.tool_id)
        .join(Tool, Tool.id == tool.id)
        .where(RiskFactor.slug.in_([f.slug for f in factors]), other.status == PUBLISHED)
        .group_by(RiskFactor.slug)
    ).all()
    found = {slug: (int(ahead_count or 0) + 1, int(total)) for slug, total, ahead_count in rows}
    return [Position(f.label, *found[f.slug]) for f in factors if f.slug in found]
