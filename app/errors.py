"""Error pages in French, never a traceback; JSON errors under /api."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from app.core.field_messages import in_french
from app.core.refusals import Refused
from app.db import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "Demande incorrecte",
        "La demande n'a pas pu être comprise. Vérifiez les informations saisies.",
    ),
    401: ("Connexion requise", "Connectez-vous pour accéder à cette page."),
    403: ("Accès refusé", "Votre compte n'a pas les droits nécessaires pour cette page."),
    404: ("Page introuvable", "La page demandée n'existe pas ou a été déplacée."),
    405: ("Méthode non autorisée", "Cette action n'est pas possible sur cette page."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée."),
    422: ("Données refusées", "Les informations envoyées ont été refusées."),
    429: (
        "Trop de demandes",
        "Vous avez fait trop de demandes en peu de temps. Patientez quelques minutes avant de "
        "réessayer.",
    ),
    500: (
        "Erreur inattendue",
        "Une erreur est survenue de notre côté. Réessayez dans quelques instants.",
    ),
    503: (
        "Service momentanément indisponible",
        "ROMIN ne peut pas joindre sa base de données. Le service reprendra automatiquement ; "
        "réessayez dans quelques instants.",
    ),
}

CSRF_REFUSAL = (
    "Le formulaire n'a pas passé la vérification de sécurité (il a expiré, ou il ne vient pas "
    "d'une page de ROMIN) : rechargez la page, puis envoyez-le de nouveau."
)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _words(code: int) -> tuple[str, str]:
    """The title and message of a status; a status without its own says what its class says."""
    return MESSAGES.get(code) or MESSAGES[400 if 400 <= code < 500 else 500]


def render_error(code: int, detail: str | None = None) -> tuple[Response | str, int]:
    title, message = _words(code)
    if _wants_json():
        return jsonify({"code": code, "status": title, "message": detail or message}), code
    return render_template("error.html", code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(exc: Refused) -> tuple[Response | str, int]:
        """A refusal no page caught: 422 with the same messages (per field under /api, as
        flask-smorest's validation errors; in one sentence on a page)."""
        _reset_session()
        if _wants_json():
            return jsonify(
                {
                    "code": 422,
                    "status": "Unprocessable Entity",
                    "message": "Données invalides.",
                    "errors": {"json": exc.errors},
                }
            ), 422
        return render_error(422, exc.text())

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Response | str, int]:
        """Flask-WTF says why in English ("The CSRF token is missing."): officers read why in
        French, and what to do."""
        return render_error(400, CSRF_REFUSAL)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        # the exception's own headers: Allow on a 405, WWW-Authenticate on a 401...
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if _wants_json():
            # flask-smorest's JSON errors, with the messages per field, always in French
            payload, code, extra = app.extensions["romin_api"].handle_http_exception(exc)
            payload.setdefault("message", _words(code)[1])
            if "errors" in payload:
                payload["errors"] = in_french(payload["errors"])
            return payload, code, {**headers, **(extra or {})}
        body, code = render_error(
            exc.code or 500,
            getattr(exc, "description", None)
            if exc.code in (400, 413)
            and exc.description
            and not exc.description.startswith(("The browser", "The server"))
            else None,
        )
        return body, code, headers

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _database_down(exc: DBAPIError) -> tuple[Response | str, int]:
        log.error("database unavailable: %s", type(exc).__name__)
        _reset_session()
        return render_error(503)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unexpected error on %s %s", request.method, request.url_rule)
        _reset_session()
        return render_error(500)


def _reset_session() -> None:
    try:
        db.rollback()
    except Exception:  # the connection may be gone; the pool replaces it
        pass
