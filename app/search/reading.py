"""What an officer typed, read as filters and words: a risk factor, a stage of change or a
phase named in the text become filters; every other word still ranks.

"colère" names the factor *Traits de personnalité antisociale* (one of its synonyms): the factor
filter applies and "colère" is kept, so the anger tools come first. A value's own name
("addictions", "précontemplation") becomes its filter and ranks nothing more. A word is never
dropped without a trace: the reading says which words became which filter and which were kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.catalogue.resolver import STOP_WORDS as FACTOR_STOP_WORDS
from app.catalogue.resolver import allowed_typos, distance, normalise, singular
from indexer.settings import FRENCH_STOP_WORDS

# Words that carry no meaning on their own in a search for a tool: the resolver's, those the
# index ignores (indexer/settings.py), and a few of this search's own.
STOP_WORDS = (
    FACTOR_STOP_WORDS
    | frozenset(normalise(word) for word in FRENCH_STOP_WORDS)
    | frozenset(["ou", "dans", "outil", "outils"])
)
MAX_TERM_WORDS = 4
# the words looked at for filters: an officer's query is short; the rest still ranks
MAX_WORDS_READ = 20
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Name:
    """One way of naming a value of a filter (`kind`: factor, stage or phase). `own` is the
    value's own name (its slug or label): it only filters; a synonym also ranks."""

    kind: str
    slug: str
    words: tuple[str, ...]
    own: bool


@dataclass(frozen=True)
class Reading:
    """The filters the text named, the words that still rank, and which words did what."""

    filters: dict[str, str] = field(default_factory=dict)  # kind -> slug
    kept: str = ""  # the words that rank, as typed
    recognised: tuple[tuple[str, str, str], ...] = ()  # (words as typed, kind, slug)


def names_for(
    kind: str, slug: str, label: str, synonyms: list[str] | tuple[str, ...], *, synonyms_rank: bool
) -> list[Name]:
    """Every way of naming one value: its slug, its label (with and without what stands in
    brackets, and each part of a label joined by & or /), and its synonyms. A factor's synonyms
    say more than the factor ("colère", "cannabis"): they rank (`synonyms_rank`); a stage's are
    other spellings of its name."""
    own_texts = [slug, label, label.split("(")[0]]
    own_texts += [part for part in label.replace("&", "/").split("/") if part.strip()]
    names: dict[tuple[str, ...], Name] = {}
    for texts, own in ((synonyms, not synonyms_rank), (own_texts, True)):
        for text in texts:
            words = _words(text)
            if words:
                names[words] = Name(kind, slug, words, own)  # a synonym equal to a name: own
            if own:
                # part of a long label ("personnalité antisociale" of "Traits de personnalité
                # antisociale") names the factor too, but says more: it also ranks
                for run in [words[:n] for n in range(2, len(words))] + [
                    words[-n:] for n in range(2, len(words))
                ]:
                    names.setdefault(run, Name(kind, slug, run, False))
    return list(names.values())


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in singular(normalise(text)).split() if w not in STOP_WORDS)


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(as typed, normalised and singular, start, end) for each word of the text;
    "pré-contemplation" and "d'argent" are two words each, as Meilisearch reads them."""
    tokens = []
    for match in _WORD.finditer(text):
        word = normalise(match.group(0))
        # "dans" is a stop word, not the plural of "dan"
        tokens.append(
            (
                match.group(0),
                word if word in STOP_WORDS else singular(word),
                match.start(),
                match.end(),
            )
        )
    return tokens


def _match(words: tuple[str, ...], names: list[Name]) -> list[tuple[int, Name]]:
    """The names these words say, within the typos their length allows, closest first."""
    joined = " ".join(words)
    found = []
    for name in names:
        term = " ".join(name.words)
        if abs(len(joined) - len(term)) > allowed_typos(term):
            continue  # cannot be within the typos allowed: spare the distance
        d = distance(joined, term)
        if d <= allowed_typos(term):
            found.append((d, name))
    return sorted(found, key=lambda pair: pair[0])


def _mentions(
    tokens: list[tuple[str, str, int, int]], names: list[Name]
) -> list[tuple[range, Name]]:
    """Runs of words that name a value: longest runs first, then left to right; a run never
    starts or ends with a stop word, and a run naming two values equally well names none."""
    used = [False] * len(tokens)
    found: list[tuple[range, Name]] = []
    for size in range(min(MAX_TERM_WORDS, len(tokens)), 0, -1):
        for start in range(len(tokens) - size + 1):
            span = range(start, start + size)
            if any(used[i] for i in span):
                continue
            if tokens[span[0]][1] in STOP_WORDS or tokens[span[-1]][1] in STOP_WORDS:
                continue
            words = tuple(tokens[i][1] for i in span if tokens[i][1] not in STOP_WORDS)
            matches = _match(words, names)
            if not matches:
                continue
            best = matches[0][0]
            if len({(n.kind, n.slug) for d, n in matches if d == best}) > 1:
                continue
            found.append((span, matches[0][1]))
            for i in span:
                used[i] = True
    return sorted(found, key=lambda pair: pair[0].start)


def read(text: str, names: list[Name]) -> Reading:
    """The filters the text names (one value per kind; a kind named with two different values
    filters nothing and its words rank), and the words that still rank."""
    tokens = _tokens(text)
    mentions = _mentions(tokens[:MAX_WORDS_READ], names)
    values: dict[str, set[str]] = {}
    for _span, name in mentions:
        values.setdefault(name.kind, set()).add(name.slug)
    filters = {kind: slugs.pop() for kind, slugs in values.items() if len(slugs) == 1}
    consumed: set[int] = set()
    recognised = []
    for span, name in mentions:
        if filters.get(name.kind) != name.slug:
            continue
        recognised.append((text[tokens[span[0]][2] : tokens[span[-1]][3]], name.kind, name.slug))
        if name.own:
            consumed.update(span)
    return Reading(filters, _kept_text(text, tokens, consumed), tuple(recognised))


def _kept_text(text: str, tokens: list[tuple[str, str, int, int]], consumed: set[int]) -> str:
    """The words that still rank, as typed ("jeu d'argent" keeps its apostrophe): each run of
    words not consumed by a filter, without the stop words at its ends."""
    runs: list[list[int]] = [[]]
    for i in range(len(tokens)):
        if i in consumed:
            runs.append([])
        else:
            runs[-1].append(i)
    pieces = []
    for run in runs:
        while run and tokens[run[0]][1] in STOP_WORDS:
            run = run[1:]
        while run and tokens[run[-1]][1] in STOP_WORDS:
            run = run[:-1]
        if run:
            pieces.append(text[tokens[run[0]][2] : tokens[run[-1]][3]])
    return " ".join(_dedupe(pieces))


def _dedupe(pieces: list[str]) -> list[str]:
    """A run of words typed twice ranks once (compared without case or accents)."""
    seen: set[str] = set()
    out = []
    for piece in pieces:
        key = normalise(piece)
        if key not in seen:
            seen.add(key)
            out.append(piece)
    return out
