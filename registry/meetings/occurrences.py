"""Expanding meeting series into occurrences: the rule's dates with the stored exceptions applied.

One `Item` per occurrence, whatever shows it (series and occurrence pages, the calendar views, the API and
the iCalendar feeds). `Occurrence` rows are exceptions keyed by `recurrence_id`, the start the rule generates
(iCalendar RECURRENCE-ID); an exception whose recurrence id the rule no longer generates is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import current_language
from . import rules
from .models import MeetingSeries, Occurrence, OccurrenceStatus


@dataclass
class Item:
    """One occurrence of a series as it will happen (or was cancelled), exceptions applied."""

    series: MeetingSeries
    key: str
    recurrence_id: datetime
    starts_at: datetime
    ends_at: datetime
    status: OccurrenceStatus
    location: str | None
    video_url: str | None
    agenda: str | None
    minutes: str | None
    moved: bool
    override: Occurrence | None
    holiday: str | None

    @property
    def cancelled(self) -> bool:
        """Whether this occurrence is cancelled."""
        return self.status is OccurrenceStatus.CANCELLED


def make_item(series: MeetingSeries, recurrence_id: datetime, override: Occurrence | None,
              language: str | None = None) -> Item:
    """The occurrence generated at `recurrence_id` with its exception (if any) applied."""
    starts_at = recurrence_id
    duration = series.duration_minutes
    location, video_url, agenda = series.location, series.video_url, series.agenda
    minutes = None
    status = OccurrenceStatus.SCHEDULED
    moved = False
    if override is not None:
        status = override.status
        if override.starts_at is not None:
            moved = override.starts_at != recurrence_id
            starts_at = override.starts_at
        if override.duration_minutes is not None:
            moved = moved or override.duration_minutes != series.duration_minutes
            duration = override.duration_minutes
        if override.location is not None:
            location = override.location
        if override.video_url is not None:
            video_url = override.video_url
        if override.agenda is not None:
            agenda = override.agenda
        minutes = override.minutes
    return Item(series=series, key=rules.occurrence_key(recurrence_id), recurrence_id=recurrence_id,
                starts_at=starts_at, ends_at=starts_at + timedelta(minutes=duration), status=status,
                location=location, video_url=video_url, agenda=agenda, minutes=minutes, moved=moved,
                override=override,
                holiday=rules.finnish_holiday(starts_at.date(), language or current_language()))


def _overrides(series_ids: list[int], start: datetime, end: datetime) -> dict[tuple[int, datetime], Occurrence]:
    """The exceptions whose generated or moved start lies in [start, end), for all series in one query."""
    if not series_ids:
        return {}
    stmt = (select(Occurrence)
            .where(Occurrence.series_id.in_(series_ids),
                   or_(and_(Occurrence.recurrence_id >= start, Occurrence.recurrence_id < end),
                       and_(Occurrence.starts_at >= start, Occurrence.starts_at < end))))
    return {(o.series_id, o.recurrence_id): o for o in db.session.scalars(stmt)}


def _generated(series: MeetingSeries, recurrence_id: datetime) -> bool:
    """Whether the series' rule generates an occurrence at exactly this start."""
    return recurrence_id in rules.rule_dates(series.starts_at, series.rrule, recurrence_id,
                                             recurrence_id + timedelta(seconds=1))


def items_between(series: Sequence[MeetingSeries], start: datetime, end: datetime, *,
                  include_cancelled: bool = True) -> list[Item]:
    """The occurrences of these series that start in [start, end) (naive Helsinki), sorted by start.

    Moved occurrences appear at their new start: also when moved into the window from outside it, and not
    when moved out of it. Cancelled ones are included unless `include_cancelled` is False.
    """
    start, end = rules.to_local(start), rules.to_local(end)
    overrides = _overrides([s.id for s in series], start, end)
    language = current_language()
    by_id = {s.id: s for s in series}
    found: list[Item] = []
    seen: set[tuple[int, datetime]] = set()
    for one in series:
        for rid in rules.rule_dates(one.starts_at, one.rrule, start, end):
            seen.add((one.id, rid))
            found.append(make_item(one, rid, overrides.get((one.id, rid)), language))
    for (series_id, rid), override in overrides.items():
        if (series_id, rid) not in seen and _generated(by_id[series_id], rid):
            found.append(make_item(by_id[series_id], rid, override, language))  # moved in from outside
    return sorted((i for i in found if start <= i.starts_at < end
                   and (include_cancelled or i.status is not OccurrenceStatus.CANCELLED)),
                  key=lambda i: (i.starts_at, i.series.id))


def item(series: MeetingSeries, key: str) -> Item | None:
    """The occurrence with this key (its recurrence id), or None if the series' rule does not generate it."""
    rid = rules.parse_occurrence_key(key)
    if rid is None or not _generated(series, rid):
        return None
    override = db.session.scalar(select(Occurrence).options(selectinload(Occurrence.documents))
                                 .where(Occurrence.series_id == series.id, Occurrence.recurrence_id == rid))
    return make_item(series, rid, override)


def overrides_by_series(series: Sequence[MeetingSeries]) -> dict[int, list[Occurrence]]:
    """Every exception row of these series by series id, in recurrence-id order, in one query (for exports:
    EXDATE / STATUS:CANCELLED and RECURRENCE-ID overrides)."""
    found: dict[int, list[Occurrence]] = {s.id: [] for s in series}
    if found:
        for occ in db.session.scalars(select(Occurrence).where(Occurrence.series_id.in_(list(found)))
                                      .order_by(Occurrence.series_id, Occurrence.recurrence_id)):
            found[occ.series_id].append(occ)
    return found
