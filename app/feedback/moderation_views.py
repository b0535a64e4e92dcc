"""Comment moderation: officers report a comment from the tool sheet; curators decide on
/gestion/commentaires (hide with a reason, or show). See app/feedback/moderation.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.auth import role_required, signed_in_user
from app.catalogue.service import get_tool
from app.catalogue.views import render_sheet
from app.core.pagination import PAGE_INVALID, page_count, requested_page
from app.core.vocabulary import PUBLISHED
from app.db import db
from app.feedback import moderation as service
from app.feedback.blueprint import bp
from app.models import Feedback
from app.models.moderation import REASON_MAX

HIDDEN_PER_PAGE = 50


@bp.post("/outils/<slug>/avis/<int:feedback_id>/signaler")
@role_required("agent")
def report(slug: str, feedback_id: int) -> Response | tuple[str, int]:
    tool = get_tool(db.session, slug)
    feedback = db.session.get(Feedback, feedback_id)
    if (
        tool is None
        or tool.status != PUBLISHED
        or feedback is None
        or feedback.tool_id != tool.id
        or not feedback.comment
        or service.hidden_decisions(db.session, [feedback.id])
    ):
        abort(404)
    sheet = url_for("catalogue.tool_sheet", slug=tool.slug) + f"#commentaire-{feedback.id}"
    if feedback.user_id == signed_in_user().id:  # the sheet offers no report form there
        flash("Vous ne pouvez pas signaler votre propre commentaire : modifiez-le plutôt.", "error")
        return redirect(sheet, code=303)
    reason = request.form.get("motif", "")
    try:
        created = service.report(db.session, feedback, signed_in_user(), reason)
    except service.ModerationError as exc:
        return render_sheet(
            tool,
            report_errors={feedback.id: exc.flat()["reason"]},
            report_form={feedback.id: reason},
            status=400,
        )
    if created:
        flash(
            "Merci : le commentaire est signalé aux référents, qui décideront de le masquer "
            "ou non.",
            "success",
        )
    else:
        flash(
            "Vous avez déjà signalé ce commentaire et les référents ne l'ont pas encore "
            "examiné : votre signalement reste en attente.",
            "info",
        )
    return redirect(sheet, code=303)


def _render(
    errors: dict[tuple[int, str], str] | None = None,
    form: dict[tuple[int, str], str] | None = None,
    status: int = 200,
    page: int = 1,
    page_error: str | None = None,
) -> tuple[str, int]:
    """The queue and one page of hidden comments (`page`, moved to the last page when the list
    is shorter, as the tools list does); `page_error` explains a page number that is none."""
    queue = service.open_reports(db.session)
    hidden_total = service.hidden_count(db.session)
    pages = page_count(hidden_total, HIDDEN_PER_PAGE)
    page = min(page, pages)
    hidden = service.hidden_comments(db.session, HIDDEN_PER_PAGE, (page - 1) * HIDDEN_PER_PAGE)
    tools = service.tools_of(
        db.session, [item.feedback for item in queue] + [d.feedback for d in hidden]
    )
    return render_template(
        "feedback/moderation.html",
        queue=queue,
        hidden=hidden,
        hidden_total=hidden_total,
        page=page,
        pages=pages,
        tools=tools,
        page_error=page_error,
        errors=errors or {},
        form=form or {},
        reason_max=REASON_MAX,
        page_url=lambda n: url_for("feedback.reported", page=n) + "#masques",
    ), status


@bp.get("/gestion/commentaires")
@role_required("curator")
def reported() -> tuple[str, int]:
    page = requested_page(request.args.get("page"))
    if page is None:
        return _render(status=400, page_error=PAGE_INVALID)
    return _render(page=page)


def _decide(feedback_id: int, action: str, done: str) -> Response | tuple[str, int]:
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None:
        abort(404)
    reason = request.form.get("motif", "")
    try:
        service.decide(db.session, feedback, signed_in_user(), action, reason)
    except service.ModerationError as exc:
        return _render(
            errors={(feedback.id, action): exc.flat()["reason"]},
            form={(feedback.id, action): reason},
            status=400,
        )
    flash(done, "success")
    return redirect(url_for("feedback.reported"), code=303)


@bp.post("/gestion/commentaires/<int:feedback_id>/masquer")
@role_required("curator")
def hide(feedback_id: int) -> Response | tuple[str, int]:
    return _decide(
        feedback_id,
        service.HIDE,
        "Le commentaire est masqué. Son auteur le voit "
        "toujours, marqué « masqué par la modération », avec le motif.",
    )


@bp.post("/gestion/commentaires/<int:feedback_id>/retablir")
@role_required("curator")
def show(feedback_id: int) -> Response | tuple[str, int]:
    return _decide(
        feedback_id,
        service.SHOW,
        "Le commentaire est visible de tous ; ses signalements sont clos.",
    )
