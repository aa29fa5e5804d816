"""Import of an iCalendar (.ics) file into a network: its events become meeting series with their recurrence
rule, cancelled occurrences (EXDATE, or STATUS:CANCELLED on a RECURRENCE-ID) and changed ones (RECURRENCE-ID).

`parse_ics` reads and checks the whole file first (nothing is stored; every problem is a translated message
naming the event); `import_series` then creates everything and only flushes, so the caller's one commit (or
rollback) makes the import all or nothing. Times in any TZID or UTC become naive Europe/Helsinki wall-clock
times; rules the recurrence editor cannot show are refused, since the application could not edit them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from icalendar import Calendar, Component
from sqlalchemy import func, select

from ..core.ics import clean_text
from ..core.services import ServiceError
from ..directory.models import Contact
from ..extensions import db
from ..i18n import HELSINKI
from . import rules, series_services
from .models import MeetingSeries, Network, Occurrence, OccurrenceStatus

MAX_BYTES = 1024 * 1024
MAX_EVENTS = 1000
MAX_DURATION = 24 * 60
TITLE_LENGTH, LOCATION_LENGTH, VIDEO_LENGTH, UID_LENGTH = 300, 300, 500, 255
_URI = re.compile(r"^https?://[^\s\"<>\\^`{|}\x00-\x1f\x7f]+$", re.IGNORECASE)
_UID = re.compile(r"^[\x21-\x7e]+$")


class ImportFileError(ServiceError):
    """The file cannot be imported; the message says why (and names the event); shown at the file field."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


@dataclass
class ImportedChange:
    """One occurrence the file changes: cancelled, or moved / given its own place or agenda."""

    recurrence_id: datetime
    cancelled: bool = False
    starts_at: datetime | None = None
    duration_minutes: int | None = None
    location: str | None = None
    video_url: str | None = None
    agenda: str | None = None


@dataclass
class ImportedSeries:
    """A series (or single meeting) read from the file, checked and ready to be created."""

    uid: str | None
    title: str
    starts_at: datetime
    duration_minutes: int
    rrule: str | None
    location: str | None
    video_url: str | None
    agenda: str | None
    sequence: int = 0
    attendee_emails: list[str] = field(default_factory=list)
    changes: list[ImportedChange] = field(default_factory=list)
    ignored: int = 0  # changes of occurrences the rule does not generate (left out, as the application would)
    warning: str | None = None  # shown in the preview

    @property
    def cancelled(self) -> int:
        """How many occurrences the file cancels."""
        return sum(1 for c in self.changes if c.cancelled)

    @property
    def changed(self) -> int:
        """How many occurrences the file moves or changes otherwise."""
        return sum(1 for c in self.changes if not c.cancelled)

    def rule_in_words(self) -> str:
        """The recurrence in words (UI language)."""
        return rules.describe(rules.from_rrule(self.rrule) if self.rrule else None)


# --- reading the file -----------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(n)d MB.", n=MAX_BYTES // (1024 * 1024)))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text; save it as an iCalendar (.ics) file in UTF-8.")) \
            from exc


def _calendars(text: str) -> list[Component]:
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ImportFileError(_("The file is not an iCalendar (.ics) file."))
    try:
        return list(Calendar.from_ical(text, multiple=True))
    except Exception as exc:  # noqa: BLE001  (any parser failure is a bad file, never a server error)
        raise ImportFileError(_("The file is not a valid iCalendar file: %(error)s", error=str(exc)[:200])) from exc


def _label(event: Component) -> str:
    summary = event.get("SUMMARY")
    return clean_text(str(summary)).replace("\n", " ")[:80] if summary else _("(untitled event)")


def _local(event: Component, name: str, value: Any) -> datetime:
    """A DATE-TIME property as naive Helsinki time; all-day and unknown-zone values are refused."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(HELSINKI).replace(tzinfo=None)
        params = getattr(event.get(name), "params", {}) or {}
        if params.get("TZID"):
            raise ImportFileError(_("%(event)s: the time zone %(tzid)s is unknown.", event=_label(event),
                                    tzid=str(params["TZID"])[:60]))
        return value  # a "floating" time: read as Helsinki wall-clock time
    if isinstance(value, date):
        raise ImportFileError(_("%(event)s is an all-day event; only meetings with a start time can be imported.",
                                event=_label(event)))
    raise ImportFileError(_("%(event)s has no valid %(name)s.", event=_label(event), name=name))


def _decoded(event: Component, name: str) -> Any:
    try:
        return event.decoded(name) if name in event else None
    except Exception as exc:  # noqa: BLE001
        raise ImportFileError(_("%(event)s has no valid %(name)s.", event=_label(event), name=name)) from exc


def _start(event: Component) -> datetime:
    value = _decoded(event, "DTSTART")
    if value is None:
        raise ImportFileError(_("%(event)s has no start time (DTSTART).", event=_label(event)))
    return _local(event, "DTSTART", value)


def _duration(event: Component, start: datetime) -> int:
    """Minutes from DTSTART to DTEND (or DURATION); one hour when the event gives neither."""
    if "DTEND" in event:
        end = _local(event, "DTEND", _decoded(event, "DTEND"))
        raw_start, raw_end = _decoded(event, "DTSTART"), _decoded(event, "DTEND")
        # Aware times: count real minutes (also across a DST change); floating ones: wall-clock minutes.
        delta = raw_end.astimezone(UTC) - raw_start.astimezone(UTC) if raw_start.tzinfo and raw_end.tzinfo \
            else end - start
    elif "DURATION" in event:
        delta = _decoded(event, "DURATION")
        if not isinstance(delta, timedelta):
            raise ImportFileError(_("%(event)s has no valid %(name)s.", event=_label(event), name="DURATION"))
    else:
        return 60
    minutes = int(delta.total_seconds() // 60)
    if not 1 <= minutes <= MAX_DURATION:
        raise ImportFileError(_("%(event)s lasts %(minutes)d minutes; a meeting can last from 1 minute to 24 "
                                "hours.", event=_label(event), minutes=minutes))
    return minutes


def _text(event: Component, name: str, limit: int | None = None) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    text = clean_text(str(value[0] if isinstance(value, list) else value))
    if not text.strip():
        return None
    if limit is not None and len(text) > limit:
        raise ImportFileError(_("%(event)s: the %(name)s is longer than %(n)d characters.", event=_label(event),
                                name=name, n=limit))
    return text


def _place(event: Component) -> tuple[str | None, str | None, str | None]:
    """(location, video link, agenda): the video link from CONFERENCE, or a LOCATION that is a web address;
    the video-link paragraph the export adds to DESCRIPTION is taken off again."""
    location = _text(event, "LOCATION")
    video = None
    conferences = event.get("CONFERENCE")
    for conference in conferences if isinstance(conferences, list) else [conferences] if conferences else []:
        if _URI.match(str(conference)):
            video = str(conference)
            break
    if video is None and location and _URI.match(location):
        video = location
    if location == video:
        location = None
    if location and len(location) > LOCATION_LENGTH:
        raise ImportFileError(_("%(event)s: the %(name)s is longer than %(n)d characters.", event=_label(event),
                                name="LOCATION", n=LOCATION_LENGTH))
    if video and len(video) > VIDEO_LENGTH:
        video = None
    agenda = _text(event, "DESCRIPTION")
    if agenda and video:
        head, sep, last = agenda.rpartition("\n\n")
        if last.endswith(video) and (last == video or ": " in last):
            agenda = head if sep else None
    return location, video, agenda or None


def _rule(event: Component) -> str | None:
    """The RRULE as the editor stores it; None for a single meeting. Other recurrence kinds are refused."""
    if "RDATE" in event or "EXRULE" in event:
        raise ImportFileError(_("%(event)s repeats on extra dates (RDATE/EXRULE), which the registry cannot show.",
                                event=_label(event)))
    value = event.get("RRULE")
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) != 1:
            raise ImportFileError(_("%(event)s has several recurrence rules, which the registry cannot show.",
                                    event=_label(event)))
        value = value[0]
    text = value.to_ical().decode()
    try:
        return rules.to_rrule(rules.from_rrule(text))
    except ValueError as exc:
        raise ImportFileError(_("%(event)s recurs in a way the registry cannot show (%(rule)s).",
                                event=_label(event), rule=text[:120])) from exc


def _exdates(event: Component) -> list[datetime]:
    value = event.get("EXDATE")
    found = []
    for one in value if isinstance(value, list) else [value] if value is not None else []:
        for dt in getattr(one, "dts", []):
            found.append(_local(event, "EXDATE", dt.dt))
    return found


def _uid(event: Component) -> str | None:
    uid = str(event.get("UID", "")).strip()
    return uid if uid and len(uid) <= UID_LENGTH and _UID.match(uid) else None


def _sequence(event: Component) -> int:
    try:
        return max(0, min(int(event.get("SEQUENCE", 0)), 1_000_000))
    except (TypeError, ValueError):
        return 0


def _emails(event: Component) -> list[str]:
    value = event.get("ATTENDEE")
    found = []
    for one in value if isinstance(value, list) else [value] if value is not None else []:
        address = str(one)
        if address.lower().startswith("mailto:") and "@" in address:
            found.append(address[7:].strip().lower())
    return found


def _master(event: Component) -> ImportedSeries:
    title = _text(event, "SUMMARY", TITLE_LENGTH) or _("Meeting")
    start = _start(event)
    location, video, agenda = _place(event)
    found = ImportedSeries(uid=_uid(event), title=title, starts_at=start, duration_minutes=_duration(event, start),
                           rrule=_rule(event), location=location, video_url=video, agenda=agenda,
                           sequence=_sequence(event), attendee_emails=_emails(event))
    if found.rrule is not None:
        try:
            if rules.first_date(start, found.rrule) is None:
                raise ImportFileError(_("%(event)s: its rule gives no meetings.", event=_label(event)))
        except ValueError as exc:
            raise ImportFileError(_("%(event)s recurs in a way the registry cannot show (%(rule)s).",
                                    event=_label(event), rule=found.rrule)) from exc
    found.warning = _zone_warning(event, found)
    for exdate in _exdates(event):
        rid = _occurrence_on(found, exdate) if found.rrule is not None else None
        if rid is not None:
            found.changes.append(ImportedChange(recurrence_id=rid, cancelled=True))
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        if found.rrule is not None:
            raise ImportFileError(_("%(event)s is cancelled as a whole; leave it out of the file.",
                                    event=_label(event)))
        found.changes.append(ImportedChange(recurrence_id=start, cancelled=True))
    return found


def _generates(series: ImportedSeries, rid: datetime) -> bool:
    return rid in rules.rule_dates(series.starts_at, series.rrule, rid, rid + timedelta(seconds=1))


def _occurrence_on(series: ImportedSeries, rid: datetime) -> datetime | None:
    """The generated occurrence an EXDATE or RECURRENCE-ID names: the same time, else the one on that day (the
    editor's rules have at most one a day; a zone with other DST days than Finland shifts the hour)."""
    if _generates(series, rid):
        return rid
    day = datetime.combine(rid.date(), datetime.min.time())
    found = rules.rule_dates(series.starts_at, series.rrule, day, day + timedelta(days=1))
    return found[0] if len(found) == 1 else None


def _zone_warning(event: Component, series: ImportedSeries) -> str | None:
    """A recurring event in a zone whose offset from Finnish time varies (other DST days, or UTC) keeps the
    Finnish wall-clock time of its first meeting; the preview says so."""
    start = _decoded(event, "DTSTART")
    if series.rrule is None or not isinstance(start, datetime) or start.tzinfo is None:
        return None
    differences = set()
    for day in range(0, 366, 3):
        moment = (start + timedelta(days=day)).replace(tzinfo=start.tzinfo)
        differences.add(moment.astimezone(HELSINKI).utcoffset() - moment.utcoffset())  # type: ignore[operator]
    if len(differences) == 1:
        return None
    zone = str(getattr(event.get("DTSTART"), "params", {}).get("TZID") or "UTC")
    return _("The file gives the times in %(zone)s, which changes to summer time on other days than Finland: "
             "the meetings are kept at %(time)s Finnish time.", zone=zone[:60], time=f"{series.starts_at:%H:%M}")


def _apply_change(series: ImportedSeries, event: Component) -> None:
    found = _occurrence_on(series, _local(event, "RECURRENCE-ID", _decoded(event, "RECURRENCE-ID")))
    if found is None:
        series.ignored += 1
        return
    rid = found
    series.changes = [c for c in series.changes if c.recurrence_id != rid]
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        series.changes.append(ImportedChange(recurrence_id=rid, cancelled=True))
        return
    start = _start(event)
    minutes = _duration(event, start)
    location, video, agenda = _place(event)
    change = ImportedChange(
        recurrence_id=rid, starts_at=start if start != rid else None,
        duration_minutes=minutes if minutes != series.duration_minutes else None,
        location=location if location != series.location else None,
        video_url=video if video != series.video_url else None,
        agenda=agenda if agenda != series.agenda else None)
    if any(v is not None for v in (change.starts_at, change.duration_minutes, change.location, change.video_url,
                                   change.agenda)):
        series.changes.append(change)


def parse_ics(data: bytes) -> list[ImportedSeries]:
    """The meetings of an .ics file, checked; ImportFileError (a translated message) for any problem."""
    calendars = _calendars(_decode(data))
    events = [e for cal in calendars for e in cal.walk("VEVENT")]
    if not events:
        raise ImportFileError(_("The file has no events (VEVENT)."))
    if len(events) > MAX_EVENTS:
        raise ImportFileError(_("The file has more than %(n)d events.", n=MAX_EVENTS))
    masters: dict[str, ImportedSeries] = {}
    found: list[ImportedSeries] = []
    changes: list[Component] = []
    for event in events:
        if "RECURRENCE-ID" in event:
            changes.append(event)
            continue
        series = _master(event)
        if series.uid is not None:
            if series.uid in masters:
                raise ImportFileError(_("%(event)s: two events in the file have the same UID.", event=_label(event)))
            masters[series.uid] = series
        found.append(series)
    for event in changes:
        master = masters.get(_uid(event) or "")
        if master is None:  # one changed occurrence of a series not in the file: a meeting of its own
            single = _master(event)
            single.uid = None
            found.append(single)
        else:
            _apply_change(master, event)
    for series in found:
        series.changes.sort(key=lambda c: c.recurrence_id)
        if series.rrule is None:
            series.changes = [c for c in series.changes if c.recurrence_id == series.starts_at]
        else:
            series.changes = [c for c in series.changes if _generates(series, c.recurrence_id)]
    return found


# --- creating the series --------------------------------------------------------------------------


def _taken_uids(uids: Sequence[str]) -> set[str]:
    if not uids:
        return set()
    return set(db.session.scalars(select(MeetingSeries.uid).where(MeetingSeries.uid.in_(list(uids)))))


def _contacts(emails: Sequence[str]) -> dict[str, Contact]:
    if not emails:
        return {}
    found: dict[str, Contact] = {}
    stmt = select(Contact).where(func.lower(Contact.email).in_(sorted(set(emails)))).order_by(Contact.id)
    for contact in db.session.scalars(stmt):
        found.setdefault((contact.email or "").lower(), contact)
    return found


def import_series(network: Network, found: Sequence[ImportedSeries], actor: Any) -> list[MeetingSeries]:
    """Create the series of `parse_ics` in the network (UIDs kept unless already taken); add and flush only:
    the caller commits once, or rolls back on ImportFileError so that nothing is half-imported."""
    taken = _taken_uids([s.uid for s in found if s.uid])
    contacts = _contacts([e for s in found for e in s.attendee_emails])
    created = []
    for one in found:
        data = {"title": one.title, "starts_at": one.starts_at, "duration_minutes": one.duration_minutes,
                "rrule": one.rrule, "location": one.location, "video_url": one.video_url, "agenda": one.agenda,
                "attendees": list(dict.fromkeys(contacts[e] for e in one.attendee_emails if e in contacts))}
        try:
            series = series_services.create_series(network, data, actor).series
        except ServiceError as error:
            raise ImportFileError(_("%(event)s: %(problem)s", event=one.title[:80], problem=error.message)) from error
        if one.uid and one.uid not in taken:
            series.uid = one.uid
            series.sequence = one.sequence
            taken.add(one.uid)
        for change in one.changes:
            series.occurrences.append(Occurrence(
                recurrence_id=change.recurrence_id,
                status=OccurrenceStatus.CANCELLED if change.cancelled else OccurrenceStatus.SCHEDULED,
                starts_at=change.starts_at, duration_minutes=change.duration_minutes, location=change.location,
                video_url=change.video_url, agenda=change.agenda, sequence=0))
        created.append(series)
    db.session.flush()
    return created
