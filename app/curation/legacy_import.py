"""Import of the first ROMIN's catalogue: Markdown files with a YAML front matter.

Those files were edited by hand through a git-based CMS, so their labels drift (case, accents,
’ or ', "&" or "et", plural) and some of them are broken. Each file is mapped to the fields of a
tool sheet, validated by the same schema as the API, and saved in its own savepoint: a bad file
is reported with a reason a curator can act on and skipped, the others go through. Tools are
matched by slug, so running the import again updates them instead of duplicating them. Imported
tools are drafts at evidence level 0 (nobody has reviewed them yet) unless asked otherwise.
The service flushes only; the command commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

import yaml
from flask import current_app
from marshmallow import ValidationError, fields, validate
from sqlalchemy.orm import Session

from app.catalogue.phases import ORGANISATION, is_own_work
from app.catalogue.resolver import FactorTerms, factor_terms, normalise, resolve
from app.catalogue.risk_factors import all_factors, ensure_risk_factors
from app.catalogue.schemas import ToolInSchema
from app.catalogue.service import CatalogueError, get_tool, save_tool, slugify
from app.catalogue.supports import SupportRejected, add_support
from app.core import vocabulary as v
from app.core.refusals import Refused
from app.core.vocabulary import DRAFT, PUBLISHED, REVIEW
from app.models import RiskFactor, Tool
from app.models.base import utcnow

# The original field of each sheet field, to name it in messages the way the files spell it.
ORIGINAL_NAMES = {
    "slug": "slug",
    "title": "titre",
    "summary": "resume",
    "instructions": "corps du fichier",
    "precautions": "precautions",
    "protective_factors": "facteurs_protecteurs",
    "risk_factors": "facteurs_risques",
    "stages": "stades_changement",
    "phase": "phase",
    "modality": "modalite",
    "sessions": "nb_sceances",
    "author_name": "auteur",
    "author_role": "auteur.role",
    "author_contact": "auteur.email",
}
LEGACY_STAGES = {
    "Maintien": "maintien",
    "Préparation": "determination",
    "Détermination": "determination",
}
LEGACY_SESSIONS = {"Entre 2 et 5": "2-5", "Entre 6 et 10": "6-10", "Plus de 10": "10+"}
MODALITY_HINT = "Individuelle, Collective ou Individuelle et collective"
PHASE_HINT = "Évaluation, Intervention ou Organisation de l'activité"
# The original product made every tool name a risk factor, so its tools for the officer's own
# work name some (often all seven): dropped, with this note (app/catalogue/phases.py).
OWN_WORK_NOTE = (
    "facteurs de risque et stades du changement du fichier ignorés : un outil pour "
    "l'organisation de l'activité du CPIP n'en a aucun"
)
SESSIONS_HINT = "1, Entre 2 et 5, Entre 6 et 10 ou Plus de 10"


class LegacyFileError(Refused):
    """A file that cannot be imported, with the reason in French."""


class LegacyToolSchema(ToolInSchema):
    """The API's schema, except that the original files often have no summary."""

    summary = fields.String(
        load_default="",
        validate=validate.Length(max=1000, error="Le résumé dépasse 1000 caractères."),
    )


# -- the report -----------------------------------------------------------------------------


@dataclass
class FileOutcome:
    file: str
    status: str  # "créé", "mis à jour", "inchangé" or "erreur"
    slug: str = ""
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    supports_copied: int = 0
    supports_missing: int = 0

    def line(self) -> str:
        if self.status == "erreur":
            return f"ERREUR {self.file} : {self.reason}"
        return f"OK {self.status} {self.file} → {self.slug}"


@dataclass
class ImportReport:
    directory: Path
    status: str = DRAFT
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> int:
        return self.count("erreur")

    def lines(self) -> list[str]:
        lines = []
        for outcome in self.outcomes:
            lines.append(outcome.line())
            lines.extend(f"  {note}" for note in outcome.notes)
        lines.append(self.summary())
        return lines

    def summary(self) -> str:
        if not self.outcomes:
            return f"Aucun fichier Markdown (.md) trouvé dans {self.directory}."
        copied = sum(o.supports_copied for o in self.outcomes)
        missing = sum(o.supports_missing for o in self.outcomes)
        text = (
            f"{len(self.outcomes)} fichier(s) : {self.count('créé')} créé(s), "
            f"{self.count('mis à jour')} mis à jour, {self.count('inchangé')} inchangé(s), "
            f"{self.failed} en erreur ; {copied} support(s) copié(s), {missing} manquant(s)."
        )
        if self.status == DRAFT and self.count("créé"):
            text += " Les fiches créées sont des brouillons : relisez-les avant de les publier."
        return text


# -- matching labels ----------------------------------------------------------------------


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith(("s", "x")) else word


def label_key(text: object) -> str:
    """A label as compared: no case, accents, punctuation or plural; "&" and "et" ignored."""
    words = normalise(str(text).replace("&", " et ")).split()
    return " ".join(_singular(w) for w in words if w != "et")


_TOKEN = re.compile(r"[^\W_]+|[,;]")
_Entry = tuple[str | None, int, int]  # a word as compared (None: a separator), its start, end


@dataclass
class FactorVocabulary:
    """The risk factors as the database names them, plus their original labels."""

    labels: dict[tuple[str, ...], str]  # full labels, as word sequences -> slug
    terms: list[FactorTerms]  # every name, for the tolerant resolver
    known: list[str]  # labels to quote in messages

    @classmethod
    def load(cls, factors: Iterable[RiskFactor]) -> FactorVocabulary:
        seeds = {seed.slug: seed.label for seed in v.RISK_FACTORS}
        labels, terms, known = {}, [], []
        for factor in factors:
            names = [factor.label] + ([seeds[factor.slug]] if factor.slug in seeds else [])
            for name in names:
                words = tuple(label_key(name).split())
                if len(words) > 1:  # a single word could swallow part of another label
                    labels[words] = factor.slug
            terms.append(factor_terms(factor.slug, factor.label, list(factor.synonyms) + names[1:]))
            known.append(factor.label)
        return cls(labels, terms, known)


def _entries(text: str) -> list[_Entry]:
    """Words of a text as compared (None for a separator), with their place in the text."""
    entries: list[_Entry] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ",;":
            entries.append((None, match.start(), match.end()))
        else:
            words = label_key(token).split() or [""]  # "" for "et": kept in pieces, never compared
            entries.extend((w, match.start(), match.end()) for w in words)
    return entries


def _label_at(
    entries: list[_Entry], start: int, labels: dict[tuple[str, ...], str]
) -> tuple[str, int] | None:
    """The longest full label starting at `start` (commas inside it allowed), and where it ends."""
    best: tuple[str, int] | None = None
    for words, slug in labels.items():
        if entries[start][0] != words[0]:
            continue
        i, n = start, 0
        while i < len(entries) and n < len(words):
            word = entries[i][0]
            if word is None or word == "":
                i += 1
            elif word == words[n]:
                i, n = i + 1, n + 1
            else:
                break
        if n == len(words) and (best is None or i > best[1]):
            best = (slug, i)
    return best


def split_factor_labels(
    text: str, labels: dict[tuple[str, ...], str]
) -> tuple[list[str], list[str]]:
    """Known full labels found in a text, and the comma-separated pieces left over.

    Labels are searched first because some contain commas ("Addictions (alcool, stupéfiants)").
    """
    entries = _entries(text)
    found: list[str] = []
    pieces: list[str] = []
    current: list[_Entry] = []

    def close_piece() -> None:
        if any(word for word, _, _ in current):
            pieces.append(text[current[0][1] : current[-1][2]].strip(" ()[]"))
        current.clear()

    i = 0
    while i < len(entries):
        match = _label_at(entries, i, labels) if entries[i][0] else None
        if match:
            close_piece()
            found.append(match[0])
            i = match[1]
            continue
        if entries[i][0] is None:
            close_piece()
        else:
            current.append(entries[i])
        i += 1
    close_piece()
    return found, pieces


def factor_slugs(value: object, vocabulary: FactorVocabulary) -> tuple[list[str], list[str]]:
    """Slugs named by `facteurs_risques` (one label, a list, or labels separated by commas),
    and the labels that name no factor."""
    slugs, unknown = [], []
    for item in _as_list(value):
        text = str(item)
        found, pieces = split_factor_labels(text, vocabulary.labels)
        resolved = [(piece, resolve(piece, vocabulary.terms)) for piece in pieces]
        if not found and any(slug is None for _, slug in resolved):
            whole = resolve(text, vocabulary.terms)  # one label with a typo in it
            if whole:
                found, resolved = [whole], []
        slugs += found + [slug for _, slug in resolved if slug]
        unknown += [piece for piece, slug in resolved if slug is None]
    return list(dict.fromkeys(slugs)), unknown


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if item is not None and str(item).strip()]


def _split_simple(value: object) -> list[str]:
    """A list, or a single value that may separate several with commas (no comma in labels)."""
    return [
        part.strip()
        for item in _as_list(value)
        for part in re.split(r"[,;]", str(item))
        if part.strip()
    ]


def _table(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {label_key(name): slug for name, slug in pairs}


STAGE_TABLE = _table(
    [(t.label, t.slug) for t in v.STAGES]
    + [(t.slug, t.slug) for t in v.STAGES]
    + list(LEGACY_STAGES.items())
)
MODALITY_TABLE = _table(
    [(t.label, t.slug) for t in v.MODALITIES] + [(t.slug, t.slug) for t in v.MODALITIES]
)
SESSIONS_TABLE = _table(
    [(t.label, t.slug) for t in v.SESSIONS]
    + list(LEGACY_SESSIONS.items())
    + [("1", "1"), ("2-5", "2-5"), ("6-10", "6-10")]
)
PHASE_TABLE = _table(
    [(t.label, t.slug) for t in v.PHASES]
    + [(t.slug, t.slug) for t in v.PHASES]
    + [("Organisation", ORGANISATION), ("Pratique professionnelle", ORGANISATION)]
)


# -- reading a file -------------------------------------------------------------------------


def read_source(path: Path) -> tuple[dict[str, Any], str]:
    """The front matter (a mapping) and the Markdown body of a file, or LegacyFileError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LegacyFileError(f"fichier illisible ({exc.strerror or exc}).") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LegacyFileError(
            f"le fichier n'est pas encodé en UTF-8 (octet illisible à la position {exc.start}) ; "
            "réenregistrez-le en UTF-8."
        ) from exc
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise LegacyFileError(
            "pas d'en-tête YAML : le fichier doit commencer par une ligne « --- »."
        )
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
    if end is None:
        raise LegacyFileError("en-tête YAML non refermé : il manque la seconde ligne « --- ».")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # +2: the opening "---" and numbering from 1, so the line is the one an editor shows
        where = f" près de la ligne {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntaxe invalide"
        raise LegacyFileError(
            f"en-tête YAML illisible{where} (détail : {problem}) ; vérifiez "
            "les guillemets, crochets et deux-points."
        ) from exc
    if not isinstance(meta, dict):
        raise LegacyFileError("l'en-tête YAML doit être une liste de champs « nom: valeur ».")
    return meta, "\n".join(lines[end + 1 :]).strip()


# -- mapping the original fields ------------------------------------------------------------


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "\n".join(str(item).strip() for item in value if item is not None)
    return str(value).strip()


def map_modality(value: object) -> str | None:
    slugs = set()
    for part in _split_simple(value):
        slug = MODALITY_TABLE.get(label_key(part))
        if slug is None:
            raise LegacyFileError(
                f"modalite : valeur non reconnue « {part} » (attendu : {MODALITY_HINT})."
            )
        slugs.add(slug)
    if not slugs:
        return None
    return slugs.pop() if len(slugs) == 1 else "mixte"


def map_sessions(value: object) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return "1" if value == 1 else "2-5" if value <= 5 else "6-10" if value <= 10 else "10+"
    text = str(value).strip()
    slug = "10+" if text == "10+" else SESSIONS_TABLE.get(label_key(text))
    if slug is None:
        raise LegacyFileError(
            f"nb_sceances : valeur non reconnue « {text} » (attendu : {SESSIONS_HINT})."
        )
    return slug


def map_phase(value: object) -> str | None:
    """The optional `phase` field (the original format has none: a ROMIN addition)."""
    text = _text(value)
    if not text:
        return None
    slug = PHASE_TABLE.get(label_key(text))
    if slug is None:
        raise LegacyFileError(f"phase : valeur non reconnue « {text} » (attendu : {PHASE_HINT}).")
    return slug


def map_stages(value: object) -> list[str]:
    slugs, unknown = [], []
    for part in _split_simple(value):
        slug = STAGE_TABLE.get(label_key(part))
        (slugs.append(slug) if slug else unknown.append(part))
    if unknown:
        raise LegacyFileError(
            f"stades_changement : stade non reconnu {_quoted(unknown)} "
            f"(attendu : {', '.join(t.label for t in v.STAGES)})."
        )
    return list(dict.fromkeys(slugs))


def map_factors(value: object, vocabulary: FactorVocabulary) -> list[str]:
    slugs, unknown = factor_slugs(value, vocabulary)
    if unknown:
        raise LegacyFileError(
            f"facteurs_risques : libellé non reconnu {_quoted(unknown)} ; facteurs connus : "
            f"{' · '.join(vocabulary.known)}."
        )
    if not slugs:
        raise LegacyFileError("facteurs_risques absent : indiquez au moins un facteur de risque.")
    return slugs


def map_created_at(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise LegacyFileError(f"cree_le : date illisible « {value} ».") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def map_author(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        return {"author_name": str(value).strip()}
    part = lambda name: _text(value.get(name)) or ""  # noqa: E731
    mapped = {"author_name": " ".join(p for p in (part("prenom"), part("nom")) if p)}
    if value.get("role") is not None:
        mapped["author_role"] = part("role")
    if value.get("email") is not None:
        mapped["author_contact"] = part("email")
    return mapped


def legacy_slug(meta: dict[str, Any]) -> str | None:
    """The tool a file updates: its `slug` field, or its title's; None without a title."""
    title = _text(meta.get("titre"))
    return (_text(meta.get("slug")) or slugify(title)) if title else None


def map_fields(
    meta: dict[str, Any],
    body: str,
    vocabulary: FactorVocabulary,
    current_phase: str | None = None,
) -> dict[str, Any]:
    """The sheet's fields from the original ones (only those the file gives), or LegacyFileError
    naming every problem of the file at once. `current_phase`: the phase of the tool the file
    updates (a curator may have set it): the file's `phase`, if any, wins."""
    title = _text(meta.get("titre"))
    if not title:
        raise LegacyFileError("champ « titre » absent ou vide.")
    data: dict[str, Any] = {"title": title, "instructions": body}
    problems = []
    try:
        phase = map_phase(meta.get("phase"))
    except LegacyFileError as exc:
        problems.append(str(exc).rstrip("."))
        phase = None
    if phase is not None:
        data["phase"] = phase
    mappers: tuple[tuple[str, Callable[[], object]], ...] = (
        ("risk_factors", lambda: map_factors(meta.get("facteurs_risques"), vocabulary)),
        ("modality", lambda: map_modality(meta.get("modalite"))),
        ("sessions", lambda: map_sessions(meta.get("nb_sceances"))),
        ("stages", lambda: map_stages(meta.get("stades_changement"))),
        ("created_at", lambda: map_created_at(meta.get("cree_le"))),
    )
    if is_own_work(phase or current_phase):  # no factor, no stage (see OWN_WORK_NOTE)
        data["risk_factors"], data["stages"] = [], []
        mappers = tuple(m for m in mappers if m[0] not in ("risk_factors", "stages"))
    for name, mapper in mappers:
        try:
            value = mapper()
        except LegacyFileError as exc:
            problems.append(str(exc).rstrip("."))
            continue
        if value not in (None, []):
            data[name] = value
    if problems:
        raise LegacyFileError(" ; ".join(problems) + ".")
    for original, name in (("resume", "summary"), ("precautions", "precautions")):
        if _text(meta.get(original)) is not None:
            data[name] = _text(meta.get(original))
    if _text(meta.get("facteurs_protecteurs")) is not None:
        protective = _as_list(meta["facteurs_protecteurs"])
        data["protective_factors"] = ", ".join(str(p).strip() for p in protective)
    data.update(map_author(meta.get("auteur")))
    data["slug"] = legacy_slug(meta)
    return data


def validate_fields(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The schema's verdict: on creation every default applies, on update only what the file
    gives."""
    created_at = data.pop("created_at", None)
    try:
        loaded = LegacyToolSchema(partial=not creating).load(data)
    except ValidationError as exc:
        raise LegacyFileError(_schema_messages(exc.messages_dict)) from exc
    if created_at is not None:
        loaded["created_at"] = created_at
    return loaded


def _schema_messages(messages: dict[str, Any]) -> str:
    parts = []
    for name, errors in messages.items():
        flat = errors if isinstance(errors, list) else [m for ms in errors.values() for m in ms]
        parts.append(f"{ORIGINAL_NAMES.get(name, name)} : {' '.join(flat)}")
    return " ; ".join(parts)


def _quoted(values: list[str]) -> str:
    return ", ".join(f"« {value} »" for value in values)


# -- saving ---------------------------------------------------------------------------------


def _changes(tool: Tool, data: dict[str, Any]) -> bool:
    for name, value in data.items():
        current = getattr(tool, name) if name != "risk_factors" else tool.risk_factor_slugs
        if name == "risk_factors":
            current, value = set(current), set(value)
        if current != value:
            return True
    return False


def save(
    session: Session, data: dict[str, Any], tool: Tool | None, status: str
) -> tuple[Tool, str]:
    """Create or update the tool; leave it untouched (its edit date too) when nothing changed."""
    created_at = data.pop("created_at", None)
    if tool is None:
        tool = save_tool(session, {**data, "status": status, "evidence_level": 0})
        outcome = "créé"
    else:
        data.pop("slug", None)
        if status == PUBLISHED and tool.status in (DRAFT, REVIEW):
            data["status"] = PUBLISHED
        if not _changes(tool, data) and (created_at is None or created_at == tool.created_at):
            return tool, "inchangé"
        tool = save_tool(session, data, tool)
        outcome = "mis à jour"
    if created_at is not None:
        tool.created_at = created_at
        session.flush()
    return tool, outcome


# -- supports -------------------------------------------------------------------------------


def support_candidates(directory: Path, reference: str) -> list[Path]:
    """Where a support named in a file may be, beside the Markdown files."""
    path = unquote(urlparse(reference).path if "://" in reference else reference)
    relative = path.lstrip("/")
    name = PurePosixPath(relative).name
    candidates = [directory / relative] if relative else []
    if name:
        candidates += [
            directory / name,
            directory / "media" / "uploads" / name,
            directory / "uploads" / name,
        ]
    return list(dict.fromkeys(candidates))


def find_support(directory: Path, reference: str) -> tuple[Path | None, list[Path]]:
    """The first candidate that is a file inside the directory (never outside), and all of them."""
    root = directory.resolve()
    candidates = support_candidates(directory, reference)
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_relative_to(root) and resolved.is_file():
            return candidate, candidates
    return None, candidates


def import_supports(
    session: Session, tool: Tool, directory: Path, references: object, outcome: FileOutcome
) -> bool:
    """Add every support found, report the others; True when a support was added or replaced."""
    changed = False
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    for reference in _as_list(references):
        reference = str(reference).strip()
        found, candidates = find_support(directory, reference)
        if found is None:
            outcome.supports_missing += 1
            outcome.notes.append(
                f"support manquant : {reference} (cherché dans "
                f"{', '.join(str(c) for c in candidates) or 'aucun emplacement'})"
            )
            continue
        with open(found, "rb") as handle:
            data = handle.read(limit + 1)  # add_support refuses what is over the limit
        before = {(s.filename, s.sha256) for s in tool.supports}
        try:
            with session.begin_nested():
                support = add_support(session, tool, found.name, data)
        except SupportRejected as exc:
            outcome.notes.append(f"support refusé : {reference} ({found}) — {exc}")
            continue
        if (support.filename, support.sha256) in before:
            outcome.notes.append(f"support déjà présent : {reference}")
        else:
            changed = True
            outcome.supports_copied += 1
            outcome.notes.append(
                f"support copié : {reference} → {support.filename} "
                f"({support.size} octets, sha256 {support.sha256[:12]}…)"
            )
    return changed


# -- the whole import -----------------------------------------------------------------------


def import_file(
    session: Session,
    directory: Path,
    path: Path,
    vocabulary: FactorVocabulary,
    status: str,
    outcome: FileOutcome,
    imported: dict[str, str],
) -> None:
    meta, body = read_source(path)
    slug = legacy_slug(meta)
    existing = get_tool(session, slug) if slug else None
    data = map_fields(meta, body, vocabulary, existing.phase if existing else None)
    outcome.slug = data["slug"]
    if outcome.slug in imported:  # two files of the batch would overwrite each other
        raise LegacyFileError(
            f"même identifiant « {outcome.slug} » que {imported[outcome.slug]} : "
            "changez le titre ou ajoutez un champ « slug » distinct."
        )
    if is_own_work(data.get("phase", existing.phase if existing else None)) and (
        _as_list(meta.get("facteurs_risques")) or _as_list(meta.get("stades_changement"))
    ):
        outcome.notes.append(OWN_WORK_NOTE)
    data = validate_fields(data, creating=existing is None)
    tool, outcome.status = save(session, data, existing, status)
    if (
        import_supports(session, tool, directory, meta.get("supports"), outcome)
        and outcome.status == "inchangé"
    ):
        outcome.status = "mis à jour"
        tool.updated_at = utcnow()
        session.flush()


def import_directory(
    session: Session,
    directory: Path,
    files: list[Path],
    progress: Callable[[int], None] = lambda n: None,
    publish: bool = False,
) -> ImportReport:
    """Import every file, each in its own savepoint; flush only (the caller commits)."""
    status = PUBLISHED if publish else DRAFT
    report = ImportReport(directory=directory, status=status)
    ensure_risk_factors(session)
    vocabulary = FactorVocabulary.load(all_factors(session))
    imported: dict[str, str] = {}  # slug -> file, so that two files never write the same tool
    for path in files:
        outcome = FileOutcome(file=_display(directory, path), status="erreur")
        try:
            with session.begin_nested():
                import_file(session, directory, path, vocabulary, status, outcome, imported)
        except (LegacyFileError, CatalogueError) as exc:
            _fail(outcome, str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
            _fail(outcome, f"erreur inattendue ({type(exc).__name__} : {exc}).")
        else:
            imported[outcome.slug] = outcome.file
        report.outcomes.append(outcome)
        progress(1)
    return report


def _fail(outcome: FileOutcome, reason: str) -> None:
    outcome.status, outcome.reason = "erreur", reason
    outcome.notes, outcome.supports_copied, outcome.supports_missing = [], 0, 0


def _display(directory: Path, path: Path) -> str:
    try:
        return str(path.relative_to(directory))
    except ValueError:
        return str(path)
