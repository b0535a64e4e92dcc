"""« Pourquoi ce rang ? »: the sentences officers read on a result card, the sheet and the API."""

from __future__ import annotations

import pytest

from app.catalogue import rank_explanation as why
from app.catalogue.rank_explanation import Position, RankFacts, explain, explain_hit, explain_sheet
from indexer import search as indexer_search
from ranking import DEFAULT_WEIGHTS, Weights

ANGER = "Traits de personnalité antisociale"


def facts(**changes: object) -> RankFacts:
    values: dict[str, object] = dict(
        rating_average=4.25,
        rating_count=30,
        evidence_level=3,
        not_recommended=False,
        factor_label=ANGER,
    )
    values.update(changes)
    return RankFacts(**values)  # type: ignore[arg-type]


def text(sentences: list[str]) -> str:
    return " ".join(sentences)


def test_a_factor_search_says_tier_score_rating_and_the_factors_evidence():
    sentences = explain(facts())
    assert sentences == [
        "Outil recommandé : il passe avant tout outil signalé « non recommandé ».",
        "L'ordre suit un score qui compte la note des agents pour 60 % et le niveau de preuve "
        "pour 40 %.",
        "Note des agents : 4,2/5 sur 30 avis ; avec autant d'avis, cette note compte presque "
        "telle quelle.",
        f"Niveau de preuve pour « {ANGER} » : Prometteur (niveau 3 sur 4).",
    ]


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "Pas encore d'avis d'agents : pour sa note, il compte comme un outil moyen"),
        (1, "Note des agents : 5,0/5 sur 1 avis. C'est peu : cette note est fortement rapprochée"),
        (4, "C'est peu : cette note est fortement rapprochée de la moyenne du catalogue"),
        (8, "sur 8 avis ; cette note est un peu rapprochée de la moyenne du catalogue"),
        (20, "sur 20 avis ; avec autant d'avis, cette note compte presque telle quelle"),
    ],
)
def test_few_opinions_are_said_to_be_pulled_toward_the_catalogue_mean(count, expected):
    sentence = why.rating_sentence(5.0 if count else None, count, DEFAULT_WEIGHTS)
    assert expected in sentence


def test_the_pull_follows_the_prior_strength_staff_set():
    strong_prior = Weights(prior_strength=50)
    assert "fortement rapprochée" in why.rating_sentence(4.0, 30, strong_prior)
    assert "presque telle quelle" in why.rating_sentence(4.0, 30, DEFAULT_WEIGHTS)


def test_a_non_recommended_tool_is_said_to_come_after_every_recommended_one():
    sentences = explain(facts(not_recommended=True, evidence_level=4))
    assert sentences[0].startswith("Outil signalé « non recommandé »")
    assert "après tous les outils recommandés" in sentences[0]
    assert "quels que soient sa note et son niveau de preuve" in sentences[0]
    # its evidence is still said, as it is
    assert "Impact démontré (niveau 4 sur 4)" in text(sentences)


def test_no_words_no_words_sentence():
    assert not any("mots" in s for s in explain(facts(words="", matched=None)))


@pytest.mark.parametrize(
    ("matched", "where", "expected"),
    [
        (
            True,
            why.IN_TITLE_OR_SUMMARY,
            "Les mots « colère » figurent dans son titre ou son résumé : il passe avant les "
            "outils qui ne les citent que plus loin dans leur fiche, ou pas du tout.",
        ),
        (
            True,
            why.FURTHER_DOWN,
            "Les mots « colère » figurent dans sa fiche, mais pas dans son titre ni son résumé : "
            "il vient après les outils qui les ont dans leur titre ou leur résumé, et avant ceux "
            "qui ne les citent pas.",
        ),
        (
            True,
            None,
            "Sa fiche contient les mots « colère » : il passe avant les outils qui ne les "
            "contiennent pas.",
        ),
        (
            False,
            None,
            "Sa fiche ne contient pas les mots « colère » : il est proposé parce qu'il répond à "
            "votre sélection, après les outils qui contiennent ces mots.",
        ),
    ],
)
def test_words_kept_beside_a_factor_say_where_they_are_found(matched, where, expected):
    sentences = explain(
        facts(words="colère", matched=matched, matched_in=where, words_within_filters=True)
    )
    assert sentences[1] == expected
    assert sentences[2].startswith("Ensuite, l'ordre suit un score")


def test_words_do_not_lift_a_non_recommended_tool():
    sentences = explain(
        facts(
            not_recommended=True,
            words="colère",
            matched=True,
            matched_in=why.IN_TITLE_OR_SUMMARY,
            words_within_filters=True,
        )
    )
    assert "quels que soient sa note, son niveau de preuve et les mots recherchés" in sentences[0]
    assert sentences[1] == (
        "Les mots « colère » figurent dans son titre ou son résumé, mais cela ne le fait pas "
        "passer devant un outil recommandé."
    )


def test_a_text_search_explains_relevance_first():
    sentences = explain(facts(factor_label=None, words="jeu", matched=True))
    assert sentences[1].startswith("Il correspond aux mots « jeu ». Dans une recherche par mots")
    assert sentences[-1] == "Niveau de preuve : Prometteur (niveau 3 sur 4)."


def test_weights_staff_set_are_said_and_a_signal_without_weight_is_said_not_to_count():
    weights = Weights(rating=0, evidence=1, usage=0, freshness=0)
    sentences = explain(facts(), weights)
    assert sentences[1] == "L'ordre suit un score qui compte le niveau de preuve pour 100 %."
    assert sentences[2].endswith("La note ne compte pas dans le classement en ce moment.")
    three = Weights(rating=1, evidence=1, usage=1, freshness=0)
    # whole percent adding up to 100
    assert explain(facts(), three)[1] == (
        "L'ordre suit un score qui compte la note des agents pour 34 %, le niveau de preuve "
        "pour 33 % et le nombre d'avis pour 33 %."
    )


def test_a_hit_is_read_as_the_search_builds_it():
    hit = {
        "rating_average": None,
        "rating_count": 0,
        "evidence_level": 1,
        "not_recommended": False,
        "matched": False,
        "matched_in": None,
    }
    sentences = explain_hit(hit, factor_label=ANGER, words="colère", words_within_filters=True)
    assert len(sentences) == 5
    assert "Pratique décrite" in sentences[-1] and "Pas encore d'avis" in sentences[3]


def test_the_hit_keys_are_the_indexers():
    assert why.IN_TITLE_OR_SUMMARY == indexer_search.IN_TITLE_OR_SUMMARY
    assert why.FURTHER_DOWN == indexer_search.FURTHER_DOWN


def test_the_sheet_gives_its_place_for_the_factor_it_was_opened_from():
    sentences = explain_sheet(
        rating_average=4.0,
        rating_count=12,
        evidence_level=4,
        not_recommended=False,
        published=True,
        positions=[Position(ANGER, 2, 14)],
        factor_label=ANGER,
    )
    assert sentences[0] == (
        f"Dans une recherche sur « {ANGER} » sans autre mot, il est classé 2e sur 14 outils."
    )
    assert f"Niveau de preuve pour « {ANGER} » : Impact démontré" in text(sentences)


def test_the_sheet_without_a_factor_gives_its_place_for_each_of_its_factors():
    sentences = explain_sheet(
        rating_average=None,
        rating_count=0,
        evidence_level=2,
        not_recommended=False,
        published=True,
        positions=[Position("Famille", 1, 1), Position("Emploi", 3, 9)],
    )
    assert sentences[0] == (
        "Sa place dans la recherche sur chacun de ses facteurs de risque : 1er sur 1 pour "
        "« Famille » ; 3e sur 9 pour « Emploi »."
    )
    assert "Niveau de preuve de l'outil : Fondé théoriquement" in text(sentences)


def test_an_unpublished_sheet_has_no_place():
    sentences = explain_sheet(
        rating_average=None,
        rating_count=0,
        evidence_level=0,
        not_recommended=False,
        published=False,
    )
    assert sentences[0].startswith("Cet outil n'est pas publié")
    assert not any("classé" in s for s in sentences)
