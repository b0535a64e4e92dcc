"""Support files: checked by content, stored under generated paths outside the database."""
from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from app.models import Support, Tool
from app.services.catalogue import slugify

MAX_ARCHIVE_BYTES = 100 * 1024 * 1024
MAX_ARCHIVE_FILES = 2000

TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "png": "image/png",
    "jpg": "image/jpeg",
}


class SupportRejected(ValueError):
    """A file refused, with a message in French for the person who sent it."""


def detect_type(data: bytes) -> str:
    """The file's real type from its bytes (magic numbers, archive contents), or raise."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    raise SupportRejected("Type de fichier non accepté : envoyez un PDF, DOCX, ODT, PNG ou JPEG.")


def _office_type(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise SupportRejected("Le document est endommagé (archive illisible).") from exc
    if len(entries) > MAX_ARCHIVE_FILES or sum(e.file_size for e in entries) > MAX_ARCHIVE_BYTES:
        raise SupportRejected("Le document contient un volume anormal de données : il est refusé.")
    names = {e.filename for e in entries}
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return "docx"
    if "mimetype" in names and archive.read("mimetype").strip() == TYPES["odt"].encode():
        return "odt"
    raise SupportRejected("Type de fichier non accepté : envoyez un PDF, DOCX, ODT, PNG ou JPEG.")


def safe_name(filename: str, kind: str) -> str:
    stem = Path(filename).stem
    name = secure_filename(slugify(stem, 80)) or "support"
    return f"{name}.{kind}"


def supports_dir() -> Path:
    return Path(current_app.config["SUPPORTS_DIR"])


def add_support(session: Session, tool: Tool, filename: str, data: bytes, title: str = "") -> Support:
    """Store a file for a tool. The same name with the same bytes is left as it is (idempotent)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if len(data) > limit:
        raise SupportRejected(f"Le fichier dépasse la taille maximale de {limit // (1024 * 1024)} Mo.")
    if not data:
        raise SupportRejected("Le fichier est vide.")
    kind = detect_type(data)
    name = safe_name(filename, kind)
    digest = hashlib.sha256(data).hexdigest()
    existing = next((s for s in tool.supports if s.filename == name), None)
    if existing is not None and existing.sha256 == digest:
        if title and existing.title != title:
            existing.title = title
        return existing
    stored = f"{digest[:2]}/{uuid.uuid4().hex}.{kind}"
    target = supports_dir() / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    if existing is not None:
        existing.stored_path, existing.sha256, existing.size = stored, digest, len(data)
        existing.content_type = TYPES[kind]
        support = existing
    else:
        support = Support(
            filename=name, title=title or Path(filename).stem, stored_path=stored,
            content_type=TYPES[kind], size=len(data), sha256=digest,
            position=len(tool.supports),
        )
        tool.supports.append(support)
    session.flush()
    return support


def support_path(support: Support) -> Path:
    return supports_dir() / support.stored_path
