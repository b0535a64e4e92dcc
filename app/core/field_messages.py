"""marshmallow's own English messages, said in French.

Schemas give French messages for the errors people meet; a field or validator left with
marshmallow's default still answers in English. The API's error answers pass every message
through `in_french` (app/errors.py), so no English reaches a caller.
"""

from __future__ import annotations

import re
from typing import Any

_EXACT = {
    "Missing data for required field.": "Champ obligatoire.",
    "Field may not be null.": "Ce champ ne peut pas être nul.",
    "Invalid value.": "Valeur invalide.",
    "Invalid type.": "Type invalide : objet attendu.",
    "Invalid input type.": "Données invalides : objet attendu.",
    "Unknown field.": "Champ inconnu.",
    "Not a valid string.": "Texte attendu.",
    "Not a valid utf-8 string.": "Texte UTF-8 invalide.",
    "Not a valid integer.": "Nombre entier attendu.",
    "Not a valid number.": "Nombre attendu.",
    "Number too large.": "Nombre trop grand.",
    "Special numeric values (nan or infinity) are not permitted.": (
        "Les valeurs NaN et infini ne sont pas permises."
    ),
    "Not a valid boolean.": "Valeur oui ou non attendue (true ou false).",
    "Not a valid list.": "Liste attendue.",
    "Not a valid tuple.": "Liste attendue.",
    "Not a valid mapping type.": "Objet attendu.",
    "Not a valid date.": "Date invalide : AAAA-MM-JJ attendu.",
    "Not a valid datetime.": "Date et heure invalides.",
    "Not a valid email address.": "Adresse électronique invalide.",
    "Not a valid URL.": "Adresse invalide.",
    "String does not match expected pattern.": "Format invalide.",
    "Invalid JSON body.": "Le corps de la requête n'est pas un JSON valide.",
}

_PATTERNS = [
    (re.compile(r"^Longer than maximum length (\S+)\.$"), "{0} au plus."),
    (re.compile(r"^Shorter than minimum length (\S+)\.$"), "{0} au moins."),
    (re.compile(r"^Length must be between (\S+) and (\S+)\.$"), "Entre {0} et {1}."),
    (re.compile(r"^Length must be (\S+)\.$"), "Exactement {0}."),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        "La valeur va de {0} à {1}.",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "La valeur est au moins {0}."),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "La valeur est au plus {0}."),
    (re.compile(r"^Must be greater than (\S+)\.$"), "La valeur dépasse {0}."),
    (re.compile(r"^Must be less than (\S+)\.$"), "La valeur est inférieure à {0}."),
    (re.compile(r"^Must be one of: (.*)\.$"), "Valeur inconnue : choisissez parmi {0}."),
]


def in_french(errors: Any) -> Any:
    """The same errors (field → messages, nested), each default English message in French,
    and every key as text: a list's errors are keyed by item index, and a rule between fields
    adds its own beside them ({0: […], "_schema": […]}), which JSON cannot sort as they are."""
    if isinstance(errors, dict):
        return {str(key): in_french(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [in_french(item) for item in errors]
    if isinstance(errors, str):
        return _message(errors)
    return errors


def _message(text: str) -> str:
    if text in _EXACT:
        return _EXACT[text]
    for pattern, french in _PATTERNS:
        found = pattern.match(text)
        if found:
            return french.format(*found.groups())
    return text
