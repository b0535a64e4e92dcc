"""Curators' supports page: upload, replace, reorder and remove, checked by content; a refused
file, a failed transaction or a removal leaves nothing behind on disk or in the database;
every change reaches the index through the outbox."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy import func, select

from app.catalogue import supports as supports_service
from app.db import db
from app.models import IndexOutbox, Support, Tool


def _pdf(text: str = "Fiche de travail") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _docx(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def root(app) -> Path:
    return Path(app.config["SUPPORTS_DIR"])


@pytest.fixture
def curator(make_user):
    return make_user("curator")


def _sign_in(client, user):
    with client.session_transaction() as session:
        session["uid"] = user.id


@pytest.fixture
def tool(make_tool):
    return make_tool(title="Balance décisionnelle")


@pytest.fixture
def as_curator(client, curator):
    _sign_in(client, curator)
    return client


def _upload(client, tool, data: bytes, filename: str, title: str = "Fiche d'exercice"):
    return client.post(
        f"/gestion/outils/{tool.slug}/supports",
        data={"titre": title, "fichier": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _supports(app, tool) -> list[Support]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Support).where(Support.tool_id == tool.id).order_by(Support.position)
            )
        )


def _document(app, meili_client, tool) -> dict:
    return meili_client.request("GET", f"/indexes/{app.config['MEILI_INDEX']}/documents/{tool.id}")


def test_a_curator_uploads_a_pdf_stored_under_a_generated_path_and_indexed(
    app, as_curator, tool, root, meili_client
):
    response = _upload(as_curator, tool, _pdf(), "../../Fiche d'exercice n°1 (version finale).PDF")
    assert response.status_code == 303
    page = as_curator.get(response.headers["Location"]).get_data(as_text=True)
    assert "est ajouté" in page and "Fiche d&#39;exercice" in page
    [support] = _supports(app, tool)
    assert support.filename == "fiche-d-exercice-n1-version-finale.pdf"
    assert support.title == "Fiche d'exercice" and support.content_type == "application/pdf"
    assert support.position == 0
    stored = root / support.stored_path
    assert _files(root) == [stored] and stored.read_bytes().startswith(b"%PDF-")
    assert ".." not in support.stored_path and "fiche" not in support.stored_path  # generated
    # reached the index through the outbox, in the same transaction as the row
    assert _document(app, meili_client, tool)["supports_count"] == 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(IndexOutbox)
                .where(IndexOutbox.tool_id == tool.id, IndexOutbox.done_at.is_(None))
            )
            == 0
        )
    download = as_curator.get(f"/outils/{tool.slug}/supports/{support.id}/{support.filename}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "filename, data, message",
    [
        (
            "fiche.pdf",
            b"Ceci est un simple texte, pas un PDF.\n" * 20,
            "n'est pas celui d'un fichier PDF",
        ),
        ("script.exe", b"MZ\x90\x00" + b"\x00" * 200, "Type de fichier non accepté"),
        ("vide.pdf", b"", "Le fichier est vide"),
        (
            "archive.docx",
            _docx({"word/media/bombe.bin": b"\x00" * (101 * 1024 * 1024)}),
            "volume anormal",
        ),
        (
            "nombreux.docx",
            _docx({f"word/part{n}.xml": b"x" for n in range(2001)}),
            "volume anormal",
        ),
        ("archive.docx", b"PK\x03\x04" + b"pas une archive" * 10, "endommagé"),
        ("archive.zip", _zip({"photo.txt": b"texte"}), "ni un DOCX ni un ODT"),
    ],
)
def test_a_refused_file_is_explained_and_leaves_nothing(
    app, as_curator, tool, root, meili_client, filename, data, message
):
    response = _upload(as_curator, tool, data, filename, title="Mon titre gardé")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in html and 'id="fichier-erreur"' in html
    assert 'value="Mon titre gardé"' in html  # the rest of the form is kept
    assert _supports(app, tool) == [] and _files(root) == []
    assert _document(app, meili_client, tool)["supports_count"] == 0


def test_the_zip_bomb_is_refused_without_being_decompressed(app):
    """The declared sizes are checked before anything is read: a bomb costs nothing."""
    bomb = _docx({"word/media/bombe.bin": b"\x00" * (101 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    with app.app_context(), pytest.raises(supports_service.SupportRejected, match="volume anormal"):
        supports_service.detect_type(bomb, "rapport.docx")


def test_accepted_types_are_recognised_by_content_whatever_their_name(app, as_curator, tool):
    for name, data in (
        ("image.pdf", _png()),
        ("document.bin", _docx()),
        ("photo", b"\xff\xd8\xff\xe0" + b"\x00" * 64),
    ):
        assert _upload(as_curator, tool, data, name, title=name).status_code == 303
    assert [s.filename for s in _supports(app, tool)] == ["image.png", "document.docx", "photo.jpg"]


def test_title_and_file_are_required_with_a_message_each(app, as_curator, tool, root):
    response = as_curator.post(
        f"/gestion/outils/{tool.slug}/supports",
        data={"titre": " "},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Indiquez le titre du support" in html and "Choisissez le fichier à envoyer" in html
    assert _supports(app, tool) == [] and _files(root) == []


def test_a_title_naming_someone_is_refused_like_every_free_text(app, as_curator, tool, root):
    """Support titles are read by every officer: the identifying-data checker reads them."""
    response = _upload(as_curator, tool, _pdf(), "grille.pdf", title="Grille de M. Dupont")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Le titre du support semble contenir un nom de personne" in html
    assert _supports(app, tool) == [] and _files(root) == []


def test_an_upload_over_the_request_limit_gets_a_french_message(app_factory, make_user, make_tool):
    app = app_factory(MAX_CONTENT_LENGTH=64 * 1024)
    client, root = app.test_client(), Path(app.config["SUPPORTS_DIR"])
    tool = make_tool()
    _sign_in(client, make_user("curator"))
    response = _upload(client, tool, _pdf() + b"%" * (80 * 1024), "gros.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert (
        "Le fichier dépasse la taille maximale de 64 ko" in html and 'id="fichier-erreur"' in html
    )
    assert "Ajouter un support" in html  # the page itself, with its form, not a raw error
    assert _files(root) == []
    # only curators get the page (others: the plain French 413 page when the CSRF check reads
    # the form first, as in production, else the 403 of the role check)
    other = app.test_client()
    _sign_in(other, make_user("agent"))
    refused = _upload(other, tool, b"%PDF-" + b"x" * (80 * 1024), "gros.pdf")
    assert refused.status_code in (403, 413) and "Ajouter un support" not in refused.get_data(
        as_text=True
    )


def test_over_the_limit_with_the_csrf_check_on_as_in_production(app_factory, make_user, make_tool):
    """The CSRF check reads the form before any view: the 413 is raised there, and still
    answered with the page and its French message, to a curator."""
    app = app_factory(MAX_CONTENT_LENGTH=64 * 1024, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    tool = make_tool()
    _sign_in(client, make_user("curator"))
    response = _upload(client, tool, b"%PDF-" + b"x" * (80 * 1024), "gros.pdf")
    assert response.status_code == 413
    assert "Le fichier dépasse la taille maximale de 64 ko" in response.get_data(as_text=True)
    other = app.test_client()
    _sign_in(other, make_user("agent"))
    refused = _upload(other, tool, b"%PDF-" + b"x" * (80 * 1024), "gros.pdf")
    assert refused.status_code == 413 and "Fichier trop volumineux" in refused.get_data(
        as_text=True
    )
    assert "Ajouter un support" not in refused.get_data(as_text=True)


def test_the_limit_is_shown_in_megabytes(app_factory, make_user, make_tool):
    app = app_factory(MAX_CONTENT_LENGTH=3 * 1024 * 1024)
    client = app.test_client()
    tool = make_tool()
    _sign_in(client, make_user("curator"))
    response = _upload(client, tool, b"%PDF-" + b"x" * (3 * 1024 * 1024), "gros.pdf")
    assert response.status_code == 413
    assert "dépasse la taille maximale de 3 Mo" in response.get_data(as_text=True)


def test_a_transaction_that_fails_after_the_file_was_written_removes_it(
    app, as_curator, tool, root, monkeypatch
):
    real = supports_service.upload_support

    def written_then_failed(*args, **kwargs):
        support = real(*args, **kwargs)
        assert (root / support.stored_path).is_file()  # the file was really written
        raise RuntimeError("panne simulée après l'écriture du fichier")

    monkeypatch.setattr(supports_service, "upload_support", written_then_failed)
    response = _upload(as_curator, tool, _pdf(), "fiche.pdf")
    assert response.status_code == 500 and "Erreur inattendue" in response.get_data(as_text=True)
    assert _supports(app, tool) == [] and _files(root) == []


def test_files_follow_savepoints_and_sessions_closed_without_commit(ctx, tool, root):
    session = db.session
    tool_row = session.get(Tool, tool.id)
    with pytest.raises(RuntimeError), session.begin_nested():
        supports_service.upload_support(session, tool_row, "a.pdf", _pdf(), "A")
        raise RuntimeError
    assert _files(root) == []
    with session.begin_nested():
        kept = supports_service.upload_support(session, tool_row, "b.pdf", _pdf("b"), "B")
    session.commit()
    assert _files(root) == [root / kept.stored_path]
    # a session closed without commit or rollback is a rollback
    other = ctx.extensions["romin_db"].session_factory()
    supports_service.upload_support(other, other.get(Tool, tool.id), "c.pdf", _pdf("c"), "C")
    assert len(_files(root)) == 2
    other.close()
    assert _files(root) == [root / kept.stored_path]


def test_replacing_a_file_keeps_title_and_place_and_deletes_the_old_file_after_commit(
    app, as_curator, tool, root, meili_client
):
    for n in range(2):
        _upload(as_curator, tool, _pdf(f"v{n}"), f"fiche{n}.pdf", title=f"Fiche {n}")
    first, second = _supports(app, tool)
    old_path = root / first.stored_path
    response = as_curator.post(
        f"/gestion/outils/{tool.slug}/supports/{first.id}/modifier",
        data={"titre": "Fiche 0 révisée", "fichier": (io.BytesIO(_docx()), "Fiche révisée.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    replaced, unchanged = _supports(app, tool)
    assert replaced.id == first.id and replaced.position == 0 and unchanged.id == second.id
    assert replaced.title == "Fiche 0 révisée" and replaced.filename == "fiche-revisee.docx"
    assert replaced.content_type.endswith("wordprocessingml.document")
    assert not old_path.exists()
    assert _files(root) == sorted([root / replaced.stored_path, root / unchanged.stored_path])
    # a refused replacement changes nothing
    refused = as_curator.post(
        f"/gestion/outils/{tool.slug}/supports/{first.id}/modifier",
        data={"titre": "Autre titre", "fichier": (io.BytesIO(b"<html>pas un pdf</html>"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert (
        f'id="fichier-{first.id}-erreur"' in html
        and "n&#39;est pas celui d&#39;un fichier PDF" in html
    )
    assert 'value="Autre titre"' in html
    again, _ = _supports(app, tool)
    assert (again.title, again.stored_path) == (replaced.title, replaced.stored_path)
    assert len(_files(root)) == 2


def test_a_name_taken_at_the_same_moment_is_explained_and_leaves_no_file(
    app, as_curator, tool, root, monkeypatch
):
    """Two uploads of the same name at once: the second one's INSERT breaks the unique
    constraint; its savepoint is rolled back with the file it wrote, and the page says so."""
    _upload(as_curator, tool, _pdf(), "fiche.pdf")
    [first] = _supports(app, tool)
    monkeypatch.setattr(supports_service, "_unique_name", lambda tool, name, exclude=None: name)
    response = _upload(as_curator, tool, _pdf("autre"), "fiche.pdf", title="Deuxième")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "vient d&#39;être enregistré pour cet outil" in html and 'value="Deuxième"' in html
    assert [s.id for s in _supports(app, tool)] == [first.id]
    assert _files(root) == [root / first.stored_path]


def test_a_replacement_rolled_back_keeps_the_old_file_and_drops_the_new(
    app, as_curator, tool, root, monkeypatch
):
    _upload(as_curator, tool, _pdf(), "fiche.pdf")
    [support] = _supports(app, tool)
    real = supports_service.replace_support

    def replaced_then_failed(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(supports_service, "replace_support", replaced_then_failed)
    response = as_curator.post(
        f"/gestion/outils/{tool.slug}/supports/{support.id}/modifier",
        data={"titre": support.title, "fichier": (io.BytesIO(_pdf("nouveau")), "nouveau.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 500
    [after] = _supports(app, tool)
    assert after.stored_path == support.stored_path
    assert _files(root) == [root / support.stored_path]


def test_reordering_with_up_and_down_buttons(app, as_curator, tool):
    for name in ("un", "deux", "trois"):
        _upload(as_curator, tool, _pdf(name), f"{name}.pdf", title=name.capitalize())
    un, deux, trois = _supports(app, tool)
    base = f"/gestion/outils/{tool.slug}/supports"
    assert (
        as_curator.post(f"{base}/{trois.id}/deplacer", data={"sens": "monter"}).status_code == 303
    )
    assert [s.title for s in _supports(app, tool)] == ["Un", "Trois", "Deux"]
    as_curator.post(f"{base}/{un.id}/deplacer", data={"sens": "descendre"})
    assert [s.title for s in _supports(app, tool)] == ["Trois", "Un", "Deux"]
    assert [s.position for s in _supports(app, tool)] == [0, 1, 2]
    page = as_curator.post(
        f"{base}/{trois.id}/deplacer", data={"sens": "monter"}, follow_redirects=True
    )
    assert "est déjà le premier" in page.get_data(as_text=True)
    assert (
        as_curator.post(f"{base}/{trois.id}/deplacer", data={"sens": "ailleurs"}).status_code == 400
    )
    sheet = as_curator.get(f"/outils/{tool.slug}").get_data(as_text=True)
    assert sheet.index("Trois") < sheet.index(">\n              Un") < sheet.index("Deux")
    manage = as_curator.get(base).get_data(as_text=True)
    # the first cannot move up and the last cannot move down (buttons disabled, no script)
    assert (
        manage.count('value="monter" disabled') == 1
        and manage.count('value="descendre" disabled') == 1
    )


def test_removing_asks_for_confirmation_then_deletes_row_and_file(
    app, as_curator, tool, root, meili_client
):
    for name in ("un", "deux"):
        _upload(as_curator, tool, _pdf(name), f"{name}.pdf", title=name.capitalize())
    un, deux = _supports(app, tool)
    assert _document(app, meili_client, tool)["supports_count"] == 2
    url = f"/gestion/outils/{tool.slug}/supports/{un.id}/supprimer"
    confirm = as_curator.get(url).get_data(as_text=True)
    assert "Supprimer le support « Un » ?" in confirm and 'name="csrf_token"' in confirm
    assert as_curator.post(url).status_code == 303
    [left] = _supports(app, tool)
    assert left.id == deux.id and left.position == 0
    assert _files(root) == [root / deux.stored_path]
    assert _document(app, meili_client, tool)["supports_count"] == 1
    assert as_curator.get(f"/outils/{tool.slug}/supports/{un.id}/{un.filename}").status_code == 404


def test_a_removal_rolled_back_keeps_the_file(ctx, tool, root):
    session = db.session
    tool_row = session.get(Tool, tool.id)
    support = supports_service.upload_support(session, tool_row, "a.pdf", _pdf(), "A")
    session.commit()
    supports_service.remove_support(session, support)
    session.rollback()
    assert _files(root) == [root / support.stored_path]
    assert session.get(Support, support.id) is not None


def test_a_support_of_another_tool_is_not_found(app, as_curator, tool, make_tool):
    other = make_tool()
    _upload(as_curator, other, _pdf(), "a.pdf")
    [support] = _supports(app, other)
    base = f"/gestion/outils/{tool.slug}/supports/{support.id}"
    assert as_curator.post(f"{base}/deplacer", data={"sens": "monter"}).status_code == 404
    assert as_curator.post(f"{base}/supprimer").status_code == 404
    assert as_curator.get("/gestion/outils/inconnu/supports").status_code == 404
    assert len(_supports(app, other)) == 1


def test_the_page_needs_a_curator(app, client, tool, make_user):
    assert client.get(f"/gestion/outils/{tool.slug}/supports").status_code == 302
    _sign_in(client, make_user("agent"))
    assert client.get(f"/gestion/outils/{tool.slug}/supports").status_code == 403
    assert _upload(client, tool, _pdf(), "a.pdf").status_code == 403
    assert _supports(app, tool) == []


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _link(client, tool) -> str:
    import re

    html = client.get(f"/outils/{tool.slug}").get_data(as_text=True)
    [href] = re.findall(rf'href="(/outils/{tool.slug}/supports/[^"]+)"', html)
    return href.replace("&amp;", "&")


def test_downloads_stay_out_of_shared_caches_and_a_replaced_file_gets_a_new_link(
    app, as_curator, tool
):
    _upload(as_curator, tool, _pdf("version 1"), "fiche.pdf")
    [support] = _supports(app, tool)
    officer = app.test_client()
    link = _link(officer, tool)
    assert link == f"/outils/{tool.slug}/supports/{support.id}/fiche.pdf?v={support.sha256[:12]}"
    first = officer.get(link)
    assert first.status_code == 200 and _sha(first.data) == support.sha256
    cache = first.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache and "max-age=3600" in cache
    # an unversioned (or outdated) link is revalidated at each download
    bare = officer.get(f"/outils/{tool.slug}/supports/{support.id}/fiche.pdf")
    cache = bare.headers["Cache-Control"]
    assert "private" in cache and "no-cache" in cache and "max-age" not in cache

    # replaced under the same name: the sheet links to a new URL, the old one gets the new file
    response = as_curator.post(
        f"/gestion/outils/{tool.slug}/supports/{support.id}/modifier",
        data={"titre": "Fiche d'exercice", "fichier": (io.BytesIO(_pdf("version 2")), "fiche.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    [replaced] = _supports(app, tool)
    assert (replaced.id, replaced.filename) == (support.id, "fiche.pdf")
    assert replaced.sha256 != support.sha256
    new_link = _link(officer, tool)
    assert new_link != link and new_link.endswith(f"?v={replaced.sha256[:12]}")
    assert _sha(officer.get(new_link).data) == replaced.sha256
    old = officer.get(link)
    assert _sha(old.data) == replaced.sha256 and "no-cache" in old.headers["Cache-Control"]


def test_a_drafts_support_is_never_stored_by_any_cache(app, as_curator, make_tool):
    draft = make_tool(title="Brouillon", status="draft")
    _upload(as_curator, draft, _pdf("brouillon"), "fiche.pdf")
    link = _link(as_curator, draft)
    download = as_curator.get(link)
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    cache = download.headers["Cache-Control"]
    assert "no-store" in cache and "private" in cache
    assert "public" not in cache and "max-age" not in cache and "Expires" not in download.headers
    # and officers do not get it at all
    assert app.test_client().get(link).status_code == 404
