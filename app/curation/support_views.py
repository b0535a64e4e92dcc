"""Back office: a tool's supports (upload, replace, retitle, reorder, remove), for curators.

Every change goes through app.catalogue.supports (checked by content, files that follow the
transaction) and reaches the index through the outbox: a Support row that changes marks its
tool (app.index_sync.hooks).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app.accounts.auth import current_user, has_role, role_required
from app.catalogue import supports as service
from app.catalogue.lookups import tool_or_404
from app.catalogue.service import get_tool
from app.curation.blueprint import bp
from app.db import db
from app.errors import render_error
from app.models import Support, Tool

# Two curators sent a file of the same name to the same tool at the same moment.
CONCURRENT = (
    "Un autre support du même nom vient d'être enregistré pour cet outil : rien n'a "
    "été enregistré ; choisissez à nouveau le fichier et envoyez-le."
)


def _support(tool: Tool, support_id: int, lock: bool = False) -> Support:
    """The tool's support; `lock` makes a concurrent removal wait, then find nothing (404)."""
    support = db.session.get(Support, support_id, with_for_update=lock)
    if support is None or support.tool_id != tool.id:
        abort(404)
    return support


def _render(
    tool: Tool,
    *,
    errors: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    edit_errors: Mapping[int, Mapping[str, str]] | None = None,
    edit_form: Mapping[int, Mapping[str, str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The page; `errors`/`form` belong to the upload form, `edit_*` to one support's form
    (keyed by its id), so a refused file is explained right where it was sent."""
    return render_template(
        "curation/supports.html",
        tool=tool,
        supports=sorted(tool.supports, key=lambda s: (s.position, s.id)),
        errors=errors or {},
        form=form or {},
        edit_errors=edit_errors or {},
        edit_form=edit_form or {},
        limit=service.size_limit(),
        title_max=service.TITLE_MAX,
    ), status


def _uploaded() -> tuple[str, bytes] | None:
    """(filename, bytes) of the form's file, or None when no file was chosen."""
    upload = request.files.get("fichier")
    if upload is None or not upload.filename:
        return None
    return upload.filename, upload.read()


@bp.get("/gestion/outils/<slug>/supports")
@role_required("curator")
def supports_page(slug: str) -> tuple[str, int]:
    return _render(tool_or_404(slug))


@bp.post("/gestion/outils/<slug>/supports")
@role_required("curator")
def upload_support(slug: str) -> Response | tuple[str, int]:
    tool = tool_or_404(slug)
    title = request.form.get("titre", "")
    errors: dict[str, str] = {}
    try:
        title = service.check_title(title)
    except service.SupportRejected as exc:
        errors["titre"] = str(exc)
    sent = _uploaded()
    if sent is None:
        errors["fichier"] = "Choisissez le fichier à envoyer."
    if errors or sent is None:
        return _render(tool, errors=errors, form=request.form, status=400)
    try:
        with db.session.begin_nested():
            support = service.upload_support(db.session, tool, sent[0], sent[1], title)
    except service.SupportRejected as exc:
        return _render(
            tool,
            errors={"fichier": f"« {sent[0]} » est refusé : {exc}"},
            form=request.form,
            status=400,
        )
    except IntegrityError:  # the savepoint is gone, and with it the file it wrote
        return _render(tool, errors={"fichier": CONCURRENT}, form=request.form, status=409)
    flash(f"Le support « {support.title} » est ajouté ({support.filename}).", "success")
    return redirect(url_for(".supports_page", slug=tool.slug), code=303)


@bp.post("/gestion/outils/<slug>/supports/<int:support_id>/modifier")
@role_required("curator")
def edit_support(slug: str, support_id: int) -> Response | tuple[str, int]:
    """Retitle a support and/or replace its file (it keeps its place)."""
    tool = tool_or_404(slug)
    support = _support(tool, support_id, lock=True)
    try:
        title = service.check_title(request.form.get("titre", ""))
    except service.SupportRejected as exc:
        return _render(
            tool,
            edit_errors={support.id: {"titre": str(exc)}},
            edit_form={support.id: request.form},
            status=400,
        )
    sent = _uploaded()
    if sent is None and title == support.title:
        flash("Rien à modifier : changez le titre ou choisissez un nouveau fichier.", "info")
        return redirect(
            url_for(".supports_page", slug=tool.slug) + f"#support-{support.id}", code=303
        )
    if sent is not None:
        try:
            with db.session.begin_nested():
                service.replace_support(db.session, support, sent[0], sent[1])
        except service.SupportRejected as exc:
            message = f"« {sent[0]} » est refusé : {exc}"
            return _render(
                tool,
                edit_errors={support.id: {"fichier": message}},
                edit_form={support.id: request.form},
                status=400,
            )
        except IntegrityError:
            return _render(
                tool,
                edit_errors={support.id: {"fichier": CONCURRENT}},
                edit_form={support.id: request.form},
                status=409,
            )
    support.title = title
    db.session.flush()
    flash(
        f"Le support « {support.title} » est mis à jour"
        + (f" (nouveau fichier : {support.filename})." if sent else "."),
        "success",
    )
    return redirect(url_for(".supports_page", slug=tool.slug) + f"#support-{support.id}", code=303)


@bp.post("/gestion/outils/<slug>/supports/<int:support_id>/deplacer")
@role_required("curator")
def move_support(slug: str, support_id: int) -> Response:
    tool = tool_or_404(slug)
    support = _support(tool, support_id)
    direction = request.form.get("sens")
    if direction not in ("monter", "descendre"):
        abort(400, "Sens de déplacement inconnu : monter ou descendre.")
    moved = service.move_support(db.session, support, -1 if direction == "monter" else 1)
    if moved:
        flash(
            f"« {support.title} » est {'monté' if direction == 'monter' else 'descendu'} "
            f"à la position {support.position + 1}.",
            "success",
        )
    else:
        end = "le premier" if direction == "monter" else "le dernier"
        flash(f"« {support.title} » est déjà {end}.", "info")
    return redirect(url_for(".supports_page", slug=tool.slug) + f"#support-{support.id}", code=303)


@bp.get("/gestion/outils/<slug>/supports/<int:support_id>/supprimer")
@role_required("curator")
def confirm_remove_support(slug: str, support_id: int) -> str:
    tool = tool_or_404(slug)
    return render_template(
        "curation/supports_remove.html", tool=tool, support=_support(tool, support_id)
    )


@bp.post("/gestion/outils/<slug>/supports/<int:support_id>/supprimer")
@role_required("curator")
def remove_support(slug: str, support_id: int) -> Response:
    tool = tool_or_404(slug)
    support = _support(tool, support_id, lock=True)
    title = support.title
    service.remove_support(db.session, support)
    flash(f"Le support « {title} » est supprimé.", "success")
    return redirect(url_for(".supports_page", slug=tool.slug), code=303)


# The pages that take a file: a request over the limit elsewhere in the back office gets the
# plain 413 page.
_UPLOAD_ENDPOINTS = {"curation.upload_support", "curation.edit_support"}


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """A file over the limit is refused before any view runs (Flask's MAX_CONTENT_LENGTH):
    explain it on the page itself, to curators only (the role check has not run yet)."""
    if request.endpoint not in _UPLOAD_ENDPOINTS:
        return render_error(413)
    user = current_user()
    slug = (request.view_args or {}).get("slug")
    tool = get_tool(db.session, slug) if slug else None
    if user is None or not has_role(user, "curator") or tool is None:
        return render_error(413)
    message = (
        f"Le fichier dépasse la taille maximale de {service.size_limit()} : il n'a pas été "
        "enregistré. Réduisez-le (par exemple en PDF compressé) ou découpez-le."
    )
    support_id = (request.view_args or {}).get("support_id")
    if support_id is not None:
        support = db.session.get(Support, support_id)
        if support is not None and support.tool_id == tool.id:
            return _render(tool, edit_errors={support.id: {"fichier": message}}, status=413)
    return _render(tool, errors={"fichier": message}, status=413)
