"""Curators edit the risk factors: label, description and the words officers type for them.

The rules are checked on plain values, for one factor (the back-office form) or a whole set
(`romin import`), so that both refuse the same things with the same French messages. The index
follows by itself: the session hooks of app.index_sync.hooks queue the settings (synonyms) and the
documents of the factor's tools (label) in the outbox, in the edit's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue.resolver import normalise
from app.catalogue.risk_factors import all_factors
from app.core.refusals import Refused
from app.core.vocabulary import PUBLISHED
from app.models import RiskFactor, Tool, tool_risk_factors

LABEL_MIN = 3
LABEL_MAX = 200  # risk_factors.label is String(200)
DESCRIPTION_MAX = 2000
SYNONYM_MAX = 100  # each synonym is String(100)
SYNONYMS_MAX_COUNT = 60


class FactorError(Refused):
    """A factor refused, with French messages per field (label, description, synonyms)."""


@dataclass
class FactorValues:
    slug: str
    label: str
    description: str = ""
    synonyms: list[str] = field(default_factory=list)


def parse_synonyms(text: str) -> list[str]:
    """One synonym per line, spaces tidied, empty lines dropped (order kept)."""
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def check_factors(factors: list[FactorValues]) -> dict[str, dict[str, str]]:
    """Errors per factor slug, then per field; empty when every factor is acceptable.

    Across factors: no two labels alike, and no word (synonym, label, slug) naming two factors,
    compared as the search page compares them (case, accents and punctuation ignored):
    otherwise a typed word would find one factor by chance.
    """
    errors: dict[str, dict[str, str]] = {}
    names: dict[str, set[str]] = {}  # normalised word -> slugs of the factors it names
    for f in factors:
        for word in (f.slug, f.label, *f.synonyms):
            if normalise(word):
                names.setdefault(normalise(word), set()).add(f.slug)
    labels = {f.slug: f.label for f in factors}
    for f in factors:
        problems: dict[str, str] = {}
        label = f.label.strip()
        if not label:
            problems["label"] = "Le libellé est obligatoire."
        elif not LABEL_MIN <= len(label) <= LABEL_MAX:
            problems["label"] = (
                f"Le libellé doit faire entre {LABEL_MIN} et {LABEL_MAX} caractères."
            )
        else:
            twin = next(
                (o for o in factors if o.slug != f.slug and normalise(o.label) == normalise(label)),
                None,
            )
            named = sorted(names.get(normalise(label), set()) - {f.slug})
            if twin is not None:
                problems["label"] = f"Le facteur « {twin.slug} » porte déjà ce libellé."
            elif named:  # another factor's synonym or slug: a typed word would lead to two
                problems["label"] = (
                    f"« {label} » désigne déjà le facteur « {labels[named[0]]} » : "
                    "un même mot ne peut mener qu'à un facteur."
                )
        if len(f.description) > DESCRIPTION_MAX:
            problems["description"] = (
                f"La description fait {len(f.description)} caractères ; {DESCRIPTION_MAX} au plus."
            )
        synonym_problems = _synonym_problems(f, names, labels)
        if synonym_problems:
            problems["synonyms"] = " ".join(synonym_problems)
        if problems:
            errors[f.slug] = problems
    return errors


def _synonym_problems(
    f: FactorValues, names: dict[str, set[str]], labels: dict[str, str]
) -> list[str]:
    problems: list[str] = []
    if len(f.synonyms) > SYNONYMS_MAX_COUNT:
        problems.append(f"{len(f.synonyms)} synonymes : {SYNONYMS_MAX_COUNT} au plus.")
    seen: set[str] = set()
    for word in f.synonyms:
        key = normalise(word)
        if len(word) > SYNONYM_MAX:
            problems.append(f"« {word[:40]}… » dépasse {SYNONYM_MAX} caractères.")
        elif not key:
            problems.append(f"« {word} » ne contient ni lettre ni chiffre.")
        elif key in seen:
            problems.append(f"« {word} » figure deux fois.")
        elif names.get(key, set()) - {f.slug}:
            other = sorted(names[key] - {f.slug})[0]
            problems.append(
                f"« {word} » désigne déjà le facteur « {labels[other]} » : "
                "un même mot ne peut mener qu'à un facteur."
            )
        seen.add(key)
    return problems


def _values(factor: RiskFactor) -> FactorValues:
    return FactorValues(factor.slug, factor.label, factor.description or "", list(factor.synonyms))


def locked_factors(session: Session) -> list[RiskFactor]:
    """Every factor, locked and read afresh: two curators saving at once cannot both give the
    same new word to two factors (the second waits, then sees the first's words)."""
    return list(
        session.scalars(
            select(RiskFactor)
            .order_by(RiskFactor.position)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def get_factor(session: Session, slug: str) -> RiskFactor | None:
    return session.scalar(select(RiskFactor).where(RiskFactor.slug == slug))


def update_factor(
    session: Session, factor: RiskFactor, label: str, description: str, synonyms_text: str
) -> bool:
    """Apply a curator's edit; returns whether anything changed. Raises FactorError."""
    wanted = FactorValues(
        factor.slug,
        " ".join(label.split()),
        (description or "").strip(),
        parse_synonyms(synonyms_text),
    )
    others = [_values(f) for f in locked_factors(session) if f.id != factor.id]
    errors = check_factors([wanted, *others]).get(factor.slug)
    if errors:
        raise FactorError(errors)
    changed = (factor.label, factor.description, list(factor.synonyms)) != (
        wanted.label,
        wanted.description,
        wanted.synonyms,
    )
    if changed:
        factor.label, factor.description, factor.synonyms = (
            wanted.label,
            wanted.description,
            wanted.synonyms,
        )
        session.flush()  # the outbox hooks see the change (settings, and documents for a label)
    return changed


def factor_overview(session: Session) -> list[tuple[RiskFactor, int, int]]:
    """Every factor with its number of tools, all statuses and published ones."""
    counts = {
        factor_id: (total, published or 0)
        for factor_id, total, published in session.execute(
            select(
                tool_risk_factors.c.risk_factor_id,
                func.count(),
                func.count().filter(Tool.status == PUBLISHED),
            )
            .join(Tool, Tool.id == tool_risk_factors.c.tool_id)
            .group_by(tool_risk_factors.c.risk_factor_id)
        )
    }
    return [(f, *counts.get(f.id, (0, 0))) for f in all_factors(session)]
