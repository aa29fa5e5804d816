"""The deadlines calendar (iCalendar, RFC 5545), subscribed to with the personal feed token of
`registry.auth.feed` (no session cookie); its events also go into the personal meetings feed.

Each deadline of an agreement in force (its end, the notice and decision deadlines, the next review) is an
all-day event whose UID names the agreement and the kind of deadline only, so a calendar updates the event
in place when the date moves. All text goes through the `icalendar` library, which escapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from ..core.models import User
from ..extensions import db
from ..i18n import HELSINKI, format_date
from .dashboard import Scope, agreement_deadlines, find_deadlines, scope_condition, user_scope
from .models import STATUS_LABELS, Agreement

PRODID = "-//Rise//Cooperation registry agreements//FI"
FEED_PAST_DAYS = 90  # deadlines this far back stay in the feed (a calendar would otherwise drop them at once)
FEED_FUTURE_DAYS = 3 * 366
DEADLINE_LABELS = {
    "expiry": _l("End of validity"),
    "notice": _l("Notice deadline"),
    "decision": _l("Decision deadline"),
    "review": _l("Agreement review"),
}


# --- the calendar ---------------------------------------------------------------------------------


def feed_agreements(scope: Scope, today: date) -> list[Agreement]:
    """The scope's agreements with a deadline from FEED_PAST_DAYS ago to FEED_FUTURE_DAYS ahead."""
    if scope.empty:
        return []
    found = find_deadlines(scope_condition(scope), today - timedelta(days=FEED_PAST_DAYS),
                           today + timedelta(days=FEED_FUTURE_DAYS), today)
    ids = list(dict.fromkeys(d.agreement_id for d in found))
    if not ids:
        return []
    return list(db.session.scalars(select(Agreement).where(Agreement.id.in_(ids))
                                   .options(selectinload(Agreement.owner_unit)).order_by(Agreement.id)))


def _agreement_url(agreement_id: int) -> str:
    if not has_request_context():
        return ""
    try:
        return url_for("agreements.detail", agreement_id=agreement_id, _external=True)
    except BuildError:  # the agreement pages are not available in this installation
        return ""


def _description(agreement: Agreement, kind: str, on: date) -> str:
    lines = [agreement.name(), f"{DEADLINE_LABELS[kind]}: {format_date(on)}",
             f"{_('Status')}: {STATUS_LABELS[agreement.status]}"]
    if agreement.valid_until:
        lines.append(f"{_('Valid until')}: {format_date(agreement.valid_until)}")
    if agreement.owner_unit is not None:
        lines.append(f"{_('Owner unit')}: {agreement.owner_unit.name()}")
    if agreement.dnro:
        lines.append(f"{_('Diary number')}: {agreement.dnro}")
    return "\n".join(lines)


def deadline_events(agreements: Sequence[Agreement], *, now: datetime,
                    link: Callable[[int], str] = _agreement_url) -> list[Event]:
    """An all-day VEVENT for each deadline of these agreements (in the current language); `link` gives the
    address of an agreement's page."""
    today = now.astimezone(HELSINKI).date()
    by_id = {a.id: a for a in agreements}
    events = []
    for deadline in agreement_deadlines(agreements, today):
        agreement = by_id[deadline.agreement_id]
        event = Event()
        event.add("uid", f"agreement-{agreement.id}-{deadline.kind}@registry")
        event.add("dtstamp", now)
        event.add("dtstart", deadline.on)
        event.add("dtend", deadline.on + timedelta(days=1))
        event.add("summary", f"{DEADLINE_LABELS[deadline.kind]}: {agreement.name()}")
        event.add("description", _description(agreement, deadline.kind, deadline.on))
        event.add("transp", "TRANSPARENT")
        url = link(agreement.id)
        if url:
            event.add("url", url)
        events.append(event)
    return events


def user_deadline_events(user: User, *, now: datetime,
                         link: Callable[[int], str] = _agreement_url) -> list[Event]:
    """The deadline events of the agreements the user is responsible for (what the deadlines feed shows)."""
    return deadline_events(feed_agreements(user_scope(user), now.astimezone(HELSINKI).date()), now=now, link=link)


def build_deadlines_calendar(agreements: Sequence[Agreement], *, now: datetime, name: str,
                             link: Callable[[int], str] = _agreement_url) -> bytes:
    """An iCalendar file with an all-day event for each deadline of these agreements (in the current
    language); `link` gives the address of an agreement's page."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Helsinki")
    for event in deadline_events(agreements, now=now, link=link):
        calendar.add_component(event)
    return calendar.to_ical()
