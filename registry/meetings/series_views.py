"""Meeting series and single occurrences: plan, edit, cancel, move, agenda, minutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date as babel_format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from ..core.access import allowed
from ..core.documents import send_document
from ..core.models import Document
from ..core.queries import MAX_ID
from ..core.services import ServiceError
from ..core.web import form_failed
from ..directory.models import Contact
from ..extensions import db
from ..i18n import current_language, format_datetime
from . import rules, series_services, services
from .models import MeetingSeries, Network, Occurrence
from .occurrences import Item, item, items_between
from .series_forms import HOLIDAY_LABELS, AgendaForm, FieldError, MinutesForm, MoveForm, SeriesForm, holiday_choices
from .views import bp

UPCOMING = 12  # next occurrences on the series page and in the planner's preview
PAST = 20
PAST_DAYS = 5 * 366
UPCOMING_DAYS = (UPCOMING + 1) * 366  # a yearly series' next twelve meetings too
MAX_CONTACT_CHOICES = 2000
OCCURRENCE = "/series/<int:series_id>/occurrences/<key>"


def _when(starts_at: datetime, ends_at: datetime | None = None) -> str:
    """A meeting's time in the UI language, e.g. "tiistai 10.3.2026 10.00–11.30" (Helsinki time)."""
    text = f"{babel_format_date(starts_at.date(), 'EEEE')} {format_datetime(starts_at)}"
    if ends_at is not None:
        sep = "." if current_language() == "fi" else ":"
        end = f"{ends_at.hour:02d}{sep}{ends_at.minute:02d}"
        text += f"–{end}" if ends_at.date() == starts_at.date() else f" – {format_datetime(ends_at)}"
    return text


@bp.context_processor
def _series_helpers() -> dict[str, Any]:
    return {"meeting_when": _when, "describe_rrule": rules.describe_rrule, "HOLIDAY_LABELS": HOLIDAY_LABELS,
            "occurrence_key": rules.occurrence_key}


def _series_or_404(series_id: int) -> MeetingSeries:
    found = db.session.scalar(
        select(MeetingSeries).where(MeetingSeries.id == series_id)
        .options(selectinload(MeetingSeries.attendees).selectinload(Contact.partner),
                 selectinload(MeetingSeries.attendees).selectinload(Contact.unit),
                 selectinload(MeetingSeries.occurrences).selectinload(Occurrence.documents),
                 selectinload(MeetingSeries.organizer))) if 0 < series_id <= MAX_ID else None
    if found is None:
        abort(404)
    return found


def _item_or_404(series: MeetingSeries, key: str) -> Item:
    found = item(series, key)
    if found is None:
        abort(404)
    return found


def _require_change(network: Network) -> None:
    if not services.may_change(current_user, network):
        abort(403)  # outside the director's scope


def _may_change(network: Network) -> bool:
    return allowed("meetings.series_edit", current_user) and services.may_change(current_user, network)


def _now() -> datetime:
    return services.local_now()


def _ics(endpoint: str) -> bool:
    """Whether the iCalendar endpoint is registered (the feed pages are their own module)."""
    return endpoint in current_app.view_functions


# --- the series page ------------------------------------------------------------------------------


@bp.get("/series/<int:series_id>", endpoint="series")
def series_page(series_id: int) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    now = _now()
    upcoming = items_between([found], now, now + timedelta(days=UPCOMING_DAYS))[:UPCOMING]
    past = list(reversed(items_between([found], now - timedelta(days=PAST_DAYS), now)))[:PAST]
    continues = db.session.get(MeetingSeries, found.continues_id) if found.continues_id else None
    continued_by = db.session.scalars(select(MeetingSeries).where(MeetingSeries.continues_id == found.id)).all()
    return render_template("meetings/series_detail.html", series=found, network=found.network, upcoming=upcoming,
                           past=past, may_change=_may_change(found.network), continues=continues,
                           continued_by=continued_by, series_ics=_ics("meetings.series_ics"),
                           occurrence_ics=_ics("meetings.occurrence_ics"))


# --- plan and edit a series -----------------------------------------------------------------------


def _attendee_choices(form: SeriesForm, network: Network, current: list[Contact]) -> dict[int, Contact]:
    """Fill the two attendee lists: members' liaisons (and other partner contacts already invited), and Rise
    contacts; returns every choosable contact by id."""
    liaisons = {c.id: c for c in series_services.member_liaisons(network)}
    for contact in current:
        if contact.unit_id is None:
            liaisons.setdefault(contact.id, contact)
    rise = {c.id: c for c in db.session.scalars(
        select(Contact).where(Contact.unit_id.is_not(None), Contact.active.is_(True))
        .options(selectinload(Contact.unit)).order_by(Contact.name, Contact.id).limit(MAX_CONTACT_CHOICES))}
    for contact in current:
        if contact.unit_id is not None:
            rise.setdefault(contact.id, contact)
    form.liaisons.choices = [SelectChoice(c.id, f"{c.name} ({c.organisation})" if c.organisation else c.name)
                             for c in sorted(liaisons.values(), key=lambda c: (c.name, c.id))]
    form.contacts.choices = [SelectChoice(c.id, f"{c.name} ({c.unit})" if c.unit else c.name)
                             for c in sorted(rise.values(), key=lambda c: (c.name, c.id))]
    return {**liaisons, **rise}


def _fill(form: SeriesForm, values: dict[str, Any]) -> None:
    """Show stored values (a series, or the onwards defaults) in the form."""
    form.title.data = values["title"]
    form.duration_minutes.data = values["duration_minutes"]
    form.location.data, form.video_url.data = values["location"], values["video_url"]
    form.agenda.data = values["agenda"]
    form.show(values["starts_at"], values["rrule"])
    ids = [c.id for c in values["attendees"]]
    liaison_ids = {c.value for c in form.liaisons.choices or ()}
    form.liaisons.data = [i for i in ids if i in liaison_ids]
    form.contacts.data = [i for i in ids if i not in liaison_ids]


def _values(series: MeetingSeries) -> dict[str, Any]:
    return {"title": series.title, "starts_at": series.starts_at, "duration_minutes": series.duration_minutes,
            "rrule": series.rrule, "location": series.location, "video_url": series.video_url,
            "agenda": series.agenda, "attendees": list(series.attendees)}


def _data(form: SeriesForm, contacts: dict[int, Contact]) -> dict[str, Any] | None:
    """The service's data from a valid form, or None with the editor's error on its field."""
    try:
        rrule = form.rrule()
    except FieldError as error:
        getattr(form, error.field).errors.append(error.message)
        return None
    chosen = [*(form.liaisons.data or []), *(form.contacts.data or [])]
    return {"title": form.title.data, "starts_at": form.starts_at(), "duration_minutes": form.duration_minutes.data,
            "rrule": rrule, "location": form.location.data, "video_url": form.video_url.data,
            "agenda": form.agenda.data, "attendees": [contacts[i] for i in dict.fromkeys(chosen) if i in contacts],
            "holidays": holiday_choices(request.form)}


def _planner(data: dict[str, Any], series: MeetingSeries | None) -> dict[str, Any]:
    """The preview: the next occurrences with their holidays, and the holidays to decide on (skip / move)."""
    language = current_language()
    since = _now() if series is not None else None  # an edit plans the meetings ahead
    preview = series_services.preview(data, UPCOMING, language, since)
    first = series_services.preview(data, 1, language)[0][0]
    start = max(first, since) if since is not None else first
    horizon = start + timedelta(days=series_services.HOLIDAY_HORIZON_DAYS)
    handled = {o.recurrence_id: o for o in series.occurrences} if series is not None else {}
    conflicts = [(when, name) for when, name in series_services.holiday_conflicts(first, data["rrule"], horizon,
                                                                                   language) if when >= start]
    chosen = {rules.occurrence_key(k): v for k, v in (data.get("holidays") or {}).items()}
    return {"preview": preview, "conflicts": conflicts, "handled": handled, "chosen": chosen,
            "moved_to": {when: rules.moved_to_working_day(when) for when, _name in conflicts}}


def _saved_message(result: series_services.SaveResult) -> None:
    flash(_("The meeting series %(title)s was saved.", title=result.series.title), "success")
    if result.skipped or result.moved:
        flash(_("Public holidays: %(skipped)d meetings skipped, %(moved)d moved to the next working day.",
                skipped=len(result.skipped), moved=len(result.moved)), "success")
    if result.dropped:
        dates = ", ".join(_when(d) for d in result.dropped)
        flash(_("The new rule no longer has meetings at %(dates)s; their cancellations or moves were removed.",
                dates=dates), "error")


def _custom_rule(text: str) -> bool:
    """Whether a stored rule is one the editor cannot show (e.g. imported before the editor knew it)."""
    try:
        rules.from_rrule(text)
    except ValueError:
        return True
    return False


def _form_page(network: Network, series: MeetingSeries | None, rid: datetime | None = None) -> ResponseReturnValue:
    """Plan a new series, edit one, or change one from the occurrence `rid` on (`onwards`)."""
    _require_change(network)
    form = SeriesForm()
    contacts = _attendee_choices(form, network, list(series.attendees) if series is not None else [])
    if request.method == "GET":
        if series is None:
            form.agenda.data = series_services.agenda_template(network)
            form.liaisons.data = [c.id for c in series_services.member_liaisons(network)]
            form.start_time.data = datetime(2000, 1, 1, 10, 0).time()
        else:
            _fill(form, series_services.onwards_defaults(series, rid) if rid is not None else _values(series))
    planner: dict[str, Any] | None = None
    if request.method == "POST" and form.validate():
        data = _data(form, contacts)
        if data is not None and form.preview.data:
            try:
                planner = _planner(data, series)
            except ServiceError as error:
                form_failed(form, error)
        elif data is not None:
            try:
                if series is None:
                    result = series_services.create_series(network, data, current_user)
                elif rid is not None:
                    result = series_services.split_onwards(series, rid, data, current_user)
                else:
                    result = series_services.update_series(series, data, current_user)
                db.session.commit()
                _saved_message(result)
                return redirect(url_for("meetings.series", series_id=result.series.id))
            except ServiceError as error:
                form_failed(form, error)
    custom = series is not None and series.rrule is not None and _custom_rule(series.rrule)
    page = render_template("meetings/series_form.html", form=form, network=network, series=series, rid=rid,
                           planner=planner, custom_rule=series.rrule if custom and series is not None else None)
    return page, 400 if form.errors or form.form_errors else 200


@bp.route("/networks/<int:network_id>/series/new", methods=["GET", "POST"])
def series_new(network_id: int) -> ResponseReturnValue:
    network = db.session.get(Network, network_id) if 0 < network_id <= MAX_ID else None
    if network is None:
        abort(404)
    return _form_page(network, None)


@bp.route("/series/<int:series_id>/edit", methods=["GET", "POST"])
def series_edit(series_id: int) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    return _form_page(found.network, found)


@bp.route(OCCURRENCE + "/onwards", methods=["GET", "POST"])
def series_onwards(series_id: int, key: str) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    one = _item_or_404(found, key)
    if found.rrule is None:
        abort(404)  # a single meeting has no "from this on"
    return _form_page(found.network, found, one.recurrence_id)


# --- one occurrence -------------------------------------------------------------------------------


def _occurrence_page(found: MeetingSeries, one: Item, **forms: Any) -> ResponseReturnValue:
    may_change = _may_change(found.network)
    page = render_template("meetings/occurrence.html", series=found, network=found.network, item=one,
                           may_change=may_change, now=_now(), occurrence_ics=_ics("meetings.occurrence_ics"),
                           **forms)
    return page, 400 if any(f.errors or f.form_errors for f in forms.values()) else 200


@bp.get(OCCURRENCE)
def occurrence(series_id: int, key: str) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    return _occurrence_page(found, _item_or_404(found, key))


def _changed(found: MeetingSeries, one: Item, message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("meetings.occurrence", series_id=found.id, key=one.key))


def _refused(found: MeetingSeries, one: Item, error: ServiceError) -> ResponseReturnValue:
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for("meetings.occurrence", series_id=found.id, key=one.key))


@bp.post(OCCURRENCE + "/cancel")
def occurrence_cancel(series_id: int, key: str) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    one = _item_or_404(found, key)
    _require_change(found.network)
    series_services.cancel_occurrence(found, one.recurrence_id)
    return _changed(found, one, _("The meeting of %(when)s was cancelled.", when=_when(one.starts_at)))


@bp.post(OCCURRENCE + "/restore")
def occurrence_restore(series_id: int, key: str) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    one = _item_or_404(found, key)
    _require_change(found.network)
    try:
        series_services.restore_occurrence(found, one.recurrence_id)
    except ServiceError as error:
        return _refused(found, one, error)
    return _changed(found, one, _("The meeting of %(when)s will be held again.", when=_when(one.starts_at)))


@bp.route(OCCURRENCE + "/move", methods=["GET", "POST"])
def occurrence_move(series_id: int, key: str) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    one = _item_or_404(found, key)
    _require_change(found.network)
    form = MoveForm()
    if request.method == "GET":
        form.start_date.data, form.start_time.data = one.starts_at.date(), one.starts_at.time()
        form.duration_minutes.data = int((one.ends_at - one.starts_at).total_seconds() // 60)
        form.location.data, form.video_url.data = one.location, one.video_url
    if form.validate_on_submit():
        try:
            series_services.move_occurrence(found, one.recurrence_id, {
                "starts_at": form.starts_at(), "duration_minutes": form.duration_minutes.data,
                "location": form.location.data, "video_url": form.video_url.data})
            moved = _when(form.starts_at())
            return _changed(found, one, _("The meeting was moved to %(when)s.", when=moved))
        except ServiceError as error:
            form_failed(form, error)
    page = render_template("meetings/occurrence_move.html", series=found, network=found.network, item=one,
                           form=form)
    return page, 400 if form.errors or form.form_errors else 200


@bp.route(OCCURRENCE + "/agenda", methods=["GET", "POST"])
def occurrence_agenda(series_id: int, key: str) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    one = _item_or_404(found, key)
    _require_change(found.network)
    form = AgendaForm()
    if request.method == "GET":
        form.agenda.data = one.agenda
    if form.validate_on_submit():
        try:
            series_services.set_occurrence_agenda(found, one.recurrence_id, form.agenda.data)
            return _changed(found, one, _("The agenda was saved."))
        except ServiceError as error:
            form_failed(form, error)
    page = render_template("meetings/occurrence_agenda.html", series=found, network=found.network, item=one,
                           form=form)
    return page, 400 if form.errors or form.form_errors else 200


@bp.route(OCCURRENCE + "/minutes", methods=["GET", "POST"])
def occurrence_minutes(series_id: int, key: str) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    one = _item_or_404(found, key)
    _require_change(found.network)
    form = MinutesForm()
    if request.method == "GET":
        form.minutes.data = one.minutes
    if form.validate_on_submit():
        try:
            series_services.record_minutes(found, one.recurrence_id, form.minutes.data)
            upload = form.document.data
            if isinstance(upload, FileStorage) and upload.filename:
                series_services.add_minutes_document(found, one.recurrence_id, upload.read(), upload.filename,
                                                     current_user)
            return _changed(found, one, _("The minutes were saved."))
        except ServiceError as error:
            form_failed(form, error)
    page = render_template("meetings/occurrence_minutes.html", series=found, network=found.network, item=one,
                           form=form)
    return page, 400 if form.errors or form.form_errors else 200


@bp.get(OCCURRENCE + "/documents/<int:document_id>")
def occurrence_document(series_id: int, key: str, document_id: int) -> ResponseReturnValue:
    found = _series_or_404(series_id)
    one = _item_or_404(found, key)
    docs = one.override.documents if one.override is not None else []
    doc: Document | None = next((d for d in docs if d.id == document_id), None)
    if doc is None:
        abort(404)  # only a document of this occurrence, through this occurrence (no IDOR)
    return send_document(doc)
