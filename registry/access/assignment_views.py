"""Pages for assignments, eligibility assessments, the unit director's decision and concerns (policy §10.3).

Every page first checks `protection.may_see` (404 otherwise, never revealing that a record exists); every read
of an assignment or an assessment is audit-logged.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..core import audit
from ..core.models import UNIT_KIND_LABELS, Unit
from ..core.queries import MAX_ID, get_or_404, units_ordered
from ..core.services import ServiceError
from ..core.web import form_failed
from ..directory.models import Partner
from ..directory.queries import partner_choices
from ..extensions import db
from ..i18n import format_date
from ..i18n import today as helsinki_today
from . import assignments as services
from . import timeline
from .assignment_forms import CONCERN_KIND_LABELS, NONE, OUTCOME_LABELS, AssignmentForm, ConcernForm, DecisionForm
from .labels import (
    CLOSE_PAIR_LABELS,
    DECISION_LABELS,
    REASON_LABELS,
    REQUIREMENT_LABELS,
    ROLE_LABELS,
    SANCTION_LABELS,
    SETTING_DESCRIPTIONS,
    SETTING_LABELS,
)
from .models import Assessment, Assignment, ConcernKind, DecisionOutcome
from .protection import may_see, require_visible
from .views import bp


@bp.context_processor
def _decision_labels() -> dict[str, Any]:
    # Also used by the person page, which includes access/_assignments.html and access/_concerns.html.
    return {"SETTING_LABELS": SETTING_LABELS, "CLOSE_PAIR_LABELS": CLOSE_PAIR_LABELS,
            "ENGINE_DECISION_LABELS": DECISION_LABELS, "OUTCOME_LABELS": OUTCOME_LABELS,
            "CONCERN_KIND_LABELS": CONCERN_KIND_LABELS, "REASON_LABELS": REASON_LABELS,
            "REQUIREMENT_LABELS": REQUIREMENT_LABELS, "SANCTION_LABELS": SANCTION_LABELS,
            "ACCESS_ROLE_LABELS": ROLE_LABELS}


@bp.app_template_filter("fisodate")
def iso_date(value: Any) -> str:
    """A date stored as YYYY-MM-DD in a snapshot, shown as d.m.yyyy (anything else as it is)."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return value




def _assignment_or_404(assignment_id: int) -> Assignment:
    assignment: Assignment = get_or_404(Assignment, assignment_id)
    if not may_see(current_user, assignment.person):
        abort(404)
    return assignment


def _require_unit_reach(assignment: Assignment) -> None:
    """A director acts only on assignments at their own units; a coordinator on all (else 404)."""
    if not current_user.has_role("coordinator") and not services.may_decide(current_user, assignment):
        abort(404)


# --- assignments ----------------------------------------------------------------------------------


def _unit_choices(form: AssignmentForm) -> dict[int, Unit]:
    units = {u.id: u for u in units_ordered()}
    form.unit.choices = [NONE] + [SelectChoice(u.id, f"{u.name()} ({UNIT_KIND_LABELS[u.kind]})")
                                  for u in units.values()]
    return units


def _assignment_data(form: AssignmentForm, units: dict[int, Unit]) -> dict[str, Any]:
    return {"unit": units.get(form.unit.data or 0), "setting": form.setting.data, "close_pair": form.close_pair.data,
            "pair_name": form.pair_name.data, "task": form.task.data, "starts_on": form.starts_on.data,
            "ends_on": form.ends_on.data}


def _assignment_form_page(person_id: int, assignment: Assignment | None) -> ResponseReturnValue:
    person = assignment.person if assignment is not None else require_visible(person_id)
    form = AssignmentForm(obj=assignment if request.method == "GET" else None)
    units = _unit_choices(form)
    if request.method == "GET" and assignment is not None:
        form.unit.data = assignment.unit_id
        form.setting.data = assignment.setting.value
        form.close_pair.data = assignment.close_pair.value
    if form.validate_on_submit():
        try:
            data = _assignment_data(form, units)
            if assignment is None:
                saved = services.create_assignment(person, data)
            else:
                saved = services.update_assignment(assignment, data)
            db.session.commit()
            flash(_("The assignment was saved. Run an assessment to see whether the person is eligible."), "success")
            return redirect(url_for("access.assignment", assignment_id=saved.id))
        except ServiceError as error:
            form_failed(form, error)
            person = require_visible(person_id)
            if assignment is not None:
                assignment = _assignment_or_404(assignment.id)
    page = render_template("access/assignment_form.html", form=form, person=person, assignment=assignment,
                           setting_descriptions=SETTING_DESCRIPTIONS)
    return page, 400 if form.errors else 200


@bp.route("/<int:person_id>/assignments/new", methods=["GET", "POST"])
def assignment_new(person_id: int) -> ResponseReturnValue:
    return _assignment_form_page(person_id, None)


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
def assignment_edit(assignment_id: int) -> ResponseReturnValue:
    assignment = _assignment_or_404(assignment_id)
    return _assignment_form_page(assignment.person_id, assignment)


@bp.get("/assignments/<int:assignment_id>")
def assignment(assignment_id: int) -> ResponseReturnValue:
    found = _assignment_or_404(assignment_id)
    latest = services.latest_assessment(found)
    decision = services.latest_decision(found)
    page = render_template(
        "access/assignment.html", assignment=found, person=found.person, latest=latest, decision=decision,
        assessments=sorted(found.assessments, key=lambda a: (a.run_at, a.id), reverse=True),
        decisions=sorted(found.decisions, key=lambda d: (d.decided_at, d.id), reverse=True),
        timeline=timeline.for_assessment(latest) if latest is not None else None,
        changed=latest is not None and services.records_changed(latest),
        new_concerns=services.concerns_after(found, latest) if latest is not None else [],
        open_concerns=services.open_concerns(found.person),
        may_assess=current_user.has_role("coordinator") or services.may_decide(current_user, found),
        may_decide=services.may_decide(current_user, found))
    audit.record_read(found)
    return page


# --- assessments ----------------------------------------------------------------------------------


@bp.post("/assignments/<int:assignment_id>/assess")
def assess(assignment_id: int) -> ResponseReturnValue:
    found = _assignment_or_404(assignment_id)
    _require_unit_reach(found)
    try:
        assessment = services.run_assessment(found, current_user._get_current_object(), helsinki_today())
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("access.assignment", assignment_id=assignment_id))
    db.session.commit()
    flash(_("The assessment was run and stored: %(decision)s.",
            decision=DECISION_LABELS.get(assessment.decision.value, assessment.decision.value)), "success")
    return redirect(url_for("access.assessment", assessment_id=assessment.id))


@bp.get("/assessments/<int:assessment_id>")
def assessment(assessment_id: int) -> ResponseReturnValue:
    found: Assessment = get_or_404(Assessment, assessment_id)
    if not may_see(current_user, found.assignment.person):
        abort(404)
    latest = services.latest_assessment(found.assignment)
    page = render_template("access/assessment.html", assessment=found, assignment=found.assignment,
                           person=found.assignment.person, timeline=timeline.for_assessment(found),
                           is_latest=latest is not None and latest.id == found.id,
                           decisions=[d for d in found.assignment.decisions if d.assessment_id == found.id])
    audit.record_read(found)
    return page


# --- the unit director's decision -----------------------------------------------------------------


@bp.route("/assignments/<int:assignment_id>/decision", methods=["GET", "POST"])
def decision_new(assignment_id: int) -> ResponseReturnValue:
    found = _assignment_or_404(assignment_id)
    if not services.may_decide(current_user, found):
        abort(404)  # another unit's assignment: its existence is not revealed
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.record_decision(found, current_user._get_current_object(), DecisionOutcome(form.outcome.data),
                                     form.conditions.data, form.reasoning.data)
            db.session.commit()
            flash(_("Your decision was recorded."), "success")
            return redirect(url_for("access.assignment", assignment_id=assignment_id, _anchor="decisions"))
        except services.OutOfScope:
            db.session.rollback()
            abort(404)
        except ServiceError as error:
            form_failed(form, error)
            found = _assignment_or_404(assignment_id)
    latest = services.latest_assessment(found)
    page = render_template("access/decision_form.html", form=form, assignment=found, person=found.person,
                           latest=latest, blocker=services.decision_blocker(found))
    return page, 400 if form.errors else 200


# --- concerns -------------------------------------------------------------------------------------


@bp.route("/<int:person_id>/concerns/new", methods=["GET", "POST"])
def concern_new(person_id: int) -> ResponseReturnValue:
    person = require_visible(person_id)
    form = ConcernForm()
    if request.method == "GET":
        form.reported_on.data = helsinki_today()
        form.partner.data = person.partner_id or 0
    chosen = form.partner.data if isinstance(form.partner.data, int) else None
    form.partner.choices = [NONE] + [SelectChoice(pid, name) for pid, name in partner_choices(person.partner_id,
                                                                                              chosen)]
    if form.validate_on_submit():
        partner_id = form.partner.data or 0
        partner = db.session.get(Partner, partner_id) if 0 < partner_id <= MAX_ID else None
        try:
            services.record_concern(person, current_user._get_current_object(), ConcernKind(form.kind.data),
                                    form.reported_on.data, partner, form.reporter_name.data, form.summary.data)
            db.session.commit()
            flash(_("The concern was recorded. A new assessment and the director's decision are now required."),
                  "success")
            return redirect(url_for("access.person", person_id=person_id, _anchor="concerns"))
        except ServiceError as error:
            form_failed(form, error)
            person = require_visible(person_id)
    page = render_template("access/concern_form.html", form=form, person=person)
    return page, 400 if form.errors else 200
