"""Creating and editing tools. Validated data in (marshmallow at the boundary), rows out."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import RiskFactor, Tool
from app.models.base import utcnow
from app.services.scoring import refresh_scores

EDITABLE_FIELDS = (
    "title", "kind", "phase", "summary", "instructions", "precautions", "protective_factors",
    "stages", "modality", "sessions", "minutes_per_session", "preparation_minutes", "setting",
    "responsivity", "evidence_level", "not_recommended", "references", "last_review",
    "author_name", "author_role", "author_structure", "author_contact", "status",
)


class CatalogueError(ValueError):
    """A change the catalogue refuses, with a message per field (in French)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


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
    found = {f.slug: f for f in session.scalars(select(RiskFactor).where(RiskFactor.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise CatalogueError({"risk_factors": [f"Facteur de risque inconnu : {', '.join(unknown)}."]})
    return [found[s] for s in dict.fromkeys(slugs)]


def get_tool(session: Session, slug: str) -> Tool | None:
    return session.scalar(select(Tool).where(Tool.slug == slug))


def save_tool(session: Session, data: dict, tool: Tool | None = None) -> Tool:
    """Create (tool=None) or update a tool from validated data; recompute its scores."""
    creating = tool is None
    if creating:
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
        if not tool.risk_factors:
            raise CatalogueError({"risk_factors": ["Indiquez au moins un facteur de risque."]})
        session.add(tool)
    tool.updated_at = utcnow()
    refresh_scores(session, [tool])
    session.flush()
    return tool
