"""The session pack's text: a sheet's safe HTML read as blocks of styled words, and French
typography kept in what the PDF's core fonts can write."""

from __future__ import annotations

from app.core.markdown import render
from app.workspace.pack_document import BREAK, _Blocks, cut, pdf_text


def blocks(markdown: str):
    parser = _Blocks()
    parser.feed(str(render(markdown)))
    parser.close()
    return parser.blocks


def plain(block) -> list[str]:
    return ["".join(text for _style, text in word) for word in block.words()]


def test_french_typography_is_kept_and_the_rest_mapped():
    assert pdf_text("L’œuvre… « Œdipe » – 5 €") == "L’œuvre… « Œdipe » – 5 €"
    assert pdf_text("a\u202f: b ≥ 3 → ✓") == "a\u00a0: b >= 3 -> v"
    assert pdf_text("漢") == "?"  # anything else never fails the PDF


def test_a_style_ending_inside_a_word_keeps_it_whole():
    (paragraph,) = blocks("Remplir **les avantages**. Puis *peser*, enfin.")
    words = paragraph.words()
    assert plain(paragraph) == ["Remplir", "les", "avantages.", "Puis", "peser,", "enfin."]
    assert words[2] == [("B", "avantages"), ("", ".")]
    assert words[4] == [("I", "peser"), ("", ",")]


def test_headings_lists_and_line_breaks():
    parsed = blocks("## Étapes\n\n1. Un\n2. **Deux**\n\n- puce\n\nligne  \nsuivante")
    assert [(b.heading, b.prefix) for b in parsed] == [
        (True, ""),
        (False, "1."),
        (False, "2."),
        (False, "•"),
        (False, ""),
    ]
    assert parsed[0].runs == [("B", "Étapes")]
    assert parsed[-1].words() == [[("", "ligne")], [BREAK], [("", "suivante")]]


def test_a_table_row_is_one_line_of_cells():
    parsed = blocks("| A | B |\n|---|---|\n| a1 | b1 |")
    assert [" ".join(plain(b)) for b in parsed] == ["A | B", "a1 | b1"]
    assert parsed[0].words()[0] == [("B", "A")]


def test_a_long_text_is_cut_at_a_paragraph():
    text = "Premier paragraphe assez long.\n\nSecond paragraphe." + " Suite." * 50
    cut_text, was_cut = cut(text, 60)
    assert was_cut and cut_text == "Premier paragraphe assez long."
    assert cut("Court.", 60) == ("Court.", False)
