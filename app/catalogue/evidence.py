"""Evidence per risk factor of a tool, and the harm shown by a non-recommended one.

A tool's evidence is often about one of its factors only: motivational interviewing is
demonstrated for addictions, merely grounded in a model for employment. Each link between a tool
and a factor may carry its own evidence level and references (`tool_risk_factors`, migration
0011); without them the factor has the tool's. The factor's level is the one its ranking uses
(app.catalogue.scores), its search documents carry and its sheet shows.

At the boundaries (API, back office, export, demo catalogue) the factors with evidence of their
own are a mapping, `factor_evidence`: factor slug -> {"evidence_level": 0 to 4, or None for the
tool's level; "references": a list, empty for the tool's references}.

`harm_evidence` says how strong the evidence against a *non recommandé* tool is (none,
suspected, shown): a recommended tool has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core import vocabulary as v
from app.models import RiskFactor, Tool, tool_risk_factors

FactorEvidence = Mapping[str, Mapping[str, Any]]

HARM_NEEDS_NOT_RECOMMENDED = (
    "Un effet néfaste ne s'indique que pour un outil non recommandé : cochez « Outil non "
    f"recommandé », ou choisissez « {v.label(v.HARM_LEVELS, v.HARM_NONE)} »."
)


def evidence_problems(
    risk_factors: Sequence[str] | None,
    factor_evidence: FactorEvidence | None,
    not_recommended: bool | None,
    harm_evidence: str | None,
) -> dict[str, list[str]]:
    """French messages per field; None for a field not known (a partial update)."""
    problems: dict[str, list[str]] = {}
    if factor_evidence and risk_factors is not None:
        strays = [slug for slug in factor_evidence if slug not in risk_factors]
        if strays:
            problems["factor_evidence"] = [
                "Niveau de preuve donné pour un facteur de risque que l'outil ne travaille pas "
                f"({', '.join(strays)}) : cochez ce facteur, ou retirez son niveau de preuve."
            ]
    if harm_evidence not in (None, v.HARM_NONE) and not_recommended is False:
        problems["harm_evidence"] = [HARM_NEEDS_NOT_RECOMMENDED]
    return problems


def clean(factor_evidence: FactorEvidence) -> dict[str, dict[str, Any]]:
    """The factors that have evidence of their own (a level or references), in a fixed shape."""
    cleaned = {}
    for slug, entry in factor_evidence.items():
        level = entry.get("evidence_level")
        references = [r.strip() for r in entry.get("references") or [] if r and r.strip()]
        if level is not None or references:
            cleaned[slug] = {"evidence_level": level, "references": references}
    return cleaned


def set_factor_evidence(session: Session, tool: Tool, factor_evidence: FactorEvidence) -> None:
    """Store the evidence of each of the tool's factors (the links must be flushed): the
    factors named get theirs, the others the tool's (NULL)."""
    wanted = clean(factor_evidence)
    factor_ids = {f.slug: f.id for f in tool.risk_factors}
    for slug, factor_id in factor_ids.items():
        entry = wanted.get(slug, {})
        session.execute(
            update(tool_risk_factors)
            .where(
                tool_risk_factors.c.tool_id == tool.id,
                tool_risk_factors.c.risk_factor_id == factor_id,
            )
            .values(
                evidence_level=entry.get("evidence_level"),
                references=entry.get("references") or None,
            )
        )
    session.expire(tool, ["factor_links"])


def levels_by_factor(tool: Tool) -> list[tuple[RiskFactor, int, list[str]]]:
    """Each of the tool's factors with its evidence level and references (its own or the
    tool's), in the factors' order: what the sheet shows."""
    return [
        (factor, tool.evidence_for(factor.slug), tool.references_for(factor.slug))
        for factor in sorted(tool.risk_factors, key=lambda f: f.position)
    ]
