"""GET /api/v1/risk-factors."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.accounts.api_tokens import token_required
from app.catalogue.risk_factors import all_factors
from app.core.api_schemas import error_responses
from app.db import db
from app.search.service import search
from indexer.search import SearchQuery

blp = Blueprint(
    "risk_factors",
    __name__,
    url_prefix="/api/v1/risk-factors",
    description="Les facteurs de risque, avec leurs synonymes et leur nombre d'outils publiés.",
)


class RiskFactorSchema(Schema):
    slug = fields.String(required=True)
    label = fields.String(required=True)
    description = fields.String(required=True)
    synonyms = fields.List(fields.String(), required=True)
    tool_count = fields.Integer(required=True)


@blp.route("")
class RiskFactors(MethodView):
    @token_required("agent")
    @blp.response(200, RiskFactorSchema(many=True))
    @error_responses(blp)
    def get(self) -> list[dict[str, Any]]:
        """Les facteurs de risque, avec leurs synonymes et leur nombre d'outils publiés."""
        counts = search(db.session, SearchQuery(per_page=1)).factor_counts
        return [
            {
                "slug": f.slug,
                "label": f.label,
                "description": f.description,
                "synonyms": list(f.synonyms),
                "tool_count": counts.get(f.slug, 0),
            }
            for f in all_factors(db.session)
        ]
