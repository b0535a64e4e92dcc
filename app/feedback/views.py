"""An officer's rating of a tool, given on its sheet; the sheet's ratings section."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from app.accounts.auth import role_required, signed_in_user
from app.catalogue.views import render_sheet, visible_tool
from app.core import signals
from app.core import vocabulary as v
from app.db import db
from app.feedback import moderation, ratings
from app.feedback.blueprint import bp
from app.feedback.schemas import COMMENT_MAX, FeedbackSchema
from app.index_sync.notice import flash_saved
from app.models import Tool, User
from app.models.moderation import REASON_MAX


@signals.sheet_rendering.connect
def sheet_section(tool: Tool, user: User | None = None) -> dict[str, Any]:
    """The sheet's comments and rating form: the officer's own rating, visible comments."""
    return dict(
        comments=moderation.comments_for(db.session, ratings.for_tool(db.session, tool), user),
        mine=ratings.of_user(db.session, tool, user),
        report_errors={},
        report_form={},
        reason_max=REASON_MAX,
        errors={},
        form={},
        comment_max=COMMENT_MAX,
        factor_options=lambda t: [(f.slug, f.label) for f in t.risk_factors],
        modality_options=[(m.slug, m.label) for m in v.MODALITIES],
        # the factor of the search the sheet was opened from: the rating's default factor
        searched_factor=request.args.get("facteur")
        if request.args.get("facteur") in tool.risk_factor_slugs
        else None,
    )


@bp.post("/outils/<slug>/avis")
@role_required("agent")
def give_feedback(slug: str) -> Response | tuple[str, int]:
    tool = visible_tool(slug)
    if tool.status != v.PUBLISHED:
        abort(404)
    try:
        data = FeedbackSchema().load(request.form)
        ratings.rate(db.session, tool, signed_in_user(), **data)
    except ValidationError as exc:
        return render_sheet(
            tool,
            400,
            errors={k: " ".join(m) for k, m in exc.messages_dict.items()},
            form=request.form,
        )
    except ratings.FeedbackError as exc:
        return render_sheet(tool, 400, errors=exc.flat(), form=request.form)
    signals.feedback_given.send(tool, risk_factor=data.get("risk_factor"))
    flash_saved(
        "Merci, votre avis est enregistré.",
        "Le classement des outils en tient compte.",
        "Le classement sera mis à jour dès que le moteur de recherche sera de nouveau disponible.",
    )
    # back on the sheet as it was opened: the factor searched and the results (`retour`, which
    # the sheet checks again before linking to it)
    sheet = url_for(
        "catalogue.tool_sheet",
        slug=tool.slug,
        facteur=request.args.get("facteur") or None,
        retour=request.args.get("retour") or None,
    )
    return redirect(sheet + "#avis", code=303)
