"""Dates and times as people in France read them: Paris time, day first."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    PARIS = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # a system without tz data: UTC rather than a crash
    PARIS = timezone.utc


def fr_datetime(moment: datetime | None, *, seconds: bool = False, empty: str = "") -> str:
    """"27/11/2026 à 14:05" (with ":07" when `seconds`); `empty` for no date."""
    if moment is None:
        return empty
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M:%S" if seconds else "%d/%m/%Y à %H:%M")
