"""Throttling, with Flask-Limiter: guessing passwords and hammering the sign-in or the API cost
a 429 and a wait, counted alike by every worker.

The limits (app/config.py, each from the environment; empty: off):
- password sign-in, development only: per account, by the e-mail typed
  (RATELIMIT_SIGN_IN_PER_ACCOUNT), and per client address (RATELIMIT_SIGN_IN_PER_ADDRESS);
  every attempt counts, before the password is even checked;
- ProConnect callbacks per client address (RATELIMIT_PROCONNECT_PER_ADDRESS);
- the API per token (RATELIMIT_API_PER_TOKEN): counted not here but in the statement that
  checks the token (app/accounts/bearer.py, one round trip for both), in the same table, so a
  made-up token fills no counter.

Over a limit: 429 with Retry-After, the French error page (app/errors.py) or, under /api,
flask-smorest's JSON error with a French message.

Counters live in PostgreSQL (app/accounts/rate_limit_storage.py: why there, and not in Redis or
in each worker's memory). Each app has its own Limiter (`app.extensions["romin_limiter"]`), not
a module-level one: Flask-Limiter keeps its storage and settings on the instance, and the tests
build several apps in one process (two of them stand for two workers).

The client address is the connection's (REMOTE_ADDR). Behind reverse proxies it is the last
proxy's, so that every officer would share one counter: set TRUSTED_PROXIES to the number of
proxies of ours that append to X-Forwarded-For, and the address the outermost of them saw is
used. X-Forwarded-For is never read otherwise: anyone can send it, and an attacker would give
each attempt a new address.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limit, Limiter, RateLimitExceeded
from werkzeug.http import parse_list_header

from app.accounts import rate_limit_storage
from app.errors import render_error

EXTENSION = "romin_limiter"

SIGN_IN_TOO_OFTEN = (
    "Trop de tentatives de connexion en peu de temps. Patientez quelques minutes avant de "
    "réessayer."
)
PROCONNECT_TOO_OFTEN = (
    "Trop de connexions ProConnect depuis votre adresse en peu de temps. Patientez une minute "
    "avant de réessayer."
)


def client_address() -> str:
    """The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXIES proxies of ours, the
    address the outermost of them saw (the one they appended to X-Forwarded-For)."""
    hops = current_app.config["TRUSTED_PROXIES"]
    if hops > 0:
        forwarded = parse_list_header(",".join(request.headers.getlist("X-Forwarded-For")))
        if len(forwarded) >= hops:
            return forwarded[-hops].strip()[:64]  # an address; never a key of any length
    return request.remote_addr or "inconnue"


def _address_key() -> str:
    return "adresse:" + client_address()


def _account_key() -> str:
    """The e-mail typed, hashed: the counters hold no address (anyone may type any)."""
    email = request.form.get("email", "").strip().lower()
    return "compte:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _except_on(endpoint: str) -> Callable[[], bool]:
    def exempt() -> bool:
        return request.endpoint != endpoint

    return exempt


def _limits(config: dict[str, object]) -> list[Limit]:
    def setting(name: str) -> str:
        return str(config[name] or "")

    return [
        Limit(
            setting("RATELIMIT_SIGN_IN_PER_ACCOUNT"),
            key_function=_account_key,
            scope="connexion-compte",
            shared=True,
            methods=["POST"],
            exempt_when=_except_on("accounts.login"),
            error_message=SIGN_IN_TOO_OFTEN,
        ),
        Limit(
            setting("RATELIMIT_SIGN_IN_PER_ADDRESS"),
            key_function=_address_key,
            scope="connexion-adresse",
            shared=True,
            methods=["POST"],
            exempt_when=_except_on("accounts.login"),
            error_message=SIGN_IN_TOO_OFTEN,
        ),
        Limit(
            setting("RATELIMIT_PROCONNECT_PER_ADDRESS"),
            key_function=_address_key,
            scope="proconnect-adresse",
            shared=True,
            exempt_when=_except_on("accounts.proconnect_callback"),
            error_message=PROCONNECT_TOO_OFTEN,
        ),
    ]


def init_app(app: Flask) -> None:
    """The app's Limiter, its limits and its 429 answer (the factory calls this once)."""
    extension = Limiter(
        _address_key,
        default_limits=list(_limits(app.config)),
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        storage_options={"database_url": app.config["SQLALCHEMY_DATABASE_URI"]}
        if app.config["RATELIMIT_STORAGE_URI"].startswith(rate_limit_storage.SCHEME + ":")
        else {},
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        strategy="fixed-window",  # the one our storage implements
        headers_enabled=False,  # Retry-After only, on the 429 (below)
        swallow_errors=False,  # no counter, no sign-in: fail closed (503 with the database)
    )
    extension.init_app(app)
    app.extensions[EXTENSION] = extension

    @app.errorhandler(RateLimitExceeded)
    def _too_many_requests(exc: RateLimitExceeded) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            exc.data = {"message": exc.description}  # type: ignore[attr-defined]  # flask-smorest
            response = app.make_response(app.extensions["romin_api"].handle_http_exception(exc))
        else:
            response = app.make_response(render_error(429))
        breached = extension.current_limit
        wait = breached.window.reset_time - time.time() if breached is not None else 60
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
