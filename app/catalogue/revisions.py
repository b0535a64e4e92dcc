"""Revisions of a tool sheet: a snapshot of its editable fields at each save, a readable diff
between two of them, and restoring one (a new revision, through the one save path).

A revision is recorded by save_tool, whoever saves (pages, API, imports), so the history is
complete. A save that changes nothing records nothing, except a restore, which is always traced.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue.fields import FIELD_LABELS, SHEET_FIELDS, TEXT_FIELDS
from app.catalogue.risk_factors import all_factors
from app.catalogue.workflow import actor_label
from app.core import vocabulary as v
from app.models import Tool, ToolRevision, User

# The fields a revision keeps (the sheet's content; the status has its own trail: workflow).
LIST_FIELDS: dict[str, tuple[v.Term, ...] | None] = {
    "risk_factors": None,
    "stages": v.STAGES,
    "setting": v.SETTINGS,
    "responsivity": v.RESPONSIVITY,
    "references": None,
}
VALUE_TERMS = {
    "kind": v.KINDS,
    "phase": v.PHASES,
    "modality": v.MODALITIES,
    "sessions": v.SESSIONS,
    "evidence_level": v.EVIDENCE_LEVELS,
    "harm_evidence": v.HARM_LEVELS,
}
# What a field held before it existed (revisions recorded before migration 0011 lack it), so
# that a save changing nothing records nothing.
FIELD_DEFAULTS: dict[str, Any] = {"factor_evidence": {}, "harm_evidence": v.HARM_NONE}
ELIDE_OVER = 400  # an unchanged stretch longer than this is shortened in a diff...
ELIDE_KEEP = 120  # ...to this many characters on each side of the changes


# A revision's fields as JSON values (app.models.ToolRevision.snapshot).
Snapshot = dict[str, Any]


def snapshot(tool: Tool) -> Snapshot:
    """The tool's editable fields as JSON values (dates as ISO strings, factors as slugs)."""
    data: Snapshot = {}
    for name in SHEET_FIELDS:
        if name == "risk_factors":  # in the officers' order, whatever order they were given in
            value = [f.slug for f in sorted(tool.risk_factors, key=lambda f: f.position)]
        else:
            value = getattr(tool, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, (list, tuple)):
            value = list(value)
        data[name] = value
    return data


def _empty(value: Any) -> bool:
    return value in (None, "", [], {}, False, v.HARM_NONE)


def _value(snapshot: Snapshot, name: str) -> Any:
    return snapshot.get(name, FIELD_DEFAULTS.get(name))


def changed_fields(before: Snapshot | None, after: Snapshot) -> list[str]:
    if before is None:  # the first revision: the fields that hold something
        return [name for name in SHEET_FIELDS if not _empty(after.get(name))]
    return [name for name in SHEET_FIELDS if _value(before, name) != _value(after, name)]


def latest(session: Session, tool_id: int) -> ToolRevision | None:
    return session.scalars(
        select(ToolRevision)
        .where(ToolRevision.tool_id == tool_id)
        .order_by(ToolRevision.number.desc())
        .limit(1)
    ).first()


def record(
    session: Session,
    tool: Tool,
    author: User | None,
    source: str = "web",
    restored_from: int | None = None,
) -> ToolRevision | None:
    """Record the tool's current state as a new revision, unless nothing changed."""
    last = latest(session, tool.id)
    current = snapshot(tool)
    changed = changed_fields(last.snapshot if last else None, current)
    if last is not None and not changed and restored_from is None:
        return None
    revision = ToolRevision(
        tool_id=tool.id,
        number=(last.number + 1) if last else 1,
        author_id=author.id if author is not None else None,
        author_label=actor_label(author),
        source=source,
        restored_from=restored_from,
        changed_fields=changed,
        snapshot=current,
    )
    session.add(revision)
    session.flush()
    return revision


def history(session: Session, tool: Tool) -> list[ToolRevision]:
    """Every revision of the tool, most recent first."""
    return list(
        session.scalars(
            select(ToolRevision)
            .where(ToolRevision.tool_id == tool.id)
            .order_by(ToolRevision.number.desc())
        )
    )


def get(session: Session, tool: Tool, number: int) -> ToolRevision | None:
    return session.scalar(
        select(ToolRevision).where(ToolRevision.tool_id == tool.id, ToolRevision.number == number)
    )


def previous(session: Session, revision: ToolRevision) -> ToolRevision | None:
    return session.scalars(
        select(ToolRevision)
        .where(ToolRevision.tool_id == revision.tool_id, ToolRevision.number < revision.number)
        .order_by(ToolRevision.number.desc())
        .limit(1)
    ).first()


def last_authors(session: Session, tool_ids: list[int]) -> dict[int, str]:
    """Author of each tool's latest revision, in one query."""
    if not tool_ids:
        return {}
    latest_number = (
        select(ToolRevision.tool_id, func.max(ToolRevision.number).label("number"))
        .where(ToolRevision.tool_id.in_(tool_ids))
        .group_by(ToolRevision.tool_id)
        .subquery()
    )
    rows = session.execute(
        select(ToolRevision.tool_id, ToolRevision.author_label).join(
            latest_number,
            (latest_number.c.tool_id == ToolRevision.tool_id)
            & (latest_number.c.number == ToolRevision.number),
        )
    )
    return {tool_id: label for tool_id, label in rows}


# -- diff ----------------------------------------------------------------------------------


@dataclass
class Segment:
    """A stretch of text in a diff: op is "equal", "delete" or "insert"."""

    op: str
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


@dataclass
class FieldChange:
    name: str
    label: str
    kind: str  # "text", "list" or "value"
    before: str = ""  # readable values ("value" kind, and short texts)
    after: str = ""
    segments: list[Segment] = field(default_factory=list)  # "text" kind
    removed: list[str] = field(default_factory=list)  # "list" kind
    added: list[str] = field(default_factory=list)


_TOKENS = re.compile(r"\s+|[^\s]+")


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for seg in segments:
        if not seg.text:
            continue
        if merged and merged[-1].op == seg.op:
            merged[-1] = Segment(seg.op, merged[-1].text + seg.text)
        else:
            merged.append(seg)
    return merged


def _words(before: str, after: str) -> list[Segment]:
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(Segment("equal", "".join(a[i1:i2])))
        if tag in ("delete", "replace"):
            out.append(Segment("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(Segment("insert", "".join(b[j1:j2])))
    return out


def _elide(segments: list[Segment]) -> list[Segment]:
    """Shorten long unchanged stretches, keeping some context around each change."""
    out = []
    last = len(segments) - 1
    for n, seg in enumerate(segments):
        if seg.op != "equal" or len(seg.text) <= ELIDE_OVER:
            out.append(seg)
            continue
        head = "" if n == 0 else seg.text[:ELIDE_KEEP]
        tail = "" if n == last else seg.text[-ELIDE_KEEP:]
        out.append(Segment("equal", f"{head} […] {tail}".strip(" ") if head or tail else "[…]"))
    return out


def text_diff(before: str, after: str) -> list[Segment]:
    """Line by line first (long instructions stay fast and readable), then word by word
    inside the lines that changed."""
    a, b = (before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True)
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(Segment("equal", "".join(a[i1:i2])))
        elif tag == "delete":
            out.append(Segment("delete", "".join(a[i1:i2])))
        elif tag == "insert":
            out.append(Segment("insert", "".join(b[j1:j2])))
        else:
            out.extend(_words("".join(a[i1:i2]), "".join(b[j1:j2])))
    return _elide(_merge(out))


def _readable(name: str, value: Any, factor_labels: dict[str, str]) -> str:
    if value is None or value == "":
        return "(vide)"
    if name == "not_recommended":
        return "Oui" if value else "Non"
    if name == "factor_evidence":
        return _readable_evidence(value, factor_labels)
    if name == "last_review":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if name in ("minutes_per_session", "preparation_minutes"):
        return f"{value} minutes"
    if name in VALUE_TERMS:
        return v.label(VALUE_TERMS[name], str(value))
    return str(value)


def _readable_evidence(value: dict[str, Any], factor_labels: dict[str, str]) -> str:
    """« Addictions : Impact démontré (2 références) ; Emploi : niveau de l'outil (1 référence) »"""
    parts = []
    for slug, entry in value.items():
        level = entry.get("evidence_level")
        text = v.label(v.EVIDENCE_LEVELS, str(level)) if level is not None else "niveau de l'outil"
        count = len(entry.get("references") or [])
        if count:
            text += f" ({count} référence{'s' if count > 1 else ''})"
        parts.append(f"{factor_labels.get(slug, slug)} : {text}")
    return " ; ".join(parts) or "(aucun : le niveau de l'outil pour chaque facteur)"


def _item(name: str, value: str, factor_labels: dict[str, str]) -> str:
    if name == "risk_factors":
        return factor_labels.get(value, value)
    terms = LIST_FIELDS.get(name)
    return v.label(terms, value) if terms else value


def diff(session: Session, before: Snapshot | None, after: Snapshot) -> list[FieldChange]:
    """What changed from one snapshot to the next, field by field, readable by a curator."""
    factor_labels = {f.slug: f.label for f in all_factors(session)}
    before = before or {}
    changes = []
    for name in changed_fields(before or None, after):
        old, new = _value(before, name), _value(after, name)
        change = FieldChange(name=name, label=FIELD_LABELS.get(name, name), kind="value")
        if name in LIST_FIELDS:
            change.kind = "list"
            old, new = old or [], new or []
            change.removed = [_item(name, x, factor_labels) for x in old if x not in new]
            change.added = [_item(name, x, factor_labels) for x in new if x not in old]
            change.before = ", ".join(_item(name, x, factor_labels) for x in old) or "(vide)"
            change.after = ", ".join(_item(name, x, factor_labels) for x in new) or "(vide)"
        elif name in TEXT_FIELDS:
            change.kind = "text"
            change.segments = text_diff(old or "", new or "")
            change.before, change.after = old or "(vide)", new or "(vide)"
        else:
            change.before = _readable(name, old, factor_labels)
            change.after = _readable(name, new, factor_labels)
        changes.append(change)
    return changes


# -- restore -------------------------------------------------------------------------------


def data_from(revision: ToolRevision) -> dict[str, Any]:
    """The revision's fields as save_tool takes them."""
    data = {name: revision.snapshot[name] for name in SHEET_FIELDS if name in revision.snapshot}
    if data.get("last_review"):
        data["last_review"] = date.fromisoformat(data["last_review"])
    return data
