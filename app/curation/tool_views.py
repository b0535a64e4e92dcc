"""Back office for tools (curators): the list, create and edit every field, preview as an
officer sees it, the workflow (draft → review → published → archived) and revision history.

Every save goes through the catalogue service (save_tool) with the API's marshmallow schema,
so the page, the API and imports validate alike and each save records a revision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, aliased
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.accounts.auth import current_user, role_required, signed_in_user
from app.catalogue import revisions, workflow
from app.catalogue.fields import (
    FACTOR_REFERENCES_MAX,
    FIELD_LABELS,
    LIST_LIMITS,
    REFERENCE_MAX,
    SHEET_MAX,
    TEXT_FIELDS,
    TEXT_LIMITS,
    count_fr,
)
from app.catalogue.lookups import tool_or_404
from app.catalogue.risk_factors import all_factors
from app.catalogue.schemas import ToolInSchema
from app.catalogue.scores import hold_prior
from app.catalogue.service import CatalogueError, restore_revision, save_tool
from app.catalogue.views import render_sheet
from app.core import vocabulary as v
from app.core.pagination import PAGE_INVALID, page_count, requested_page
from app.core.vocabulary import DRAFT, PUBLISHED
from app.curation.blueprint import bp
from app.db import among, db, like_pattern
from app.index_sync.notice import flash_saved
from app.models import IndexOutbox, RiskFactor, Tool, ToolRevision

PER_PAGE = 20
QUERY_MAX = 200
LIST_FIELDS = ("risk_factors", "stages", "setting", "responsivity")
SOURCES = {
    "web": "gestion du catalogue",
    "api": "API",
    "restore": "restauration",
    "system": "import ou commande",
}
# Messages for the page's lists and menus (the schema's name the slugs, for API clients).
CHOICE_MESSAGES = {
    "kind": "Choisissez le type d'outil dans la liste.",
    "phase": "Choisissez la phase du suivi dans la liste.",
    "modality": "Choisissez une modalité dans la liste.",
    "sessions": "Choisissez un nombre de séances dans la liste.",
    "stages": "Cochez des stades du changement parmi ceux proposés.",
    "setting": "Cochez un milieu parmi ceux proposés.",
    "responsivity": "Cochez des publics parmi ceux proposés.",
    "evidence_level": "Choisissez un niveau de preuve de 0 à 4.",
}


# The sheet's limits as the form's hints and maxlength attributes show them (the schema
# enforces them: app.catalogue.fields defines them once).
FORM_LIMITS: dict[str, Any] = {
    "maxlength": TEXT_LIMITS,
    "text": {name: count_fr(limit) for name, limit in TEXT_LIMITS.items()},
    "references": LIST_LIMITS["references"],
    "factor_references": FACTOR_REFERENCES_MAX,
    "reference": count_fr(REFERENCE_MAX),
    "sheet": count_fr(SHEET_MAX),
}


# -- the list ----------------------------------------------------------------------------

INDEX_STATES = {  # (label, DSFR badge kind)
    "ok": ("à jour", "success"),
    "pending": ("en attente d'indexation", "info"),
    "failed": ("en échec", "error"),
    "removing": ("retrait de l'index en attente", "info"),
    "out": ("hors index", None),
}


def index_states(session: Session, tools: Sequence[Tool] | Sequence[Row[Any]]) -> dict[int, str]:
    """Index state per tool from its outbox rows not yet done (pending or parked).

    A row a later successful push superseded does not count: each push sends the tool's
    current state, so that push carried the edit too.
    """
    ids = [t.id for t in tools]
    done = aliased(IndexOutbox)
    superseded = (
        select(done.id)
        .where(
            done.tool_id == IndexOutbox.tool_id, done.done_at.is_not(None), done.id > IndexOutbox.id
        )
        .exists()
    )
    rows = (
        session.execute(
            select(
                IndexOutbox.tool_id,
                func.count().filter(~IndexOutbox.parked),
                func.count().filter(IndexOutbox.parked),
            )
            .where(IndexOutbox.done_at.is_(None), among(IndexOutbox.tool_id, ids), ~superseded)
            .group_by(IndexOutbox.tool_id)
        ).all()
        if ids
        else []
    )
    queued = {tool_id: (pending, parked) for tool_id, pending, parked in rows}
    states: dict[int, str] = {}
    for t in tools:
        pending, parked = queued.get(t.id, (0, 0))
        if parked:
            states[t.id] = "failed"
        elif pending:
            states[t.id] = "pending" if t.status == PUBLISHED else "removing"
        else:
            states[t.id] = "ok" if t.status == PUBLISHED else "out"
    return states


def _list_filters(
    args: Mapping[str, str], factor_slugs: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    values = {
        "statut": args.get("statut", "").strip(),
        "facteur": args.get("facteur", "").strip(),
        "q": args.get("q", "").strip(),
        "page": args.get("page", "1").strip() or "1",
    }
    errors: dict[str, str] = {}
    if values["statut"] and values["statut"] not in v.slugs(v.STATUSES):
        errors["statut"] = "Statut inconnu : choisissez-en un dans la liste."
    if values["facteur"] and values["facteur"] not in factor_slugs:
        errors["facteur"] = "Facteur de risque inconnu : choisissez-en un dans la liste."
    if len(values["q"]) > QUERY_MAX:
        errors["q"] = f"La recherche fait {QUERY_MAX} caractères au plus."
    if requested_page(values["page"]) is None:
        errors["page"] = PAGE_INVALID
    return values, errors


@bp.get("/gestion/outils")
@role_required("curator")
def tool_list() -> str | tuple[str, int]:
    factors = all_factors(db.session)
    values, errors = _list_filters(request.args, [f.slug for f in factors])
    context = dict(
        values=values,
        errors=errors,
        v=v,
        index_labels=INDEX_STATES,
        factor_options=[(f.slug, f.label) for f in factors],
        status_options=[(s.slug, s.label) for s in v.STATUSES],
    )
    requested = requested_page(values["page"])
    if errors or requested is None:  # None: `errors` say so
        return render_template(
            "curation/tool_list.html", tools=[], total=0, page=1, pages=0, **context
        ), 400
    query = select(Tool.id, Tool.slug, Tool.title, Tool.status, Tool.updated_at)
    if values["statut"]:
        query = query.where(Tool.status == values["statut"])
    if values["facteur"]:
        query = query.where(Tool.risk_factors.any(RiskFactor.slug == values["facteur"]))
    if values["q"]:
        query = query.where(Tool.title.ilike(like_pattern(values["q"]), escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = page_count(total, PER_PAGE)
    page = min(requested, pages)
    tools = db.session.execute(
        query.order_by(Tool.updated_at.desc(), Tool.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    # Any: url_for's **values
    filters: dict[str, Any] = {k: values[k] for k in ("statut", "facteur", "q") if values[k]}
    return render_template(
        "curation/tool_list.html",
        tools=tools,
        total=total,
        page=page,
        pages=pages,
        states=index_states(db.session, tools),
        authors=revisions.last_authors(db.session, [t.id for t in tools]),
        page_url=lambda n: url_for("curation.tool_list", page=n, **filters),
        **context,
    )


# -- the form ----------------------------------------------------------------------------


def values_from_tool(tool: Tool | None) -> dict[str, Any]:
    """What the form shows for a tool (or the defaults of a new one)."""
    if tool is None:
        return {
            "kind": "outil",
            "phase": "intervention",
            "evidence_level": "0",
            "risk_factors": [],
            "stages": [],
            "setting": [],
            "responsivity": [],
            "references": "",
            "not_recommended": False,
            "harm_evidence": v.HARM_NONE,
            "factor_evidence": {},
        }
    values = {name: getattr(tool, name) or "" for name in TEXT_FIELDS}
    values.update(
        kind=tool.kind,
        phase=tool.phase,
        modality=tool.modality or "",
        sessions=tool.sessions or "",
        minutes_per_session=_number(tool.minutes_per_session),
        preparation_minutes=_number(tool.preparation_minutes),
        evidence_level=str(tool.evidence_level),
        not_recommended=tool.not_recommended,
        harm_evidence=tool.harm_evidence,
        references="\n".join(tool.references or []),
        factor_evidence={
            slug: {
                "evidence_level": "" if e["evidence_level"] is None else str(e["evidence_level"]),
                "references": "\n".join(e["references"]),
            }
            for slug, e in tool.factor_evidence.items()
        },
        last_review=tool.last_review.isoformat() if tool.last_review else "",
        risk_factors=tool.risk_factor_slugs,
        stages=list(tool.stages),
        setting=list(tool.setting),
        responsivity=list(tool.responsivity),
        slug=tool.slug,
    )
    return values


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def values_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form as the curator filled it in (kept as typed, to re-show it on error)."""
    values: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    values.update({name: form.getlist(name) for name in LIST_FIELDS})
    for name in (
        "slug",
        "kind",
        "phase",
        "modality",
        "sessions",
        "minutes_per_session",
        "preparation_minutes",
        "evidence_level",
        "references",
        "last_review",
    ):
        values[name] = form.get(name, "").strip()
    values["not_recommended"] = form.get("not_recommended") == "1"
    values["harm_evidence"] = form.get("harm_evidence", "").strip()
    values["factor_evidence"] = _factor_evidence_from_form(form)
    values["base_revision"] = form.get("base_revision", "").strip()
    return values


# One select and one text area per risk factor: "<prefix><factor slug>".
FACTOR_LEVEL_PREFIX, FACTOR_REFERENCES_PREFIX = "evidence_level__", "references__"


def _factor_evidence_from_form(form: MultiDict[str, str]) -> dict[str, dict[str, str]]:
    """The evidence typed per factor (kept as typed); a factor left at the tool's level and
    without references is not named."""
    typed: dict[str, dict[str, str]] = {}
    for key in form:
        for prefix, field in (
            (FACTOR_LEVEL_PREFIX, "evidence_level"),
            (FACTOR_REFERENCES_PREFIX, "references"),
        ):
            value = form.get(key, "").strip()
            if key.startswith(prefix) and value:
                typed.setdefault(key[len(prefix) :], {"evidence_level": "", "references": ""})
                typed[key[len(prefix) :]][field] = value
    return typed


def _date(text: str) -> str:
    """Accept JJ/MM/AAAA as well as the ISO date a date input sends."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    return f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}" if match else text


def schema_input(values: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The form's values in the shape of the API's schema (empty optional fields → null)."""
    data = {
        name: values[name].strip() if name == "title" else values[name].replace("\r\n", "\n")
        for name in TEXT_FIELDS
    }
    data.update({name: values[name] for name in LIST_FIELDS})
    data["references"] = [
        line.strip() for line in values["references"].splitlines() if line.strip()
    ]
    data["not_recommended"] = values["not_recommended"]
    data["harm_evidence"] = values["harm_evidence"] or v.HARM_NONE
    data["factor_evidence"] = {
        slug: {
            "evidence_level": typed["evidence_level"] or None,
            "references": [
                line.strip() for line in typed["references"].splitlines() if line.strip()
            ],
        }
        for slug, typed in values["factor_evidence"].items()
    }
    for name in ("kind", "phase", "evidence_level"):
        data[name] = values[name]
    for name in ("modality", "sessions", "minutes_per_session", "preparation_minutes"):
        data[name] = values[name] or None
    data["last_review"] = _date(values["last_review"]) or None
    if creating and values.get("slug"):
        data["slug"] = values["slug"]
    return data


def _flatten(messages: object) -> str:
    if isinstance(messages, dict):
        return " ".join(dict.fromkeys(_flatten(m) for m in messages.values()))
    if isinstance(messages, (list, tuple)):
        return " ".join(dict.fromkeys(_flatten(m) for m in messages))
    return str(messages)


# The form's fields, in the order the form shows them: the error summary follows it.
FORM_FIELDS = (
    "title",
    "slug",
    "summary",
    "kind",
    "phase",
    "risk_factors",
    "protective_factors",
    "stages",
    "setting",
    "responsivity",
    "modality",
    "sessions",
    "minutes_per_session",
    "preparation_minutes",
    "instructions",
    "precautions",
    "evidence_level",
    "not_recommended",
    "harm_evidence",
    "references",
    "factor_evidence",
    "last_review",
    "author_name",
    "author_role",
    "author_structure",
    "author_contact",
)


def form_errors(messages: Mapping[str, Any]) -> dict[str, str]:
    """One French message per field, in the form's order (fields it does not show last)."""
    errors: dict[str, str] = {}
    order = {name: n for n, name in enumerate(FORM_FIELDS)}
    for name in sorted(messages, key=lambda name: order.get(name, len(order))):
        text = _flatten(messages[name])
        if name in CHOICE_MESSAGES and "inconnu" in text:
            text = CHOICE_MESSAGES[name]
        errors[name] = text
    return errors


def _render_form(
    tool: Tool | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    conflict: ToolRevision | None = None,
) -> tuple[str, int]:
    return render_template(
        "curation/tool_form.html",
        tool=tool,
        values=values,
        errors=errors,
        v=v,
        conflict=conflict,
        form_fields=FORM_FIELDS,
        labels=FIELD_LABELS,
        limits=FORM_LIMITS,
        factor_options=[(f.slug, f.label) for f in all_factors(db.session)],
        options=lambda terms: [(t.slug, t.label) for t in terms],
    ), status


def _save_form(tool: Tool | None) -> Response | tuple[str, int]:
    """Validate with the API's schema, save through the catalogue service; re-show on error."""
    creating = tool is None
    values = values_from_form(request.form)
    if tool is not None:  # not creating
        # The scores' prior before the tool's row (app.catalogue.scores: the two in this order)
        hold_prior(db.session)
        # Someone saved the sheet since this form was opened: show it rather than overwrite it.
        # The row lock makes a concurrent save wait here, then see the other's revision.
        db.session.refresh(tool, with_for_update=True)
        latest = revisions.latest(db.session, tool.id)
        if latest is not None and values["base_revision"] not in ("", str(latest.number)):
            values["base_revision"] = str(latest.number)  # saving again replaces it, knowingly
            return _render_form(tool, values, {}, 409, conflict=latest)
    try:
        data = ToolInSchema().load(schema_input(values, creating))
        if creating:
            data["status"] = DRAFT  # a new tool starts as a draft, whatever is posted
        else:
            data.pop("status")  # the status changes through the workflow only
        tool = save_tool(db.session, data, tool, author=current_user(), source="web")
    except ValidationError as exc:
        db.rollback()
        return _render_form(None if creating else tool, values, form_errors(exc.messages_dict), 400)
    except CatalogueError as exc:
        db.rollback()
        return _render_form(None if creating else tool, values, form_errors(exc.errors), 400)
    slug = tool.slug
    flash_saved(
        "L'outil est créé en brouillon." if creating else "Les modifications sont enregistrées."
    )
    return redirect(url_for("curation.tool_detail", slug=slug), code=303)


@bp.route("/gestion/outils/nouveau", methods=["GET", "POST"])
@role_required("curator")
def tool_new() -> Response | tuple[str, int]:
    if request.method == "POST":
        return _save_form(None)
    return _render_form(None, values_from_tool(None), {})


@bp.route("/gestion/outils/<slug>/modifier", methods=["GET", "POST"])
@role_required("curator")
def tool_edit(slug: str) -> Response | tuple[str, int]:
    tool = tool_or_404(slug)
    if request.method == "POST":
        return _save_form(tool)
    values = values_from_tool(tool)
    latest = revisions.latest(db.session, tool.id)
    values["base_revision"] = str(latest.number) if latest else ""
    return _render_form(tool, values, {})


# -- the tool's page, preview and workflow -----------------------------------------------


@bp.get("/gestion/outils/<slug>")
@role_required("curator")
def tool_detail(slug: str) -> str:
    tool = tool_or_404(slug)
    history = revisions.history(db.session, tool)
    return render_template(
        "curation/tool_detail.html",
        tool=tool,
        v=v,
        steps=workflow.steps(db.session, tool),
        transitions=workflow.allowed(tool.status),
        note_max=workflow.NOTE_MAX,
        state=index_states(db.session, [tool])[tool.id],
        index_labels=INDEX_STATES,
        revisions=history[:5],
        revision_count=len(history),
        sources=SOURCES,
        labels=FIELD_LABELS,
    )


@bp.post("/gestion/outils/<slug>/statut")
@role_required("curator")
def tool_transition(slug: str) -> Response:
    tool = tool_or_404(slug)
    target = request.form.get("vers", "")
    try:
        workflow.transition(db.session, tool, target, current_user(), request.form.get("note", ""))
    except workflow.WorkflowError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("curation.tool_detail", slug=slug), code=303)
    if target == PUBLISHED:
        flash_saved("L'outil est publié : les agents le trouvent dans la recherche.")
    else:
        flash_saved(
            f"L'outil passe au statut « {v.label(v.STATUSES, target)} » : "
            "il n'apparaît pas dans la recherche."
        )
    return redirect(url_for("curation.tool_detail", slug=slug), code=303)


@bp.get("/gestion/outils/<slug>/apercu")
@role_required("curator")
def tool_preview(slug: str) -> tuple[str, int]:
    """The officer's own sheet (same view code, same template), with a banner on top."""
    tool = tool_or_404(slug)
    status = v.label(v.STATUSES, tool.status)
    visibility = (
        "elle est visible des agents et dans la recherche"
        if tool.status == PUBLISHED
        else "elle n'est pas visible des agents ni dans la recherche"
    )
    back = url_for("curation.tool_detail", slug=tool.slug)
    flash(
        Markup(
            "<strong>Aperçu</strong> : la fiche telle qu'un agent la verra. Statut : "
            '{status} ({visibility}). <a href="{back}">Retour à la gestion de l\'outil</a>'
        ).format(status=status, visibility=visibility, back=back),
        "info" if tool.status == PUBLISHED else "warning",
    )
    return render_sheet(tool)


# -- revisions ---------------------------------------------------------------------------


def _revision_or_404(tool: Tool, number: int) -> ToolRevision:
    revision = revisions.get(db.session, tool, number)
    if revision is None:
        abort(404)
    return revision


@bp.get("/gestion/outils/<slug>/historique")
@role_required("curator")
def tool_history(slug: str) -> str:
    tool = tool_or_404(slug)
    return render_template(
        "curation/tool_history.html",
        tool=tool,
        v=v,
        revisions=revisions.history(db.session, tool),
        sources=SOURCES,
        labels=FIELD_LABELS,
    )


@bp.get("/gestion/outils/<slug>/historique/<int:number>")
@role_required("curator")
def revision_diff(slug: str, number: int) -> str:
    tool = tool_or_404(slug)
    revision = _revision_or_404(tool, number)
    before = revisions.previous(db.session, revision)
    latest = revisions.latest(db.session, tool.id)
    return render_template(
        "curation/revision_diff.html",
        tool=tool,
        v=v,
        revision=revision,
        before=before,
        is_latest=latest is not None and latest.id == revision.id,
        sources=SOURCES,
        changes=revisions.diff(db.session, before.snapshot if before else None, revision.snapshot),
    )


@bp.post("/gestion/outils/<slug>/historique/<int:number>/restaurer")
@role_required("curator")
def revision_restore(slug: str, number: int) -> Response:
    tool = tool_or_404(slug)
    revision = _revision_or_404(tool, number)
    try:
        new = restore_revision(db.session, tool, revision, signed_in_user())
    except CatalogueError as exc:
        db.rollback()
        flash(
            "Cette version ne peut pas être restaurée telle quelle : "
            + " ".join(_flatten(m) for m in exc.errors.values()),
            "error",
        )
        return redirect(url_for("curation.revision_diff", slug=slug, number=number), code=303)
    new_number = new.number
    flash_saved(f"La version {number} est restaurée : elle devient la version {new_number}.")
    return redirect(url_for("curation.tool_history", slug=slug), code=303)
