"""Evidence per risk factor: a tool's level for each of its factors (the tool's by default), and
the harm shown by a non-recommended tool; carried by the save path, the API, the search (page,
API, degraded path), the sheet, the back office and the imports. Real PostgreSQL and Meilisearch.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.catalogue.service import CatalogueError, restore_revision, save_tool
from app.db import db
from app.models import Tool
from app.search.service import search
from indexer.search import SearchQuery

MOTIVATIONAL = {
    "title": "Entretien motivationnel (test)",
    "risk_factors": ["addictions", "emploi"],
    "evidence_level": 4,
    "factor_evidence": {
        "emploi": {"evidence_level": 1, "references": []},
        "addictions": {"evidence_level": None, "references": ["Lundahl et al., 2010"]},
    },
}


@pytest.fixture
def catalogue(make_tool):
    """A generic tool demonstrated for addictions only, and a tool grounded for employment."""
    generic = make_tool(**MOTIVATIONAL)
    grounded = make_tool(title="Projet professionnel", risk_factors=["emploi"], evidence_level=2)
    return generic, grounded


def titles(answer):
    return [hit["title"] for hit in answer.result.hits]


def test_a_factors_ranking_uses_that_factors_level(app, catalogue):
    generic, grounded = catalogue
    with app.app_context():
        tool = db.session.get(Tool, generic.id)
        assert tool.evidence_by_factor == {"addictions": 4, "emploi": 1}
        assert tool.factor_evidence == {
            "addictions": {"evidence_level": None, "references": ["Lundahl et al., 2010"]},
            "emploi": {"evidence_level": 1, "references": []},
        }
        assert tool.scores["emploi"] < tool.scores["addictions"]
        employment = search(db.session, SearchQuery(factor="emploi"))
        assert titles(employment) == ["Projet professionnel", "Entretien motivationnel (test)"]
        # the hit's evidence level is the searched factor's (the explanation reads it)
        assert [h["evidence_level"] for h in employment.result.hits] == [2, 1]
        assert employment.result.facets["evidence_level"] == {"2": 1, "1": 1}
        addictions = search(db.session, SearchQuery(factor="addictions"))
        assert addictions.result.hits[0]["evidence_level"] == 4
        # no factor: the tool's own level
        text = search(db.session, SearchQuery(text="Entretien motivationnel"))
        assert text.result.hits[0]["evidence_level"] == 4


def test_min_evidence_and_the_evidence_facet_follow_the_searched_factor(app, catalogue):
    with app.app_context():
        strong = search(db.session, SearchQuery(factor="emploi", min_evidence=2))
        assert titles(strong) == ["Projet professionnel"]
        level_one = search(
            db.session, SearchQuery(factor="emploi", facets={"evidence_level": ("1",)})
        )
        assert titles(level_one) == ["Entretien motivationnel (test)"]
        assert level_one.result.facets["evidence_level"] == {"2": 1, "1": 1}  # its own group
        assert titles(search(db.session, SearchQuery(factor="addictions", min_evidence=4))) == [
            "Entretien motivationnel (test)"
        ]


def test_the_degraded_path_gives_the_same_order_levels_and_counts(app, app_factory, catalogue):
    queries = [
        SearchQuery(factor="emploi"),
        SearchQuery(factor="emploi", min_evidence=2),
        SearchQuery(factor="emploi", facets={"evidence_level": ("1",)}),
    ]
    with app.app_context():
        normal = [search(db.session, q) for q in queries]
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.5)
    with down.app_context():
        degraded = [search(db.session, q) for q in queries]
    for n, d in zip(normal, degraded):
        assert d.degraded and not n.degraded
        assert titles(d) == titles(n)
        assert [h["evidence_level"] for h in d.result.hits] == [
            h["evidence_level"] for h in n.result.hits
        ]
        assert d.result.facets["evidence_level"] == n.result.facets["evidence_level"]


def test_the_save_path_refuses_evidence_for_a_factor_the_tool_does_not_work_on(ctx, catalogue):
    generic, _ = catalogue
    tool = db.session.get(Tool, generic.id)
    with pytest.raises(CatalogueError) as refused:
        save_tool(db.session, {"factor_evidence": {"famille": {"evidence_level": 3}}}, tool)
    assert "famille" in refused.value.errors["factor_evidence"][0]
    db.session.rollback()
    with pytest.raises(CatalogueError) as refused:
        save_tool(db.session, {"harm_evidence": "shown"}, db.session.get(Tool, generic.id))
    assert "non recommandé" in refused.value.errors["harm_evidence"][0]
    db.session.rollback()


def test_an_edit_without_evidence_keeps_it_and_a_factor_removed_takes_its_own(ctx, catalogue):
    generic, _ = catalogue
    tool = db.session.get(Tool, generic.id)
    save_tool(db.session, {"summary": "Autre résumé."}, tool)
    assert tool.evidence_by_factor == {"addictions": 4, "emploi": 1}
    save_tool(db.session, {"risk_factors": ["addictions", "famille"]}, tool)
    assert tool.evidence_by_factor == {"addictions": 4, "famille": 4}
    assert set(tool.factor_evidence) == {"addictions"}
    save_tool(db.session, {"risk_factors": ["addictions", "emploi"]}, tool)
    assert tool.evidence_by_factor == {"addictions": 4, "emploi": 4}  # back to the tool's
    db.session.commit()


def test_revisions_record_the_evidence_per_factor_readably(app, catalogue, make_user):
    from app.catalogue import revisions

    generic, _ = catalogue
    with app.app_context():
        tool = db.session.get(Tool, generic.id)
        save_tool(
            db.session,
            {"factor_evidence": {"emploi": {"evidence_level": 2, "references": ["X"]}}},
            tool,
        )
        db.session.commit()
        history = revisions.history(db.session, tool)
        assert history[0].changed_fields == ["factor_evidence"]
        change = revisions.diff(db.session, history[1].snapshot, history[0].snapshot)[0]
        assert "Problèmes d'ordre professionnel : Fondé théoriquement (1 référence)" in change.after
        restored = restore_revision(db.session, tool, history[1], make_user("curator"))
        assert restored.snapshot["factor_evidence"] == history[1].snapshot["factor_evidence"]
        assert tool.evidence_by_factor["emploi"] == 1


# -- the API ---------------------------------------------------------------------------------


@pytest.fixture
def curator_headers(make_user, token_for):
    return token_for(make_user("curator"))


def test_the_api_reads_and_writes_evidence_per_factor_and_harm(client, curator_headers):
    body = {
        "title": "Visites dissuasives (test)",
        "summary": "Faire visiter une prison.",
        "risk_factors": ["attitudes", "entourage"],
        "stages": ["precontemplation"],
        "evidence_level": 1,
        "not_recommended": True,
        "harm_evidence": "shown",
        "factor_evidence": {"entourage": {"evidence_level": 0, "references": ["Petrosino 2013"]}},
    }
    created = client.post("/api/v1/tools", json=body, headers=curator_headers)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["harm_evidence"] == "shown"
    assert data["factor_evidence"] == {
        "entourage": {"evidence_level": 0, "references": ["Petrosino 2013"]}
    }
    assert data["evidence_by_factor"] == {"attitudes": 1, "entourage": 0}
    slug = data["slug"]
    patched = client.patch(
        f"/api/v1/tools/{slug}",
        json={"factor_evidence": {"attitudes": {"evidence_level": 2}}},
        headers=curator_headers,
    ).get_json()
    assert patched["evidence_by_factor"] == {"attitudes": 2, "entourage": 1}

    refused = client.patch(
        f"/api/v1/tools/{slug}",
        json={"factor_evidence": {"emploi": {"evidence_level": 2}}},
        headers=curator_headers,
    )
    assert refused.status_code == 422
    assert "emploi" in str(refused.get_json())
    refused = client.post(
        "/api/v1/tools",
        json={**body, "title": "Autre", "not_recommended": False},
        headers=curator_headers,
    )
    assert refused.status_code == 422
    assert "non recommandé" in str(refused.get_json())
    refused = client.post(
        "/api/v1/tools",
        json={**body, "title": "Autre", "factor_evidence": {"entourage": {"evidence_level": 7}}},
        headers=curator_headers,
    )
    assert refused.status_code == 422
    assert "de 0 à 4" in str(refused.get_json())


# -- the sheet and the back office -----------------------------------------------------------


def test_the_sheet_shows_evidence_per_factor_and_harm(client, make_tool):
    generic = make_tool(**MOTIVATIONAL)
    html = client.get(f"/outils/{generic.slug}").get_data(as_text=True)
    assert "Preuve : selon le facteur de risque" in html
    table = html.split('id="preuve-par-facteur"')[1].split("</table>")[0]
    assert (
        "Problèmes d&#39;ordre professionnel" in table or "Problèmes d'ordre professionnel" in table
    )
    assert "Pratique décrite (1 sur 4)" in table
    assert "Impact démontré (4 sur 4), celui de l&#39;outil" in table or (
        "Impact démontré (4 sur 4), celui de l'outil" in table
    )
    assert "Lundahl et al., 2010" in table
    harmful = make_tool(
        title="Choc carcéral (test)", not_recommended=True, harm_evidence="shown", evidence_level=1
    )
    html = client.get(f"/outils/{harmful.slug}").get_data(as_text=True)
    assert "Effet néfaste démontré" in html
    assert "augmente le risque de récidive" in html


@pytest.fixture
def signed_in(app, make_user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = make_user("curator").id
    return client


def _form(tool: Tool) -> dict:
    return {
        "title": tool.title,
        "summary": tool.summary,
        "kind": tool.kind,
        "phase": tool.phase,
        "risk_factors": tool.risk_factor_slugs,
        "stages": list(tool.stages),
        "setting": list(tool.setting),
        "evidence_level": str(tool.evidence_level),
        "harm_evidence": "none",
    }


def test_the_back_office_form_edits_evidence_per_factor(app, signed_in, make_tool):
    generic = make_tool(**MOTIVATIONAL)
    page = signed_in.get(f"/gestion/outils/{generic.slug}/modifier").get_data(as_text=True)
    assert 'name="evidence_level__emploi"' in page and 'name="references__addictions"' in page
    assert "Lundahl et al., 2010" in page
    with app.app_context():
        form = _form(db.session.get(Tool, generic.id))
    form.update(
        {
            "evidence_level__emploi": "3",
            "references__emploi": "Étude A\n\nÉtude B",
            "evidence_level__addictions": "",
        }
    )
    response = signed_in.post(f"/gestion/outils/{generic.slug}/modifier", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        tool = db.session.get(Tool, generic.id)
        assert tool.factor_evidence == {
            "emploi": {"evidence_level": 3, "references": ["Étude A", "Étude B"]}
        }
        assert tool.scores["emploi"] > tool.scores["_"] - 1  # scored with the factor's level

    form.update({"evidence_level__famille": "2"})  # a factor the tool does not work on
    refused = signed_in.post(f"/gestion/outils/{generic.slug}/modifier", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'href="#factor_evidence-fieldset"' in html and "famille" in html
    form.pop("evidence_level__famille")
    form.update({"harm_evidence": "suspected"})  # harm on a recommended tool
    refused = signed_in.post(f"/gestion/outils/{generic.slug}/modifier", data=form)
    assert refused.status_code == 400
    assert 'href="#harm_evidence-fieldset"' in refused.get_data(as_text=True)


# -- the legacy import -----------------------------------------------------------------------


def test_the_legacy_import_keeps_what_curators_set_per_factor(ctx, tmp_path):
    from app.curation.legacy_import import import_directory

    source = tmp_path / "outil.md"
    source.write_text(
        "---\ntitre: Balance héritée\nfacteurs_risques:\n  - Addictions (alcool, stupéfiants)\n"
        "  - Problèmes d'ordre professionnel\n---\nCorps.\n",
        encoding="utf-8",
    )
    import_directory(db.session, tmp_path, [source])
    tool = db.session.scalar(select(Tool).where(Tool.slug == "balance-heritee"))
    assert tool.evidence_by_factor == {"addictions": 0, "emploi": 0}  # nobody reviewed it yet
    save_tool(
        db.session,
        {
            "evidence_level": 2,
            "factor_evidence": {"addictions": {"evidence_level": 3, "references": ["R"]}},
        },
        tool,
    )
    report = import_directory(db.session, tmp_path, [source])
    assert report.count("inchangé") == 1
    assert tool.evidence_by_factor == {"addictions": 3, "emploi": 2}
