"""A rating and comment, as officers send it from the tool sheet or the API."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates

from app.core import vocabulary as v
from app.core.identifying import identifying_refusal

COMMENT_MAX = 2000


class FeedbackSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "Données invalides : objet attendu."}

    rating = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=5, error="La note va de 1 à 5 étoiles."),
        error_messages={
            "required": "Choisissez une note de 1 à 5.",
            "invalid": "La note doit être un nombre de 1 à 5.",
            "null": "Choisissez une note de 1 à 5.",
        },
    )
    comment = fields.String(
        load_default="",
        validate=validate.Length(
            max=COMMENT_MAX, error=f"Le commentaire dépasse {COMMENT_MAX} caractères."
        ),
    )
    risk_factor = fields.String(load_default=None, allow_none=True)
    modality = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            v.slugs(v.MODALITIES), error="Modalité inconnue : individuelle, collective ou mixte."
        ),
    )
    sessions_used = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=100, error="Le nombre de séances va de 1 à 100."),
        error_messages={"invalid": "Le nombre de séances doit être un nombre entier."},
    )
    minutes_spent = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=1000, error="La durée va de 1 à 1000 minutes."),
        error_messages={"invalid": "La durée doit être un nombre entier de minutes."},
    )

    @validates("comment")
    def _identifies_no_one(self, value: str, **_kwargs: object) -> None:
        message = identifying_refusal(value, "Le commentaire")
        if message:
            raise ValidationError(message)

    @pre_load
    def _blank_is_none(self, data: Any, **_kwargs: object) -> Any:
        """An empty form field means "not given"."""
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if not isinstance(data, dict):
            return data  # not an object: refused by the schema (422), never a 500
        return {
            k: (None if isinstance(val, str) and not val.strip() and k != "comment" else val)
            for k, val in data.items()
        }


class RatingSummarySchema(Schema):
    average = fields.Float(required=True, allow_none=True)
    count = fields.Integer(required=True)


class FeedbackOutSchema(Schema):
    """What POST /api/v1/tools/<slug>/feedback answers (the OpenAPI's; the view builds it)."""

    rating = fields.Integer(required=True)
    comment = fields.String(required=True)
    risk_factor = fields.String(required=True, allow_none=True)
    tool = fields.Nested(
        RatingSummarySchema, required=True, metadata={"description": "La note de l'outil, à jour."}
    )
