"""Comments that would identify a person are refused; ordinary practice notes are not."""

from __future__ import annotations

import pytest

from app.core.identifying import identifying_details
from app.feedback.schemas import FeedbackSchema


@pytest.mark.parametrize(
    "text, found",
    [
        ("Monsieur D., né le 12/03/1985, a bien accroché.", ["une date de naissance"]),
        ("Vu le 12/03/1985 au tribunal.", ["une date complète"]),
        (
            "Né le 12/03/1985, joignable au 06 12 34 56 78.",
            ["une date de naissance", "un numéro de téléphone"],
        ),
        ("Personne née en 1990, très réceptive.", ["une date de naissance"]),
        ("Numéro d'écrou 123456 : à revoir.", ["un numéro d'écrou"]),
        ("Le joindre au 06 12 34 56 78 avant l'entretien.", ["un numéro de téléphone"]),
        ("Écrire à jean.dupont@exemple.fr pour le suivi.", ["une adresse électronique"]),
        ("NIR 1 85 03 75 123 456 78 vérifié.", ["un numéro de sécurité sociale"]),
    ],
)
def test_identifying_details_are_found(text, found):
    assert identifying_details(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Très utile en 3 séances de 45 minutes, dès le 2e entretien.",
        "Utilisé le 12/03 avec un groupe de 8 personnes ; version 2024 du support.",
        "Score AUDIT de 14 à 9 en trois mois.",
        "",
    ],
)
def test_ordinary_practice_notes_pass(text):
    assert identifying_details(text) == []


def test_the_schema_refuses_such_a_comment_with_a_french_message():
    errors = FeedbackSchema().validate({"rating": 4, "comment": "Né le 01/02/1980, suivi en SPIP."})
    assert "identifier une personne" in errors["comment"][0]
    assert FeedbackSchema().validate({"rating": 4, "comment": "Bon support."}) == {}
