"""Search arguments, one definition for the page (French names) and the API (English names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from werkzeug.datastructures import MultiDict

from app.core import vocabulary as v
from indexer.search import SearchQuery

# internal name -> (page argument, API argument, index attribute)
FACET_ARGUMENTS = {
    "stage": ("stade", "stage", "stages"),
    "phase": ("phase", "phase", "phase"),
    "modality": ("modalite", "modality", "modality"),
    "sessions": ("seances", "sessions", "sessions"),
    "kind": ("type", "kind", "kind"),
    "evidence_level": ("preuve", "evidence_level", "evidence_level"),
    "setting": ("milieu", "setting", "setting"),
    "responsivity": ("public", "responsivity", "responsivity"),
}
FACET_CHOICES = {
    "stage": v.slugs(v.STAGES),
    "phase": v.slugs(v.PHASES),
    "modality": v.slugs(v.MODALITIES),
    "sessions": v.slugs(v.SESSIONS),
    "kind": v.slugs(v.KINDS),
    "evidence_level": v.slugs(v.EVIDENCE_LEVELS),
    "setting": v.slugs(v.SETTINGS),
    "responsivity": v.slugs(v.RESPONSIVITY),
}
MAX_PER_PAGE = 100


def _choices(choices: Sequence[str], what: str) -> fields.List:
    """A facet group: one value or several (repeated in the URL), each among `choices`."""
    return fields.List(
        fields.String(
            validate=validate.OneOf(
                choices, error=f"{what} inconnu(e) : choisissez parmi {', '.join(choices)}."
            )
        ),
        load_default=list,
    )


def _schema(page: bool) -> type[Schema]:
    index = 0 if page else 1
    attrs: dict[str, fields.Field | type] = {
        "factor": fields.String(
            data_key="facteur" if page else "risk_factor",
            load_default=None,
            validate=validate.Length(max=40),
        ),
        "q": fields.String(
            load_default="",
            validate=validate.Length(
                max=200, error="Le texte recherché est trop long (200 caractères au plus)."
            ),
        ),
        "page": fields.Integer(
            load_default=1,
            validate=validate.Range(
                min=1, max=10000, error="Le numéro de page doit être compris entre 1 et 10 000."
            ),
            error_messages={"invalid": "Le numéro de page doit être un nombre entier."},
        ),
        "min_evidence": fields.Integer(
            data_key="preuve_min" if page else "min_evidence",
            load_default=None,
            validate=validate.Range(min=0, max=4, error="Le niveau de preuve minimal va de 0 à 4."),
            error_messages={"invalid": "Le niveau de preuve minimal doit être un nombre de 0 à 4."},
        ),
    }
    labels = {
        "stage": "Stade",
        "modality": "Modalité",
        "sessions": "Nombre de séances",
        "kind": "Type d'outil",
        "evidence_level": "Niveau de preuve",
        "setting": "Milieu",
        "phase": "Phase",
        "responsivity": "Public ou besoin particulier",
    }
    for name, names in FACET_ARGUMENTS.items():
        field = _choices(FACET_CHOICES[name], labels[name])
        field.data_key = names[index]
        attrs[name] = field
    if page:
        attrs["as_text"] = fields.Boolean(data_key="texte", load_default=False)
    else:
        attrs["per_page"] = fields.Integer(
            load_default=20,
            validate=validate.Range(
                min=1, max=MAX_PER_PAGE, error=f"per_page va de 1 à {MAX_PER_PAGE}."
            ),
        )

    class Meta:
        unknown = EXCLUDE

    attrs["Meta"] = Meta
    return type("PageSearchArgs" if page else "ApiSearchArgs", (Schema,), attrs)


PageSearchArgs = _schema(page=True)
ApiSearchArgs = _schema(page=False)


LIST_ARGUMENTS = frozenset(
    name for names in FACET_ARGUMENTS.values() for name in (names[0], names[1])
)


def query_arguments(args: MultiDict[str, str]) -> dict[str, Any]:
    """A query string as the schemas read it: facet groups as lists (an argument repeated for
    each value), every other argument once."""
    return {key: (args.getlist(key) if key in LIST_ARGUMENTS else args.get(key)) for key in args}


def to_query(args: dict[str, Any], per_page: int) -> SearchQuery:
    facets = {
        FACET_ARGUMENTS[name][2]: tuple(dict.fromkeys(args[name]))
        for name in FACET_ARGUMENTS
        if args.get(name)
    }
    return SearchQuery(
        factor=args.get("factor") or None,
        text=(args.get("q") or "").strip(),
        facets=facets,
        min_evidence=args.get("min_evidence"),
        page=args.get("page", 1),
        per_page=args.get("per_page") or per_page,
    )


# -- the search API's answer (documentation of GET /api/v1/search; the view builds it) --------


class RatingOutSchema(Schema):
    average = fields.Float(required=True, allow_none=True)
    count = fields.Integer(required=True)


class SearchHitSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    risk_factors = fields.List(fields.String(), required=True)
    stages = fields.List(fields.String(), required=True)
    kind = fields.String(required=True)
    modality = fields.String(required=True, allow_none=True)
    sessions = fields.String(required=True, allow_none=True)
    minutes_per_session = fields.Integer(required=True, allow_none=True)
    preparation_minutes = fields.Integer(required=True, allow_none=True)
    evidence_level = fields.Integer(required=True)
    phase = fields.String(required=True, allow_none=True)
    not_recommended = fields.Boolean(required=True)
    tier = fields.Integer(
        required=True, metadata={"description": "1, ou 0 pour un outil non recommandé."}
    )
    matches_words = fields.Boolean(
        required=True,
        allow_none=True,
        metadata={"description": "L'outil contient les mots qui classent (null : aucun mot)."},
    )
    words_in = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Où : title_or_summary, further_down (null sinon)."},
    )
    rating = fields.Nested(RatingOutSchema, required=True)
    score = fields.Float(required=True)
    why = fields.List(
        fields.String(), required=True, metadata={"description": "« Pourquoi ce rang ? »"}
    )


class RecognisedSchema(Schema):
    words = fields.String(required=True)
    filter = fields.String(required=True)
    value = fields.String(required=True)


class InterpretationSchema(Schema):
    text = fields.String(required=True)
    risk_factor = fields.String(required=True, allow_none=True)
    stage = fields.List(fields.String(), required=True)
    phase = fields.List(fields.String(), required=True)
    words = fields.String(required=True)
    words_rank_within_filters = fields.Boolean(required=True)
    recognised = fields.List(fields.Nested(RecognisedSchema), required=True)
    tools_matching_words = fields.Integer(required=True, allow_none=True)
    content_gap = fields.Boolean(required=True)


class SearchOutSchema(Schema):
    hits = fields.List(fields.Nested(SearchHitSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        required=True,
        metadata={"description": "Facette → valeur → nombre d'outils."},
    )
    resolved_risk_factor = fields.String(required=True, allow_none=True)
    interpretation = fields.Nested(InterpretationSchema, required=True)
    degraded = fields.Boolean(
        required=True,
        metadata={"description": "Vrai quand la réponse vient de PostgreSQL (moteur injoignable)."},
    )
