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

API tokens are checked against the database on every request, never from a cache: a role
change or a deactivation holds for the token's next request (app/accounts/bearer.py: one
statement, outside the request's transaction, which also counts the token's hit).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, g, redirect, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.accounts.bearer import TOKEN_PREFIX, TokenOwner, digest
from app.db import db
from app.models import ApiToken, User

_hasher = PasswordHasher()

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


def has_role(user: User | TokenOwner | None, role: str) -> bool:
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


# -- API tokens (checked in app/accounts/bearer.py) ---------------------------------------


def create_token(user: User) -> str:
    """A new personal token; only its digest is stored, the token itself is returned once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db_session = db.session
    db_session.add(ApiToken(user=user, token_hash=digest(raw), prefix=raw[:12]))
    db_session.flush()
    return raw


def init_app(app: Flask) -> None:
    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        try:
            user = current_user()
        except SQLAlchemyError:  # the database is down: the 503 page still renders
            g.user = user = None
        return {"current_user": user, "has_role": has_role}
