"""Meilisearch filter expressions built from values that are always quoted and escaped."""

from __future__ import annotations

import re

# hyphens too: per-factor fields carry the factor's slug (factor_evidence_<slug>)
_ATTRIBUTE = re.compile(r"^[a-z_][a-z0-9_-]*$")


def quote(value: object) -> str:
    """A filter value as a double-quoted string with backslashes and quotes escaped."""
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attribute(name: str) -> str:
    if not _ATTRIBUTE.match(name):
        raise ValueError(f"nom d'attribut refusé : {name!r}")
    return name


def equals(attribute: str, value: object) -> str:
    return f"{_attribute(attribute)} = {quote(value)}"


def any_of(attribute: str, values: list[object]) -> str:
    return f"{_attribute(attribute)} IN [{', '.join(quote(v) for v in values)}]"


def at_least(attribute: str, number: int) -> str:
    return f"{_attribute(attribute)} >= {int(number)}"


def all_of(expressions: list[str]) -> str | None:
    parts = [e for e in expressions if e]
    return " AND ".join(f"({p})" for p in parts) if parts else None
