"""The ranking API's answers, as the OpenAPI declares them (app/pilotage/api.py builds them),
and the shape of the weights a request sends."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.pilotage.weights import SIGNALS
from ranking import WEIGHT_BOUNDS

# The weights a request sends, for the OpenAPI: JSON numbers within their bounds, at least one
# of the four signals above 0 when all four are sent (the service checks them: app/pilotage/
# weights.py; against the weights in force, the check answers 409).
WEIGHTS_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {"type": "number", "minimum": low, "maximum": high}
        for name, (low, high) in WEIGHT_BOUNDS.items()
    },
    "additionalProperties": False,
    "not": {
        "required": list(SIGNALS),
        "properties": {name: {"maximum": 0} for name in SIGNALS},
    },
}


def _numbers(description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": description},
    )


class BoundsSchema(Schema):
    min = fields.Float(required=True)
    max = fields.Float(required=True)


class WeightHelpSchema(Schema):
    label = fields.String(required=True)
    explanation = fields.String(required=True)
    bounds = fields.String(required=True)


class IndexSyncSchema(Schema):
    synced = fields.Boolean(
        required=True,
        allow_none=True,
        metadata={"description": "L'index de recherche a suivi (null : pas encore su)."},
    )
    error = fields.String(required=True, allow_none=True)


class WeightsOutSchema(Schema):
    version = fields.Integer(required=True, allow_none=True)
    weights = _numbers("Nom du poids → valeur en vigueur.")
    bounds = fields.Dict(keys=fields.String(), values=fields.Nested(BoundsSchema), required=True)
    explanations = fields.Dict(
        keys=fields.String(), values=fields.Nested(WeightHelpSchema), required=True
    )
    updated_at = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)


class WeightsSavedSchema(WeightsOutSchema):
    index = fields.Nested(IndexSyncSchema, required=True)


class ContributionSchema(Schema):
    signal = fields.Float(required=True)
    contribution = fields.Float(required=True)


class PreviewRowSchema(Schema):
    rank = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    score = fields.Float(required=True)
    tier = fields.Integer(required=True)
    within_tier = fields.Float(required=True)
    not_recommended = fields.Boolean(required=True)
    move = fields.String(required=True, metadata={"enum": ["up", "down", "new", "out", "same"]})
    other_rank = fields.Integer(required=True, allow_none=True)
    breakdown = fields.Dict(
        keys=fields.String(), values=fields.Nested(ContributionSchema), required=True
    )


class PreviewOutSchema(Schema):
    risk_factor = fields.String(required=True)
    total = fields.Integer(required=True)
    current_weights = _numbers("Les poids en vigueur.")
    proposed_weights = _numbers("Les poids essayés.")
    before = fields.List(fields.Nested(PreviewRowSchema), required=True)
    after = fields.List(fields.Nested(PreviewRowSchema), required=True)
