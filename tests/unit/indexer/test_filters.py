from indexer.filters import all_of, any_of, at_least, equals, quote
from indexer.search import SearchQuery, search_body


def test_values_are_quoted_and_escaped():
    assert quote('a"b') == '"a\\"b"'
    assert quote("a\\b") == '"a\\\\b"'
    assert quote('x" OR risk_factors = "y') == '"x\\" OR risk_factors = \\"y"'


def test_attribute_names_are_checked():
    import pytest

    with pytest.raises(ValueError):
        equals("kind = 1 OR x", "a")


def test_combinations():
    assert any_of("kind", ["a", "b"]) == 'kind IN ["a", "b"]'
    assert at_least("evidence_level", "3") == "evidence_level >= 3"
    assert all_of(["a = 1", "", "b = 2"]) == "(a = 1) AND (b = 2)"
    assert all_of([]) is None


def test_factor_query_sorts_by_the_factor_score_and_asks_every_facet():
    body = search_body(
        SearchQuery(factor="addictions", facets={"stages": "action"}, page=2, per_page=10)
    )
    assert body["sort"][0] == "score_addictions:desc"
    assert body["filter"] == '(risk_factors = "addictions") AND (stages = "action")'
    assert body["page"] == 2 and body["hitsPerPage"] == 10
    assert {
        "risk_factors",
        "stages",
        "modality",
        "sessions",
        "kind",
        "factor_evidence_addictions",  # the factor's own evidence level (counted as evidence_level)
        "setting",
    } <= set(body["facets"])


def test_a_searched_factor_filters_and_counts_its_own_evidence_level():
    """When a factor is searched, the evidence level filtered on, counted and retrieved is the
    factor's (factor_evidence_<slug>); without a factor, the tool's own."""
    query = SearchQuery(factor="addictions", facets={"evidence_level": ("3", "4")}, min_evidence=2)
    body = search_body(query)
    assert body["filter"] == (
        '(risk_factors = "addictions") AND (factor_evidence_addictions IN [3, 4])'
        " AND (factor_evidence_addictions >= 2)"
    )
    assert "factor_evidence_addictions" in body["attributesToRetrieve"]
    assert "evidence_level" not in body["facets"]
    plain = search_body(SearchQuery(facets={"evidence_level": ("3",)}, min_evidence=2))
    assert plain["filter"] == "(evidence_level = 3) AND (evidence_level >= 2)"
    assert "evidence_level" in plain["facets"]
    assert at_least("factor_evidence_a-b", 1) == "factor_evidence_a-b >= 1"  # slugs with hyphens


def test_a_hit_carries_the_searched_factors_evidence_level_and_counts_keep_their_name():
    from indexer.search import _hit, _merge_facets

    raw = {"id": 1, "evidence_level": 4, "factor_evidence_emploi": 2, "score_emploi": 1.5}
    hit = _hit(raw, "score_emploi", None, evidence_key="factor_evidence_emploi")
    assert hit["evidence_level"] == 2 and hit["score"] == 1.5
    assert "factor_evidence_emploi" not in hit
    answer = {"facetDistribution": {"factor_evidence_emploi": {"2": 3}, "kind": {"outil": 3}}}
    assert _merge_facets(answer, [], SearchQuery(factor="emploi")) == {
        "evidence_level": {"2": 3},
        "kind": {"outil": 3},
    }
