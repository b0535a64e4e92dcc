"""Bearer-token checks for the API: 401 without a valid token, 403 without the role."""

from __future__ import annotations

from functools import wraps

from flask import g
from flask_smorest import abort

from app.accounts.auth import bearer_user, has_role


def token_required(role: str = "agent"):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
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

        wrapped.required_role = role
        return wrapped

    return decorator
