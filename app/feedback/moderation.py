"""Comment moderation: officers report a comment, curators hide it (with a reason) or show it.

Hiding concerns the text only: the rating behind a hidden comment keeps counting in the
average and in the ranking (it is an officer's honest use of the tool; what may be wrong is
what the comment says). So a decision changes no search document and writes no outbox row.
A hidden comment is never deleted: its author still sees it, marked, with the reason; it
stays hidden, even if its author edits it, until a curator shows it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.core.identifying import identifying_refusal
from app.core.refusals import Refused
from app.models import Feedback, Tool, User
from app.models.moderation import REASON_MAX, CommentDecision, CommentReport

HIDE, SHOW = "hide", "show"


class ModerationError(Refused):
    """A report or a moderation decision refused (its reason, in French)."""


def _reason(reason: str | None, required: bool, what: str) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ModerationError({"reason": f"Indiquez {what}."})
    if len(reason) > REASON_MAX:
        raise ModerationError(
            {"reason": f"Le motif dépasse {REASON_MAX} caractères ({len(reason)} saisis)."}
        )
    identifying = identifying_refusal(reason, "Le motif")
    if identifying:
        raise ModerationError({"reason": identifying})
    return reason


# -- officers ------------------------------------------------------------------------------


def report(session: Session, feedback: Feedback, reporter: User, reason: str = "") -> bool:
    """Report a comment; False when this officer's earlier report is still open (no decision
    yet). A report a decision closed does not count: the officer may report again."""
    if feedback.user_id == reporter.id:
        raise ModerationError(
            {"reason": "Vous ne pouvez pas signaler votre propre commentaire : modifiez-le plutôt."}
        )
    reason = _reason(reason, False, "")
    created = session.scalar(
        insert(CommentReport)
        .values(
            feedback_id=feedback.id, reporter_id=reporter.id, reason=reason, created_at=func.now()
        )
        .on_conflict_do_nothing(
            index_elements=["feedback_id", "reporter_id"],
            index_where=CommentReport.decision_id.is_(None),
        )
        .returning(CommentReport.id)
    )
    return created is not None


def reported_by(session: Session, user: User | None, feedback_ids: list[int]) -> set[int]:
    """Those of these comments `user` reported and no decision has examined yet."""
    if user is None or not feedback_ids:
        return set()
    return set(
        session.scalars(
            select(CommentReport.feedback_id).where(
                CommentReport.reporter_id == user.id,
                CommentReport.feedback_id.in_(feedback_ids),
                CommentReport.decision_id.is_(None),
            )
        )
    )


# -- the current state of comments ---------------------------------------------------------


def _latest_decision_ids(feedback_ids: Iterable[int] | None = None) -> Select[tuple[int]]:
    query = select(func.max(CommentDecision.id)).group_by(CommentDecision.feedback_id)
    if feedback_ids is not None:
        query = query.where(CommentDecision.feedback_id.in_(feedback_ids))
    return query


def hidden_decisions(session: Session, feedback_ids: list[int]) -> dict[int, CommentDecision]:
    """The decision that hides each of these comments, for those that are hidden."""
    if not feedback_ids:
        return {}
    decisions = session.scalars(
        select(CommentDecision).where(
            CommentDecision.id.in_(_latest_decision_ids(feedback_ids)),
            CommentDecision.action == HIDE,
        )
    )
    return {d.feedback_id: d for d in decisions}


@dataclass
class Comment:
    feedback: Feedback
    hidden: CommentDecision | None = None  # shown to its author only
    reported: bool = False  # by the viewer


def comments_for(session: Session, feedback: list[Feedback], viewer: User | None) -> list[Comment]:
    """The comments of a tool as `viewer` sees them: hidden ones only for their author."""
    with_text = [f for f in feedback if f.comment]
    hidden = hidden_decisions(session, [f.id for f in with_text])
    reported = reported_by(session, viewer, [f.id for f in with_text])
    viewer_id = viewer.id if viewer is not None else None
    return [
        Comment(f, hidden.get(f.id), f.id in reported)
        for f in with_text
        if f.id not in hidden or f.user_id == viewer_id
    ]


# -- curators ------------------------------------------------------------------------------


def decide(
    session: Session, feedback: Feedback, curator: User, action: str, reason: str = ""
) -> CommentDecision:
    """Hide (reason required) or show a comment; closes its open reports."""
    if action not in (HIDE, SHOW):
        raise ValueError(action)
    reason = _reason(reason, action == HIDE, "le motif du masquage (il sera montré à l'auteur)")
    # one decision at a time per comment: two curators deciding at once take turns
    session.execute(select(Feedback.id).where(Feedback.id == feedback.id).with_for_update())
    decision = CommentDecision(
        feedback_id=feedback.id, action=action, reason=reason, decided_by_id=curator.id
    )
    session.add(decision)
    session.flush()
    session.execute(
        update(CommentReport)
        .where(CommentReport.feedback_id == feedback.id, CommentReport.decision_id.is_(None))
        .values(decision_id=decision.id)
    )
    return decision


@dataclass
class ReportedComment:
    feedback: Feedback
    reports: list[CommentReport] = field(default_factory=list)
    hidden: CommentDecision | None = None

    @property
    def first_reported_at(self) -> datetime:
        return min(r.created_at for r in self.reports)


def open_reports(session: Session) -> list[ReportedComment]:
    """Comments with reports no decision has closed yet, oldest report first."""
    reports = session.scalars(
        select(CommentReport)
        .where(CommentReport.decision_id.is_(None))
        .order_by(CommentReport.created_at, CommentReport.id)
    )
    by_feedback: dict[int, ReportedComment] = {}
    for r in reports:
        by_feedback.setdefault(r.feedback_id, ReportedComment(r.feedback)).reports.append(r)
    hidden = hidden_decisions(session, list(by_feedback))
    for item in by_feedback.values():
        item.hidden = hidden.get(item.feedback.id)
    return list(by_feedback.values())


def _hidden() -> Select[tuple[CommentDecision]]:
    return select(CommentDecision).where(
        CommentDecision.id.in_(_latest_decision_ids()), CommentDecision.action == HIDE
    )


def hidden_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_hidden().subquery())) or 0


def hidden_comments(session: Session, limit: int, offset: int = 0) -> list[CommentDecision]:
    """The hidden comments (their hiding decision), most recently hidden first."""
    return list(
        session.scalars(
            _hidden()
            .order_by(CommentDecision.decided_at.desc(), CommentDecision.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def tools_of(session: Session, feedback: list[Feedback]) -> dict[int, Tool]:
    """The tools these comments are about, by id (one query; Feedback has no tool relation)."""
    ids = {f.tool_id for f in feedback}
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(select(Tool).where(Tool.id.in_(ids)))}
