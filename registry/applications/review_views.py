"""Review: working-group meetings and agendas, reviewers, conflicts of interest, criteria, reviews, statements."""

from __future__ import annotations

import hmac
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..core.documents import send_document
from ..core.models import Unit, User
from ..core.queries import MAX_ID, get_or_none
from ..core.services import ServiceError
from ..core.web import form_failed
from ..extensions import db, limiter
from ..i18n import today as helsinki_today
from . import criteria as criteria_service
from . import queries, services
from .forms import (
    AgendaAddForm,
    ConflictForm,
    CriteriaForm,
    DecisionForm,
    FundingForm,
    MeetingForm,
    StatementForm,
    agenda_order_form,
    review_form,
)
from .models import Application, CriteriaVersion, ReviewMeeting
from .views import NONE_CHOICE, application_or_404, bp

# --- meetings and agendas -------------------------------------------------------------------------


def _meeting_or_404(meeting_id: int) -> ReviewMeeting:
    meeting = get_or_none(ReviewMeeting, meeting_id) if meeting_id <= MAX_ID else None
    if meeting is None:
        abort(404)
    return meeting


@bp.get("/applications/meetings")
def meetings() -> ResponseReturnValue:
    return render_template("applications/meetings.html", meetings=queries.meetings())


@bp.route("/applications/meetings/new", methods=["GET", "POST"])
def meeting_new() -> ResponseReturnValue:
    form = MeetingForm()
    if form.validate_on_submit():
        meeting = services.create_meeting(held_on=form.held_on.data, title=form.title.data or "",  # type: ignore[arg-type]
                                          notes=form.notes.data)
        db.session.commit()
        flash(_("The meeting %(title)s was created; now build its agenda.", title=meeting.title), "success")
        return redirect(url_for("applications.meeting", meeting_id=meeting.id))
    page = render_template("applications/meeting_form.html", form=form)
    return page, 400 if form.errors else 200


def _meeting_page(meeting: ReviewMeeting, add_form: AgendaAddForm | None = None, order_form: Any = None,
                  refused: str | None = None) -> ResponseReturnValue:
    candidates = queries.agenda_candidates()
    if add_form is None:
        add_form = AgendaAddForm(formdata=None)
    add_form.applications.choices = [SelectChoice(a.id, f"{a.reference} – {a.organisation_name}: {a.project_name}")
                                      for a in candidates]
    agenda = list(meeting.applications)
    if order_form is None:
        order_form = agenda_order_form([(a.id, a.reference) for a in agenda])
        for a in agenda:
            order_form[f"position_{a.id}"].data = a.agenda_position
    page = render_template("applications/meeting.html", meeting=meeting, agenda=agenda, add_form=add_form,
                           order_form=order_form, summaries=services.summaries_for(agenda), refused=refused,
                           has_candidates=bool(candidates))
    failed = refused or add_form.errors or order_form.errors
    return page, 400 if failed else 200


@bp.get("/applications/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> ResponseReturnValue:
    return _meeting_page(_meeting_or_404(meeting_id))


@bp.post("/applications/meetings/<int:meeting_id>/agenda")
def agenda_add(meeting_id: int) -> ResponseReturnValue:
    meeting = _meeting_or_404(meeting_id)
    action = request.form.get("action", "add")
    back = redirect(url_for("applications.meeting", meeting_id=meeting_id, _anchor="agenda"))
    if action == "order":
        order = agenda_order_form([(a.id, a.reference) for a in meeting.applications], request.form)
        if not order.validate():
            return _meeting_page(meeting, order_form=order)
        services.order_agenda(meeting, {a.id: order[f"position_{a.id}"].data for a in meeting.applications})
        db.session.commit()
        flash(_("The agenda order was saved."), "success")
        return back
    if action == "remove":
        raw = request.form.get("application", "")
        application = get_or_none(Application, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        try:
            if application is None:
                raise ServiceError(_("The application is not on this agenda."))
            services.remove_from_agenda(meeting, application)
            db.session.commit()
            flash(_("%(reference)s was taken off the agenda.", reference=application.reference), "success")
            return back
        except ServiceError as error:
            db.session.rollback()
            return _meeting_page(_meeting_or_404(meeting_id), refused=error.message)
    form = AgendaAddForm()
    form.applications.choices = [SelectChoice(a.id, a.reference) for a in queries.agenda_candidates()]
    if form.validate_on_submit():
        chosen = [get_or_none(Application, i) for i in form.applications.data or []]
        try:
            added = services.add_to_agenda(meeting, [a for a in chosen if a is not None])
            db.session.commit()
            flash(ngettext("%(num)d application was added to the agenda.",
                           "%(num)d applications were added to the agenda.", added), "success")
            return back
        except ServiceError as error:
            form_failed(form, error)
            meeting = _meeting_or_404(meeting_id)
    return _meeting_page(meeting, add_form=form)


# --- conflicts of interest and reviews ------------------------------------------------------------


@bp.route("/applications/<int:application_id>/conflict", methods=["GET", "POST"])
def conflict(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    user = current_user._get_current_object()
    row = services.reviewer_of(application, user)
    if row is None:
        flash(_("You are not a reviewer of this application."), "error")
        return redirect(url_for("applications.detail", application_id=application_id))
    form = ConflictForm()
    if request.method == "GET" and row.coi_declared_at is not None:
        form.conflict.data = "yes" if row.coi_conflict else "no"
        form.explanation.data = row.coi_explanation
    if form.validate_on_submit():
        try:
            services.declare_conflict(application, user, conflict=form.conflict.data == "yes",
                                      explanation=form.explanation.data)
            db.session.commit()
            ok, reason = services.may_review(user, application)
            if not ok:
                flash(reason or "", "error")
                return redirect(url_for("applications.detail", application_id=application_id))
            flash(_("Your declaration was saved."), "success")
            return redirect(url_for("applications.review", application_id=application_id))
        except ServiceError as error:
            form_failed(form, error)
            application = application_or_404(application_id)
    page = render_template("applications/conflict.html", application=application, form=form,
                           linked=services.linked_to_applicant(user, application))
    return page, 400 if form.errors or form.form_errors else 200


def _scores(form: Any, version: CriteriaVersion) -> dict[int, tuple[int | None, str | None]]:
    scores: dict[int, tuple[int | None, str | None]] = {}
    for c in version.criteria:
        raw = form[f"score_{c.id}"].data or ""
        scores[c.id] = (int(raw) if raw.lstrip("-").isdigit() else None, form[f"comment_{c.id}"].data)
    return scores


@bp.route("/applications/<int:application_id>/review", methods=["GET", "POST"])
def review(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    user = current_user._get_current_object()
    row = services.reviewer_of(application, user)
    if row is None:
        flash(_("You are not a reviewer of this application."), "error")
        return redirect(url_for("applications.detail", application_id=application_id))
    if row.coi_declared_at is None and not row.coi_conflict:
        return redirect(url_for("applications.conflict", application_id=application_id))
    mine = services.own_review(application, user)
    if mine is not None and mine.submitted_at is not None:  # final: shown, never changed
        scores = {s.criterion_id: s for s in mine.scores}
        page = render_template("applications/review.html", application=application, review=mine,
                               version=mine.criteria_version, form=None, scores=scores)
        return page, 400 if request.method == "POST" else 200
    gate = services.review_gate(application, user)
    if gate is not None:
        return render_template("applications/review_blocked.html", application=application, reason=gate), 409
    version = mine.criteria_version if mine is not None else criteria_service.current_version()
    if version is None:
        return render_template("applications/review_blocked.html", application=application,
                               reason=_("No review criteria have been defined.")), 409
    form = review_form(version.criteria, request.form if request.method == "POST" else None)
    if request.method == "GET" and mine is not None:
        for s in mine.scores:
            form[f"score_{s.criterion_id}"].data = "" if s.score is None else str(s.score)
            form[f"comment_{s.criterion_id}"].data = s.comment
        form["comment"].data = mine.comment
    if form.validate_on_submit():
        submit = form["action"].data == "submit"
        try:
            if mine is None and request.form.get("version") != str(version.id):
                raise ServiceError(_("The criteria changed while you were filling in the form; check them."))
            saved = services.save_review(mine or services.start_review(application, user), _scores(form, version),
                                         comment=form["comment"].data, submit=submit)
            db.session.commit()
            if saved.submitted_at is not None:
                flash(_("Your review was submitted. You now see the other reviews."), "success")
                return redirect(url_for("applications.detail", application_id=application_id, _anchor="summary"))
            flash(_("Your draft was saved."), "success")
            return redirect(url_for("applications.review", application_id=application_id))
        except ServiceError as error:
            form_failed(form, error)
            application = application_or_404(application_id)
            mine = services.own_review(application, user)
            version = mine.criteria_version if mine is not None else criteria_service.current_version()
    page = render_template("applications/review.html", application=application, review=mine, version=version,
                           form=form, scores={})
    return page, 400 if form.errors or form.form_errors else 200


# --- criteria -------------------------------------------------------------------------------------


@bp.get("/applications/criteria")
def criteria() -> ResponseReturnValue:
    versions = criteria_service.versions()
    wanted = request.args.get("version", "")
    shown = next((v for v in versions if str(v.number) == wanted), versions[0] if versions else None)
    return render_template("applications/criteria.html", versions=versions, shown=shown,
                           current=versions[0] if versions else None)


def _criteria_items(form: CriteriaForm) -> list[criteria_service.CriterionData] | None:
    """The rows to save, in their positions; None when a row lacks something (its field gets the message)."""
    rows: list[tuple[int, int, criteria_service.CriterionData]] = []
    taken = {entry.form.code.data for entry in form.criteria if entry.form.code.data}
    ok = True
    for n, entry in enumerate(form.criteria, start=1):
        f = entry.form
        if f.blank() or f.remove.data:
            continue
        row_ok = True
        for name in ("name_fi", "name_sv", "name_en", "weight", "scale_min", "scale_max"):
            if f[name].data in (None, "") and not f[name].errors:
                f[name].errors = [*f[name].errors, _("Required")]
                row_ok = False
        if row_ok and f.scale_min.data >= f.scale_max.data:
            f.scale_max.errors = [*f.scale_max.errors, _("The highest score must be above the lowest.")]
            row_ok = False
        if not row_ok:
            ok = False
            continue
        code = f.code.data or criteria_service.make_code(f.name_en.data or f.name_fi.data, taken)
        taken.add(code)
        rows.append((f.position.data or n, n, criteria_service.CriterionData(
            code=code, name_fi=f.name_fi.data, name_sv=f.name_sv.data, name_en=f.name_en.data,
            description_fi=f.description_fi.data, description_sv=f.description_sv.data,
            description_en=f.description_en.data, weight=Decimal(f.weight.data), scale_min=f.scale_min.data,
            scale_max=f.scale_max.data, required=bool(f.required.data))))
    return [item for _position, _n, item in sorted(rows, key=lambda r: (r[0], r[1]))] if ok else None


@bp.route("/applications/criteria/new-version", methods=["GET", "POST"])
def criteria_new_version() -> ResponseReturnValue:
    current = criteria_service.current_version()
    if request.method == "GET":
        rows = [{"code": c.code, "position": c.position, "name_fi": c.name_fi, "name_sv": c.name_sv,
                 "name_en": c.name_en, "description_fi": c.description_fi, "description_sv": c.description_sv,
                 "description_en": c.description_en, "weight": c.weight, "scale_min": c.scale_min,
                 "scale_max": c.scale_max, "required": c.required} for c in (current.criteria if current else [])]
        rows.append({"scale_min": 0, "scale_max": 5, "required": True, "position": len(rows) + 1})
        form = CriteriaForm(data={"criteria": rows})
    else:
        form = CriteriaForm()
    if request.method == "POST" and form.action.data == "add" and form.validate_on_submit():
        form.criteria.append_entry({"scale_min": 0, "scale_max": 5, "required": True,
                                    "position": len(form.criteria) + 1})
        return render_template("applications/criteria_form.html", form=form, current=current)
    if form.validate_on_submit():
        items = _criteria_items(form)
        if items is not None:
            try:
                version = criteria_service.create_version(items, note=form.note.data, user=current_user)
                db.session.commit()
                flash(_("Criteria version %(n)d was saved; new reviews use it.", n=version.number), "success")
                return redirect(url_for("applications.criteria"))
            except ServiceError as error:
                form_failed(form, error)
    page = render_template("applications/criteria_form.html", form=form, current=current)
    return page, 400 if form.errors or form.form_errors else 200


# --- the statement, its letter, the decision and the funding outcome ------------------------------


@bp.route("/applications/<int:application_id>/statement", methods=["GET", "POST"])
def statement(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    form = StatementForm()
    form.meeting.choices = [NONE_CHOICE] + [SelectChoice(m.id, str(m)) for m in queries.meetings()]
    if request.method == "GET":
        form.language.data = application.language if application.language in services.LANGUAGES else "fi"
        form.meeting.data = (application.statement_meeting_id or application.review_meeting_id or 0)
        if application.statement is not None:
            form.kind.data = application.statement.value
            form.justification.data = application.statement_justification
            form.conditions.data = application.statement_conditions
            lines = services.signatory_lines(application)
            form.signatory_name.data = lines[0] if lines else ""
            form.signatory_title.data = lines[1] if len(lines) > 1 else ""
    if form.validate_on_submit():
        data = services.StatementData(
            kind=form.kind.data or "", justification=form.justification.data or "",
            conditions=form.conditions.data, meeting=get_or_none(ReviewMeeting, form.meeting.data),
            signatory_name=form.signatory_name.data or "", signatory_title=form.signatory_title.data,
            language=form.language.data or "fi")
        try:
            services.give_statement(application, data, user=current_user)
            db.session.commit()
            flash(_("The statement was saved, its letter made and e-mailed to %(email)s.",
                    email=application.contact_email), "success")
            return redirect(url_for("applications.detail", application_id=application_id, _anchor="statement"))
        except ServiceError as error:
            form_failed(form, error)
            application = application_or_404(application_id)
    summary = services.summary_for(application) if services.may_see_reviews(application, current_user) else None
    page = render_template("applications/statement.html", application=application, form=form, summary=summary)
    return page, 400 if form.errors or form.form_errors else 200


def _letter_limit() -> str:
    return "30 per minute"


@bp.get("/applications/<int:application_id>/statement.pdf")
@limiter.limit(_letter_limit)
def statement_pdf(application_id: int) -> ResponseReturnValue:
    """The letter: the working group by session, the applicant by the key of their own link; 404 otherwise."""
    application = get_or_none(Application, application_id) if application_id <= MAX_ID else None
    if application is None or application.letter_document is None:
        abort(404)
    key = request.args.get("key", "")[:200]
    member = getattr(current_user, "is_authenticated", False) and current_user.has_role("working_group")
    if not member and not (key and hmac.compare_digest(key.encode(), application.access_key.encode())):
        abort(404)
    return send_document(application.letter_document)


@bp.route("/applications/<int:application_id>/decision", methods=["GET", "POST"])
def decision(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    form = DecisionForm()
    if request.method == "GET":
        form.decided_by.data, form.decided_on.data = application.decision_by, application.decision_on
        form.outcome.data = application.decision_outcome
    if form.validate_on_submit():
        try:
            services.record_decision(application, decided_by=form.decided_by.data or "",
                                     decided_on=form.decided_on.data,  # type: ignore[arg-type]
                                     outcome=form.outcome.data or "")
            db.session.commit()
            flash(_("The decision was recorded."), "success")
            return redirect(url_for("applications.detail", application_id=application_id, _anchor="decision"))
        except ServiceError as error:
            form_failed(form, error)
            application = application_or_404(application_id)
    page = render_template("applications/decision.html", application=application, form=form)
    return page, 400 if form.errors or form.form_errors else 200


@bp.route("/applications/<int:application_id>/funding", methods=["GET", "POST"])
def funding(application_id: int) -> ResponseReturnValue:
    application = application_or_404(application_id)
    form = FundingForm()
    form.unit.choices = [NONE_CHOICE] + [SelectChoice(u.id, u.name()) for u in application.units]
    people = db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.name)).all()
    form.responsible.choices = [NONE_CHOICE] + [SelectChoice(u.id, f"{u.name} ({u.email})") for u in people]
    if request.method == "GET":
        form.outcome.data = application.funding_outcome.value if application.funding_outcome else None
        form.decided_on.data = application.funding_decided_on or helsinki_today()
        form.amount.data = application.funding_amount
        form.unit.data = application.units[0].id if len(application.units) == 1 else 0
    if form.validate_on_submit():
        try:
            project = services.record_funding(
                application, form.outcome.data or "", decided_on=form.decided_on.data,  # type: ignore[arg-type]
                amount=form.amount.data, unit=get_or_none(Unit, form.unit.data),
                responsible=get_or_none(User, form.responsible.data), actor=current_user)
            db.session.commit()
            flash(_("The funding outcome was recorded.") + (" " + _("The project is now in the portfolio.")
                                                             if project is not None else ""), "success")
            return redirect(url_for("applications.detail", application_id=application_id, _anchor="funding"))
        except ServiceError as error:
            form_failed(form, error)
            application = application_or_404(application_id)
    page = render_template("applications/funding.html", application=application, form=form)
    return page, 400 if form.errors or form.form_errors else 200
