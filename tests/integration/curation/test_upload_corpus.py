"""Hostile files sent as supports: polyglots, archives that lie about their size, and names
that try to leave the supports folder. Each is refused with a French message, or stored under
a generated path and a safe name and only ever served as a download of its detected type."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from functools import cache
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy import select

from app.catalogue.supports import MAX_ARCHIVE_BYTES
from app.db import db
from app.models import Support

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


@pytest.fixture
def curator_client(app, make_user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = make_user("curator").id
    return client


@pytest.fixture
def tool(make_tool):
    return make_tool(title="Balance décisionnelle")


@pytest.fixture
def root(app) -> Path:
    return Path(app.config["SUPPORTS_DIR"])


def _upload(client, tool, data: bytes, filename: str):
    return client.post(
        f"/gestion/outils/{tool.slug}/supports",
        data={"titre": "Support reçu", "fichier": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _supports(app, tool) -> list[Support]:
    with app.app_context():
        return list(db.session.scalars(select(Support).where(Support.tool_id == tool.id)))


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _refused(app, client, tool, root, data: bytes, filename: str, message: str) -> None:
    response = _upload(client, tool, data, filename)
    assert response.status_code == 400, filename
    html = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in html, html[html.find("fichier-erreur") :][:400]
    assert _supports(app, tool) == [] and _files(root) == []


# -- polyglots: one content that two readers take for two types --------------------------------

POLYGLOTS = {
    # a PDF header, then a page a browser would run if it ever read the file as HTML
    "pdf-html": (b"%PDF-1.4\n" + SCRIPT + b"\n%%EOF\n", "rapport.html", "pdf"),
    # a PNG signature, then HTML
    "png-html": (b"\x89PNG\r\n\x1a\n" + SCRIPT, "image.html", "png"),
    # a JPEG signature, then SVG with a script
    "jpeg-svg": (
        b"\xff\xd8\xff\xe0" + b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "photo.svg",
        "jpg",
    ),
}
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


@pytest.mark.parametrize("name", sorted(POLYGLOTS))
def test_a_polyglot_is_only_ever_served_as_a_download_of_its_detected_type(
    app, curator_client, tool, root, name
):
    data, filename, kind = POLYGLOTS[name]
    assert _upload(curator_client, tool, data, filename).status_code == 303
    [support] = _supports(app, tool)
    # named after what it is, whatever it was called: never .html or .svg on disk or in a link
    assert support.filename == f"{Path(filename).stem}.{kind}"
    assert support.content_type == CONTENT_TYPES[kind]
    [stored] = _files(root)
    assert stored.suffix == f".{kind}" and stored.read_bytes() == data
    response = curator_client.get(
        f"/outils/{tool.slug}/supports/{support.id}/{support.filename}?v={support.sha256[:12]}"
    )
    assert response.status_code == 200 and response.data == data
    # the browser saves it, never renders it, never guesses another type, never runs a script
    assert response.headers["Content-Type"] == CONTENT_TYPES[kind]
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "schema.svg",
            "Type de fichier non accepté. ",
        ),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "schema.png",
            "le contenu n'est pas celui d'un fichier PNG, malgré son nom",
        ),
        (SCRIPT, "fiche.pdf", "le contenu n'est pas celui d'un fichier PDF, malgré son nom"),
        # the signature must open the file: a PDF header further in does not make a PDF
        (SCRIPT + b"\n%PDF-1.4\n", "fiche.pdf", "malgré son nom"),
        (b"\xef\xbb\xbf" + b"%PDF-1.4\n" + SCRIPT, "fiche.pdf", "malgré son nom"),
        (b"MZ\x90\x00" + b"\x00" * 60, "outil.docx", "fichier DOCX, malgré son nom"),
    ],
    ids=["svg", "svg-named-png", "html-named-pdf", "html-then-pdf", "bom-pdf", "exe-named-docx"],
)
def test_markup_and_programs_are_refused_whatever_their_name(
    app, curator_client, tool, root, data, filename, message
):
    _refused(app, curator_client, tool, root, data, filename, message)


# -- archives that lie about their size --------------------------------------------------------


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@cache
def _zeros_deflated(size: int) -> bytes:
    """`size` zero bytes, deflated by pieces (never `size` bytes in memory at once)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = b"\x00" * (1 << 20)
    parts = [compressor.compress(piece) for _ in range(size >> 20)]
    parts.append(compressor.compress(b"\x00" * (size % (1 << 20))))
    return b"".join(parts) + compressor.flush()


def _crafted_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """An archive written by hand: (name, deflated bytes, declared size, declared CRC) per
    member, the same lies in the local headers and in the central directory."""
    body, directory = b"", b""
    for name, data, size, crc in members:
        encoded = name.encode()
        offset = len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0
        )
        body += encoded + data
        directory += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    return body + directory + end


def _honest(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    return name, _deflate(data), len(data), zlib.crc32(data)


TYPES = _honest("[Content_Types].xml", b"<Types/>")
DOCUMENT = _honest("word/document.xml", b"<w:document/>")


def test_an_archive_written_by_hand_that_tells_the_truth_is_a_docx(app, curator_client, tool, root):
    """The builder below makes real archives: only their lies get them refused."""
    archive = _crafted_zip([TYPES, DOCUMENT])
    assert zipfile.ZipFile(io.BytesIO(archive)).testzip() is None
    assert _upload(curator_client, tool, archive, "vrai.docx").status_code == 303
    assert [s.filename for s in _supports(app, tool)] == ["vrai.docx"]


@cache
def _zeros_crc(size: int) -> int:
    crc, piece = 0, b"\x00" * (1 << 20)
    for _ in range(size >> 20):
        crc = zlib.crc32(piece, crc)
    return zlib.crc32(b"\x00" * (size % (1 << 20)), crc)


@pytest.mark.parametrize("checksum", ["of-the-declared-bytes", "of-the-whole", "zero"])
def test_a_bomb_that_declares_a_few_bytes_is_refused_by_what_it_really_inflates_to(
    app, curator_client, tool, root, checksum
):
    """The local header and the central directory say 1,000 bytes; the data inflates past the
    limit. Whatever checksum the forger wrote (that of the 1,000 bytes declared, that of the
    whole, or none), the reading stops at the limit."""
    real = MAX_ARCHIVE_BYTES + (1 << 20)
    crc = {
        "of-the-declared-bytes": zlib.crc32(b"\x00" * 1000),
        "of-the-whole": _zeros_crc(real),
        "zero": 0,
    }[checksum]
    bomb = _crafted_zip([TYPES, ("word/document.xml", _zeros_deflated(real), 1000, crc)])
    assert len(bomb) < 1024 * 1024
    declared = zipfile.ZipFile(io.BytesIO(bomb)).infolist()
    assert sum(e.file_size for e in declared) < 2000  # the declared sizes say nothing wrong
    _refused(app, curator_client, tool, root, bomb, "rapport.docx", "volume anormal de données")


@pytest.mark.parametrize(
    "member, message",
    [
        # says 1,000 bytes and holds 5,000, with the checksum of its first 1,000 bytes
        (
            ("word/document.xml", _deflate(b"a" * 5000), 1000, zlib.crc32(b"a" * 1000)),
            "endommagé",
        ),
        # says 1,000 bytes and holds 5,000, with the checksum of all 5,000
        (
            ("word/document.xml", _deflate(b"a" * 5000), 1000, zlib.crc32(b"a" * 5000)),
            "les tailles qu'il annonce ne sont pas celles de son contenu",
        ),
        # says more than it holds
        (
            ("word/document.xml", _deflate(b"a" * 500), 5000, zlib.crc32(b"a" * 500)),
            "les tailles qu'il annonce ne sont pas celles de son contenu",
        ),
        # data that is not deflate at all
        (("word/document.xml", b"\xff" * 64, 64, 0), "endommagé"),
    ],
    ids=["prefix-checksum", "true-checksum", "declares-more", "not-deflate"],
)
def test_a_member_whose_declared_size_is_false_is_refused(
    app, curator_client, tool, root, member, message
):
    archive = _crafted_zip([TYPES, member])
    _refused(app, curator_client, tool, root, archive, "rapport.docx", message)


# -- names that try to leave the supports folder -------------------------------------------------

HOSTILE_NAMES = {
    "parent-directories": "../../etc/passwd.pdf",
    "windows-parents": "..\\..\\..\\windows\\system32\\x.pdf",
    "absolute": "/etc/cron.d/romin.pdf",
    "windows-absolute": "C:\\Windows\\System32\\x.pdf",
    "unc": "\\\\serveur\\partage\\x.pdf",
    "only-dots": "...pdf",
    # (a line break cannot travel in a multipart header: browsers send it as %0D%0A)
    "control-characters": "fiche\tX-Injection: 1\x1b[31m\x7f\x08.pdf",
    "right-to-left-override": "fiche\u202efdp.exe.pdf",
    "very-long": "a" * 5000 + ".pdf",
    "html-in-name": "'><img src=x onerror=alert(1)>.pdf",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_NAMES), ids=sorted(HOSTILE_NAMES))
def test_a_hostile_name_is_stored_under_a_generated_path_with_a_safe_name(
    app, curator_client, tool, root, tmp_path, name
):
    filename = HOSTILE_NAMES[name]
    before = set(tmp_path.parent.rglob("*"))  # nothing may appear beside the supports folder
    response = _upload(curator_client, tool, _pdf(), filename)
    assert response.status_code == 303
    [support] = _supports(app, tool)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*\.pdf", support.filename), support.filename
    assert len(support.filename) <= 84
    [stored] = _files(root)
    assert stored.resolve().is_relative_to(root.resolve())
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}\.pdf", support.stored_path)
    created = {p for p in set(tmp_path.parent.rglob("*")) - before if p.is_file()}
    assert created == {stored}
    # the page shows the safe name, and its link downloads the file under it
    page = curator_client.get(f"/gestion/outils/{tool.slug}/supports").get_data(as_text=True)
    assert support.filename in page and "<img src=x" not in page
    download = curator_client.get(f"/outils/{tool.slug}/supports/{support.id}/{support.filename}")
    assert download.status_code == 200
    assert f"filename={support.filename}" in download.headers["Content-Disposition"]


def test_a_nul_byte_in_a_name_is_refused_before_anything_is_stored(app, curator_client, tool, root):
    response = _upload(curator_client, tool, _pdf(), "fiche\x00.html.pdf")
    assert response.status_code == 400
    assert "caractère nul" in response.get_data(as_text=True)
    assert _supports(app, tool) == [] and _files(root) == []
