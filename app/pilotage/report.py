"""The dashboard's sections: each one a query, a data table and the chart drawn from it.

A section is built by name, so the CSV export of one table runs that table's query only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import vocabulary as v
from app.models import RiskFactor, Tool
from app.pilotage import charts, stats
from app.pilotage.data_tables import DataTable


class Link(NamedTuple):
    """A table cell that links somewhere; its CSV value is the text."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Section:
    name: str
    title: str
    intro: str
    chart: str
    table: DataTable
    csv_url: str = ""


NO_FACTOR = "Sans facteur (texte ou filtres seuls)"


def factor_labels(session: Session) -> dict[str, str]:
    return dict(
        session.execute(select(RiskFactor.slug, RiskFactor.label).order_by(RiskFactor.position))
        .tuples()
        .all()
    )


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def bucket_label(period: stats.Period, day: date) -> str:
    return _d(day) if period.bucket == "day" else f"semaine du {_d(day)}"


def _period_words(period: stats.Period) -> str:
    unit = "par jour" if period.bucket == "day" else "par semaine"
    return f"{unit}, du {_d(period.start)} au {_d(period.end)}"


def _tool_link(slug: str, title: str) -> Link:
    return Link(title, url_for("catalogue.tool_sheet", slug=slug))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


# -- dashboard sections -----------------------------------------------------------------------


def searches_section(session: Session, period: stats.Period) -> Section:
    labels = factor_labels(session)
    rows = stats.searches_over_time(session, period)
    buckets = period.buckets()
    index = {b: i for i, b in enumerate(buckets)}
    keys = list(labels) + [None]
    grid = {key: [0] * len(buckets) for key in keys}
    for bucket, factor, n in rows:  # aggregated rows: one per bucket and factor
        key = factor if factor in labels else None
        if bucket in index:
            grid[key][index[bucket]] += n
    names = [labels[k] if k else NO_FACTOR for k in keys]
    totals = {name: sum(grid[k]) for name, k in zip(names, keys)}
    total = sum(totals.values())
    top = max(totals.items(), key=lambda item: item[1]) if total else None
    desc = (
        f"Nombre de recherches par facteur de risque, {_period_words(period)}. "
        f"{_plural(total, 'recherche')} en tout."
        + (f" Le plus recherché : {top[0]} ({_plural(top[1], 'recherche')})." if top else "")
        + " Le détail est dans le tableau qui suit."
    )
    table = DataTable(
        "recherches-par-facteur",
        f"Recherches par facteur de risque, {_period_words(period)}",
        ["Jour" if period.bucket == "day" else "Semaine", *names, "Total"],
        [
            [bucket_label(period, b), *[grid[k][i] for k in keys], sum(grid[k][i] for k in keys)]
            for i, b in enumerate(buckets)
        ],
    )
    chart = charts.small_multiples(
        "graphique-recherches",
        "Recherches par facteur de risque",
        desc,
        [bucket_label(period, b) for b in buckets],
        [(name, grid[k]) for name, k in zip(names, keys)],
        total_label="",
    )
    return Section(
        "recherches-par-facteur",
        "Recherches par facteur de risque",
        "Chaque ligne du graphique est un facteur de risque ; chaque barre, "
        + ("un jour" if period.bucket == "day" else "une semaine")
        + " ; le nombre à droite est le total de la période.",
        chart,
        table,
    )


def _top_section(
    session: Session, period: stats.Period, kind: str, name: str, title: str, noun: str
) -> Section:
    rows = stats.top_tools(session, period, kind)
    desc = (
        f"Les {len(rows)} outils les plus {title.split()[-1]} "
        f"du {_d(period.start)} au {_d(period.end)}. "
        + (
            f"En tête : {rows[0][1]} ({_plural(rows[0][2], noun)})."
            if rows
            else "Aucun sur la période."
        )
    )
    table = DataTable(
        name,
        f"{title} du {_d(period.start)} au {_d(period.end)}",
        ["Outil", noun.capitalize() + "s"],
        [[_tool_link(slug, t), n] for slug, t, n in rows],
    )
    chart = charts.bar_chart(f"graphique-{name}", title, desc, [(t, n) for _s, t, n in rows])
    return Section(name, title, "", chart, table)


def viewed_section(session: Session, period: stats.Period) -> Section:
    return _top_section(
        session, period, "view", "outils-consultes", "Outils les plus consultés", "consultation"
    )


def downloaded_section(session: Session, period: stats.Period) -> Section:
    return _top_section(
        session,
        period,
        "download",
        "outils-telecharges",
        "Outils les plus téléchargés",
        "téléchargement",
    )


def empty_searches_section(session: Session, period: stats.Period) -> Section:
    labels = factor_labels(session)
    rows = stats.empty_searches(session, period)

    def label(text: str | None, factor: str | None) -> str:
        if text:
            return text
        named = labels.get(factor, "filtres seuls") if factor else "filtres seuls"
        return f"(aucun texte) {named}"

    total = sum(n for _t, _f, n in rows)
    desc = (
        f"Recherches sans résultat du {_d(period.start)} au {_d(period.end)} : "
        f"{_plural(total, 'recherche')} dans ce classement."
        + (
            f" La plus fréquente : « {label(rows[0][0], rows[0][1])} » ({rows[0][2]} fois)."
            if rows
            else ""
        )
    )
    table = DataTable(
        "recherches-sans-resultat",
        f"Recherches sans résultat du {_d(period.start)} au {_d(period.end)}",
        ["Texte tapé (5 premiers mots)", "Facteur de risque", "Recherches"],
        [
            [text or "(aucun texte)", labels.get(factor, "—") if factor else "—", n]
            for text, factor, n in rows
        ],
    )
    chart = charts.bar_chart(
        "graphique-sans-resultat",
        "Recherches sans résultat",
        desc,
        [(label(t, f), n) for t, f, n in rows],
        empty="Aucune recherche sans résultat.",
    )
    return Section(
        "recherches-sans-resultat",
        "Recherches sans résultat",
        "Le texte n'est gardé que pour les recherches qui n'ont rien trouvé, réduit à ses "
        "cinq premiers mots courants ou du catalogue (aucun nom, rien d'un texte qui "
        "permettrait d'identifier une personne, chiffres masqués), et effacé après la durée de "
        "conservation.",
        chart,
        table,
    )


# the filters a search event keeps (app.pilotage.usage.search_fields), named for a table
FILTER_NAMES: dict[str, tuple[str, tuple[v.Term, ...]]] = {
    "stage": ("Stade", v.STAGES),
    "phase": ("Phase", v.PHASES),
    "responsivity": ("Public", v.RESPONSIVITY),
    "modality": ("Modalité", v.MODALITIES),
    "sessions": ("Séances", v.SESSIONS),
    "kind": ("Type", v.KINDS),
    "evidence_level": ("Preuve", v.EVIDENCE_LEVELS),
    "setting": ("Milieu", v.SETTINGS),
    "min_evidence": ("Preuve au moins", v.EVIDENCE_LEVELS),
}


def filters_label(facets: dict[str, str]) -> str:
    """« Stade : Précontemplation ; Phase : Organisation de l'activité », or « — »."""
    order = list(FILTER_NAMES)
    parts = []
    for name in sorted(facets, key=lambda k: (order.index(k) if k in order else len(order), k)):
        group, terms = FILTER_NAMES.get(name, (name, ()))
        values = [v.label(terms, value) for value in str(facets[name]).split(",") if value]
        parts.append(f"{group} : {', '.join(values)}")
    return " ; ".join(parts) or "—"


def content_gaps_section(session: Session, period: stats.Period) -> Section:
    labels = factor_labels(session)
    rows = stats.content_gaps(session, period)
    per_factor = stats.content_gaps_per_factor(session, period)

    def where(factor: str | None, facets: dict[str, str]) -> str:
        named = labels.get(factor, factor) if factor else None
        other = filters_label(facets)
        return " ; ".join(p for p in (named, other if other != "—" else None) if p) or "—"

    def label(text: str | None, factor: str | None, facets: dict[str, str]) -> str:
        return f"« {text or '(aucun texte)'} » ({where(factor, facets)})"

    total = sum(per_factor.values())
    by_factor = sorted(
        per_factor.items(), key=lambda item: (-item[1], labels.get(item[0] or "", "~"))
    )
    desc = (
        f"Lacunes de contenu du {_d(period.start)} au {_d(period.end)} : "
        f"{_plural(total, 'recherche')} en tout"
        + (
            " ("
            + ", ".join(
                f"{labels.get(f, f) if f else 'stade ou phase seuls'} : {n}" for f, n in by_factor
            )
            + ")."
            if by_factor
            else "."
        )
        + (f" La plus fréquente : {label(*rows[0][:3])}, {rows[0][3]} fois." if rows else "")
    )
    table = DataTable(
        "lacunes-de-contenu",
        f"Lacunes de contenu du {_d(period.start)} au {_d(period.end)}",
        ["Texte tapé (5 premiers mots)", "Facteur de risque", "Autres filtres", "Recherches"],
        [
            [
                text or "(aucun texte)",
                labels.get(factor, factor) if factor else "—",
                filters_label(facets),
                n,
            ]
            for text, factor, facets, n in rows
        ],
    )
    chart = charts.bar_chart(
        "graphique-lacunes",
        "Lacunes de contenu",
        desc,
        [(label(t, f, fa), n) for t, f, fa, n in rows],
        empty="Aucune lacune de contenu sur la période.",
    )
    return Section(
        "lacunes-de-contenu",
        "Lacunes de contenu",
        "Recherches dont le texte désignait un facteur de risque, un stade ou une phase, et dont "
        "les autres mots ne correspondent à aucun des outils montrés (par exemple « jeu "
        "d'argent » : les outils des addictions s'affichent, mais aucun n'en parle). Ce sont "
        "des outils à ajouter au catalogue. Comme pour les recherches sans résultat, seuls les "
        "cinq premiers mots courants ou du catalogue sont gardés (aucun nom, chiffres "
        "masqués), effacés après la durée de conservation ; le nombre par facteur, lui, est "
        "conservé.",
        chart,
        table,
    )


def coverage_section(session: Session, period: stats.Period | None = None) -> Section:
    labels = factor_labels(session)
    counts = stats.coverage(session)
    stages = list(v.STAGES)
    values = [[counts.get((f, s.slug), 0) for s in stages] for f in labels]
    gaps = [(labels[f], s.label) for f in labels for s in stages if counts.get((f, s.slug), 0) == 0]
    weakest = []
    for j, s in enumerate(stages):
        column = [(values[i][j], name) for i, name in enumerate(labels.values())]
        if column:
            low = min(n for n, _ in column)
            weakest.append(
                f"{s.label} : {', '.join(name for n, name in column if n == low)} ({low})"
            )
    desc = "Outils publiés par facteur de risque (lignes) et stade du changement (colonnes). " + (
        f"{_plural(len(gaps), 'lacune')} (aucun outil) : "
        + " ; ".join(f"{f} × {s}" for f, s in gaps)
        + "."
        if gaps
        else "Aucune lacune."
    )
    table = DataTable(
        "couverture",
        "Outils publiés par facteur de risque et stade du changement (« lacune » : aucun outil)",
        ["Facteur de risque", *[s.label for s in stages]],
        [[name, *row] for name, row in zip(labels.values(), values)],
        flags={
            (i, j + 1): "lacune"
            for i, row in enumerate(values)
            for j, n in enumerate(row)
            if n == 0
        },
    )
    chart = charts.matrix(
        "graphique-couverture",
        "Couverture du catalogue",
        desc,
        list(labels.values()),
        [s.label for s in stages],
        values,
    )
    intro = (
        "Catalogue actuel (indépendant de la période). Facteur le moins couvert par stade — "
        + " ; ".join(weakest)
        + "."
    )
    return Section(
        "couverture", "Couverture : facteurs de risque × stades du changement", intro, chart, table
    )


def never_rated_section(session: Session, period: stats.Period) -> Section:
    rows = stats.downloaded_never_rated(session, period)
    desc = (
        f"Outils téléchargés du {_d(period.start)} au {_d(period.end)} et qui n'ont encore "
        f"aucun avis : {len(rows)}."
        + (
            f" Le plus téléchargé : {rows[0][1]} ({_plural(rows[0][2], 'téléchargement')})."
            if rows
            else ""
        )
    )
    table = DataTable(
        "telecharges-jamais-notes",
        f"Outils téléchargés du {_d(period.start)} au {_d(period.end)} et jamais notés",
        ["Outil", "Téléchargements"],
        [[_tool_link(s, t), n] for s, t, n in rows],
    )
    chart = charts.bar_chart(
        "graphique-jamais-notes",
        "Outils téléchargés mais jamais notés",
        desc,
        [(t, n) for _s, t, n in rows],
        empty="Aucun outil dans ce cas.",
    )
    return Section(
        "telecharges-jamais-notes",
        "Outils souvent téléchargés mais jamais notés",
        "Les plus téléchargés d'abord : ce sont les avis qu'il serait le plus utile de solliciter.",
        chart,
        table,
    )


def ratings_section(session: Session, period: stats.Period, tool_id: int | None = None) -> Section:
    dist = stats.rating_distribution(session, period, tool_id)
    total = sum(dist.values())
    average = sum(s * n for s, n in dist.items()) / total if total else None
    desc = (
        f"Répartition des {_plural(total, 'avis')} donnés ou modifiés du {_d(period.start)} au "
        f"{_d(period.end)}"
        + (
            f", note moyenne {average:.1f} sur 5.".replace(".", ",", 1)
            if average is not None
            else "."
        )
    )
    items = [(f"{s} étoile{'s' if s > 1 else ''}", n) for s, n in dist.items()]
    table = DataTable(
        "notes",
        f"Répartition des notes données du {_d(period.start)} au {_d(period.end)}",
        ["Note", "Avis"],
        [list(item) for item in items],
    )
    chart = charts.bar_chart(
        "graphique-notes",
        "Répartition des notes",
        desc,
        items if total else [],
        empty="Aucun avis sur la période.",
    )
    return Section("notes", "Répartition des notes", "", chart, table)


DASHBOARD: dict[str, Callable[[Session, stats.Period], Section]] = {
    "recherches-par-facteur": searches_section,
    "outils-consultes": viewed_section,
    "outils-telecharges": downloaded_section,
    "recherches-sans-resultat": empty_searches_section,
    "lacunes-de-contenu": content_gaps_section,
    "couverture": coverage_section,
    "telecharges-jamais-notes": never_rated_section,
    "notes": ratings_section,
}


# -- one tool, for curators -------------------------------------------------------------------

KIND_LABELS = {"view": "Consultations", "download": "Téléchargements", "feedback": "Avis donnés"}


def tool_activity_section(session: Session, period: stats.Period, tool: Tool) -> Section:
    rows = stats.tool_activity(session, period, tool.id)
    buckets = period.buckets()
    index = {b: i for i, b in enumerate(buckets)}
    grid = {kind: [0] * len(buckets) for kind in KIND_LABELS}
    for bucket, kind, n in rows:
        if bucket in index and kind in grid:
            grid[kind][index[bucket]] += n
    sums = {kind: sum(values) for kind, values in grid.items()}
    desc = (
        f"Activité de l'outil {tool.title}, {_period_words(period)} : "
        + ", ".join(f"{_plural(sums[k], label.lower()[:-1])}" for k, label in KIND_LABELS.items())
        + "."
    )
    table = DataTable(
        "activite",
        f"Consultations, téléchargements et avis, {_period_words(period)}",
        ["Jour" if period.bucket == "day" else "Semaine", *KIND_LABELS.values()],
        [
            [bucket_label(period, b), *[grid[k][i] for k in KIND_LABELS]]
            for i, b in enumerate(buckets)
        ],
    )
    chart = charts.small_multiples(
        "graphique-activite",
        "Activité de l'outil",
        desc,
        [bucket_label(period, b) for b in buckets],
        [(label, grid[k]) for k, label in KIND_LABELS.items()],
        total_label="",
    )
    return Section(
        "activite",
        "Consultations, téléchargements et avis au fil du temps",
        "Chaque barre est "
        + ("un jour" if period.bucket == "day" else "une semaine")
        + " ; le nombre à droite est le total de la période.",
        chart,
        table,
    )


def tool_factors_section(session: Session, period: stats.Period, tool: Tool) -> Section:
    labels = factor_labels(session)
    rows = stats.tool_views_by_factor(session, period, tool.id)
    named = [(labels.get(f, f) if f else "Hors recherche par facteur", n) for f, n in rows]
    desc = (
        "Consultations de la fiche selon le facteur de risque de la recherche d'où elle a été "
        f"ouverte, du {_d(period.start)} au {_d(period.end)}."
    )
    table = DataTable(
        "consultations-par-facteur",
        "Consultations selon le facteur de la recherche d'origine",
        ["Facteur de risque de la recherche", "Consultations"],
        [list(r) for r in named],
    )
    chart = charts.bar_chart(
        "graphique-facteurs", "Consultations par facteur de la recherche d'origine", desc, named
    )
    return Section(
        "consultations-par-facteur",
        "D'où viennent les consultations",
        "Une fiche ouverte depuis une page de résultats garde le facteur de risque de "
        "cette recherche.",
        chart,
        table,
    )


def tool_ratings_section(session: Session, period: stats.Period, tool: Tool) -> Section:
    rows = stats.tool_ratings_over_time(session, period, tool.id)
    desc = f"Note moyenne des avis donnés ou modifiés, {_period_words(period)}" + (
        f" : {len(rows)} période(s) avec des avis." if rows else " : aucun avis."
    )
    table = DataTable(
        "notes-dans-le-temps",
        f"Avis et note moyenne, {_period_words(period)}",
        [
            "Jour" if period.bucket == "day" else "Semaine",
            "Avis donnés ou modifiés",
            "Note moyenne sur 5",
        ],
        [[bucket_label(period, b), n, round(avg, 2)] for b, n, avg in rows],
    )
    chart = charts.bar_chart(
        "graphique-notes-temps",
        "Note moyenne au fil du temps",
        desc,
        [(bucket_label(period, b), avg) for b, _n, avg in rows],
        empty="Aucun avis sur la période.",
        fmt=lambda x: f"{x:.1f} / 5".replace(".", ","),
    )
    return Section("notes-dans-le-temps", "Notes au fil du temps", "", chart, table)


def tool_distribution_section(session: Session, period: stats.Period, tool: Tool) -> Section:
    return ratings_section(session, period, tool.id)


TOOL: dict[str, Callable[[Session, stats.Period, Tool], Section]] = {
    "activite": tool_activity_section,
    "consultations-par-facteur": tool_factors_section,
    "notes-dans-le-temps": tool_ratings_section,
    "notes": tool_distribution_section,
}
