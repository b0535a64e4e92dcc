"""The session pack: one PDF with a cover, each tool's summary on one or two pages and its
supports (PDF merged, images placed, DOCX linked on PUBLIC_URL); a corrupt or missing support
is named, never a failure; the selection is capped; French typography survives."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from urllib.parse import urlencode

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from app.catalogue.supports import add_support, support_path
from app.db import db
from app.models import User
from app.workspace.pack import MAX_PACK_TOOLS

PUBLIC_URL = "https://romin.justice.example"


def _pdf(*pages: str) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.cell(text=text)
    return bytes(pdf.output())


def _png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_pdf("secret"))))
    writer.encrypt("mot-de-passe")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _sign_in(app, client, user):
    with app.app_context():
        version = db.session.get(User, user.id).session_version
    with client.session_transaction() as session:
        session["uid"], session["sv"] = user.id, version


@pytest.fixture
def app(app_factory):
    return app_factory(PUBLIC_URL=PUBLIC_URL)


@pytest.fixture
def officer(app, make_user):
    client = app.test_client()
    _sign_in(app, client, make_user("agent"))
    return client


@pytest.fixture
def tools(app, make_tool):
    """A tool with every kind of support, one of them corrupt and one missing on disk; a tool
    without supports; a French title with the typography latin-1 lacks."""
    rich = make_tool(
        title="Balance décisionnelle",
        summary="Peser le pour et le contre du changement.",
        instructions="## Étapes\n\n1. Dessiner le tableau.\n2. Remplir **les avantages**.\n\n- une puce",
        precautions="Ne pas forcer la décision.",
        minutes_per_session=45,
        evidence_level=3,
    )
    plain = make_tool(
        title="L’œuvre… « en cours »",
        summary="Cœur du sujet : l’écoute.",
        risk_factors=["entourage"],
        minutes_per_session=20,
    )
    with app.app_context():
        tool = db.session.merge(rich)
        add_support(
            db.session, tool, "fiche.pdf", _pdf("Support page un", "Support page deux"), "Fiche"
        )
        add_support(db.session, tool, "schema.png", _png(), "Schéma")
        add_support(db.session, tool, "notice.docx", _docx(), "Notice")
        broken = add_support(db.session, tool, "abime.pdf", _pdf("x"), "Abîmé")
        gone = add_support(db.session, tool, "disparu.pdf", _pdf("y"), "Disparu")
        add_support(db.session, tool, "protege.pdf", _encrypted_pdf(), "Protégé")
        add_support(db.session, tool, "photo.png", b"\x89PNG\r\n\x1a\n" + b"pas une image", "Photo")
        db.session.commit()
        support_path(broken).write_bytes(b"%PDF-1.4\n garbage that is no PDF at all")
        support_path(gone).unlink()
    return {"rich": rich, "plain": plain}


def _text(reader: PdfReader, start: int = 0, stop: int | None = None) -> str:
    return "\n".join(page.extract_text() for page in reader.pages[start:stop])


def test_a_pack_holds_a_cover_each_summary_and_the_supports(app, tools, officer):
    rich, plain = tools["rich"], tools["plain"]
    args = [
        ("outil", rich.slug),
        ("outil", plain.slug),
        ("facteur", "addictions"),
        ("stade", "contemplation"),
    ]
    response = officer.get("/dossier-de-seance.pdf?" + urlencode(args))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.data))
    outline = {item.title: reader.get_destination_page_number(item) for item in reader.outline}
    assert list(outline) == ["Couverture", rich.title, plain.title]
    cover = _text(reader, 0, outline[rich.title])
    assert "Dossier de séance" in cover and "Préparé le" in cover
    assert "Addictions (alcool, stupéfiants) — stade : Contemplation" in cover
    assert re.search(r"1\.\s*Balance décisionnelle — 45 min par séance", cover)
    assert re.search(r"2\.\s*L’œuvre", cover)

    # the rich tool: its summary, then the PDF's two pages, then the image's page
    section = reader.pages[outline[rich.title] : outline[plain.title]]
    assert len(section) == 1 + 2 + 1
    summary = section[0].extract_text()
    for expected in (
        "Temps nécessaire : 45 min par séance",
        "Niveau de preuve pour les facteurs travaillés",
        "Addictions (alcool, stupéfiants) : 3 — Prometteur",
        "Étapes",
        "Remplir les avantages",
        "Ne pas forcer la décision.",
        "« Fiche » (PDF, 2 pages) : inclus à la suite.",
        "« Schéma » (image) : inclus à la suite.",
        "« Notice » (DOCX) : à télécharger depuis la fiche.",
        "Support « Abîmé » illisible : téléchargez-le depuis la fiche.",
        "Support « Disparu » illisible : téléchargez-le depuis la fiche.",
        "Support « Protégé » illisible : téléchargez-le depuis la fiche.",
        "Support « Photo » illisible : téléchargez-le depuis la fiche.",
        f"{PUBLIC_URL}/outils/{rich.slug}/supports/",
        f"Fiche en ligne : {PUBLIC_URL}/outils/{rich.slug}",
    ):
        assert expected in summary, expected
    assert "Support page un" in section[1].extract_text()
    assert "Support page deux" in section[2].extract_text()
    assert "Support : Schéma" in section[3].extract_text()
    assert section[3].images, "the image is placed on its page"

    # the tool without supports, its title's typography whole
    last = _text(reader, outline[plain.title])
    assert "L’œuvre… « en cours »" in last
    assert "Cœur du sujet : l’écoute." in last
    assert "Cet outil n'a pas de support à télécharger." in last


def test_a_huge_image_is_linked_not_decoded_and_transparency_prints_on_white(
    app, make_tool, officer
):
    tool = make_tool(title="Images")
    rgba = _png_rgba()
    with app.app_context():
        merged = db.session.merge(tool)
        # a header that claims 10,000 x 8,000 pixels: refused before any decoding
        add_support(
            db.session, merged, "enorme.png", _png(10_000, 8_000)[:33] + _png()[33:], "Énorme"
        )
        add_support(db.session, merged, "transparente.png", rgba, "Transparente")
        db.session.commit()
    response = officer.get(f"/dossier-de-seance.pdf?outil={tool.slug}")
    reader = PdfReader(io.BytesIO(response.data))
    text = _text(reader)
    assert "« Énorme » : trop volumineux pour le dossier, téléchargez-le depuis la fiche." in text
    assert "« Transparente » (image) : inclus à la suite." in text
    image = reader.pages[-1].images[0].image
    assert image.mode == "RGB"
    assert min(image.getpixel((0, 0))) >= 250  # white, not the black of a dropped alpha


def _png_rgba() -> bytes:
    """A 32 x 32 image, transparent but for one red pixel in its last corner."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = [b"\x00" + b"\x00\x00\x00\x00" * 32 for _ in range(31)]
    rows.append(b"\x00" + b"\x00\x00\x00\x00" * 31 + b"\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def test_a_long_sheet_is_summed_up_on_two_pages_at_most(app, make_tool, officer):
    paragraph = "Une étape détaillée de la méthode, à lire avant la séance. " * 12
    long = make_tool(title="Méthode très détaillée", instructions="\n\n".join([paragraph] * 60))
    other = make_tool(title="Suivante")
    response = officer.get(
        "/dossier-de-seance.pdf?" + urlencode([("outil", long.slug), ("outil", other.slug)])
    )
    reader = PdfReader(io.BytesIO(response.data))
    outline = {item.title: reader.get_destination_page_number(item) for item in reader.outline}
    assert 1 <= outline["Suivante"] - outline[long.title] <= 2
    assert "La suite sur la fiche en ligne." in _text(
        reader, outline[long.title], outline["Suivante"]
    )


@pytest.mark.parametrize("count", [0, MAX_PACK_TOOLS + 1])
def test_an_empty_or_too_large_selection_is_refused_in_french(app, make_tool, officer, count):
    slugs = [make_tool().slug for _ in range(count)]
    response = officer.get("/dossier-de-seance.pdf?" + urlencode([("outil", s) for s in slugs]))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert (
        "Cochez au moins un outil" if count == 0 else f"{MAX_PACK_TOOLS} outils au plus"
    ) in page


def test_a_tool_one_may_not_see_is_left_out_of_the_selection(app, make_tool, officer):
    published = make_tool(title="Publié")
    draft = make_tool(title="Brouillon secret", status="draft")
    response = officer.get(
        "/dossier-de-seance.pdf?"
        + urlencode([("outil", published.slug), ("outil", draft.slug), ("outil", "inconnu")])
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "2 outils de la sélection" in page
    assert "Brouillon secret" not in page
    assert f'name="outil" value="{published.slug}" checked' in page


def test_the_selection_page_lists_the_tools_to_tick(app, tools, officer):
    args = [("outil", tools["rich"].slug), ("facteur", "addictions"), ("stade", "action")]
    page = officer.get("/dossier-de-seance?" + urlencode(args)).get_data(as_text=True)
    assert f'value="{tools["rich"].slug}" checked' in page
    assert "7 supports" in page
    assert "Addictions (alcool, stupéfiants) (stade&nbsp;: Action)" in page


def test_a_support_link_without_public_url_points_at_this_site(
    app, app_factory, make_tool, make_user
):
    tool = make_tool(title="Avec notice")
    with app.app_context():
        add_support(db.session, db.session.merge(tool), "notice.odt", _odt(), "Notice")
        db.session.commit()
    local = app_factory()  # no PUBLIC_URL (development)
    client = local.test_client()
    _sign_in(local, client, make_user("agent"))
    response = client.get(f"/dossier-de-seance.pdf?outil={tool.slug}")
    assert response.status_code == 200, response.headers
    text = _text(PdfReader(io.BytesIO(response.data)))
    assert "« Notice » (ODT) : à télécharger depuis la fiche." in text
    assert f"http://localhost/outils/{tool.slug}/supports/" in text


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def test_the_plans_pack_has_the_plan_as_cover_and_the_tools_ticked(app, make_tool, officer):
    a = make_tool(title="Outil addictions", minutes_per_session=30)
    e = make_tool(title="Outil entourage", risk_factors=["entourage"], minutes_per_session=30)
    state = [
        ("facteur", "addictions"),
        ("stade", "contemplation"),
        ("facteur", "entourage"),
        ("stade", "contemplation"),
        ("modalite", "individuelle"),
        ("seances", "2"),
        ("minutes", "45"),
        ("outil", f"addictions:{a.slug}"),
        ("outil", f"entourage:{e.slug}"),
    ]
    response = officer.get(
        "/plan/dossier-de-seance.pdf?" + urlencode(state + [("choix", "1"), ("inclure", e.slug)])
    )
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    titles = [item.title for item in reader.outline]
    assert titles == ["Couverture", "Outil entourage"]
    cover = reader.pages[0].extract_text()
    assert "Plan d'intervention" in cover and "Séance 2" in cover and "Outil addictions" in cover
    # ticked nothing: refused on the plan's page; a plain link (no `choix`): every tool
    refused = officer.get("/plan/dossier-de-seance.pdf?" + urlencode(state + [("choix", "1")]))
    assert refused.status_code == 400
    assert "Cochez au moins un outil du plan" in refused.get_data(as_text=True)
    everything = officer.get("/plan/dossier-de-seance.pdf?" + urlencode(state))
    assert [i.title for i in PdfReader(io.BytesIO(everything.data)).outline][1:] == [
        "Outil addictions",
        "Outil entourage",
    ]
