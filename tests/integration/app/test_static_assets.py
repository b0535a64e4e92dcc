"""Light pages (issue 12): what a first visit of the search page downloads, the hashed and
precompressed static files (app.assets, app.asset_build), the pages compressed on the fly.

Byte counts, never times: the felt speed is measured by bench/felt.py in a real browser."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

import brotli
import pytest
from fpdf import FPDF

from app.assets import IMMUTABLE
from app.catalogue.supports import add_support
from app.db import db

BUDGET = 250 * 1024  # bytes on the wire for a first visit of /recherche (issue 12)
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium sends


class _Linked(HTMLParser):
    """The files a browser fetches to draw a page: stylesheets, the icon, module scripts
    (a browser that runs modules skips the `nomodule` script), images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") in ("stylesheet", "icon") and a.get("media") != "print":
            self.urls.append(a["href"])
        elif (
            tag == "script"
            and a.get("src")
            and "nomodule" not in a
            or tag == "img"
            and a.get("src", "").startswith("/")
        ):
            self.urls.append(a["src"])


def _decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def _site_css(client) -> tuple[str, str]:
    page = client.get("/recherche").get_data(as_text=True)
    (href,) = re.findall(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page)
    return href, client.get(href).get_data(as_text=True)


@pytest.fixture
def results_page(make_tool):
    """A full page of results (20 per page), cards with a summary of a realistic length."""
    for n in range(24):
        make_tool(
            title=f"Programme d'intervention numéro {n}",
            summary="Séances collectives sur la consommation d'alcool et de stupéfiants, "
            "la motivation au changement et la prévention de la rechute. " * 3,
            evidence_level=n % 5,
        )
    return "/recherche?facteur=addictions"


def test_a_first_visit_of_the_search_page_weighs_at_most_250_kib(client, results_page):
    page = client.get(results_page, headers=BROWSER)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "br"
    html = _decoded(page).decode()
    assert html.count('href="/outils/') >= 20  # a full page of results was measured
    sizes = {results_page: len(page.data)}
    linked = _Linked()
    linked.feed(html)
    pending = list(linked.urls)
    while pending:
        url = pending.pop()
        if url in sizes:
            continue
        answer = client.get(url, headers=BROWSER)
        assert answer.status_code == 200, url
        sizes[url] = len(answer.data)
        if answer.mimetype == "text/css":  # every font and icon the stylesheet may pull
            css = _decoded(answer).decode()
            # (a font's .woff is for browsers without woff2, which take the first they can)
            pending += [
                u
                for u in re.findall(r"url\(([^)\"']+)\)", css)
                if not u.startswith("data:") and not u.endswith(".woff")
            ]
            pending = [u if u.startswith("/") else f"/static/{u}" for u in pending]
    total = sum(sizes.values())
    report = "\n".join(
        f"{size:>8} {url}" for url, size in sorted(sizes.items(), key=lambda i: -i[1])
    )
    assert total <= BUDGET, f"{total} octets > {BUDGET}:\n{report}"
    # what the budget covers: the page, one stylesheet, one script, two fonts, the icons
    assert any(u.endswith(".woff2") for u in sizes) and any(u.endswith(".js") for u in sizes)


def test_hashed_files_are_immutable_and_sent_in_the_encoding_asked(client):
    href, css = _site_css(client)
    identity = client.get(href, headers={"Accept-Encoding": "identity"})
    assert identity.headers["Cache-Control"] == IMMUTABLE
    assert "Content-Encoding" not in identity.headers
    assert identity.headers["Vary"] == "Accept-Encoding"
    assert identity.data.decode() == css and ".fr-btn" in css
    for asked, encoding in (
        ("br", "br"),
        ("gzip", "gzip"),
        ("gzip, br", "br"),
        ("br;q=0, gzip", "gzip"),
    ):
        answer = client.get(href, headers={"Accept-Encoding": asked})
        assert answer.headers["Content-Encoding"] == encoding, asked
        assert answer.headers["Cache-Control"] == IMMUTABLE
        assert len(answer.data) < len(identity.data) / 5 and _decoded(answer) == identity.data
    # the security headers still apply, and a revalidation costs nothing
    assert identity.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(href, headers={"If-None-Match": identity.headers["ETag"]})
    assert again.status_code == 304


def test_a_hashed_name_follows_its_content(client):
    href, css = _site_css(client)
    assert client.get(href.replace(".css", "x.css")).status_code == 404
    page = client.get("/recherche").get_data(as_text=True)
    for plain in ("romin.css", "dsfr.min.css", "utility.min.css", "dsfr.module.min.js"):
        assert f"/{plain}" not in page  # the pages link the hashed files only
    # the old addresses still answer, for links kept elsewhere, with a short cache
    old = client.get("/static/romin.css")
    assert old.status_code == 200 and "immutable" not in old.headers["Cache-Control"]
    assert old.data.decode() in css  # romin.css travels inside the one stylesheet


def test_the_stylesheet_holds_what_the_pages_use_and_nothing_else(client):
    _, css = _site_css(client)
    for used in (".fr-card", ".fr-header", ".fr-pagination", ".fr-icon-star-line", ".romin-facets"):
        assert used in css, used
    # a state the design system's script adds (a collapsed menu opening) keeps its style
    assert ".fr-collapse--expanded" in css
    for unused in (".fr-accordion", ".fr-tile", ".fr-icon-ancient-gate-fill", ".fr-stepper"):
        assert unused not in css, unused
    fonts = set(re.findall(r"fonts/([A-Za-z_-]+)\.[0-9a-f]{12}\.woff2", css))
    assert fonts == {"Marianne-Regular", "Marianne-Bold"}
    # every url() points at a hashed file that is served
    for url in set(re.findall(r"url\((dsfr/[^)]+)\)", css)):
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), url
        assert client.get(f"/static/{url}").headers["Cache-Control"] == IMMUTABLE, url


def test_pages_are_compressed_when_the_client_accepts_it_and_files_are_not_recompressed(
    client, app, make_tool
):
    plain = client.get("/recherche", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    for asked, encoding in (("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br, zstd", "br")):
        page = client.get("/recherche", headers={"Accept-Encoding": asked})
        assert page.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in page.headers["Vary"]
        assert _decoded(page) == plain.data
        assert page.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]
    # a support (a PDF, sent as a stream) goes out as it is stored
    tool = make_tool(title="Balance décisionnelle")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, "Fiche " * 400)
    stored = bytes(pdf.output())
    with app.app_context():
        support = add_support(db.session, db.session.merge(tool), "fiche.pdf", stored)
        db.session.commit()
        url = f"/outils/{tool.slug}/supports/{support.id}/fiche.pdf"
    download = client.get(url, headers=BROWSER)
    assert download.status_code == 200 and "Content-Encoding" not in download.headers
    assert download.data == stored
