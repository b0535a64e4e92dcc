"""Pages of the feedback feature: an officer's rating and report, curators' moderation.

One blueprint per feature, named like the feature: its endpoints read `feedback.<page>`."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)
