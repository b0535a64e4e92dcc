"""GET/PUT /api/v1/ranking/weights and POST /api/v1/ranking/preview."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, g, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import RAISE, Schema, fields

from app.accounts.api_tokens import token_required
from app.accounts.bearer import api_account
from app.catalogue.scores import current_weights
from app.core.api_schemas import error_responses
from app.db import after_commit, db
from app.pilotage import weights as service
from app.pilotage.schemas import (
    WEIGHTS_REQUEST,
    PreviewOutSchema,
    WeightsOutSchema,
    WeightsSavedSchema,
)
from app.search.service import factor_slugs
from ranking import WEIGHT_BOUNDS

blp = Blueprint(
    "ranking_api",
    __name__,
    url_prefix="/api/v1/ranking",
    description="Poids du classement : lecture, modification (support), aperçu.",
)

_MESSAGES = {"type": "Le corps de la requête doit être un objet JSON.", "unknown": "Champ inconnu."}


class WeightsPutSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = _MESSAGES
    # checked by the service, with its French messages; declared here for the OpenAPI
    weights = fields.Raw(
        required=True,
        metadata={
            **WEIGHTS_REQUEST,
            "description": "Nom du poids → valeur ; les poids absents gardent leur valeur actuelle.",
            "example": {"rating": 0.3, "evidence": 0.7},
        },
        error_messages={"required": "Donnez les poids à modifier (objet nom → valeur)."},
    )
    note = fields.Raw(
        required=True,
        metadata={
            "description": "Raison du changement.",
            "type": "string",
            "minLength": 1,
            "maxLength": service.NOTE_MAX,
            "pattern": r"\S",
        },
        error_messages={"required": "Expliquez en quelques mots la raison de ce changement."},
    )


class PreviewSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = _MESSAGES
    risk_factor = fields.String(
        required=True,
        error_messages={
            "required": "Indiquez le facteur de risque (identifiant, par exemple « addictions »).",
            "invalid": "Le facteur de risque doit être un identifiant texte.",
        },
    )
    weights = fields.Raw(
        load_default=dict,
        metadata={
            **WEIGHTS_REQUEST,
            "description": "Poids à essayer ; les poids absents gardent leur valeur actuelle.",
        },
    )


def _weights_out() -> dict[str, Any]:
    latest = service.latest_version(db.session)
    return {
        "version": latest.id if latest else None,
        "weights": current_weights(db.session).as_dict(),
        "bounds": {name: {"min": low, "max": high} for name, (low, high) in WEIGHT_BOUNDS.items()},
        "explanations": {
            name: {"label": h.label, "explanation": h.explanation, "bounds": h.bounds_text}
            for name, h in service.HELP.items()
        },
        "updated_at": latest.created_at.isoformat() if latest else None,
        "note": latest.note if latest else None,
    }


def _invalid(errors: dict[str, Any]) -> None:
    abort(422, errors={"json": errors}, message="Données invalides.")


def _json_numbers(values: object) -> object:
    """The weights as JSON sends them: a number only (the page's form takes « 0,5 », the API
    does not). Anything else, or a number past a float, becomes NaN, which the service refuses
    as not a number."""
    if not isinstance(values, dict):
        return values
    return {key: _number_or_nan(value) for key, value in values.items()}


def _number_or_nan(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan


def _refuse_weights(problems: dict[str, list[str]], sent: object) -> None:
    """422 for weights wrong in themselves; 409 when they are right but, with the weights in
    force for those not sent, would leave every signal at 0 (all tools tied)."""
    sent_all_zero = isinstance(sent, dict) and all(sent.get(name) == 0 for name in service.SIGNALS)
    if isinstance(sent, dict) and set(problems) == {"_schema"} and not sent_all_zero:
        abort(409, message=" ".join(problems["_schema"]))
    _invalid(_split(problems))


def _split(errors: dict[str, list[str]]) -> dict[str, Any]:
    """Service messages to the request's shape: weights' own under "weights", the note and the
    factor apart."""
    out: dict[str, Any] = {}
    for key, messages in errors.items():
        if key in ("note", "risk_factor"):
            out[key] = messages
        else:
            out.setdefault("weights", {})[key] = messages
    return out


@blp.route("/weights")
class RankingWeights(MethodView):
    @token_required("agent")
    @blp.response(200)
    @blp.alt_response(200, schema=WeightsOutSchema, success=True)
    @error_responses(blp)
    def get(self) -> dict[str, Any]:
        """Les poids du classement en vigueur, leurs bornes et ce que fait chacun."""
        return _weights_out()

    @token_required("staff")
    @blp.arguments(WeightsPutSchema)
    @blp.response(200)
    @blp.alt_response(200, schema=WeightsSavedSchema, success=True)
    @error_responses(blp, 409, 413, 415, 422)
    def put(self, data: dict[str, Any]) -> dict[str, Any]:
        """Enregistre de nouveaux poids (support) : nouvelle version, scores recalculés."""
        try:
            version = service.save_weights(
                db.session, _json_numbers(data["weights"]), data.get("note"), api_account()
            )
        except service.WeightsError as exc:
            _refuse_weights(exc.errors, data["weights"])
        out = _weights_out()
        out["version"] = version.id
        out["index"] = {"synced": None, "error": None}
        after_commit(_report_index)  # the index follows the commit: say whether it did
        return out


def _report_index(response: Response) -> None:
    """Once committed (and pushed): the answer's `index` says whether the push succeeded."""
    body = response.get_json()
    index_error = getattr(g, "index_error", None)
    body["index"] = {"synced": index_error is None, "error": index_error}
    response.set_data(jsonify(body).get_data())


def _row(row: service.PreviewRow) -> dict[str, Any]:
    b = row.breakdown
    return {
        "rank": row.rank,
        "slug": row.slug,
        "title": row.title,
        # the stored score: the tier (1 recommended, 0 not) plus the score within the tier, the
        # sum of the contributions below
        "score": row.score,
        "tier": b.tier,
        "within_tier": row.within_tier,
        "not_recommended": b.tier == 0,
        "move": row.move,
        "other_rank": row.other_rank,
        "breakdown": {
            name: {
                "signal": round(b.signals[name], 6),
                "contribution": round(b.contributions[name], 6),
            }
            for name in b.signals
        },
    }


@blp.route("/preview")
class RankingPreview(MethodView):
    @token_required("staff")
    @blp.arguments(PreviewSchema)
    @blp.response(200)
    @blp.alt_response(200, schema=PreviewOutSchema, success=True)
    @error_responses(blp, 409, 413, 415, 422)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Les 10 premiers outils d'un facteur de risque, aujourd'hui et avec les poids proposés.

        Dans "after", "move" vaut up, down, new ou same et "other_rank" est le rang d'aujourd'hui ;
        dans "before", "move" vaut up, down, out ou same et "other_rank" est le rang à venir.
        "within_tier" est le score dans le groupe (somme des contributions, entre 0 et 1) ;
        "score" y ajoute le groupe ("tier" : 1 recommandé, 0 non recommandé, toujours après).
        Rien n'est enregistré.
        """
        proposed, problems = service.validate_values(
            _json_numbers(data["weights"]), current_weights(db.session)
        )
        if data["risk_factor"] not in factor_slugs(db.session):
            problems["risk_factor"] = ["Facteur de risque inconnu."]
        if problems:
            _refuse_weights(problems, data["weights"])
        result = service.preview(db.session, data["risk_factor"], proposed)
        return {
            "risk_factor": result.factor.slug,
            "total": result.total,
            "current_weights": result.current.as_dict(),
            "proposed_weights": result.proposed.as_dict(),
            "before": [_row(r) for r in result.before],
            "after": [_row(r) for r in result.after],
        }
