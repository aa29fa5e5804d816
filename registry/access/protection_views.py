"""Protection pages: data-subject exports, records past their retention date, the policy-parameter versions."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..core import audit
from ..core.pagination import paginate
from ..core.services import ServiceError
from ..core.web import form_failed
from ..extensions import db
from ..i18n import current_language
from ..i18n import today as helsinki_today
from . import exports, protection
from .models import Person
from .protection_forms import EraseForm, ParametersForm
from .views import bp


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: no copies in shared caches
    return response


# --- data-subject access requests (GDPR art. 15) ------------------------------------------------------


@bp.get("/<int:person_id>/export.json")
def person_export_json(person_id: int) -> ResponseReturnValue:
    person = protection.require_visible(person_id)
    data = exports.build_person_json(person)
    audit.record("export", person, note="json")
    db.session.commit()
    return _attachment(data, "application/json", f"person-{person.id}.json")


@bp.get("/<int:person_id>/export.pdf")
def person_export_pdf(person_id: int) -> ResponseReturnValue:
    person = protection.require_visible(person_id)
    data = exports.build_person_pdf(person, current_language())
    audit.record("export", person, note="pdf")
    db.session.commit()
    return _attachment(data, "application/pdf", f"person-{person.id}.pdf")


# --- retention ------------------------------------------------------------------------------------


def _retention_page(form: EraseForm, status: int = 200) -> ResponseReturnValue:
    today = helsinki_today()
    stmt = (select(Person).where(Person.retention_until < today).options(selectinload(Person.assignments))
            .order_by(Person.retention_until, Person.id))
    page = paginate(stmt)
    return render_template("access/retention.html", page=page, form=form, today=today,
                           total=page.total or 0), status


@bp.get("/retention")
def retention() -> ResponseReturnValue:
    return _retention_page(EraseForm())


@bp.post("/retention/erase")
def retention_erase() -> ResponseReturnValue:
    form = EraseForm()
    if not form.validate():
        return _retention_page(form, 400)
    today = helsinki_today()
    expired = protection.expired_ids(today)
    chosen = expired if form.everything.data else [pid for pid in dict.fromkeys(form.person.data or [])
                                                   if pid in set(expired)]
    if not chosen:
        form.person.errors = [_("The chosen records are no longer past their retention date.")]
        return _retention_page(form, 400)
    user = current_user._get_current_object()
    erased = 0
    try:
        for person_id in chosen:
            person = db.session.get(Person, person_id)
            if person is not None:
                protection.erase_person(person, user, today=today)
                erased += 1
        db.session.commit()
    except ServiceError as error:
        form_failed(form, error)
        return _retention_page(form, 400)
    except StaleDataError:  # another coordinator (or the daily job) erased one of them at the same moment
        db.session.rollback()
        flash(_("Some of the records were erased meanwhile by someone else. Check the list and try again."), "error")
        return redirect(url_for("access.retention"))
    flash(ngettext("%(num)d record erased.", "%(num)d records erased.", erased), "success")
    return redirect(url_for("access.retention"))


# --- policy parameters ----------------------------------------------------------------------------


@bp.get("/parameters")
def parameters() -> ResponseReturnValue:
    sets = protection.parameter_sets()
    today = helsinki_today()
    return render_template("access/parameters.html", sets=sets, current=protection.in_force(sets, today),
                           today=today)


@bp.route("/parameters/new", methods=["GET", "POST"])
def parameters_new() -> ResponseReturnValue:
    form = ParametersForm()
    today = helsinki_today()
    if form.validate_on_submit():
        try:
            row = protection.add_parameter_set({
                "version": form.version.data, "effective_from": form.effective_from.data,
                "waiting_years": form.waiting_years.data, "paired_waiting_years": form.paired_waiting_years.data,
                "retention_years": form.retention_years.data, "source": form.source.data}, today)
            protection.refresh_all_retention()  # records whose last assignment ends after the new date
            db.session.commit()
            flash(_("Version %(version)s of the policy parameters was added.", version=row.version), "success")
            return redirect(url_for("access.parameters"))
        except ServiceError as error:
            form_failed(form, error)
    return render_template("access/parameters_form.html", form=form, today=today), 400 if form.errors else 200
