"""Signals a score is made of, each normalised to [0, 1]."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

RATING_MIN, RATING_MAX = 1.0, 5.0
MAX_EVIDENCE_LEVEL = 4


@dataclass(frozen=True)
class RatingStats:
    """Count and sum of a set of ratings (1 to 5)."""

    count: int = 0
    total: float = 0.0

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None


def smoothed_rating(stats: RatingStats, prior_mean: float, prior_strength: float) -> float:
    """Bayesian average: `prior_strength` virtual ratings at `prior_mean` join the real ones.

    Why: a tool with one 5-star rating must not outrank a tool with thirty ratings
    averaging 4.8; the few ratings of the first are pulled toward the mean.
    """
    return (prior_mean * prior_strength + stats.total) / (prior_strength + stats.count)


def rating_signal(smoothed: float) -> float:
    return (smoothed - RATING_MIN) / (RATING_MAX - RATING_MIN)


def evidence_signal(level: int) -> float:
    return max(0, min(level, MAX_EVIDENCE_LEVEL)) / MAX_EVIDENCE_LEVEL


def usage_signal(rating_count: int, saturation: int = 50) -> float:
    """Grows with the number of ratings, logarithmically, saturating at `saturation`."""
    return min(1.0, math.log1p(rating_count) / math.log1p(saturation))


def freshness_signal(last_review: date | None, today: date, horizon_days: int = 5 * 365) -> float:
    """1 for a review today, falling linearly to 0 after five years; 0 when never reviewed."""
    if last_review is None:
        return 0.0
    age = (today - last_review).days
    return max(0.0, 1.0 - age / horizon_days)
