"""The sheet's « Pourquoi ce rang ? »: its place for the factor it was opened from (or for each of
its factors), the tier, the rating and its number of opinions, the evidence for that factor."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.db import db
from app.search.service import search
from indexer.search import SearchQuery

ADDICTIONS = "Addictions (alcool, stupéfiants)"
FAMILY = "Problèmes familiaux/conjugaux"


def disclosure(html: str) -> list[str]:
    match = re.search(
        r'<details class="romin-why[^"]*" id="pourquoi-ce-rang">(.*?)</details>', html, re.S
    )
    assert match, "pas de « Pourquoi ce rang ? » sur la fiche"
    assert "<summary>Pourquoi ce rang&nbsp;?</summary>" in match.group(1)
    return [unescape(s) for s in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


@pytest.fixture
def three(make_tool):
    return {
        "strong": make_tool(title="Preuve forte", evidence_level=4),
        "middle": make_tool(
            title="Preuve moyenne", evidence_level=2, risk_factors=["addictions", "famille"]
        ),
        "weak": make_tool(title="Preuve faible", evidence_level=0, not_recommended=True),
    }


def test_the_sheet_opened_from_a_factor_gives_its_place_there(client, three):
    sentences = disclosure(
        client.get("/outils/preuve-moyenne?facteur=addictions").get_data(as_text=True)
    )
    assert sentences[0] == (
        f"Dans une recherche sur « {ADDICTIONS} » sans autre mot, il est classé 2e sur 3 outils."
    )
    assert sentences[1].startswith("Outil recommandé")
    assert "Pas encore d'avis d'agents" in " ".join(sentences)
    assert f"Niveau de preuve pour « {ADDICTIONS} » : Fondé théoriquement (niveau 2 sur 4)." in (
        sentences
    )


def test_the_sheet_alone_gives_its_place_for_each_of_its_factors(client, three):
    sentences = disclosure(client.get("/outils/preuve-moyenne").get_data(as_text=True))
    assert sentences[0] == (
        "Sa place dans la recherche sur chacun de ses facteurs de risque : 1er sur 1 pour "
        f"« {FAMILY} » ; 2e sur 3 pour « {ADDICTIONS} »."
    )
    assert any(s.startswith("Niveau de preuve de l'outil : Fondé théoriquement") for s in sentences)


def test_a_factor_the_tool_does_not_work_on_is_ignored(client, three):
    sentences = disclosure(client.get("/outils/preuve-forte?facteur=emploi").get_data(as_text=True))
    assert sentences[0].startswith("Sa place dans la recherche sur chacun de ses facteurs")


def test_the_places_are_the_search_order(app, client, three):
    with app.app_context():
        order = [
            h["slug"] for h in search(db.session, SearchQuery(factor="addictions")).result.hits
        ]
    assert order == ["preuve-forte", "preuve-moyenne", "preuve-faible"]
    for n, slug in enumerate(order, start=1):
        html = client.get(f"/outils/{slug}?facteur=addictions").get_data(as_text=True)
        assert f"il est classé {n}{'er' if n == 1 else 'e'} sur 3 outils" in unescape(html)


def test_a_non_recommended_sheet_says_it_comes_after(client, three):
    sentences = disclosure(
        client.get("/outils/preuve-faible?facteur=addictions").get_data(as_text=True)
    )
    assert "classé 3e sur 3" in sentences[0]
    assert sentences[1].startswith("Outil signalé « non recommandé »")


def test_the_evidence_is_the_factors_own(client, make_tool):
    make_tool(
        title="Entretien motivationnel",
        evidence_level=2,
        risk_factors=["addictions", "famille"],
        factor_evidence={"addictions": {"evidence_level": 4, "references": []}},
    )
    for factor, label, level in (
        ("addictions", ADDICTIONS, "Impact démontré (niveau 4 sur 4)"),
        ("famille", FAMILY, "Fondé théoriquement (niveau 2 sur 4)"),
    ):
        html = client.get(f"/outils/entretien-motivationnel?facteur={factor}").get_data(
            as_text=True
        )
        assert f"Niveau de preuve pour « {label} » : {level}." in disclosure(html)


def test_a_draft_has_no_place(client, make_tool, make_user):
    make_tool(title="Brouillon", status="draft")
    curator = make_user("curator", password="un mot de passe solide")
    client.post("/connexion", data={"email": curator.email, "password": "un mot de passe solide"})
    sentences = disclosure(
        client.get("/outils/brouillon?facteur=addictions").get_data(as_text=True)
    )
    assert sentences[0].startswith("Cet outil n'est pas publié")
    assert not any("classé" in s for s in sentences)
