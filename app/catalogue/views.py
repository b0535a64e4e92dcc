"""The tool sheet and its supports' downloads.

Other features add their part of the sheet without the catalogue importing them: the sheet
sends `sheet_rendering`, and each receiver returns the template values of its section (the
feedback feature: ratings form and comments)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_file,
    url_for,
)

from app.accounts.auth import current_user, public
from app.catalogue.positions import positions
from app.catalogue.rank_explanation import explain_sheet
from app.catalogue.ratings import summary
from app.catalogue.scores import current_weights
from app.catalogue.service import get_tool
from app.catalogue.supports import support_path
from app.catalogue.urls import support_url, support_version
from app.catalogue.visibility import may_see
from app.core import signals
from app.core import vocabulary as v
from app.core.local_paths import local_path
from app.core.markdown import render
from app.db import db
from app.models import RiskFactor, Support, Tool
from ranking import Weights

bp = Blueprint("catalogue", __name__)


def visible_tool(slug: str) -> Tool:
    """The tool this URL names, if the signed-in person may see it; else a 404."""
    tool = get_tool(db.session, slug)
    if tool is None or not may_see(tool, current_user()):
        abort(404)
    return tool


def render_sheet(tool: Tool, status: int = 200, **section_values: Any) -> tuple[str, int]:
    """The sheet; `section_values` override what a section's receiver gave (a refused form
    shown again with its errors)."""
    average, count, distribution = summary(db.session, tool)
    values: dict[str, Any] = {}
    for _receiver, part in signals.sheet_rendering.send(tool, user=current_user()):
        values.update(part or {})
    values.update(section_values)
    # the factor of the search the sheet was opened from (`?facteur=`), if the tool works on it
    searched = next((f for f in tool.risk_factors if f.slug == request.args.get("facteur")), None)
    back = search_return(request.args.get("retour"))
    return render_template(
        "catalogue/tool.html",
        tool=tool,
        v=v,
        searched=searched,
        back=back,
        # what the sheet's own links and forms carry along: the factor searched, the results
        carried={"facteur": searched.slug if searched else None, "retour": back},
        printed_at=datetime.now(UTC),
        instructions=render(tool.instructions),
        average=average,
        count=count,
        distribution=distribution,
        why=_why(tool, searched, average, count),
        **values,
    ), status


def search_return(value: str | None) -> str | None:
    """The results the sheet was opened from (`?retour=`, written by the search page), for the
    sheet's links back to them: only this site's search page with its arguments, rebuilt from
    them; anything else is ignored, so the sheet never links (or redirects) elsewhere."""
    if local_path(value) is None:
        return None
    parts = urlsplit(value)
    search_path = url_for("search.search_page")
    if parts.fragment or parts.path != search_path:
        return None
    query = urlencode(parse_qsl(parts.query), safe="/")
    return f"{search_path}?{query}" if query else search_path


def absolute_url(path: str) -> str:
    """A path of ROMIN as a full address, to print or share (PUBLIC_URL, else this request's
    host): shown to people only, never a redirect's target."""
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return base + path


def _weights_in_force() -> Weights:
    """The ranking weights, read once per request."""
    if "romin_weights" not in g:
        g.romin_weights = current_weights(db.session)
    weights: Weights = g.romin_weights
    return weights


def _why(tool: Tool, factor: RiskFactor | None, average: float | None, count: int) -> list[str]:
    """The sheet's « Pourquoi ce rang ? »: for the factor of the search the sheet was opened
    from, else for each of the tool's factors."""
    return explain_sheet(
        rating_average=average,
        rating_count=count,
        evidence_level=tool.evidence_for(factor.slug) if factor else tool.evidence_level,
        not_recommended=tool.not_recommended,
        published=tool.status == v.PUBLISHED,
        positions=positions(db.session, tool, [factor] if factor else list(tool.risk_factors)),
        factor_label=factor.label if factor else None,
        weights=_weights_in_force(),
    )


@bp.get("/outils/<slug>")
@public
def tool_sheet(slug: str) -> tuple[str, int]:
    tool = visible_tool(slug)
    signals.tool_viewed.send(tool)
    return render_sheet(tool)


bp.add_app_template_global(support_url)
bp.add_app_template_global(absolute_url)


@bp.get("/outils/<slug>/supports/<int:support_id>/<filename>")
@public
def download_support(slug: str, support_id: int, filename: str) -> Response:
    tool = visible_tool(slug)
    support = db.session.get(Support, support_id)
    if support is None or support.tool_id != tool.id or support.filename != filename:
        abort(404)
    path = support_path(support)
    if not path.is_file():
        abort(404)
    signals.support_downloaded.send(tool)
    response = send_file(
        path,
        mimetype=support.content_type,
        as_attachment=True,
        download_name=support.filename,
        etag=support.sha256,
    )
    # never in a shared cache (a draft's supports are for curators only); a draft's file not
    # even in the browser's; a versioned link may be kept, its URL changes with the content;
    # any other (an old or unversioned link) is checked again (ETag) at each download
    response.cache_control.private = True
    response.cache_control.public = False  # no "public" directive
    if tool.status != v.PUBLISHED:
        response.cache_control.no_store = True
        response.cache_control.no_cache = None
    elif request.args.get("v") == support_version(support):
        response.cache_control.no_cache = None
        response.cache_control.max_age = 3600
    else:
        response.cache_control.no_cache = True
    return response
