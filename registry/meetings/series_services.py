"""Meeting-series verbs: plan and edit a series, change it "from this occurrence on", and the single-occurrence
changes (cancel, restore, move, agenda, minutes and their documents).

Every change raises the iCalendar SEQUENCE of what changed (the occurrence and its series), so subscribed
calendar clients replace their copy (RFC 5545 §3.8.7.4). Who may change is `services.may_change` through
`series.network`; the views check it. They add and flush; the caller commits. The audit log records changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.documents import store_document
from ..core.services import ServiceError
from ..directory.models import Contact
from ..extensions import db
from ..i18n import format_date
from . import rules
from .models import Cadence, MeetingSeries, Network, Occurrence, OccurrenceStatus
from .occurrences import Item, items_between, make_item

UID_DOMAIN = "rise-registry"  # host-independent: a series' UID must never change (RFC 5545 §3.8.4.7)
SKIP, MOVE, KEEP = "skip", "move", "keep"  # what to do with an occurrence on a public holiday
HOLIDAY_HORIZON_DAYS = 2 * 366  # how far ahead the planner looks for holidays
SERIES_FIELDS = ("title", "starts_at", "duration_minutes", "rrule", "location", "video_url", "agenda")
MAX_DURATION = 24 * 60

# DOMAIN §7.1: the sanction centres' yearly meetings with the local prosecution offices use a national agenda
# (valtakunnallinen asialista) for uniform coverage; the reference text ships with the seed data.
NATIONAL_AGENDA_FILE = Path(__file__).resolve().parent.parent.parent / "seed" / "national_agenda_prosecutors.txt"


@dataclass
class SaveResult:
    """What saving a series did besides the series itself: exceptions it had to drop, holidays handled."""

    series: MeetingSeries
    dropped: list[datetime] = field(default_factory=list)  # exceptions the new rule no longer generates
    skipped: list[datetime] = field(default_factory=list)
    moved: list[tuple[datetime, datetime]] = field(default_factory=list)


def new_uid() -> str:
    """A new iCalendar UID for a series: random, host-independent, stable for the series' life."""
    return f"series-{uuid.uuid4()}@{UID_DOMAIN}"


def agenda_template(network: Network) -> str:
    """The agenda a new series of this network starts from: its latest series' agenda, else for the yearly
    criminal-justice meetings (prosecutors, courts) the national agenda (DOMAIN §7.1), else nothing."""
    latest = db.session.scalar(select(MeetingSeries.agenda).where(
        MeetingSeries.network_id == network.id, MeetingSeries.agenda.is_not(None))
        .order_by(MeetingSeries.starts_at.desc(), MeetingSeries.id.desc()).limit(1))
    if latest:
        return str(latest)
    if network.cadence is Cadence.YEARLY and network.theme is not None and network.theme.code == "criminal_justice":
        return national_agenda()
    return ""


def national_agenda() -> str:
    """The national agenda of the yearly prosecutor meetings (empty when the seed file is not installed)."""
    try:
        return NATIONAL_AGENDA_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def member_liaisons(network: Network) -> list[Contact]:
    """The liaisons the network's members have named (preselected as attendees of a new series)."""
    return sorted({m.liaison for m in network.members if m.liaison is not None}, key=lambda c: (c.name, c.id))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _check(data: dict[str, Any]) -> None:
    """The data rules of a series; ServiceError names the field."""
    if not _text(data.get("title")):
        raise ServiceError(_("Give the title."), "title")
    starts_at = data.get("starts_at")
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is not None:
        raise ServiceError(_("Give the date and time of the first meeting."), "start_date")
    duration = data.get("duration_minutes")
    if not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION:
        raise ServiceError(_("The duration must be from 1 to 1440 minutes."), "duration_minutes")
    if data.get("rrule") is not None:
        try:
            rules.check_rrule(starts_at, data["rrule"])
        except ValueError as exc:
            raise ServiceError(str(exc), "preset") from exc
        if rules.first_date(starts_at, data["rrule"]) is None:
            raise ServiceError(_("The rule gives no meetings from this start date."), "preset")


def _synced(data: dict[str, Any]) -> datetime:
    """DTSTART must be the first occurrence (RFC 5545 §3.8.5.3): the rule's first date from the chosen start."""
    first = rules.first_date(data["starts_at"], data.get("rrule"))
    assert first is not None  # _check refused rules without dates
    return first.replace(second=0, microsecond=0)


def _apply(series: MeetingSeries, data: dict[str, Any]) -> None:
    series.title = data["title"]
    series.starts_at = _synced(data)
    series.duration_minutes = data["duration_minutes"]
    series.rrule = data.get("rrule")
    series.location = _text(data.get("location"))
    series.video_url = _text(data.get("video_url"))
    series.agenda = _text(data.get("agenda"))
    if "attendees" in data:
        series.attendees = list(data["attendees"])


def _generates(series: MeetingSeries, rid: datetime) -> bool:
    return rid in rules.rule_dates(series.starts_at, series.rrule, rid, rid + timedelta(seconds=1))


def _has_content(occ: Occurrence) -> bool:
    return bool(occ.minutes or occ.documents or occ.agenda)


def _reconcile(series: MeetingSeries, rows: list[Occurrence]) -> list[datetime]:
    """Drop the exceptions the series' rule no longer generates; refuse if one holds minutes or an agenda."""
    orphans = [o for o in rows if not _generates(series, o.recurrence_id)]
    kept = [o for o in orphans if _has_content(o)]
    if kept:
        dates = ", ".join(format_date(o.recurrence_id) for o in kept)
        raise ServiceError(_("The new rule would lose the minutes or agenda of the meetings of %(dates)s. Change "
                             "the series from a later meeting on instead.", dates=dates), "preset")
    for occ in orphans:
        series.occurrences.remove(occ)
        db.session.delete(occ)
    return [o.recurrence_id for o in orphans]


def _override(series: MeetingSeries, rid: datetime) -> Occurrence:
    """The exception row of the occurrence generated at `rid` (created when missing); 404-like error otherwise."""
    if not _generates(series, rid):
        raise ServiceError(_("The series has no meeting at that time."))
    occ = next((o for o in series.occurrences if o.recurrence_id == rid), None)
    if occ is None:
        occ = Occurrence(recurrence_id=rid, status=OccurrenceStatus.SCHEDULED, sequence=0)
        series.occurrences.append(occ)
    return occ


def _touch(series: MeetingSeries, occ: Occurrence | None = None) -> None:
    """Raise SEQUENCE so calendar clients take the change."""
    series.sequence = (series.sequence or 0) + 1
    if occ is not None:
        occ.sequence = (occ.sequence or 0) + 1


def _check_slot(series: MeetingSeries, rid: datetime, starts_at: datetime, duration: int) -> None:
    """Refuse to move an occurrence onto (overlapping) another scheduled occurrence of the same series."""
    ends_at = starts_at + timedelta(minutes=duration)
    around = items_between([series], starts_at - timedelta(days=2), ends_at + timedelta(days=1),
                           include_cancelled=False)
    for other in around:
        if other.recurrence_id != rid and other.starts_at < ends_at and starts_at < other.ends_at:
            raise ServiceError(_("Another meeting of this series is already at that time (%(when)s).",
                                 when=f"{format_date(other.starts_at)} {other.starts_at:%H:%M}"), "start_date")


def _holidays(series: MeetingSeries, choices: dict[datetime, str], result: SaveResult) -> None:
    """Apply the planner's per-date choices: skip (cancel) any planned occurrence, or move one that falls on a
    public holiday to the next working day. Dates the rule does not generate are ignored."""
    for rid, choice in sorted(choices.items()):
        if choice not in (SKIP, MOVE) or not _generates(series, rid):
            continue
        if choice == MOVE and rules.finnish_holiday(rid.date()) is None:
            continue
        occ = _override(series, rid)
        if choice == SKIP:
            occ.status = OccurrenceStatus.CANCELLED
            result.skipped.append(rid)
        else:
            target = rules.moved_to_working_day(rid)
            db.session.flush()
            _check_slot(series, rid, target, series.duration_minutes)
            occ.starts_at = target
            result.moved.append((rid, target))
        _touch(series, occ)


def holiday_conflicts(starts_at: datetime, rrule: str | None, horizon: datetime,
                      language: str = "fi") -> list[tuple[datetime, str]]:
    """Generated dates up to `horizon` that fall on Finnish public holidays, with the holiday's name."""
    return rules.holiday_conflicts(starts_at, rrule, horizon, language)


def preview(data: dict[str, Any], count: int = 12, language: str = "fi",
            since: datetime | None = None) -> list[tuple[datetime, str | None]]:
    """The next `count` occurrences the planned rule gives from its first date (or from `since`, if later),
    each with the name of the public holiday it falls on (or None)."""
    _check(data)
    first = _synced(data)
    if data.get("rrule") is None:
        return [(first, rules.finnish_holiday(first.date(), language))]
    found: list[tuple[datetime, str | None]] = []
    window = max(first, since) if since is not None else first
    while len(found) < count and window < first + timedelta(days=100 * 366):
        step = window + timedelta(days=366)
        found += [(d, rules.finnish_holiday(d.date(), language))
                  for d in rules.rule_dates(first, data["rrule"], window, step)]
        window = step
    return found[:count]


def create_series(network: Network, data: dict[str, Any], actor: Any) -> SaveResult:
    """Plan a new series (or single meeting) of the network; `data["holidays"]` maps dates to skip/move."""
    _check(data)
    series = MeetingSeries(network=network, uid=new_uid(), sequence=0,
                           organizer_id=getattr(actor, "id", None))
    _apply(series, data)
    db.session.add(series)
    db.session.flush()
    result = SaveResult(series)
    _holidays(series, data.get("holidays") or {}, result)
    db.session.flush()
    return result


def _snapshot(series: MeetingSeries) -> tuple[Any, ...]:
    return (*(getattr(series, name) for name in SERIES_FIELDS), tuple(sorted(c.id for c in series.attendees)))


def update_series(series: MeetingSeries, data: dict[str, Any], actor: Any = None) -> SaveResult:
    """Change the whole series; exceptions the new rule no longer generates are dropped and reported."""
    _check(data)
    before = _snapshot(series)
    _apply(series, data)
    result = SaveResult(series)
    result.dropped = _reconcile(series, list(series.occurrences))
    if _snapshot(series) != before or result.dropped:
        _touch(series)
    db.session.flush()
    _holidays(series, data.get("holidays") or {}, result)
    db.session.flush()
    return result


def _remaining_count(series: MeetingSeries, rid: datetime) -> int | None:
    """For a COUNT rule: how many occurrences are left from `rid` on."""
    try:
        rec = rules.from_rrule(series.rrule or "")
    except ValueError:
        return None
    if rec.count is None:
        return None
    before = rules.rule_dates(series.starts_at, series.rrule, series.starts_at, rid)
    return max(rec.count - len(before), 1)


def onwards_defaults(series: MeetingSeries, rid: datetime) -> dict[str, Any]:
    """The form's starting values for "change from this occurrence on": the series as it is, from `rid`."""
    rrule = series.rrule
    remaining = _remaining_count(series, rid)
    if rrule is not None and remaining is not None:
        rrule = ";".join(p for p in rrule.split(";") if not p.upper().startswith("COUNT=")) + f";COUNT={remaining}"
    return {"title": series.title, "starts_at": rid, "duration_minutes": series.duration_minutes, "rrule": rrule,
            "location": series.location, "video_url": series.video_url, "agenda": series.agenda,
            "attendees": list(series.attendees)}


def split_onwards(series: MeetingSeries, rid: datetime, changes: dict[str, Any], actor: Any) -> SaveResult:
    """End the series just before the occurrence `rid` and continue it, changed, as a new series from there.

    The old series gets an UNTIL (SEQUENCE raised); the new one has its own UID, `continues_id` pointing back,
    and the exceptions from `rid` on that its rule still generates. Changing from the first occurrence on
    is simply an edit of the whole series.
    """
    if series.rrule is None:
        raise ServiceError(_("A single meeting has no later meetings; edit the meeting instead."))
    if not _generates(series, rid):
        raise ServiceError(_("The series has no meeting at that time."))
    if rid <= series.starts_at:
        return update_series(series, changes, actor)
    _check(changes)
    later = [o for o in series.occurrences if o.recurrence_id >= rid]
    new = MeetingSeries(network=series.network, uid=new_uid(), continues_id=series.id,
                        organizer_id=getattr(actor, "id", None) or series.organizer_id)
    _apply(new, changes)
    new.sequence = (series.sequence or 0) + 1
    if new.starts_at < rid:
        raise ServiceError(_("The changed series must start on or after the meeting it changes from."),
                           "start_date")
    series.rrule = rules.end_rule_before(series.rrule, rid)
    _touch(series)
    db.session.add(new)
    for occ in later:
        series.occurrences.remove(occ)
        new.occurrences.append(occ)
    db.session.flush()
    result = SaveResult(new)
    result.dropped = _reconcile(new, later)
    db.session.flush()
    _holidays(new, changes.get("holidays") or {}, result)
    db.session.flush()
    return result


# --- single occurrences ---------------------------------------------------------------------------


def cancel_occurrence(series: MeetingSeries, rid: datetime) -> Occurrence:
    """Cancel one occurrence (STATUS:CANCELLED / EXDATE in the feeds); the rest of the series stays."""
    occ = _override(series, rid)
    if occ.status is not OccurrenceStatus.CANCELLED:
        occ.status = OccurrenceStatus.CANCELLED
        _touch(series, occ)
    db.session.flush()
    return occ


def restore_occurrence(series: MeetingSeries, rid: datetime) -> Occurrence:
    """Undo the cancellation of one occurrence (a move or own agenda stays)."""
    occ = _override(series, rid)
    if occ.status is OccurrenceStatus.CANCELLED:
        _check_slot(series, rid, occ.starts_at or rid, occ.duration_minutes or series.duration_minutes)
        occ.status = OccurrenceStatus.SCHEDULED
        _touch(series, occ)
    db.session.flush()
    return occ


def move_occurrence(series: MeetingSeries, rid: datetime, data: dict[str, Any]) -> Occurrence:
    """Move one occurrence: new start, duration, location or video link (None keeps the series' value).

    Moving onto the time of another scheduled occurrence of the same series is refused.
    """
    occ = _override(series, rid)
    starts_at = data.get("starts_at") or rid
    duration = data.get("duration_minutes") or series.duration_minutes
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is not None:
        raise ServiceError(_("Give the new date and time."), "start_date")
    if not 1 <= duration <= MAX_DURATION:
        raise ServiceError(_("The duration must be from 1 to 1440 minutes."), "duration_minutes")
    starts_at = starts_at.replace(second=0, microsecond=0)
    db.session.flush()
    _check_slot(series, rid, starts_at, duration)
    before = (occ.starts_at, occ.duration_minutes, occ.location, occ.video_url)
    occ.starts_at = None if starts_at == rid else starts_at
    occ.duration_minutes = None if duration == series.duration_minutes else duration
    location, video = _text(data.get("location")), _text(data.get("video_url"))
    occ.location = None if location == series.location else location
    occ.video_url = None if video == series.video_url else video
    if (occ.starts_at, occ.duration_minutes, occ.location, occ.video_url) != before:
        _touch(series, occ)
    db.session.flush()
    return occ


def set_occurrence_agenda(series: MeetingSeries, rid: datetime, agenda: str | None) -> Occurrence:
    """Give one occurrence its own agenda (empty: back to the series' agenda template)."""
    occ = _override(series, rid)
    text = _text(agenda)
    text = None if text == series.agenda else text
    if occ.agenda != text:
        occ.agenda = text
        _touch(series, occ)
    db.session.flush()
    return occ


def record_minutes(series: MeetingSeries, rid: datetime, text: str | None) -> Occurrence:
    """Record (or correct) the minutes of one occurrence; a cancelled meeting has none."""
    occ = _override(series, rid)
    if occ.status is OccurrenceStatus.CANCELLED:
        raise ServiceError(_("A cancelled meeting has no minutes. Restore it first."), "minutes")
    minutes = _text(text)
    if occ.minutes != minutes:
        occ.minutes = minutes
        _touch(series, occ)
    db.session.flush()
    return occ


def add_minutes_document(series: MeetingSeries, rid: datetime, data: bytes, filename: str,
                         actor: Any) -> Occurrence:
    """Attach a PDF (minutes, presentation …) to one occurrence; checked and kept by core.documents."""
    occ = _override(series, rid)
    if occ.status is OccurrenceStatus.CANCELLED:
        raise ServiceError(_("A cancelled meeting has no minutes. Restore it first."), "document")
    doc = store_document(data, filename, user_id=getattr(actor, "id", None), field="document")
    occ.documents.append(doc)
    _touch(series, occ)
    db.session.flush()
    return occ


def occurrence_item(series: MeetingSeries, rid: datetime) -> Item:
    """The occurrence at `rid` as the pages show it (exception applied), from the loaded series."""
    occ = next((o for o in series.occurrences if o.recurrence_id == rid), None)
    return make_item(series, rid, occ)
