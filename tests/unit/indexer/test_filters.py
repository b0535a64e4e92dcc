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
        "evidence_level",
        "setting",
    } <= set(body["facets"])
