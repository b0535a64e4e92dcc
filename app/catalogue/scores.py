"""Stored ranking scores: gathers feedback statistics and asks `ranking` for the scores.

Scores are stored on the tool row and copied into its search document, so that Meilisearch
and the degraded path (PostgreSQL) order results the same way.

Every stored score is computed against one prior, stored in `score_priors` (the catalogue's
mean rating, the smoothing strengths, the reference date of freshness): `refresh_scores` scores
a tool (a new rating, an edit) against the latest row and moves no other tool; only a recompute
of every score together (app.pilotage.weights.recompute_all_scores: weights saved,
`romin scores refresh`, `romin seed`) appends a new prior. A transaction that scores a tool holds
a shared advisory lock (`hold_prior`) until it ends, and the recompute an exclusive one
(`hold_prior_exclusively`): a rating is either in the recompute's mean and scores, or scored
against the new prior once the recompute has committed, never against a prior already replaced.
Take the shared lock before locking a tool's row, so the two never wait on each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Feedback,
    RankingWeightsVersion,
    RiskFactor,
    ScorePrior,
    Tool,
    tool_risk_factors,
)
from ranking import DEFAULT_WEIGHTS, RatingStats, Weights, tool_scores

# Used as the catalogue mean before anyone has rated anything: the middle of "good".
EMPTY_CATALOGUE_MEAN = 3.5
# The advisory lock between scoring one tool (shared) and recomputing every score (exclusive).
_PRIOR_LOCK_KEY = 0x524F4D494E + 2


def hold_prior(session: Session) -> None:
    """Keep the stored prior from moving until this transaction ends (shared: scorings of single
    tools never wait for each other, only for a recompute of every score)."""
    session.execute(select(func.pg_advisory_xact_lock_shared(_PRIOR_LOCK_KEY)))


def hold_prior_exclusively(session: Session) -> None:
    """Wait for every transaction that scored a tool against the current prior, and keep new
    ones waiting until this one ends: taken by the recompute of every score."""
    session.execute(select(func.pg_advisory_xact_lock(_PRIOR_LOCK_KEY)))


def current_weights(session: Session) -> Weights:
    latest = session.scalars(
        select(RankingWeightsVersion).order_by(RankingWeightsVersion.id.desc()).limit(1)
    ).first()
    return Weights.from_dict(latest.values) if latest else DEFAULT_WEIGHTS


def catalogue_mean(session: Session) -> float:
    """The mean of every rating now (the stored prior's mean is the one scores use)."""
    mean = session.scalar(select(func.avg(Feedback.rating)))
    return float(mean) if mean is not None else EMPTY_CATALOGUE_MEAN


def current_prior(session: Session) -> ScorePrior:
    """The prior every stored score was computed against: the latest row. Migration 0010 stores
    a first one; should the table be empty all the same, one is stored from the catalogue now."""
    prior = session.scalars(select(ScorePrior).order_by(ScorePrior.id.desc()).limit(1)).first()
    return prior if prior is not None else new_prior(session, reason="first")


def new_prior(
    session: Session, weights: Weights | None = None, *, reason: str, today: date | None = None
) -> ScorePrior:
    """Store a new prior from the catalogue as it is now (the mean of every rating), the
    smoothing strengths of `weights` (the weights in force unless told) and `today`.

    Only for a recompute of every score together, which holds `hold_prior_exclusively`."""
    latest = session.scalars(
        select(RankingWeightsVersion).order_by(RankingWeightsVersion.id.desc()).limit(1)
    ).first()
    weights = weights or (Weights.from_dict(latest.values) if latest else DEFAULT_WEIGHTS)
    count, mean = session.execute(select(func.count(), func.avg(Feedback.rating))).one()
    prior = ScorePrior(
        catalogue_mean=float(mean) if mean is not None else EMPTY_CATALOGUE_MEAN,
        rating_count=count,
        prior_strength=weights.prior_strength,
        factor_prior_strength=weights.factor_prior_strength,
        reference_date=today or date.today(),
        weights_version_id=latest.id if latest else None,
        reason=reason,
    )
    session.add(prior)
    session.flush()
    return prior


def prior_weights(session: Session, prior: ScorePrior) -> Weights:
    """The weights scores are computed with under this prior: those of its version (ROMIN's
    defaults when none), with the prior's smoothing strengths."""
    version = (
        session.get(RankingWeightsVersion, prior.weights_version_id)
        if prior.weights_version_id is not None
        else None
    )
    weights = Weights.from_dict(version.values) if version is not None else DEFAULT_WEIGHTS
    return replace(
        weights,
        prior_strength=prior.prior_strength,
        factor_prior_strength=prior.factor_prior_strength,
    )


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


def factor_levels(session: Session, tool_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per tool, its factors with an evidence level of their own: slug -> level. One query."""
    ids = list(tool_ids)
    levels: dict[int, dict[str, int]] = defaultdict(dict)
    if ids:
        rows = session.execute(
            select(tool_risk_factors.c.tool_id, RiskFactor.slug, tool_risk_factors.c.evidence_level)
            .join(RiskFactor, RiskFactor.id == tool_risk_factors.c.risk_factor_id)
            .where(
                tool_risk_factors.c.tool_id.in_(ids),
                tool_risk_factors.c.evidence_level.is_not(None),
            )
        )
        for tool_id, slug, level in rows:
            levels[tool_id][slug] = level
    return levels


def refresh_scores(
    session: Session, tools: list[Tool]
) -> dict[int, tuple[RatingStats, dict[str, RatingStats]]]:
    """Recompute and store the scores of `tools` against the stored prior, and of no other tool;
    returns the statistics it used. Holds the prior (`hold_prior`) until the transaction ends."""
    hold_prior(session)
    session.flush()
    prior = current_prior(session)
    weights = prior_weights(session, prior)
    ids = [t.id for t in tools]
    stats = rating_stats(session, ids)
    levels = factor_levels(session, ids)
    for tool in tools:
        overall, per_factor = stats[tool.id]
        tool.scores = tool_scores(
            overall=overall,
            per_factor=per_factor,
            factors=tool.risk_factor_slugs,
            evidence_level=tool.evidence_level,
            not_recommended=tool.not_recommended,
            weights=weights,
            prior_mean=prior.catalogue_mean,
            last_review=tool.last_review,
            today=prior.reference_date,
            factor_evidence=levels.get(tool.id),
        )
    return stats
