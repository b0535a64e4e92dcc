"""Page numbers of the back office's lists, read and counted one way everywhere."""

from __future__ import annotations

PAGE_INVALID = "Numéro de page invalide."


def requested_page(raw: str | None) -> int | None:
    """The page asked for in the query string (1 when absent); None when it is no whole
    number of at least 1, which the page answers with a 400 and `PAGE_INVALID`."""
    raw = (raw or "").strip() or "1"
    # isascii: str.isdigit() accepts "²", which int() refuses
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        return None
    return int(raw)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill; at least one, so an empty list still has page 1."""
    return max(1, -(-total // per_page))
