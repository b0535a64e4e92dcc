"""Consistent scores: every stored score is computed against the one stored prior.

A new rating scores its own tool against the stored prior (catalogue mean, smoothing strengths,
reference date) and moves no other tool; the prior moves only when every score is recomputed
together. On real PostgreSQL: ratings arriving in random orders end in the scores (and so the
order) a recompute from scratch against the stored prior gives.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import func, select

from app.catalogue.scores import (
    current_prior,
    current_weights,
    factor_levels,
    prior_weights,
    rating_stats,
)
from app.db import db
from app.feedback import ratings as feedback_service
from app.models import ScorePrior, Tool
from app.pilotage.weights import recompute_all_scores
from app.search.service import search
from indexer.search import SearchQuery
from ranking import tool_scores

pytestmark = pytest.mark.usefixtures("ctx")

FACTORS = ("addictions", "emploi", "famille")


def _scores() -> dict[int, dict[str, float]]:
    db.session.flush()
    db.session.expire_all()
    return {t.id: dict(t.scores) for t in db.session.scalars(select(Tool).order_by(Tool.id))}


def _from_scratch() -> dict[int, dict[str, float]]:
    """Every tool's scores recomputed from its ratings against the stored prior (no write)."""
    prior = current_prior(db.session)
    weights = prior_weights(db.session, prior)
    tools = list(db.session.scalars(select(Tool).order_by(Tool.id)))
    stats = rating_stats(db.session, [t.id for t in tools])
    levels = factor_levels(db.session, [t.id for t in tools])
    return {
        t.id: tool_scores(
            overall=stats[t.id][0],
            per_factor=stats[t.id][1],
            factors=t.risk_factor_slugs,
            evidence_level=t.evidence_level,
            not_recommended=t.not_recommended,
            weights=weights,
            prior_mean=prior.catalogue_mean,
            last_review=t.last_review,
            today=prior.reference_date,
            factor_evidence=levels.get(t.id),
        )
        for t in tools
    }


def _orders(scores: dict[int, dict[str, float]]) -> dict[str, list[int]]:
    """The order of the tools for each key (global "_" and each factor), as the index sorts."""
    keys = {key for s in scores.values() for key in s}
    return {
        key: sorted((i for i in scores if key in scores[i]), key=lambda i: (-scores[i][key], i))
        for key in keys
    }


def _priors() -> int:
    return db.session.scalar(select(func.count()).select_from(ScorePrior)) or 0


def test_one_new_rating_moves_no_other_tools_score(make_tool, make_user):
    tools = [make_tool(title=f"Outil {n}", evidence_level=n % 5) for n in range(4)]
    recompute_all_scores(db.session, current_weights(db.session))  # a prior of its own
    db.session.commit()
    before, priors = _scores(), _priors()
    rated = db.session.merge(tools[1])
    feedback_service.rate(db.session, rated, make_user(), rating=5, risk_factor="addictions")
    db.session.commit()
    after = _scores()
    assert after[rated.id] != before[rated.id]  # its own score moved
    assert {i: s for i, s in after.items() if i != rated.id} == {
        i: s for i, s in before.items() if i != rated.id
    }
    assert _priors() == priors  # and the prior did not


def test_one_five_star_rating_stays_below_thirty_averaging_4_8_whatever_the_order(
    make_tool, make_user
):
    """The issue's case, seen through the search: the order of two tools never depends on the
    order in which their ratings arrived, and needs no refresh."""
    one = make_tool(title="Un seul avis", evidence_level=2)
    many = make_tool(title="Trente avis", evidence_level=2)
    stars = [5] * 24 + [4] * 6  # 30 ratings averaging 4.8
    for n, rating in enumerate(stars):
        feedback_service.rate(db.session, db.session.merge(many), make_user(), rating=rating)
        if n == 29:  # the single 5 arrives last, when the catalogue's mean is 4.8
            feedback_service.rate(db.session, db.session.merge(one), make_user(), rating=5)
    db.session.commit()
    hits = search(db.session, SearchQuery(factor="addictions")).result.hits
    assert [h["title"] for h in hits] == ["Trente avis", "Un seul avis"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_ratings_in_random_orders_end_as_a_recompute_from_scratch(
    seed, make_tool, make_user
):
    """Property: whatever ratings arrive and in whatever order (officers rating, changing their
    rating, for a factor or not), the stored scores, and so the order of every factor, are those
    a recompute of every tool against the stored prior gives; another arrival order of the same
    ratings ends in the very same scores."""
    rng = random.Random(seed)
    tools = []
    for n in range(6):
        factors = rng.sample(FACTORS, rng.randint(1, len(FACTORS)))
        own = {f: {"evidence_level": rng.randint(0, 4)} for f in factors if rng.random() < 0.4}
        tools.append(
            make_tool(
                title=f"Outil {seed}-{n}",
                risk_factors=factors,
                evidence_level=rng.randint(0, 4),
                not_recommended=rng.random() < 0.15,
                factor_evidence=own,
                last_review=date(2025, rng.randint(1, 12), 1) if rng.random() < 0.7 else None,
            )
        )
    users = [make_user() for _ in range(8)]
    # (user, tool, rating, factor), one per user and tool: any order leaves the same ratings
    pairs = rng.sample([(u, t) for u in users for t in tools], 30)
    events = [
        (user, tool, rng.randint(1, 5), rng.choice([None, *tool.risk_factor_slugs]))
        for user, tool in pairs
    ]

    def play(order: list[tuple]) -> dict[int, dict[str, float]]:
        for user, tool, rating, factor in order:
            feedback_service.rate(
                db.session,
                db.session.merge(tool),
                db.session.merge(user),
                rating=rating,
                risk_factor=factor,
            )
        return _scores()

    priors = _priors()
    savepoint = db.session.begin_nested()
    first = play(rng.sample(events, len(events)))
    expected = _from_scratch()
    assert _same(first, expected)
    assert _orders(first) == _orders(expected)
    savepoint.rollback()
    second = play(rng.sample(events, len(events)))
    assert _same(second, first)
    assert _priors() == priors  # no rating moved the prior


def _same(a: dict[int, dict[str, float]], b: dict[int, dict[str, float]]) -> bool:
    return a.keys() == b.keys() and all(
        a[i].keys() == b[i].keys() and all(a[i][k] == pytest.approx(b[i][k]) for k in a[i])
        for i in a
    )


def test_the_prior_moves_only_with_a_recompute_of_every_score(make_tool, make_user):
    tool = make_tool(title="Noté bas")
    other = make_tool(title="Jamais noté")
    for _ in range(5):
        feedback_service.rate(db.session, db.session.merge(tool), make_user(), rating=1)
    db.session.commit()
    prior = current_prior(db.session)
    stale = db.session.get(Tool, other.id).scores["_"]
    assert prior.catalogue_mean != pytest.approx(1.0)  # ratings did not move it
    count = recompute_all_scores(db.session, current_weights(db.session))
    db.session.commit()
    moved = current_prior(db.session)
    assert count >= 2 and moved.id != prior.id and moved.reason == "refresh"
    assert moved.catalogue_mean == pytest.approx(1.0) and moved.rating_count == 5
    assert moved.reference_date == date.today()
    assert db.session.get(Tool, other.id).scores["_"] < stale  # every score on the new prior
    assert _same(_scores(), _from_scratch())


def test_saving_weights_stores_a_prior_with_their_smoothing_strength(app, make_tool, make_user):
    from app.pilotage.weights import save_weights

    make_tool(title="Un outil")
    staff = db.session.merge(make_user("staff"))
    version = save_weights(db.session, {"prior_strength": 12}, "Plus de prudence", staff)
    db.session.commit()
    prior = current_prior(db.session)
    assert prior.prior_strength == 12 and prior.weights_version_id == version.id
    assert prior.reason == "weights"
    assert prior_weights(db.session, prior).prior_strength == 12
    assert _same(_scores(), _from_scratch())
