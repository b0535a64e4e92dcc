"""POST /api/v1/tools/<slug>/feedback: an officer's rating through the API.

On the tools API blueprint, so that the API's paths and tags stay those of the tools."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from app.accounts.api_tokens import token_required
from app.accounts.bearer import api_account
from app.catalogue.api import blp, tool_out
from app.catalogue.service import get_tool
from app.catalogue.visibility import may_see
from app.core import signals
from app.core.api import abort
from app.core.api_schemas import error_responses
from app.core.vocabulary import PUBLISHED
from app.db import db
from app.feedback import ratings as feedback_service
from app.feedback.schemas import FeedbackOutSchema, FeedbackSchema


@blp.route("/<slug>/feedback")
class ToolFeedback(MethodView):
    @token_required("agent")
    @blp.arguments(FeedbackSchema)
    @blp.response(200)
    @blp.alt_response(200, schema=FeedbackOutSchema, success=True)
    @error_responses(blp, 404, 409, 413, 415, 422)
    def post(self, data: dict[str, Any], slug: str) -> dict[str, Any]:
        """Donne ou remplace sa note et son commentaire sur un outil publié."""
        tool = get_tool(db.session, slug)
        if tool is None or not may_see(tool, g.api_user):
            abort(404, message="Aucun outil publié ne porte cet identifiant.")
        if tool.status != PUBLISHED:  # seen by its curators: it exists, not yet to be rated
            abort(409, message="Cet outil n'est pas publié : il ne peut pas encore être noté.")
        try:
            feedback = feedback_service.rate(db.session, tool, api_account(), **data)
        except feedback_service.FeedbackError as exc:
            abort(422, errors={"json": exc.errors}, message="Données invalides.")
        signals.feedback_given.send(tool, risk_factor=data.get("risk_factor"), user=g.api_user)
        return {
            "rating": feedback.rating,
            "comment": feedback.comment,
            "risk_factor": feedback.risk_factor.slug if feedback.risk_factor else None,
            "tool": tool_out(tool)["rating"],
        }
