"""Plugs feedback into the app: the rating and report forms, moderation, the sheet's section.

Its API operation (POST /api/v1/tools/<slug>/feedback) is on the tools API blueprint, imported
here so that it is there before the catalogue registers that blueprint."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.feedback import api as feedback_api
from app.feedback import moderation_views, views
from app.feedback.blueprint import bp

_ROUTES = (views, moderation_views, feedback_api)  # imported for the routes they add


def register(app: Flask, api: Api) -> None:
    app.register_blueprint(bp)
