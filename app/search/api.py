"""GET /api/v1/search: the tools best first, with facet counts."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from app.accounts.api_tokens import token_required
from app.core import signals
from app.core.api import abort
from app.core.api_schemas import error_responses
from app.db import db
from app.search.schemas import ApiSearchArgs, SearchOutSchema, to_query
from app.search.service import SearchAnswer, factor_slugs, hit_reasons, search

blp = Blueprint(
    "search_api",
    __name__,
    url_prefix="/api/v1/search",
    description="Recherche d'outils par facteur de risque.",
)

# index attribute -> API facet name
FACET_NAMES = {
    "risk_factors": "risk_factor",
    "stages": "stage",
    "phase": "phase",
    "modality": "modality",
    "sessions": "sessions",
    "kind": "kind",
    "evidence_level": "evidence_level",
    "setting": "setting",
    "responsivity": "responsivity",
}


def _hit(hit: dict[str, Any], why: list[str]) -> dict[str, Any]:
    return {
        "slug": hit["slug"],
        "title": hit["title"],
        "summary": hit["summary"],
        "risk_factors": hit["risk_factors"],
        "stages": hit.get("stages", []),
        "kind": hit["kind"],
        "modality": hit.get("modality"),
        "sessions": hit.get("sessions"),
        "minutes_per_session": hit.get("minutes_per_session"),
        "preparation_minutes": hit.get("preparation_minutes"),
        "evidence_level": hit["evidence_level"],
        "phase": hit.get("phase"),
        "not_recommended": hit["not_recommended"],
        # 1, or 0 for a non-recommended tool: every tool of tier 1 comes first
        "tier": hit.get("tier", 0 if hit["not_recommended"] else 1),
        # whether the tool matches the words that rank (None when no words rank), and where
        # when they rank within filters: title_or_summary, further_down (else None)
        "matches_words": hit.get("matched"),
        "words_in": hit.get("matched_in"),
        "rating": {"average": hit.get("rating_average"), "count": hit.get("rating_count", 0)},
        "score": hit["score"],
        # « Pourquoi ce rang ? »: the tier, the words, the rating and the evidence, in French
        "why": why,
    }


@blp.route("")
class Search(MethodView):
    @token_required("agent")
    @blp.arguments(ApiSearchArgs(), location="query", as_kwargs=False)
    @blp.response(200)
    @blp.alt_response(200, schema=SearchOutSchema, success=True)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Outils correspondant à un facteur de risque et/ou à un texte, les meilleurs d'abord."""
        if args.get("factor") and args["factor"] not in factor_slugs(db.session):
            abort(
                422,
                errors={"query": {"risk_factor": ["Facteur de risque inconnu."]}},
                message="Paramètres invalides.",
            )
        answer = search(db.session, to_query(args, current_app.config["SEARCH_PER_PAGE"]))
        signals.search_answered.send(answer, user=g.api_user)
        facets = {
            FACET_NAMES[k]: {str(value): count for value, count in v.items()}
            for k, v in answer.result.facets.items()
            if k in FACET_NAMES
        }
        for name in FACET_NAMES.values():
            facets.setdefault(name, {})
        return {
            "hits": [
                _hit(h, why)
                for h, why in zip(answer.result.hits, hit_reasons(db.session, answer), strict=True)
            ],
            "total": answer.result.total,
            "page": answer.query.page,
            "per_page": answer.query.per_page,
            "pages": answer.pages,
            "facets": facets,
            "resolved_risk_factor": answer.resolved_factor,
            "interpretation": _interpretation(answer),
            "degraded": answer.degraded,
        }


def _interpretation(answer: SearchAnswer) -> dict[str, Any]:
    """How the text was read: the filters it named, the words that still rank, and how many
    tools of the set match them (0: a content gap)."""
    reading = answer.reading
    return {
        "text": answer.typed_text,
        "risk_factor": answer.query.factor,
        "stage": list(answer.query.facets.get("stages", ())),
        "phase": list(answer.query.facets.get("phase", ())),
        "words": answer.query.text,
        "words_rank_within_filters": answer.query.keep_rest,
        "recognised": [
            {"words": words, "filter": kind, "value": slug}
            for words, kind, slug in (reading.recognised if reading else ())
        ],
        "tools_matching_words": answer.result.matched_total,
        # the words match no tool of the filtered set: counted as a content gap
        "content_gap": answer.content_gap,
    }
