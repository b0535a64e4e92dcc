"""The fields of a tool sheet, named once: saving, revisions and the back office's form."""

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
