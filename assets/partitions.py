"""Daily lake partitions and ISO-week (Monday 00:00 UTC) scorecard partitions."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from streams.errors import ConfigError

START = "2026-01-05"  # a Monday


class InvalidWeek(ConfigError):
    """Not an ISO week of the form YYYY-Www."""


daily = dg.DailyPartitionsDefinition(start_date=START, timezone="UTC", end_offset=1)
weekly = dg.WeeklyPartitionsDefinition(start_date=START, timezone="UTC", day_offset=1)


def iso_week_start(week: str) -> str:
    """'2026-W46' -> '2026-11-09' (the Monday that starts the ISO week)."""
    try:
        year, num = week.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(num), 1)
    except ValueError:
        raise InvalidWeek(f"invalid ISO week {week!r}: expected YYYY-Www, e.g. 2026-W46") from None
    return monday.isoformat()


def iso_week(week_start: str) -> str:
    """'2026-11-09' -> '2026-W46' (the ISO week a Monday starts)."""
    year, num, _ = date.fromisoformat(week_start).isocalendar()
    return f"{year}-W{num:02d}"


def week_end(week_start: str) -> str:
    return (date.fromisoformat(week_start) + timedelta(days=7)).isoformat()
