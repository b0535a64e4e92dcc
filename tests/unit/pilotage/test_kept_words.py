"""What a search that found nothing keeps of its words: no name, no identifying text; the words
of practice intact (pure: the catalogue's words are given)."""

from __future__ import annotations

import pytest

from app.pilotage.kept_words import common_words, kept_words
from app.pilotage.usage import cut_search_text

SURNAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Dupont",
]


def test_a_name_beside_practice_words_leaves_only_the_practice_words():
    assert cut_search_text("martin dupont alcool") == "alcool"
    assert cut_search_text("Martin Dupont alcool") == "alcool"
    assert cut_search_text("alcool chez martin dupont") == "alcool chez"


@pytest.mark.parametrize("surname", SURNAMES)
def test_common_surnames_never_stay_beside_a_first_name_or_an_unknown_word(surname):
    for typed in (f"jean {surname} alcool", f"{surname} kevin alcool", f"xqzt {surname} alcool"):
        assert cut_search_text(typed) == "alcool", typed


def test_compound_first_names_are_dropped():
    assert cut_search_text("jean-pierre marie-claire emploi") == "emploi"


@pytest.mark.parametrize(
    "typed",
    [
        "gestion de la colère",
        "recherche d'emploi",
        "violences conjugales",
        "jeu d'argent",
        "petit groupe",
        "prévention de la rechute",
    ],
)
def test_practice_words_are_kept_intact(typed):
    assert cut_search_text(typed) == typed


def test_a_text_with_an_identifying_detail_is_dropped_whole():
    for typed in (
        "alcool 06 12 34 56 78",
        "emploi né le 03/04/1985",
        "colère M. Martin",
        "logement 12 rue des Lilas",
    ):
        assert kept_words(typed, frozenset()) == [] and cut_search_text(typed) is None


def test_the_catalogue_words_are_kept_though_rare():
    assert cut_search_text("jonglage thérapeutique") == "thérapeutique"
    assert cut_search_text("jonglage thérapeutique", frozenset({"jonglage"})) == (
        "jonglage thérapeutique"
    )


def test_the_common_words_hold_no_common_name():
    words = common_words()
    assert len(words) > 30_000 and {"alcool", "colere", "emploi", "logement"} <= words
    assert not {"martin", "dupont", "dubois", "thomas", "durand", "leroy", "nicolas"} & words
