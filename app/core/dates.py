"""Dates and times as people in France read them: Paris time, day first."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    PARIS: tzinfo = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # a system without tz data: UTC rather than a crash
    PARIS = UTC


def fr_datetime(moment: datetime | None, *, seconds: bool = False, empty: str = "") -> str:
    """ "27/11/2026 à 14:05" (with ":07" when `seconds`); `empty` for no date."""
    if moment is None:
        return empty
    return moment.astimezone(PARIS).strftime(
        "%d/%m/%Y à %H:%M:%S" if seconds else "%d/%m/%Y à %H:%M"
    )


def fr_date(moment: datetime | None, *, empty: str = "") -> str:
    """ "27/11/2026", the day in Paris (23:30 UTC on the 27th is already the 28th there)."""
    if moment is None:
        return empty
    return moment.astimezone(PARIS).strftime("%d/%m/%Y")
