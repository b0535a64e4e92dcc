"""The API's error answer, declared once, and the error statuses each operation declares.

Every error under /api has one shape (app/errors.py fills it: flask-smorest's, with a French
message always). Declaring each status an operation can answer lets a client, and a fuzzer
checking the answers against the OpenAPI, know what to expect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_smorest import Blueprint
from marshmallow import Schema, fields

F = TypeVar("F", bound=Callable[..., Any])


class ApiErrorSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "Le statut HTTP."})
    status = fields.String(required=True, metadata={"description": "Son nom."})
    message = fields.String(
        required=True, metadata={"description": "Ce qui s'est passé, en français."}
    )
    errors = fields.Dict(
        metadata={
            "description": "Les messages par champ, rangés par emplacement (json, query) : "
            "champ → liste de messages."
        }
    )


# status -> what it means, as the OpenAPI says it
ERROR_STATUSES = {
    400: "Demande illisible : JSON invalide ou trop imbriqué, caractère nul (code 0)…",
    401: "Jeton d'API manquant ou invalide.",
    403: "Le rôle du jeton ne permet pas cette action.",
    404: "Aucune ressource ne porte cet identifiant.",
    409: "La demande contredit l'état présent (par exemple les poids en vigueur).",
    413: "Corps de la requête trop volumineux.",
    415: "Corps de la requête qui n'est pas du JSON (Content-Type: application/json).",
    422: "Données refusées : les messages par champ disent pourquoi.",
    429: "Trop de demandes avec ce jeton : réessayez après le délai de Retry-After.",
    503: "Base de données ou moteur de recherche momentanément injoignable.",
}
# what every operation may answer: any request (a NUL byte in its address), any token, any load
EVERY_OPERATION = (400, 401, 403, 429, 503)


def error_responses(blp: Blueprint, *codes: int) -> Callable[[F], F]:
    """Declares the error statuses an operation answers besides EVERY_OPERATION's, each with
    the one error shape."""

    def decorator(view: F) -> F:
        for code in sorted({*EVERY_OPERATION, *codes}):
            view = blp.alt_response(code, schema=ApiErrorSchema, description=ERROR_STATUSES[code])(
                view
            )
        return view

    return decorator
