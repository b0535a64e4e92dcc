"""Creating and editing tools. Validated data in (marshmallow at the boundary), rows out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue import revisions, workflow
from app.catalogue.evidence import evidence_problems, set_factor_evidence
from app.catalogue.fields import EDITABLE_FIELDS, sheet_size_problem
from app.catalogue.phases import sheet_problems
from app.catalogue.scores import hold_prior, refresh_scores
from app.core.refusals import WHOLE, Refused
from app.models import RiskFactor, Tool, ToolRevision, User
from app.models.base import utcnow


class CatalogueError(Refused):
    """A change the catalogue refuses, with messages per field (in French)."""


def slugify(text: str, max_length: int = 100) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_length].strip("-") or "outil"


def unique_slug(session: Session, base: str, exclude_id: int | None = None) -> str:
    slug, n = base, 2
    while True:
        existing = session.scalar(select(Tool.id).where(Tool.slug == slug))
        if existing is None or existing == exclude_id:
            return slug
        slug, n = f"{base}-{n}", n + 1


def factors_by_slug(session: Session, slugs: list[str]) -> list[RiskFactor]:
    found = {
        f.slug: f for f in session.scalars(select(RiskFactor).where(RiskFactor.slug.in_(slugs)))
    }
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise CatalogueError(
            {"risk_factors": [f"Facteur de risque inconnu : {', '.join(unknown)}."]}
        )
    return [found[s] for s in dict.fromkeys(slugs)]


def get_tool(session: Session, slug: str) -> Tool | None:
    return session.scalar(select(Tool).where(Tool.slug == slug))


def save_tool(
    session: Session,
    data: Mapping[str, Any],
    tool: Tool | None = None,
    *,
    author: User | None = None,
    source: str = "system",
    restored_from: int | None = None,
) -> Tool:
    """Create (tool=None) or update a tool from validated data; recompute its scores.

    Every save goes through here (pages, API, imports, restoring a revision), so this is where
    a revision is recorded (who, which fields) and a status change becomes a workflow step.
    """
    hold_prior(session)  # before any row of the tool is locked (see app.catalogue.scores)
    creating = tool is None
    old_status = None if tool is None else tool.status
    if creating or any(name in data for name in ("phase", "risk_factors", "stages")):
        _check_phase(data, tool)
    _check_evidence(data, tool)
    _check_size(data, tool)
    if tool is None:
        tool = Tool()
        wanted = data.get("slug") or slugify(data["title"])
        if data.get("slug") and get_tool(session, wanted) is not None:
            raise CatalogueError({"slug": ["Cet identifiant est déjà utilisé par un autre outil."]})
        tool.slug = unique_slug(session, wanted)
    elif "slug" in data and data["slug"] != tool.slug:
        if get_tool(session, data["slug"]) is not None:
            raise CatalogueError({"slug": ["Cet identifiant est déjà utilisé par un autre outil."]})
        tool.slug = data["slug"]
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(tool, name, data[name])
    if "risk_factors" in data:
        tool.risk_factors = factors_by_slug(session, data["risk_factors"])
    if creating:
        session.add(tool)
    tool.updated_at = utcnow()
    if "factor_evidence" in data:
        session.flush()  # the links first: the evidence is stored on them
        set_factor_evidence(session, tool, data["factor_evidence"])
    elif "risk_factors" in data:
        session.flush()
        session.expire(tool, ["factor_links"])  # a factor removed took its evidence with it
    refresh_scores(session, [tool])
    session.flush()
    if creating or tool.status != old_status:
        workflow.record_step(session, tool, old_status, tool.status, author, source=source)
    revisions.record(session, tool, author, source=source, restored_from=restored_from)
    return tool


def _check_evidence(data: Mapping[str, Any], tool: Tool | None) -> None:
    """The evidence per factor names only the tool's factors, and harm is said only of a
    non-recommended tool: checked on the sheet as it will be saved, before anything changes."""
    # factors removed take their evidence with them: only the evidence sent is checked then
    kept = tool.factor_evidence if tool is not None and "risk_factors" not in data else {}
    problems = evidence_problems(
        data.get("risk_factors", tool.risk_factor_slugs if tool is not None else []),
        data.get("factor_evidence", kept),
        data.get("not_recommended", tool.not_recommended if tool is not None else False),
        data.get("harm_evidence", tool.harm_evidence if tool is not None else None),
    )
    if problems:
        raise CatalogueError(problems)


def _check_size(data: Mapping[str, Any], tool: Tool | None) -> None:
    """The whole sheet as it will be saved stays within its size limit: a partial update sends
    some fields only, so the schema alone cannot add them up."""
    sheet: dict[str, Any] = {}
    if tool is not None:
        sheet = {name: getattr(tool, name) for name in EDITABLE_FIELDS}
        sheet["risk_factors"] = tool.risk_factor_slugs
        # factors changed take their evidence with them: only the evidence sent is kept then
        sheet["factor_evidence"] = tool.factor_evidence if "risk_factors" not in data else {}
    problem = sheet_size_problem({**sheet, **data})
    if problem:
        raise CatalogueError({WHOLE: [problem]})


def _check_phase(data: Mapping[str, Any], tool: Tool | None) -> None:
    """The sheet as it will be saved (what `data` changes, the rest as it is): a tool for the
    officer's own work has no risk factor and no stage, any other at least one factor. Checked
    whenever a save touches the phase, the factors or the stages, before anything changes."""
    phase = data.get("phase") or (tool.phase if tool is not None else None) or "intervention"
    factors = data.get("risk_factors", tool.risk_factor_slugs if tool is not None else [])
    stages = data.get("stages", tool.stages if tool is not None else [])
    problems = sheet_problems(phase, list(factors or []), list(stages or []))
    if problems:
        raise CatalogueError(problems)


def restore_revision(
    session: Session, tool: Tool, revision: ToolRevision, author: User
) -> ToolRevision:
    """Bring the sheet back to this revision: a new revision, saved like any edit (so it reaches
    the index through the outbox). The status does not change: that is the workflow's job."""
    save_tool(
        session,
        revisions.data_from(revision),
        tool,
        author=author,
        source="restore",
        restored_from=revision.number,
    )
    restored = revisions.latest(session, tool.id)
    assert restored is not None, "a restore always records a revision"
    return restored
