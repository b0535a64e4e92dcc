"""Reading the catalogue for the index: the settings and the search documents of published tools.

Every document is built by the one document builder (`indexer.documents.build_document`) from
plain rows read here in batches, so a rebuild, a push after commit and reconcile agree."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from app.catalogue.risk_factors import all_factors
from app.catalogue.scores import rating_stats
from app.core.vocabulary import PUBLISHED
from app.db import among
from app.models import RiskFactor, Support, Tool, tool_risk_factors
from indexer import sync
from indexer.documents import Document, ToolData, build_document
from indexer.settings import index_settings


def settings_for(session: Session) -> dict[str, Any]:
    return index_settings([(f.slug, f.label, list(f.synonyms)) for f in all_factors(session)])


# The first batch of the whole catalogue (see published_batches).
FIRST_BATCH_SIZE = 200

# Columns a search document is built from. Plain rows, not ORM objects: a rebuild reads every
# tool, and loading objects with their relationships cost most of the time Meilisearch spent
# waiting for the next batch (bench/profile_rebuild.py).
_DOC_COLUMNS = (
    "id",
    "slug",
    "title",
    "kind",
    "phase",
    "summary",
    "instructions",
    "precautions",
    "protective_factors",
    "stages",
    "modality",
    "sessions",
    "minutes_per_session",
    "preparation_minutes",
    "setting",
    "responsivity",
    "evidence_level",
    "not_recommended",
    "harm_evidence",
    "scores",
    "last_review",
    "updated_at",
)


def _documents(
    session: Session,
    rows: Sequence[Row[Any]],
    factors: dict[int, RiskFactor],
    factor_slugs: list[str],
) -> list[Document]:
    """Documents for a batch of tool rows: links, support counts and ratings in one query each."""
    ids = [r.id for r in rows]
    linked: dict[int, list[RiskFactor]] = {}
    levels: dict[int, dict[str, int]] = {}  # the factors' own evidence levels
    for tool_id, factor_id, level in session.execute(
        select(
            tool_risk_factors.c.tool_id,
            tool_risk_factors.c.risk_factor_id,
            tool_risk_factors.c.evidence_level,
        ).where(among(tool_risk_factors.c.tool_id, ids))
    ):
        linked.setdefault(tool_id, []).append(factors[factor_id])
        if level is not None:
            levels.setdefault(tool_id, {})[factors[factor_id].slug] = level
    supports = dict(
        session.execute(
            select(Support.tool_id, func.count())
            .where(among(Support.tool_id, ids))
            .group_by(Support.tool_id)
        )
        .tuples()
        .all()
    )
    stats = rating_stats(session, ids)
    batch = []
    for r in rows:
        overall, _per_factor = stats[r.id]
        tool_factors = sorted(linked.get(r.id, []), key=lambda f: f.position)
        batch.append(
            build_document(
                ToolData(
                    id=r.id,
                    slug=r.slug,
                    title=r.title,
                    kind=r.kind,
                    phase=r.phase,
                    summary=r.summary,
                    instructions=r.instructions,
                    precautions=r.precautions,
                    protective_factors=r.protective_factors,
                    risk_factors=[(f.slug, f.label, list(f.synonyms)) for f in tool_factors],
                    stages=list(r.stages),
                    modality=r.modality,
                    sessions=r.sessions,
                    minutes_per_session=r.minutes_per_session,
                    preparation_minutes=r.preparation_minutes,
                    setting=list(r.setting),
                    responsivity=list(r.responsivity),
                    evidence_level=r.evidence_level,
                    not_recommended=r.not_recommended,
                    harm_evidence=r.harm_evidence,
                    factor_evidence=levels.get(r.id, {}),
                    rating_average=overall.average,
                    rating_count=overall.count,
                    scores=dict(r.scores or {}),
                    supports_count=supports.get(r.id, 0),
                    last_review=r.last_review,
                    updated_at=r.updated_at,
                ),
                factor_slugs,
            )
        )
    return batch


def published_batches(
    session: Session, ids: Iterable[int] | None = None, size: int = sync.BATCH_SIZE
) -> Iterator[list[Document]]:
    """Documents of the published tools (all of them, or those among `ids`), in batches.

    Of all of them, the first batch is small: a rebuild sends each batch as soon as it is
    built, and Meilisearch starts indexing with the first one."""
    factor_list = all_factors(session)
    factors = {f.id: f for f in factor_list}
    factor_slugs = [f.slug for f in factor_list]
    # the table's columns (Core): rows without the ORM's per-row work
    table = Tool.__table__.c
    columns = [table[name] for name in _DOC_COLUMNS]
    published = select(*columns).where(table.status == PUBLISHED).order_by(table.id)
    if ids is not None:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            rows = session.execute(published.where(among(table.id, chunk))).all()
            if rows:
                yield _documents(session, rows, factors, factor_slugs)
        return
    last_id, limit = 0, min(size, FIRST_BATCH_SIZE)
    while True:  # keyset pagination by id
        rows = session.execute(published.where(table.id > last_id).limit(limit)).all()
        limit = size
        if not rows:
            return
        last_id = rows[-1].id
        yield _documents(session, rows, factors, factor_slugs)


def published_count(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(Tool).where(Tool.status == PUBLISHED)) or 0
    )
