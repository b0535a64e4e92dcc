"""The usage dashboard (support staff) and one tool's statistics (curators), with CSV exports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, abort, current_app, render_template, request, url_for

from app.accounts.auth import role_required
from app.catalogue.lookups import tool_or_404
from app.db import db
from app.pilotage import stats
from app.pilotage.blueprint import bp
from app.pilotage.data_tables import to_csv
from app.pilotage.report import DASHBOARD, TOOL


def _query(period: stats.Period) -> dict[str, Any]:  # Any: also url_for's **values
    return {"du": period.start.isoformat(), "au": period.end.isoformat()}


def _form(period: stats.Period | None) -> dict[str, str]:
    if period is not None:
        return _query(period)
    return {"du": request.args.get("du", ""), "au": request.args.get("au", "")}


def _csv(name: str, text: str, period: stats.Period, prefix: str = "romin") -> Response:
    filename = f"{prefix}-{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _common(period: stats.Period | None, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "period": period,
        "errors": errors,
        "form": _form(period),
        "retention_days": current_app.config["STATS_RETENTION_DAYS"],
        "rolled_through": stats.rolled_through(db.session),
    }


def _shortcuts(period: stats.Period) -> list[tuple[str, str]]:
    end = period.end
    links = [("30 derniers jours", url_for("pilotage.dashboard"))]
    for days, label in ((90, "90 jours"), (365, "12 mois")):
        links.append(
            (
                f"{label} jusqu'au {end:%d/%m/%Y}",
                url_for(
                    "pilotage.dashboard",
                    du=(end - timedelta(days=days - 1)).isoformat(),
                    au=end.isoformat(),
                ),
            )
        )
    return links


@bp.get("/pilotage/statistiques")
@role_required("staff")
def dashboard() -> str | tuple[str, int]:
    period, errors = stats.parse_period(request.args)
    if period is None:  # `errors` say why
        return render_template(
            "pilotage/stats.html", sections=[], totals=None, **_common(None, errors)
        ), 400
    sections = [build(db.session, period) for build in DASHBOARD.values()]
    for section in sections:
        section.csv_url = url_for("pilotage.dashboard_csv", name=section.name, **_query(period))
    return render_template(
        "pilotage/stats.html",
        sections=sections,
        totals=stats.totals(db.session, period),
        shortcuts=_shortcuts(period),
        **_common(period, errors),
    )


@bp.get("/pilotage/statistiques/<name>.csv")
@role_required("staff")
def dashboard_csv(name: str) -> Response | tuple[str, int]:
    build = DASHBOARD.get(name)
    if build is None:
        abort(404)
    period, errors = stats.parse_period(request.args)
    if period is None:  # `errors` say why
        return render_template(
            "pilotage/stats.html", sections=[], totals=None, **_common(None, errors)
        ), 400
    return _csv(name, to_csv(build(db.session, period).table), period)


@bp.get("/pilotage/outils/<slug>/statistiques")
@role_required("curator")
def tool_stats(slug: str) -> str | tuple[str, int]:
    tool = tool_or_404(slug)
    period, errors = stats.parse_period(request.args)
    if period is None:  # `errors` say why
        return render_template(
            "pilotage/stats_tool.html", tool=tool, sections=[], **_common(None, errors)
        ), 400
    sections = [build(db.session, period, tool) for build in TOOL.values()]
    for section in sections:
        section.csv_url = url_for(
            "pilotage.tool_csv", slug=tool.slug, name=section.name, **_query(period)
        )
    return render_template(
        "pilotage/stats_tool.html", tool=tool, sections=sections, **_common(period, errors)
    )


@bp.get("/pilotage/outils/<slug>/statistiques/<name>.csv")
@role_required("curator")
def tool_csv(slug: str, name: str) -> Response | tuple[str, int]:
    tool = tool_or_404(slug)
    build = TOOL.get(name)
    if build is None:
        abort(404)
    period, errors = stats.parse_period(request.args)
    if period is None:  # `errors` say why
        return render_template(
            "pilotage/stats_tool.html", tool=tool, sections=[], **_common(None, errors)
        ), 400
    return _csv(name, to_csv(build(db.session, period, tool).table), period, prefix=tool.slug)
