"""Dashboard, language switch and health check."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..agreements.dashboard import director_summary
from ..applications.portfolio import dashboard_panel as portfolio_panel
from ..applications.queries import working_group_panel
from ..auth.views import safe_next
from ..config import LANGUAGES
from ..directory.currency import own_centre_stale
from ..extensions import db
from ..i18n import today as helsinki_today
from ..meetings.queries import next_meetings
from ..meetings.services import local_now
from . import queries
from .models import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("main", __name__)

# What each role is for, shown on the dashboard (later capabilities add their own panels).
ROLE_DESCRIPTIONS = {
    "staff": _l("Find partners, contact persons, agreements, networks and meetings."),
    "director": _l("Keep the agreements, networks, meetings and liaisons of your unit and its sub-units current, "
                   "and record unit-director decisions."),
    "working_group": _l("Process project-partnership applications: reviews, statements and portfolio follow-up."),
    "coordinator": _l("Record experts by experience and outside workers, their security clearances and "
                      "eligibility assessments."),
    "admin": _l("Manage users and roles, organisational units and wellbeing services counties, and read the "
                "audit log."),
}
ROLE_NAMES = {
    "staff": _l("Staff"),
    "director": _l("Director"),
    "working_group": _l("Project-partnership working group"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}


@bp.app_context_processor
def _role_names() -> dict[str, object]:
    return {"ROLE_NAMES": ROLE_NAMES}


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    # For load balancers and monitoring: the process answers and its database does.
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: the database does not answer")
        return jsonify(status="unavailable", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    user = current_user._get_current_object()
    access_attention = None
    if user.has_role("coordinator", "director"):
        from ..access.assignments import attention

        access_attention = attention(user)
    return render_template("core/dashboard.html", user=user, descriptions=ROLE_DESCRIPTIONS,
                           admin_summary=queries.admin_summary() if user.has_role("admin") else None,
                           stale=own_centre_stale(user, utcnow()), access_attention=access_attention,
                           agreement_lists=director_summary(user, helsinki_today()),
                           next_meetings=next_meetings(user, local_now()),
                           follow_up_panel=portfolio_panel(user, helsinki_today()),
                           application_panel=working_group_panel(user) if user.has_role("working_group") else None)


@bp.post("/language")
def set_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))
