"""One shape for every refusal: field → French messages.

A service that refuses raises `Refused` (or a subclass named after its feature). Pages show the
messages at their fields, the API answers 422 with the same messages (`app/errors.py`), and
`romin` commands print them (`app.core.commands.fail_refused`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

WHOLE = "_schema"  # the key for a refusal that concerns no single field (marshmallow's)


class Refused(ValueError):
    def __init__(self, errors: Mapping[str, str | Sequence[str]] | str, field: str = WHOLE) -> None:
        if isinstance(errors, str):
            errors = {field: [errors]}
        self.errors: dict[str, list[str]] = {
            key: [value] if isinstance(value, str) else list(value) for key, value in errors.items()
        }
        super().__init__(self.text())

    def text(self) -> str:
        """Every message, in one sentence-separated string (a notice, a log line, a CLI)."""
        return " ".join(message for messages in self.errors.values() for message in messages)

    def flat(self) -> dict[str, str]:
        """One string per field, as forms show them under their control."""
        return {key: " ".join(messages) for key, messages in self.errors.items()}

    def lines(self) -> list[str]:
        """One line per message, for a terminal."""
        return [message for messages in self.errors.values() for message in messages]
