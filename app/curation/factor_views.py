"""Back office: curators edit the risk factors (label, description, synonyms).

The edit is committed with its outbox rows (index settings, and the documents of the factor's
tools when the label changes); the request then pushes them. If Meilisearch is unreachable the
edit is kept, queued, and the curator is told so.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.auth import role_required
from app.curation import factor_edits as service
from app.curation.blueprint import bp
from app.db import db
from app.index_sync.notice import flash_saved
from app.models import RiskFactor


@bp.get("/gestion/facteurs")
@role_required("curator")
def factor_list() -> str:
    return render_template("curation/factors.html", rows=service.factor_overview(db.session))


def _render_edit(
    factor: RiskFactor, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    return render_template(
        "curation/factor_edit.html",
        factor=factor,
        values=values,
        errors=errors,
        label_max=service.LABEL_MAX,
        description_max=service.DESCRIPTION_MAX,
        synonym_max=service.SYNONYM_MAX,
        synonyms_max_count=service.SYNONYMS_MAX_COUNT,
    ), status


@bp.get("/gestion/facteurs/<slug>")
@role_required("curator")
def factor_edit(slug: str) -> tuple[str, int]:
    factor = service.get_factor(db.session, slug) or abort(404)
    values = {
        "label": factor.label,
        "description": factor.description or "",
        "synonyms": "\n".join(factor.synonyms),
    }
    return _render_edit(factor, values, {})


@bp.post("/gestion/facteurs/<slug>")
@role_required("curator")
def factor_save(slug: str) -> Response | tuple[str, int]:
    factor = service.get_factor(db.session, slug) or abort(404)
    values = {name: request.form.get(name, "") for name in ("label", "description", "synonyms")}
    try:
        changed = service.update_factor(
            db.session, factor, values["label"], values["description"], values["synonyms"]
        )
    except service.FactorError as exc:
        db.rollback()
        return _render_edit(factor, values, exc.flat(), status=400)
    label = factor.label
    if not changed:
        flash(f"Facteur « {label} » : aucune modification.", "info")
    else:
        flash_saved(
            f"Facteur « {label} » enregistré.",
            "La recherche tient déjà compte de ses synonymes et de son libellé.",
        )
    return redirect(url_for("curation.factor_list"), code=303)
