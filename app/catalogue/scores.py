"""Stored ranking scores: gathers feedback statistics and asks `ranking` for the scores.

Scores are stored on the tool row and copied into its search document, so that Meilisearch
and the degraded path (PostgreSQL) order results the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Feedback, RankingWeightsVersion, RiskFactor, Tool
from ranking import DEFAULT_WEIGHTS, RatingStats, Weights, tool_scores

# Used as the catalogue mean before anyone has rated anything: the middle of "good".
EMPTY_CATALOGUE_MEAN = 3.5


def current_weights(session: Session) -> Weights:
    latest = session.scalars(
        select(RankingWeightsVersion).order_by(RankingWeightsVersion.id.desc()).limit(1)
    ).first()
    return Weights.from_dict(latest.values) if latest else DEFAULT_WEIGHTS


def catalogue_mean(session: Session) -> float:
    mean = session.scalar(select(func.avg(Feedback.rating)))
    return float(mean) if mean is not None else EMPTY_CATALOGUE_MEAN


def rating_stats(
    session: Session, tool_ids: Iterable[int]
) -> dict[int, tuple[RatingStats, dict[str, RatingStats]]]:
    """Per tool: all its ratings, and its ratings per risk factor of use. One query."""
    ids = list(tool_ids)
    result: dict[int, tuple[RatingStats, dict[str, RatingStats]]] = {}
    if not ids:
        return result
    rows = session.execute(
        select(Feedback.tool_id, RiskFactor.slug, func.count(), func.sum(Feedback.rating))
        .outerjoin(RiskFactor, RiskFactor.id == Feedback.risk_factor_id)
        .where(Feedback.tool_id.in_(ids))
        .group_by(Feedback.tool_id, RiskFactor.slug)
    ).all()
    overall: dict[int, list] = defaultdict(lambda: [0, 0.0])
    per_factor: dict[int, dict[str, RatingStats]] = defaultdict(dict)
    for tool_id, factor, count, total in rows:
        overall[tool_id][0] += count
        overall[tool_id][1] += float(total)
        if factor:
            per_factor[tool_id][factor] = RatingStats(count, float(total))
    for tool_id in ids:
        count, total = overall.get(tool_id, (0, 0.0))
        result[tool_id] = (RatingStats(count, total), per_factor.get(tool_id, {}))
    return result


def refresh_scores(
    session: Session,
    tools: list[Tool],
    weights: Weights | None = None,
    mean: float | None = None,
) -> dict[int, tuple[RatingStats, dict[str, RatingStats]]]:
    """Recompute and store the scores of `tools`; returns the statistics it used."""
    session.flush()
    weights = weights or current_weights(session)
    mean = catalogue_mean(session) if mean is None else mean
    stats = rating_stats(session, [t.id for t in tools])
    for tool in tools:
        overall, per_factor = stats[tool.id]
        tool.scores = tool_scores(
            overall=overall,
            per_factor=per_factor,
            factors=tool.risk_factor_slugs,
            evidence_level=tool.evidence_level,
            not_recommended=tool.not_recommended,
            weights=weights,
            prior_mean=mean,
            last_review=tool.last_review,
        )
    return stats
