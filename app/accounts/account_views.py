"""Accounts and roles (admins only): everyone signs in with ProConnect as an `agent`; admins
grant the other roles here, and deactivate or reactivate accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.auth import current_user, role_required, signed_in_user
from app.accounts.blueprint import bp
from app.accounts.service import AccountError, count_accounts, list_accounts, set_active, set_role
from app.core.dates import fr_datetime
from app.core.pagination import PAGE_INVALID, page_count, requested_page
from app.db import db
from app.models import User

PER_PAGE = 25  # two forms per account: short pages


ROLE_LABELS = {
    "agent": "Agent (CPIP)",
    "curator": "Référent catalogue",
    "staff": "Appui (pilotage)",
    "admin": "Administrateur",
}


def _query() -> str:
    return request.values.get("q", "").strip()[:100]


FormValues = dict[tuple[int, str], str]  # (account id, "role" or "status") → text


def _page(
    errors: FormValues | None = None, submitted: FormValues | None = None, status: int = 200
) -> tuple[str, int]:
    """The list, one page; `errors` and `submitted` are keyed by (account id, "role" or
    "status")."""
    query, page, page_error = _query(), requested_page(request.args.get("page")), None
    if page is None:
        page, page_error, status = 1, PAGE_INVALID, 400
    total = count_accounts(db.session, query)
    pages = page_count(total, PER_PAGE)
    page = min(page, pages)
    users = list_accounts(db.session, query, (page - 1) * PER_PAGE, PER_PAGE)
    errors = errors or {}
    shown = {user.id for user in users}
    elsewhere = [
        (db.session.get(User, user_id), message)
        for (user_id, _field), message in errors.items()
        if user_id not in shown
    ]
    return render_template(
        "accounts/accounts.html",
        users=users,
        total=total,
        page=page,
        pages=pages,
        page_error=page_error,
        q=query,
        role_labels=ROLE_LABELS,
        errors=errors,
        elsewhere=elsewhere,
        submitted=submitted or {},
        me=current_user(),
        when=fr_datetime,
        page_url=lambda n: url_for("accounts.accounts", q=query or None, page=n),
        action_url=lambda endpoint, user: url_for(
            endpoint, user_id=user.id, q=query or None, page=page if page > 1 else None
        ),
    ), status


def _back() -> Response:
    """To the list, on the page and with the search the form was sent from."""
    page = requested_page(request.args.get("page"))
    return redirect(
        url_for("accounts.accounts", q=_query() or None, page=page if page and page > 1 else None),
        code=303,
    )


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin/comptes")
@role_required("admin")
def accounts() -> tuple[str, int]:
    return _page()


@bp.post("/admin/comptes/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int) -> Response | tuple[str, int]:
    user = _account(user_id)
    role = request.form.get("role", "")
    try:
        set_role(db.session, signed_in_user(), user, role)
    except AccountError as exc:
        return _page(
            errors={(user.id, "role"): str(exc)}, submitted={(user.id, "role"): role}, status=400
        )
    flash(f"{user.email} a désormais le rôle « {ROLE_LABELS[role]} ».", "success")
    return _back()


@bp.post("/admin/comptes/<int:user_id>/statut")
@role_required("admin")
def change_status(user_id: int) -> Response | tuple[str, int]:
    user = _account(user_id)
    action = request.form.get("action", "")
    if action not in ("desactiver", "reactiver"):
        return _page(
            errors={(user.id, "status"): "Choisissez de désactiver ou de réactiver ce compte."},
            status=400,
        )
    try:
        set_active(db.session, signed_in_user(), user, action == "reactiver")
    except AccountError as exc:
        return _page(errors={(user.id, "status"): str(exc)}, status=400)
    flash(f"Le compte {user.email} est {'réactivé' if user.is_active else 'désactivé'}.", "success")
    return _back()
