"""Details that identify a person, caught before a comment is stored.

ROMIN keeps nothing about the people on probation, and comments are read by every officer. A
name cannot be told from other words, but a full date, a prison number, a phone number, an
e-mail address or a social security number can: a comment holding one is refused with a message
that says what to remove (the form says so beforehand too).
"""

from __future__ import annotations

import re

PATTERNS = (
    ("une date complète", re.compile(r"\b\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?(?:\d{4}|\d{2})\b")),
    ("une date de naissance", re.compile(r"\bnée?s?\s+(?:le|en)\s+\d", re.IGNORECASE)),
    ("un numéro d'écrou", re.compile(r"\bécrou\b\D{0,20}\d{3,}", re.IGNORECASE)),
    ("un numéro de téléphone", re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")),
    ("une adresse électronique", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    (
        "un numéro de sécurité sociale",
        re.compile(r"(?<!\d)[12]\s?\d{2}\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?!\d)"),
    ),
)


def identifying_details(text: str) -> list[str]:
    """What in `text` would identify a person, in French ("une date complète", …); a date of
    birth is named once, as such, not also as a date."""
    found = [name for name, pattern in PATTERNS if pattern.search(text or "")]
    if "une date de naissance" in found and "une date complète" in found:
        found.remove("une date complète")
    return found


def refusal(found: list[str]) -> str:
    what = " et ".join(found)
    return (
        f"Le commentaire semble contenir {what} : retirez-{'les' if len(found) > 1 else 'la'} "
        "avant d'enregistrer. ROMIN ne conserve rien qui permette d'identifier une personne "
        "suivie."
    )
