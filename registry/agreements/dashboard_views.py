"""The director's agreement dashboard, the coverage matrix and the personal deadlines calendar feed."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.feed import user_by_feed_token
from ..config import LANGUAGES
from ..core.models import utcnow
from ..core.pagination import page_number
from ..i18n import today as helsinki_today
from . import calendar, coverage, dashboard, rules, timeline
from .models import STATUS_LABELS
from .views import bp


def list_labels() -> dict[str, str]:
    """The heading of each dashboard list."""
    labels = {f"expiring_{days}": _("Ending within %(days)d days", days=days) for days in rules.EXPIRING_WINDOWS}
    labels.update({
        "notice": _("Notice deadlines within %(days)d days", days=dashboard.DEADLINE_DAYS),
        "decision": _("Decision deadlines within %(days)d days", days=dashboard.DEADLINE_DAYS),
        "review": _("Reviews due within %(days)d days", days=dashboard.DEADLINE_DAYS),
        "no_liaison": _("In force without a liaison"),
        "stalled": _("Drafts without progress for %(days)d days", days=rules.STALLED_AFTER_DAYS),
    })
    return labels


def date_labels() -> dict[str, str]:
    """The heading of each list's date column."""
    labels = {f"expiring_{days}": _("Valid until") for days in rules.EXPIRING_WINDOWS}
    labels.update({"notice": _("Notice deadline"), "decision": _("Decision deadline"), "review": _("Review date"),
                   "no_liaison": _("Liaison missing"), "stalled": _("Status unchanged since")})
    return labels


@bp.context_processor
def _dashboard_labels() -> dict[str, Any]:
    return {"STATUS_LABELS": STATUS_LABELS, "COVERAGE_LABELS": {
        coverage.MISSING: _("Missing"), coverage.PREPARING: _("In preparation"), coverage.IN_FORCE: _("In force"),
        coverage.EXPIRING: _("Expiring")}, "SIDE_NAMES": {"rise": _("Rise liaison"),
                                                          "partner": _("Partner liaison")}}


@bp.get("/dashboard", endpoint="dashboard")
def dashboard_page() -> ResponseReturnValue:
    user = current_user._get_current_object()
    today = helsinki_today()
    scope = dashboard.user_scope(user)
    key = request.args.get("list", "")[:20]
    if key in dashboard.LIST_KEYS:
        full = dashboard.attention_page(scope, key, today, page_number(), current_app.config["PAGE_SIZE"])
        return render_template("agreements/dashboard.html", scope=scope, user=user, key=key, full=full, lists=[],
                               timeline=None, labels=list_labels(), date_labels=date_labels(), today=today)
    return render_template("agreements/dashboard.html", scope=scope, user=user, key="", full=None,
                           lists=dashboard.attention(scope, today), timeline=timeline.timeline(scope, today),
                           labels=list_labels(), date_labels=date_labels(), today=today)


@bp.get("/coverage", endpoint="coverage")
def coverage_page() -> ResponseReturnValue:
    user = current_user._get_current_object()
    own = dashboard.own_centre_id(user) if user.has_role("director") else None
    return render_template("agreements/coverage.html", cov=coverage.coverage(helsinki_today(), own),
                           own=own, admin=user.has_role("admin"), soon=coverage.EXPIRING_SOON)


@bp.get("/deadlines.ics")
def deadlines_ics() -> ResponseReturnValue:
    # Public in the access table: the personal feed token authenticates, not a session cookie.
    user = user_by_feed_token(request.args.get("token", ""))
    if user is None:
        abort(404)
    today = helsinki_today()
    with force_locale(user.locale if user.locale in LANGUAGES else "fi"):
        data = calendar.build_deadlines_calendar(
            calendar.feed_agreements(dashboard.user_scope(user), today), now=utcnow(),
            name=_("Agreement deadlines: %(name)s", name=user.name))
    response = Response(data, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private"
    response.headers["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response
