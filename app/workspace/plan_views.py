"""The plan's pages: choose factors and stages, get a plan of sessions, swap, remove and
reorder its tools (plain GET forms: the plan lives in the address until it is saved), print
it, download it as a PDF or as a session pack; save it under a label, list and delete saved
plans."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.accounts.auth import current_user, role_required, signed_in_user
from app.core import vocabulary as v
from app.core.refusals import Refused
from app.db import db
from app.models.plans import SavedPlan
from app.search.service import explanation_context
from app.workspace.blueprint import bp
from app.workspace.pack import Cover, FactorStageLabel, build_pack, plan_pdf, time_needed
from app.workspace.pack_views import pdf_response
from app.workspace.plans import (
    LABEL_MAX,
    MAX_FACTORS,
    MAX_SAVED_PLANS,
    MAX_TOOLS,
    MINUTES_MAX,
    MINUTES_MIN,
    PLAN_MODALITIES,
    SESSIONS_MAX,
    SESSIONS_MIN,
    FactorStage,
    Plan,
    PlanState,
    build_plan,
    delete_plan,
    edit,
    own_plan,
    plan_arguments,
    read_plan,
    save_plan,
    saved_plans,
    saved_state,
    update_plan,
)

# what the form offers before anything is chosen
DEFAULTS = {"modalite": "individuelle", "seances": "6", "minutes": "45"}
_CRITERIA = ("facteur", "modalite", "seances", "minutes")


def plan_url(state: PlanState, saved: int | None = None) -> str:
    pairs = state.args()
    if saved is not None:
        pairs.append(("plan", str(saved)))
    return f"{url_for('workspace.plan_page')}?{urlencode(pairs)}"


def _labels() -> dict[str, str]:
    return explanation_context(db.session)[0]


def _saved_from(args: MultiDict[str, str]) -> SavedPlan | None:
    """The saved plan the page was opened from (`plan=<id>`), if it is this officer's."""
    raw = args.get("plan", "")
    user = current_user()
    if not raw.isdigit() or len(raw) > 12 or user is None:
        return None
    return own_plan(db.session, user, int(raw))


def _form_values(args: MultiDict[str, str]) -> dict[str, Any]:
    """The criteria form's values: what was sent, else the defaults (four rows of factors)."""
    factors = args.getlist("facteur")[:MAX_FACTORS]
    stages = args.getlist("stade")[:MAX_FACTORS]
    rows = [
        (factors[n] if n < len(factors) else "", stages[n] if n < len(stages) else "")
        for n in range(MAX_FACTORS)
    ]
    values: dict[str, Any] = {k: args.get(k, DEFAULTS[k]) for k in DEFAULTS}
    values["rows"] = rows
    return values


def _render(
    args: MultiDict[str, str],
    plan: Plan | None,
    errors: dict[str, str],
    status: int = 200,
    label: str = "",
) -> tuple[str, int]:
    labels = _labels()
    saved = _saved_from(args)
    return render_template(
        "workspace/plan.html",
        plan=plan,
        errors=errors,
        form=_form_values(args),
        labels=labels,
        saved=saved,
        label=label or (saved.label if saved else ""),
        label_max=LABEL_MAX,
        plan_url=(lambda state: plan_url(state, saved.id if saved else None)),
        plan_modalities=[(m, v.label(v.MODALITIES, m)) for m in PLAN_MODALITIES],
        limits=dict(
            sessions=(SESSIONS_MIN, SESSIONS_MAX),
            minutes=(MINUTES_MIN, MINUTES_MAX),
            factors=MAX_FACTORS,
            tools=MAX_TOOLS,
        ),
        time_needed=time_needed,
        v=v,
    ), status


def _state_or_errors(args: MultiDict[str, str]) -> PlanState | dict[str, str]:
    try:
        return read_plan(plan_arguments(args), _labels())
    except Refused as exc:
        return exc.flat()


@bp.get("/plan")
@role_required("agent")
def plan_page() -> Response | tuple[str, int]:
    args = request.args
    if not any(name in args for name in _CRITERIA):
        return _render(args, None, {})
    state = _state_or_errors(args)
    if isinstance(state, dict):
        return _render(args, None, state, 400)
    action = args.get("action", "")
    if action and state.items is not None:
        saved = _saved_from(args)
        changed = edit(state, action[:60], args)
        return redirect(plan_url(changed, saved.id if saved else None), code=303)
    return _render(args, build_plan(db.session, state, current_user()), {})


def _plan_or_page(args: MultiDict[str, str]) -> Plan | tuple[str, int]:
    state = _state_or_errors(args)
    if isinstance(state, dict):
        return _render(args, None, state, 400)
    return build_plan(db.session, state, current_user())


@bp.get("/plan/plan.pdf")
@role_required("agent")
def plan_pdf_download() -> Response | tuple[str, int]:
    plan = _plan_or_page(request.args)
    if not isinstance(plan, Plan):
        return plan
    return pdf_response(plan_pdf(plan, _labels()), "plan-d-intervention.pdf")


@bp.get("/plan/dossier-de-seance.pdf")
@role_required("agent")
def plan_pack() -> Response | tuple[str, int]:
    """The plan's session pack: the plan as its cover, then the tools ticked (all of them
    when the address comes from a link rather than the form, which says `choix`)."""
    args = request.args
    plan = _plan_or_page(args)
    if not isinstance(plan, Plan):
        return plan
    tools = [p.tool for p in plan.tools]
    if "choix" in args:
        ticked = set(args.getlist("inclure"))
        tools = [t for t in tools if t.slug in ticked]
    if not tools:
        return _render(
            args,
            plan,
            {"inclure": "Cochez au moins un outil du plan pour le dossier de séance."},
            400,
        )
    labels = _labels()
    cover = Cover([_factor_label(c, labels) for c in plan.state.factors], plan.state.modality, plan)
    return pdf_response(build_pack(tools, cover), "dossier-de-seance.pdf")


def _factor_label(choice: FactorStage, labels: dict[str, str]) -> FactorStageLabel:
    return FactorStageLabel(choice.factor, labels.get(choice.factor, choice.factor), choice.stage)


# -- saved plans -----------------------------------------------------------------------------


@bp.get("/mes-plans")
@role_required("agent")
def plan_list() -> str:
    labels = _labels()
    plans = saved_plans(db.session, signed_in_user())
    return render_template(
        "workspace/plan_list.html",
        plans=[(plan, saved_state(plan, labels)) for plan in plans],
        labels=labels,
        max_saved=MAX_SAVED_PLANS,
        v=v,
    )


def _save(plan_id: int | None) -> Response | tuple[str, int]:
    form = request.form
    user = signed_in_user()
    saved = None
    if plan_id is not None:
        saved = own_plan(db.session, user, plan_id)
        if saved is None:
            abort(404)
    state = _state_or_errors(form)
    if isinstance(state, dict):
        return _render(form, None, state, 400)
    plan = build_plan(db.session, state, user)
    label = form.get("libelle", "")
    try:
        if saved is None:
            saved = save_plan(db.session, user, label, plan.state)
        else:
            saved = update_plan(db.session, saved, label, plan.state)
    except Refused as exc:
        return _render(form, plan, exc.flat(), 400, label=label[: LABEL_MAX * 2])
    flash(f"Le plan « {saved.label} » est enregistré.", "success")
    return redirect(plan_url(plan.state, saved.id), code=303)


@bp.post("/mes-plans")
@role_required("agent")
def plan_save() -> Response | tuple[str, int]:
    return _save(None)


@bp.post("/mes-plans/<int:plan_id>")
@role_required("agent")
def plan_update(plan_id: int) -> Response | tuple[str, int]:
    return _save(plan_id)


@bp.get("/mes-plans/<int:plan_id>")
@role_required("agent")
def plan_open(plan_id: int) -> Response:
    saved = own_plan(db.session, signed_in_user(), plan_id)
    if saved is None:
        abort(404)
    state = saved_state(saved, _labels())
    if state is None:
        flash(
            f"Le plan « {saved.label} » ne peut plus être ouvert : un de ses facteurs n'existe "
            "plus. Vous pouvez le supprimer.",
            "error",
        )
        return redirect(url_for("workspace.plan_list"), code=303)
    return redirect(plan_url(state, saved.id), code=303)


@bp.post("/mes-plans/<int:plan_id>/supprimer")
@role_required("agent")
def plan_delete(plan_id: int) -> Response:
    saved = own_plan(db.session, signed_in_user(), plan_id)
    if saved is None:
        abort(404)
    label = saved.label
    delete_plan(db.session, saved)
    flash(f"Le plan « {label} » est supprimé.", "success")
    return redirect(url_for("workspace.plan_list"), code=303)
