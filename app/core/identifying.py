"""Details that identify a person, caught before any free text officers or staff write is stored.

ROMIN keeps nothing about the people on probation, and what officers and staff write (comments,
report and moderation reasons, workflow and weight notes) is read by others. A bare name cannot
be told from other words, but a full date, a date of birth, a prison (écrou) or register
(matricule) number, a phone number, an e-mail address, a social security number (NIR), a street
address or a name after « M. », « Mme »… can: a text holding one is refused with a message that
says what to remove (the forms say so beforehand too).

The rules, chosen so that officers can still write about their practice:

- a date is full when it has a day, a month and a year: 03/04/1985, 3-4-85, 1985-04-03,
  19850403, 03041985 (eight digits that make a real date), « 3 avril 1985 ». A day and a month
  (« le 12/03 »), a month and a year (« avril 2024 ») or a year alone (« étude de 2012 ») are not;
  nor are article numbers (« 132-45 », « R. 57-6-1 »), page ranges (« p. 12-15 ») or versions;
- a date of birth: « né(e) le / en » followed by a date or a year, « né(e) à » a capitalised
  place, « DDN » or « date de naissance » followed by a digit;
- an écrou number: « écrou » (with or without its accent), « n° d'écrou », « N.E. », followed by
  a number of three digits or more, written with spaces or dots or not (« 12 345 »); the words
  alone (« la levée d'écrou ») are fine; likewise « matricule » followed by such a number;
- a phone number: ten digits starting with 0, or +33 / 0033 (with or without « (0) »), or another
  « + » international number, whatever the spacing, dots or dashes;
- an e-mail address: anything around an « @ », with or without a domain ending (jean@gmail),
  or written « (at) », « [at] », « arobase », or « at » followed by a domain ending;
- a NIR: 13 digits (15 with the key), 2A / 2B for Corsica, spaced or not, starting with 1 or 2;
- a street address: a number (with bis, ter…) then a street word (rue, avenue, bd, impasse,
  allée…) and a name; words that are also ordinary nouns (place, cours, chemin, route…) count
  only when a capitalised name follows (« 1 place de la République », not « 3 cours de yoga »);
  a postcode followed by a capitalised town (« 75011 Paris »);
- a name: « M. », « Mme », « Mlle », « Monsieur », « Madame »… followed by a capitalised word
  of two letters or more. A role (« M. le directeur », « Mme la JAP », « Madame la juge ») or a
  lowercase word is not a name, nor is an initial (« M. D. »: a usual way of not naming). A
  surname without a civility (« (Martin, 2010) », « Andrews et Bonta ») is not caught: it cannot
  be told from an author cited, a place or an ordinary word.
"""

from __future__ import annotations

import re
from datetime import date

# what each detail is called in a message, and whether « la » or « le » stands for it
FULL_DATE = "une date complète"
BIRTH_DATE = "une date de naissance"
PRISON_NUMBER = "un numéro d'écrou"
REGISTER_NUMBER = "un numéro de matricule"
PHONE = "un numéro de téléphone"
EMAIL = "une adresse électronique"
NIR = "un numéro de sécurité sociale"
ADDRESS = "une adresse postale"
NAME = "un nom de personne (après « M. », « Mme »…)"

_MONTHS = (
    r"janv(?:ier|\.)?|f[ée]vr(?:ier|\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?"
    r"|ao[uû]t|sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?"
)
_SEP = r"\s?[/.\-]\s?"
# a date with separators, day first or year first; checked as a real date below
_DMY = re.compile(
    rf"(?<![\w.\-/])(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}}|\d{{2}})(?![\w\-/]|\.\d)"
)
_YMD = re.compile(rf"(?<![\w.\-/])(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})(?![\w\-/]|\.\d)")
_EIGHT_DIGITS = re.compile(r"(?<![\w.,])(\d{8})(?![\w]|[.,]\d)")
# a two-digit year only where the phrase ends (« le 3 mars 20 minutes » is no date)
_WRITTEN_DATE = re.compile(
    rf"\b(?:\d{{1,2}}|1er)\s+(?:{_MONTHS})\s*(?:\d{{4}}\b|['’]\d{{2}}\b|\d{{2}}(?=\s*(?:[.,;:)]|$)))",
    re.IGNORECASE,
)

# « la loi du », « décret n° 2019-1234 du », « circulaire du » just before a date
_LEGAL_TEXT = re.compile(
    r"\b(?:loi|d[ée]cret|circulaire|arr[êe]t[ée]?|ordonnance|instruction|note|directive|"
    r"d[ée]cision|d[ée]lib[ée]ration|convention|protocole)\b[^.;\n]{0,25}\bdu\s*$",
    re.IGNORECASE,
)
_BIRTH = re.compile(
    r"\bn[ée]e?s?(?:\s?\(e\))?\s+(?:"
    rf"(?:le|en)\s+(?:\d|1er|(?:{_MONTHS})\s+\d)"  # né le 3…, née en 1990, né en avril 1985
    r"|(?:à|a)\s+(?-i:[A-ZÀ-Ý]))"  # né à Lyon (a capitalised place; not « né à l'étranger »)
    r"|\bD\.?\s?D\.?\s?N\b\.?\W{0,5}\d"  # DDN 1985…, D.D.N. : 03/04/…
    r"|\bdate\s+de\s+naissance\b\W{0,20}\d"
    r"|\bnaissance\s*:\s*\d",
    re.IGNORECASE,
)

# a number of three digits or more, spaced or dotted ("12 345", "12.345"), maybe after a letter
_NUMBER = r"[A-Z]?\s?-?\s?\d(?:[\s.\-/]?\d){2,}"
_NUMBER_LEAD = r"[\s:°#.\-]*(?:(?:n°|no|num(?:[ée]ro)?)\.?[\s:°#.\-]*)?"
_PRISON = re.compile(
    rf"(?:\b[ée]\s?c\s?r\s?o\s?u|\bN\.\s?E\.?|\bn°\s?E\b\.?){_NUMBER_LEAD}{_NUMBER}",
    re.IGNORECASE,
)
# « matricule » has no other use in practice notes: a number a few words on still counts
_REGISTER = re.compile(rf"\bmatricule\b[^\d.;\n]{{0,15}}{_NUMBER}", re.IGNORECASE)

_PHONE = re.compile(
    r"(?<![\d+])(?<!\d[\s.\-])"
    r"(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|\(0\)\s?|0)"
    r"[1-9](?:[\s.\-/]{0,2}\d){8}"
    r"(?![\s.\-]?\d)"
    r"|(?<!\w)\+\s?\d{1,3}(?:[\s.\-/]{0,2}\(?\d\)?){7,12}(?![\s.\-]?\d)"
)

_AT = r"(?:\s*[(\[{<]\s*(?:at|arobase)\s*[)\]}>]\s*|\s+arobase\s+|@)"
_DOT = r"(?:\s?\.\s?|\s*[(\[{<]\s*(?:dot|point)\s*[)\]}>]\s*|\s+(?:dot|point)\s+)"
# a spaced « @ » or a bare « at » only before a domain ending (« séance @ 14h » is no address)
_EMAIL = re.compile(
    rf"(?<![\w.+\-])[\w.+\-]+{_AT}[\w\-]+"
    rf"|(?<![\w.+\-])[\w.+\-]+\s+(?:at|@)\s+[\w\-]+{_DOT}[a-z]{{2,6}}\b",
    re.IGNORECASE,
)

_NIR = re.compile(
    r"(?<![\w])[12][\s.\-]?\d{2}[\s.\-]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.\-]?(?:\d{2}|2[AB])"
    r"[\s.\-]?\d{3}[\s.\-]?\d{3}(?:[\s.\-]?\d{2})?(?![\w])",
    re.IGNORECASE,
)

_STREET_NUMBER = r"\b\d{1,4}\s?(?:bis|ter|quater|[a-d])?,?\s+"
# words that only name a street
_STREET = (
    r"rue|avenue|av\.|bld|blvd|boulevard|impasse|imp\.|all[ée]e|ruelle|faubourg|fbg|quai|venelle"
)
# words that are also ordinary nouns (« 2 bd » are comic books): a street only before a
# capitalised name
_STREET_OR_NOUN = (
    r"bd|place|pl\.|cours|chemin|ch\.|route|rte|passage|voie|cit[ée]|villa|clos|domaine|mail|"
    r"promenade|mont[ée]e|traverse|chauss[ée]e|hameau|lieu-dit|parvis|rond-point|square|"
    r"esplanade|r[ée]sidence|lotissement|sentier"
)
_ARTICLES = r"(?:(?:de\s+la|de\s+l['’]|du|des|de|d['’]|la|le|les|l['’])\s*)?"
_CAPITALISED = r"[A-ZÀ-Ý][\w'’\-]+"
_ADDRESS = re.compile(
    rf"{_STREET_NUMBER}(?i:{_STREET})\s+{_ARTICLES}[\w'’\-]{{2,}}"
    rf"|{_STREET_NUMBER}(?i:{_STREET_OR_NOUN})\s+(?i:{_ARTICLES}){_CAPITALISED}"
    rf"|(?<![\w.,])(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}\s+{_CAPITALISED}"
)

_CIVILITY = (
    r"(?i:M\.|MM\.|Mr\.?|Mmes?\.?|Mlles?\.?|Melle\.?|Monsieur|Madame|Mademoiselle|Messieurs"
    r"|Mesdames)"
)
# capitalised words after a civility that say a role, not a name
_ROLES_TEXT = """
le la les l' l’ un une au aux du de des
jap jld je juge juges procureur procureure président présidente directeur directrice dspip dpip
cpip spip pjj sme préfet préfète maire docteur dr maître me professeur pr chef adjoint adjointe
conseiller conseillère référent référente psychologue
"""
_ROLES = frozenset(_ROLES_TEXT.split())
_CIVILITY_NAME = re.compile(rf"(?<![\w.]){_CIVILITY}\s+({_CAPITALISED})")

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (BIRTH_DATE, _BIRTH),
    (PRISON_NUMBER, _PRISON),
    (REGISTER_NUMBER, _REGISTER),
    (PHONE, _PHONE),
    (EMAIL, _EMAIL),
    (NIR, _NIR),
    (ADDRESS, _ADDRESS),
)
# the order of details in a message
ORDER = (
    FULL_DATE,
    BIRTH_DATE,
    PRISON_NUMBER,
    REGISTER_NUMBER,
    PHONE,
    EMAIL,
    NIR,
    ADDRESS,
    NAME,
)


def _real_date(day: str, month: str, year: str) -> bool:
    y = int(year)
    if len(year) == 2:
        y += 1900 if y > 30 else 2000
    if not 1900 <= y <= 2099:
        return False
    try:
        date(y, int(month), int(day))
    except ValueError:
        return False
    return True


def _full_dates(text: str) -> list[tuple[int, int]]:
    """Spans of full dates: separated (day first or year first), eight digits, written; the
    date of a law or a decree (« la loi du 23 mars 2019 ») names a text, not a person."""
    spans = [m.span() for m in _DMY.finditer(text) if _real_date(*m.groups())]
    spans += [m.span() for m in _YMD.finditer(text) if _real_date(*reversed(m.groups()))]
    for m in _EIGHT_DIGITS.finditer(text):
        d = m.group(1)
        if _real_date(d[6:], d[4:6], d[:4]) or _real_date(d[:2], d[2:4], d[4:]):
            spans.append(m.span())
    spans += [m.span() for m in _WRITTEN_DATE.finditer(text)]
    return [s for s in spans if not _LEGAL_TEXT.search(text, max(0, s[0] - 40), s[0])]


def _names(text: str) -> bool:
    return any(
        len(m.group(1)) >= 2 and m.group(1).lower() not in _ROLES
        for m in _CIVILITY_NAME.finditer(text)
    )


def identifying_details(text: str) -> list[str]:
    """What in `text` would identify a person, in French (« une date complète », …), in a fixed
    order. A date of birth is named once, as such, not also as a date; a number caught as a
    NIR or an écrou number is not also a phone number or a date."""
    text = text or ""
    found: dict[str, list[tuple[int, int]]] = {}
    for name, pattern in PATTERNS:
        spans = [m.span() for m in pattern.finditer(text)]
        if spans:
            found.setdefault(name, []).extend(spans)
    dates = _full_dates(text)
    if dates:
        found[FULL_DATE] = dates
    if _names(text):
        found[NAME] = [(0, 0)]

    def inside(span: tuple[int, int], names: tuple[str, ...]) -> bool:
        return any(
            start < span[1] and span[0] < end
            for other in names
            for start, end in found.get(other, [])
        )

    # a number already named by a more specific detail is not named again
    specific: tuple[tuple[str, tuple[str, ...]], ...] = (
        (PHONE, (NIR, PRISON_NUMBER, REGISTER_NUMBER)),
        (FULL_DATE, (NIR, PRISON_NUMBER, REGISTER_NUMBER, PHONE)),
        (ADDRESS, (PRISON_NUMBER, REGISTER_NUMBER)),
    )
    for name, others in specific:
        if name in found:
            found[name] = [s for s in found[name] if not inside(s, others)]
            if not found[name]:
                del found[name]
    if BIRTH_DATE in found:
        found.pop(FULL_DATE, None)
    return [name for name in ORDER if name in found]


def refusal(found: list[str], what: str = "Ce texte") -> str:
    """The French refusal for these details; `what` names the text (« Le commentaire »,
    « Le motif », « La note »…)."""
    if len(found) > 1:
        details, pronoun = ", ".join(found[:-1]) + " et " + found[-1], "les"
    else:
        details, pronoun = found[0], "la" if found[0].startswith("une ") else "le"
    return (
        f"{what} semble contenir {details} : retirez-{pronoun} avant d'enregistrer. ROMIN ne "
        "conserve rien qui permette d'identifier une personne suivie."
    )


def identifying_refusal(text: str, what: str = "Ce texte") -> str | None:
    """The French refusal for a text that identifies someone, or None when it identifies no
    one: callers raise it as a Refused of their own field."""
    found = identifying_details(text)
    return refusal(found, what) if found else None
