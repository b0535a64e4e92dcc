"""A tool sheet at the API boundary: the same field names as the sheet."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from app.catalogue.evidence import evidence_problems
from app.catalogue.fields import (
    FACTOR_REFERENCES_MAX,
    FACTOR_SLUG_MAX,
    LIST_LIMITS,
    REFERENCE_MAX,
    TEXT_LIMITS,
    TITLE_MIN,
    count_fr,
    sheet_size_problem,
)
from app.catalogue.phases import sheet_problems
from app.core import vocabulary as v
from app.core.refusals import WHOLE
from app.core.vocabulary import DRAFT

SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    error="Identifiant invalide : lettres minuscules, chiffres et tirets.",
)


def _one_of(terms: tuple[v.Term, ...], what: str) -> validate.OneOf:
    choices = v.slugs(terms)
    return validate.OneOf(
        choices, error=f"{what} inconnu(e) : choisissez parmi {', '.join(choices)}."
    )


def _text(name: str, what: str, **kwargs: Any) -> fields.String:
    """A text field of the sheet, within its limit (app.catalogue.fields), with French messages
    (what: « Le résumé », « Les précautions »...)."""
    max_length = TEXT_LIMITS[name]
    return fields.String(
        validate=validate.Length(
            max=max_length, error=f"{what} : {count_fr(max_length)} caractères au plus."
        ),
        error_messages={
            "invalid": f"{what} : texte attendu.",
            "required": f"{what} : champ obligatoire.",
        },
        **kwargs,
    )


def _minutes(minimum: int, what: str) -> fields.Integer:
    return fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(
            min=minimum, max=1440, error=f"{what} : un nombre de minutes entre {minimum} et 1440."
        ),
        error_messages={"invalid": f"{what} : indiquez un nombre entier de minutes."},
    )


def _at_most(name: str, what: str) -> validate.Length:
    """A list's limit (app.catalogue.fields.LIST_LIMITS), said in French."""
    limit = LIST_LIMITS[name]
    return validate.Length(max=limit, error=f"{what} : {limit} au plus.")


def _choices(name: str, terms: tuple[v.Term, ...], what: str, plural: str) -> fields.List:
    return fields.List(
        fields.String(validate=_one_of(terms, what)),
        load_default=list,
        validate=_at_most(name, plural),
        error_messages={"invalid": f"{what} : liste de valeurs attendue."},
    )


def _references(limit: int, what: str) -> fields.List:
    """A list of references: how many, and how long each (a reference is a line of text)."""
    return fields.List(
        fields.String(
            validate=validate.Length(
                max=REFERENCE_MAX,
                error=f"Une référence fait {count_fr(REFERENCE_MAX)} caractères au plus.",
            ),
        ),
        load_default=list,
        validate=validate.Length(max=limit, error=f"{what} : {limit} au plus."),
        error_messages={"invalid": "Références : liste attendue."},
    )


_EVIDENCE_RANGE = "Le niveau de preuve va de 0 à 4."
_SUMMARY = f"Le résumé est obligatoire ({count_fr(TEXT_LIMITS['summary'])} caractères au plus)."
_FACTOR_SLUG = (
    f"Facteur de risque : un identifiant de {FACTOR_SLUG_MAX} caractères au plus est attendu."
)


class FactorEvidenceSchema(Schema):
    """The evidence for one of the tool's factors, when it differs from the tool's own."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "Champ inconnu.", "type": "Données invalides : objet attendu."}

    evidence_level = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=4, error=_EVIDENCE_RANGE),
        error_messages={"invalid": _EVIDENCE_RANGE},
    )
    references = _references(FACTOR_REFERENCES_MAX, "Références propres à un facteur")


class ToolInSchema(Schema):
    """Create (all required fields) or, with partial=True, update. Messages in French: pages
    and the API show them to curators as they are."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "Champ inconnu.", "type": "Données invalides : objet attendu."}

    slug = fields.String(
        validate=[
            validate.Length(
                min=2, max=100, error="L'identifiant doit faire entre 2 et 100 caractères."
            ),
            SLUG,
        ]
    )
    title = fields.String(
        required=True,
        validate=validate.Length(
            min=TITLE_MIN,
            max=TEXT_LIMITS["title"],
            error=f"Le titre doit faire entre {TITLE_MIN} et {TEXT_LIMITS['title']} caractères.",
        ),
        error_messages={
            "required": "Le titre est obligatoire.",
            "invalid": "Titre : texte attendu.",
        },
    )
    summary = fields.String(
        required=True,
        validate=validate.Length(min=1, max=TEXT_LIMITS["summary"], error=_SUMMARY),
        error_messages={"required": _SUMMARY, "invalid": "Résumé : texte attendu."},
    )
    instructions = _text("instructions", "Le mode d'emploi", load_default="")
    precautions = _text("precautions", "Les précautions d'usage", load_default="")
    protective_factors = _text("protective_factors", "Les facteurs de protection", load_default="")
    # at least one, except on a tool for the officer's own work, which has none (see
    # app/catalogue/phases.py and the schema's check below)
    risk_factors = fields.List(
        fields.String(
            validate=validate.Length(max=FACTOR_SLUG_MAX, error=_FACTOR_SLUG),
            error_messages={"invalid": _FACTOR_SLUG},
        ),
        load_default=list,
        validate=_at_most("risk_factors", "Facteurs de risque"),
        error_messages={"invalid": "Facteurs de risque : liste attendue."},
    )
    stages = _choices("stages", v.STAGES, "Stade", "Stades")
    modality = fields.String(
        allow_none=True, load_default=None, validate=_one_of(v.MODALITIES, "Modalité")
    )
    sessions = fields.String(
        allow_none=True, load_default=None, validate=_one_of(v.SESSIONS, "Nombre de séances")
    )
    minutes_per_session = _minutes(1, "Durée d'une séance")
    preparation_minutes = _minutes(0, "Temps de préparation")
    setting = _choices("setting", v.SETTINGS, "Milieu", "Milieux")
    responsivity = _choices("responsivity", v.RESPONSIVITY, "Réceptivité", "Publics")
    kind = fields.String(load_default="outil", validate=_one_of(v.KINDS, "Type"))
    phase = fields.String(load_default="intervention", validate=_one_of(v.PHASES, "Phase"))
    evidence_level = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=4, error="Le niveau de preuve va de 0 à 4."),
        error_messages={"invalid": "Le niveau de preuve va de 0 à 4."},
    )
    not_recommended = fields.Boolean(
        load_default=False, error_messages={"invalid": "« Non recommandé » : oui ou non attendu."}
    )
    references = _references(LIST_LIMITS["references"], "Références")
    # factor slug -> its own evidence (app/catalogue/evidence.py); a factor not named has the
    # tool's level and references
    factor_evidence = fields.Dict(
        keys=fields.String(validate=validate.Length(max=FACTOR_SLUG_MAX, error=_FACTOR_SLUG)),
        values=fields.Nested(FactorEvidenceSchema),
        load_default=dict,
        validate=_at_most("factor_evidence", "Niveau de preuve par facteur : facteurs"),
        error_messages={
            "invalid": "Niveau de preuve par facteur : objet attendu (facteur → niveau et "
            "références)."
        },
    )
    harm_evidence = fields.String(
        load_default=v.HARM_NONE, validate=_one_of(v.HARM_LEVELS, "Effet néfaste")
    )
    last_review = fields.Date(
        allow_none=True,
        load_default=None,
        error_messages={
            "invalid": "Date de la dernière revue invalide : utilisez le format JJ/MM/AAAA "
            "ou AAAA-MM-JJ."
        },
    )
    author_name = _text("author_name", "Le nom de l'auteur", load_default="")
    author_role = _text("author_role", "La fonction de l'auteur", load_default="")
    author_structure = _text("author_structure", "La structure de l'auteur", load_default="")
    author_contact = _text("author_contact", "Le contact de l'auteur", load_default="")
    status = fields.String(load_default=DRAFT, validate=_one_of(v.STATUSES, "Statut"))

    @validates_schema(skip_on_field_errors=False)  # reported with the other fields' errors
    def _phase_and_factors(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A tool for the officer's own work has no factor and no stage; any other has a factor.
        Without the phase (a partial update, or a phase refused above), the catalogue service
        checks the sheet as it will be saved."""
        if "phase" in data:
            problems = sheet_problems(data["phase"], data.get("risk_factors"), data.get("stages"))
            if problems:
                raise ValidationError(problems)

    @validates_schema(skip_on_field_errors=True)
    def _evidence(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Evidence for the tool's own factors only; harm only for a non-recommended tool.
        On a partial update the catalogue service checks the sheet as it will be saved."""
        problems = evidence_problems(
            data.get("risk_factors"),
            data.get("factor_evidence"),
            data.get("not_recommended"),
            data.get("harm_evidence"),
        )
        if problems:
            raise ValidationError(problems)

    @validates_schema(skip_on_field_errors=True)
    def _size(self, data: dict[str, Any], **kwargs: Any) -> None:
        """The whole sheet within its limit (each field within its own was checked above). On a
        partial update the catalogue service checks the sheet as it will be saved."""
        problem = sheet_size_problem(data)
        if problem:
            raise ValidationError({WHOLE: [problem]})


class ToolPatchSchema(ToolInSchema):
    """The same fields, each optional: only the fields sent change (use with partial=True)."""


class SupportOutSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    url = fields.String()


class RatingSchema(Schema):
    average = fields.Float(allow_none=True)
    count = fields.Integer()


class ToolOutSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    slug = fields.String()
    title = fields.String()
    summary = fields.String()
    instructions = fields.String()
    precautions = fields.String()
    protective_factors = fields.String()
    risk_factors = fields.List(fields.String(), attribute="risk_factor_slugs")
    stages = fields.List(fields.String())
    modality = fields.String(allow_none=True)
    sessions = fields.String(allow_none=True)
    minutes_per_session = fields.Integer(allow_none=True)
    preparation_minutes = fields.Integer(allow_none=True)
    setting = fields.List(fields.String())
    responsivity = fields.List(fields.String())
    kind = fields.String()
    phase = fields.String()
    evidence_level = fields.Integer()
    not_recommended = fields.Boolean()
    harm_evidence = fields.String()
    references = fields.List(fields.String())
    # the factors with evidence of their own (as written), and every factor's level (as read)
    factor_evidence = fields.Dict(keys=fields.String(), values=fields.Dict())
    evidence_by_factor = fields.Dict(keys=fields.String(), values=fields.Integer())
    last_review = fields.Date(allow_none=True)
    author_name = fields.String()
    author_role = fields.String()
    author_structure = fields.String()
    author_contact = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    rating = fields.Nested(RatingSchema)
    supports = fields.List(fields.Nested(SupportOutSchema))
