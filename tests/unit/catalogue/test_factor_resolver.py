import pytest

from app.catalogue.resolver import distance, factor_terms, normalise, resolve
from app.core.vocabulary import RISK_FACTORS

FACTORS = [factor_terms(f.slug, f.label, list(f.synonyms)) for f in RISK_FACTORS]


@pytest.mark.parametrize(
    "typed, slug",
    [
        ("alcol", "addictions"),
        ("adiction", "addictions"),
        ("Addictions (alcool, stupéfiants)", "addictions"),
        ("cannabis", "addictions"),
        ("colere", "personnalite"),
        ("Colère", "personnalite"),
        ("impulsivité", "personnalite"),
        ("travail", "emploi"),
        ("CV", "emploi"),
        ("la famille", "famille"),
        ("loisirs", "loisirs"),
        ("fréquentations", "entourage"),
        ("distorsions cognitives", "attitudes"),
        ("Problèmes d’ordre professionnel", "emploi"),
    ],
)
def test_factor_names_synonyms_and_typos_resolve(typed, slug):
    assert resolve(typed, FACTORS) == slug


@pytest.mark.parametrize(
    "typed", ["balance décisionnelle", "entretien motivationnel", "vie", "xyz", ""]
)
def test_other_text_is_not_a_factor(typed):
    assert resolve(typed, FACTORS) is None


def test_normalise_and_distance():
    assert normalise("  L’Alcool  ") == "l alcool"
    assert distance("alcol", "alcool") == 1
    assert distance("ab", "ba") == 1
