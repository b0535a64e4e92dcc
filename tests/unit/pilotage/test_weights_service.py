"""The weights service's pure parts: validation messages and the per-factor breakdown."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from app.pilotage.weights import factor_breakdown, parse_number, validate_values
from ranking import DEFAULT_WEIGHTS, RatingStats, Weights, tool_scores


def test_breakdown_matches_the_stored_factor_score():
    rng = random.Random(7)
    today = date(2025, 6, 1)
    for _ in range(500):
        weights = Weights(
            rating=rng.random(),
            evidence=rng.random(),
            usage=rng.random(),
            freshness=rng.random(),
            prior_strength=rng.uniform(1, 50),
            factor_prior_strength=rng.uniform(1, 50),
        )
        n = rng.randint(0, 60)
        overall = RatingStats(n, sum(rng.randint(1, 5) for _ in range(n)))
        k = rng.randint(0, n)
        factor = RatingStats(k, sum(rng.randint(1, 5) for _ in range(k)))
        common = {
            "evidence_level": rng.randint(0, 4),
            "not_recommended": rng.random() < 0.2,
            "weights": weights,
            "prior_mean": rng.uniform(1, 5),
            "last_review": rng.choice([None, today - timedelta(days=rng.randint(0, 3000))]),
            "today": today,
        }
        stored = tool_scores(
            overall=overall, per_factor={"addictions": factor}, factors=["addictions"], **common
        )["addictions"]
        breakdown = factor_breakdown(overall=overall, factor_stats=factor, **common)
        assert breakdown.score == pytest.approx(stored, abs=1e-9)
        assert sum(breakdown.contributions.values()) == pytest.approx(
            breakdown.score - breakdown.tier, abs=1e-5
        )


@pytest.mark.parametrize(
    "raw, number",
    [
        ("0,5", 0.5),
        (" 1.25 ", 1.25),
        (3, 3.0),
        ("1e-1", 0.1),
        ("nan", None),
        ("inf", None),
        (True, None),
        (None, None),
        ([1], None),
        ("", None),
    ],
)
def test_numbers_as_typed(raw, number):
    assert parse_number(raw) == number


def test_missing_keys_keep_the_base_and_messages_are_per_field():
    weights, errors = validate_values({"evidence": "0,9"}, DEFAULT_WEIGHTS)
    assert errors == {} and weights.evidence == 0.9 and weights.rating == DEFAULT_WEIGHTS.rating
    _weights, errors = validate_values(
        {"rating": 2, "usage": "?", "x": 1, "prior_strength": 0.5}, DEFAULT_WEIGHTS
    )
    assert set(errors) == {"rating", "usage", "x", "prior_strength"}
    assert errors["prior_strength"] == [
        "La valeur doit être comprise entre 1 et 50 (vous avez saisi 0,5)."
    ]
    _weights, errors = validate_values({"rating": 0, "evidence": 0}, DEFAULT_WEIGHTS)
    assert list(errors) == ["_schema"]
