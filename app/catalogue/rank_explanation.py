"""« Pourquoi ce rang ? »: why a tool stands where it does, in plain French, written once.

The search page's cards, the tool sheet and the search API all show these sentences. They
follow the order the ranking applies (ranking/, indexer/search.py):

1. the tier: a *non recommandé* tool comes after every recommended one, whatever else;
2. the words typed, when they rank: beside a factor, a stage or a phase the text named, the
   tools holding them in their title or summary first, then those holding them further down
   their sheet, then the rest; typed alone (text search), Meilisearch's relevance;
3. the score: the weighted mean of the officers' rating (smoothed toward the catalogue mean, so
   that few opinions weigh little), the evidence level for the factor searched, and, when
   support staff give them a weight, the number of opinions and the date of the last review.

Pure: plain values in, sentences out; no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core import vocabulary as v
from ranking import DEFAULT_WEIGHTS, Weights

# where the words typed were found in a tool (a search hit's "matched_in")
IN_TITLE_OR_SUMMARY = "title_or_summary"
FURTHER_DOWN = "further_down"

# what each signal of the score is, for an officer
_SIGNAL_WORDS = {
    "rating": "la note des agents",
    "evidence": "le niveau de preuve",
    "usage": "le nombre d'avis",
    "freshness": "la date de dernière relecture de la fiche",
}


@dataclass(frozen=True)
class RankFacts:
    """What decides a tool's place in one list of results."""

    rating_average: float | None
    rating_count: int
    evidence_level: int
    not_recommended: bool
    # the risk factor searched (its label): the evidence level is the level for that factor
    factor_label: str | None = None
    # the words that rank ("" when none), whether the tool matches them (None: no words rank)
    # and where (IN_TITLE_OR_SUMMARY, FURTHER_DOWN, or None when not known)
    words: str = ""
    matched: bool | None = None
    matched_in: str | None = None
    # the words rank within the filters the text named, the other tools of the set kept after
    # them; else the words were searched as text alone and every tool shown matches them
    words_within_filters: bool = False


def _number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _quoted(text: str) -> str:
    return f"« {text} »"


def _ordinal(n: int) -> str:
    return "1er" if n == 1 else f"{n}e"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " et " + parts[-1]


def shares(weights: Weights) -> dict[str, int]:
    """Each signal's share of the score, in whole percent adding up to 100 (largest remainder);
    the signals without weight are left out."""
    positive = {name: getattr(weights, name) for name in _SIGNAL_WORDS}
    positive = {name: w for name, w in positive.items() if w > 0}
    total = sum(positive.values())
    if not total:
        return {}
    exact = {name: 100 * w / total for name, w in positive.items()}
    whole = {name: int(x) for name, x in exact.items()}
    missing = 100 - sum(whole.values())
    for name in sorted(exact, key=lambda n: whole[n] - exact[n])[:missing]:
        whole[name] += 1
    return whole


def tier_sentence(not_recommended: bool, words: bool = False) -> str:
    if not_recommended:
        besides = (
            "sa note, son niveau de preuve et les mots recherchés"
            if words
            else ("sa note et son niveau de preuve")
        )
        return (
            "Outil signalé « non recommandé » : des évaluations ne montrent pas d'effet, ou "
            "montrent un effet néfaste. Il vient donc toujours après tous les outils "
            f"recommandés, quels que soient {besides}."
        )
    return "Outil recommandé : il passe avant tout outil signalé « non recommandé »."


def words_sentence(facts: RankFacts) -> str | None:
    """Whether the tool matches the words that rank, and what it does to its place."""
    if facts.matched is None or not facts.words:
        return None
    words = _quoted(facts.words)
    not_above = ", mais cela ne le fait pas passer devant un outil recommandé."
    if not facts.words_within_filters:
        if facts.not_recommended:
            return f"Il correspond aux mots {words}{not_above}"
        return (
            f"Il correspond aux mots {words}. Dans une recherche par mots, les outils sont "
            "d'abord classés selon ces mots : tous présents, bien orthographiés, proches les uns "
            "des autres, dans le titre plutôt que plus loin dans la fiche."
        )
    if not facts.matched:
        if facts.not_recommended:
            return f"Sa fiche ne contient pas les mots {words}."
        return (
            f"Sa fiche ne contient pas les mots {words} : il est proposé parce qu'il répond à "
            "votre sélection, après les outils qui contiennent ces mots."
        )
    if facts.matched_in == IN_TITLE_OR_SUMMARY:
        found = f"Les mots {words} figurent dans son titre ou son résumé"
        effect = (
            " : il passe avant les outils qui ne les citent que plus loin dans leur fiche, "
            "ou pas du tout."
        )
    elif facts.matched_in == FURTHER_DOWN:
        found = f"Les mots {words} figurent dans sa fiche, mais pas dans son titre ni son résumé"
        effect = (
            " : il vient après les outils qui les ont dans leur titre ou leur résumé, et avant "
            "ceux qui ne les citent pas."
        )
    else:
        found = f"Sa fiche contient les mots {words}"
        effect = " : il passe avant les outils qui ne les contiennent pas."
    return found + (not_above if facts.not_recommended else effect)


def score_sentence(weights: Weights, after_words: bool = False) -> str:
    """How the score weighs its signals, as support staff set them."""
    parts = [f"{_SIGNAL_WORDS[name]} pour {share} %" for name, share in shares(weights).items()]
    lead = "Ensuite, l'ordre" if after_words else "L'ordre"
    if not parts:
        return f"{lead} suit un score ; aucun signal n'y compte en ce moment."
    return f"{lead} suit un score qui compte {_join(parts)}."


def rating_sentence(average: float | None, count: int, weights: Weights = DEFAULT_WEIGHTS) -> str:
    """The rating and its number of opinions; few opinions are pulled toward the catalogue
    mean (`weights.prior_strength` virtual opinions at the mean join the real ones)."""
    if not count or average is None:
        sentence = (
            "Pas encore d'avis d'agents : pour sa note, il compte comme un outil moyen du "
            "catalogue, en attendant les premiers avis."
        )
    else:
        said = f"Note des agents : {_number(average)}/5 sur {count} avis"
        weight = count / (count + weights.prior_strength)
        if weight < 0.5:
            sentence = (
                f"{said}. C'est peu : cette note est fortement rapprochée de la moyenne du "
                "catalogue, pour que quelques avis ne suffisent pas à faire monter ou "
                "descendre l'outil."
            )
        elif weight < 0.8:
            sentence = (
                f"{said} ; cette note est un peu rapprochée de la moyenne du catalogue, "
                "comme pour tout outil qui n'a pas encore beaucoup d'avis."
            )
        else:
            sentence = f"{said} ; avec autant d'avis, cette note compte presque telle quelle."
    if weights.rating <= 0:
        sentence += " La note ne compte pas dans le classement en ce moment."
    return sentence


def evidence_sentence(
    level: int,
    factor_label: str | None,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    tool_level: bool = False,
) -> str:
    """The evidence level for the factor searched; `tool_level`: the tool's own level, shown
    when no factor was searched (each factor's ranking uses the level for that factor)."""
    label = v.label(v.EVIDENCE_LEVELS, str(level))
    if factor_label:
        sentence = (
            f"Niveau de preuve pour {_quoted(factor_label)} : {label} (niveau {level} sur 4)."
        )
    elif tool_level:
        sentence = (
            f"Niveau de preuve de l'outil : {label} (niveau {level} sur 4) ; dans la recherche "
            "sur un facteur de risque, c'est le niveau de preuve pour ce facteur qui compte."
        )
    else:
        sentence = f"Niveau de preuve : {label} (niveau {level} sur 4)."
    if weights.evidence <= 0:
        sentence += " Il ne compte pas dans le classement en ce moment."
    return sentence


def explain(facts: RankFacts, weights: Weights = DEFAULT_WEIGHTS) -> list[str]:
    """The sentences of « Pourquoi ce rang ? » for a tool in a list of results."""
    words = words_sentence(facts)
    sentences = [tier_sentence(facts.not_recommended, words=words is not None)]
    if words:
        sentences.append(words)
    sentences += [
        score_sentence(weights, after_words=words is not None),
        rating_sentence(facts.rating_average, facts.rating_count, weights),
        evidence_sentence(facts.evidence_level, facts.factor_label, weights),
    ]
    return sentences


def explain_hit(
    hit: Mapping[str, Any],
    *,
    factor_label: str | None = None,
    words: str = "",
    words_within_filters: bool = False,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[str]:
    """`explain` for a search hit (indexer.search and the degraded path build the same keys)."""
    facts = RankFacts(
        rating_average=hit.get("rating_average"),
        rating_count=hit.get("rating_count") or 0,
        evidence_level=int(hit.get("evidence_level") or 0),
        not_recommended=bool(hit.get("not_recommended")),
        factor_label=factor_label,
        words=words,
        matched=hit.get("matched"),
        matched_in=hit.get("matched_in"),
        words_within_filters=words_within_filters,
    )
    return explain(facts, weights)


@dataclass(frozen=True)
class Position:
    """A tool's place among the published tools of one risk factor, without words typed."""

    factor_label: str
    rank: int
    total: int


def position_sentence(positions: Sequence[Position], factor_chosen: bool) -> str | None:
    if not positions:
        return None
    if factor_chosen:
        p = positions[0]
        return (
            f"Dans une recherche sur {_quoted(p.factor_label)} sans autre mot, il est classé "
            f"{_ordinal(p.rank)} sur {p.total} outil{'s' if p.total > 1 else ''}."
        )
    places = [f"{_ordinal(p.rank)} sur {p.total} pour {_quoted(p.factor_label)}" for p in positions]
    return (
        f"Sa place dans la recherche sur chacun de ses facteurs de risque : {' ; '.join(places)}."
    )


def explain_sheet(
    *,
    rating_average: float | None,
    rating_count: int,
    evidence_level: int,
    not_recommended: bool,
    published: bool,
    positions: Sequence[Position] = (),
    factor_label: str | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[str]:
    """The sheet's « Pourquoi ce rang ? »: its place for the factor the sheet was opened from
    (`factor_label`, with the evidence level for that factor), else for each of its factors,
    and what decides it."""
    sentences = []
    if not published:
        sentences.append(
            "Cet outil n'est pas publié : il n'apparaît pas encore dans les résultats de "
            "recherche. Une fois publié, sa place dépendra de ce qui suit."
        )
    else:
        place = position_sentence(positions, factor_label is not None)
        if place:
            sentences.append(place)
    sentences += [
        tier_sentence(not_recommended),
        score_sentence(weights),
        rating_sentence(rating_average, rating_count, weights),
        evidence_sentence(evidence_level, factor_label, weights, tool_level=True),
    ]
    if published:
        sentences.append(
            "Si vous tapez aussi des mots, les outils qui les contiennent passent avant les "
            "autres outils du même groupe (recommandés, puis non recommandés)."
        )
    return sentences
