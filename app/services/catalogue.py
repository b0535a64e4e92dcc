"""Creating and editing tools. Validated data in (marshmallow at the boundary), rows out."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import RiskFactor, Tool
from app.models.base import utcnow
from app.services.scoring import refresh_scores

# A sheet's fields, in the order curators read them (revisions and their diffs).
SHEET_FIELDS = (
    "title", "kind", "phase", "summary", "instructions", "precautions", "protective_factors",
    "risk_factors", "stages", "modality", "sessions", "minutes_per_session", "preparation_minutes",
    "setting", "responsivity", "evidence_level", "not_recommended", "references", "last_review",
    "author_name", "author_role", "author_structure", "author_contact",
)
# The free-text ones (whitespace kept as typed, compared line by line in a diff).
TEXT_FIELDS = ("title", "summary", "instructions", "precautions", "protective_factors",
               "author_name", "author_role", "author_structure", "author_contact")
# The columns save_tool sets from validated data (the risk factors are a relationship).
EDITABLE_FIELDS = tuple(f for f in SHEET_FIELDS if f != "risk_factors") + ("status",)

# French names of a sheet's fields, for forms, error summaries and revision diffs.
FIELD_LABELS = {
    "slug": "Identifiant (adresse de la fiche)",
    "title": "Titre",
    "kind": "Type d'outil",
    "phase": "Phase du suivi",
    "summary": "Résumé",
    "instructions": "Mode d'emploi",
    "precautions": "Précautions d'usage",
    "protective_factors": "Facteurs de protection",
    "risk_factors": "Facteurs de risque travaillés",
    "stages": "Stades du changement",
    "modality": "Modalité",
    "sessions": "Nombre de séances",
    "minutes_per_session": "Durée d'une séance (minutes)",
    "preparation_minutes": "Temps de préparation (minutes)",
    "setting": "Milieu",
    "responsivity": "Réceptivité (publics)",
    "evidence_level": "Niveau de preuve",
    "not_recommended": "Non recommandé",
    "references": "Références",
    "last_review": "Date de la dernière revue",
    "author_name": "Auteur : nom",
    "author_role": "Auteur : fonction",
    "author_structure": "Auteur : structure",
    "author_contact": "Auteur : contact",
    "status": "Statut",
}


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


def save_tool(session: Session, data: dict, tool: Tool | None = None, *, author=None,
              source: str = "system", restored_from: int | None = None) -> Tool:
    """Create (tool=None) or update a tool from validated data; recompute its scores.

    Every save goes through here (pages, API, imports, restoring a revision), so this is where
    a revision is recorded (who, which fields) and a status change becomes a workflow step.
    """
    from app.services import revisions, workflow

    creating = tool is None
    old_status = None if creating else tool.status
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
    if creating or tool.status != old_status:
        workflow.record_step(session, tool, old_status, tool.status, author, source=source)
    revisions.record(session, tool, author, source=source, restored_from=restored_from)
    return tool
