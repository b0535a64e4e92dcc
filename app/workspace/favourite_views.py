"""« Ma boîte à outils »: the page, adding and removing a tool (from its card or its sheet), and
the note on a tool. Plain forms that work without JavaScript; after adding or removing, the
officer is back where they were (a path on this site only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.auth import role_required, signed_in_user
from app.catalogue.service import get_tool
from app.core import vocabulary as v
from app.core.local_paths import local_path
from app.db import db
from app.models import Favourite, Tool
from app.workspace.blueprint import bp
from app.workspace.favourites import (
    NOTE_FIELD,
    NOTE_MAX,
    WorkspaceRefused,
    add_favourite,
    favourite_of,
    remove_favourite,
    save_note,
    toolbox,
)

PAGE = "workspace.favourites"


def _back(default: str = PAGE) -> Response:
    """Back to the page the form came from (`retour`), else to `default`."""
    target = local_path(request.form.get("retour")) or url_for(default)
    return redirect(target, code=303)


def _posted_tool() -> Tool:
    """The tool the form names (`outil`: its slug); 400 without one, 404 for an unknown one."""
    slug = request.form.get("outil", "").strip()
    if not slug:
        abort(400)
    tool = get_tool(db.session, slug)
    if tool is None:
        abort(404)
    return tool


@bp.get("/ma-boite-a-outils")
@role_required("agent")
def favourites() -> str:
    return render_template(
        "workspace/favourites.html", box=toolbox(db.session, signed_in_user()), v=v
    )


@bp.post("/ma-boite-a-outils/ajouter", endpoint="add_favourite")
@role_required("agent")
def add_favourite_view() -> Response:
    tool = _posted_tool()
    if tool.status != v.PUBLISHED:
        abort(404)  # as its sheet: officers do not see unpublished tools
    try:
        added = add_favourite(db.session, signed_in_user(), tool)
    except WorkspaceRefused as exc:  # published was checked: kept for the service's own rule
        flash(exc.text(), "error")
        return _back()
    if added:
        flash(f"« {tool.title} » est dans votre boîte à outils.", "success")
    else:
        flash(f"« {tool.title} » était déjà dans votre boîte à outils.", "info")
    return _back()


@bp.post("/ma-boite-a-outils/retirer", endpoint="remove_favourite")
@role_required("agent")
def remove_favourite_view() -> Response:
    tool = _posted_tool()
    if remove_favourite(db.session, signed_in_user(), tool.id):
        flash(f"« {tool.title} » n'est plus dans votre boîte à outils.", "success")
    else:
        flash(f"« {tool.title} » n'était pas dans votre boîte à outils.", "info")
    return _back()


def _own_favourite(slug: str) -> Favourite:
    favourite = favourite_of(db.session, signed_in_user(), slug)
    if favourite is None:
        abort(404)
    return favourite


def _note_page(
    favourite: Favourite, note: str, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "workspace/note.html",
        favourite=favourite,
        note=note,
        error=error,
        note_max=NOTE_MAX,
    ), status


@bp.get("/ma-boite-a-outils/<slug>/note")
@role_required("agent")
def edit_note(slug: str) -> tuple[str, int]:
    favourite = _own_favourite(slug)
    return _note_page(favourite, favourite.note)


@bp.post("/ma-boite-a-outils/<slug>/note", endpoint="save_note")
@role_required("agent")
def save_note_view(slug: str) -> Response | tuple[str, int]:
    favourite = _own_favourite(slug)
    note = request.form.get("note", "")
    try:
        save_note(db.session, favourite, note)
    except WorkspaceRefused as exc:
        return _note_page(favourite, note, exc.flat().get(NOTE_FIELD), 400)
    flash(f"Votre note sur « {favourite.tool.title} » est enregistrée.", "success")
    return redirect(url_for(PAGE) + f"#outil-{favourite.tool.slug}", code=303)
