"""Configuration from the environment. Production refuses to start without its secrets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
# A checkout (`pip install -e`, `make run`) gives development defaults; an installed ROMIN
# (a wheel: `pip install .`, the Docker image) has none and never looks beside site-packages.
CHECKOUT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "setup.cfg").is_file() else None


def data_dir(name: str) -> Path:
    """``templates`` or ``migrations``: bundled in the wheel under ``app/_bundled`` (setup.py),
    else the checkout's top-level folder."""
    candidates = [PACKAGE_DIR / "_bundled" / name]
    if CHECKOUT is not None:
        candidates.append(CHECKOUT / name)
    for directory in candidates:
        if directory.is_dir():
            return directory
    raise RuntimeError(
        f"Dossier « {name} » introuvable : installez ROMIN depuis sa roue (pip install .), qui "
        f"l'embarque dans app/_bundled/{name}, ou travaillez dans le dépôt (pip install -e .)."
    )


def _checkout_path(*parts: str) -> str:
    """A development default inside the checkout; empty when ROMIN is installed."""
    return str(CHECKOUT.joinpath(*parts)) if CHECKOUT else ""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on", "oui")


class Config:
    """Values read when the app is created, so tests can inject their own."""

    def __init__(self, **overrides: Any) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY", "")
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL", "")
        self.MEILI_URL = env.get("MEILI_URL", "")
        self.MEILI_MASTER_KEY = env.get("MEILI_MASTER_KEY", "")
        self.MEILI_INDEX = env.get("MEILI_INDEX", "tools")
        self.MEILI_TIMEOUT = float(env.get("MEILI_TIMEOUT", "2.0"))
        # Where support files are kept, and the design system's files (npm's @gouvfr/dsfr/dist):
        # required outside a checkout (production: a volume, and the image's copy of DSFR).
        self.SUPPORTS_DIR = env.get("SUPPORTS_DIR", _checkout_path("var", "supports"))
        self.DSFR_DIR = env.get(
            "DSFR_DIR", _checkout_path("node_modules", "@gouvfr", "dsfr", "dist")
        )
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
        self.SEARCH_PER_PAGE = int(env.get("SEARCH_PER_PAGE", "20"))
        self.SEARCH_CACHE_SIZE = int(env.get("SEARCH_CACHE_SIZE", "512"))
        # Key of the usage pseudonyms; empty: derived from SECRET_KEY (app.pilotage.usage).
        self.STATS_SECRET = env.get("STATS_SECRET", "")
        self.STATS_RETENTION_DAYS = int(env.get("STATS_RETENTION_DAYS", "90"))
        # In-memory index generation kept by PostgreSQL NOTIFY (off in tests, whose
        # transactions never commit; app/generation.py).
        self.SEARCH_GENERATION_LISTENER = _bool("SEARCH_GENERATION_LISTENER", True)
        # Usage events are written by a writer thread at most every this many seconds
        # (0: right after each response, in its thread; tests).
        self.USAGE_BUFFER_SECONDS = float(env.get("USAGE_BUFFER_SECONDS", "1.0"))
        # A rebuild job whose heartbeat stopped this long ago was left by a dead process.
        self.INDEX_JOB_STALE_SECONDS = float(env.get("INDEX_JOB_STALE_SECONDS", "60"))
        # Wait for a rebuild job's thread instead of answering at once (tests, whose sessions
        # share one connection that two threads must not use together).
        self.INDEX_JOB_WAIT = _bool("INDEX_JOB_WAIT", False)
        self.PRODUCTION = _bool("ROMIN_PRODUCTION", False)
        # Password sign-in, for development only: never on by default, refused in production.
        self.LOCAL_LOGIN_ENABLED = _bool("LOCAL_LOGIN_ENABLED", False)
        # ProConnect (OpenID Connect), on when PROCONNECT_ISSUER is set (README, « ProConnect »).
        self.PROCONNECT_ISSUER = env.get("PROCONNECT_ISSUER", "").strip()
        self.PROCONNECT_CLIENT_ID = env.get("PROCONNECT_CLIENT_ID", "")
        self.PROCONNECT_CLIENT_SECRET = env.get("PROCONNECT_CLIENT_SECRET", "")
        self.PROCONNECT_SCOPES = env.get(
            "PROCONNECT_SCOPES", "openid email given_name usual_name siret idp_id"
        )
        self.PROCONNECT_ACR_VALUES = env.get("PROCONNECT_ACR_VALUES", "")
        self.PROCONNECT_ALLOWED_DOMAINS = env.get("PROCONNECT_ALLOWED_DOMAINS", "")
        self.PROCONNECT_LEEWAY_SECONDS = int(env.get("PROCONNECT_LEEWAY_SECONDS", "60"))
        self.PROCONNECT_TIMEOUT = float(env.get("PROCONNECT_TIMEOUT", "10"))
        # The address people open ROMIN at (https://…), required in production: ProConnect's
        # redirect URIs are built on it, as registered there, and so are the absolute links the
        # API gives (support files), never on the request's Host header. Empty (development,
        # tests): the API gives links relative to the site, and ProConnect's come from the
        # request.
        self.PUBLIC_URL = env.get("PUBLIC_URL", "").strip().rstrip("/")
        # The weekly news e-mail (`romin alerts send`, app/workspace/mail.py); no SMTP_HOST: no
        # e-mail is sent. SMTP_SSL: TLS from the first byte (port 465); otherwise SMTP_STARTTLS
        # (on by default) upgrades the connection (port 587) and fails if the server cannot.
        self.SMTP_HOST = env.get("SMTP_HOST", "").strip()
        self.SMTP_SSL = _bool("SMTP_SSL", False)
        # (an empty value, as docker-compose.yml passes an unset one, is the default)
        self.SMTP_STARTTLS = (
            _bool("SMTP_STARTTLS") if env.get("SMTP_STARTTLS") else not self.SMTP_SSL
        )
        self.SMTP_PORT = int(env.get("SMTP_PORT") or ("465" if self.SMTP_SSL else "587"))
        self.SMTP_USERNAME = env.get("SMTP_USERNAME", "")
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD", "")
        self.SMTP_FROM = env.get("SMTP_FROM", "")  # e.g. ROMIN <romin@justice.fr>
        self.SMTP_TIMEOUT = float(env.get("SMTP_TIMEOUT", "30"))
        # Throttling (app/accounts/throttling.py). Each limit in Flask-Limiter's notation
        # ("5 per minute;30 per hour"); an empty one is off, RATELIMIT_ENABLED=0 turns all off.
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        # Counters shared by every worker: the app's PostgreSQL (app/accounts/rate_limit_storage.py),
        # or any storage the `limits` library knows (redis://…); memory:// counts per worker.
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "romin+postgresql://")
        # Counters of apps with another prefix are apart (each test's app has its own).
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "romin")
        self.RATELIMIT_SIGN_IN_PER_ACCOUNT = env.get(
            "RATELIMIT_SIGN_IN_PER_ACCOUNT", "5 per minute;30 per hour"
        )
        self.RATELIMIT_SIGN_IN_PER_ADDRESS = env.get(
            "RATELIMIT_SIGN_IN_PER_ADDRESS", "30 per minute;300 per hour"
        )
        # A whole administration may reach ROMIN through one outgoing proxy: keep it wide.
        self.RATELIMIT_PROCONNECT_PER_ADDRESS = env.get(
            "RATELIMIT_PROCONNECT_PER_ADDRESS", "120 per minute"
        )
        # Generous: a bench of 16 clients at ~1,000 requests/s for 10 s stays under it.
        self.RATELIMIT_API_PER_TOKEN = env.get("RATELIMIT_API_PER_TOKEN", "30000 per minute")
        # How many reverse proxies of ours append to X-Forwarded-For before gunicorn (0: none,
        # the header is ignored, as anyone can send it); the client's address is then the one
        # the outermost of them saw (the header's N-th entry from its end).
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", self.PRODUCTION)
        self.WTF_CSRF_TIME_LIMIT = None
        self.API_TITLE = "ROMIN API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.TESTING = False
        self.DEBUG = False
        for key, value in overrides.items():
            setattr(self, key, value)

    def check(self) -> None:
        """Fail early and clearly on a configuration that cannot work."""
        missing = [
            name
            for name, value in (
                ("DATABASE_URL", self.SQLALCHEMY_DATABASE_URI),
                ("SECRET_KEY", self.SECRET_KEY),
            )
            if not value
        ]
        if missing:
            raise RuntimeError(
                "Configuration incomplète : définissez "
                + ", ".join(missing)
                + " (voir README, « Mise en route »)."
            )
        if self.PRODUCTION and (self.DEBUG or len(self.SECRET_KEY) < 32):
            raise RuntimeError(
                "En production, SECRET_KEY doit faire au moins 32 caractères "
                "et le mode debug doit être désactivé."
            )
        if self.PRODUCTION and self.LOCAL_LOGIN_ENABLED:
            raise RuntimeError(
                "En production, la connexion par mot de passe est interdite : "
                "retirez LOCAL_LOGIN_ENABLED (les agents se connectent avec "
                "ProConnect)."
            )
        if self.PRODUCTION and not self.PUBLIC_URL.startswith("https://"):
            raise RuntimeError(
                "En production, définissez PUBLIC_URL : l'adresse https:// de ROMIN (par "
                "exemple https://romin.justice.fr). Les liens absolus et ceux enregistrés chez "
                "ProConnect sont construits sur elle, jamais sur l'en-tête Host des requêtes."
            )
        self._check_proconnect()
        self._check_paths()

    def _check_paths(self) -> None:
        if not self.SUPPORTS_DIR:
            raise RuntimeError(
                "Définissez SUPPORTS_DIR : le dossier où ROMIN range les fichiers des supports "
                "(en production, un volume qui survit aux mises à jour)."
            )
        if not (self.DSFR_DIR and (Path(self.DSFR_DIR) / "dsfr.min.css").is_file()):
            raise RuntimeError(
                f"DSFR_DIR ({self.DSFR_DIR or 'non défini'}) doit désigner le dossier dist du "
                "système de design de l'État, qui contient dsfr.min.css : dans le dépôt, lancez "
                "`npm ci --ignore-scripts` ; ailleurs, copiez node_modules/@gouvfr/dsfr/dist et "
                "définissez DSFR_DIR (l'image Docker le fait : /srv/romin/dsfr)."
            )

    def _check_proconnect(self) -> None:
        if not self.PROCONNECT_ISSUER:
            return
        needed = ("PROCONNECT_CLIENT_ID", "PROCONNECT_CLIENT_SECRET", "PROCONNECT_ALLOWED_DOMAINS")
        missing = [name for name in needed if not getattr(self, name).strip()]
        if missing:
            raise RuntimeError(
                "ProConnect est activé (PROCONNECT_ISSUER) mais incomplet : "
                "définissez " + ", ".join(missing) + " (voir README, « ProConnect »)."
            )
        if self.PRODUCTION and not self.PROCONNECT_ISSUER.startswith("https://"):
            raise RuntimeError("En production, PROCONNECT_ISSUER doit être une adresse https://.")

    def as_mapping(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k.isupper()}
