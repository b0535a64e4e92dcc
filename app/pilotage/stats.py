"""The dashboard's figures, aggregated by PostgreSQL (GROUP BY, date_trunc), never row by row.

Event counts come from two places glued by UNION ALL: `usage_daily` for the days already rolled
up (`romin stats rollup`, `romin stats purge`), and `usage_events` for the days after. Days are
French calendar days (Europe/Paris); a period is inclusive at both ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Text,
    cast,
    extract,
    false,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause, ColumnElement
from sqlalchemy.sql.selectable import Subquery

from app.core import vocabulary as v
from app.core.vocabulary import PUBLISHED
from app.models import Feedback, RiskFactor, Tool, tool_risk_factors
from app.models.usage import UsageDaily, UsageDailyFactor, UsageDailyTool, UsageEvent

TZ_NAME = "Europe/Paris"
TZ = ZoneInfo(TZ_NAME)
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
DAILY_BUCKETS_UP_TO = 62  # longer periods are counted per week


def today() -> date:
    return datetime.now(TZ).date()


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bucket(self) -> str:
        return "day" if self.days <= DAILY_BUCKETS_UP_TO else "week"

    def buckets(self) -> list[date]:
        """Start of every bucket of the period (a week starts on Monday, as date_trunc says)."""
        if self.bucket == "day":
            return [self.start + timedelta(days=n) for n in range(self.days)]
        first = self.start - timedelta(days=self.start.weekday())
        return [first + timedelta(weeks=n) for n in range((self.end - first).days // 7 + 1)]


def parse_period(
    args: Mapping[str, str], now: date | None = None
) -> tuple[Period | None, dict[str, str]]:
    """`du`/`au` (AAAA-MM-JJ) to a period; the last 30 days by default; French errors."""
    now = now or today()
    errors: dict[str, str] = {}

    def read(name: str, label: str) -> date | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            errors[name] = (
                f"La date {label} doit être une date valide au format AAAA-MM-JJ, "
                "par exemple 2026-11-30."
            )
            return None
        if value.year < 2000 or value.year > 2100:
            errors[name] = f"La date {label} doit être comprise entre 2000 et 2100."
            return None
        return value

    start, end = read("du", "de début"), read("au", "de fin")
    if errors:
        return None, errors
    end = end or now
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        return None, {"du": "La date de début doit être antérieure ou égale à la date de fin."}
    if (end - start).days + 1 > MAX_DAYS:
        return None, {
            "du": "La période ne peut pas dépasser trois ans : rapprochez les deux dates."
        }
    return Period(start, end), {}


# -- where counts come from -------------------------------------------------------------------


def rolled_through(session: Session) -> date | None:
    """Last day present in the daily roll-up: earlier days are read from it."""
    return session.scalar(select(func.max(UsageDaily.day)))


# Inlined constants, not bound parameters: an expression in both SELECT and GROUP BY must be
# written identically for PostgreSQL to match them.
TZ_SQL: ColumnClause[str] = literal_column(f"'{TZ_NAME}'")


def event_day() -> ColumnElement[date]:
    return cast(func.timezone(TZ_SQL, UsageEvent.occurred_at), Date)


def _rollup_for(dims: set[str]) -> type[UsageDaily | UsageDailyFactor | UsageDailyTool]:
    """The narrowest roll-up holding these columns."""
    if dims <= {"risk_factor"}:
        return UsageDailyFactor
    if dims <= {"tool_id"}:
        return UsageDailyTool
    return UsageDaily


def counts_source(
    session: Session,
    period: Period,
    kinds: tuple[str, ...],
    dims: tuple[str, ...] = (),
    tool_id: int | None = None,
    per_day: bool = False,
    content_gaps: bool = False,
) -> Subquery:
    """(day, kind, *dims, n) rows: the roll-up up to its last day, raw events after it.

    `per_day`: the caller groups by day, so raw events are counted per day in the branch
    itself; otherwise each is a row of n = 1 and PostgreSQL skips computing its day.
    `content_gaps`: count the searches that were content gaps only (by risk factor at most:
    the per-tool roll-up does not count them).
    """
    watermark = rolled_through(session)
    needed = set(dims) | ({"tool_id"} if tool_id is not None else set())
    if content_gaps and "tool_id" in needed:
        raise ValueError("content gaps are not counted per tool")
    parts = []
    if watermark is not None and watermark >= period.start:
        table = _rollup_for(needed)
        counted = (
            table.content_gaps  # type: ignore[union-attr]  # never the per-tool table (above)
            if content_gaps
            else table.count
        )
        daily = select(
            table.day.label("day"),
            table.kind.label("kind"),
            *[getattr(table, d).label(d) for d in dims],
            counted.label("n"),
        ).where(
            table.day >= period.start,
            table.day <= min(period.end, watermark),
            table.kind.in_(kinds),
        )
        if tool_id is not None:  # then `needed` holds tool_id: never the per-factor table
            daily = daily.where(table.tool_id == tool_id)  # type: ignore[union-attr]
        parts.append(daily)
    events_from = (
        period.start if watermark is None else max(period.start, watermark + timedelta(days=1))
    )
    if events_from <= period.end or not parts:
        columns = [getattr(UsageEvent, d) for d in dims]
        events = select(
            event_day().label("day"),
            UsageEvent.kind.label("kind"),
            *[c.label(d) for c, d in zip(columns, dims)],
            (func.count() if per_day else literal(1)).label("n"),
        ).where(
            UsageEvent.occurred_at >= local_midnight(events_from),
            UsageEvent.occurred_at < local_midnight(period.end + timedelta(days=1)),
            UsageEvent.kind.in_(kinds),
        )
        if per_day:
            events = events.group_by(event_day(), UsageEvent.kind, *columns)
        if events_from > period.end:
            events = events.where(false())
        if content_gaps:
            events = events.where(UsageEvent.content_gap)
        if tool_id is not None:
            events = events.where(UsageEvent.tool_id == tool_id)
        parts.append(events)
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("source")


def _bucket(period: Period, day_column: ColumnElement[date]) -> ColumnElement[date]:
    """The day itself, or the Monday of its week (date arithmetic: no time zone involved)."""
    if period.bucket == "day":
        return day_column
    return type_coerce(day_column - (cast(extract("isodow", day_column), Integer) - 1), Date)


# -- the dashboard ----------------------------------------------------------------------------


def totals(session: Session, period: Period) -> dict[str, int]:
    source = counts_source(session, period, ("search", "view", "download", "feedback"))
    rows = session.execute(select(source.c.kind, func.sum(source.c.n)).group_by(source.c.kind))
    found = {kind: int(n) for kind, n in rows}
    return {kind: found.get(kind, 0) for kind in ("search", "view", "download", "feedback")}


def _per_bucket(
    session: Session, period: Period, source: Subquery, column: ColumnElement[Any]
) -> list[tuple[date, Any, int]]:
    """(bucket start, value of `column`, count) over the period's days, weeks or months."""
    bucket = _bucket(period, source.c.day).label("bucket")
    rows = session.execute(
        select(bucket, column, func.sum(source.c.n)).group_by(bucket, column).order_by(bucket)
    )
    return [(b, value, int(n)) for b, value, n in rows]


def searches_over_time(session: Session, period: Period) -> list[tuple[date, str | None, int]]:
    """(bucket start, risk factor or None, searches)."""
    source = counts_source(session, period, ("search",), ("risk_factor",), per_day=True)
    return _per_bucket(session, period, source, source.c.risk_factor)


def top_tools(
    session: Session, period: Period, kind: str, limit: int = 10
) -> list[tuple[str, str, int]]:
    """(slug, title, count) of the tools most viewed or downloaded."""
    source = counts_source(session, period, (kind,), ("tool_id",))
    counted = (
        select(source.c.tool_id, func.sum(source.c.n).label("n"))
        .where(source.c.tool_id.is_not(None))
        .group_by(source.c.tool_id)
        .subquery()
    )
    rows = session.execute(
        select(Tool.slug, Tool.title, counted.c.n)
        .join(counted, counted.c.tool_id == Tool.id)
        .order_by(counted.c.n.desc(), Tool.title)
        .limit(limit)
    )
    return [(slug, title, int(n)) for slug, title, n in rows]


def empty_searches(
    session: Session, period: Period, limit: int = 30
) -> list[tuple[str | None, str | None, int]]:
    """(text or None, risk factor or None, count) of the searches that found nothing.

    Raw events only: text is never rolled up, and is erased after the retention.
    """
    n = func.count().label("n")
    rows = session.execute(
        select(UsageEvent.search_text, UsageEvent.risk_factor, n)
        .where(
            UsageEvent.kind == "search",
            UsageEvent.results == 0,
            UsageEvent.occurred_at >= local_midnight(period.start),
            UsageEvent.occurred_at < local_midnight(period.end + timedelta(days=1)),
        )
        .group_by(UsageEvent.search_text, UsageEvent.risk_factor)
        .order_by(
            n.desc(), UsageEvent.search_text.nulls_last(), UsageEvent.risk_factor.nulls_last()
        )
        .limit(limit)
    )
    return [(text, factor, int(count)) for text, factor, count in rows]


def content_gaps(
    session: Session, period: Period, limit: int = 30
) -> list[tuple[str | None, str | None, dict[str, str], int]]:
    """(text or None, risk factor or None, other filters, count) of the content gaps: searches
    whose words matched none of the tools shown (the factor's, the stage's or the phase's).

    Raw events only, as for the searches that found nothing: text is never rolled up.
    """
    n = func.count().label("n")
    rows = session.execute(
        select(UsageEvent.search_text, UsageEvent.risk_factor, UsageEvent.facets, n)
        .where(
            UsageEvent.content_gap,
            UsageEvent.occurred_at >= local_midnight(period.start),
            UsageEvent.occurred_at < local_midnight(period.end + timedelta(days=1)),
        )
        .group_by(UsageEvent.search_text, UsageEvent.risk_factor, UsageEvent.facets)
        .order_by(
            n.desc(),
            UsageEvent.search_text.nulls_last(),
            UsageEvent.risk_factor.nulls_last(),
            cast(UsageEvent.facets, Text),
        )
        .limit(limit)
    )
    return [(text, factor, dict(facets or {}), int(count)) for text, factor, facets, count in rows]


def content_gaps_per_factor(session: Session, period: Period) -> dict[str | None, int]:
    """Content gaps per risk factor (None: a stage or a phase only) over the whole period: the
    roll-up keeps them once the events are purged."""
    source = counts_source(session, period, ("search",), ("risk_factor",), content_gaps=True)
    total = func.sum(source.c.n)
    rows = session.execute(
        select(source.c.risk_factor, total).group_by(source.c.risk_factor).having(total > 0)
    )
    return {factor: int(count) for factor, count in rows}


def coverage(session: Session) -> dict[tuple[str, str], int]:
    """Published tools per (risk factor slug, stage slug); every pair present, gaps at 0."""
    pairs = (
        select(
            RiskFactor.slug.label("factor"),
            func.unnest(Tool.stages).label("stage"),
            Tool.id.label("tool_id"),
        )
        .join(tool_risk_factors, tool_risk_factors.c.tool_id == Tool.id)
        .join(RiskFactor, RiskFactor.id == tool_risk_factors.c.risk_factor_id)
        .where(Tool.status == PUBLISHED)
        .subquery()
    )
    rows = session.execute(
        select(pairs.c.factor, pairs.c.stage, func.count(func.distinct(pairs.c.tool_id))).group_by(
            pairs.c.factor, pairs.c.stage
        )
    )
    counts = {(factor, stage_slug): int(n) for factor, stage_slug, n in rows}
    factors = session.scalars(select(RiskFactor.slug).order_by(RiskFactor.position))
    return {
        (factor, s.slug): counts.get((factor, s.slug), 0) for factor in factors for s in v.STAGES
    }


def downloaded_never_rated(
    session: Session, period: Period, limit: int = 20
) -> list[tuple[str, str, int]]:
    """(slug, title, downloads) of the tools downloaded in the period that nobody has rated."""
    source = counts_source(session, period, ("download",), ("tool_id",))
    counted = (
        select(source.c.tool_id, func.sum(source.c.n).label("n"))
        .where(source.c.tool_id.is_not(None))
        .group_by(source.c.tool_id)
        .subquery()
    )
    rated = (
        select(Feedback.id).where(Feedback.tool_id == Tool.id, Feedback.is_demo.is_(False)).exists()
    )
    rows = session.execute(
        select(Tool.slug, Tool.title, counted.c.n)
        .join(counted, counted.c.tool_id == Tool.id)
        .where(~rated)
        .order_by(counted.c.n.desc(), Tool.title)
        .limit(limit)
    )
    return [(slug, title, int(n)) for slug, title, n in rows]


def rating_distribution(
    session: Session, period: Period, tool_id: int | None = None
) -> dict[int, int]:
    """Stars → ratings given or changed during the period (5 first); demonstration ones left out."""
    query = (
        select(Feedback.rating, func.count())
        .where(
            Feedback.is_demo.is_(False),
            Feedback.updated_at >= local_midnight(period.start),
            Feedback.updated_at < local_midnight(period.end + timedelta(days=1)),
        )
        .group_by(Feedback.rating)
    )
    if tool_id is not None:
        query = query.where(Feedback.tool_id == tool_id)
    found = dict(session.execute(query).tuples().all())
    return {star: int(found.get(star, 0)) for star in range(5, 0, -1)}


# -- one tool, for curators -------------------------------------------------------------------


def tool_activity(session: Session, period: Period, tool_id: int) -> list[tuple[date, str, int]]:
    """(bucket start, kind, count) of a tool's views, downloads and feedback."""
    source = counts_source(
        session, period, ("view", "download", "feedback"), tool_id=tool_id, per_day=True
    )
    return _per_bucket(session, period, source, source.c.kind)


def tool_views_by_factor(
    session: Session, period: Period, tool_id: int
) -> list[tuple[str | None, int]]:
    """Views of a tool per risk factor of the search it was opened from (None: not from one)."""
    source = counts_source(session, period, ("view",), ("risk_factor",), tool_id=tool_id)
    n = func.sum(source.c.n).label("n")
    rows = session.execute(
        select(source.c.risk_factor, n)
        .group_by(source.c.risk_factor)
        .order_by(n.desc(), source.c.risk_factor.nulls_last())
    )
    return [(factor, int(count)) for factor, count in rows]


def tool_ratings_over_time(
    session: Session, period: Period, tool_id: int
) -> list[tuple[date, int, float]]:
    """(bucket start, ratings given or changed, their average) for one tool."""
    day = cast(func.timezone(TZ_SQL, Feedback.updated_at), Date)
    bucket = _bucket(period, day).label("bucket")
    rows = session.execute(
        select(bucket, func.count(), cast(func.avg(Feedback.rating), Float))
        .where(
            Feedback.tool_id == tool_id,
            Feedback.is_demo.is_(False),
            Feedback.updated_at >= local_midnight(period.start),
            Feedback.updated_at < local_midnight(period.end + timedelta(days=1)),
        )
        .group_by(bucket)
        .order_by(bucket)
    )
    return [(b, int(n), float(avg)) for b, n, avg in rows]
