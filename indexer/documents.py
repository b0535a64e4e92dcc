"""The one document builder: the only place that turns a tool into a search document."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from indexer.settings import score_field

# The instructions are long; searching their start covers what matters and keeps indexing fast.
INSTRUCTIONS_INDEXED_CHARS = 4000


@dataclass
class ToolData:
    """What the indexer needs of a tool, handed over by the application as plain values."""

    id: int
    slug: str
    title: str
    kind: str
    phase: str
    summary: str
    instructions: str
    precautions: str
    protective_factors: str
    risk_factors: list[tuple[str, str, list[str]]]  # (slug, label, synonyms)
    stages: list[str]
    modality: str | None
    sessions: str | None
    minutes_per_session: int | None
    preparation_minutes: int | None
    setting: list[str]
    responsivity: list[str]
    evidence_level: int
    not_recommended: bool
    rating_average: float | None
    rating_count: int
    scores: dict[str, float] = field(default_factory=dict)
    supports_count: int = 0
    last_review: date | None = None
    updated_at: datetime | None = None


def build_document(tool: ToolData, all_factors: Sequence[str]) -> dict:
    """Search document of a published tool, with its content hash (for reconcile).

    `all_factors`: every risk factor slug, so that every document carries every score field.
    """
    global_score = float(tool.scores.get("_", 0.0))
    doc = {
        "id": tool.id,
        "slug": tool.slug,
        "title": tool.title,
        "kind": tool.kind,
        "phase": tool.phase,
        "summary": tool.summary,
        "instructions": tool.instructions[:INSTRUCTIONS_INDEXED_CHARS],
        "precautions": tool.precautions,
        "protective_factors": tool.protective_factors,
        "risk_factors": [slug for slug, _l, _s in tool.risk_factors],
        "risk_factor_labels": [label for _s, label, _syn in tool.risk_factors],
        "risk_factor_terms": [slug for slug, _l, _s in tool.risk_factors],
        "stages": list(tool.stages),
        "modality": tool.modality,
        "sessions": tool.sessions,
        "minutes_per_session": tool.minutes_per_session,
        "preparation_minutes": tool.preparation_minutes,
        "setting": list(tool.setting),
        "responsivity": list(tool.responsivity),
        "evidence_level": tool.evidence_level,
        "not_recommended": tool.not_recommended,
        "rating_average": round(tool.rating_average, 2) if tool.rating_average is not None else None,
        "rating_count": tool.rating_count,
        "supports_count": tool.supports_count,
        "last_review": tool.last_review.isoformat() if tool.last_review else None,
        "score": global_score,
    }
    # Every sortable score field exists on every document (a missing one breaks the sort):
    # a factor the tool does not work on gets the global score, but filters exclude it anyway.
    for slug in all_factors:
        doc[score_field(slug)] = float(tool.scores.get(slug, global_score))
    doc["content_hash"] = content_hash(doc)
    return doc


def content_hash(doc: dict) -> str:
    body = {k: v for k, v in doc.items() if k != "content_hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]
