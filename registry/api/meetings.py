"""API endpoints of networks and meetings: the network list and one network, and the meetings of a date range
with the recurrence expanded (the same occurrences as the calendar pages and the iCalendar feeds)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from ..core.queries import MAX_ID
from ..directory.models import Contact, Theme
from ..extensions import db
from ..i18n import HELSINKI
from ..i18n import today as helsinki_today
from ..meetings import queries as meeting_queries
from ..meetings import rules as meeting_rules
from ..meetings.models import MeetingSeries, Network, NetworkLevel, NetworkMember
from ..meetings.occurrences import Item, items_between
from .views import BadParameter, _bool_arg, _choice_arg, _int_arg, _names, _paged, bp

MAX_WINDOW_DAYS = 2 * 366  # the widest date range /meetings expands (two years, as the calendar looks ahead)
DEFAULT_WINDOW_DAYS = 31


def _local(value: datetime) -> str:
    """A naive Helsinki wall-clock time as ISO 8601 with its UTC offset, e.g. 2026-03-10T10:00:00+02:00."""
    return value.replace(tzinfo=HELSINKI).isoformat()


def _unit(unit: Any) -> dict[str, Any] | None:
    return {"id": unit.id, "code": unit.code, "name": _names(unit)} if unit is not None else None


def network_json(network: Network) -> dict[str, Any]:
    """The API representation of a network (list form)."""
    return {
        "id": network.id, "name": _names(network), "level": network.level.value,
        "theme": {"code": network.theme.code, "name": _names(network.theme)} if network.theme else None,
        "centre": _unit(network.centre), "convenor_unit": _unit(network.convenor_unit),
        "facilitator_unit": _unit(network.facilitator_unit), "cadence": network.cadence.value,
        "cadence_note": network.cadence_note, "goals": network.goals, "active": network.active,
        "member_count": len(network.members),
        "url": url_for("meetings.network", network_id=network.id),
        "calendar_url": url_for("meetings.network_ics", network_id=network.id),
    }


def _liaison(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {"id": contact.id, "name": contact.name, "title": contact.title, "email": contact.email,
            "partner_id": contact.partner_id}


def member_json(member: NetworkMember) -> dict[str, Any]:
    """A member partner of a network with the liaison it has named."""
    return {"id": member.id, "partner": {"id": member.partner.id, "name": _names(member.partner)},
            "liaison": _liaison(member.liaison),
            "joined_on": member.joined_on.isoformat() if member.joined_on else None}


def series_json(series: MeetingSeries) -> dict[str, Any]:
    """A meeting series (or single meeting) with its RFC 5545 rule."""
    return {
        "id": series.id, "uid": series.uid, "network_id": series.network_id, "title": series.title,
        "starts_at": _local(series.starts_at), "duration_minutes": series.duration_minutes, "rrule": series.rrule,
        "rule_text": meeting_rules.describe_rrule(series.rrule), "location": series.location,
        "video_url": series.video_url, "agenda": series.agenda, "sequence": series.sequence,
        "continues_id": series.continues_id,
        "attendees": [{"id": c.id, "name": c.name, "email": c.email} for c in series.attendees],
        "url": url_for("meetings.series", series_id=series.id),
        "calendar_url": url_for("meetings.series_ics", series_id=series.id),
    }


def meeting_json(item: Item) -> dict[str, Any]:
    """One occurrence as it will happen (or was cancelled): exceptions applied, times in Helsinki time."""
    series = item.series
    return {
        "series_id": series.id, "network_id": series.network_id, "uid": series.uid, "key": item.key,
        "title": series.title, "recurrence_id": _local(item.recurrence_id), "starts_at": _local(item.starts_at),
        "ends_at": _local(item.ends_at), "status": item.status.value, "moved": item.moved,
        "location": item.location, "video_url": item.video_url, "agenda": item.agenda, "holiday": item.holiday,
        "url": url_for("meetings.occurrence", series_id=series.id, key=item.key),
        "invitation_url": url_for("meetings.occurrence_ics", series_id=series.id, key=item.key),
    }


@bp.get("/networks")
def networks() -> Response:
    theme_codes = list(db.session.scalars(select(Theme.code).order_by(Theme.code)))
    active = _bool_arg("active")
    filters = meeting_queries.NetworkFilters(
        theme=_choice_arg("theme", theme_codes),
        level=_choice_arg("level", [v.value for v in NetworkLevel]),
        centre=_choice_arg("centre", [u.code for u in meeting_queries.sanction_centres()]),
        active="" if active is None else "1" if active else "0")
    return _paged(meeting_queries.networks_query(filters), network_json)


@bp.get("/networks/<int:network_id>")
def network(network_id: int) -> Response:
    found = meeting_queries.network_for_page(network_id)
    if found is None:
        abort(404)
    series = db.session.scalars(select(MeetingSeries).where(MeetingSeries.network_id == found.id)
                                .options(selectinload(MeetingSeries.attendees))
                                .order_by(MeetingSeries.starts_at, MeetingSeries.id)).all()
    return jsonify({
        **network_json(found),
        "members": [member_json(m) for m in meeting_queries.sorted_members(found)],
        "series": [series_json(s) for s in series],
        "evaluations": [{"year": e.year, "goals_met": e.goals_met.value, "results": e.results,
                         "changes": e.changes} for e in found.evaluations],
    })


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        if len(raw) != 10:  # only the extended form YYYY-MM-DD (Python would also read 20260310)
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadParameter(_("%(name)s must be a date as YYYY-MM-DD.", name=name)) from exc


@bp.get("/meetings")
def meetings() -> Response:
    first = _date_arg("from", helsinki_today())
    last = _date_arg("to", first + timedelta(days=DEFAULT_WINDOW_DAYS))
    if last < first:
        raise BadParameter(_("%(name)s must not be before from.", name="to"))
    if (last - first).days > MAX_WINDOW_DAYS:
        raise BadParameter(_("%(name)s must be at most %(days)d days after from.", name="to", days=MAX_WINDOW_DAYS))
    network_id = _int_arg("network", 0, 1, MAX_ID)
    mine = _bool_arg("mine")
    if network_id:
        if db.session.get(Network, network_id) is None:
            raise BadParameter(_("%(name)s: there is no such network.", name="network"))
        ids: list[int] | None = [network_id]
    else:
        ids = meeting_queries.user_network_ids(current_user) if mine else None
    series = meeting_queries.calendar_series(ids)
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())  # `to` is inclusive
    include = _bool_arg("include_cancelled")
    items = items_between(series, start, end, include_cancelled=include is not False)
    return jsonify(items=[meeting_json(i) for i in items], count=len(items), **{"from": first.isoformat()},
                   to=last.isoformat(), network=network_id or None)
