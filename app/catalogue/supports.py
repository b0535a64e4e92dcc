"""Support files: checked by content, stored under generated paths outside the database.

The bytes live on disk, the row in PostgreSQL; both must agree whatever happens to the
transaction. So a file written for a transaction that then rolls back (or a savepoint around
it) is removed, and a file that a replacement or a removal made obsolete is deleted only once
the transaction has committed (session hooks at the end of this module).
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import uuid
import zipfile
import zlib
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.utils import secure_filename

from app.catalogue.service import slugify
from app.core.identifying import identifying_refusal
from app.core.refusals import Refused
from app.models import Support, Tool

log = logging.getLogger(__name__)

MAX_ARCHIVE_BYTES = 100 * 1024 * 1024
MAX_ARCHIVE_FILES = 2000
TITLE_MAX = 200

TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "png": "image/png",
    "jpg": "image/jpeg",
}
TYPE_NAMES = {
    "pdf": "PDF",
    "docx": "DOCX",
    "odt": "ODT",
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
}
ACCEPTED = "Types acceptés : PDF, DOCX, ODT, PNG ou JPEG."
DAMAGED = "Le document est endommagé (archive illisible) : il est refusé."
TOO_BIG = (
    "Le document contient un volume anormal de données une fois décompressé (trop de "
    "fichiers ou trop volumineux) : il est refusé."
)
FALSE_SIZES = (
    "Le document est endommagé ou falsifié (les tailles qu'il annonce ne sont pas celles de "
    "son contenu) : il est refusé."
)
ENCRYPTED = "Le document est protégé par un mot de passe : il est refusé."
# the archive's members are read (decompressed) by pieces of this size, never whole
_CHUNK = 64 * 1024


class SupportRejected(Refused):
    """A file refused, with a message in French for the person who sent it."""


def detect_type(data: bytes, filename: str = "") -> str:
    """The file's real type from its bytes (magic numbers, archive contents), or raise."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    claimed = TYPE_NAMES.get(Path(filename).suffix.lower().lstrip("."))
    if claimed:
        raise SupportRejected(
            f"Type de fichier non accepté : le contenu n'est pas celui d'un "
            f"fichier {claimed}, malgré son nom. {ACCEPTED}"
        )
    raise SupportRejected(f"Type de fichier non accepté. {ACCEPTED}")


def _office_type(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise SupportRejected(DAMAGED) from exc
    # Declared sizes first: nothing is decompressed when they already say too much.
    if len(entries) > MAX_ARCHIVE_FILES or sum(e.file_size for e in entries) > MAX_ARCHIVE_BYTES:
        raise SupportRejected(TOO_BIG)
    _check_real_sizes(archive, entries)
    names = {e.filename for e in entries}
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return "docx"
    if "mimetype" in names:
        try:
            with archive.open("mimetype") as handle:
                mimetype = handle.read(100).strip()
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            raise SupportRejected(DAMAGED) from exc
        if mimetype == TYPES["odt"].encode():
            return "odt"
    raise SupportRejected(
        "Type de fichier non accepté (archive qui n'est ni un DOCX ni un ODT). " + ACCEPTED
    )


def _check_real_sizes(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Decompress every member by pieces, counting what comes out, and stop at the limit: the
    sizes an archive declares are whatever its author wrote (a bomb declares a few bytes)."""
    left = MAX_ARCHIVE_BYTES
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise SupportRejected(ENCRYPTED)
        real = _real_size(archive, entry, left)
        if real > left:
            raise SupportRejected(TOO_BIG)
        if real != entry.file_size:  # a crafted archive
            raise SupportRejected(FALSE_SIZES)
        left -= real


def _real_size(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> int:
    """The member's size once decompressed, read by pieces; limit + 1 once it goes past limit.

    zipfile stops reading a member at its declared size, so the member is read through a copy
    of its entry that declares one byte more than the limit: the real stream runs to its end
    or past the limit. zipfile checks the checksum when it stops, so a stream cut at the limit
    fails it: reads stop at the limit, then one more byte tells whether the stream goes on."""
    probe = copy.copy(entry)
    probe.file_size = limit + 1
    real = 0
    try:
        with archive.open(probe) as member:
            while real < limit and (chunk := member.read(min(_CHUNK, limit - real))):
                real += len(chunk)
            if real == limit and member.read(1):
                return limit + 1
    except zipfile.BadZipFile as exc:
        if real == limit:  # cut at the limit: the checksum of the part read cannot hold
            return limit + 1
        raise SupportRejected(DAMAGED) from exc
    except (zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise SupportRejected(DAMAGED) from exc
    return real


def safe_name(filename: str, kind: str) -> str:
    stem = Path(filename).stem
    name = secure_filename(slugify(stem, 80)) or "support"
    return f"{name}.{kind}"


def supports_dir() -> Path:
    return Path(current_app.config["SUPPORTS_DIR"])


def support_path(support: Support) -> Path:
    return supports_dir() / support.stored_path


def size_limit() -> str:
    """The upload limit as people read it ("20 Mo", "64 ko")."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} Mo".replace(".", ",")
    return f"{limit // 1024} ko"


def check_file(filename: str, data: bytes) -> str:
    """The file's type if it is accepted, else SupportRejected with the reason in French."""
    if len(data) > current_app.config["MAX_CONTENT_LENGTH"]:
        raise SupportRejected(f"Le fichier dépasse la taille maximale de {size_limit()}.")
    if not data:
        raise SupportRejected("Le fichier est vide.")
    return detect_type(data, filename)


def _store(session: Session, data: bytes, kind: str) -> tuple[str, str]:
    """Write the bytes under a new generated path, removed again if the transaction fails."""
    digest = hashlib.sha256(data).hexdigest()
    stored = f"{digest[:2]}/{uuid.uuid4().hex}.{kind}"
    target = supports_dir() / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    _track(session, target, WRITTEN)
    target.write_bytes(data)
    return stored, digest


def _set_file(session: Session, support: Support, data: bytes, kind: str) -> None:
    """Point `support` at new bytes; its old file goes once the transaction has committed."""
    old = support.stored_path
    support.stored_path, support.sha256 = _store(session, data, kind)
    support.size, support.content_type = len(data), TYPES[kind]
    if old:
        _track(session, supports_dir() / old, OBSOLETE)


def set_support_file(session: Session, support: Support, data: bytes, kind: str) -> None:
    """Point `support` at these bytes (already checked, of type `kind`) the tracked way, for
    callers that check files their own way (`romin import` finds them by SHA-256): the file
    written goes again if the transaction rolls back, the old one once it has committed."""
    _set_file(session, support, data, kind)


def add_support(
    session: Session, tool: Tool, filename: str, data: bytes, title: str = ""
) -> Support:
    """Store a file for a tool, replacing the support of the same name (imports, seeding).
    The same name with the same bytes is left as it is (idempotent)."""
    kind = check_file(filename, data)
    name = safe_name(filename, kind)
    digest = hashlib.sha256(data).hexdigest()
    existing = next((s for s in tool.supports if s.filename == name), None)
    if existing is not None and existing.sha256 == digest:
        if title and existing.title != title:
            existing.title = title
        return existing
    if existing is not None:
        _set_file(session, existing, data, kind)
        support = existing
    else:
        support = Support(
            filename=name, title=title or Path(filename).stem, position=_next_position(tool)
        )
        _set_file(session, support, data, kind)
        tool.supports.append(support)
    session.flush()
    return support


# -- the curators' supports page ----------------------------------------------------------


def _next_position(tool: Tool) -> int:
    return max((s.position for s in tool.supports), default=-1) + 1


def _unique_name(tool: Tool, name: str, exclude: Support | None = None) -> str:
    taken = {s.filename for s in tool.supports if s is not exclude}
    stem, _, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{stem}-{n}.{ext}", n + 1
    return candidate


def check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise SupportRejected("Indiquez le titre du support, tel que les agents le verront.")
    if len(title) > TITLE_MAX:
        raise SupportRejected(f"Le titre dépasse {TITLE_MAX} caractères.")
    refusal = identifying_refusal(title, "Le titre du support")
    if refusal:
        raise SupportRejected(refusal)
    return title


def upload_support(session: Session, tool: Tool, filename: str, data: bytes, title: str) -> Support:
    """A new support at the end of the list (a name already taken gets a number)."""
    title = check_title(title)
    kind = check_file(filename, data)
    support = Support(
        filename=_unique_name(tool, safe_name(filename, kind)),
        title=title,
        position=_next_position(tool),
    )
    _set_file(session, support, data, kind)
    tool.supports.append(support)
    session.flush()
    return support


def replace_support(session: Session, support: Support, filename: str, data: bytes) -> Support:
    """New bytes (and name) for a support; it keeps its title and its place."""
    kind = check_file(filename, data)
    support.filename = _unique_name(support.tool, safe_name(filename, kind), exclude=support)
    _set_file(session, support, data, kind)
    session.flush()
    return support


def remove_support(session: Session, support: Support) -> None:
    """Delete the row now and the file once the deletion is committed."""
    tool = support.tool
    _track(session, support_path(support), OBSOLETE)
    tool.supports.remove(support)  # delete-orphan
    session.flush()
    _renumber(session, tool)


def move_support(session: Session, support: Support, step: int) -> bool:
    """Move a support one place up (-1) or down (+1); False when it is already at that end."""
    tool = support.tool
    ordered = _locked(session, tool)
    index = next(i for i, s in enumerate(ordered) if s.id == support.id)
    target = index + step
    if not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    _number(session, tool, ordered)
    return True


def _locked(session: Session, tool: Tool) -> list[Support]:
    """The tool's supports in order, locked: two curators reordering at once take turns."""
    return list(
        session.scalars(
            select(Support)
            .where(Support.tool_id == tool.id)
            .order_by(Support.position, Support.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _renumber(session: Session, tool: Tool) -> None:
    _number(session, tool, _locked(session, tool))


def _number(session: Session, tool: Tool, ordered: list[Support]) -> None:
    for position, support in enumerate(ordered):
        if support.position != position:
            support.position = position
    session.flush()
    session.expire(tool, ["supports"])  # reloaded in the new order when next read


# -- files follow the transaction ---------------------------------------------------------

FILES_KEY = "romin_support_files"
WRITTEN, OBSOLETE = "written", "obsolete"


def _track(session: Session, path: Path, kind: str) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        session.connection()  # begins the transaction the file belongs to
        transaction = session.get_transaction()
    session.info.setdefault(FILES_KEY, []).append((transaction, path, kind))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # never fails the request; the path is generated, not personal
        log.error("support file %s could not be deleted: %s", path.name, exc)


def _forget(session: Session, ended: SessionTransaction, remove_written: bool) -> None:
    entries = session.info.get(FILES_KEY)
    if not entries:
        return
    kept = []
    for transaction, path, kind in entries:
        if _within(transaction, ended):
            if kind == WRITTEN and remove_written:
                _unlink(path)
        else:
            kept.append((transaction, path, kind))
    session.info[FILES_KEY] = kept


@event.listens_for(Session, "after_soft_rollback")
def _files_after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rolled-back transaction or savepoint leaves no file behind and deletes none."""
    _forget(session, previous_transaction, remove_written=True)


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    """Committed: the new files stay, the obsolete ones go."""
    entries = session.info.pop(FILES_KEY, None) or []
    for _transaction, path, kind in entries:
        if kind == OBSOLETE:
            _unlink(path)


@event.listens_for(Session, "after_transaction_end")
def _files_after_end(session: Session, transaction: SessionTransaction) -> None:
    """A transaction closed without commit nor rollback (session closed) is treated as a
    rollback."""
    if transaction.parent is None and session.info.get(FILES_KEY):
        _forget(session, transaction, remove_written=True)
