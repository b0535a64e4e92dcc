"""Pure ranking: turns a tool's signals into a score. No Flask, no database, no HTTP."""

from ranking.score import ScoreBreakdown, score_tool, tool_scores
from ranking.signals import RatingStats, evidence_signal, smoothed_rating
from ranking.weights import DEFAULT_WEIGHTS, WEIGHT_BOUNDS, Weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "WEIGHT_BOUNDS",
    "Weights",
    "RatingStats",
    "evidence_signal",
    "smoothed_rating",
    "ScoreBreakdown",
    "score_tool",
    "tool_scores",
]
