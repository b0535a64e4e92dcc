"""Local sign-in (argon2), for accounts created with `romin user create`."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.auth import current_user, login as login_user, logout as logout_user, public, verify_password
from app.db import db
from app.services.accounts import find_user

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return url_for("search.search_page")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("search.search_page")
    return target


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return render_template("login.html", next_url=next_url, errors={}, email="")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors = {}
    if not email:
        errors["email"] = "Saisissez votre adresse électronique."
    if not password:
        errors["password"] = "Saisissez votre mot de passe."
    if not errors:
        user = find_user(db.session, email)
        if verify_password(user, password):
            login_user(user)
            flash("Vous êtes connecté(e).", "success")
            return redirect(next_url, code=303)
        errors["form"] = "Adresse électronique ou mot de passe incorrect."
    return render_template("login.html", next_url=next_url, errors=errors, email=email), 400


@bp.post("/deconnexion")
@public
def logout():
    logout_user()
    flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("search.search_page"), code=303)
