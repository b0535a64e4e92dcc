"""Accounts and roles (admins only): everyone signs in with ProConnect as an `agent`; admins
grant the other roles here, and deactivate or reactivate accounts."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.auth import current_user, role_required
from app.db import db
from app.models import User
from app.services.accounts import AccountError, list_accounts, set_active, set_role
from app.french_dates import fr_datetime

bp = Blueprint("admin", __name__, url_prefix="/admin")


ROLE_LABELS = {
    "agent": "Agent (CPIP)",
    "curator": "Référent catalogue",
    "staff": "Appui (pilotage)",
    "admin": "Administrateur",
}


def _query() -> str:
    return request.values.get("q", "").strip()[:100]


def _page(errors: dict | None = None, submitted: dict | None = None, status: int = 200):
    query = _query()
    return render_template("admin/accounts.html", users=list_accounts(db.session, query), q=query,
                           role_labels=ROLE_LABELS, errors=errors or {},
                           submitted=submitted or {}, me=current_user(), when=fr_datetime), status


def _back():
    return redirect(url_for("admin.accounts", q=_query() or None), code=303)


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/comptes")
@role_required("admin")
def accounts():
    return _page()


@bp.post("/comptes/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    user = _account(user_id)
    role = request.form.get("role", "")
    try:
        set_role(db.session, current_user(), user, role)
    except AccountError as exc:
        return _page(errors={user.id: str(exc)}, submitted={user.id: role}, status=400)
    flash(f"{user.email} a désormais le rôle « {ROLE_LABELS[role]} ».", "success")
    return _back()


@bp.post("/comptes/<int:user_id>/statut")
@role_required("admin")
def change_status(user_id: int):
    user = _account(user_id)
    action = request.form.get("action", "")
    if action not in ("desactiver", "reactiver"):
        return _page(errors={user.id: "Choisissez de désactiver ou de réactiver ce compte."},
                     status=400)
    try:
        set_active(db.session, current_user(), user, action == "reactiver")
    except AccountError as exc:
        return _page(errors={user.id: str(exc)}, status=400)
    flash(f"Le compte {user.email} est {'réactivé' if user.is_active else 'désactivé'}.", "success")
    return _back()
