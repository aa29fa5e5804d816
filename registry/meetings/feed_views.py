"""iCalendar downloads and feeds: a series, an invitation, a network, the personal feed; .ics import."""

from __future__ import annotations

import base64
import binascii
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import HiddenField

from ..auth.feed import user_by_feed_token
from ..config import LANGUAGES
from ..core.cache import cached
from ..core.models import utcnow
from ..core.queries import get_or_none
from ..extensions import db
from ..i18n import today as helsinki_today
from . import ical, ical_import, occurrences, queries, services
from .models import MeetingSeries, Network
from .views import bp

FEED_CACHE_SIZE = 256  # rendered personal feeds kept per application process
CACHE = "private, max-age=300"  # calendar programs poll; five minutes of staleness is fine, never a shared cache


def _send(data: bytes, filename: str, *, inline: bool = False) -> Response:
    """Send iCalendar bytes (text/calendar; charset=utf-8) under an ASCII file name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)[:80] or "calendar.ics"
    response = Response(data, mimetype="text/calendar")
    response.headers["Cache-Control"] = CACHE
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{safe}"'
    return response


def _network_or_404(network_id: int) -> Network:
    network = queries.network_for_page(network_id)
    if network is None:
        abort(404)
    return network


def _series_or_404(series_id: int) -> MeetingSeries:
    series = get_or_none(MeetingSeries, series_id)
    if series is None:
        abort(404)
    return series


@bp.get("/networks/<int:network_id>/calendar.ics")
def network_ics(network_id: int) -> ResponseReturnValue:
    network = _network_or_404(network_id)
    return _send(ical.network_calendar(network, now=utcnow()), f"network-{network.id}.ics")


@bp.get("/series/<int:series_id>/calendar.ics")
def series_ics(series_id: int) -> ResponseReturnValue:
    series = _series_or_404(series_id)
    return _send(ical.series_calendar(series, now=utcnow()), f"series-{series.id}.ics")


@bp.get("/series/<int:series_id>/occurrences/<key>/invitation.ics")
def occurrence_ics(series_id: int, key: str) -> ResponseReturnValue:
    series = _series_or_404(series_id)
    found = occurrences.item(series, key)
    if found is None:
        abort(404)
    return _send(ical.build_invitation(series, found, now=utcnow()), f"invitation-{series.id}-{found.key}.ics")


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str) -> ResponseReturnValue:
    # Public in the access table: the personal feed token authenticates (compared in constant time), not a
    # session cookie, so that Outlook, Google and Apple calendars can subscribe by URL.
    user = user_by_feed_token(token)
    if user is None:
        abort(404)
    language = user.locale if user.locale in LANGUAGES else "fi"
    # Calendar programs fetch the same feed again and again: it is rendered once for each state of the data
    # (core.cache), each day (the agreement deadlines depend on it) and each address the links are built for.
    key = (user.id, language, user.feed_includes_deadlines, helsinki_today(), request.host_url)

    def render() -> bytes:
        with force_locale(language):
            return ical.personal_calendar(user, now=utcnow())

    return _send(cached("personal_feed", key, render, size=FEED_CACHE_SIZE), "meetings.ics", inline=True)


# --- import ---------------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    """Step 1 uploads the file; step 2 (preview) carries its content back in a hidden field."""

    file = FileField(_l("iCalendar file (.ics)"))
    content = HiddenField()


def _content(form: ImportForm) -> bytes:
    """The uploaded file (step 1) or the content carried by the preview (step 2)."""
    if form.content.data:
        try:
            return base64.b64decode(form.content.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ical_import.ImportFileError(_("The file could not be read; upload it again.")) from exc
    storage = form.file.data
    if storage is None or not getattr(storage, "filename", ""):
        raise ical_import.ImportFileError(_("Choose an iCalendar (.ics) file."))
    return bytes(storage.stream.read(ical_import.MAX_BYTES + 1))


@bp.route("/networks/<int:network_id>/import", methods=["GET", "POST"])
def import_ics(network_id: int) -> ResponseReturnValue:
    network = _network_or_404(network_id)
    if not services.may_change(current_user, network):
        abort(403)  # outside the director's scope
    form = ImportForm()
    max_mb = ical_import.MAX_BYTES // (1024 * 1024)
    if form.validate_on_submit():
        confirm = request.form.get("step") == "import"
        try:
            data = _content(form)
            found = ical_import.parse_ics(data)  # checked again on confirmation: the content came from the client
            if confirm:
                created = ical_import.import_series(network, found, current_user._get_current_object())
                db.session.commit()
                flash(_("Meetings imported: %(n)d.", n=len(created)), "success")
                return redirect(url_for("meetings.network", network_id=network.id))
        except ical_import.ImportFileError as error:
            db.session.rollback()  # nothing half-imported
            network = _network_or_404(network_id)
            form.file.errors = [*form.file.errors, error.message]
        else:
            form.content.data = base64.b64encode(data).decode()
            return render_template("meetings/import_preview.html", form=form, network=network, found=found)
    form.content.data = ""
    page = render_template("meetings/import.html", form=form, network=network, max_mb=max_mb)
    return page, 400 if form.errors else 200
