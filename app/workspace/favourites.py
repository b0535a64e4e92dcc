"""« Ma boîte à outils »: the tools an officer keeps, each with a note on how they use it.

A favourite is added from a result card or a tool sheet, of a published tool only. The page
groups favourites by risk factor, a tool under **each** of its factors: an officer prepares an
interview factor by factor, and the evidence shown is the one for that factor (a tool may be
demonstrated for one factor and merely grounded for another). A tool that left the catalogue
(archived, or back in the curators' hands) is listed apart, to be removed. The note is the
officer's own text about the tool: it is checked for identifying details like every free text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, contains_eager

from app.core import vocabulary as v
from app.core.identifying import identifying_refusal
from app.core.refusals import Refused
from app.db import among
from app.models import Favourite, Feedback, RiskFactor, SupportDownload, Tool, ToolNews, User
from app.models.base import utcnow
from app.workspace.news import alerts_of, updated_since

NOTE_MAX = 1000
NOTE_FIELD = "note"


class WorkspaceRefused(Refused):
    """Something the workspace refuses, with French messages per field."""


def favourite_tool_ids(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(Favourite.tool_id).where(Favourite.user_id == user_id)))


def add_favourite(session: Session, user: User, tool: Tool) -> bool:
    """Keep a published tool; False when it was kept already."""
    if tool.status != v.PUBLISHED:
        raise WorkspaceRefused(
            "Seuls les outils publiés peuvent être ajoutés à votre boîte à outils."
        )
    alerts_of(session, user.id)  # news of this favourite count from now on
    added = session.execute(
        insert(Favourite)
        .values(user_id=user.id, tool_id=tool.id, note="", created_at=utcnow())
        .on_conflict_do_nothing(constraint="uq_favourites_user_tool")
        .returning(Favourite.id)
    ).first()
    return added is not None


def remove_favourite(session: Session, user: User, tool_id: int) -> bool:
    """False when the tool was not a favourite (a second click, another tab)."""
    removed = session.execute(
        delete(Favourite)
        .where(Favourite.user_id == user.id, Favourite.tool_id == tool_id)
        .returning(Favourite.id)
    ).first()
    return removed is not None


def favourite_of(session: Session, user: User, slug: str) -> Favourite | None:
    return session.scalar(
        select(Favourite)
        .join(Favourite.tool)
        .options(contains_eager(Favourite.tool))
        .where(Favourite.user_id == user.id, Tool.slug == slug)
    )


def check_note(note: str) -> str:
    """The note as stored, or WorkspaceRefused on the note field (too long, or it would identify
    a person)."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise WorkspaceRefused(
            f"La note fait {len(note)} caractères : {NOTE_MAX} au plus. Raccourcissez-la.",
            NOTE_FIELD,
        )
    identifying = identifying_refusal(note, "La note")
    if identifying:
        raise WorkspaceRefused(identifying, NOTE_FIELD)
    return note


def save_note(session: Session, favourite: Favourite, note: str) -> None:
    favourite.note = check_note(note)
    favourite.note_updated_at = utcnow()
    session.flush()


# -- the page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    favourite: Favourite
    rating_average: float | None
    rating_count: int
    # the evidence level for the group's factor (the tool's own without a factor)
    evidence_level: int
    # the tool's supports changed after the officer last downloaded one of them
    updated_since_download: bool

    @property
    def tool(self) -> Tool:
        return self.favourite.tool


@dataclass
class Group:
    factor: RiskFactor | None  # None: tools for the officer's own practice (no factor)
    entries: list[Entry] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"facteur-{self.factor.slug}" if self.factor else "pratique-professionnelle"

    @property
    def title(self) -> str:
        return self.factor.label if self.factor else "Pour votre pratique professionnelle"


@dataclass
class Toolbox:
    groups: list[Group]
    withdrawn: list[Favourite]  # favourites whose tool is no longer published
    tool_count: int  # published favourites (a tool counts once, whatever its groups)


def _ratings(session: Session, tool_ids: list[int]) -> dict[int, tuple[float, int]]:
    """Average and count of each tool's ratings, in one query."""
    rows = session.execute(
        select(Feedback.tool_id, func.avg(Feedback.rating), func.count())
        .where(among(Feedback.tool_id, tool_ids))
        .group_by(Feedback.tool_id)
    ).all()
    return {tool_id: (float(average), count) for tool_id, average, count in rows}


def _updated_since_download(session: Session, user_id: int, tool_ids: list[int]) -> set[int]:
    rows = session.execute(
        select(ToolNews.tool_id, ToolNews.supports_changed_at, SupportDownload.downloaded_at)
        .join(SupportDownload, SupportDownload.tool_id == ToolNews.tool_id)
        .where(SupportDownload.user_id == user_id, among(ToolNews.tool_id, tool_ids))
    ).all()
    return {tool_id for tool_id, changed, downloaded in rows if updated_since(changed, downloaded)}


def toolbox(session: Session, user: User) -> Toolbox:
    """The officer's favourites as the page shows them."""
    favourites = list(
        session.scalars(
            select(Favourite)
            .join(Favourite.tool)
            .options(contains_eager(Favourite.tool))
            .where(Favourite.user_id == user.id)
            .order_by(func.lower(Tool.title), Tool.id)
        )
    )
    kept = [f for f in favourites if f.tool.status == v.PUBLISHED]
    ids = [f.tool_id for f in kept]
    ratings = _ratings(session, ids)
    updated = _updated_since_download(session, user.id, ids)
    groups: dict[int | None, Group] = {}
    for favourite in kept:
        tool = favourite.tool
        average, count = ratings.get(tool.id, (None, 0))
        factors: list[RiskFactor | None] = list(tool.risk_factors) or [None]
        for factor in factors:
            group = groups.setdefault(factor.id if factor else None, Group(factor))
            group.entries.append(
                Entry(
                    favourite=favourite,
                    rating_average=average,
                    rating_count=count,
                    evidence_level=tool.evidence_for(factor.slug)
                    if factor
                    else tool.evidence_level,
                    updated_since_download=tool.id in updated,
                )
            )
    ordered = sorted(
        groups.values(), key=lambda g: (g.factor is None, g.factor.position if g.factor else 0)
    )
    withdrawn = [f for f in favourites if f.tool.status != v.PUBLISHED]
    return Toolbox(groups=ordered, withdrawn=withdrawn, tool_count=len(kept))
