"""Pages of the accounts feature: sign-in and sign-out, and the accounts list (admins).

One blueprint per feature, named like the feature: its endpoints read `accounts.<page>`."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
