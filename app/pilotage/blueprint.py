"""Pages of the pilotage feature (/pilotage): ranking weights and usage statistics.

One blueprint per feature, named like the feature: its endpoints read `pilotage.<page>`."""

from flask import Blueprint

bp = Blueprint("pilotage", __name__)
