"""The whole catalogue as one JSON document: `romin export` writes it, `romin import` reads it back.

What travels: the risk factors, every tool with every column of its sheet (status and dates
included), its factors with the evidence of those that have their own (`factor_evidence`, see
app/catalogue/evidence.py), and its supports' metadata. What does not: ids (slugs identify
tools and factors, tool + filename identify a support), users and anything tied to them
(feedback, workflow steps, revisions), and derived data (ranking scores, recomputed on import).

The export is deterministic (sorted keys, tools by slug, supports by position), so an export,
an import into an empty database and a second export give the same bytes. The import is an
upsert: it creates or updates what the file names and leaves everything else alone; importing
the same file twice changes nothing. A tool it creates or changes gets a revision (and, for a new
status, a workflow step) by "Système (import ou commande)", like any other save.

A tool's sheet fields are checked by the API's schema (app/schemas/tool.py), so the import
accepts exactly what a curator could save; only the columns no form sets (dates, demo flag) and
what ties the file together (slugs, factors, supports) are checked here.

Support files are not in the JSON: the import looks for each file by its SHA-256 in a
directory laid out like SUPPORTS_DIR (`<first two hex digits>/<any name>`), by default the
app's own. A support whose file cannot be found there is NOT imported (a sheet never links to
a missing file): the report names it and the command ends with exit code 2. Found files are
stored by the supports service, so they follow the transaction like an upload: removed if it
rolls back, a replaced version deleted only once it has committed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

from marshmallow import ValidationError, fields
from marshmallow import validate as check
from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.catalogue import revisions, workflow
from app.catalogue.evidence import clean, evidence_problems, set_factor_evidence
from app.catalogue.phases import sheet_problems
from app.catalogue.risk_factors import all_factors
from app.catalogue.schemas import ToolInSchema
from app.catalogue.scores import hold_prior, refresh_scores
from app.catalogue.supports import TYPES, SupportRejected, detect_type, set_support_file
from app.core.refusals import WHOLE, Refused
from app.curation.factor_edits import FactorValues, check_factors, locked_factors
from app.models import RiskFactor, Support, Tool

FORMAT = "romin-catalogue"
VERSION = 1
FACTOR_FIELDS = ("slug", "label", "description", "synonyms", "position")
SUPPORT_FIELDS = ("title", "filename", "position", "content_type", "size", "sha256")
# Tool columns that never travel: the database id, and scores derived from ratings and weights.
TOOL_EXCLUDED = {"id", "scores"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
FACTOR_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ERRORS_SHOWN = 50
# marshmallow's own messages (a type or a null the schema has no French text for), in French
FRENCH = {
    "Field may not be null.": "ne peut pas être vide (null).",
    "Missing data for required field.": "champ obligatoire.",
    "Not a valid string.": "texte attendu.",
    "Not a valid integer.": "nombre entier attendu.",
    "Not a valid boolean.": "true ou false attendu.",
    "Not a valid date.": "date ISO 8601 attendue (2024-01-31).",
    "Not a valid list.": "liste attendue.",
    "Number too large.": "nombre trop grand.",
    "Invalid value.": "valeur invalide.",
}


class ImportedToolSchema(ToolInSchema):
    """The API's schema, the status included. One exception: the summary may be empty, because
    the legacy import stores tools without one (the old files often had none), and an export
    of such a catalogue must read back. The import-only columns are checked apart."""

    summary = fields.String(
        load_default="",
        validate=check.Length(max=1000, error="Le résumé dépasse 1000 caractères."),
        error_messages={"invalid": "Résumé : texte attendu."},
    )


def tool_columns() -> list[Column[Any]]:
    """Every column of a tool sheet that travels: all of them but ids, scores and links to users
    (a foreign key), so a column added to the sheet is exported without touching this file."""
    table = cast(Table, Tool.__table__)  # a mapped class's FromClause: its Table
    return [c for c in table.columns if c.name not in TOOL_EXCLUDED and not c.foreign_keys]


# -- export ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_catalogue(
    session: Session, progress: Callable[[int], None] = lambda n: None
) -> dict[str, Any]:
    factors = all_factors(session)
    columns = tool_columns()
    tools = []
    for tool in session.scalars(select(Tool).order_by(Tool.slug)):
        entry = {c.name: _plain(getattr(tool, c.key)) for c in columns}
        entry["risk_factors"] = tool.risk_factor_slugs
        entry["factor_evidence"] = tool.factor_evidence
        entry["supports"] = [
            {name: getattr(s, name) for name in SUPPORT_FIELDS}
            for s in sorted(tool.supports, key=lambda s: (s.position, s.filename))
        ]
        tools.append(entry)
        progress(1)
    return {
        "format": FORMAT,
        "version": VERSION,
        "risk_factors": [
            {name: getattr(f, name) for name in FACTOR_FIELDS}
            for f in sorted(factors, key=lambda f: (f.position, f.slug))
        ],
        "tools": tools,
    }


def dumps(catalogue: dict[str, Any]) -> str:
    """The file's text: sorted keys, indented, one final newline; nothing depends on the clock."""
    return json.dumps(catalogue, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


# -- validation -----------------------------------------------------------------------------


class InvalidCatalogue(Refused):
    """The file cannot be imported: French sentences, each naming where it is (`problems`)."""

    def __init__(self, problems: list[str]):
        super().__init__({WHOLE: problems})
        self.problems = problems

    def lines(self) -> list[str]:
        shown = [f"  - {e}" for e in self.problems[:MAX_ERRORS_SHOWN]]
        if len(self.problems) > MAX_ERRORS_SHOWN:
            shown.append(f"  … et {len(self.problems) - MAX_ERRORS_SHOWN} autre(s) erreur(s).")
        return [f"Fichier refusé, rien n'a été importé ({len(self.problems)} erreur(s)) :", *shown]


def loads(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidCatalogue(
            [f"JSON illisible, ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}."]
        ) from exc
    if not isinstance(data, dict):
        raise InvalidCatalogue(["Le fichier doit contenir un objet JSON (un export de ROMIN)."])
    return data


def _check_value(column: Column[Any], value: Any) -> tuple[Any, str | None]:
    """(converted value, French problem or None) for a value of this column."""
    kind = column.type
    if value is None:
        return None, None if column.nullable else "ne peut pas être vide (null)"
    if isinstance(kind, (String, Text)) and not isinstance(kind, ARRAY):
        if not isinstance(value, str):
            return value, "doit être un texte"
        if kind.length and len(value) > kind.length:
            return value, f"dépasse {kind.length} caractères"
        return value, None
    if isinstance(kind, Boolean):
        return value, None if isinstance(value, bool) else "doit valoir true ou false"
    if isinstance(kind, Integer):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return value, None if ok else "doit être un nombre entier"
    if isinstance(kind, DateTime):
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return value, "doit être une date et heure ISO 8601 (2024-01-31T12:00:00+00:00)"
        if moment.tzinfo is None:
            return value, "doit indiquer son fuseau horaire (par exemple +00:00)"
        return moment, None
    if isinstance(kind, Date):
        try:
            return date.fromisoformat(value), None
        except (TypeError, ValueError):
            return value, "doit être une date ISO 8601 (2024-01-31)"
    if isinstance(kind, ARRAY):
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            return value, "doit être une liste de textes"
        length = getattr(kind.item_type, "length", None)
        if length and any(len(x) > length for x in value):
            return value, f"contient un texte de plus de {length} caractères"
        return value, None
    if isinstance(kind, JSONB):
        return value, None
    return value, "type de colonne non pris en charge par l'import"


@dataclass
class CheckedCatalogue:
    factors: list[dict[str, Any]]
    tools: list[dict[str, Any]]  # values converted for the database


def validate(session: Session, data: dict[str, Any]) -> CheckedCatalogue:
    """Every problem of the file at once (not the first one only); raises InvalidCatalogue."""
    errors: list[str] = []
    if data.get("format") != FORMAT:
        errors.append(
            f"« format » doit valoir « {FORMAT} » : ce fichier n'est pas un export de ROMIN."
        )
    if data.get("version") != VERSION:
        errors.append(
            f"« version » {data.get('version')!r} non prise en charge (attendue : {VERSION})."
        )
    for key in ("risk_factors", "tools"):
        if not isinstance(data.get(key), list):
            errors.append(f"« {key} » doit être une liste.")
    unknown = sorted(set(data) - {"format", "version", "risk_factors", "tools"})
    if unknown:
        errors.append(f"Clé(s) inconnue(s) au premier niveau : {', '.join(unknown)}.")
    if errors:
        raise InvalidCatalogue(errors)
    factors = _validate_factors(session, data["risk_factors"], errors)
    known_factors = {f.slug for f in all_factors(session)} | {f["slug"] for f in factors}
    tools = _validate_tools(data["tools"], known_factors, errors)
    _check_phases(session, tools, errors)
    _check_factor_evidence(session, tools, errors)
    if errors:
        raise InvalidCatalogue(errors)
    return CheckedCatalogue(factors, tools)


def _field_problems(
    item: dict[str, Any], allowed: Iterable[str], required: Iterable[str]
) -> list[str]:
    """The fields an object of the file lacks or should not have, in French."""
    problems = []
    missing = [k for k in required if k not in item]
    if missing:
        problems.append(f"champ(s) manquant(s) : {', '.join(missing)}")
    extra = sorted(set(item) - set(allowed))
    if extra:
        problems.append(f"champ(s) inconnu(s) : {', '.join(extra)}")
    return problems


def _validate_factors(
    session: Session, items: list[Any], errors: list[str]
) -> list[dict[str, Any]]:
    factors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        where = f"facteur n° {n}"
        if not isinstance(item, dict):
            errors.append(f"{where} : doit être un objet.")
            continue
        if isinstance(item.get("slug"), str):
            where = f"facteur n° {n} (« {item['slug']} »)"
        problems = _field_problems(item, FACTOR_FIELDS, FACTOR_FIELDS)
        slug = item.get("slug")
        if not isinstance(slug, str) or not FACTOR_SLUG.match(slug) or len(slug) > 40:
            problems.append(
                "« slug » : identifiant invalide (minuscules, chiffres et tirets, 40 au plus)"
            )
        elif slug in seen:
            problems.append("« slug » : ce facteur figure deux fois dans le fichier")
        for name in ("label", "description"):
            if name in item and not isinstance(item[name], str):
                problems.append(f"« {name} » doit être un texte")
        synonyms = item.get("synonyms", [])
        if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
            problems.append("« synonyms » doit être une liste de textes")
        position = item.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            problems.append("« position » doit être un entier positif ou nul")
        if problems or not isinstance(slug, str):  # a slug that is no text is a problem
            errors.append(f"{where} : {' ; '.join(problems)}.")
            continue
        seen.add(slug)
        factors.append(item)
    # the curators' rules, on the set the database will hold once the file is imported
    in_file = {f["slug"] for f in factors}
    merged = [
        FactorValues(f["slug"], f["label"], f["description"], list(f["synonyms"])) for f in factors
    ]
    merged += [
        FactorValues(f.slug, f.label, f.description or "", list(f.synonyms))
        for f in all_factors(session)
        if f.slug not in in_file
    ]
    for slug, refused in check_factors(merged).items():
        if slug in in_file:
            errors.append(f"facteur « {slug} » : {' '.join(refused.values())}")
        else:
            errors.append(f"facteur « {slug} » (déjà en base) : {' '.join(refused.values())}")
    return factors


def _schema_problems(messages: dict[str, Any]) -> list[str]:
    """The schema's messages, each prefixed with the field it is about (and the item's number
    for a list)."""

    def text(found: str | list[str]) -> str:
        return " ".join(FRENCH.get(m, m) for m in found) if isinstance(found, list) else str(found)

    problems = []
    for name, found in sorted(messages.items()):
        if isinstance(found, dict):  # a list's items: {index: [messages]}
            problems += [
                f"« {name} » n° {index + 1} : {text(found[index])}"
                for index in sorted(found, key=lambda i: (not isinstance(i, int), i))
            ]
        else:
            problems.append(f"« {name} » : {text(found)}")
    return problems


def _validate_tools(
    items: list[Any], known_factors: set[str], errors: list[str]
) -> list[dict[str, Any]]:
    """Each tool's sheet through the API's schema; the columns only an import sets (dates,
    demo flag) by their database type; then what ties the file together (slugs, factors)."""
    schema = ImportedToolSchema()
    columns = {c.name: c for c in tool_columns()}
    extras = {name: column for name, column in columns.items() if name not in schema.fields}
    tools: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        where = f"outil n° {n}"
        if not isinstance(item, dict):
            errors.append(f"{where} : doit être un objet.")
            continue
        if isinstance(item.get("slug"), str):
            where = f"outil n° {n} (« {item['slug']} »)"
        problems = _field_problems(
            item, {*columns, "risk_factors", "factor_evidence", "supports"}, ("slug", "status")
        )
        sheet = {k: val for k, val in item.items() if k in schema.fields}
        try:
            loaded = schema.load(sheet)
        except ValidationError as exc:
            problems += _schema_problems(exc.messages_dict)
            loaded = exc.valid_data or {}  # so the other checks still see the valid fields
        # only what the file names: an update leaves the other columns as they are
        converted: dict[str, Any] = {k: val for k, val in loaded.items() if k in item}
        for name, column in extras.items():
            if name in item:
                value, problem = _check_value(column, item[name])
                if problem:
                    problems.append(f"« {name} » {problem}")
                converted[name] = value
        slug = converted.get("slug")
        if slug is not None:
            if slug in seen:
                problems.append("« slug » : cet outil figure deux fois dans le fichier")
            seen.add(slug)
        unknown = [f for f in converted.get("risk_factors", []) if f not in known_factors]
        if unknown:
            problems.append(f"« risk_factors » : facteur(s) inconnu(s) {', '.join(unknown)}")
        if "risk_factors" in converted:
            converted["risk_factors"] = list(dict.fromkeys(converted["risk_factors"]))
        converted["supports"] = _validate_supports(item.get("supports", []), problems)
        if problems:
            errors.append(f"{where} : {' ; '.join(p.rstrip('.') for p in problems)}.")
            continue
        tools.append(converted)
    return tools


def _check_factor_evidence(
    session: Session, tools: list[dict[str, Any]], errors: list[str]
) -> None:
    """Evidence given for a tool's factors the file does not list: checked against the factors
    the tool has in the database (the schema checked the tools that list theirs)."""
    partial = {t["slug"]: t for t in tools if "factor_evidence" in t and "risk_factors" not in t}
    if not partial:
        return
    found = {t.slug: t for t in session.scalars(select(Tool).where(Tool.slug.in_(partial)))}
    for slug, item in partial.items():
        tool = found.get(slug)
        problems = evidence_problems(
            tool.risk_factor_slugs if tool is not None else [], item["factor_evidence"], None, None
        )
        for found_problems in problems.values():
            errors.append(f"outil « {slug} » : « factor_evidence » : {' '.join(found_problems)}")


_PHASE_FIELDS = ("phase", "risk_factors", "stages")


def _check_phases(session: Session, tools: list[dict[str, Any]], errors: list[str]) -> None:
    """The phase rule (app/catalogue/phases.py) on the sheet as the import will leave it: the
    schema saw each tool alone, but an update leaves the fields the file does not name as they
    are (an export names them all, a hand-written file may not)."""
    partial = {t["slug"]: t for t in tools if any(name not in t for name in _PHASE_FIELDS)}
    if not partial:
        return
    for tool in session.scalars(select(Tool).where(Tool.slug.in_(partial))):
        item = partial[tool.slug]
        problems = sheet_problems(
            item.get("phase", tool.phase),
            item.get("risk_factors", tool.risk_factor_slugs),
            item.get("stages", tool.stages),
        )
        if problems:
            messages = " ; ".join(
                f"« {name} » : {' '.join(found)}" for name, found in sorted(problems.items())
            )
            errors.append(f"outil « {tool.slug} » (déjà en base) : {messages}")


def _validate_supports(items: Any, problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        problems.append("« supports » doit être une liste")
        return []
    supports, names = [], set()
    for n, item in enumerate(items, 1):
        where = f"support n° {n}"
        if not isinstance(item, dict):
            problems.append(f"{where} : doit être un objet")
            continue
        wrong = _field_problems(item, SUPPORT_FIELDS, SUPPORT_FIELDS)
        name = item.get("filename")
        if (
            not isinstance(name, str)
            or not name
            or len(name) > 200
            or "/" in name
            or "\\" in name
            or name.startswith(".")
        ):
            wrong.append(
                "« filename » : nom de fichier invalide (sans dossier, 200 caractères au plus)"
            )
        elif name in names:
            wrong.append(f"« filename » : « {name} » figure deux fois pour cet outil")
        if not isinstance(item.get("title", ""), str) or len(item.get("title", "")) > 200:
            wrong.append("« title » doit être un texte de 200 caractères au plus")
        for key in ("position", "size"):
            value = item.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                wrong.append(f"« {key} » doit être un entier positif ou nul")
        if item.get("content_type") not in TYPES.values():
            wrong.append(
                f"« content_type » : type non accepté (attendus : {', '.join(TYPES.values())})"
            )
        if not isinstance(item.get("sha256"), str) or not SHA256.match(item["sha256"]):
            wrong.append("« sha256 » : 64 chiffres hexadécimaux en minuscules attendus")
        if wrong:
            problems.append(f"{where} : {', '.join(wrong)}")
            continue
        names.add(name)
        supports.append(item)
    return supports


# -- import ---------------------------------------------------------------------------------


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def text(self) -> str:
        return f"{self.created} créé(s), {self.updated} modifié(s), {self.unchanged} inchangé(s)"


@dataclass
class ImportReport:
    factors: Counts = field(default_factory=Counts)
    tools: Counts = field(default_factory=Counts)
    supports: Counts = field(default_factory=Counts)
    missing_files: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in (self.factors, self.tools, self.supports))

    def lines(self) -> list[str]:
        lines = [
            f"Facteurs de risque : {self.factors.text()}.",
            f"Outils : {self.tools.text()}.",
            f"Supports : {self.supports.text()}"
            + (
                f", {len(self.missing_files)} non importé(s) (fichier introuvable)."
                if self.missing_files
                else "."
            ),
        ]
        for entry in self.missing_files:
            lines.append(f"  fichier introuvable : {entry}")
        if self.missing_files:
            lines.append(
                "Un support dont le fichier est introuvable n'est pas importé (une fiche ne "
                "renvoie jamais vers un fichier absent) : copiez les fichiers (option "
                "--fichiers) puis relancez l'import, qui ne refera que ce qui manque."
            )
        if not self.changed:
            lines.append("Rien n'a changé : la base contenait déjà ce catalogue.")
        return lines


def import_catalogue(
    session: Session,
    data: dict[str, Any],
    files_dir: Path,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Validate the whole file, then upsert it; flushes, never commits. Raises InvalidCatalogue
    before writing anything. Support files are stored by the supports service, so they follow
    the transaction: removed if it rolls back, the replaced ones deleted once it commits."""
    return apply_catalogue(session, check_catalogue(session, data), files_dir, progress)


def check_catalogue(session: Session, data: dict[str, Any]) -> CheckedCatalogue:
    """Lock the factors (their rules must hold against curators editing meanwhile), then
    validate the whole file; raises InvalidCatalogue."""
    locked_factors(session)
    return validate(session, data)


def apply_catalogue(
    session: Session,
    checked: CheckedCatalogue,
    files_dir: Path,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Upsert a checked file (see import_catalogue)."""
    hold_prior(session)  # before any tool row is locked (see app.catalogue.scores)
    report = ImportReport()
    factors = _import_factors(session, checked.factors, report.factors)
    files = _FileFinder(files_dir)
    tools = {t.slug: t for t in session.scalars(select(Tool))}  # one query, not one per tool
    changed: list[tuple[Tool, str | None]] = []  # (tool, its status before, None: created)
    evidence: list[tuple[Tool, dict[str, Any]]] = []  # stored on the links once they exist
    for item in checked.tools:
        _import_tool(session, item, tools, factors, files, report, changed, evidence)
        progress(1)
    session.flush()
    for tool, factor_evidence in evidence:
        set_factor_evidence(session, tool, factor_evidence)
    if changed:
        # derived, never in the file: recomputed once for all (one catalogue mean, one query)
        refresh_scores(session, [tool for tool, _old in changed])
    for tool, old_status in changed:
        # the curators' trail, as for any save: who (the import, no user) changed what, when
        if old_status is None or tool.status != old_status:
            workflow.record_step(
                session, tool, old_status, tool.status, None, note="romin import", source="import"
            )
        revisions.record(session, tool, None, source="import")
    return report


def _import_factors(
    session: Session, items: list[dict[str, Any]], counts: Counts
) -> dict[str, RiskFactor]:
    existing = {f.slug: f for f in session.scalars(select(RiskFactor))}
    for item in items:
        factor = existing.get(item["slug"])
        if factor is None:
            factor = RiskFactor(**{name: item[name] for name in FACTOR_FIELDS})
            session.add(factor)
            existing[factor.slug] = factor
            counts.created += 1
        elif _assign(factor, {name: item[name] for name in FACTOR_FIELDS}):
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    return existing


def _assign(obj: object, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when one did (an unchanged row is never touched,
    so a second import writes nothing and queues nothing for the index)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _import_tool(
    session: Session,
    item: dict[str, Any],
    tools: dict[str, Tool],
    factors: dict[str, RiskFactor],
    files: _FileFinder,
    report: ImportReport,
    changed_tools: list[tuple[Tool, str | None]],
    evidence: list[tuple[Tool, dict[str, Any]]],
) -> None:
    links = ("risk_factors", "factor_evidence", "supports")
    values = {k: val for k, val in item.items() if k not in links}
    tool = tools.get(item["slug"])
    creating = tool is None
    old_status = None if tool is None else tool.status
    if tool is None:
        tool = Tool(**values)
        tool.risk_factors = [factors[slug] for slug in item.get("risk_factors", [])]
        session.add(tool)
        changed = True
    else:
        changed = _assign(tool, values)
        # as sets: a tool's factors are always listed in the factors' order
        if "risk_factors" in item and set(tool.risk_factor_slugs) != set(item["risk_factors"]):
            tool.risk_factors = [factors[slug] for slug in item["risk_factors"]]
            changed = True
    if "factor_evidence" in item and (
        creating or tool.factor_evidence != clean(item["factor_evidence"])
    ):
        evidence.append((tool, item["factor_evidence"]))
        changed = True
    if changed:
        changed_tools.append((tool, old_status))
    if creating:
        report.tools.created += 1
    elif changed:
        report.tools.updated += 1
    else:
        report.tools.unchanged += 1
    for support in item["supports"]:
        _import_support(session, tool, support, files, report)


def _import_support(
    session: Session, tool: Tool, item: dict[str, Any], files: _FileFinder, report: ImportReport
) -> None:
    existing = next((s for s in tool.supports if s.filename == item["filename"]), None)
    meta = {"title": item["title"], "position": item["position"]}
    if existing is not None and existing.sha256 == item["sha256"]:
        if _assign(existing, meta):
            report.supports.updated += 1
        else:
            report.supports.unchanged += 1
        return
    data = files.find(item["sha256"], item["size"])
    if data is None:
        report.missing_files.append(
            f"outil « {tool.slug} », « {item['filename']} » (sha256 {item['sha256'][:12]}…)"
            + (" : l'ancienne version du fichier est conservée" if existing is not None else "")
        )
        return
    try:
        kind = detect_type(data)
    except SupportRejected as exc:  # the bytes match the sha256, but are not an accepted type
        report.missing_files.append(f"outil « {tool.slug} », « {item['filename']} » : {exc}")
        return
    if existing is not None:
        _assign(existing, meta)
        set_support_file(session, existing, data, kind)  # the old file goes after the commit
        report.supports.updated += 1
    else:
        support = Support(filename=item["filename"], **meta)
        set_support_file(session, support, data, kind)
        tool.supports.append(support)
        report.supports.created += 1


class _FileFinder:
    """Support files by content: `<dir>/<first two hex digits of the sha256>/*`, checked."""

    def __init__(self, root: Path):
        self.root = root

    def find(self, sha256: str, size: int) -> bytes | None:
        """The bytes of a file with this size and SHA-256 (read once: what is checked is what
        is stored), or None."""
        folder = self.root / sha256[:2]
        if not folder.is_dir():
            return None
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.stat().st_size == size:
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() == sha256:
                    return data
        return None
