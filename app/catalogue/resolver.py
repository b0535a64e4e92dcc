"""Recognises a risk factor in what an officer typed, even misspelt (`alcol`, `adiction`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Words that name nothing on their own when an officer names a factor ("problèmes
# familiaux", "le facteur addictions"): normalised, as `normalise` gives them.
STOP_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "l",
        "de",
        "des",
        "du",
        "d",
        "un",
        "une",
        "et",
        "a",
        "au",
        "aux",
        "probleme",
        "problemes",
        "facteur",
        "facteurs",
    ]
)


def normalise(text: str) -> str:
    """Lowercase, without accents, apostrophes and punctuation as spaces, single-spaced."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def singular(text: str) -> str:
    """Each word without a plural s or x (words of more than three letters)."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith(("s", "x")) else w for w in text.split())


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def allowed_typos(term: str) -> int:
    n = len(term.replace(" ", ""))
    return 0 if n < 5 else 1 if n < 9 else 2


@dataclass(frozen=True)
class FactorTerms:
    slug: str
    terms: tuple[str, ...]


def factor_terms(slug: str, label: str, synonyms: list[str]) -> FactorTerms:
    """Every way of naming a factor: slug, label, label without its parenthesis, synonyms."""
    raw = [slug, label, re.sub(r"\(.*?\)", "", label), *synonyms]
    raw += [part for part in re.split(r"[&/]", label) if part.strip()]
    terms = {singular(normalise(t)) for t in raw if normalise(t)}
    return FactorTerms(slug, tuple(sorted(terms)))


def resolve(text: str, factors: list[FactorTerms]) -> str | None:
    """The factor the whole text names, or None when it names none or is ambiguous."""
    words = normalise(text).split()
    candidates = {" ".join(words), " ".join(w for w in words if w not in STOP_WORDS)}
    best: dict[str, int] = {}
    for candidate in filter(None, candidates):
        candidate = singular(candidate)
        for factor in factors:
            for term in factor.terms:
                d = distance(candidate, term)
                if d <= allowed_typos(term) and d < best.get(factor.slug, 99):
                    best[factor.slug] = d
    if not best:
        return None
    top = min(best.values())
    winners = [slug for slug, d in best.items() if d == top]
    return winners[0] if len(winners) == 1 else None
