"""Server-rendered SVG charts, the CSV cells behind the tables, and the usage helpers (pure)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import date
from types import SimpleNamespace

import pytest

from app.pilotage import charts
from app.pilotage.data_tables import DataTable, csv_cell, to_csv
from app.pilotage.stats import Period, parse_period
from app.pilotage.usage import cut_search_text, pseudonym, search_fields, stats_secret

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg_text: str) -> ET.Element:
    return ET.fromstring(svg_text)  # fails on anything that is not well-formed XML


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _assert_accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    title_el, desc_el = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title_el is not None and title_el.text == title
    assert desc_el is not None and desc_el.text
    assert root.get("aria-labelledby") == f"{title_el.get('id')} {desc_el.get('id')}"
    assert root.get("style") is None and all(el.get("style") is None for el in root.iter())  # CSP


def test_bar_chart_labels_every_bar_with_its_name_and_value():
    root = _parse(
        charts.bar_chart(
            "top",
            "Outils les plus consultés",
            "Trois outils.",
            [("Balance décisionnelle", 12), ("Ligne de vie", 6), ("Photolangage", 3)],
        )
    )
    _assert_accessible(root, "Outils les plus consultés")
    texts = _texts(root)
    for expected in ("Balance décisionnelle", "12", "Ligne de vie", "6", "Photolangage", "3"):
        assert expected in texts
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == max(widths) and widths[0] == pytest.approx(2 * widths[1])


def test_large_values_are_written_the_french_way():
    root = _parse(charts.bar_chart("grand", "Titre", "Desc.", [("Outil", 15710), ("Note", 4.25)]))
    assert "15\u202f710" in _texts(root) and "4,2" in _texts(root)


def test_bar_chart_escapes_what_it_is_given():
    nasty = '<script>alert("x")</script> & "quotes"'
    svg_text = charts.bar_chart('id"><script>', nasty, nasty, [(nasty, 1)])
    assert "<script>" not in svg_text
    root = _parse(svg_text)
    assert root.find(f"{SVG}title").text == nasty
    assert all(c.isalnum() or c in "-_" for c in root.find(f"{SVG}title").get("id"))


def test_empty_chart_says_so_in_words():
    root = _parse(
        charts.bar_chart("vide", "Titre", "Rien.", [], empty="Aucune donnée sur la période.")
    )
    _assert_accessible(root, "Titre")
    assert _texts(root) == ["Aucune donnée sur la période."]


def test_small_multiples_name_each_series_in_text_and_share_one_scale():
    root = _parse(
        charts.small_multiples(
            "recherches",
            "Recherches par facteur",
            "Deux facteurs sur trois jours.",
            ["01/10/2026", "02/10/2026", "03/10/2026"],
            [("Addictions", [4, 0, 2]), ("Emploi", [1, 1, 0])],
            total_label="recherches",
        )
    )
    _assert_accessible(root, "Recherches par facteur")
    texts = _texts(root)
    assert "Addictions" in texts and "Emploi" in texts
    assert "6 recherches" in texts and "2 recherches" in texts
    assert "01/10/2026" in texts and "03/10/2026" in texts
    heights = sorted(float(r.get("height")) for r in root.iter(f"{SVG}rect"))
    assert heights[-1] == pytest.approx(4 * heights[0])  # one scale for every row


def test_matrix_marks_gaps_in_words_not_only_with_colour():
    root = _parse(
        charts.matrix(
            "couverture",
            "Couverture",
            "Une lacune.",
            ["Addictions", "Loisirs"],
            ["Précontemplation", "Action"],
            [[2, 1], [0, 3]],
        )
    )
    _assert_accessible(root, "Couverture")
    texts = _texts(root)
    assert texts.count("0 — lacune") == 1
    assert {"2", "1", "3"} <= set(texts)
    hatched = [r for r in root.iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(#")]
    assert len(hatched) == 1
    pattern_id = root.find(f"{SVG}defs/{SVG}pattern").get("id")
    assert hatched[0].get("fill") == f"url(#{pattern_id})"


def test_csv_cells_are_escaped_against_formula_injection():
    for dangerous in ("=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", '=HYPERLINK("http://x")'):
        assert csv_cell(dangerous).startswith("'")
    assert csv_cell("alcool") == "alcool"
    assert csv_cell(-3) == "-3"  # numbers are data, not formulas
    assert csv_cell(4.25) == "4,25"
    assert csv_cell(None) == ""
    assert csv_cell(date(2026, 11, 3)) == "2026-11-03"


def test_csv_is_excel_friendly():
    text = to_csv(DataTable("t", "T", ["Texte", "Nombre"], [["=cmd|' /C calc'!A0", 2], ["a;b", 1]]))
    assert text.startswith("\ufeffTexte;Nombre\r\n")
    assert "'=cmd|' /C calc'!A0;2\r\n" in text
    assert '"a;b";1\r\n' in text


def test_pseudonym_is_keyed_stable_and_not_the_id():
    secret = stats_secret({"STATS_SECRET": "", "SECRET_KEY": "k" * 32})
    first = pseudonym(42, secret)
    assert first == pseudonym(42, secret) and len(first) == 64
    unkeyed = {hashlib.sha256(raw).hexdigest() for raw in (b"42", b"user:42")}
    assert first not in unkeyed  # not a plain hash anyone could recompute from the id
    assert first != pseudonym(43, secret)
    assert first != pseudonym(42, stats_secret({"STATS_SECRET": "", "SECRET_KEY": "j" * 32}))
    assert first != pseudonym(42, stats_secret({"STATS_SECRET": "autre", "SECRET_KEY": "k" * 32}))
    assert (
        stats_secret({"STATS_SECRET": "", "SECRET_KEY": "k" * 32}) != b"k" * 32
    )  # a label of its own


def test_search_text_is_cut_to_five_words_and_80_characters():
    assert cut_search_text("  colère   alcool emploi famille travail santé ") == (
        "colère alcool emploi famille travail"
    )
    cut = cut_search_text("professionnellement " * 10)
    assert cut == ("professionnellement " * 5)[:80].strip() and len(cut) <= 80
    assert cut_search_text("gestion de la colère 12 séances") == "gestion de la colère #"
    # a text holding an identifying detail is dropped whole; a name is dropped
    assert cut_search_text("jean.dupont@example.fr alcool") is None
    assert cut_search_text("alcool né le 12/03/1980") is None
    assert cut_search_text("martin dupont alcool") == "alcool"
    assert cut_search_text("   ") is None


def _answer(
    factor=None, typed="", facets=None, total=0, page=1, min_evidence=None, content_gap=False
):
    query = SimpleNamespace(
        factor=factor, facets=facets or {}, page=page, min_evidence=min_evidence, text=typed
    )
    return SimpleNamespace(
        query=query,
        typed_text=typed,
        result=SimpleNamespace(total=total),
        content_gap=content_gap,
    )


def test_search_fields_keep_text_only_when_nothing_was_found():
    found = search_fields(_answer("addictions", "alcool", {"stages": "action"}, total=4))
    assert found == {
        "risk_factor": "addictions",
        "facets": {"stage": "action"},
        "text_typed": True,
        "results": 4,
        "search_text": None,
        "content_gap": False,
    }
    empty = search_fields(_answer(None, "jonglage à trois balles", total=0))
    assert empty["search_text"] == "trois balles" and empty["results"] == 0  # a rare word goes
    # unless the catalogue uses it
    catalogue = search_fields(
        _answer(None, "jonglage à trois balles"), lambda: frozenset({"jonglage"})
    )
    assert catalogue["search_text"] == "jonglage à trois balles"
    # words matching none of the tools shown: a content gap, its words cut the same way
    gap = search_fields(_answer("addictions", "jeu d'argent 2 fois", total=6, content_gap=True))
    assert gap["content_gap"] is True and gap["search_text"] == "jeu d'argent # fois"
    # found nothing at all: counted as such, not as a gap too
    both = search_fields(_answer("addictions", "jeu", total=0, content_gap=True))
    assert both["content_gap"] is False and both["search_text"] == "jeu"
    assert search_fields(_answer()) is None  # the bare landing page
    assert search_fields(_answer("addictions", page=2)) is None  # turning pages is the same search


def test_period_defaults_and_french_errors():
    period, errors = parse_period({}, now=date(2026, 11, 30))
    assert errors == {} and period == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert period.bucket == "day" and len(period.buckets()) == 30
    _none, errors = parse_period({"du": "31/12/2026"}, now=date(2026, 11, 30))
    assert "AAAA-MM-JJ" in errors["du"]
    _none, errors = parse_period({"du": "2026-12-01", "au": "2026-11-01"})
    assert "antérieure" in errors["du"]
    year = Period(date(2025, 12, 1), date(2026, 11, 30))
    assert year.bucket == "week" and year.buckets()[0] == date(2025, 12, 1)  # a Monday
    assert all(b.weekday() == 0 for b in year.buckets())
