"""Reference data in the database: the risk factors, created from app.core.vocabulary if missing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.vocabulary import RISK_FACTORS
from app.models import RiskFactor


def all_factors(session: Session) -> list[RiskFactor]:
    """Every risk factor, in the order officers see them."""
    return list(session.scalars(select(RiskFactor).order_by(RiskFactor.position)))


def ensure_risk_factors(session: Session) -> list[RiskFactor]:
    """Create missing factors; never overwrite what curators edited."""
    existing = {f.slug: f for f in session.scalars(select(RiskFactor))}
    for position, seed in enumerate(RISK_FACTORS):
        if seed.slug not in existing:
            factor = RiskFactor(
                slug=seed.slug,
                label=seed.label,
                synonyms=list(seed.synonyms),
                description=seed.description,
                position=position,
            )
            session.add(factor)
            existing[seed.slug] = factor
    session.flush()
    return sorted(existing.values(), key=lambda f: f.position)
