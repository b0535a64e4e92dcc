"""GET/POST/PATCH /api/v1/tools (a rating, POST …/feedback, is added by app/feedback/api.py)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from app.accounts.api_tokens import token_required
from app.accounts.bearer import api_account
from app.catalogue.ratings import summary
from app.catalogue.schemas import ToolInSchema, ToolOutSchema, ToolPatchSchema
from app.catalogue.service import CatalogueError, get_tool, save_tool
from app.catalogue.urls import support_url
from app.catalogue.visibility import may_see
from app.core.api import abort
from app.core.api_schemas import error_responses
from app.db import db
from app.models import Tool

blp = Blueprint(
    "tools_api",
    __name__,
    url_prefix="/api/v1/tools",
    description="Fiches outils et retours d'expérience.",
)


def tool_out(tool: Tool) -> dict[str, Any]:
    average, count, _ = summary(db.session, tool)
    data = ToolOutSchema().dump(tool)
    data["rating"] = {"average": round(average, 2) if average is not None else None, "count": count}
    data["supports"] = [
        {
            "id": s.id,
            "title": s.title,
            "filename": s.filename,
            "content_type": s.content_type,
            "size": s.size,
            "sha256": s.sha256,
            "url": support_url(tool, s, public=True),
        }
        for s in tool.supports
    ]
    return data


def _readable_tool(slug: str) -> Tool:
    tool = get_tool(db.session, slug)
    if tool is None or not may_see(tool, g.api_user):
        abort(404, message="Aucun outil publié ne porte cet identifiant.")
    return tool


def _save(data: dict[str, Any], tool: Tool | None = None) -> Tool:
    try:
        tool = save_tool(db.session, data, tool, author=api_account(), source="api")
    except CatalogueError as exc:
        abort(422, errors={"json": exc.errors}, message="Données invalides.")
    return tool


@blp.route("")
class Tools(MethodView):
    @token_required("curator")
    @blp.arguments(ToolInSchema)
    @blp.response(201)
    @blp.alt_response(201, schema=ToolOutSchema, success=True)
    @error_responses(blp, 413, 415, 422)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Crée une fiche outil (curateurs)."""
        tool = _save(data)
        return tool_out(tool)


@blp.route("/<slug>")
class ToolItem(MethodView):
    @token_required("agent")
    @blp.response(200)
    @blp.alt_response(200, schema=ToolOutSchema, success=True)
    @error_responses(blp, 404)
    def get(self, slug: str) -> dict[str, Any]:
        """Une fiche outil complète."""
        return tool_out(_readable_tool(slug))

    @token_required("curator")
    @blp.arguments(ToolPatchSchema(partial=True), required=False)  # no body: nothing changes
    @blp.response(200)
    @blp.alt_response(200, schema=ToolOutSchema, success=True)
    @error_responses(blp, 404, 413, 415, 422)
    def patch(self, data: dict[str, Any], slug: str) -> dict[str, Any]:
        """Modifie une fiche outil (curateurs) : seuls les champs envoyés changent."""
        tool = get_tool(db.session, slug)
        if tool is None:
            abort(404, message="Aucun outil ne porte cet identifiant.")
        return tool_out(_save(data, tool))
