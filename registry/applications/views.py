"""Application pages for the working group: the list, one application, its checks, reviewers and statement."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..core.models import Unit
from ..core.pagination import paginate
from ..core.queries import MAX_ID, get_or_none
from ..core.services import ServiceError
from ..core.web import form_failed
from ..directory import queries as directory_queries
from ..extensions import db
from . import queries, rules, services, workflow
from .forms import ApplicationForm, ReviewerForm, StepForm
from .models import (
    APPLICANT_FORM_LABELS,
    FUNDER_LABELS,
    FUNDING_LABELS,
    STATEMENT_LABELS,
    STATUS_LABELS,
    ApplicantForm,
    Application,
    Funder,
)

bp = Blueprint("applications", __name__)

NONE_CHOICE = SelectChoice(0, "—")


@bp.app_context_processor
def _application_labels() -> dict[str, Any]:
    """Application labels for every page (the dashboard and the portfolio show applications too)."""
    return {"APPLICATION_STATUS_LABELS": STATUS_LABELS, "FUNDER_LABELS": FUNDER_LABELS,
            "STATEMENT_LABELS": STATEMENT_LABELS, "FUNDING_LABELS": FUNDING_LABELS}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"APPLICANT_FORM_LABELS": APPLICANT_FORM_LABELS, "STEP_LABELS": services.STEP_LABELS,
            "FORM_STEPS": workflow.FORM_STEPS, "score": queries.format_score, "outcome_word": outcome_word}


def outcome_word(outcome: str) -> str:
    """A check's outcome as a word (colour is never the only signal)."""
    return {"ok": _("OK"), "fail": _("Not met"), "attention": _("Needs attention"),
            "info": _("For information")}.get(outcome, outcome)


def application_or_404(application_id: int) -> Application:
    """The application with this id, or a 404."""
    application = get_or_none(Application, application_id) if application_id <= MAX_ID else None
    if application is None:
        abort(404)
    return application


def flags(application: Application) -> list[tuple[str, str]]:
    """The list's check flags from the pure rules (no queries): (outcome, message) of each unmet check."""
    found = [rules.applicant_eligibility(application.applicant_form.value), rules.need_stated(application.need),
             rules.unit_cooperation(len(application.units)), rules.prison_work(application.prison_work),
             rules.e_services(application.e_services)]
    return [(c.outcome, str(c.message)) for c in found if c.outcome in ("fail", "attention")]


# --- the list -------------------------------------------------------------------------------------


@bp.get("/applications/")
def index() -> ResponseReturnValue:
    filters = queries.filters_from(request.args)
    page = paginate(queries.applications_query(filters))
    summaries = services.summaries_for(list(page.items))
    return render_template("applications/index.html", page=page, filters=filters, summaries=summaries,
                           flags={a.id: flags(a) for a in page.items}, meetings=queries.meetings(),
                           funders=list(Funder))


# --- one application ------------------------------------------------------------------------------


def _reviewer_choices(application: Application) -> list[SelectChoice]:
    taken = {r.user_id for r in application.reviewers}
    return [NONE_CHOICE] + [SelectChoice(u.id, u.name) for u in queries.working_group_members()
                            if u.id not in taken]


def detail_page(application: Application, *, step_form: StepForm | None = None,
                reviewer_form: ReviewerForm | None = None, refused: str | None = None) -> ResponseReturnValue:
    """The application page; a failed step or reviewer form is shown with its input and a 400."""
    from . import checks

    if reviewer_form is None:
        reviewer_form = ReviewerForm(formdata=None)
    reviewer_form.user.choices = _reviewer_choices(application)
    user = current_user._get_current_object()
    see_reviews = services.may_see_reviews(application, user)
    reviewers = [(r, services.linked_to_applicant(r.user, application)) for r in application.reviewers]
    submitted = {r.reviewer_id: r for r in application.reviews}
    page = render_template(
        "applications/detail.html", application=application, checks=checks.run_checks(application),
        duplicates=checks.possible_duplicates(application), steps=services.offered_steps(application),
        step_form=step_form, reviewer_form=reviewer_form, refused=refused, reviewers=reviewers,
        reviews=submitted, see_reviews=see_reviews,
        summary=services.summary_for(application) if see_reviews else None,
        me=services.reviewer_of(application, user), my_review=services.own_review(application, user),
        history=queries.status_history(application), signatory=services.signatory_lines(application))
    failed = refused or (step_form is not None and step_form.errors) or reviewer_form.errors
    return page, 400 if failed else 200


@bp.get("/applications/<int:application_id>")
def detail(application_id: int) -> ResponseReturnValue:
    return detail_page(application_or_404(application_id))


@bp.post("/applications/<int:application_id>/status")
def transition(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    form = StepForm()
    if form.validate_on_submit():
        try:
            moved = services.move(application, form.step.data or "", note=form.note.data)
            db.session.commit()
            flash(_("The status is now: %(status)s.", status=STATUS_LABELS[moved]), "success")
            return redirect(url_for("applications.detail", application_id=application_id, _anchor="status"))
        except ServiceError as error:
            db.session.rollback()
            if error.field == "note":
                form.note.errors.append(error.message)
            else:
                form.form_errors.append(error.message)
            application = application_or_404(application_id)
    return detail_page(application, step_form=form)


@bp.post("/applications/<int:application_id>/reviewers")
def reviewer_add(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    form = ReviewerForm()
    form.user.choices = _reviewer_choices(application)
    if form.validate_on_submit():
        from ..core.models import User

        try:
            row = services.assign_reviewer(application, get_or_none(User, form.user.data))
            db.session.commit()
            flash(_("%(name)s is now a reviewer of this application.", name=row.user.name), "success")
            return redirect(url_for("applications.detail", application_id=application_id, _anchor="reviewers"))
        except ServiceError as error:
            form_failed(form, error)
            application = application_or_404(application_id)
    return detail_page(application, reviewer_form=form)


# --- corrections ----------------------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
def edit(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    form = ApplicationForm(obj=application if request.method == "GET" else None)
    units = {u.id: u for u in db.session.scalars(db.select(Unit).order_by(Unit.kind, Unit.name_fi))}
    themes = {t.id: t for t in directory_queries.themes_ordered()}
    form.units.choices = [SelectChoice(u.id, u.name()) for u in units.values()]
    form.themes.choices = [SelectChoice(t.id, t.name()) for t in themes.values()]
    if request.method == "GET":
        form.units.data = [u.id for u in application.units]
        form.themes.data = [t.id for t in application.themes]
        form.applicant_form.data, form.funder.data = application.applicant_form.value, application.funder.value
    if form.validate_on_submit():
        data: dict[str, Any] = {name: getattr(form, name).data for name in services.EDITABLE}
        for name in ("dnro", "business_id", "contact_phone", "address", "need", "target_groups", "funder_other",
                     "funding_round"):
            data[name] = (data[name] or "").strip() or None
        if data["business_id"]:
            from ..directory.rules import normalise_business_id

            data["business_id"] = normalise_business_id(data["business_id"])
        data["applicant_form"], data["funder"] = ApplicantForm(data["applicant_form"]), Funder(data["funder"])
        data["units"] = [units[i] for i in form.units.data or [] if i in units]
        data["themes"] = [themes[i] for i in form.themes.data or [] if i in themes]
        try:
            services.save_application(application, data)
            db.session.commit()
            flash(_("The application %(reference)s was saved.", reference=application.reference), "success")
            return redirect(url_for("applications.detail", application_id=application_id))
        except ServiceError as error:
            form_failed(form, error)
            application = application_or_404(application_id)
    page = render_template("applications/edit.html", form=form, application=application)
    return page, 400 if form.errors or form.form_errors else 200


# Imported last: the other page modules add their routes to `bp`.
from . import import_views, portfolio_views, public_views, review_views  # noqa: E402,F401
