"""Where a form or a sign-in may send the browser back to: a path on this site only.

Sign-in's `next`, the workspace forms' `retour` and the sheet's way back to the results all read
an address the browser sent; one rule keeps each from being an open redirect (`//host`,
`/\\host`, a scheme) or a response header cut by CR/LF."""

from __future__ import annotations

from urllib.parse import urlsplit

# longer than any page's address that carries a search (200 characters of text, filters, page)
RETURN_MAX = 2000


def local_path(target: str | None, max_length: int | None = RETURN_MAX) -> str | None:
    """`target` if it is a path on this site, else None (browsers read `/\\host` as `//host`)."""
    if not target or (max_length is not None and len(target) > max_length):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(c < " " or c == "\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
