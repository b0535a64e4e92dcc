from app.core.markdown import render


def test_markdown_is_rendered_and_sanitised():
    html = str(
        render(
            "### Étapes\n\n1. Un\n2. Deux\n\n<script>alert(1)</script>\n\n"
            "[lien](javascript:alert(1)) <img src=x onerror=alert(1)>"
        )
    )
    assert "<h3>Étapes</h3>" in html
    assert "<ol>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<img" not in html


def test_top_headings_are_demoted_below_the_sheet_sections():
    assert "<h3>Titre</h3>" in str(render("# Titre"))


def test_heading_levels_are_never_skipped():
    html = str(render("## Déroulé\n\n### Étape 1\n\ntexte"))
    assert "<h3>Déroulé</h3>" in html and "<h4>Étape 1</h4>" in html
