"""What the statistics keep of the words of a search that found nothing (or of a content gap).

Support staff read that text on the statistics page and in its CSV export, so no name may reach
it. A name cannot be recognised as such, so words are kept for what they are known to be:

- a text holding an identifying detail (`app.core.identifying`: a date, a phone number, « M.
  Martin »…) is dropped whole;
- a word is kept only when it is a word of the catalogue (the published tools' titles and
  summaries; the risk factors' labels, descriptions and synonyms; the stages, phases and other
  facet labels and synonyms: what the search itself reads) or a common French word;
- a word that is also a first name or a surname (`person_names`: « petit », « richard »,
  « claire », « pierre ») is dropped when it stands beside another such word or beside a word
  that is dropped: « pierre petit » or « jean durand » read as a person, « petit groupe » does
  not;
- digits are masked (#), and at most five words are kept (`usage.cut_search_text`).

Common French words: pyspellchecker's French list (MIT), the words counted at least
COMMON_MIN_COUNT times in its subtitles corpus (32,000 words). Its list was cleaned of proper
names: « martin », « dupont », « thomas », « nicolas » are not in it. wordfreq was measured too:
its French list counts names as words (« martin » is as frequent as « alcool »: Zipf 4.8 and
4.7, « dupont » 3.9), and it installs 58 MB with four dependencies (import and first look-up
0.6 s), against 7 MB and none for pyspellchecker (its French list read in 0.1 s, once per
process, at the first search that keeps text).
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import time
from importlib import resources

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.resolver import normalise, singular
from app.core import vocabulary as v
from app.core.identifying import identifying_details
from app.core.vocabulary import PUBLISHED
from app.index_sync.generation import current_generation
from app.models import RiskFactor, Tool
from app.pilotage.person_names import PERSON_NAMES
from app.search.reading import STOP_WORDS

COMMON_MIN_COUNT = 100
# the catalogue's words are read again when the index generation moved (a rating moves it too)
# and the words read are older than this: a new tool's unusual word may wait that long
CATALOGUE_WORDS_MIN_AGE = 300.0
# what is kept is cut to a few words anyway: a long text is not read past this
WORDS_READ = 40
_CACHE_KEY = "romin_catalogue_words"
_LETTERS = re.compile(r"[^\W\d_]+")


def _forms(words: set[str]) -> frozenset[str]:
    """Each word lowercased without accents, and its singular."""
    plain = {normalise(w) for w in words} - {""}
    return frozenset(plain | {singular(w) for w in plain})


@functools.cache
def common_words() -> frozenset[str]:
    """The common French words (see the module's docstring), without accents."""
    source = resources.files("spellchecker") / "resources" / "fr.json.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        counts: dict[str, int] = json.load(text)
    return _forms({word for word, count in counts.items() if count >= COMMON_MIN_COUNT})


def _vocabulary_texts() -> list[str]:
    terms = [
        *v.STAGES,
        *v.PHASES,
        *v.MODALITIES,
        *v.KINDS,
        *v.SESSIONS,
        *v.SETTINGS,
        *v.RESPONSIVITY,
        *v.EVIDENCE_LEVELS,
    ]
    synonyms = [s for group in (v.STAGE_SYNONYMS, v.PHASE_SYNONYMS) for s in group.values()]
    return [t.label for t in terms] + [word for group in synonyms for word in group]


def read_catalogue_words(session: Session) -> frozenset[str]:
    """The words of what officers search: the published tools' titles and summaries, the risk
    factors and the reference vocabulary (not the tools' authors or references: names)."""
    texts = list(session.execute(select(Tool.title, Tool.summary).where(Tool.status == PUBLISHED)))
    factors = session.execute(select(RiskFactor.label, RiskFactor.description, RiskFactor.synonyms))
    words: set[str] = set()
    for parts in [*texts, *factors, _vocabulary_texts()]:
        for part in parts:
            for text in part if isinstance(part, list) else [part or ""]:
                words.update(_LETTERS.findall(text.lower()))
    return _forms(words)


def catalogue_words(session: Session) -> frozenset[str]:
    """`read_catalogue_words`, kept by this app per index generation (at least
    CATALOGUE_WORDS_MIN_AGE seconds once read)."""
    generation = current_generation(session)
    cached: tuple[int, float, frozenset[str]] | None = current_app.extensions.get(_CACHE_KEY)
    now = time.monotonic()
    if cached is not None and (
        cached[0] == generation or now - cached[1] < CATALOGUE_WORDS_MIN_AGE
    ):
        return cached[2]
    words = read_catalogue_words(session)
    current_app.extensions[_CACHE_KEY] = (generation, now, words)
    return words


def _known(word: str, catalogue: frozenset[str]) -> bool:
    plain = normalise(word)
    return any(
        form in STOP_WORDS or form in catalogue or form in common_words()
        for form in (plain, singular(plain))
    )


def kept_words(typed: str, catalogue: frozenset[str]) -> list[str]:
    """The words of `typed` (as typed, digits and punctuation kept) that the statistics may keep;
    none when the text holds an identifying detail."""
    if identifying_details(typed):
        return []
    tokens = typed.split()[:WORDS_READ]
    letters = [_LETTERS.findall(token) for token in tokens]
    known = [all(_known(w, catalogue) for w in parts) for parts in letters]
    names = [sum(normalise(w) in PERSON_NAMES for w in parts) for parts in letters]
    name = [n > 0 for n in names]
    # the neighbours that count: the closest words on each side that are not stop words
    meaningful = [
        i for i, parts in enumerate(letters) if any(normalise(w) not in STOP_WORDS for w in parts)
    ]
    kept = []
    for i, token in enumerate(tokens):
        if not letters[i]:
            if any(c.isdigit() for c in token):
                kept.append(token)  # a number: masked by the caller
            continue
        if not known[i] or names[i] > 1:  # « jean-pierre », « marie-claire »
            continue
        if name[i] and i in meaningful:
            at = meaningful.index(i)
            neighbours = meaningful[max(0, at - 1) : at] + meaningful[at + 1 : at + 2]
            if any(name[j] or not known[j] for j in neighbours):
                continue
        kept.append(token)
    return kept


def trimmed(words: list[str]) -> list[str]:
    """Without the stop words at either end, that a dropped word or a cut left there (« alcool
    avec [martin] »): alone they say nothing."""

    def says_nothing(token: str) -> bool:
        parts = _LETTERS.findall(token)
        return bool(parts) and all(normalise(w) in STOP_WORDS for w in parts)

    start, end = 0, len(words)
    while start < end and says_nothing(words[start]):
        start += 1
    while end > start and says_nothing(words[end - 1]):
        end -= 1
    return words[start:end]
