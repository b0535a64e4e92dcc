"""Accounts: created by the `romin user` command (and, later, by the first ProConnect login)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import hash_password
from app.models import User
from app.vocabulary import ROLES


class AccountError(ValueError):
    pass


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(session: Session, email: str, role: str, password: str | None = None,
                display_name: str = "", service: str = "") -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(f"Adresse électronique invalide : {email!r}.")
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu : {role!r} (rôles : {', '.join(ROLES)}).")
    if find_user(session, email) is not None:
        raise AccountError(f"Un compte existe déjà pour {email}.")
    if password is not None and len(password) < 12:
        raise AccountError("Le mot de passe doit contenir au moins 12 caractères.")
    user = User(email=email, role=role, display_name=display_name, service=service,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user
