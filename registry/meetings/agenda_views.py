"""The calendar pages: upcoming meetings as an agenda list and a month view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import get_day_names
from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date as babel_format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..core.access import allowed
from ..core.cache import cached
from ..core.queries import MAX_ID
from ..i18n import current_language
from ..i18n import today as helsinki_today
from . import month as grid
from . import queries
from .forms import RangeForm
from .occurrences import items_between
from .views import bp

KEY_PLACEHOLDER = "KEY0PLACEHOLDER"  # occurrence keys are digits and a T: this cannot occur in an address
LIST_DAYS = 90  # the agenda list's default range (DESIGN: "upcoming meetings")
MAX_LIST_DAYS = 366
MONTH_CACHE_SIZE = 128  # month grids kept per application process


def _weekday_names() -> list[tuple[str, str]]:
    """(full, abbreviated) weekday names in the UI language, Monday first."""
    locale = get_locale() or "fi"
    wide = get_day_names("wide", context="stand-alone", locale=locale)
    short = get_day_names("abbreviated", context="stand-alone", locale=locale)
    return [(str(wide[i]), str(short[i])) for i in range(7)]


def _month_title(month: grid.Month) -> str:
    """The month and year in the UI language, e.g. "March 2026" or "maaliskuu 2026"."""
    return babel_format_date(month.first, "LLLL y")


def _occurrence_link() -> Callable[[int, str], str] | None:
    """A fast builder of occurrence page addresses (one `url_for`, not one per meeting); None when the user may
    not open those pages."""
    if not allowed("meetings.occurrence", current_user):
        return None
    pattern = url_for("meetings.occurrence", series_id=MAX_ID, key=KEY_PLACEHOLDER)
    head, _sep, tail = pattern.partition(str(MAX_ID))
    before_key, _sep, after_key = tail.partition(KEY_PLACEHOLDER)
    return lambda series_id, key: f"{head}{series_id}{before_key}{key}{after_key}"


def _selection() -> tuple[str, int | None, list[int] | None, list[tuple[int, str]]]:
    """The scope ("mine" or "all"), the chosen network, the network ids whose meetings are shown (None: all)
    and the choices of the network filter."""
    scope = "all" if request.args.get("scope") == "all" else "mine"
    raw = request.args.get("network", "")
    network_id = int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ID else None
    mine = queries.user_network_ids(current_user) if scope == "mine" else None
    choices = queries.network_choices(mine)
    if network_id is not None:
        shown: list[int] | None = [network_id]
    else:
        shown = mine
    return scope, network_id, shown, choices


def _list_range(today: date) -> tuple[RangeForm, date, date]:
    """The agenda list's range from the form (defaults: today and 90 days on); errors stay on the form."""
    form = RangeForm(formdata=request.args)
    valid = form.validate()
    first = form.date_from.data if valid and form.date_from.data else today
    last = form.date_to.data if valid and form.date_to.data else first + timedelta(days=LIST_DAYS)
    if last < first:
        form.date_to.errors = [_("The end must not be before the start.")]
        first, last = today, today + timedelta(days=LIST_DAYS)
    elif (last - first).days > MAX_LIST_DAYS:
        form.date_to.errors = [_("Show at most a year at a time.")]
        last = first + timedelta(days=MAX_LIST_DAYS)
    return form, first, last


def _count_within(items: list[Any], start: datetime, end: datetime) -> int:
    return sum(1 for i in items if start <= i.starts_at < end)


def _month_entries(month: grid.Month, shown: list[int] | None) -> tuple[list[grid.Entry], int]:
    """The month grid's meetings (formatted, linked) and how many fall in the month itself; computed once for
    each state of the data, selection, month and language (core.cache)."""
    link = _occurrence_link()
    language = current_language()

    def compute() -> tuple[list[grid.Entry], int]:
        first, last = grid.grid_range(month)
        start, end = grid.window(first, last)
        # The month view shows no networks: loading a thousand of them costs time.
        items = items_between(queries.calendar_series(shown, with_network=False, before=end), start, end)
        separator = "." if language == "fi" else ":"
        entries = [grid.entry(i, link(i.series.id, i.key) if link else None, separator) for i in items]
        return entries, _count_within(items, *grid.window(month.first, month.last))

    key = (tuple(shown) if shown is not None else None, month.year, month.month, language, link is not None,
           request.script_root)
    return cached("calendar_month", key, compute, size=MONTH_CACHE_SIZE)


@bp.get("/meetings/")
def calendar() -> ResponseReturnValue:
    today = helsinki_today()
    view = "month" if request.args.get("view") == "month" else "list"
    scope, network_id, shown, choices = _selection()
    context: dict[str, Any] = {"view": view, "scope": scope, "network_id": network_id, "choices": choices,
                               "month_error": None,
                               "today": today, "has_networks": shown is None or bool(shown)}
    failed = False
    if view == "month":
        month = grid.parse_month(request.args.get("month"), today)
        if month is None:
            failed = True
            context["month_error"] = _("Give the month as year and month, e.g. 2026-03.")
            month = grid.Month(today.year, today.month)
        entries, count = _month_entries(month, shown)
        context.update(month=month, month_title=_month_title(month), weeks=grid.month_grid(month, entries, today),
                       weekdays=_weekday_names(), count=count)
        template = "meetings/calendar_month.html"
    else:
        form, first, last = _list_range(today)
        failed = bool(form.errors)
        start, end = grid.window(first, last)
        items = items_between(queries.calendar_series(shown, before=end), start, end)
        context.update(form=form, first=first, last=last, days=grid.agenda_days(items), count=len(items),
                       weekdays=_weekday_names())
        template = "meetings/calendar_list.html"
    return render_template(template, **context), 400 if failed else 200
