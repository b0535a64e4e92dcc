"""Ranking weights as support staff set them: validation, versions, rollback and preview.

Saving (or rolling back) appends a version row, then recomputes every tool's stored scores in
batches against one new prior (app.catalogue.scores: the catalogue mean, the smoothing strengths,
today), stored with them. The tools whose scores were set are marked for the index and reach it
once the caller commits, in one push of scores only. The preview writes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.catalogue.scores import (
    current_prior,
    current_weights,
    factor_levels,
    hold_prior_exclusively,
    new_prior,
    prior_weights,
    rating_stats,
)
from app.core.identifying import identifying_refusal
from app.core.refusals import Refused
from app.core.vocabulary import PUBLISHED
from app.index_sync.hooks import SCORES_ONLY_KEY, mark
from app.models import RankingWeightsVersion, RiskFactor, Tool, User, tool_risk_factors
from ranking import (
    DEFAULT_WEIGHTS,
    WEIGHT_BOUNDS,
    RatingStats,
    Weights,
    score_tool,
    smoothed_rating,
    tool_scores,
)
from ranking.score import ScoreBreakdown, combine
from ranking.signals import usage_signal

NOTE_MAX = 1000
BATCH_SIZE = 1000
# Serialises saves: two staff saving at once must not leave scores from the older version.
_LOCK_KEY = 0x524F4D494E  # "ROMIN"

SIGNALS = ("rating", "evidence", "usage", "freshness")


@dataclass(frozen=True)
class WeightHelp:
    label: str
    explanation: str
    bounds_text: str


def _bounds(name: str) -> tuple[float, float]:
    return WEIGHT_BOUNDS[name]


def _fmt(x: float) -> str:
    return f"{x:g}".replace(".", ",")


HELP: dict[str, WeightHelp] = {
    "rating": WeightHelp(
        "Poids des avis des agents",
        "Plus ce poids est élevé, plus la note moyenne donnée par les agents fait monter un outil. "
        "La note est lissée : un outil qui n'a que quelques avis est ramené vers la moyenne du "
        "catalogue, pour qu'un seul avis à 5 étoiles ne passe pas devant trente avis à 4,8.",
        f"Entre {_fmt(_bounds('rating')[0])} (les avis ne comptent pas) et "
        f"{_fmt(_bounds('rating')[1])}.",
    ),
    "evidence": WeightHelp(
        "Poids du niveau de preuve",
        "Plus ce poids est élevé, plus un outil dont l'efficacité est démontrée par la recherche "
        "(niveau de preuve élevé) passe devant les autres.",
        f"Entre {_fmt(_bounds('evidence')[0])} (le niveau de preuve ne compte pas) et "
        f"{_fmt(_bounds('evidence')[1])}.",
    ),
    "usage": WeightHelp(
        "Poids de l'expérience partagée",
        "Fait monter les outils qui ont reçu beaucoup d'avis, quelle que soit la note : un outil "
        "que de nombreux agents ont utilisé et commenté est mieux connu. L'effet plafonne à 50 avis.",
        f"Entre {_fmt(_bounds('usage')[0])} (le nombre d'avis ne compte pas) et "
        f"{_fmt(_bounds('usage')[1])}.",
    ),
    "freshness": WeightHelp(
        "Poids de la fraîcheur",
        "Fait monter les fiches relues récemment : l'effet est maximal pour une fiche relue "
        "aujourd'hui et disparaît après cinq ans sans relecture.",
        f"Entre {_fmt(_bounds('freshness')[0])} (la date de relecture ne compte pas) et "
        f"{_fmt(_bounds('freshness')[1])}.",
    ),
    "prior_strength": WeightHelp(
        "Prudence envers les notes peu nombreuses",
        "Nombre d'« avis fictifs à la moyenne du catalogue » ajoutés à chaque outil avant de "
        "calculer sa note. Plus il est grand, plus il faut d'avis réels pour qu'une note très "
        "haute ou très basse se fasse sentir.",
        f"Entre {_fmt(_bounds('prior_strength')[0])} et {_fmt(_bounds('prior_strength')[1])} "
        "avis fictifs.",
    ),
    "factor_prior_strength": WeightHelp(
        "Prudence envers les notes par facteur de risque",
        "Même principe pour le classement d'un facteur de risque : les avis donnés pour ce facteur "
        "sont ramenés vers la note générale de l'outil. Plus il est grand, plus il faut d'avis "
        "pour ce facteur pour que la note du facteur s'écarte de la note générale.",
        f"Entre {_fmt(_bounds('factor_prior_strength')[0])} et "
        f"{_fmt(_bounds('factor_prior_strength')[1])} avis fictifs.",
    ),
}

SIGNAL_LABELS = {
    "rating": "Avis",
    "evidence": "Preuve",
    "usage": "Expérience",
    "freshness": "Fraîcheur",
}
SHORT_LABELS = {
    **SIGNAL_LABELS,
    "prior_strength": "Prudence (notes)",
    "factor_prior_strength": "Prudence (par facteur)",
}

# -- validation ------------------------------------------------------------------------------


class WeightsError(Refused):
    """Invalid weights: messages per field ("_schema" for the whole set), in French."""


def parse_number(raw: object) -> float | None:
    """A number typed in a form or sent as JSON ("0,5" accepted); None if it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def validate_values(values: object, base: Weights) -> tuple[Weights, dict[str, list[str]]]:
    """Weights from `values` (missing keys keep `base`), with French messages per field."""
    errors: dict[str, list[str]] = {}
    if not isinstance(values, dict):
        return base, {"_schema": ["Les poids doivent être donnés sous la forme nom → valeur."]}
    merged = base.as_dict()
    for key, raw in values.items():
        if key not in WEIGHT_BOUNDS:
            errors[str(key)] = [f"Poids inconnu. Poids possibles : {', '.join(WEIGHT_BOUNDS)}."]
            continue
        low, high = WEIGHT_BOUNDS[key]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors[key] = [f"Saisissez une valeur entre {_fmt(low)} et {_fmt(high)}."]
            continue
        number = parse_number(raw)
        if number is None:
            errors[key] = [
                f"Saisissez un nombre entre {_fmt(low)} et {_fmt(high)} (par exemple 0,5)."
            ]
        elif not low <= number <= high:
            errors[key] = [
                (
                    f"La valeur doit être comprise entre {_fmt(low)} et {_fmt(high)} "
                    f"(vous avez saisi {_fmt(number)})."
                )
            ]
        else:
            merged[key] = number
    if not errors and not any(merged[s] > 0 for s in SIGNALS):
        errors["_schema"] = [
            (
                "Au moins un des quatre poids (avis, preuve, expérience, fraîcheur) "
                "doit être supérieur à 0, sinon tous les outils seraient à égalité."
            )
        ]
    return Weights(**merged), errors


def _clean_note(note: object) -> tuple[str, dict[str, list[str]]]:
    note = note.strip() if isinstance(note, str) else ""
    if not note:
        return "", {"note": ["Expliquez en quelques mots la raison de ce changement."]}
    if len(note) > NOTE_MAX:
        return note, {"note": [f"La note dépasse {NOTE_MAX} caractères."]}
    identifying = identifying_refusal(note, "La raison du changement")
    if identifying:
        return note, {"note": [identifying]}
    return note, {}


# -- versions --------------------------------------------------------------------------------


def latest_version(session: Session) -> RankingWeightsVersion | None:
    return session.scalars(
        select(RankingWeightsVersion).order_by(RankingWeightsVersion.id.desc()).limit(1)
    ).first()


def save_weights(
    session: Session,
    values: object,  # as typed in a form or sent as JSON: checked here
    note: object,
    user: User | None,
    *,
    rolled_back_from: int | None = None,
) -> RankingWeightsVersion:
    """New version of the weights, then every tool's scores recomputed. Raises WeightsError.

    Flushes and never commits: the caller commits, and the index follows after commit.
    """
    note, note_errors = _clean_note(note)
    weights, errors = validate_values(values, current_weights(session))
    errors.update(note_errors)
    if errors:
        raise WeightsError(errors)
    session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
    if latest_version(session) is None:
        # Keep what was in force (the defaults in code) as a version, so it can be restored.
        session.add(
            RankingWeightsVersion(
                values=DEFAULT_WEIGHTS.as_dict(),
                created_by_id=None,
                note="Valeurs par défaut de ROMIN, en vigueur avant la première modification.",
            )
        )
        session.flush()
    version = RankingWeightsVersion(
        values=weights.as_dict(),
        note=note,
        created_by_id=user.id if user is not None else None,
        rolled_back_from=rolled_back_from,
    )
    session.add(version)
    session.flush()
    recompute_all_scores(session, weights, reason="weights")
    return version


def rollback_to(
    session: Session, version_id: int, note: str, user: User | None
) -> RankingWeightsVersion:
    """A new version with the values of an older one (history is never rewritten)."""
    old = session.get(RankingWeightsVersion, version_id)
    if old is None:
        raise LookupError(version_id)
    values = Weights.from_dict(old.values).as_dict()
    return save_weights(session, values, note, user, rolled_back_from=old.id)


def recompute_all_scores(
    session: Session,
    weights: Weights,
    batch_size: int | None = None,
    *,
    reason: str = "refresh",
    today: date | None = None,
) -> int:
    """Every tool's stored scores, in batches by id, against one new prior. Returns the count.

    The prior moves here only: the catalogue mean now, the smoothing strengths of `weights` and
    `today` are stored as a new `score_priors` row (app.catalogue.scores.new_prior), in this
    transaction, after waiting for every transaction that scored a tool against the old one
    (an exclusive lock, which new ratings wait for until this one commits).

    Set-based, as a save must reach the index within seconds for 10,000 tools: per batch, the
    scoring columns and the factors' slugs (one query), the feedback statistics and the
    factors' own evidence levels (one query each), then one UPDATE of every score. The tools are
    marked for the index by hand (no ORM flush sees them), as a change of scores only
    (app.index_sync.hooks.sync_scores pushes partial documents), in one push after the commit.
    """
    batch_size = batch_size or BATCH_SIZE
    hold_prior_exclusively(session)
    session.flush()
    prior = new_prior(session, weights, reason=reason, today=today)
    mean, reference_date = prior.catalogue_mean, prior.reference_date
    slugs = (
        select(func.array_agg(aggregate_order_by(RiskFactor.slug, RiskFactor.position)))
        .select_from(tool_risk_factors)
        .join(RiskFactor, RiskFactor.id == tool_risk_factors.c.risk_factor_id)
        .where(tool_risk_factors.c.tool_id == Tool.id)
        .scalar_subquery()
    )
    query = (
        select(
            Tool.id,
            Tool.evidence_level,
            Tool.not_recommended,
            Tool.last_review,
            slugs.label("factors"),
        )
        .order_by(Tool.id)
        .limit(batch_size)
    )
    last_id, count = 0, 0
    while True:
        rows = session.execute(query.where(Tool.id > last_id)).all()
        if not rows:
            break
        last_id = rows[-1].id
        stats = rating_stats(session, [r.id for r in rows])
        levels = factor_levels(session, [r.id for r in rows])
        scores = [
            json.dumps(
                tool_scores(
                    overall=stats[r.id][0],
                    per_factor=stats[r.id][1],
                    factors=r.factors or [],
                    evidence_level=r.evidence_level,
                    not_recommended=r.not_recommended,
                    weights=weights,
                    prior_mean=mean,
                    last_review=r.last_review,
                    today=reference_date,
                    factor_evidence=levels.get(r.id),
                )
            )
            for r in rows
        ]
        ids = [r.id for r in rows]
        session.execute(
            text(
                "UPDATE tools SET scores = new.scores FROM unnest(CAST(:ids AS integer[]),"
                " CAST(:scores AS jsonb[])) AS new(id, scores) WHERE tools.id = new.id"
            ),
            {"ids": ids, "scores": scores},
        )
        mark(session, ids)
        count += len(rows)
    for obj in list(session.identity_map.values()):  # loaded tools must not keep old scores
        if isinstance(obj, Tool):
            session.expire(obj, ["scores"])
    session.info[SCORES_ONLY_KEY] = True
    return count


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    values: dict[str, float]
    note: str
    created_at: datetime
    author: str | None
    rolled_back_from: int | None
    is_current: bool


def history(session: Session) -> list[HistoryEntry]:
    """Every version, newest first, with its author's name (one query)."""
    rows = session.execute(
        select(RankingWeightsVersion, User.display_name, User.email)
        .outerjoin(User, User.id == RankingWeightsVersion.created_by_id)
        .order_by(RankingWeightsVersion.id.desc())
    ).all()
    return [
        HistoryEntry(
            id=v.id,
            values=Weights.from_dict(v.values).as_dict(),
            note=v.note,
            created_at=v.created_at,
            author=(name or email) if (name or email) else None,
            rolled_back_from=v.rolled_back_from,
            is_current=(i == 0),
        )
        for i, (v, name, email) in enumerate(rows)
    ]


# -- preview ---------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    rank: int
    tool_id: int
    slug: str
    title: str
    score: float
    breakdown: ScoreBreakdown
    other_rank: int | None = None  # its rank in the other ordering
    move: str = "same"  # up | down | new | same (list "after"); up | down | out | same ("before")

    @property
    def shift(self) -> int:
        return abs(self.other_rank - self.rank) if self.other_rank else 0

    @property
    def within_tier(self) -> float:
        """The score within its tier, between 0 and 1: the sum of the contributions. The stored
        score adds the tier (1 for a recommended tool, 0 for a non-recommended one), so that
        every recommended tool comes first."""
        return round(self.score - self.breakdown.tier, 6)


@dataclass
class Preview:
    factor: RiskFactor
    current: Weights
    proposed: Weights
    before: list[PreviewRow]
    after: list[PreviewRow]
    total: int


def factor_breakdown(
    *,
    overall: RatingStats,
    factor_stats: RatingStats,
    evidence_level: int,
    not_recommended: bool,
    weights: Weights,
    prior_mean: float,
    last_review: date | None,
    today: date,
) -> ScoreBreakdown:
    """The per-factor score of `ranking.tool_scores`, with its breakdown by signal.

    Same steps as `tool_scores`: the factor's feedback smoothed toward the tool's own smoothed
    rating, usage from all the tool's ratings (a test checks it against tool_scores).
    """
    tool_mean = smoothed_rating(overall, prior_mean, weights.prior_strength)
    factor_weights = Weights(
        **{**weights.as_dict(), "prior_strength": weights.factor_prior_strength}
    )
    partial = score_tool(
        ratings=factor_stats,
        evidence_level=evidence_level,
        not_recommended=not_recommended,
        weights=factor_weights,
        prior_mean=tool_mean,
        last_review=last_review,
        today=today,
    )
    signals = {**partial.signals, "usage": usage_signal(overall.count)}
    return combine(signals, not_recommended, weights)


def _ranked(
    rows: Sequence[tuple[int, str, str, int, bool, date | None]],
    weights: Weights,
    factor: str,
    stats: dict[int, tuple[RatingStats, dict[str, RatingStats]]],
    mean: float,
    today: date,
) -> list[PreviewRow]:
    scored = []
    for tool_id, slug, title, evidence, not_rec, last_review in rows:
        overall, per_factor = stats[tool_id]
        breakdown = factor_breakdown(
            overall=overall,
            factor_stats=per_factor.get(factor, RatingStats()),
            evidence_level=evidence,
            not_recommended=not_rec,
            weights=weights,
            prior_mean=mean,
            last_review=last_review,
            today=today,
        )
        scored.append((tool_id, slug, title, breakdown))
    scored.sort(key=lambda item: (-item[3].score, item[0]))  # as the index sorts: score, then id
    return [
        PreviewRow(rank=i + 1, tool_id=t, slug=s, title=ti, score=b.score, breakdown=b)
        for i, (t, s, ti, b) in enumerate(scored)
    ]


def preview(session: Session, factor_slug: str, new_weights: Weights, limit: int = 10) -> Preview:
    """Top `limit` for a risk factor with the current weights and with `new_weights`. No write.

    Over every published tool of the factor: one query for the tools, one for their feedback.
    Both orders use the stored prior's mean and reference date (so "before" is the order the
    search serves, and the preview shows the effect of the weights alone), and the factor's own
    evidence level where the tool has one.
    """
    factor = session.scalar(select(RiskFactor).where(RiskFactor.slug == factor_slug))
    if factor is None:
        raise LookupError(factor_slug)
    rows = (
        session.execute(
            select(
                Tool.id,
                Tool.slug,
                Tool.title,
                func.coalesce(tool_risk_factors.c.evidence_level, Tool.evidence_level),
                Tool.not_recommended,
                Tool.last_review,
            )
            .join(tool_risk_factors, tool_risk_factors.c.tool_id == Tool.id)
            .where(tool_risk_factors.c.risk_factor_id == factor.id, Tool.status == PUBLISHED)
        )
        .tuples()
        .all()
    )
    stats = rating_stats(session, [r[0] for r in rows])
    prior = current_prior(session)
    mean, today = prior.catalogue_mean, prior.reference_date
    current = prior_weights(session, prior)
    before = _ranked(rows, current, factor.slug, stats, mean, today)
    after = _ranked(rows, new_weights, factor.slug, stats, mean, today)
    rank_before = {r.tool_id: r.rank for r in before}
    rank_after = {r.tool_id: r.rank for r in after}
    top_before, top_after = before[:limit], after[:limit]
    for row in top_after:
        row.other_rank = rank_before[row.tool_id]
        row.move = (
            "new"
            if row.other_rank > limit
            else "up"
            if row.other_rank > row.rank
            else "down"
            if row.other_rank < row.rank
            else "same"
        )
    for row in top_before:
        row.other_rank = rank_after[row.tool_id]
        row.move = (
            "out"
            if row.other_rank > limit
            else "up"
            if row.other_rank < row.rank
            else "down"
            if row.other_rank > row.rank
            else "same"
        )
    return Preview(factor, current, new_weights, top_before, top_after, len(rows))
