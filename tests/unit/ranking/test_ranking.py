"""The ranking is pure: these tests need no database and no search engine."""

from datetime import date

import pytest

from ranking import DEFAULT_WEIGHTS, RatingStats, Weights, score_tool, smoothed_rating, tool_scores


def _score(ratings, level=2, not_recommended=False, weights=DEFAULT_WEIGHTS, mean=4.0):
    return score_tool(
        ratings=ratings,
        evidence_level=level,
        not_recommended=not_recommended,
        weights=weights,
        prior_mean=mean,
    ).score


def _ratings(*values):
    return RatingStats(len(values), float(sum(values)))


@pytest.mark.parametrize("mean", [2.0, 3.0, 3.5, 4.0, 4.5])
def test_one_five_star_rating_never_outranks_thirty_averaging_4_8(mean):
    one = _score(_ratings(5), mean=mean)
    thirty = _score(RatingStats(30, 30 * 4.8), mean=mean)
    assert thirty > one


@pytest.mark.parametrize(
    "weights",
    [
        DEFAULT_WEIGHTS,
        Weights(rating=1, evidence=0),
        Weights(rating=0, evidence=1),
        Weights(rating=1, evidence=1, usage=1, freshness=1),
        Weights(rating=0, evidence=0),
    ],
)
def test_not_recommended_never_outranks_a_recommended_tool(weights):
    best_but_harmful = _score(
        RatingStats(100, 500.0), level=4, not_recommended=True, weights=weights
    )
    worst_recommended = _score(RatingStats(100, 100.0), level=0, weights=weights)
    assert worst_recommended > best_but_harmful


def test_evidence_raises_the_score_all_else_equal():
    scores = [_score(RatingStats(), level=level) for level in range(5)]
    assert scores == sorted(scores) and len(set(scores)) == 5


def test_smoothing_pulls_few_ratings_toward_the_mean():
    assert smoothed_rating(_ratings(5), 3.0, 5) == pytest.approx((15 + 5) / 6)
    assert smoothed_rating(RatingStats(), 3.0, 5) == 3.0


def test_feedback_for_a_factor_counts_for_that_factor():
    scores = tool_scores(
        overall=_ratings(5, 5, 5, 1, 1, 1),
        per_factor={"addictions": _ratings(5, 5, 5), "emploi": _ratings(1, 1, 1)},
        factors=["addictions", "emploi", "famille"],
        evidence_level=2,
        not_recommended=False,
        weights=DEFAULT_WEIGHTS,
        prior_mean=3.0,
    )
    assert scores["addictions"] > scores["famille"] > scores["emploi"]
    assert set(scores) == {"_", "addictions", "emploi", "famille"}


def test_breakdown_adds_up_to_the_score():
    breakdown = score_tool(
        ratings=_ratings(4, 5),
        evidence_level=3,
        not_recommended=False,
        weights=Weights(rating=0.5, evidence=0.3, usage=0.1, freshness=0.1),
        prior_mean=3.5,
        last_review=date(2026, 1, 1),
        today=date(2026, 6, 1),
    )
    assert breakdown.tier == 1
    assert breakdown.score == pytest.approx(1 + sum(breakdown.contributions.values()), abs=1e-6)
    assert set(breakdown.signals) == {"rating", "evidence", "usage", "freshness"}


def test_weights_from_stored_values_ignore_unknown_keys():
    weights = Weights.from_dict({"rating": "0.2", "unknown": 3})
    assert weights.rating == 0.2 and weights.evidence == DEFAULT_WEIGHTS.evidence
