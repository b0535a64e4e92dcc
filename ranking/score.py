"""A tool's score: a weighted mean of signals, with non-recommended tools in a lower tier.

Scores of recommended tools lie in [1, 2], those of *non recommandé* tools in [0, 1):
whatever the weights, a non-recommended tool never outranks a recommended one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache, partial

from ranking.signals import (
    RatingStats,
    evidence_signal,
    freshness_signal,
    rating_signal,
    smoothed_rating,
    usage_signal,
)
from ranking.weights import Weights

GLOBAL_KEY = "_"


@dataclass(frozen=True)
class ScoreBreakdown:
    """Each signal's value and weighted contribution: what the preview shows to support staff."""

    signals: dict[str, float]
    contributions: dict[str, float]
    tier: int
    score: float


def score_tool(
    *,
    ratings: RatingStats,
    evidence_level: int,
    not_recommended: bool,
    weights: Weights,
    prior_mean: float,
    last_review: date | None = None,
    today: date | None = None,
) -> ScoreBreakdown:
    smoothed = smoothed_rating(ratings, prior_mean, weights.prior_strength)
    signals = {
        "rating": rating_signal(smoothed),
        "evidence": evidence_signal(evidence_level),
        "usage": usage_signal(ratings.count),
        "freshness": freshness_signal(last_review, today or date.today()),
    }
    return combine(signals, not_recommended, weights)


def combine(signals: dict[str, float], not_recommended: bool, weights: Weights) -> ScoreBreakdown:
    """The weighted mean of `signals`, placed in its tier; also used by the weights preview."""
    w = {name: getattr(weights, name) for name in signals}
    total_weight = sum(w.values())
    contributions = {
        name: (w[name] * value / total_weight if total_weight else 0.0)
        for name, value in signals.items()
    }
    within = min(sum(contributions.values()), 1.0)
    tier = 0 if not_recommended else 1
    if not_recommended:
        within = min(within, 0.999999)
    return ScoreBreakdown(signals, contributions, tier, round(tier + within, 6))


@lru_cache(maxsize=8)
def _factor_weights(weights: Weights) -> Weights:
    """The weights for a per-factor rating: its own prior strength (cached: called per tool)."""
    return replace(weights, prior_strength=weights.factor_prior_strength)


def tool_scores(
    *,
    overall: RatingStats,
    per_factor: dict[str, RatingStats],
    factors: list[str],
    evidence_level: int,
    not_recommended: bool,
    weights: Weights,
    prior_mean: float,
    last_review: date | None = None,
    today: date | None = None,
    factor_evidence: Mapping[str, int] | None = None,
) -> dict[str, float]:
    """Global score (key "_") and one score per risk factor the tool works on.

    A factor's rating is the feedback given for that factor, smoothed toward the tool's own
    smoothed rating, itself smoothed toward the catalogue mean: feedback given for a factor
    counts most for that factor, and a factor without its own feedback inherits the tool's.
    A factor's evidence is its own level in `factor_evidence` when it has one, else the tool's
    `evidence_level` (which the global score uses).
    """
    score = partial(
        score_tool,
        not_recommended=not_recommended,
        last_review=last_review,
        today=today or date.today(),
    )
    scores = {
        GLOBAL_KEY: score(
            ratings=overall, prior_mean=prior_mean, weights=weights, evidence_level=evidence_level
        ).score
    }
    tool_mean = smoothed_rating(overall, prior_mean, weights.prior_strength)
    factor_weights = _factor_weights(weights)
    usage = usage_signal(overall.count)  # counts all of the tool's ratings, not only a factor's
    levels = factor_evidence or {}
    for factor in factors:
        stats = per_factor.get(factor, RatingStats())
        breakdown = score(
            ratings=stats,
            prior_mean=tool_mean,
            weights=factor_weights,
            evidence_level=levels.get(factor, evidence_level),
        )
        signals = {**breakdown.signals, "usage": usage}
        scores[factor] = combine(signals, not_recommended, weights).score
    return scores
