"""A tool's life: draft → review (en relecture) → published → archived, with the way back.

Allowed steps (the back office offers exactly these):
  draft     → review     submit for review
  review    → published  publish (only now does the tool enter the search index)
  review    → draft      send back to its author for more work
  published → archived   withdraw it from officers (it leaves the index)
  archived  → draft      take it up again (it must go through review before it is published again)

A tool is never published without a review step, and a published tool is never edited back to
draft in place: it is archived first, so officers never see a half-written sheet. Each step is a
row (who, when, from, to, an optional note). The API may still set a status directly (imports,
automation); save_tool records that change as a step too, with its source.

Changing the status is a change of the tool row, so the session hooks write its outbox row in
the same transaction: publishing puts the tool in the index, anything else takes it out.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import vocabulary as v
from app.core.identifying import identifying_refusal
from app.core.refusals import Refused
from app.core.vocabulary import ARCHIVED, DRAFT, PUBLISHED, REVIEW
from app.models import Tool, User, WorkflowStep

# from status -> [(to status, button label)], in the order the buttons are shown
TRANSITIONS: dict[str, list[tuple[str, str]]] = {
    DRAFT: [(REVIEW, "Soumettre à la relecture")],
    REVIEW: [(PUBLISHED, "Publier"), (DRAFT, "Renvoyer en brouillon")],
    PUBLISHED: [(ARCHIVED, "Archiver (retirer de la recherche)")],
    ARCHIVED: [(DRAFT, "Remettre en brouillon")],
}
NOTE_MAX = 500


class WorkflowError(Refused):
    """A step the workflow refuses, with a French message for the curator."""


def actor_label(user: User | None) -> str:
    if user is None:
        return "Système (import ou commande)"
    return user.display_name or user.email


def allowed(from_status: str) -> list[tuple[str, str]]:
    return TRANSITIONS.get(from_status, [])


def record_step(
    session: Session,
    tool: Tool,
    from_status: str | None,
    to_status: str,
    actor: User | None,
    note: str = "",
    source: str = "web",
) -> WorkflowStep:
    step = WorkflowStep(
        tool_id=tool.id,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label(actor),
        note=note,
        source=source,
    )
    session.add(step)
    session.flush()
    return step


def transition(
    session: Session, tool: Tool, to_status: str, actor: User | None, note: str = ""
) -> WorkflowStep:
    """Move the tool one allowed step; refuse anything else with a message that says why."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise WorkflowError(f"Le commentaire fait {len(note)} caractères : {NOTE_MAX} au plus.")
    identifying = identifying_refusal(note, "Le commentaire pour l'historique")
    if identifying:
        raise WorkflowError(identifying)
    targets = dict(allowed(tool.status))
    if to_status not in v.slugs(v.STATUSES):
        raise WorkflowError("Étape inconnue : choisissez l'un des boutons proposés.")
    if to_status not in targets:
        possible = ", ".join(f"« {v.label(v.STATUSES, s)} »" for s in targets) or "aucun"
        raise WorkflowError(
            f"Un outil au statut « {v.label(v.STATUSES, tool.status)} » ne peut pas passer au "
            f"statut « {v.label(v.STATUSES, to_status)} ». Statuts possibles : {possible}."
        )
    from_status = tool.status
    tool.status = to_status
    session.flush()
    return record_step(session, tool, from_status, to_status, actor, note=note, source="web")


def steps(session: Session, tool: Tool) -> list[WorkflowStep]:
    """The tool's steps, most recent first."""
    return list(
        session.scalars(
            select(WorkflowStep)
            .where(WorkflowStep.tool_id == tool.id)
            .order_by(WorkflowStep.created_at.desc(), WorkflowStep.id.desc())
        )
    )
