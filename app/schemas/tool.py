"""A tool sheet at the API boundary: the same field names as the sheet."""
from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from app import vocabulary as v

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                       error="Identifiant invalide : lettres minuscules, chiffres et tirets.")


def _one_of(terms, what):
    choices = v.slugs(terms)
    return validate.OneOf(choices, error=f"{what} inconnu(e) : choisissez parmi {', '.join(choices)}.")


class ToolInSchema(Schema):
    """Create (all required fields) or, with partial=True, update."""

    class Meta:
        unknown = RAISE

    slug = fields.String(validate=[validate.Length(min=2, max=100), SLUG])
    title = fields.String(required=True, validate=validate.Length(
        min=3, max=200, error="Le titre doit faire entre 3 et 200 caractères."))
    summary = fields.String(required=True, validate=validate.Length(
        min=1, max=1000, error="Le résumé est obligatoire (1000 caractères au plus)."))
    instructions = fields.String(load_default="", validate=validate.Length(max=50000))
    precautions = fields.String(load_default="", validate=validate.Length(max=5000))
    protective_factors = fields.String(load_default="", validate=validate.Length(max=1000))
    risk_factors = fields.List(fields.String(), required=True, validate=validate.Length(
        min=1, error="Indiquez au moins un facteur de risque."))
    stages = fields.List(fields.String(validate=_one_of(v.STAGES, "Stade")), load_default=list)
    modality = fields.String(allow_none=True, load_default=None,
                             validate=_one_of(v.MODALITIES, "Modalité"))
    sessions = fields.String(allow_none=True, load_default=None,
                             validate=_one_of(v.SESSIONS, "Nombre de séances"))
    minutes_per_session = fields.Integer(allow_none=True, load_default=None,
                                         validate=validate.Range(min=1, max=1440))
    preparation_minutes = fields.Integer(allow_none=True, load_default=None,
                                         validate=validate.Range(min=0, max=1440))
    setting = fields.List(fields.String(validate=_one_of(v.SETTINGS, "Milieu")), load_default=list)
    responsivity = fields.List(fields.String(validate=_one_of(v.RESPONSIVITY, "Réceptivité")),
                               load_default=list)
    kind = fields.String(load_default="outil", validate=_one_of(v.KINDS, "Type"))
    phase = fields.String(load_default="intervention", validate=_one_of(v.PHASES, "Phase"))
    evidence_level = fields.Integer(load_default=0, validate=validate.Range(
        min=0, max=4, error="Le niveau de preuve va de 0 à 4."))
    not_recommended = fields.Boolean(load_default=False)
    references = fields.List(fields.String(validate=validate.Length(max=1000)), load_default=list)
    last_review = fields.Date(allow_none=True, load_default=None)
    author_name = fields.String(load_default="", validate=validate.Length(max=200))
    author_role = fields.String(load_default="", validate=validate.Length(max=200))
    author_structure = fields.String(load_default="", validate=validate.Length(max=200))
    author_contact = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default="draft", validate=_one_of(v.STATUSES, "Statut"))


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
    references = fields.List(fields.String())
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
