"""The validity timeline of the agreement dashboard: the agreements in force that end soonest, as bars over
three years (drawn as inline SVG, with a table that says the same in text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from . import rules
from .dashboard import DEADLINE_DAYS, Scope, load_agreements, snapshot, timeline_window
from .models import Agreement

WIDTH, LABEL, ROW = 800, 260, 26  # SVG user units: the picture, the name column, one bar's row


@dataclass(frozen=True)
class TimelineBar:
    """One agreement's validity as a bar; `x` and `width` are SVG user units."""

    agreement: Agreement
    y: int
    x: float
    width: float
    open_start: bool  # valid before the picture starts (or no start date)
    open_end: bool  # valid beyond the picture (or open-ended)
    notice_x: float | None
    notice: date | None
    ending: bool  # ends within DEADLINE_DAYS


@dataclass
class Timeline:
    """The validity periods of the scope's agreements in force, ending soonest first, over three years."""

    start: date
    end: date
    bars: list[TimelineBar]
    ticks: list[tuple[float, int]]  # (x, year) at each 1 January
    today_x: float
    width: int = WIDTH
    label_width: int = LABEL
    row_height: int = ROW

    @property
    def height(self) -> int:
        return (len(self.bars) + 1) * self.row_height + 10


def timeline(scope: Scope, today: date) -> Timeline:
    """The timeline picture's geometry for the scope (its agreements come from the dashboard snapshot)."""
    start, end = timeline_window(today)
    span, plot = (end - start).days, WIDTH - LABEL

    def x_of(day: date) -> float:
        return round(LABEL + plot * (min(max(day, start), end) - start).days / span, 1)

    ids = [] if scope.empty else snapshot(scope, today).timeline
    loaded = load_agreements(ids)
    bars = []
    for n, agreement in enumerate(loaded[i] for i in ids if i in loaded):
        first, last = agreement.valid_from or start, agreement.valid_until or end
        notice = rules.notice_deadline(agreement.valid_until, agreement.notice_months)
        bars.append(TimelineBar(agreement, (n + 1) * ROW, x_of(first), max(x_of(last) - x_of(first), 2.0),
                                first <= start, last >= end,
                                x_of(notice) if notice and start <= notice <= end else None, notice,
                                agreement.valid_until is not None
                                and agreement.valid_until <= today + timedelta(days=DEADLINE_DAYS)))
    ticks = [(x_of(date(year, 1, 1)), year) for year in range(start.year + 1, end.year + 1)]
    return Timeline(start, end, bars, ticks, x_of(today))
