"""The public application form (no account) and its confirmation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..core.models import Unit, UnitKind
from ..core.services import ServiceError
from ..core.web import form_failed
from ..directory.models import Theme
from ..extensions import db, limiter
from ..i18n import current_language
from ..i18n import today as helsinki_today
from . import intake
from .models import ApplicationSource
from .public_forms import ApplicationForm, bot_problem, issue_token
from .views import bp

SESSION_KEY = "application_reference"  # the reference shown on the thanks page


def _submission_limit() -> str:
    """Applications (and refused bot submissions) per client address; failed validations do not count."""
    return str(current_app.config.get("APPLICATION_LIMIT_PER_ADDRESS", "5 per hour"))


def _attempt_limit() -> str:
    """Every POST of the form per client address, whatever its outcome."""
    return str(current_app.config.get("APPLICATION_ATTEMPT_LIMIT_PER_ADDRESS", "30 per hour"))


def _counted(_response: Response) -> bool:
    return bool(g.get("application_counted"))


@dataclass
class UnitGroup:
    """The units of one sanction centre (the centre first), or the national units."""

    title: str
    units: list[Unit] = field(default_factory=list)


def unit_groups() -> list[UnitGroup]:
    """Rise units valid today, grouped by the sanction centre they belong to; national units last."""
    on = helsinki_today()
    units = [u for u in db.session.scalars(select(Unit)) if (u.valid_from is None or u.valid_from <= on)
             and (u.valid_to is None or on <= u.valid_to)]
    by_id = {u.id: u for u in units}

    def centre_of(unit: Unit) -> Unit | None:
        current: Unit | None = unit
        for _hop in range(10):
            if current is None or current.kind is UnitKind.SANCTION_CENTRE:
                return current
            current = by_id.get(current.parent_id) if current.parent_id else None
        return None

    groups: dict[int | None, list[Unit]] = {}
    for unit in units:
        centre = centre_of(unit)
        groups.setdefault(centre.id if centre else None, []).append(unit)
    order = {UnitKind.SANCTION_CENTRE: 0, UnitKind.PRISON: 1, UnitKind.COMMUNITY_SANCTIONS_OFFICE: 2}
    result = []
    for centre_id in sorted((k for k in groups if k is not None), key=lambda k: by_id[k].name()):
        members = sorted(groups[centre_id], key=lambda u: (order.get(u.kind, 3), u.name()))
        result.append(UnitGroup(by_id[centre_id].name(), members))
    if None in groups:
        result.append(UnitGroup(_("National units"), sorted(groups[None], key=lambda u: u.name())))
    return result


def _set_choices(form: ApplicationForm, groups: list[UnitGroup]) -> None:
    form.units.choices = [(u.id, u.name()) for group in groups for u in group.units]
    form.themes.choices = [(t.id, t.name()) for t in sorted(db.session.scalars(select(Theme)), key=lambda t: t.name())]


def _page(form: ApplicationForm, groups: list[UnitGroup], status: int) -> ResponseReturnValue:
    return render_template("applications/apply.html", form=form, groups=groups), status


@bp.route("/applications/new", methods=["GET", "POST"])
@limiter.limit(_submission_limit, methods=["POST"], deduct_when=_counted)
@limiter.limit(_attempt_limit, methods=["POST"])
def apply() -> ResponseReturnValue:
    form = ApplicationForm()
    groups = unit_groups()
    _set_choices(form, groups)
    secret, now = str(current_app.secret_key), time.time()
    if request.method != "POST":
        form.form_token.data = issue_token(secret, now)
        return _page(form, groups, 200)
    if bot_problem(form, secret, now) is not None:
        # The same neutral answer for every signal; nothing is stored and nothing is sent. A person who was
        # merely quick gets a fresh token and can send the kept answers again.
        g.application_counted = True
        form.form_errors.append(_("The application could not be sent. Check your answers and send it again."))
        form.website.data = ""
        form.form_token.data = issue_token(secret, now)
        return _page(form, groups, 400)
    if form.validate():
        try:
            application = intake.submit_application(form.data_for_intake(), source=ApplicationSource.WEB,
                                                    language=current_language())
            intake.send_confirmation(application)
        except ServiceError as error:
            form_failed(form, error)
        else:
            db.session.commit()
            g.application_counted = True
            session[SESSION_KEY] = application.reference
            return redirect(url_for(".thanks"))
    return _page(form, groups, 400)


@bp.get("/applications/thanks")
def thanks() -> ResponseReturnValue:
    return render_template("applications/thanks.html", reference=session.get(SESSION_KEY))
