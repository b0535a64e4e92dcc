"""A generated catalogue for the benchmarks: N tools of realistic French text, in `romin_bench`.

Why generated: the demo catalogue has a few dozen tools; indexing and facet counting behave
differently at 10,000 (Meilisearch counts facets document by document below ~3,000 matches,
indexing cost grows with the vocabulary and the text length). The text is assembled from
sentence fragments about probation practice, so that words, word pairs and lengths look like
real tool sheets: instructions of 2,000 to 5,000 characters in steps, a summary, precautions.

Deterministic: the same seed and N give the same catalogue, byte for byte (except the date
the freshness signal is computed against), so runs on different days compare.

Written straight into a database of its own (`romin_bench`, next to DATABASE_URL's) with
Core bulk inserts on the app's tables; the schema comes from `romin db upgrade`, scores from
`ranking.tool_scores` with the same inputs as `app.catalogue.scores.refresh_scores` (checked on a
sample against refresh_scores itself).

    python -m bench.catalogue [--tools 10000] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
import unicodedata
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, selectinload

from app.catalogue.risk_factors import ensure_risk_factors
from app.catalogue.scores import current_prior, prior_weights, refresh_scores
from app.core import vocabulary as v
from app.models import Feedback, IndexState, Tool, User, tool_risk_factors
from ranking import RatingStats, tool_scores

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "romin_bench"
SEED = 20_240_611
# Bump when the generator changes, so an old catalogue is rebuilt rather than reused.
GENERATOR_VERSION = 4
FEEDBACK_USERS = 400
# Fixed "today" of the generated catalogue: review dates are drawn before it.
CATALOGUE_TODAY = date(2025, 6, 1)

# --------------------------------------------------------------------------- vocabulary

# Per risk factor: topics (noun phrases), short title complements, words of the domain.
FACTOR_TOPICS: dict[str, dict[str, list[str]]] = {
    "addictions": {
        "topics": [
            "la consommation d'alcool",
            "l'usage de cannabis",
            "les conduites addictives",
            "la dépendance aux jeux d'argent",
            "la réduction des risques liés aux produits",
            "les situations à risque de rechute",
            "l'envie irrépressible de consommer",
            "le lien entre consommation et passage à l'acte",
            "la consommation de cocaïne",
            "l'alcool au volant",
            "les consommations festives du week-end",
            "le sevrage et ses difficultés",
            "l'orientation vers un CSAPA",
            "les effets du produit sur la vie quotidienne",
            "la polyconsommation",
        ],
        "titles": [
            "consommation d'alcool",
            "usage de cannabis",
            "conduites addictives",
            "prévention de la rechute",
            "jeux d'argent",
            "craving",
            "réduction des risques",
            "alcool et conduite",
            "toxicomanie",
            "consommation de stupéfiants",
        ],
        "words": [
            "alcool",
            "cannabis",
            "stupéfiants",
            "produit",
            "sevrage",
            "rechute",
            "craving",
            "addictologie",
            "CSAPA",
            "abstinence",
            "dépendance",
            "verres",
            "joints",
            "ivresse",
        ],
    },
    "personnalite": {
        "topics": [
            "la gestion de la colère",
            "l'impulsivité",
            "la maîtrise de soi",
            "la résolution de problèmes",
            "la régulation des émotions",
            "les réactions agressives en situation de conflit",
            "la tolérance à la frustration",
            "la prise de décision sous pression",
            "la recherche de sensations",
            "la reconnaissance des signaux corporels de la colère",
            "l'empathie envers la victime",
            "les stratégies de retrait avant l'escalade",
            "la communication non violente",
        ],
        "titles": [
            "gestion de la colère",
            "impulsivité",
            "maîtrise de soi",
            "résolution de problèmes",
            "gestion des émotions",
            "thermomètre de la colère",
            "empathie",
            "violence",
            "prise de décision",
            "frustration",
        ],
        "words": [
            "colère",
            "impulsivité",
            "émotions",
            "agressivité",
            "violence",
            "frustration",
            "conflit",
            "respiration",
            "escalade",
            "empathie",
            "provocation",
            "tension",
        ],
    },
    "attitudes": {
        "topics": [
            "les distorsions cognitives",
            "les justifications de l'infraction",
            "la minimisation des faits",
            "le déni de responsabilité",
            "les pensées automatiques qui précèdent l'infraction",
            "les valeurs personnelles",
            "le regard porté sur la loi et la sanction",
            "les croyances sur la victime",
            "le sentiment d'injustice",
            "la neutralisation de la culpabilité",
            "l'écart entre les valeurs et les actes",
            "la responsabilisation",
        ],
        "titles": [
            "distorsions cognitives",
            "pensées et croyances",
            "justifications",
            "déni",
            "minimisation",
            "valeurs",
            "responsabilisation",
            "rapport à la loi",
            "pensées automatiques",
            "sentiment d'injustice",
        ],
        "words": [
            "croyances",
            "pensées",
            "justifications",
            "valeurs",
            "déni",
            "minimisation",
            "responsabilité",
            "loi",
            "victime",
            "culpabilité",
            "excuses",
            "normes",
        ],
    },
    "entourage": {
        "topics": [
            "les fréquentations",
            "l'influence des pairs",
            "le réseau de soutien pro-social",
            "la pression du groupe",
            "l'éloignement d'un entourage délinquant",
            "les personnes ressources",
            "l'isolement social",
            "les relations d'amitié",
            "la carte du réseau relationnel",
            "les sollicitations des anciens amis",
            "la place de la bande dans le quartier",
        ],
        "titles": [
            "fréquentations",
            "influence des pairs",
            "réseau social",
            "pression du groupe",
            "carte relationnelle",
            "personnes ressources",
            "isolement",
            "amitiés",
        ],
        "words": [
            "fréquentations",
            "pairs",
            "amis",
            "bande",
            "réseau",
            "influence",
            "quartier",
            "soutien",
            "groupe",
            "entourage",
            "relations",
            "confiance",
        ],
    },
    "loisirs": {
        "topics": [
            "le temps libre",
            "les activités sportives",
            "l'ennui",
            "les loisirs pro-sociaux",
            "l'engagement associatif",
            "la structuration de la semaine",
            "les activités culturelles",
            "le bénévolat",
            "les centres d'intérêt oubliés",
            "l'emploi du temps du week-end",
            "les pratiques sportives encadrées",
        ],
        "titles": [
            "loisirs",
            "temps libre",
            "sport",
            "ennui",
            "activités culturelles",
            "bénévolat",
            "emploi du temps",
            "centres d'intérêt",
        ],
        "words": [
            "loisirs",
            "sport",
            "activités",
            "culture",
            "ennui",
            "association",
            "club",
            "bénévolat",
            "week-end",
            "passions",
            "musique",
            "semaine",
        ],
    },
    "famille": {
        "topics": [
            "les relations familiales",
            "la parentalité",
            "les conflits conjugaux",
            "le soutien de la famille pendant la mesure",
            "la place du père",
            "la communication au sein du couple",
            "les violences intrafamiliales",
            "le maintien des liens pendant l'incarcération",
            "le génogramme",
            "les rôles de chacun dans la famille",
            "le retour au domicile familial",
        ],
        "titles": [
            "relations familiales",
            "parentalité",
            "couple",
            "génogramme",
            "liens familiaux",
            "violences conjugales",
            "communication familiale",
            "retour en famille",
        ],
        "words": [
            "famille",
            "couple",
            "conjoint",
            "enfants",
            "parentalité",
            "parents",
            "fratrie",
            "domicile",
            "liens",
            "parloir",
            "génogramme",
            "foyer",
        ],
    },
    "emploi": {
        "topics": [
            "la recherche d'emploi",
            "la rédaction du CV",
            "la formation professionnelle",
            "l'entretien d'embauche",
            "le rapport au travail",
            "la valorisation des compétences",
            "le parcours scolaire",
            "l'insertion professionnelle",
            "le projet professionnel",
            "les démarches auprès de France Travail",
            "la gestion du budget",
            "l'assiduité et la ponctualité au travail",
            "les chantiers d'insertion",
        ],
        "titles": [
            "recherche d'emploi",
            "CV",
            "projet professionnel",
            "entretien d'embauche",
            "formation",
            "compétences",
            "insertion professionnelle",
            "budget",
            "rapport au travail",
            "scolarité",
        ],
        "words": [
            "emploi",
            "travail",
            "formation",
            "CV",
            "employeur",
            "compétences",
            "chômage",
            "insertion",
            "stage",
            "contrat",
            "scolarité",
            "métier",
            "budget",
        ],
    },
}

METHODS = [
    "la balance décisionnelle",
    "l'entretien motivationnel",
    "le plan de changement",
    "la ligne de vie",
    "le photolangage",
    "les jeux de rôle",
    "l'analyse fonctionnelle",
    "la chaîne comportementale",
    "l'échelle de motivation",
    "le journal de bord",
    "la carte conceptuelle",
    "le questionnaire d'auto-évaluation",
    "les cartes de tri",
    "le contrat d'objectifs",
    "la mise en situation",
    "le récit de vie",
]
METHOD_TITLES = [
    "Balance décisionnelle",
    "Ligne de vie",
    "Photolangage",
    "Jeu de rôle",
    "Analyse fonctionnelle",
    "Chaîne comportementale",
    "Échelle de motivation",
    "Journal de bord",
    "Carte conceptuelle",
    "Questionnaire",
    "Cartes de tri",
    "Contrat d'objectifs",
    "Mise en situation",
    "Récit de vie",
    "Plan de changement",
    "Fiche d'exercice",
    "Programme de groupe",
    "Atelier",
    "Module",
    "Guide d'entretien",
]
TITLE_QUALIFIERS = [
    "",
    "",
    "",
    "",
    " — version courte",
    " — version FALC",
    " pour jeunes adultes",
    " en groupe",
    " en milieu fermé",
    " — séance d'introduction",
    " — approfondissement",
    " — outil d'évaluation",
    " pour personnes non francophones",
]
OPENERS = [
    "Lors du premier entretien,",
    "En début de séance,",
    "Au cours de l'accompagnement,",
    "Avant de commencer,",
    "Dans un second temps,",
    "À la fin de la séance,",
    "Pendant la phase d'évaluation,",
    "Si la personne le souhaite,",
    "Lors de la séance suivante,",
    "Une fois le cadre posé,",
    "Au besoin,",
    "Après un temps d'échange libre,",
    "Dès que la relation de confiance est installée,",
    "En fin de mesure,",
]
ACTIONS = [
    "le CPIP invite la personne suivie à décrire",
    "le conseiller propose d'explorer",
    "l'agent aide la personne à identifier",
    "on demande à la personne de situer",
    "le professionnel reformule avec elle",
    "le CPIP fait émerger",
    "le conseiller note avec la personne",
    "l'intervenant questionne",
    "la personne est invitée à évaluer",
    "le CPIP résume",
    "on recense ensemble",
    "le conseiller met en lumière",
    "la personne liste",
    "le binôme d'animation présente",
]
PURPOSES = [
    "afin de renforcer sa motivation au changement",
    "pour repérer les situations à risque",
    "en s'appuyant sur ses propres mots",
    "sans porter de jugement",
    "afin de construire un plan d'action réaliste",
    "pour préparer la séance suivante",
    "en lien avec les obligations de la mesure",
    "dans le respect du cadre judiciaire",
    "pour valoriser les efforts déjà accomplis",
    "en soulignant les ambivalences",
    "afin d'ouvrir sur des alternatives concrètes",
    "pour mesurer l'évolution depuis le début du suivi",
    "en restant au plus près de son vécu",
    "afin de renforcer le sentiment d'efficacité personnelle",
    "pour faire le lien avec le passage à l'acte",
    "en mobilisant les facteurs de protection",
]
STEP_NAMES = [
    "Présentation de l'outil",
    "Exploration de la situation",
    "Mise en perspective",
    "Travail sur les situations à risque",
    "Élaboration du plan d'action",
    "Mise en pratique",
    "Retour sur l'exercice",
    "Bilan et suite du suivi",
    "Préparation du matériel",
    "Consignes",
    "Déroulé de l'animation",
    "Synthèse avec la personne",
]
EXTRA_SENTENCES = [
    "L'outil peut être utilisé en milieu ouvert comme en milieu fermé.",
    "Le support papier est remis à la personne à l'issue de l'entretien.",
    "La personne reste libre de ne pas répondre à certaines questions.",
    "Il est conseillé de reprendre l'exercice quelques semaines plus tard pour mesurer les progrès.",
    "Les réponses ne sont pas notées : il s'agit d'un support d'échange.",
    "L'animation en groupe suppose un cadre clair et des règles de parole rappelées à chaque séance.",
    "Le conseiller veille à adapter le vocabulaire au niveau de compréhension de la personne.",
    "Un temps de reformulation permet de vérifier que la consigne a été comprise.",
    "Les éléments recueillis alimentent l'évaluation et le plan d'accompagnement.",
    "On privilégie les questions ouvertes et l'écoute réflexive.",
    "La durée indiquée est indicative et peut être ajustée selon la dynamique de l'entretien.",
    "Cet outil s'inscrit dans le modèle risque-besoins-réceptivité.",
    "Il peut être complété par une orientation vers un partenaire spécialisé.",
    "Le référent de l'outil au sein du SPIP peut être sollicité pour toute question.",
    "Aucune information personnelle sur la personne suivie n'est consignée dans le support.",
    "Une version simplifiée existe pour les personnes ayant une faible maîtrise de l'écrit.",
]
PRECAUTIONS = [
    "Ne pas utiliser en situation de crise ou lorsque la personne est sous l'emprise d'un produit.",
    "Éviter l'usage en groupe lorsque des co-auteurs participent à la même séance.",
    "Prévoir une orientation vers le soin si une souffrance psychique importante apparaît.",
    "L'outil suppose une relation de confiance déjà installée.",
    "Ne pas confronter directement la personne : l'ambivalence est normale.",
    "Veiller à ne pas réactiver un traumatisme ; arrêter l'exercice si besoin.",
    "Adapter les supports pour les personnes qui lisent difficilement.",
    "Ne jamais noter d'éléments relatifs à des tiers identifiables.",
]
PROTECTIVE = [
    "Soutien d'un proche pro-social",
    "Engagement dans une activité professionnelle",
    "Motivation exprimée au changement",
    "Liens familiaux stables",
    "Pratique sportive régulière",
    "Suivi médical en cours",
    "Logement stable",
    "Projet de formation",
    "Participation associative",
    "Capacité à demander de l'aide",
]
CITIES = [
    "Lyon",
    "Lille",
    "Marseille",
    "Rennes",
    "Toulouse",
    "Bordeaux",
    "Nantes",
    "Strasbourg",
    "Dijon",
    "Grenoble",
    "Amiens",
    "Rouen",
    "Metz",
    "Limoges",
    "Poitiers",
    "Montpellier",
]
COMMENTS = [
    "",
    "",
    "",
    "Très utile en premier entretien.",
    "Support clair, bien accueilli.",
    "Un peu long pour une seule séance.",
    "Fonctionne bien avec les jeunes adultes.",
    "À adapter pour les personnes qui lisent peu.",
    "Bonne base pour le plan d'action.",
    "Difficile à utiliser en groupe.",
    "Je l'utilise à chaque début de suivi.",
]
# Relative frequency of each factor on a tool: a factor query lands between 1,500 and 3,500
# matches out of 10,000, the range where Meilisearch counts facets document by document.
FACTOR_WEIGHTS = {
    "addictions": 22,
    "personnalite": 18,
    "attitudes": 16,
    "emploi": 14,
    "famille": 12,
    "entourage": 10,
    "loisirs": 8,
}


def _of(noun_phrase: str) -> str:
    """French contraction: de + le = du, de + les = des."""
    if noun_phrase.startswith("le "):
        return "du " + noun_phrase[3:]
    if noun_phrase.startswith("les "):
        return "des " + noun_phrase[4:]
    return "de " + noun_phrase


def slugify(value: str) -> str:
    value = unicodedata.normalize("NFKD", value.lower())
    value = "".join(c for c in value if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", value).strip("-")[:100]


# --------------------------------------------------------------------------- generation


class Generator:
    """All randomness comes from one seeded `random.Random`: same seed, same catalogue."""

    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)

    def pick(self, items):
        return items[self.rng.randrange(len(items))]

    def factors(self) -> list[str]:
        count = self.rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        chosen: list[str] = []
        names, weights = list(FACTOR_WEIGHTS), list(FACTOR_WEIGHTS.values())
        while len(chosen) < count:
            slug = self.rng.choices(names, weights=weights)[0]
            if slug not in chosen:
                chosen.append(slug)
        return chosen

    def sentence(self, factors: list[str]) -> str:
        topic = self.pick(FACTOR_TOPICS[self.pick(factors)]["topics"])
        roll = self.rng.random()
        if roll < 0.55:
            return f"{self.pick(OPENERS)} {self.pick(ACTIONS)} {topic} {self.pick(PURPOSES)}."
        if roll < 0.7:
            method = self.pick(METHODS)
            return (
                f"{self.pick(OPENERS)} {self.pick(ACTIONS)} {topic} à l'aide "
                f"{_of(method)}, {self.pick(PURPOSES)}."
            )
        if roll < 0.85:
            words = self.rng.sample(FACTOR_TOPICS[self.pick(factors)]["words"], 3)
            return (
                f"Les mots de la personne ({', '.join(words)}) sont repris tels quels "
                f"{self.pick(PURPOSES)}."
            )
        return self.pick(EXTRA_SENTENCES)

    def instructions(self, factors: list[str], minutes: int) -> str:
        target = self.rng.randint(2000, 5000)
        parts: list[str] = []
        length = 0
        step = 0
        while length < target:
            step += 1
            paragraph = [f"Étape {step} — {self.pick(STEP_NAMES)}."]
            for _ in range(self.rng.randint(3, 6)):
                paragraph.append(self.sentence(factors))
            if step == 1:
                paragraph.append(f"Prévoir environ {minutes} minutes.")
            block = " ".join(paragraph)
            parts.append(block)
            length += len(block) + 2
        text_ = "\n\n".join(parts)
        if len(text_) > 5000:  # end on a whole sentence, within the 2,000-5,000 range
            text_ = text_[: text_.rindex(".", 0, 5000) + 1]
        return text_

    def tool(self, tool_id: int, factor_ids: dict[str, int]) -> tuple[dict, list[str], int]:
        """A tool row, its factor slugs and a hidden quality (drives its ratings)."""
        rng = self.rng
        factors = self.factors()
        main = FACTOR_TOPICS[factors[0]]
        title = (
            f"{self.pick(METHOD_TITLES)} : {self.pick(main['titles'])}{self.pick(TITLE_QUALIFIERS)}"
        )
        minutes = rng.choice((20, 30, 45, 60, 90, 120))
        kind = rng.choices(v.slugs(v.KINDS), weights=(55, 15, 15, 15))[0]
        stages = sorted(
            rng.sample(v.slugs(v.STAGES), rng.randint(1, 3)), key=v.slugs(v.STAGES).index
        )
        summary = (
            f"{self.pick(METHOD_TITLES)} pour travailler {self.pick(main['topics'])} "
            f"{self.pick(PURPOSES)}. " + self.sentence(factors)
        )
        precautions = " ".join(rng.sample(PRECAUTIONS, rng.randint(1, 3)))
        protective = ", ".join(rng.sample(PROTECTIVE, rng.randint(1, 3))) + "."
        evidence = rng.choices(range(5), weights=(25, 30, 25, 13, 7))[0]
        row = {
            "id": tool_id,
            "slug": f"{slugify(title)}-{tool_id}",
            "title": title[:200],
            "kind": kind,
            "phase": rng.choices(v.slugs(v.PHASES), weights=(20, 70, 10))[0],
            "summary": summary,
            "instructions": self.instructions(factors, minutes),
            "precautions": precautions,
            "protective_factors": protective,
            "stages": stages,
            "modality": rng.choice(v.slugs(v.MODALITIES)),
            "sessions": rng.choice(v.slugs(v.SESSIONS)),
            "minutes_per_session": minutes,
            "preparation_minutes": rng.choice((0, 10, 15, 30)),
            "setting": rng.choice((["ouvert"], ["ferme"], ["ouvert", "ferme"])),
            "responsivity": sorted(rng.sample(v.slugs(v.RESPONSIVITY), rng.randint(0, 2))),
            "evidence_level": evidence,
            "not_recommended": rng.random() < 0.03,
            "references": [],
            "last_review": CATALOGUE_TODAY - timedelta(days=rng.randint(0, 6 * 365)),
            "author_name": "",
            "author_role": "CPIP",
            "author_structure": f"SPIP de {self.pick(CITIES)}",
            "author_contact": "",
            "status": "published",
            "is_demo": False,
        }
        quality = min(5.0, max(1.0, rng.gauss(3.6 + 0.2 * evidence, 0.7)))
        return row, factors, quality

    def ratings(
        self,
        tool_id: int,
        factors: list[str],
        quality: float,
        factor_ids: dict[str, int],
        user_ids: list[int],
    ) -> list[dict]:
        rng = self.rng
        if rng.random() < 0.55:
            return []
        count = min(len(user_ids), int(rng.expovariate(1 / 6)) + 1)
        rows = []
        for user_id in rng.sample(user_ids, count):
            rating = min(5, max(1, round(rng.gauss(quality, 0.8))))
            factor = rng.choice(factors) if rng.random() < 0.7 else None
            rows.append(
                {
                    "tool_id": tool_id,
                    "user_id": user_id,
                    "rating": rating,
                    "comment": self.pick(COMMENTS),
                    "risk_factor_id": factor_ids[factor] if factor else None,
                    "modality": rng.choice(v.slugs(v.MODALITIES)),
                    "sessions_used": rng.randint(1, 8),
                    "minutes_spent": rng.choice((30, 45, 60, 90)),
                    "is_demo": False,
                }
            )
        return rows


# --------------------------------------------------------------------------- database


def bench_url(database_url: str | None = None, name: str = BENCH_DB) -> URL:
    """The bench database: same server and user as DATABASE_URL, another database."""
    return make_url(database_url or os.environ["DATABASE_URL"]).set(database=name)


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _admin_engine(database_url: str | None = None):
    return create_engine(
        url_string(make_url(database_url or os.environ["DATABASE_URL"])),
        isolation_level="AUTOCOMMIT",
    )


def marker(tools: int, seed: int) -> str:
    return f"romin-bench v{GENERATOR_VERSION} tools={tools} seed={seed}"


def existing_marker(name: str = BENCH_DB) -> str | None:
    """The comment left on the bench database by a finished build (None: absent or partial)."""
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            return conn.scalar(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = :n"
                ),
                {"n": name},
            )
    finally:
        engine.dispose()


def recreate_database(name: str = BENCH_DB) -> None:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def set_marker(value: str, name: str = BENCH_DB) -> None:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            # COMMENT takes no bind parameter: quote the (generated, constant) literal.
            literal = value.replace("'", "''")
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{literal}'"))
    finally:
        engine.dispose()


# `romin` run from a given checkout (the working tree, or a clean copy passed as --app-dir):
# the installed `romin` script would import the editable install, whatever the cwd.
_ROMIN_FROM_CWD = "import sys; sys.path.insert(0, '.'); from app.cli import main; sys.exit(main())"


def romin(
    args: list[str], url: URL, app_dir: Path = REPO_ROOT, index: str | None = None, **kwargs
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _ROMIN_FROM_CWD, *args],
        env=app_env(url, index),
        cwd=app_dir,
        **kwargs,
    )


def app_env(url: URL, index: str | None = None) -> dict[str, str]:
    """The environment of a `romin` command or gunicorn pointed at the bench database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = url_string(url)
    if index:
        env["MEILI_INDEX"] = index
    return env


def migrate(url: URL, app_dir: Path = REPO_ROOT) -> None:
    """`romin db upgrade` on the bench database (a no-op when it is up to date)."""
    romin(
        ["db", "upgrade"],
        url,
        app_dir,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _chunks(rows: list[dict], size: int = 2000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def populate(url: URL, tools: int, seed: int = SEED, log=print) -> dict:
    """Insert the generated catalogue; returns counts. The database must be freshly migrated."""
    gen = Generator(seed)
    engine = create_engine(url_string(url))
    started = time.perf_counter()
    with Session(engine) as session:
        factor_ids = {f.slug: f.id for f in ensure_risk_factors(session)}
        users = [
            {
                "id": i,
                "email": f"cpip{i}@bench.romin.invalid",
                "display_name": f"CPIP {i}",
                "password_hash": None,
                "role": "agent",
                "service": f"SPIP de {CITIES[i % 16]}",
                "is_active": False,
                "is_demo": True,
                "created_at": datetime(2024, 1, 1, tzinfo=UTC),
            }
            for i in range(1, FEEDBACK_USERS + 1)
        ]
        session.execute(insert(User), users)
        user_ids = [u["id"] for u in users]
        now = datetime(2025, 6, 1, tzinfo=UTC)
        tool_rows, links, feedback, tool_factors = [], [], [], {}
        for tool_id in range(1, tools + 1):
            row, factors, quality = gen.tool(tool_id, factor_ids)
            row["created_at"] = row["updated_at"] = now
            tool_rows.append(row)
            tool_factors[tool_id] = factors
            links += [{"tool_id": tool_id, "risk_factor_id": factor_ids[f]} for f in factors]
            for rating in gen.ratings(tool_id, factors, quality, factor_ids, user_ids):
                rating["created_at"] = rating["updated_at"] = now
                feedback.append(rating)
        generated = time.perf_counter()
        _score_rows(session, tool_rows, tool_factors, feedback, factor_ids)
        for chunk in _chunks(tool_rows, 1000):
            session.execute(insert(Tool), chunk)
        for chunk in _chunks(links):
            session.execute(insert(tool_risk_factors), chunk)
        for chunk in _chunks(feedback):
            session.execute(insert(Feedback), chunk)
        for table, column in (("tools", "id"), ("users", "id")):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"(SELECT max({column}) FROM {table}))"
                )
            )
        if session.get(IndexState, "tools") is None:
            session.add(IndexState(name="tools", generation=0))
        session.commit()
        mismatches = _check_scores(session)
    engine.dispose()
    counts = {
        "tools": len(tool_rows),
        "feedback": len(feedback),
        "links": len(links),
        "generate_s": round(generated - started, 2),
        "insert_s": round(time.perf_counter() - generated, 2),
        "score_mismatches": mismatches,
    }
    log(f"catalogue : {counts}")
    return counts


def _score_rows(
    session: Session,
    tool_rows: list[dict],
    tool_factors: dict[int, list[str]],
    feedback: list[dict],
    factor_ids: dict[str, int],
) -> None:
    """Scores in bulk, with the inputs refresh_scores would gather (the stored prior: weights,
    mean, reference date; per factor)."""
    prior = current_prior(session)
    weights = prior_weights(session, prior)
    slug_of = {i: s for s, i in factor_ids.items()}
    mean = prior.catalogue_mean
    overall: dict[int, list] = defaultdict(lambda: [0, 0.0])
    per_factor: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    for f in feedback:
        overall[f["tool_id"]][0] += 1
        overall[f["tool_id"]][1] += f["rating"]
        if f["risk_factor_id"] is not None:
            stats = per_factor[f["tool_id"]][slug_of[f["risk_factor_id"]]]
            stats[0] += 1
            stats[1] += f["rating"]
    for row in tool_rows:
        count, total = overall.get(row["id"], (0, 0.0))
        row["scores"] = tool_scores(
            overall=RatingStats(count, float(total)),
            per_factor={k: RatingStats(c, float(t)) for k, (c, t) in per_factor[row["id"]].items()},
            factors=tool_factors[row["id"]],
            evidence_level=row["evidence_level"],
            not_recommended=row["not_recommended"],
            weights=weights,
            prior_mean=mean,
            last_review=row["last_review"],
            today=prior.reference_date,
        )


def _check_scores(session: Session, sample: int = 200) -> int:
    """Recompute a sample with refresh_scores itself (rolled back): how many differ."""
    tools = list(
        session.scalars(
            select(Tool).options(selectinload(Tool.risk_factors)).order_by(Tool.id).limit(sample)
        )
    )
    stored = {t.id: dict(t.scores) for t in tools}
    refresh_scores(session, tools)
    differ = sum(
        1
        for t in tools
        if any(abs(t.scores.get(k, -1) - val) > 1e-6 for k, val in stored[t.id].items())
    )
    session.rollback()
    return differ


def ensure_catalogue(
    tools: int, rebuild: bool = False, seed: int = SEED, log=print, app_dir: Path = REPO_ROOT
) -> URL:
    """Build the bench database unless a finished build with the same N and seed is there.

    Either way the schema is brought up to the checkout's migrations.
    """
    url = bench_url()
    wanted = marker(tools, seed)
    if not rebuild and existing_marker() == wanted:
        log(f"catalogue : {BENCH_DB} déjà construit ({wanted})")
        migrate(url, app_dir)
        return url
    log(f"catalogue : construction de {BENCH_DB} ({tools} outils)…")
    started = time.perf_counter()
    recreate_database()
    migrate(url, app_dir)
    populate(url, tools, seed, log)
    set_marker(wanted)
    log(f"catalogue : prêt en {time.perf_counter() - started:.1f} s")
    return url


def ensure_env() -> None:
    """Outside `make bench`, start (or reuse) the private services and export their env."""
    if os.environ.get("DATABASE_URL") and os.environ.get("MEILI_URL"):
        return
    from app.devstack import ensure_services

    os.environ.update(ensure_services())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    ensure_env()
    ensure_catalogue(args.tools, args.rebuild)
    return 0


if __name__ == "__main__":
    sys.exit(main())
