"""« Pourquoi ce rang ? » on every result card and in the API, the same when Meilisearch is
down: the tier, the words typed and where they are found, the rating and its number of
opinions, the evidence level for the factor searched."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.db import db
from app.feedback import ratings as feedback_service
from app.search.service import search
from indexer.search import SearchQuery

ANGER = "Traits de personnalité antisociale"


@pytest.fixture
def anger(app, make_tool, make_user):
    """Under Personnalité antisociale: anger in the title, anger further down the sheet, no
    anger, and a non-recommended tool about anger; the first one has two ratings."""
    first = make_tool(
        title="Thermomètre de la colère",
        summary="Repérer la montée de la tension.",
        risk_factors=["personnalite"],
        evidence_level=1,
    )
    make_tool(
        title="Journal des émotions",
        summary="Noter chaque jour ce que l'on ressent.",
        instructions="Relire avec la personne les moments de colère de la semaine.",
        risk_factors=["personnalite"],
        evidence_level=3,
    )
    make_tool(
        title="Résolution de problèmes",
        summary="Méthode en cinq étapes.",
        risk_factors=["personnalite"],
        evidence_level=4,
    )
    make_tool(
        title="Choc carcéral",
        summary="Faire peur pour calmer la colère.",
        risk_factors=["personnalite"],
        evidence_level=4,
        not_recommended=True,
    )
    with app.app_context():
        tool = db.session.merge(first)
        for stars in (5, 4):
            feedback_service.rate(db.session, tool, make_user(), rating=stars)
        db.session.commit()
    return app


def cards(html: str) -> list[str]:
    """Each result card's HTML, in order."""
    results = html[html.index('class="romin-results"') :]
    return re.split(r'<div class="fr-card">', results)[1:]


def disclosure(card: str) -> list[str]:
    """The sentences of a card's « Pourquoi ce rang ? », as the officer reads them."""
    match = re.search(r'<details class="romin-why">(.*?)</details>', card, re.S)
    assert match, "pas de « Pourquoi ce rang ? » sur cette carte"
    inner = match.group(1)
    assert re.search(r"<summary[^>]*>Pourquoi ce rang&nbsp;\?", inner)
    return [unescape(s) for s in re.findall(r"<li>(.*?)</li>", inner, re.S)]


def test_every_card_says_why_it_stands_where_it_does(client, anger):
    html = client.get("/recherche?q=colère").get_data(as_text=True)
    found = cards(html)
    assert [re.search(r'">([^<]+)</a></h3>', c).group(1) for c in found] == [
        "Thermomètre de la colère",
        "Journal des émotions",
        "Résolution de problèmes",
        "Choc carcéral",
    ]
    first, further, unmatched, not_recommended = (disclosure(c) for c in found)

    assert first[0].startswith("Outil recommandé")
    assert first[1].startswith("Les mots « colère » figurent dans son titre ou son résumé")
    assert "Note des agents : 4,5/5 sur 2 avis. C'est peu" in " ".join(first)
    assert "moyenne du catalogue" in " ".join(first)
    assert f"Niveau de preuve pour « {ANGER} » : Pratique décrite (niveau 1 sur 4)." in first

    assert further[1].startswith("Les mots « colère » figurent dans sa fiche, mais pas dans son")
    assert "Pas encore d'avis d'agents" in " ".join(further)
    assert unmatched[1].startswith("Sa fiche ne contient pas les mots « colère »")
    assert f"Niveau de preuve pour « {ANGER} » : Impact démontré (niveau 4 sur 4)." in unmatched

    assert not_recommended[0].startswith("Outil signalé « non recommandé »")
    assert "après tous les outils recommandés" in not_recommended[0]
    assert "ne le fait pas passer devant un outil recommandé" in not_recommended[1]


def test_a_factor_without_words_says_no_words_and_a_text_search_says_relevance(client, anger):
    by_factor = cards(client.get("/recherche?facteur=personnalite").get_data(as_text=True))
    assert len(by_factor) == 4
    for card in by_factor:
        sentences = disclosure(card)
        assert not any("mots" in s for s in sentences)
        assert any(s.startswith("L'ordre suit un score qui compte") for s in sentences)
    as_text = cards(client.get("/recherche?q=colère&texte=1").get_data(as_text=True))
    assert as_text and all(
        "Il correspond aux mots « colère »" in " ".join(disclosure(c)) for c in as_text
    )


def test_the_disclosure_works_without_javascript(client, anger):
    """A native <details>: no script, no button wired by JavaScript; the card itself is not one
    big link (its title is the link), so the summary can be reached and opened by keyboard."""
    html = client.get("/recherche?q=colère").get_data(as_text=True)
    assert html.count('<details class="romin-why">') == 4
    results = html[html.index('class="romin-results"') : html.index("</ol>")]
    assert "fr-enlarge-link" not in results
    assert '<span class="fr-sr-only"> (rang 1, «&nbsp;Thermomètre de la colère&nbsp;»)' in html


def test_the_api_explains_every_hit(client, make_user, token_for, anger):
    headers = token_for(make_user("agent"))
    body = client.get("/api/v1/search?q=colère", headers=headers).get_json()
    hits = body["hits"]
    assert all(isinstance(h["why"], list) and h["why"] for h in hits)
    # the non-recommended tool holds the words in its summary, yet comes last
    assert [h["words_in"] for h in hits] == [
        "title_or_summary",
        "further_down",
        None,
        "title_or_summary",
    ]
    assert hits[0]["why"][1].startswith("Les mots « colère » figurent dans son titre")
    assert hits[-1]["why"][0].startswith("Outil signalé « non recommandé »")
    assert any("sur 2 avis" in s for s in hits[0]["why"])
    # the page and the API say the same
    html = client.get("/recherche?q=colère").get_data(as_text=True)
    assert [disclosure(c) for c in cards(html)] == [h["why"] for h in hits]


def test_the_same_explanations_when_meilisearch_is_down(
    app_factory, client, make_user, token_for, anger
):
    headers = token_for(make_user("agent"))
    normal = client.get("/api/v1/search?q=colère", headers=headers).get_json()
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.5)
    degraded = down.test_client().get("/api/v1/search?q=colère", headers=headers).get_json()
    assert degraded["degraded"] and not normal["degraded"]
    assert [h["why"] for h in degraded["hits"]] == [h["why"] for h in normal["hits"]]
    with down.app_context():
        answer = search(db.session, SearchQuery(text="colère"))
    assert [h["matched_in"] for h in answer.result.hits] == [
        "title_or_summary",
        "further_down",
        None,
        "title_or_summary",
    ]
