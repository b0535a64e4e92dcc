"""API tokens: checked and counted in one statement, outside the request's transaction.

Every API request reads its token from the database (no cache: a role change or a
deactivation holds for the token's next request) and counts one hit against the per-token
limit (RATELIMIT_API_PER_TOKEN). Done the obvious way, through the request's session and
Flask-Limiter, that was four round trips before the search even started (BEGIN, the token,
the counter on the limiter's own connection, COMMIT): the API went from half Meilisearch's
round trip to 1.5–1.8 times it (README, "Measured figures"). Here it is one statement on a
connection in autocommit: the token, its active account, the index generation the search cache
needs, and the upsert of the token's counters (the same table and fixed windows as the
limiter's storage, app/accounts/rate_limit_storage.py). A search request then opens no
transaction at all. The views that write load the account row in the request's session
(`api_account`), where their transaction is anyway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, request
from limits import parse_many
from sqlalchemy import text

from app.accounts.rate_limit_storage import UPSERT_ON_CONFLICT
from app.db import db
from app.models import RateLimitCounter, User

TOKEN_PREFIX = "romin_"

API_TOO_OFTEN = (
    "Trop de requêtes avec ce jeton d'API : ralentissez, puis réessayez après le délai indiqué "
    "par l'en-tête Retry-After."
)

# The counters' CTE runs even though nothing reads it but the final join (PostgreSQL runs a
# data-modifying WITH exactly once); a made-up or inactive token matches no owner and so
# counts nowhere.
_CHECK = text(
    "WITH owner AS ("
    " SELECT u.id, u.role, u.service, t.id AS token_id"
    " FROM api_tokens t JOIN users u ON u.id = t.user_id"
    " WHERE t.token_hash = :digest AND u.is_active"
    "), hits AS ("
    f" INSERT INTO {RateLimitCounter.__tablename__} AS c (key, count, expires_at)"
    " SELECT :key_prefix || owner.token_id || w.suffix, 1, now() + w.span"
    " FROM owner CROSS JOIN unnest(CAST(:suffixes AS text[]), CAST(:spans AS interval[]))"
    " AS w(suffix, span) "
    f"{UPSERT_ON_CONFLICT}"
    " RETURNING c.key, c.count, extract(epoch FROM c.expires_at - now()) AS wait"
    ")"
    " SELECT owner.id, owner.role, owner.service, owner.token_id,"
    " (SELECT generation FROM index_state WHERE name = 'tools') AS generation,"
    " hits.key AS hit_key, hits.count AS hit_count, hits.wait"
    " FROM owner LEFT JOIN hits ON true"
)


_LIMITS = "romin_token_limits"  # the app's parsed per-token limits (`_limits`)


@dataclass(frozen=True)
class TokenOwner:
    """The active account behind a token, as far as a role check and the usage statistics
    need it (`has_role` and `app.pilotage.usage` read these attributes)."""

    id: int
    role: str
    service: str | None
    token_id: int
    is_active: bool = True
    # seconds until the window of a crossed limit ends; None: within every limit
    throttled_for: float | None = None


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _limits() -> dict[str, tuple[int, int]]:
    """The per-token limits: key suffix -> (requests allowed, window in seconds); read from
    the app's settings once, not on every API request."""
    limits: dict[str, tuple[int, int]] | None = current_app.extensions.get(_LIMITS)
    if limits is None:
        config = current_app.config
        setting = str(config["RATELIMIT_API_PER_TOKEN"] or "")
        items = parse_many(setting) if config["RATELIMIT_ENABLED"] and setting else []
        limits = {
            f":{item.amount}/{item.get_expiry()}": (item.amount, item.get_expiry())
            for item in items
        }
        current_app.extensions[_LIMITS] = limits
    return limits


def check_token(raw: str) -> TokenOwner | None:
    """The owner of an active account's token, its hit counted; None for anything else."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    limits = _limits()
    rows = db.execute_autocommit(
        _CHECK,
        {
            "digest": digest(raw),
            "key_prefix": f"{current_app.config['RATELIMIT_KEY_PREFIX']}/api-jeton/",
            "suffixes": list(limits),
            "spans": [timedelta(seconds=span) for _, span in limits.values()],
        },
    )
    if not rows:
        return None
    first = rows[0]
    g.romin_generation = first.generation or 0
    waits = [
        row.wait
        for row in rows
        if row.hit_key is not None
        and row.hit_count > limits[row.hit_key[row.hit_key.rindex(":") :]][0]
    ]
    return TokenOwner(
        first.id,
        first.role,
        first.service,
        first.token_id,
        throttled_for=max(float(wait) for wait in waits) if waits else None,
    )


def bearer_token() -> TokenOwner | None:
    """This request's Bearer token, checked (and counted) once per request."""
    if "romin_bearer" not in g:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        g.romin_bearer = check_token(raw.strip()) if scheme.lower() == "bearer" else None
    return g.romin_bearer


def api_account() -> User:
    """The account row of this request's token, in the request's session: for the views that
    write (a rating, a sheet, the weights), whose transaction is open anyway."""
    owner = bearer_token()
    user = db.session.get(User, owner.id) if owner is not None else None
    if user is None:  # only a view without token_required gets here
        raise LookupError("no API token in this request")
    return user
