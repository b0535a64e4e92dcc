"""Back office: curators edit the risk factors (label, description, synonyms).

The edit is committed with its outbox rows (index settings, and the documents of the factor's
tools when the label changes); the request then pushes them. If Meilisearch is unreachable the
edit is kept, queued, and the curator is told so.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.auth import role_required
from app.db import db
from app.services import risk_factors_admin as service
from app.web.index_notice import flash_saved

bp = Blueprint("factors_admin", __name__, url_prefix="/gestion/facteurs")


@bp.get("")
@role_required("curator")
def factor_list():
    return render_template("backoffice/factors.html", rows=service.factor_overview(db.session))


def _render_edit(factor, values: dict, errors: dict, status: int = 200):
    return render_template(
        "backoffice/factor_edit.html", factor=factor, values=values, errors=errors,
        label_max=service.LABEL_MAX, description_max=service.DESCRIPTION_MAX,
        synonym_max=service.SYNONYM_MAX, synonyms_max_count=service.SYNONYMS_MAX_COUNT,
    ), status


@bp.get("/<slug>")
@role_required("curator")
def factor_edit(slug: str):
    factor = service.get_factor(db.session, slug) or abort(404)
    values = {"label": factor.label, "description": factor.description or "",
              "synonyms": "\n".join(factor.synonyms)}
    return _render_edit(factor, values, {})


@bp.post("/<slug>")
@role_required("curator")
def factor_save(slug: str):
    factor = service.get_factor(db.session, slug) or abort(404)
    values = {name: request.form.get(name, "") for name in ("label", "description", "synonyms")}
    try:
        changed = service.update_factor(db.session, factor, values["label"], values["description"],
                                        values["synonyms"])
    except service.FactorError as exc:
        db.rollback()
        return _render_edit(factor, values, exc.errors, status=400)
    label = factor.label
    db.commit()  # the outbox rows commit with the edit; the push runs right after
    if not changed:
        flash(f"Facteur « {label} » : aucune modification.", "info")
    else:
        flash_saved(f"Facteur « {label} » enregistré.",
                    "La recherche tient déjà compte de ses synonymes et de son libellé.")
    return redirect(url_for("factors_admin.factor_list"), code=303)
