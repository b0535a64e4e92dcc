"""The fields of a tool sheet and their limits, named once: saving, revisions, the schema
(the API, imports and the back office's form) and the form's hints."""

from __future__ import annotations

from collections.abc import Mapping

from app.core import vocabulary as v

SHEET_FIELDS = (
    "title",
    "kind",
    "phase",
    "summary",
    "instructions",
    "precautions",
    "protective_factors",
    "risk_factors",
    "stages",
    "modality",
    "sessions",
    "minutes_per_session",
    "preparation_minutes",
    "setting",
    "responsivity",
    "evidence_level",
    "not_recommended",
    "harm_evidence",
    "references",
    "factor_evidence",
    "last_review",
    "author_name",
    "author_role",
    "author_structure",
    "author_contact",
)
# Fields that are not columns of the tool (save_tool sets them through their own rules).
LINK_FIELDS = ("risk_factors", "factor_evidence")
# The free-text ones (whitespace kept as typed, compared line by line in a diff).
TEXT_FIELDS = (
    "title",
    "summary",
    "instructions",
    "precautions",
    "protective_factors",
    "author_name",
    "author_role",
    "author_structure",
    "author_contact",
)
# The columns save_tool sets from validated data (the risk factors and their evidence are on
# the links).
EDITABLE_FIELDS = tuple(f for f in SHEET_FIELDS if f not in LINK_FIELDS) + ("status",)

# French names of a sheet's fields, for forms, error summaries and revision diffs.
FIELD_LABELS = {
    "slug": "Identifiant (adresse de la fiche)",
    "title": "Titre",
    "kind": "Type d'outil",
    "phase": "Phase du suivi",
    "summary": "Résumé",
    "instructions": "Mode d'emploi",
    "precautions": "Précautions d'usage",
    "protective_factors": "Facteurs de protection",
    "risk_factors": "Facteurs de risque travaillés",
    "stages": "Stades du changement",
    "modality": "Modalité",
    "sessions": "Nombre de séances",
    "minutes_per_session": "Durée d'une séance (minutes)",
    "preparation_minutes": "Temps de préparation (minutes)",
    "setting": "Milieu",
    "responsivity": "Réceptivité (publics)",
    "evidence_level": "Niveau de preuve",
    "not_recommended": "Non recommandé",
    "harm_evidence": "Effet néfaste (outil non recommandé)",
    "references": "Références",
    "factor_evidence": "Niveau de preuve par facteur de risque",
    "last_review": "Date de la dernière revue",
    "author_name": "Auteur : nom",
    "author_role": "Auteur : fonction",
    "author_structure": "Auteur : structure",
    "author_contact": "Auteur : contact",
    "status": "Statut",
}

# -- limits ------------------------------------------------------------------------------
# Every text and every list of a sheet has a limit, so that nobody can publish megabytes that
# every officer's browser then loads. Generous for real sheets: the demo's longest sheet holds
# about 5,500 characters, the bench's instructions 2,000 to 5,000 (bench/catalogue.py).

# characters of each free text
TEXT_LIMITS = {
    "title": 200,
    "summary": 1000,
    "instructions": 50_000,
    "precautions": 5000,
    "protective_factors": 1000,
    "author_name": 200,
    "author_role": 200,
    "author_structure": 200,
    "author_contact": 200,
}
TITLE_MIN = 3
# items of each list (a list of choices: as many as there are choices)
LIST_LIMITS = {
    "risk_factors": 40,
    "stages": len(v.STAGES),
    "setting": len(v.SETTINGS),
    "responsivity": len(v.RESPONSIVITY),
    "references": 50,
    "factor_evidence": 40,  # factors with evidence of their own: some of the tool's factors
}
FACTOR_REFERENCES_MAX = 20  # references of one factor's own evidence
REFERENCE_MAX = 1000  # characters of one reference
FACTOR_SLUG_MAX = 40  # a risk factor's slug (its column's length)
# characters of a whole sheet, its free texts and references together: the limits above alone
# would allow several hundred thousand (references per factor above all)
SHEET_MAX = 100_000


def sheet_characters(sheet: Mapping[str, object]) -> int:
    """The characters of a sheet's free texts and references (the tool's and each factor's):
    what people write; choices and factor names are bounded by their lists."""
    texts = [sheet.get(name) for name in TEXT_FIELDS]
    texts += _strings(sheet.get("references"))
    evidence = sheet.get("factor_evidence")
    if isinstance(evidence, Mapping):
        for own in evidence.values():
            if isinstance(own, Mapping):
                texts += _strings(own.get("references"))
    return sum(len(text) for text in texts if isinstance(text, str))


def _strings(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


def count_fr(number: int) -> str:
    """A count as French readers write it: 100 000 (no-break space between thousands)."""
    return f"{number:,}".replace(",", "\u00a0")


def sheet_size_problem(sheet: Mapping[str, object]) -> str | None:
    """The French refusal of a sheet over SHEET_MAX characters, saying its size and the limit."""
    size = sheet_characters(sheet)
    if size <= SHEET_MAX:
        return None
    return (
        f"La fiche est trop longue : {count_fr(size)} caractères en tout, pour "
        f"{count_fr(SHEET_MAX)} au plus. Raccourcissez le mode d'emploi, les précautions ou "
        "les références."
    )
