"""A tool sheet printed from Chromium (page.pdf, A4): one or two pages of what the officer takes
to the interview — the sheet's address and the print date on top, each support's full address,
no navigation and no comments — for the longest sheets of the demo catalogue, signed in (the
rating form and the comments are on the page)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from app.db import db
from app.demo.seed import load_demo, seed
from app.models import Feedback, Tool

pytestmark = pytest.mark.browser


def _length(entry: dict) -> int:
    """How much a demo sheet prints: its instructions, references and evidence per factor."""
    return (
        len(entry.get("instructions") or "")
        + sum(len(r) for r in entry.get("references") or [])
        + len(str(entry.get("factor_evidence") or ""))
    )


# the three longest sheets of the demo catalogue; two have a support, all three comments
LONGEST = [e["slug"] for e in sorted(load_demo()["tools"], key=_length, reverse=True)[:3]]


@pytest.fixture
def demo_server(app, catalogue, request):
    """The demo catalogue (tools, supports, comments) beside the browser tests' one, then the
    live server (started once the test thread is done with the database)."""
    with app.app_context():
        seed(db.session)
        db.session.commit()
    return request.getfixturevalue("live_server")


def _pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _squeezed(text: str) -> str:
    """Without white space: a long address may be cut across lines in the PDF's text."""
    return "".join(text.split())


@pytest.mark.parametrize("slug", LONGEST)
def test_a_printed_sheet_holds_on_two_a4_pages(app, demo_server, page, sign_in, slug):
    with app.app_context():
        tool = db.session.query(Tool).filter_by(slug=slug).one()
        supports = list(tool.supports)
        comments = [
            f.comment for f in db.session.query(Feedback).filter_by(tool_id=tool.id) if f.comment
        ]
    assert comments, "une fiche de démonstration avec des commentaires"
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/outils/{slug}?facteur={tool.risk_factor_slugs[0]}")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Retours d'expérience").is_visible()
    assert page.locator("form[action$='#donner-un-avis']").count() == 1

    pages, text = _pdf_text(page.pdf(format="A4"))

    assert 1 <= pages <= 2, f"{slug} : {pages} pages A4"
    flat = _squeezed(text)
    assert _squeezed(f"{demo_server}/outils/{slug}") in flat
    assert re.search(r"imprimée le \d\d/\d\d/\d{4} à \d\d:\d\d", text)
    links = page.locator("#supports ~ ul a.fr-link--download")
    assert links.count() == len(supports)
    for href in (links.nth(i).get_attribute("href") for i in range(links.count())):
        assert href and _squeezed(demo_server + href) in flat, f"adresse du support : {href}"
    assert "Retours d'expérience" not in text and "Donner mon avis" not in text
    assert "Modifier mon avis" not in text and "Publier mon avis" not in text
    for comment in comments:
        assert _squeezed(comment)[:40] not in flat
    for chrome in (
        "Se déconnecter",
        "Rechercher un outil",
        "Partager cette fiche",
        "Pourquoi ce rang",
    ):
        assert chrome not in text, chrome
