"""Bearer-token checks for the API: 401 without a valid token, 403 without the role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g

from app.accounts.auth import Guarded, P, R, bearer_user, declare_role, has_role
from app.core.api import abort


def token_required(role: str = "agent") -> Callable[[Callable[P, R]], Guarded[P, R]]:
    def decorator(view: Callable[P, R]) -> Guarded[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            user = bearer_user()
            if user is None:
                abort(
                    401,
                    message="Jeton d'API manquant ou invalide (en-tête Authorization: Bearer …).",
                    headers={"WWW-Authenticate": 'Bearer realm="romin"'},
                )
            if not has_role(user, role):
                abort(403, message="Votre rôle ne permet pas cette action.")
            g.api_user = user
            return view(*args, **kwargs)

        return declare_role(wrapped, role)

    return decorator
