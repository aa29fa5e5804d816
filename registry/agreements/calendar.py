"""The deadlines calendar (iCalendar, RFC 5545), subscribed to with the personal feed token of
`registry.auth.feed` (no session cookie); its events also go into the personal meetings feed.

Each deadline of an agreement in force (its end, the notice and decision deadlines, the next review) is an
all-day event whose UID names the agreement and the kind of deadline only, so a calendar updates the event
in place when the date moves. The events are written as content lines by `core.ics`, which escapes all text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from ..core.ics import date_text, document, line, text_line, utc_time
from ..core.models import User
from ..extensions import db
from ..i18n import HELSINKI, current_language, format_date
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


def agreement_urls() -> Callable[[int], str]:
    """The address of an agreement's page by its id; the URL pattern is built once, not per event."""
    if not has_request_context():
        return lambda _agreement_id: ""
    marker = "987654321"
    try:
        head, _m, tail = url_for("agreements.detail", agreement_id=int(marker), _external=True).rpartition(marker)
    except BuildError:  # the agreement pages are not available in this installation
        return lambda _agreement_id: ""
    return lambda agreement_id: f"{head}{agreement_id}{tail}"


def deadline_events(agreements: Sequence[Agreement], *, now: datetime,
                    link: Callable[[int], str] | None = None) -> list[list[bytes]]:
    """The content lines of an all-day VEVENT for each deadline of these agreements (in the current language);
    `link` gives the address of an agreement's page. What every event shares is translated once."""
    today = now.astimezone(HELSINKI).date()
    language = current_language()
    link = link or agreement_urls()
    stamp = line("DTSTAMP", utc_time(now.replace(microsecond=0)))
    kinds = {kind: str(label) for kind, label in DEADLINE_LABELS.items()}
    statuses = {status: str(label) for status, label in STATUS_LABELS.items()}
    status_word, until_word, owner_word, dnro_word = _("Status"), _("Valid until"), _("Owner unit"), _("Diary number")
    by_id = {a.id: a for a in agreements}
    events = []
    for deadline in agreement_deadlines(agreements, today):
        agreement = by_id[deadline.agreement_id]
        name, kind = agreement.name(language), kinds[deadline.kind]
        text = [name, f"{kind}: {format_date(deadline.on)}", f"{status_word}: {statuses[agreement.status]}"]
        if agreement.valid_until:
            text.append(f"{until_word}: {format_date(agreement.valid_until)}")
        if agreement.owner_unit is not None:
            text.append(f"{owner_word}: {agreement.owner_unit.name(language)}")
        if agreement.dnro:
            text.append(f"{dnro_word}: {agreement.dnro}")
        event = [b"BEGIN:VEVENT", text_line("UID", f"agreement-{agreement.id}-{deadline.kind}@registry"), stamp,
                 line("DTSTART;VALUE=DATE", date_text(deadline.on)),
                 line("DTEND;VALUE=DATE", date_text(deadline.on + timedelta(days=1))),
                 text_line("SUMMARY", f"{kind}: {name}"), text_line("DESCRIPTION", "\n".join(text)),
                 b"TRANSP:TRANSPARENT"]
        url = link(agreement.id)
        if url:
            event.append(line("URL", url))
        event.append(b"END:VEVENT")
        events.append(event)
    return events


def user_deadline_events(user: User, *, now: datetime,
                         link: Callable[[int], str] | None = None) -> list[list[bytes]]:
    """The deadline events of the agreements the user is responsible for (what the deadlines feed shows)."""
    return deadline_events(feed_agreements(user_scope(user), now.astimezone(HELSINKI).date()), now=now, link=link)


def build_deadlines_calendar(agreements: Sequence[Agreement], *, now: datetime, name: str,
                             link: Callable[[int], str] | None = None) -> bytes:
    """An iCalendar file with an all-day event for each deadline of these agreements (in the current
    language); `link` gives the address of an agreement's page."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Helsinki")
    return document(calendar, deadline_events(agreements, now=now, link=link))
