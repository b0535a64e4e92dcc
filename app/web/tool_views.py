"""The tool sheet, its supports' downloads and officers' feedback."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from marshmallow import ValidationError

from app import vocabulary as v
from app.auth import current_user, has_role, public, role_required
from app.db import db
from app.markdown_render import render
from app.models import Support
from app.schemas.feedback import COMMENT_MAX, FeedbackSchema
from app.models.moderation import REASON_MAX
from app.services import feedback as feedback_service
from app.services import moderation
from app.services.catalogue import get_tool
from app.services.supports import support_path
from app.services.usage import record
from app.web.index_notice import flash_saved

bp = Blueprint("tools", __name__)


def _visible_tool(slug: str):
    tool = get_tool(db.session, slug)
    if tool is None or (tool.status != "published" and not has_role(current_user(), "curator")):
        abort(404)
    return tool


def render_sheet(tool, errors=None, form=None, status=200, report_errors=None, report_form=None):
    """The sheet; `errors`/`form` belong to the rating form, `report_*` to one comment's
    report form (keyed by the comment's id)."""
    average, count, distribution = feedback_service.summary(db.session, tool)
    user = current_user()
    mine = feedback_service.of_user(db.session, tool, user)
    comments = moderation.comments_for(db.session, feedback_service.for_tool(db.session, tool),
                                       user)
    return render_template(
        "tool.html", tool=tool, v=v, instructions=render(tool.instructions),
        average=average, count=count, distribution=distribution,
        comments=comments, mine=mine, report_errors=report_errors or {},
        report_form=report_form or {}, reason_max=REASON_MAX,
        errors=errors or {}, form=form or {}, comment_max=COMMENT_MAX,
        factor_options=lambda t: [(f.slug, f.label) for f in t.risk_factors],
        modality_options=[(m.slug, m.label) for m in v.MODALITIES],
        # the factor of the search the sheet was opened from: the rating's default factor
        searched_factor=request.args.get("facteur") if request.args.get("facteur")
        in tool.risk_factor_slugs else None,
    ), status


@bp.get("/outils/<slug>")
@public
def tool_sheet(slug: str):
    tool = _visible_tool(slug)
    record("view", tool=tool)
    return render_sheet(tool)


def _version(support: Support) -> str:
    return support.sha256[:12]


@bp.app_template_global()
def support_url(tool, support: Support, **kwargs) -> str:
    """The download link of a support, carrying its content's version: a file replaced under
    the same name gets a new URL, so no browser serves the old one from its cache."""
    return url_for("tools.download_support", slug=tool.slug, support_id=support.id,
                   filename=support.filename, v=_version(support), **kwargs)


@bp.get("/outils/<slug>/supports/<int:support_id>/<filename>")
@public
def download_support(slug: str, support_id: int, filename: str):
    tool = _visible_tool(slug)
    support = db.session.get(Support, support_id)
    if support is None or support.tool_id != tool.id or support.filename != filename:
        abort(404)
    path = support_path(support)
    if not path.is_file():
        abort(404)
    record("download", tool=tool)
    response = send_file(path, mimetype=support.content_type, as_attachment=True,
                         download_name=support.filename, etag=support.sha256)
    # never in a shared cache (a draft's supports are for curators only); a draft's file not
    # even in the browser's; a versioned link may be kept, its URL changes with the content;
    # any other (an old or unversioned link) is checked again (ETag) at each download
    response.cache_control.private = True
    response.cache_control.public = None
    if tool.status != "published":
        response.cache_control.no_store = True
        response.cache_control.no_cache = None
    elif request.args.get("v") == _version(support):
        response.cache_control.no_cache = None
        response.cache_control.max_age = 3600
    else:
        response.cache_control.no_cache = True
    return response


@bp.post("/outils/<slug>/avis")
@role_required("agent")
def give_feedback(slug: str):
    tool = _visible_tool(slug)
    if tool.status != "published":
        abort(404)
    try:
        data = FeedbackSchema().load(request.form)
        feedback_service.rate(db.session, tool, current_user(), **data)
    except ValidationError as exc:
        return render_sheet(tool, {k: " ".join(m) for k, m in exc.messages.items()},
                            request.form, 400)
    except feedback_service.FeedbackError as exc:
        return render_sheet(tool, {k: " ".join(m) for k, m in exc.errors.items()}, request.form, 400)
    db.commit()
    record("feedback", tool=tool, risk_factor=data.get("risk_factor"))
    flash_saved("Merci, votre avis est enregistré.", "Le classement des outils en tient compte.",
                "Le classement sera mis à jour dès que le moteur de recherche sera de nouveau "
                "disponible.")
    return redirect(url_for("tools.tool_sheet", slug=tool.slug) + "#avis", code=303)
