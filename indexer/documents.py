"""The one document builder: the only place that turns a tool into a search document."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from indexer.settings import SCORE_PREFIX, evidence_field, factor_term, score_field

# The instructions are long; searching their start covers what matters and keeps indexing fast.
INSTRUCTIONS_INDEXED_CHARS = 4000

# A search document as Meilisearch stores it: JSON values by field name.
Document = dict[str, Any]


class BuiltDocument(dict[str, Any]):
    """A document as build_document returns it, with its JSON text (`encoded`) made from the
    text its base hash was computed on: sending it (encode_documents) does not encode its long
    texts a second time, which was a sixth of a rebuild's Python time. Never change one in
    place: a copy (`dict(doc, title=...)`) is a plain dict, and is encoded whole."""

    __slots__ = ("encoded",)

    encoded: str


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
    # the factors with an evidence level of their own (slug -> level); the others have the tool's
    factor_evidence: dict[str, int] = field(default_factory=dict)
    harm_evidence: str = "none"


def build_document(tool: ToolData, all_factors: Sequence[str]) -> Document:
    """Search document of a published tool, with its content hash (for reconcile).

    `all_factors`: every risk factor slug, so that every document carries every score field.
    """
    doc = BuiltDocument(
        {
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
            "risk_factor_terms": [factor_term(slug) for slug, _l, _s in tool.risk_factors],
            "stages": list(tool.stages),
            "modality": tool.modality,
            "sessions": tool.sessions,
            "minutes_per_session": tool.minutes_per_session,
            "preparation_minutes": tool.preparation_minutes,
            "setting": list(tool.setting),
            "responsivity": list(tool.responsivity),
            "evidence_level": tool.evidence_level,
            "not_recommended": tool.not_recommended,
            "harm_evidence": tool.harm_evidence,
            # the first ranking rule: 0 for a non-recommended tool, 1 for the others
            "tier": 0 if tool.not_recommended else 1,
            "rating_average": round(tool.rating_average, 2)
            if tool.rating_average is not None
            else None,
            "rating_count": tool.rating_count,
            "supports_count": tool.supports_count,
            "last_review": tool.last_review.isoformat() if tool.last_review else None,
        }
    )
    doc.update(evidence_fields(tool.evidence_level, tool.factor_evidence, all_factors))
    # the document holds no score and no hash yet: it is the base the hash covers, as is (a
    # rebuild builds every document, and filtering a copy of each cost a third of the hashing)
    base_json = _base_json(doc)
    base_hash = _digest(base_json)
    scores = score_fields(tool.scores, all_factors)
    scores_json = _scores_json(scores)
    content = _scores_hash(base_hash, scores_json)
    doc.update(scores)
    doc["base_hash"] = base_hash
    doc["content_hash"] = content
    # one JSON object from the texts the hashes were computed on (neither part is ever empty)
    doc.encoded = (
        f'{base_json[:-1]}, {scores_json[1:-1]}, "base_hash": "{base_hash}", '
        f'"content_hash": "{content}"}}'
    )
    return doc


def encode_documents(documents: Sequence[Document]) -> bytes:
    """The JSON array Meilisearch is sent, in UTF-8: a built document's own text, else the
    document encoded whole."""
    return (
        "["
        + ", ".join(
            doc.encoded if type(doc) is BuiltDocument else json.dumps(doc, ensure_ascii=False)
            for doc in documents
        )
        + "]"
    ).encode()


def evidence_fields(
    evidence_level: int, factor_evidence: dict[str, int], all_factors: Sequence[str]
) -> dict[str, int]:
    """The evidence level for each risk factor (filtered and counted when a factor is searched,
    and the hit's level then): the factor's own, or the tool's. Every document carries every
    factor's field, as it does every score field."""
    return {
        evidence_field(slug): int(factor_evidence.get(slug, evidence_level)) for slug in all_factors
    }


def score_fields(scores: dict[str, float], all_factors: Sequence[str]) -> dict[str, float]:
    """The ranking fields of a document: the global score and one per risk factor.

    Every sortable score field exists on every document (a missing one breaks the sort): a
    factor the tool does not work on gets the global score, but filters exclude it anyway.
    """
    global_score = float(scores.get("_", 0.0))
    fields = {"score": global_score}
    for slug in all_factors:
        fields[score_field(slug)] = float(scores.get(slug, global_score))
    return fields


def score_update(
    tool_id: int, base_hash: str, scores: dict[str, float], all_factors: Sequence[str]
) -> Document:
    """A partial document for a change of scores only (new ranking weights): the score fields
    and the content hash the full document would have, given the indexed rest (`base_hash`)."""
    doc: Document = {"id": tool_id, **score_fields(scores, all_factors)}
    doc["content_hash"] = _combined_hash(base_hash, doc)
    return doc


def content_hash(doc: Document) -> str:
    """The hash of a whole document, as stored in it (reconcile compares the index's with it)."""
    return _combined_hash(_base_hash(doc), doc)


def _is_score(name: str) -> bool:
    return name == "score" or name.startswith(SCORE_PREFIX)


def _base_hash(doc: Document) -> str:
    """Hash of every field but the scores and the hashes."""
    return _digest(
        _base_json(
            {
                k: v
                for k, v in doc.items()
                if k not in ("content_hash", "base_hash") and not _is_score(k)
            }
        )
    )


def _base_json(body: Document) -> str:
    """The text the base hash is computed on: fields holding no score and no hash."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _combined_hash(base_hash: str, doc: Document) -> str:
    """The content hash: the rest's hash (`base_hash`) combined with the score fields, so a
    scores-only update can compute it without the rest of the document."""
    return _scores_hash(base_hash, _scores_json({k: v for k, v in doc.items() if _is_score(k)}))


def _scores_json(scores: dict[str, float]) -> str:
    return json.dumps(scores, sort_keys=True)


def _scores_hash(base_hash: str, scores_json: str) -> str:
    """The hash of `json.dumps([base_hash, scores], sort_keys=True)`, written from the scores'
    JSON (a hexadecimal hash needs no escaping), which the sent document reuses."""
    return _digest(f'["{base_hash}", {scores_json}]')
