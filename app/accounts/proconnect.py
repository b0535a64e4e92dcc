"""ProConnect sign-in: OpenID Connect authorization-code flow through Authlib's Flask client.

ProConnect (the State's identity federation for agents) says who someone is; ROMIN still
decides who enters (app.accounts.service.sign_in_with_proconnect). Every answer from the
provider is checked here: `state` (Authlib keeps it in the session), the ID token's signature
against the provider's published keys, its issuer, audience, expiry, `nonce` and, when
configured, its `acr`; the userinfo answer (a signed JWT at ProConnect) the same way, and its
`sub` must be the ID token's. PKCE (S256) is added when the provider's discovery document
offers it. Any failure becomes a ProConnectRefusal whose message is French and safe to show.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from werkzeug.wrappers import Response

from app.core.refusals import Refused

log = logging.getLogger(__name__)

NAME = "proconnect"
_EXTENSION = "romin_proconnect"
_ORIGINS = "romin_proconnect_origins"

RETRY = " Recommencez la connexion avec ProConnect."
_CLAIM_MESSAGES = {
    "iss": "Le jeton d'identité ne vient pas du fournisseur ProConnect attendu.",
    "aud": "Le jeton d'identité n'a pas été délivré pour ROMIN.",
    "azp": "Le jeton d'identité n'a pas été délivré pour ROMIN.",
    "nonce": "Le jeton d'identité ne correspond pas à cette demande de connexion.",
    "acr": "Votre connexion ProConnect n'atteint pas le niveau de sécurité exigé par ROMIN "
    "(authentification renforcée).",
    "exp": "Le jeton d'identité a expiré.",
    "iat": "Le jeton d'identité n'est pas encore valide.",
    "nbf": "Le jeton d'identité n'est pas encore valide.",
}


class ProConnectRefusal(Refused):
    """A refused sign-in: `message` is French and shown as is; `reason` is logged (nothing
    personal)."""

    def __init__(self, message: str, reason: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Identity:
    """Who ProConnect says signed in."""

    sub: str
    email: str
    given_name: str
    usual_name: str
    siret: str
    id_token: str


def clock() -> int:
    """ROMIN's clock for token times (one function, so a test can move it forward)."""
    return int(time.time())


class _IDToken(CodeIDToken):
    """Authlib's ID-token checks, on ROMIN's clock."""

    def validate(self, now: int | None = None, leeway: int = 0) -> None:
        super().validate(now=clock(), leeway=leeway)


def enabled() -> bool:
    return bool(current_app.config.get("PROCONNECT_ISSUER"))


def init_app(app: Flask) -> None:
    if not app.config.get("PROCONNECT_ISSUER"):
        return
    oauth = OAuth(app)
    oauth.register(
        NAME,
        client_id=app.config["PROCONNECT_CLIENT_ID"],
        client_secret=app.config["PROCONNECT_CLIENT_SECRET"],
        server_metadata_url=app.config["PROCONNECT_ISSUER"].rstrip("/")
        + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["PROCONNECT_SCOPES"],
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": app.config["PROCONNECT_TIMEOUT"],
        },
    )
    app.extensions[_EXTENSION] = oauth.create_client(NAME)
    app.extensions[_ORIGINS] = {_origin(app.config["PROCONNECT_ISSUER"])}

    @app.after_request
    def _let_forms_reach_the_provider(response: Response) -> Response:
        """The sign-in button and the sign-out form answer with a redirect to ProConnect, and
        browsers apply CSP `form-action` to a form's redirects: name the provider's origins
        there. (Runs after the app's security headers: after_request hooks run last-added first.)"""
        policy = response.headers.get("Content-Security-Policy", "")
        if "form-action 'self'" in policy:
            origins = " ".join(sorted(app.extensions[_ORIGINS]))
            response.headers["Content-Security-Policy"] = policy.replace(
                "form-action 'self'", f"form-action 'self' {origins}", 1
            )
        return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def allowed_domains() -> set[str]:
    raw = current_app.config.get("PROCONNECT_ALLOWED_DOMAINS", "")
    return {d.strip().lower().lstrip("@") for d in raw.replace(";", ",").split(",") if d.strip()}


def _acr_values() -> list[str]:
    raw = current_app.config.get("PROCONNECT_ACR_VALUES", "")
    return [v for v in raw.replace(",", " ").split() if v]


def _client() -> FlaskOAuth2App:
    return current_app.extensions[_EXTENSION]


def _metadata(client: FlaskOAuth2App) -> dict[str, Any]:
    """The discovery document, whose issuer must be the configured one (OpenID Discovery §4.3)."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable("metadata", exc) from exc
    if metadata.get("issuer") != current_app.config["PROCONNECT_ISSUER"]:
        client.server_metadata.clear()  # read it again next time
        raise ProConnectRefusal(
            "La configuration publiée par ProConnect ne correspond pas à "
            "celle de ROMIN (émetteur inattendu).",
            "issuer_mismatch",
            502,
        )
    current_app.extensions[_ORIGINS].update(
        _origin(metadata[key])
        for key in ("authorization_endpoint", "end_session_endpoint")
        if metadata.get(key)
    )
    if "S256" in metadata.get("code_challenge_methods_supported", []):
        client.client_kwargs["code_challenge_method"] = "S256"
    return metadata


def _unreachable(step: str, exc: Exception) -> ProConnectRefusal:
    log.warning("proconnect unreachable at %s: %s", step, type(exc).__name__)
    return ProConnectRefusal(
        "ProConnect ne répond pas pour le moment. Réessayez dans quelques instants.",
        f"unreachable_{step}",
        502,
    )


def authorize_redirect(redirect_uri: str) -> Response:
    """Redirect to ProConnect with a fresh state, nonce (and PKCE verifier) kept in the session."""
    client = _client()
    _metadata(client)
    extra: dict[str, str] = {}
    acr_values = _acr_values()
    if acr_values:
        # ProConnect's way of asking for a level (claims parameter, essential acr).
        wanted = {"id_token": {"acr": {"essential": True, "values": acr_values}}}
        extra["claims"] = json.dumps(wanted, separators=(",", ":"))
    # ProConnect wants a state and a nonce of 32 characters or more (Authlib's nonce has 20).
    return client.authorize_redirect(
        redirect_uri, state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), **extra
    )


def _claims_options(metadata: dict[str, Any]) -> dict[str, dict[str, Any]]:
    options: dict[str, dict[str, Any]] = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": current_app.config["PROCONNECT_CLIENT_ID"]},
        "sub": {"essential": True},
    }
    acr_values = _acr_values()
    if acr_values:
        options["acr"] = {"essential": True, "values": acr_values}
    return options


def finish(args: Mapping[str, str]) -> Identity:
    """Check the provider's answer on the redirect URI and return who signed in."""
    client = _client()
    metadata = _metadata(client)
    # RFC 9207: an `iss` in the answer must be our provider's (mix-up defence).
    if args.get("iss") is not None and args.get("iss") != metadata["issuer"]:
        raise ProConnectRefusal(
            "La réponse ne vient pas du fournisseur ProConnect attendu." + RETRY, "iss_parameter"
        )
    try:
        token = client.authorize_access_token(
            claims_options=_claims_options(metadata),
            claims_cls=_IDToken,
            leeway=current_app.config["PROCONNECT_LEEWAY_SECONDS"],
        )
    except MismatchingStateError:
        raise ProConnectRefusal(
            "Cette réponse de ProConnect ne correspond à aucune connexion en "
            "cours sur ce navigateur (paramètre « state »)." + RETRY,
            "state",
        ) from None
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise ProConnectRefusal(
                "La connexion avec ProConnect a été annulée.", "access_denied"
            ) from exc
        raise ProConnectRefusal(
            "ProConnect a refusé la connexion." + RETRY, f"oauth_{exc.error}"
        ) from exc
    except requests.RequestException as exc:
        raise _unreachable("token", exc) from exc
    except ExpiredTokenError:
        raise ProConnectRefusal(_CLAIM_MESSAGES["exp"] + RETRY, "claim_exp") from None
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "")
        message = _CLAIM_MESSAGES.get(claim, "Le jeton d'identité de ProConnect est invalide.")
        raise ProConnectRefusal(
            message + ("" if claim == "acr" else RETRY), f"claim_{claim}"
        ) from exc
    except JoseError as exc:
        raise ProConnectRefusal(
            "Le jeton d'identité de ProConnect est invalide (signature)." + RETRY,
            f"jose_{exc.error}",
        ) from exc
    if "id_token" not in token or not token.get("userinfo"):
        raise ProConnectRefusal(
            "ProConnect n'a pas transmis de jeton d'identité." + RETRY, "no_id_token"
        )
    id_claims = token["userinfo"]
    info = _userinfo(client, metadata, token)
    if info.get("sub") != id_claims["sub"]:
        raise ProConnectRefusal(
            "Les informations transmises par ProConnect ne concernent pas la "
            "personne connectée." + RETRY,
            "userinfo_sub",
        )
    return Identity(
        sub=str(id_claims["sub"]),
        email=str(info.get("email") or "").strip().lower(),
        given_name=str(info.get("given_name") or ""),
        usual_name=str(info.get("usual_name") or ""),
        siret=str(info.get("siret") or ""),
        id_token=token["id_token"],
    )


def _userinfo(
    client: FlaskOAuth2App, metadata: dict[str, Any], token: dict[str, Any]
) -> dict[str, Any]:
    """The userinfo answer: plain JSON, or (ProConnect) a JWT signed with the provider's keys."""
    try:
        response = client.get(metadata["userinfo_endpoint"], token=token)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise _unreachable("userinfo", exc) from exc
    if not response.headers.get("Content-Type", "").startswith("application/jwt"):
        return response.json()
    try:
        algs = metadata.get("userinfo_signing_alg_values_supported") or metadata.get(
            "id_token_signing_alg_values_supported"
        )
        try:
            decoded = jwt.decode(
                response.text.strip(),
                KeySet.import_key_set(client.fetch_jwk_set()),
                algorithms=algs,
            )
        except InvalidKeyIdError:  # the provider rotated its keys: read them again
            decoded = jwt.decode(
                response.text.strip(),
                KeySet.import_key_set(client.fetch_jwk_set(force=True)),
                algorithms=algs,
            )
        options: dict[str, jwt.ClaimsOption] = {
            "iss": {"value": metadata["issuer"]},
            "aud": {"value": current_app.config["PROCONNECT_CLIENT_ID"]},
        }
        jwt.JWTClaimsRegistry(
            now=clock(), leeway=current_app.config["PROCONNECT_LEEWAY_SECONDS"], **options
        ).validate(decoded.claims)
    except JoseError as exc:
        raise ProConnectRefusal(
            "Les informations transmises par ProConnect sont invalides." + RETRY,
            f"userinfo_{exc.error}",
        ) from exc
    return decoded.claims


def logout_redirect(id_token: str, post_logout_redirect_uri: str) -> Response:
    """Send the browser to ProConnect's end-session endpoint (303: the sign-out was a POST)."""
    client = _client()
    metadata = _metadata(client)
    if not metadata.get("end_session_endpoint"):
        raise ProConnectRefusal("ProConnect ne propose pas de déconnexion.", "no_end_session")
    response = client.logout_redirect(
        post_logout_redirect_uri=post_logout_redirect_uri,
        id_token_hint=id_token,
        client_id=current_app.config["PROCONNECT_CLIENT_ID"],
    )
    response.status_code = 303
    return response


def logout_returned() -> bool:
    """True when the browser comes back from ProConnect's end-session with the state we sent."""
    try:
        _client().validate_logout_response()
    except OAuthError:
        return False
    return True
