"""Input no view can take, refused before any view runs: a 400 with a French message.

PostgreSQL refuses the NUL character in text, so a NUL byte in a path, a query, a form or a
JSON string would otherwise surface as a database error far from its cause (a 503 saying the
database is down). A JSON body is read here once (Flask keeps it for the view): nested past
any schema's depth, it is refused before a decoder or a schema recurses through it, and text
that cannot be written as UTF-8 (a lone surrogate escaped in JSON) is refused like NUL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType

# No request schema nests deeper than a few levels (a sheet's factor evidence: 4).
MAX_JSON_DEPTH = 20

NUL_MESSAGE = (
    "La demande contient un caractère nul (code 0), que ROMIN ne peut pas enregistrer : "
    "retirez-le et recommencez."
)
UNICODE_MESSAGE = "La demande contient un caractère Unicode invalide : retirez-le et recommencez."
JSON_MESSAGE = "Le corps de la requête n'est pas un JSON valide."
NUMBER_MESSAGE = "Le corps de la requête contient un nombre invalide (NaN ou infini)."
MEDIA_TYPE_MESSAGE = (
    "L'API ne lit que du JSON : envoyez le corps avec l'en-tête Content-Type: application/json."
)
DEPTH_MESSAGE = f"Le corps de la requête est trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus)."


def init_app(app: Flask) -> None:
    app.before_request(check_request)


def refuse(message: str, error_class: type[HTTPException] = BadRequest) -> HTTPException:
    """A 400 (or `error_class`) whose French message pages show (description) and the API
    says (data)."""
    error = error_class(description=message)
    error.data = {"message": message}  # type: ignore[attr-defined]  # read by flask-smorest
    return error


def check_request() -> None:
    """Raises a 400 on a NUL byte in the path, the query or a form, or on a JSON body that
    cannot be read, is too deep, or holds text PostgreSQL cannot store (or a number JSON
    does not have); a 415 on a body the API would not read (a form, text), rather than
    taking it as empty."""
    if _api_body() and not request.is_json:
        raise refuse(MEDIA_TYPE_MESSAGE, UnsupportedMediaType)
    texts: list[str] = [request.path]
    texts.extend(_pairs(request.args.items(multi=True)))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts.extend(_pairs(request.form.items(multi=True)))
        texts.extend(f.filename or "" for f in request.files.values())
    for text in texts:
        _check_text(text)
    if request.is_json and request.content_length != 0:
        _check_json()


def _api_body() -> bool:
    """A body sent to an API operation that reads one (a GET's body means nothing)."""
    return (
        request.path.startswith("/api/")
        and request.method in ("POST", "PUT", "PATCH")
        and (
            bool(request.content_length)
            or "chunked" in request.headers.get("Transfer-Encoding", "")
        )
    )


def _pairs(items: Iterable[tuple[str, str]]) -> Iterable[str]:
    for key, value in items:
        yield key
        yield value


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise refuse(NUL_MESSAGE)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise refuse(UNICODE_MESSAGE) from None


def _check_json() -> None:
    if not request.get_data(cache=True):
        return
    try:
        body = request.get_json(silent=False)
    except RecursionError:
        raise refuse(DEPTH_MESSAGE) from None
    except BadRequest:
        raise refuse(JSON_MESSAGE) from None
    # walked without recursion: a body can be deep enough to exhaust the stack
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise refuse(NUMBER_MESSAGE)  # Python reads NaN and Infinity; JSON has neither
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise refuse(DEPTH_MESSAGE)
            if isinstance(value, dict):
                for key in value:
                    _check_text(key)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)
