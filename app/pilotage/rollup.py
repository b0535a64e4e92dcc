"""Daily roll-up of usage events and the retention that erases old text and old events.

Rolling up a day replaces that day's aggregates with a fresh count of its events, in the same
transaction, so running it twice gives the same rows. Days are rolled up in order, without
gaps, so the last rolled day is a watermark: the dashboard reads the roll-up up to it and the
raw events after it. Retention erases the text of old searches and deletes events once their
days are rolled up; the aggregates stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from app.core.refusals import Refused
from app.models.usage import UsageDaily, UsageDailyFactor, UsageDailyTool, UsageEvent
from app.pilotage.stats import TZ, event_day, local_midnight, rolled_through

DELETE_BATCH = 50_000


class RollupError(Refused):
    """A roll-up refused (a day not yet over, a period out of range), in French."""


def first_event_day(session: Session) -> date | None:
    first = session.scalar(select(func.min(UsageEvent.occurred_at)))
    return None if first is None else first.astimezone(TZ).date()


def days_to_roll(session: Session, through: date, since: date | None = None) -> list[date]:
    """The days a roll-up through `through` must (re)compute, oldest first.

    By default, every day after the watermark. `since` recomputes from an earlier day, which
    is refused before the first day that still has events (its aggregates are all that is left).
    """
    first = first_event_day(session)
    if since is not None:
        if first is None or since < first:
            raise RollupError(
                "Impossible de recalculer des jours dont les événements ont été "
                "purgés : seuls leurs agrégats subsistent."
            )
        start = since
    else:
        watermark = rolled_through(session)
        if watermark is None:
            if first is None:
                return []
            start = first
        else:
            start = watermark + timedelta(days=1)
    return [start + timedelta(days=n) for n in range((through - start).days + 1)]


def rollup_day(session: Session, day: date) -> int:
    """Replace `day`'s aggregates by a count of its events; returns the usage_daily rows written."""
    for table in (UsageDaily, UsageDailyFactor, UsageDailyTool):
        session.execute(delete(table).where(table.day == day))
    counted = (
        select(
            event_day(),
            UsageEvent.kind,
            UsageEvent.risk_factor,
            UsageEvent.tool_id,
            UsageEvent.service,
            func.count(),
            func.count().filter(UsageEvent.content_gap),
        )
        .where(
            UsageEvent.occurred_at >= local_midnight(day),
            UsageEvent.occurred_at < local_midnight(day + timedelta(days=1)),
        )
        .group_by(
            event_day(),
            UsageEvent.kind,
            UsageEvent.risk_factor,
            UsageEvent.tool_id,
            UsageEvent.service,
        )
    )
    # Session.execute says Result; a DML statement's is a CursorResult, with its rowcount
    result = cast(
        CursorResult[Any],
        session.execute(
            insert(UsageDaily).from_select(
                ["day", "kind", "risk_factor", "tool_id", "service", "count", "content_gaps"],
                counted,
            )
        ),
    )
    # the per-factor table counts the content gaps too (searches have no tool: not the other)
    for table, dims, sums in (
        (UsageDailyFactor, ("risk_factor",), ("count", "content_gaps")),
        (UsageDailyTool, ("tool_id",), ("count",)),
    ):
        columns = [getattr(UsageDaily, d) for d in dims]
        projected = (
            select(
                UsageDaily.day,
                UsageDaily.kind,
                *columns,
                *[func.sum(getattr(UsageDaily, name)) for name in sums],
            )
            .where(UsageDaily.day == day)
            .group_by(UsageDaily.day, UsageDaily.kind, *columns)
        )
        if table is UsageDailyTool:
            projected = projected.where(UsageDaily.tool_id.is_not(None))
        session.execute(insert(table).from_select(["day", "kind", *dims, *sums], projected))
    return result.rowcount or 0


def rollup(
    session: Session,
    through: date,
    since: date | None = None,
    progress: Callable[[int], None] | None = None,
    commit: Callable[[], None] | None = None,
) -> int:
    """Roll up every day to (re)compute; commits after each day when `commit` is given."""
    written = 0
    for day in days_to_roll(session, through, since):
        written += rollup_day(session, day)
        if commit:
            commit()
        if progress:
            progress(1)
    return written


@dataclass
class PurgeReport:
    cutoff: date
    aggregates_written: int = 0
    texts_erased: int = 0
    events_deleted: int = 0


def erase_old_texts(session: Session, cutoff: date) -> int:
    result = cast(
        CursorResult[Any],
        session.execute(
            update(UsageEvent)
            .where(
                UsageEvent.occurred_at < local_midnight(cutoff), UsageEvent.search_text.is_not(None)
            )
            .values(search_text=None)
        ),
    )
    return result.rowcount or 0


def old_events_count(session: Session, cutoff: date) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(UsageEvent)
            .where(UsageEvent.occurred_at < local_midnight(cutoff))
        )
        or 0
    )


def delete_old_events(session: Session, cutoff: date, batch: int = DELETE_BATCH) -> int:
    """Delete one batch of events older than `cutoff`; returns how many (0: done)."""
    ids = (
        select(UsageEvent.id)
        .where(UsageEvent.occurred_at < local_midnight(cutoff))
        .limit(batch)
        .scalar_subquery()
    )
    result = cast(
        CursorResult[Any], session.execute(delete(UsageEvent).where(UsageEvent.id.in_(ids)))
    )
    return result.rowcount or 0


def retention_cutoff(today: date, retention_days: int) -> date:
    """First day kept: events of the days before it are purged."""
    return today - timedelta(days=retention_days)
