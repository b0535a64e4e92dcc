"""Support staff tune the ranking: weights with a preview, saving with a note, history, rollback."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from app.accounts.auth import current_user, has_role, role_required
from app.catalogue.risk_factors import all_factors
from app.catalogue.scores import current_weights
from app.core.dates import fr_datetime
from app.db import db
from app.index_sync.notice import flash_saved
from app.pilotage import weights as service
from app.pilotage.blueprint import bp
from app.search.service import factor_slugs
from ranking import WEIGHT_BOUNDS


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    """`has_role` for macros imported without context (the header's "Classement" link)."""
    state.app.jinja_env.globals.setdefault("has_role", has_role)


def _form_values(form: Mapping[str, str]) -> dict[str, str]:
    return {name: form.get(name, "") for name in WEIGHT_BOUNDS}


def _display(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _render(
    *,
    form_values: dict[str, str] | None = None,
    factor: str | None = None,
    note: str = "",
    errors: dict[str, str] | None = None,
    preview: service.Preview | None = None,
    status: int = 200,
) -> tuple[str, int]:
    factors = all_factors(db.session)
    weights = current_weights(db.session)
    latest = service.latest_version(db.session)
    current = weights.as_dict()
    if form_values is None:
        form_values = {name: _display(value) for name, value in current.items()}
    return render_template(
        "pilotage/weights.html",
        help=service.HELP,
        bounds=WEIGHT_BOUNDS,
        current=current,
        display=_display,
        form_values=form_values,
        factor_options=[(f.slug, f.label) for f in factors],
        factor=factor if factor is not None else (factors[0].slug if factors else ""),
        note=note,
        errors=errors or {},
        preview=preview,
        latest=latest,
        signal_labels=service.SIGNAL_LABELS,
        note_max=service.NOTE_MAX,
    ), status


def _flat(errors: dict[str, list[str]]) -> dict[str, str]:
    return {key: " ".join(messages) for key, messages in errors.items()}


@bp.get("/pilotage/classement")
@role_required("staff")
def weights_page() -> tuple[str, int]:
    return _render()


@bp.post("/pilotage/classement/apercu")
@role_required("staff")
def preview_page() -> tuple[str, int]:
    """The top 10 of a risk factor, now and with the weights typed: nothing is written."""
    values = _form_values(request.form)
    factor = request.form.get("facteur", "")
    note = request.form.get("note", "")
    proposed, problems = service.validate_values(values, current_weights(db.session))
    errors = _flat(problems)
    if factor not in factor_slugs(db.session):
        errors["facteur"] = "Choisissez le facteur de risque dont vous voulez voir le classement."
    if errors:
        return _render(form_values=values, factor=factor, note=note, errors=errors, status=400)
    result = service.preview(db.session, factor, proposed)
    db.rollback()  # a preview never writes
    return _render(form_values=values, factor=factor, note=note, preview=result)


@bp.post("/pilotage/classement")
@role_required("staff")
def save_weights() -> Response | tuple[str, int]:
    values = _form_values(request.form)
    factor = request.form.get("facteur", "")
    note = request.form.get("note", "")
    try:
        version = service.save_weights(db.session, values, note, current_user())
    except service.WeightsError as exc:
        db.rollback()
        return _render(
            form_values=values, factor=factor, note=note, errors=_flat(exc.errors), status=400
        )
    version_id = version.id
    _flash_saved(f"Nouveaux poids enregistrés (version n° {version_id}).")
    return redirect(url_for("pilotage.weights_page"), code=303)


def _flash_saved(message: str) -> None:
    flash_saved(
        message,
        "Les scores de tous les outils sont recalculés et la recherche suit "
        "déjà le nouveau classement.",
        "Les scores sont recalculés, mais le moteur de recherche n'a pas pu être mis à "
        "jour : le classement suivra dès qu'il sera de nouveau disponible.",
    )


@bp.get("/pilotage/classement/historique")
@role_required("staff")
def history_page() -> tuple[str, int]:
    return _render_history()


def _render_history(
    errors: dict[int, str] | None = None, notes: dict[int, str] | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "pilotage/weights_history.html",
        entries=service.history(db.session),
        help=service.HELP,
        short_labels=service.SHORT_LABELS,
        names=list(WEIGHT_BOUNDS),
        display=_display,
        when=fr_datetime,
        errors=errors or {},
        notes=notes or {},
        note_max=service.NOTE_MAX,
    ), status


@bp.post("/pilotage/classement/historique/<int:version_id>/retablir")
@role_required("staff")
def rollback_weights(version_id: int) -> Response | tuple[str, int]:
    note = request.form.get(f"note-{version_id}", request.form.get("note", ""))
    try:
        version = service.rollback_to(db.session, version_id, note, current_user())
    except LookupError:
        abort(404)
    except service.WeightsError as exc:
        db.rollback()
        return _render_history(
            {version_id: " ".join(m for ms in exc.errors.values() for m in ms)},
            {version_id: note},
            400,
        )
    new_id = version.id
    _flash_saved(
        f"Les poids de la version n° {version_id} sont rétablis (nouvelle version n° {new_id})."
    )
    return redirect(url_for("pilotage.history_page"), code=303)
