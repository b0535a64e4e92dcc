"""Signing in and out: ProConnect (OpenID Connect) and, in development only, a local password.

The password form exists only when LOCAL_LOGIN_ENABLED is set (never in production, see
app/config.py); ProConnect only when PROCONNECT_ISSUER is. A refused ProConnect sign-in shows
a French page and leaves no session and no account (the request's transaction is rolled back:
its status is 4xx/5xx).
"""

from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from app.accounts import proconnect
from app.accounts.auth import current_user, forget_session, public, verify_password
from app.accounts.auth import login as login_user
from app.accounts.auth import logout as logout_user
from app.accounts.blueprint import bp
from app.accounts.service import SignInRefused, find_user, sign_in_with_proconnect
from app.core.local_paths import local_path
from app.db import db

log = logging.getLogger(__name__)

_NEXT_KEY = "proconnect_next"
_ID_TOKEN_KEY = "proconnect_id_token"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (app.core.local_paths), else the search page."""
    return local_path(target, max_length=None) or url_for("search.search_page")


def _absolute(endpoint: str) -> str:
    """An address of ROMIN as registered at ProConnect (PUBLIC_URL, else this request's host)."""
    base = current_app.config.get("PUBLIC_URL")
    return base + url_for(endpoint) if base else url_for(endpoint, _external=True)


def _login_page(
    next_url: str, errors: dict[str, str], email: str = "", status: int = 200
) -> tuple[str, int]:
    return render_template(
        "accounts/login.html",
        next_url=next_url,
        errors=errors,
        email=email,
        local_login=current_app.config["LOCAL_LOGIN_ENABLED"],
        proconnect=proconnect.enabled(),
    ), status


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int]:
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return _login_page(next_url, {})
    if not current_app.config["LOCAL_LOGIN_ENABLED"]:
        abort(404)  # no password sign-in outside development
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Saisissez votre adresse électronique."
    if not password:
        errors["password"] = "Saisissez votre mot de passe."
    if not errors:
        user = find_user(db.session, email)
        if verify_password(user, password) and user is not None:  # the hash runs either way
            login_user(user)
            flash("Vous êtes connecté(e).", "success")
            return redirect(next_url, code=303)
        errors["form"] = "Adresse électronique ou mot de passe incorrect."
    return _login_page(next_url, errors, email, 400)


@bp.get("/connexion/proconnect")
@public
def proconnect_login() -> Response | tuple[str, int]:
    """The « S'identifier avec ProConnect » button: off to the provider."""
    if not proconnect.enabled():
        abort(404)
    session[_NEXT_KEY] = _safe_next(request.args.get("next"))
    try:
        return proconnect.authorize_redirect(_absolute("accounts.proconnect_callback"))
    except proconnect.ProConnectRefusal as refusal:
        return _refused(refusal.message, refusal.reason, refusal.status)


@bp.get("/connexion/proconnect/retour")
@public
def proconnect_callback() -> Response | tuple[str, int]:
    """The provider's answer (redirect URI): every check, then the account, then the session."""
    if not proconnect.enabled():
        abort(404)
    next_url = _safe_next(session.get(_NEXT_KEY))
    try:
        identity = proconnect.finish(request.args)
        user = sign_in_with_proconnect(db.session, identity, proconnect.allowed_domains())
    except proconnect.ProConnectRefusal as refusal:
        return _refused(refusal.message, refusal.reason, refusal.status)
    except SignInRefused as refusal:
        return _refused(refusal.message, refusal.reason, 403)
    login_user(user)
    session[_ID_TOKEN_KEY] = identity.id_token  # for the provider's end-session (id_token_hint)
    log.info("proconnect sign-in: user %s", user.id)
    flash("Vous êtes connecté(e) avec ProConnect.", "success")
    return redirect(next_url, code=303)


def _refused(message: str, reason: str, status: int) -> tuple[str, int]:
    forget_session()  # no half-open session
    log.info("proconnect sign-in refused: %s", reason)
    return render_template("accounts/login_refused.html", message=message), status


@bp.post("/deconnexion")
@public
def logout() -> Response:
    """Ends the account's sessions on the server (every device: app.accounts.auth), then
    ProConnect's when the sign-in came from there."""
    id_token = session.get(_ID_TOKEN_KEY)
    logout_user()
    if id_token and proconnect.enabled():
        try:
            return proconnect.logout_redirect(id_token, _absolute("accounts.logout_done"))
        except proconnect.ProConnectRefusal as refusal:
            log.info("proconnect end-session skipped: %s", refusal.reason)
            flash(
                "Vous êtes déconnecté(e) de ROMIN. ProConnect ne répond pas : fermez votre "
                "navigateur pour terminer aussi votre session ProConnect.",
                "warning",
            )
            return redirect(url_for("search.search_page"), code=303)
    flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("search.search_page"), code=303)


@bp.get("/deconnexion/fin")
@public
def logout_done() -> Response:
    """Where ProConnect sends the browser back after its end-session (post_logout_redirect_uri)."""
    if proconnect.enabled() and proconnect.logout_returned():
        flash("Vous êtes déconnecté(e) de ROMIN et de ProConnect.", "info")
    else:
        flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("search.search_page"), code=303)
