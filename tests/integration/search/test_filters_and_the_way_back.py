"""The results page an officer reads on a phone and comes back to: the filters in force as
chips that take one away, the way to the results, the sheet's link that carries the whole
search, « Partager »."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

CHIP = re.compile(
    r'<a class="fr-tag fr-tag--sm fr-tag--dismiss" href="([^"]*)" aria-label="([^"]*)">'
)


def chips(html: str) -> dict[str, dict[str, list[str]]]:
    """Each chip's label → the query of the address that takes it away."""
    return {
        unescape(label): parse_qs(urlsplit(unescape(href)).query)
        for href, label in CHIP.findall(html)
    }


def card_links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<h3 class="fr-card__title"><a href="([^"]*)"', html)]


@pytest.fixture
def tools(app, make_tool):
    app.config["SEARCH_PER_PAGE"] = 2
    for n in range(5):
        make_tool(title=f"Entretien d'embauche {n}", risk_factors=["emploi"], stages=["action"])
    make_tool(title="Autre stade", risk_factors=["emploi"], stages=["contemplation"])


def test_each_filter_in_force_is_a_chip_that_takes_it_away(client, tools):
    html = client.get("/recherche?facteur=emploi&stade=action&modalite=individuelle").get_data(
        as_text=True
    )
    assert "2 filtres actifs" in html and "Filtres (2 actifs)" in html
    assert chips(html) == {
        "Retirer le filtre Stade du changement : Action": {
            "facteur": ["emploi"],
            "modalite": ["individuelle"],
        },
        "Retirer le filtre Modalité : Individuelle": {"facteur": ["emploi"], "stade": ["action"]},
    }
    assert html.count("Retirer tous les filtres") == 1
    assert (
        '<a class="fr-link fr-link--sm fr-icon-close-line fr-link--icon-left" href="/recherche?facteur=emploi">'
        in html
    )
    # the filters sit in a disclosure (« Filtres »), the chips above the results
    assert (
        html.index('<details class="romin-filters"')
        < html.index("<summary")
        < html.index('class="romin-facets"')
    )
    assert html.index("romin-active-filters") < html.index('id="resultats"')


def test_no_filter_no_chip(client, tools):
    html = client.get("/recherche?facteur=emploi").get_data(as_text=True)
    assert (
        chips(html) == {} and "filtre actif" not in html and "Retirer tous les filtres" not in html
    )
    assert ">Filtres</summary>" in html


def test_a_stage_named_in_the_text_and_a_minimal_evidence_are_chips_too(client, tools):
    html = client.get("/recherche?q=embauche+action&preuve_min=0").get_data(as_text=True)
    found = chips(html)
    assert found["Retirer le filtre Stade du changement : Action"] == {
        "q": ["embauche"],
        "preuve_min": ["0"],
    }
    assert found["Retirer le filtre Niveau de preuve : au moins « Non évalué »"] == {
        "q": ["embauche action"]
    }


def test_a_skip_link_leads_to_the_results(client, tools):
    html = client.get("/recherche?facteur=emploi").get_data(as_text=True)
    skip = html.index('<a class="fr-link" href="#resultats">Aller aux résultats</a>')
    assert skip < html.index('<header role="banner"')
    assert re.search(r'<h2 class="[^"]*" id="resultats" tabindex="-1">', html)


def test_a_card_carries_the_whole_search_to_its_sheet(client, tools):
    results = "/recherche?facteur=emploi&stade=action&q=embauche&page=2"
    html = client.get(results).get_data(as_text=True)
    links = card_links(html)
    assert len(links) == 2
    for link in links:
        query = parse_qs(urlsplit(link).query)
        assert query["facteur"] == ["emploi"]
        assert parse_qs(urlsplit(query["retour"][0]).query) == parse_qs(urlsplit(results).query)
        assert urlsplit(query["retour"][0]).path == "/recherche"
    # the sheet leads back there
    sheet = client.get(links[0]).get_data(as_text=True)
    back = re.search(r'href="([^"]*)">Retour aux résultats</a>', sheet)
    assert back and parse_qs(urlsplit(unescape(back.group(1))).query) == parse_qs(
        urlsplit(results).query
    )


def test_sharing_results_sends_the_search_from_its_first_page(client, tools):
    html = client.get("/recherche?facteur=emploi&stade=action&page=2").get_data(as_text=True)
    field = re.search(r'id="partager-resultats-lien" value="([^"]*)"', html)
    # no PUBLIC_URL in the tests: the request's own address
    address = "http://localhost/recherche?facteur=emploi&stade=action"
    assert field and unescape(field.group(1)) == address
    mail = parse_qs(urlsplit(unescape(re.search(r'href="(mailto:[^"]*)"', html).group(1))).query)
    assert mail["subject"] == ["ROMIN : des outils pour « Problèmes d'ordre professionnel »"]
    assert address in mail["body"][0]
