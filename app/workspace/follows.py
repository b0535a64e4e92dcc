"""Risk factors an officer follows, and whether they want the weekly e-mail.

Following a factor makes its new and updated published tools news to the officer (the
« Nouveautés » page, the header's count, the weekly e-mail they may ask for)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.catalogue.risk_factors import all_factors
from app.models import FactorFollow, RiskFactor, User
from app.models.base import utcnow
from app.workspace.favourites import WorkspaceRefused
from app.workspace.news import alerts_of, followed_factor_ids

FACTORS_FIELD = "facteurs"


def factor_by_slug(session: Session, slug: str) -> RiskFactor | None:
    return session.scalar(select(RiskFactor).where(RiskFactor.slug == slug))


def followed_slugs(session: Session, user_id: int) -> set[str]:
    return set(
        session.scalars(
            select(RiskFactor.slug)
            .join(FactorFollow, FactorFollow.risk_factor_id == RiskFactor.id)
            .where(FactorFollow.user_id == user_id)
        )
    )


def follow(session: Session, user: User, factor: RiskFactor) -> None:
    alerts_of(session, user.id)  # its news count from now on
    session.execute(
        insert(FactorFollow)
        .values(user_id=user.id, risk_factor_id=factor.id, created_at=utcnow())
        .on_conflict_do_nothing()
    )


def unfollow(session: Session, user: User, factor: RiskFactor) -> None:
    session.execute(
        delete(FactorFollow).where(
            FactorFollow.user_id == user.id, FactorFollow.risk_factor_id == factor.id
        )
    )


def set_follows(session: Session, user: User, slugs: Iterable[str], digest: bool) -> None:
    """The officer's choice from the « Nouveautés » form: exactly these factors, and the weekly
    e-mail or not. An unknown factor is refused (a form from an older page)."""
    factors = {f.slug: f for f in all_factors(session)}
    wanted = set(slugs)
    unknown = sorted(wanted - set(factors))
    if unknown:
        raise WorkspaceRefused(
            f"Facteur de risque inconnu : {', '.join(unknown)}. Rechargez la page.", FACTORS_FIELD
        )
    current = followed_factor_ids(session, user.id)
    for slug, factor in factors.items():
        if slug in wanted and factor.id not in current:
            follow(session, user, factor)
        elif slug not in wanted and factor.id in current:
            unfollow(session, user, factor)
    alerts_of(session, user.id).digest_enabled = digest
    session.flush()


def unsubscribe(session: Session, user_id: int) -> bool:
    """No more weekly e-mail (the link in the e-mail); False when it was already off."""
    alerts = alerts_of(session, user_id)
    was_on = alerts.digest_enabled
    alerts.digest_enabled = False
    session.flush()
    return was_on
