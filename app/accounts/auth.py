"""Local accounts, sessions, API tokens and role checks (deny by default).

Roles: `agent` (officer), `curator`, `staff`, `admin`. Curators, staff and admins may do all
an agent may; admins may do everything.

Sessions end for real. Flask keeps its session in a signed cookie, which the server cannot
revoke: a copy saved before signing out would otherwise open signed-in pages for a month. Each
account has a session version (`users.session_version`), signed into the cookie at sign-in and
compared on every request with the account's row, which the request loads anyway to know who
is signed in: no extra round trip, no session table to purge. Signing out, a role change and a
deactivation bump it (`end_sessions`), from the admin page and from `romin user` alike, so
every cookie issued before stops working at once. We chose this over a server-side session
store (e.g. Flask-Session): that costs a read, and for an anonymous visitor a write, on every
page, and a table of sessions to expire, where ROMIN only needs sign-in to be revocable (the
rest of the cookie, flash messages and the CSRF token, grants nothing). The price: signing out
ends the account's sessions on every device, not only this browser's.

API tokens are checked against the database on every request (one indexed query, which also
reads the index generation the search needs), never from a cache: a role change or a
deactivation holds for the token's next request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.db import db
from app.models import ApiToken, User
from app.models.index_state import generation_query

_hasher = PasswordHasher()
TOKEN_PREFIX = "romin_"

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

ROLE_INCLUDES = {
    "agent": {"agent"},
    "curator": {"agent", "curator"},
    "staff": {"agent", "staff"},
    "admin": {"agent", "curator", "staff", "admin"},
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash or not user.is_active:
        _hasher.hash(password)  # same cost whether or not the account exists
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def has_role(user: User | None, role: str) -> bool:
    return user is not None and user.is_active and role in ROLE_INCLUDES.get(user.role, set())


def current_user() -> User | None:
    """Who signed in with this browser: the cookie's account, if it is active and the cookie's
    session version is still the account's (a cookie without one, made before versions
    existed, reads as 0; accounts that existed then start at 1)."""
    if "user" not in g:
        g.user = None
        uid = session.get("uid")
        if uid is not None:
            user = db.session.get(User, uid)
            if user is not None and user.is_active and user.session_version == session.get("sv", 0):
                g.user = user
            else:
                session.clear()
    return g.user


def login(user: User) -> None:
    session.clear()  # a new session: nothing from before the sign-in carries over
    session["uid"] = user.id
    session["sv"] = user.session_version
    session.permanent = True
    g.user = user


def end_sessions(db_session: Session, user: User) -> None:
    """Every session cookie of this account stops working, on every device, at its next
    request (the version is compared by `current_user`)."""
    user.session_version = User.session_version + 1  # in SQL: two bumps never make one
    db_session.flush()


def logout() -> None:
    """Sign out: the account's sessions end on the server, then this browser forgets it."""
    user = current_user()
    if user is not None:
        end_sessions(db.session, user)
    forget_session()


def forget_session() -> None:
    """This browser's cookie only (a refused sign-in leaves no half-open session)."""
    session.clear()
    g.user = None


def signed_in_user() -> User:
    """The user of a page behind `role_required`, who is signed in there by construction."""
    user = current_user()
    if user is None:  # only a page without role_required gets here
        abort(401)
    return user


class Guarded(Protocol[P, R_co]):
    """A view that declares its least role (None: public): a test checks every route has one."""

    required_role: str | None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...


def declare_role(view: Callable[P, R], role: str | None) -> Guarded[P, R]:
    guarded = cast("Guarded[P, R]", view)  # a function takes attributes; its type does not say
    guarded.required_role = role
    return guarded


def role_required(role: str) -> Callable[[Callable[P, R]], Guarded[P, R | Response]]:
    """Page decorator: anonymous → login page; signed in without the role → 403."""

    def decorator(view: Callable[P, R]) -> Guarded[P, R | Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            user = current_user()
            if user is None:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if not has_role(user, role):
                abort(403)
            return view(*args, **kwargs)

        return declare_role(wrapped, role)

    return decorator


def public(view: Callable[P, R]) -> Guarded[P, R]:
    """Marks a page readable without signing in (the catalogue holds nothing personal)."""
    return declare_role(view, None)


# -- API tokens --------------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: User) -> str:
    """A new personal token; only its digest is stored, the token itself is returned once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db_session = db.session
    db_session.add(ApiToken(user=user, token_hash=_digest(raw), prefix=raw[:12]))
    db_session.flush()
    return raw


def user_for_token(raw: str) -> User | None:
    """The active account a token belongs to, read now: no cache, so a role change or a
    deactivation holds for the next request."""
    found = _token_owner(raw)
    return found[0] if found is not None else None


def _token_owner(raw: str) -> tuple[User, int] | None:
    """(account, token id) of an active account's token; one round trip, which also reads the
    index generation the search cache needs (`g.romin_generation`)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = db.session.execute(
        select(User, ApiToken.id, generation_query())
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _digest(raw))
    ).first()
    if row is None or not row[0].is_active:
        return None
    g.romin_generation = row[2] or 0
    return row[0], row[1]


def bearer_token() -> tuple[User, int] | None:
    """This request's Bearer token, checked once per request: (account, token id), or None
    without a valid token. The throttling (per token) and `token_required` share the answer."""
    if "romin_bearer" not in g:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        g.romin_bearer = _token_owner(raw.strip()) if scheme.lower() == "bearer" else None
    return g.romin_bearer


def bearer_user() -> User | None:
    found = bearer_token()
    return found[0] if found is not None else None


def init_app(app: Flask) -> None:
    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        try:
            user = current_user()
        except SQLAlchemyError:  # the database is down: the 503 page still renders
            g.user = user = None
        return {"current_user": user, "has_role": has_role}
