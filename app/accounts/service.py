"""Accounts: created by the first ProConnect sign-in, or beforehand by `romin user create`."""

from __future__ import annotations

import logging

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.accounts.auth import end_sessions, hash_password
from app.accounts.proconnect import Identity
from app.core.refusals import Refused
from app.core.vocabulary import ROLES
from app.db import like_pattern
from app.models import User
from app.models.base import utcnow

log = logging.getLogger(__name__)


class AccountError(Refused):
    """An account change refused (an e-mail already used, an unknown role), in French."""


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    session: Session,
    email: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
    service: str = "",
) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(f"Adresse électronique invalide : {email!r}.")
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu : {role!r} (rôles : {', '.join(ROLES)}).")
    if find_user(session, email) is not None:
        raise AccountError(f"Un compte existe déjà pour {email}.")
    if password is not None and len(password) < 12:
        raise AccountError("Le mot de passe doit contenir au moins 12 caractères.")
    user = User(
        email=email,
        role=role,
        display_name=display_name,
        service=service,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


# -- ProConnect sign-in ----------------------------------------------------------------------


class SignInRefused(Refused):
    """ProConnect said who the person is, and ROMIN does not let them in (French message;
    `reason` is a short code for the logs)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def sign_in_with_proconnect(
    session: Session, identity: Identity, allowed_domains: set[str]
) -> User:
    """The account for a ProConnect identity: found by `sub`, else created as an `agent`.

    ROMIN decides who enters: the e-mail's domain must be in the allow-list (exact match), at
    every sign-in. An account awaiting ProConnect (`romin user create --no-password`: no `sub`,
    no password) is linked on its first ProConnect sign-in with the same e-mail, keeping its
    role: that is how the first admin gets in. An account with a password is never linked by
    e-mail: whoever controls an address at ProConnect would otherwise take over an account
    someone else made. Nothing is written when the sign-in is refused.
    """
    email = identity.email
    if not email or "@" not in email or len(email) > 254:
        raise SignInRefused(
            "ProConnect n'a pas transmis d'adresse électronique valide : ROMIN ne "
            "peut pas vous identifier.",
            "no_email",
        )
    if email_domain(email) not in allowed_domains:
        raise SignInRefused(
            f"ROMIN est réservé aux agents dont l'adresse électronique se termine par "
            f"{', '.join('@' + d for d in sorted(allowed_domains))}. Votre adresse "
            f"({email}) n'en fait pas partie : aucun compte n'a été créé. Si vous pensez "
            "devoir accéder à ROMIN, adressez-vous à l'administrateur de ROMIN de votre service.",
            "domain",
        )
    linked = False
    user = session.scalar(select(User).where(User.oidc_sub == identity.sub))
    if user is None:
        user = find_user(session, email)
        if user is not None and user.oidc_sub is not None:
            raise SignInRefused(
                "Un autre compte ProConnect utilise déjà cette adresse "
                "électronique dans ROMIN. Adressez-vous à l'administrateur "
                "de ROMIN.",
                "email_taken",
            )
        if user is not None and user.password_hash is not None:
            raise SignInRefused(
                "Un compte ROMIN protégé par un mot de passe existe déjà pour cette adresse "
                "électronique : par sécurité, ProConnect ne peut pas s'y rattacher. Demandez à "
                "l'administrateur de ROMIN de préparer votre compte pour ProConnect, puis "
                "reconnectez-vous.",
                "password_account",
            )
        if user is None:
            user = User(email=email, role="agent", is_active=True, display_name="")
            session.add(user)
        else:
            linked = True
        user.oidc_sub = identity.sub
    elif user.email != email and find_user(session, email) is None:
        user.email = email  # the agent's address changed at their administration
    if not user.is_active:
        raise SignInRefused(
            "Votre compte ROMIN est désactivé. Adressez-vous à l'administrateur de ROMIN.",
            "inactive",
        )
    name = " ".join(part for part in (identity.given_name, identity.usual_name) if part).strip()
    if name:
        user.display_name = name[:200]
    if identity.siret:
        user.siret = identity.siret[:14]
    user.last_login_at = utcnow()
    session.flush()
    if linked:
        log.info("proconnect: account %s linked to its ProConnect identity", user.id)
    return user


# -- administration ---------------------------------------------------------------------------


def _matching(query: str) -> Select[tuple[User]]:
    statement = select(User)
    if query:
        pattern = like_pattern(query)
        statement = statement.where(
            User.email.ilike(pattern, escape="\\") | User.display_name.ilike(pattern, escape="\\")
        )
    return statement


def count_accounts(session: Session, query: str = "") -> int:
    return session.scalar(select(func.count()).select_from(_matching(query).subquery())) or 0


def list_accounts(
    session: Session, query: str = "", offset: int = 0, limit: int | None = None
) -> list[User]:
    """Accounts whose e-mail or name contains `query`, by e-mail (a slice, for one page)."""
    statement = _matching(query).order_by(func.lower(User.email), User.id)
    return list(session.scalars(statement.offset(offset).limit(limit)))


def set_role(session: Session, actor: User | None, user: User, role: str) -> None:
    """A new role, from the admin page (`actor`, the admin) or `romin user role` (None). The
    account's sessions end: it signs in again under its new role."""
    if role not in ROLES:
        raise AccountError("Choisissez un rôle dans la liste.")
    if actor is not None and user.id == actor.id and role != "admin":
        raise AccountError(
            "Vous ne pouvez pas retirer votre propre rôle d'administrateur : "
            "demandez-le à un autre administrateur."
        )
    if user.role != role:
        user.role = role
        end_sessions(session, user)
    session.flush()


def set_active(session: Session, actor: User | None, user: User, active: bool) -> None:
    """Deactivate (every session and token refused at once) or reactivate an account; the
    sessions of before a deactivation stay ended after a reactivation."""
    if actor is not None and user.id == actor.id and not active:
        raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
    if user.is_active != active:
        user.is_active = active
        end_sessions(session, user)
    session.flush()
