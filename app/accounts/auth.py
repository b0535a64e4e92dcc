"""Local accounts, sessions, API tokens and role checks (deny by default).

Roles: `agent` (officer), `curator`, `staff`, `admin`. Curators, staff and admins may do all
an agent may; admins may do everything.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
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
    if "user" not in g:
        g.user = None
        uid = session.get("uid")
        if uid is not None:
            user = db.session.get(User, uid)
            if user is not None and user.is_active:
                g.user = user
            else:
                session.clear()
    return g.user


def login(user: User) -> None:
    session.clear()
    session["uid"] = user.id
    session.permanent = True
    g.user = user


def logout() -> None:
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


# digest -> (expiry, user): verified tokens, per process, for API_TOKEN_CACHE_SECONDS. A token
# deleted or an account deactivated stops working within that delay (10 s by default).
_verified_tokens: dict[str, tuple[float, User]] = {}
_VERIFIED_TOKENS_MAX = 2000


def user_for_token(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    ttl = current_app.config["API_TOKEN_CACHE_SECONDS"]
    digest = _digest(raw)
    cached = _verified_tokens.get(digest) if ttl > 0 else None
    if cached is not None and cached[0] > time.monotonic():
        # a copy bound to this request's session, made without any query
        return db.session.merge(cached[1], load=False)
    user = _load_token_user(digest)
    if user is not None and ttl > 0:
        if len(_verified_tokens) >= _VERIFIED_TOKENS_MAX:
            _verified_tokens.clear()
        db.session.expunge(user)  # the cached instance never belongs to any session
        _verified_tokens[digest] = (time.monotonic() + ttl, user)
        user = db.session.merge(user, load=False)
    return user


def _load_token_user(digest: str) -> User | None:
    # One round trip for the token's user and the index generation the search cache needs.
    row = db.session.execute(
        select(User, generation_query())
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest)
    ).first()
    if row is None or not row[0].is_active:
        return None
    g.romin_generation = row[1] or 0
    return row[0]


def bearer_user() -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return user_for_token(raw.strip())


def init_app(app: Flask) -> None:
    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        try:
            user = current_user()
        except SQLAlchemyError:  # the database is down: the 503 page still renders
            g.user = user = None
        return {"current_user": user, "has_role": has_role}
