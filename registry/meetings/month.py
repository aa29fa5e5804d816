"""The month view's grid, and the agenda list's days: pure functions of the items and the clock (no db, no
request). Weeks start on Monday and carry their ISO week number, as in Finnish calendars."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 1900, 9998  # months outside these cannot be shown (nor their neighbours computed)


@dataclass(frozen=True)
class Entry:
    """One meeting as a month cell shows it: already formatted, so that a month of hundreds of meetings renders
    fast (the template only writes these out)."""

    starts_at: datetime
    time: str
    title: str
    href: str | None
    cancelled: bool
    moved: bool
    holiday: str | None


def entry(item: Any, href: str | None, time_separator: str = ":") -> Entry:
    """The month cell's entry of an occurrence (anything with starts_at, series.title, cancelled, moved,
    holiday); `time_separator` is "." in Finnish, ":" otherwise."""
    start = item.starts_at
    return Entry(starts_at=start, time=f"{start.hour:02d}{time_separator}{start.minute:02d}", title=item.series.title,
                 href=href, cancelled=bool(item.cancelled), moved=bool(item.moved), holiday=item.holiday)


@dataclass
class Day:
    """One cell of the month grid: the date, whether it belongs to the month shown, whether it is today, and
    the items starting on it in time order."""

    date: date
    in_month: bool
    is_today: bool
    items: list[Any] = field(default_factory=list)


@dataclass
class Week:
    """One row of the month grid: its ISO week number and seven days, Monday first."""

    number: int
    days: list[Day]


@dataclass(frozen=True)
class Month:
    """A calendar month with its neighbours (None beyond the supported years)."""

    year: int
    month: int

    @property
    def first(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        """The last day of the month."""
        return self.next_first - timedelta(days=1)

    @property
    def next_first(self) -> date:
        """The first day of the next month."""
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def key(self) -> str:
        """The month as YYYY-MM (the `month` argument of the month view)."""
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> Month | None:
        """The month before, or None before the first supported year."""
        if self.month == 1:
            return Month(self.year - 1, 12) if self.year > FIRST_YEAR else None
        return Month(self.year, self.month - 1)

    def following(self) -> Month | None:
        """The month after, or None after the last supported year."""
        if self.month == 12:
            return Month(self.year + 1, 1) if self.year < LAST_YEAR else None
        return Month(self.year, self.month + 1)


def parse_month(text: str | None, today: date) -> Month | None:
    """The month named by "YYYY-MM"; the current month when empty; None when it names no month."""
    if not text:
        return Month(today.year, today.month)
    match = MONTH_PATTERN.match(text.strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR or not 1 <= month <= 12:
        return None
    return Month(year, month)


def grid_range(month: Month) -> tuple[date, date]:
    """The first and last day the month's grid shows: from the Monday of its first week to the Sunday of its
    last (so days of the neighbouring months in those weeks are shown too)."""
    start = month.first - timedelta(days=month.first.weekday())
    end = month.last + timedelta(days=6 - month.last.weekday())
    return start, end


def window(first: date, last: date) -> tuple[datetime, datetime]:
    """The naive datetimes covering the days from `first` to `last`, both included (for `items_between`)."""
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


def month_grid(month: Month, items: Iterable[Any], today: date) -> list[Week]:
    """The month's weeks, each day holding the items (anything with a naive `starts_at`) that start on it."""
    start, end = grid_range(month)
    by_day = group_by_day(items)
    weeks: list[Week] = []
    day = start
    while day <= end:
        days = [Day(d, d.month == month.month, d == today, by_day.get(d, []))
                for d in (day + timedelta(days=i) for i in range(7))]
        weeks.append(Week(day.isocalendar()[1], days))
        day += timedelta(days=7)
    return weeks


def group_by_day(items: Iterable[Any]) -> dict[date, list[Any]]:
    """The items grouped by the day they start on, each day's items in time order."""
    grouped: dict[date, list[Any]] = {}
    for item in sorted(items, key=lambda i: i.starts_at):
        grouped.setdefault(item.starts_at.date(), []).append(item)
    return grouped


def agenda_days(items: Sequence[Any]) -> list[tuple[date, list[Any]]]:
    """The items as (day, that day's items) in date order, days without items left out (the agenda list)."""
    return sorted(group_by_day(items).items())
