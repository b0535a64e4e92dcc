"""Reference vocabulary of the catalogue (domain/catalogue.md).

Slugs are stable identifiers used in URLs, the API and the index; labels are
what officers read. Risk factors also live in the database (curators edit their
labels and synonyms); the tuple here seeds it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    slug: str
    label: str


@dataclass(frozen=True)
class RiskFactorSeed:
    slug: str
    label: str
    synonyms: tuple[str, ...]
    description: str


RISK_FACTORS: tuple[RiskFactorSeed, ...] = (
    RiskFactorSeed(
        "attitudes",
        "Attitudes & croyances favorisant la délinquance",
        (
            "pensées antisociales",
            "attitudes antisociales",
            "croyances",
            "pensées",
            "distorsions cognitives",
            "justifications",
            "valeurs",
            "minimisation",
            "déni",
        ),
        "Pensées, valeurs et justifications qui rendent l'infraction acceptable aux yeux de la personne.",
    ),
    RiskFactorSeed(
        "personnalite",
        "Traits de personnalité antisociale",
        (
            "personnalité antisociale",
            "impulsivité",
            "colère",
            "agressivité",
            "violence",
            "maîtrise de soi",
            "gestion des émotions",
            "empathie",
            "résolution de problèmes",
        ),
        "Impulsivité, recherche de sensations, colère et difficulté à résoudre les problèmes.",
    ),
    RiskFactorSeed(
        "entourage",
        "Entourage social facilitant la commission d'infraction",
        ("fréquentations", "pairs", "amis", "bande", "réseau", "influence"),
        "Fréquentations qui approuvent ou facilitent la délinquance, isolement des personnes pro-sociales.",
    ),
    RiskFactorSeed(
        "loisirs",
        "Absence de loisirs pro-sociaux",
        ("loisirs", "sport", "temps libre", "activités", "culture", "ennui"),
        "Temps libre non structuré, absence d'activités satisfaisantes et pro-sociales.",
    ),
    RiskFactorSeed(
        "famille",
        "Problèmes familiaux/conjugaux",
        ("famille", "couple", "conjugal", "parentalité", "enfants", "relations familiales"),
        "Relations familiales ou conjugales conflictuelles, faible soutien, parentalité en difficulté.",
    ),
    RiskFactorSeed(
        "emploi",
        "Problèmes d'ordre professionnel",
        (
            "emploi",
            "travail",
            "formation",
            "insertion professionnelle",
            "chômage",
            "scolarité",
            "CV",
        ),
        "Faible implication dans l'emploi ou la formation, parcours scolaire ou professionnel instable.",
    ),
    RiskFactorSeed(
        "addictions",
        "Addictions (alcool, stupéfiants)",
        (
            "alcool",
            "drogue",
            "stupéfiants",
            "cannabis",
            "cocaïne",
            "consommation",
            "dépendance",
            "toxicomanie",
            "jeux d'argent",
        ),
        "Consommation problématique d'alcool, de stupéfiants ou conduites addictives sans produit.",
    ),
)
RISK_FACTOR_SLUGS = tuple(f.slug for f in RISK_FACTORS)

STAGES = (
    Term("precontemplation", "Précontemplation"),
    Term("contemplation", "Contemplation"),
    Term("determination", "Détermination (préparation)"),
    Term("action", "Action"),
    Term("maintien", "Maintien et prévention de la rechute"),
)
MODALITIES = (
    Term("individuelle", "Individuelle"),
    Term("collective", "Collective"),
    Term("mixte", "Individuelle et collective"),
)
SESSIONS = (
    Term("1", "1 séance"),
    Term("2-5", "2 à 5 séances"),
    Term("6-10", "6 à 10 séances"),
    Term("10+", "Plus de 10 séances"),
)
KINDS = (
    Term("outil", "Outil d'entretien individuel"),
    Term("programme", "Programme"),
    Term("methode", "Méthode d'intervention"),
    Term("support", "Support pratique"),
)
PHASES = (
    Term("evaluation", "Évaluation"),
    Term("intervention", "Intervention"),
    Term("organisation", "Organisation de l'activité"),
)
# Other ways officers write a stage or a phase in the search box (typos are tolerated besides):
# the text then selects that stage or phase as a filter (app/search/reading.py).
STAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "precontemplation": ("pré-contemplation", "pas prêt", "déni du problème"),
    "contemplation": ("ambivalence", "ambivalent"),
    "determination": ("préparation", "préparation au changement", "décision"),
    "action": ("passage à l'action", "changement en cours"),
    "maintien": ("prévention de la rechute", "rechute", "consolidation"),
}
PHASE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "evaluation": ("bilan", "diagnostic", "évaluer", "repérage", "repérer"),
    "intervention": (),
    "organisation": (
        "préparer un entretien",
        "préparation d'entretien",
        "préparation des entretiens",
        "organisation",
        "auto-observation",
        "pratique professionnelle",
        "gestion du temps",
    ),
}
SETTINGS = (
    Term("ouvert", "Milieu ouvert"),
    Term("ferme", "Milieu fermé"),
)
RESPONSIVITY = (
    Term("faible-litteratie", "Faible maîtrise de l'écrit"),
    Term("falc", "Version facile à lire et à comprendre (FALC)"),
    Term("non-francophone", "Personne non francophone"),
    Term("jeunes-adultes", "Jeunes adultes (18-25 ans)"),
    Term("femmes", "Femmes"),
    Term("troubles-cognitifs", "Troubles cognitifs"),
)
EVIDENCE_LEVELS = (
    Term("0", "Non évalué"),
    Term("1", "Pratique décrite"),
    Term("2", "Fondé théoriquement"),
    Term("3", "Prometteur"),
    Term("4", "Impact démontré"),
)
EVIDENCE_SLUGS = ("non-evalue", "decrit", "fonde", "prometteur", "demontre")
EVIDENCE_MEANINGS = (
    "Outil répertorié, pas encore examiné.",
    "Pratique bien décrite et relue par des praticiens.",
    "Fondement explicite dans un modèle reconnu (RBR, pratiques correctionnelles efficaces, "
    "entretien motivationnel, TCC).",
    "Au moins une évaluation aux résultats positifs.",
    "Plusieurs évaluations rigoureuses ou une méta-analyse montrant un effet positif.",
)
# How strong the evidence against a *non recommandé* tool is: none (no effect shown, or not
# said), harm suspected, harm shown (e.g. Scared Straight). Only a non-recommended tool has one.
HARM_NONE = "none"
HARM_LEVELS = (
    Term(HARM_NONE, "Aucun effet néfaste établi"),
    Term("suspected", "Effet néfaste suspecté"),
    Term("shown", "Effet néfaste démontré"),
)
HARM_MEANINGS = {
    HARM_NONE: "Les évaluations ne montrent pas d'effet, sans montrer d'effet néfaste.",
    "suspected": "Des évaluations laissent penser que l'outil peut aggraver le risque de récidive.",
    "shown": "Plusieurs évaluations rigoureuses ou une méta-analyse montrent que l'outil "
    "augmente le risque de récidive.",
}
# A tool's statuses, named once: only published tools are in the index and seen by officers.
DRAFT, REVIEW, PUBLISHED, ARCHIVED = "draft", "review", "published", "archived"
STATUSES = (
    Term(DRAFT, "Brouillon"),
    Term(REVIEW, "En relecture"),
    Term(PUBLISHED, "Publié"),
    Term(ARCHIVED, "Archivé"),
)
ROLES = ("agent", "curator", "staff", "admin")


def slugs(terms: tuple[Term, ...]) -> tuple[str, ...]:
    return tuple(t.slug for t in terms)


def label(terms: tuple[Term, ...], slug: str) -> str:
    """Label of a slug, or the slug itself when it is unknown (never raises in templates)."""
    for t in terms:
        if t.slug == slug:
            return t.label
    return slug
