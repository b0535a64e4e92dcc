"""The back office (/gestion): tools, their supports and the risk factors, for curators.

One blueprint per feature, named like the feature: its endpoints read `curation.<page>`."""

from flask import Blueprint

bp = Blueprint("curation", __name__)
