"""Recording usage events: pseudonymous, after the response, and never at the page's expense.

`record(kind, ...)` builds the row at once (cheap: a keyed hash and a few fields) and keeps it
on the request; once the response has been sent, a `call_on_close` callback writes the request's
rows in one short transaction of their own (a fresh session, never the request's). Any failure
there is logged as a warning naming only the exception's type (database errors can quote row
values, search text included) and the page is unaffected: it has already been sent.

A tool-sheet view is linked to the search it was opened from through the Referer header (sent
on same-origin navigation, see the Referrer-Policy): when it is a search page, the view records
that search's risk factor and facets. A browser that strips the Referer loses the link, nothing
else.

What officers typed is kept only for a search that found nothing or a content gap, and only the
words `app.pilotage.kept_words` lets through (no name, no identifying detail), digits masked.
Control characters (a NUL byte that PostgreSQL refuses) are stripped from every text before it
is stored, and one row the database refuses never loses the others: the batch is written again
row by row, and only the refused row is dropped.
"""

from __future__ import annotations

import atexit
import enum
import hashlib
import hmac
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, cast
from urllib.parse import parse_qs, urlsplit

from flask import after_this_request, current_app, request, url_for
from sqlalchemy import insert, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from werkzeug.wsgi import ClosingIterator

from app.accounts.auth import current_user
from app.accounts.bearer import TokenOwner
from app.db import db
from app.models import Tool, User
from app.models.base import utcnow
from app.models.usage import EVENT_KINDS, SEARCH_TEXT_MAX, UsageEvent
from app.pilotage.kept_words import catalogue_words, kept_words, trimmed
from app.search.schemas import FACET_ARGUMENTS, FACET_CHOICES
from app.search.service import SearchAnswer, factor_slugs, resolve_text

log = logging.getLogger(__name__)

PENDING_KEY = "romin.usage_events"
SEARCH_TEXT_WORDS = 5
WRITE_TIMEOUT_MS = 2000
_DIGITS = re.compile(r"\d+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SessionFactory = Callable[[], Session]  # where None is taken: the app's (db.session_factory)


class CurrentUser(enum.Enum):
    """CURRENT_USER's type: an enum, so that mypy tells the sentinel from a User or None."""

    SIGNED_IN = "signed-in"


CURRENT_USER: Final = CurrentUser.SIGNED_IN  # record() reads the signed-in user itself


# -- pure helpers ---------------------------------------------------------------------------


def stats_secret(config: Mapping[str, Any]) -> bytes:
    """STATS_SECRET, or a key derived from SECRET_KEY under a label of its own."""
    if config.get("STATS_SECRET"):
        return config["STATS_SECRET"].encode()
    return (
        hmac.new(config["SECRET_KEY"].encode(), b"romin/usage-pseudonym/v1", hashlib.sha256)
        .hexdigest()
        .encode()
    )


def pseudonym(user_id: int, secret: bytes) -> str:
    """HMAC-SHA256 of the account id: stable per account, irreversible without the secret."""
    return hmac.new(secret, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()


def printable(value: str) -> str:
    """`value` without control characters (PostgreSQL refuses a NUL byte in text), on one line."""
    return " ".join(_CONTROL.sub(" ", value).split())


def cut_search_text(typed: str, catalogue: frozenset[str] = frozenset()) -> str | None:
    """The first words of a search that found nothing (or a content gap) that the statistics may
    keep (`kept_words`: nothing of a text with an identifying detail, no name), digits masked;
    `catalogue`: the catalogue's words (`catalogue_words`)."""
    words = trimmed(trimmed(kept_words(printable(typed or ""), catalogue))[:SEARCH_TEXT_WORDS])
    cut = _DIGITS.sub("#", " ".join(words))[:SEARCH_TEXT_MAX].strip()
    return cut or None


def search_fields(
    answer: SearchAnswer, catalogue: Callable[[], frozenset[str]] = frozenset
) -> dict[str, Any] | None:
    """What a search event keeps of a search answer; None for what is not a search.

    The bare landing page (no factor, no text, no facet) is not a search, and turning pages
    of results is the same search, so only its first page counts.

    A content gap is a search whose words ranked within the factor, stage or phase it named and
    matched none of their tools, while those tools were shown ("jeu d'argent": the addictions
    tools, none of which speaks of it). Like a search that found nothing, it keeps the cut of
    its typed words; a search that found nothing at all is counted as such, not as a gap too.
    """
    query = answer.query
    if query.page > 1:
        return None
    names = {attribute: name for name, (_page, _api, attribute) in FACET_ARGUMENTS.items()}
    facets = {
        # several values of a group: one string, comma-separated (statistics count the group)
        names.get(attribute, attribute): value if isinstance(value, str) else ",".join(value)
        for attribute, value in query.facets.items()
    }
    if query.min_evidence is not None:
        facets["min_evidence"] = str(query.min_evidence)
    typed = (answer.typed_text or "").strip()
    if not (query.factor or typed or facets):
        return None
    total = answer.result.total
    gap = answer.content_gap and total > 0
    search_text = None
    if total == 0 or gap:
        # a gap keeps the words that matched nothing (what the catalogue lacks), not the
        # words that named its filters
        search_text = cut_search_text(query.text if gap else typed, catalogue())
    return {
        "risk_factor": query.factor,
        "facets": facets,
        "text_typed": bool(typed),
        "results": total,
        "search_text": search_text,
        "content_gap": gap,
    }


# -- recording -----------------------------------------------------------------------------


def record(
    kind: str,
    *,
    user: User | TokenOwner | None | CurrentUser = CURRENT_USER,
    answer: SearchAnswer | None = None,
    tool: Tool | None = None,
    risk_factor: str | None = None,
) -> None:
    """Note an event of this request; it is written after the response. Never raises."""
    try:
        row = _row(kind, user, answer, tool, risk_factor)
        if row is not None:
            _defer(row)
    except Exception as exc:  # noqa: BLE001 - statistics must never break a page
        log.warning("usage event %s not recorded: %s", kind, type(exc).__name__)


def _row(
    kind: str,
    user: User | TokenOwner | None | CurrentUser,
    answer: SearchAnswer | None,
    tool: Tool | None,
    risk_factor: str | None,
) -> dict[str, Any] | None:
    if kind not in EVENT_KINDS:
        raise ValueError("unknown usage event kind")
    if request.method == "HEAD":
        return None
    if user is CURRENT_USER:
        user = current_user()
    row: dict[str, Any] = {
        "occurred_at": utcnow(),
        "kind": kind,
        "pseudonym": None,
        "service": None,
        "risk_factor": risk_factor,
        "facets": {},
        "text_typed": False,
        "results": None,
        "tool_id": tool.id if tool is not None else None,
        "search_text": None,
        "content_gap": False,
    }
    if user is not None:
        row["pseudonym"] = pseudonym(user.id, stats_secret(current_app.config))
        row["service"] = (user.service or "").strip()[:200] or None
    if kind == "search":
        if answer is None:
            raise ValueError("a search event needs the search's answer")
        fields = search_fields(answer, lambda: catalogue_words(db.session))
        if fields is None:
            return None
        row.update(fields)
    elif kind == "view":
        row["risk_factor"], row["facets"] = _referring_search()
    return _printable_row(row)


def _printable_row(row: dict[str, Any]) -> dict[str, Any]:
    """Every text of the row without control characters, the facets' names and values too."""
    clean = {
        key: printable(value) if isinstance(value, str) else value for key, value in row.items()
    }
    clean["facets"] = {printable(k): printable(str(val)) for k, val in row["facets"].items()}
    return clean


def _referring_search() -> tuple[str | None, dict[str, str]]:
    """The risk factor and facets of the search page this request came from, if it did."""

    referrer = request.referrer
    if not referrer:
        return None, {}
    parts = urlsplit(referrer)
    if (parts.netloc and parts.netloc != request.host) or parts.path not in (
        url_for("search.search_page"),
        url_for("search.home"),
    ):
        return None, {}
    args = {key: values[0] for key, values in parse_qs(parts.query).items() if values}
    factor = args.get("facteur", "")[:40] or None
    if factor is None and args.get("q") and not args.get("texte"):
        factor = resolve_text(db.session, args["q"][:200])
    if factor is not None and factor not in factor_slugs(db.session):
        factor = None
    facets = {
        name: args[page_name]
        for name, (page_name, _api, _attr) in FACET_ARGUMENTS.items()
        if args.get(page_name) in FACET_CHOICES[name]
    }
    if factor is None and not facets:
        return None, {}
    return factor, facets


def _defer(row: dict[str, Any]) -> None:
    pending = request.environ.get(PENDING_KEY)
    if pending is None:
        pending = request.environ[PENDING_KEY] = []
        after_this_request(_schedule)
    pending.append(row)


def _schedule(response: Response) -> Response:
    """Runs as the response is finished: hand the rows to a callback run after it is sent."""
    try:
        rows = request.environ.pop(PENDING_KEY, [])
        if rows and response.status_code < 400 and response.status_code != 304:
            handoff = _handoff(rows)
            if response.direct_passthrough:
                # A file sent as is (send_file) bypasses call_on_close: close its iterable instead.
                sent = cast("Iterable[bytes]", response.response)  # a file's bytes, as they are
                response.response = ClosingIterator(sent, [handoff])
            else:
                response.call_on_close(handoff)
    except Exception as exc:  # noqa: BLE001
        log.warning("usage events not scheduled: %s", type(exc).__name__)
    return response


def _handoff(rows: list[dict[str, Any]]) -> Callable[[], None]:
    """What runs once the response is sent: queue the rows for this process's writer thread,
    or, with USAGE_BUFFER_SECONDS = 0 (tests), write them right away in this thread.

    Why a writer thread: written in the request's thread, the INSERT delayed the next request
    on the same kept-alive connection (bench/: search API p50 6.7 → 9.0 ms)."""
    delay = current_app.config.get("USAGE_BUFFER_SECONDS", 1.0)
    if not delay:
        return lambda: flush(rows)
    writer = _writer(db.session_factory, delay)
    return lambda: writer.put(rows)


_WRITERS: dict[tuple[int, int], BufferedWriter] = {}
_WRITERS_LOCK = threading.Lock()


def _writer(session_factory: SessionFactory | None, delay: float) -> BufferedWriter:
    key = (id(session_factory), os.getpid())
    with _WRITERS_LOCK:
        writer = _WRITERS.get(key)
        if writer is None:
            writer = _WRITERS[key] = BufferedWriter(session_factory, delay)
        return writer


class BufferedWriter:
    """Collects rows and writes them at most every `delay` seconds, in one transaction.

    Bounded: past MAX_PENDING rows (the database is down for long), new rows are dropped with a
    warning rather than growing without limit. Rows still pending at exit are written then."""

    MAX_PENDING = 20_000

    def __init__(self, session_factory: SessionFactory | None, delay: float) -> None:
        self.session_factory = session_factory
        self.delay = delay
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        threading.Thread(target=self._run, name="romin-usage-writer", daemon=True).start()
        atexit.register(self.drain)

    def put(self, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            if len(self._rows) + len(rows) > self.MAX_PENDING:
                log.warning("%d usage event(s) dropped: the writer is behind", len(rows))
                return
            self._rows.extend(rows)
        self._wake.set()

    def drain(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
        if rows:
            flush(rows, self.session_factory)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.delay)  # gather what arrives meanwhile into the same INSERT
            self._wake.clear()
            self.drain()


def flush(rows: list[dict[str, Any]], session_factory: SessionFactory | None = None) -> None:
    try:
        write_events(rows, session_factory)
    except Exception as exc:  # noqa: BLE001
        log.warning("%d usage event(s) not recorded: %s", len(rows), type(exc).__name__)


def write_events(rows: list[dict[str, Any]], session_factory: SessionFactory | None = None) -> int:
    """One short transaction in a session of its own, bounded in time; the number of rows written.

    When the database refuses the batch for what a row holds (a value it cannot store, a broken
    constraint), the rows are written again one by one, each in a savepoint, and only those it
    refuses are dropped, with a warning that names the event's kind and the error's type only
    (an error quotes row values, search text included). A database that cannot be reached fails
    the whole batch, as before."""
    factory = session_factory or db.session_factory
    if factory is None:
        raise RuntimeError("no database: the app's Database is not initialised")
    session = factory()
    try:
        _bound_in_time(session)
        try:
            session.execute(insert(UsageEvent), rows)
            session.commit()
            return len(rows)
        except (DataError, IntegrityError):
            session.rollback()
        _bound_in_time(session)
        written = 0
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(insert(UsageEvent), [row])
                written += 1
            except (DataError, IntegrityError) as exc:
                log.warning(
                    "usage event %s dropped, refused by the database: %s",
                    row.get("kind"),
                    type(exc.orig).__name__,
                )
        session.commit()
        return written
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def _bound_in_time(session: Session) -> None:
    """The statement timeout of this transaction (set again after a rollback)."""
    session.execute(
        text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(WRITE_TIMEOUT_MS)}
    )
