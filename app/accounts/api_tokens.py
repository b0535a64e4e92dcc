"""Bearer-token checks for the API: 401 without a valid token, 429 over the token's limit,
403 without the role. `g.api_user` is then the token's owner (app/accounts/bearer.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps

from flask import g

from app.accounts.auth import Guarded, P, R, declare_role, has_role
from app.accounts.bearer import API_TOO_OFTEN, bearer_token
from app.core.api import abort


def token_required(role: str = "agent") -> Callable[[Callable[P, R]], Guarded[P, R]]:
    def decorator(view: Callable[P, R]) -> Guarded[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            owner = bearer_token()
            if owner is None:
                abort(
                    401,
                    message="Jeton d'API manquant ou invalide (en-tête Authorization: Bearer …).",
                    headers={"WWW-Authenticate": 'Bearer realm="romin"'},
                )
            if owner.throttled_for is not None:
                abort(
                    429,
                    message=API_TOO_OFTEN,
                    headers={"Retry-After": str(max(1, math.ceil(owner.throttled_for)))},
                )
            if not has_role(owner, role):
                abort(403, message="Votre rôle ne permet pas cette action.")
            g.api_user = owner
            return view(*args, **kwargs)

        return declare_role(wrapped, role)

    return decorator
