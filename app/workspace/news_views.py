"""« Nouveautés »: the news of the factors an officer follows and of their favourites, the form
to choose the factors and the weekly e-mail, the « Suivre ce facteur » button of the search
page, and the e-mail's one-click unsubscribe (no sign-in: its signed token is the proof)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.auth import public, role_required, signed_in_user
from app.catalogue.risk_factors import all_factors
from app.core.local_paths import local_path
from app.db import db
from app.extensions import csrf
from app.models import RiskFactor, User
from app.workspace.blueprint import bp
from app.workspace.digest import user_for_token
from app.workspace.favourites import WorkspaceRefused
from app.workspace.follows import (
    FACTORS_FIELD,
    factor_by_slug,
    follow,
    followed_slugs,
    set_follows,
    unfollow,
    unsubscribe,
)
from app.workspace.news import NEWS_DAYS, alerts_of, mark_seen, recent_news

PAGE = "workspace.news"


def _news_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    user = signed_in_user()
    alerts = alerts_of(db.session, user.id)
    seen_before = alerts.news_seen_at
    items = recent_news(db.session, user.id)
    if status == 200:
        mark_seen(db.session, user.id)
    return render_template(
        "workspace/news.html",
        items=items,
        seen_before=seen_before,
        news_days=NEWS_DAYS,
        factor_options=[(f.slug, f.label) for f in all_factors(db.session)],
        followed=followed_slugs(db.session, user.id),
        digest_enabled=alerts.digest_enabled,
        error=error,
    ), status


@bp.get("/nouveautes")
@role_required("agent")
def news() -> tuple[str, int]:
    return _news_page()


@bp.post("/nouveautes/facteurs")
@role_required("agent")
def save_follows() -> Response | tuple[str, int]:
    try:
        set_follows(
            db.session,
            signed_in_user(),
            request.form.getlist("facteurs"),
            digest=request.form.get("recapitulatif") == "1",
        )
    except WorkspaceRefused as exc:
        return _news_page(exc.flat().get(FACTORS_FIELD), 400)
    flash("Vos choix sont enregistrés.", "success")
    return redirect(url_for(PAGE), code=303)


def _posted_factor() -> RiskFactor:
    slug = request.form.get("facteur", "").strip()
    if not slug:
        abort(400)
    factor = factor_by_slug(db.session, slug)
    if factor is None:
        abort(404)
    return factor


def _back() -> Response:
    return redirect(local_path(request.form.get("retour")) or url_for(PAGE), code=303)


@bp.post("/nouveautes/suivre")
@role_required("agent")
def follow_factor() -> Response:
    factor = _posted_factor()
    follow(db.session, signed_in_user(), factor)
    flash(
        f"Vous suivez « {factor.label} » : ses nouveaux outils et ses mises à jour "
        "apparaîtront dans vos nouveautés.",
        "success",
    )
    return _back()


@bp.post("/nouveautes/ne-plus-suivre")
@role_required("agent")
def unfollow_factor() -> Response:
    factor = _posted_factor()
    unfollow(db.session, signed_in_user(), factor)
    flash(f"Vous ne suivez plus « {factor.label} ».", "success")
    return _back()


def _unsubscribing(token: str) -> User:
    user = user_for_token(db.session, token)
    if user is None:
        abort(404)
    return user


@bp.get("/alertes/desabonnement/<token>")
@public
def unsubscribe_page(token: str) -> str:
    """A link opened from the e-mail: a button confirms (a link checker that opens every link
    of an e-mail must not unsubscribe anyone)."""
    user = _unsubscribing(token)
    return render_template(
        "workspace/unsubscribe.html",
        token=token,
        subscribed=alerts_of(db.session, user.id).digest_enabled,
        done=False,
    )


@bp.post("/alertes/desabonnement/<token>")
@public
@csrf.exempt  # RFC 8058: the mail client posts here on its own; the signed token is the proof
def unsubscribe_now(token: str) -> str:
    user = _unsubscribing(token)
    unsubscribe(db.session, user.id)
    return render_template("workspace/unsubscribe.html", token=token, subscribed=False, done=True)
