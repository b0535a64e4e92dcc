"""Pages of the workspace feature: an officer's own tools, news, plans and session packs.

One blueprint per feature, named like the feature: its endpoints read `workspace.<page>`."""

from flask import Blueprint

bp = Blueprint("workspace", __name__)
