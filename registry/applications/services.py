"""What the working group does with an application: status steps, corrections, meetings and agendas, reviewers
and conflicts of interest, reviews, the statement and its letter, the decision and the funding outcome.

They add and flush; the caller commits. Read-side helpers (the list, summaries, the dashboard) are at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.mail import send_mail
from ..core.models import Unit, User, utcnow
from ..core.services import ServiceError
from ..directory.models import Contact, LiaisonRole
from ..extensions import db
from . import criteria as criteria_service
from . import rules, scoring, workflow
from .models import (
    STATEMENT_LABELS,
    Application,
    ApplicationStatus,
    FundingOutcome,
    Project,
    Review,
    Reviewer,
    ReviewMeeting,
    ReviewScore,
    StatementKind,
)
from .queries import AGENDA_STATUSES
from .queries import ApplicationFilters as ApplicationFilters  # the list's filters, re-exported
from .queries import applications_query as applications_query
from .queries import filters_from as filters_from

S = ApplicationStatus
LANGUAGES = ("fi", "sv", "en")

# --- status steps ---------------------------------------------------------------------------------

STEP_LABELS = {
    S.ELIGIBILITY_CHECKED: _l("Mark eligibility checked"),
    S.IN_REVIEW: _l("Start the review"),
    S.STATEMENT_GIVEN: _l("Give the statement"),
    S.FUNDING_DECIDED: _l("Record the funding outcome"),
    S.RUNNING: _l("Mark the project running"),
    S.ENDED: _l("Mark the project ended"),
    S.EVALUATED: _l("Mark evaluated"),
    S.WITHDRAWN: _l("Withdrawn by the applicant"),
    S.REJECTED: _l("Reject"),
}
MISSING_MESSAGES = {
    "eligible": _l("The applicant is not eligible as a project partner (policy §8.2): reject the application "
                   "instead."),
    "units": _l("Name at least one Rise unit with planned cooperation first (policy §8.2)."),
    "statement": _l("Choose the statement."),
    "justification": _l("Give the justification."),
    "conditions": _l("A favourable statement with conditions needs the conditions."),
    "funding_outcome": _l("Choose the funding outcome."),
    "funding_decided_on": _l("Give the date of the funding decision."),
    "funding_granted": _l("Only a project whose funding was granted can run."),
    "project": _l("The project is not in the portfolio yet."),
    "evaluation": _l("Record the evaluation of the project first."),
    "note": _l("Give the reason."),
}


def step_facts(application: Application, *, note: str | None = None) -> workflow.StepFacts:
    """The application as the facts `workflow.missing_for` looks at."""
    project = application.project
    return workflow.StepFacts(
        eligible=rules.applicant_eligibility(application.applicant_form.value).outcome != "fail",
        unit_count=len(application.units),
        statement=application.statement.value if application.statement else None,
        justification=bool((application.statement_justification or "").strip()),
        conditions=bool((application.statement_conditions or "").strip()),
        funding_outcome=application.funding_outcome.value if application.funding_outcome else None,
        funding_decided_on=application.funding_decided_on is not None,
        has_project=project is not None, project_evaluated=bool(project and project.evaluated_at),
        note=bool((note or "").strip()))


def _step(application: Application, target: ApplicationStatus, *, note: str | None = None) -> None:
    """Take one step on the path, refusing what the path or the step's requirements do not allow."""
    if not workflow.can_move(application.status, target):
        raise ServiceError(_("This change of status is not allowed."), "step")
    missing = workflow.missing_for(target, step_facts(application, note=note))
    if missing:
        raise ServiceError(str(MISSING_MESSAGES[missing[0]]), "note" if missing[0] == "note" else "step")
    application.status = target
    text = (note or "").strip()
    if text:
        audit.record("update", application, note=_("Status %(status)s: %(note)s", status=target.value,
                                                   note=text[:2000]))


def move(application: Application, to_status: str, *, note: str | None = None) -> ApplicationStatus:
    """Move the application one step (a status button); steps with a form of their own are taken there."""
    if to_status not in S._value2member_map_:
        raise ServiceError(_("This change of status is not allowed."), "step")
    target = S(to_status)
    if target in workflow.FORM_STEPS:
        raise ServiceError(_("Use the form of this step."), "step")
    _step(application, target, note=note)
    db.session.flush()
    return target


def offered_steps(application: Application) -> list[tuple[ApplicationStatus, str | None]]:
    """The steps the path allows from the application's status, each with why it cannot be taken yet (None
    when it can: offered as a button; a reason still to give does not hold a step back)."""
    facts = step_facts(application, note="-")
    options = []
    for step in workflow.next_steps(application.status):
        missing = [] if step in workflow.FORM_STEPS else workflow.missing_for(step, facts)
        options.append((step, str(MISSING_MESSAGES[missing[0]]) if missing else None))
    return options


# --- corrections ----------------------------------------------------------------------------------

EDITABLE = ("dnro", "organisation_name", "business_id", "applicant_form", "contact_name", "contact_email",
            "contact_phone", "address", "project_name", "description", "need", "target_groups", "planned_start",
            "planned_end", "funder", "funder_other", "funding_round", "prison_work", "e_services", "language")


def save_application(application: Application, data: dict[str, Any]) -> Application:
    """Correct the application: diary number, Rise units, themes and the applicant's data."""
    if data.get("planned_start") and data.get("planned_end") and data["planned_end"] < data["planned_start"]:
        raise ServiceError(_("The end date must not be before the start date."), "planned_end")
    if "units" in data and not data["units"]:
        raise ServiceError(_("Choose at least one Rise unit (policy §8.2)."), "units")
    if data.get("language", "fi") not in LANGUAGES:
        raise ServiceError(_("Choose a language."), "language")
    for key, value in data.items():
        if key in EDITABLE or key in ("units", "themes"):
            setattr(application, key, value)
    db.session.flush()
    return application


# --- meetings and agendas -------------------------------------------------------------------------

def create_meeting(*, held_on: date, title: str, notes: str | None = None) -> ReviewMeeting:
    """A meeting of the project-partnership working group (DOMAIN §5.1 step 2)."""
    meeting = ReviewMeeting(held_on=held_on, title=title.strip(), notes=(notes or "").strip() or None)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def add_to_agenda(meeting: ReviewMeeting, applications: list[Application]) -> int:
    """Put pending applications at the end of the meeting's agenda; returns how many were added."""
    if not applications:
        raise ServiceError(_("Choose at least one application."), "applications")
    position = max((a.agenda_position or 0 for a in meeting.applications), default=0)
    added = 0
    for application in applications:
        if application.review_meeting_id == meeting.id:
            continue
        if application.status not in AGENDA_STATUSES or application.review_meeting_id is not None:
            raise ServiceError(_("%(reference)s is not pending or is already on an agenda.",
                                 reference=application.reference), "applications")
        position += 1
        application.review_meeting = meeting
        application.agenda_position = position
        added += 1
    db.session.flush()
    return added


def order_agenda(meeting: ReviewMeeting, positions: dict[int, int]) -> None:
    """Renumber the agenda by the given positions (application id → number; ties keep the old order)."""
    items = sorted(meeting.applications, key=lambda a: (positions.get(a.id, a.agenda_position or 0),
                                                        a.agenda_position or 0, a.id))
    for n, application in enumerate(items, start=1):
        application.agenda_position = n
    db.session.flush()


def remove_from_agenda(meeting: ReviewMeeting, application: Application) -> None:
    """Take an application off the meeting's agenda."""
    if application.review_meeting_id != meeting.id:
        raise ServiceError(_("The application is not on this agenda."), "applications")
    application.review_meeting_id, application.agenda_position = None, None
    db.session.flush()


# --- reviewers and conflicts of interest ----------------------------------------------------------


def linked_to_applicant(user: Any, application: Application) -> str | None:
    """Why the user is linked to the applicant organisation (a reason), or None when they are not.

    Linked: the applicant's own contact person (the same e-mail), a contact of the applicant partner with the
    user's e-mail, or a liaison role for that partner (current or starting later) held by a contact with the
    user's e-mail — e.g. the Rise liaison of the organisation.
    """
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email:
        return None
    if (application.contact_email or "").strip().lower() == email:
        return _("You are the applicant's contact person.")
    if application.partner_id is None:
        return None
    contact = db.session.scalar(select(Contact.id).where(Contact.partner_id == application.partner_id,
                                                         func.lower(Contact.email) == email).limit(1))
    if contact is not None:
        return _("You are a contact person of the applicant organisation.")
    from ..i18n import today

    roles = db.session.scalars(select(LiaisonRole).join(Contact, Contact.id == LiaisonRole.contact_id).where(
        LiaisonRole.partner_id == application.partner_id, func.lower(Contact.email) == email))
    if any(r.valid_to is None or r.valid_to >= today() for r in roles):
        return _("You are a liaison for the applicant organisation.")
    return None


def reviewer_of(application: Application, user: Any) -> Reviewer | None:
    """The user's reviewer row on the application, if they are one of its reviewers."""
    return next((r for r in application.reviewers if r.user_id == getattr(user, "id", None)), None)


def may_review(user: Any, application: Application) -> tuple[bool, str | None]:
    """Whether the user may review the application, and why not (a reason) when they may not.

    Blocked whatever they declared when they are linked to the applicant organisation; blocked too when they
    declared a conflict of interest.
    """
    reason = linked_to_applicant(user, application)
    if reason is not None:
        return False, reason + " " + _("You cannot review this application.")
    row = reviewer_of(application, user)
    if row is not None and row.coi_conflict:
        return False, _("You declared a conflict of interest, so you cannot review this application.")
    return True, None


def assign_reviewer(application: Application, user: User | None) -> Reviewer:
    """Make a working-group member a reviewer of the application (not one linked to the applicant)."""
    if user is None or not user.active or not user.has_role("working_group"):
        raise ServiceError(_("Choose a member of the working group."), "user")
    if application.status not in AGENDA_STATUSES:
        raise ServiceError(_("Reviewers are assigned before the statement is given."), "user")
    if reviewer_of(application, user) is not None:
        raise ServiceError(_("%(name)s is already a reviewer of this application.", name=user.name), "user")
    reason = linked_to_applicant(user, application)
    if reason is not None:
        raise ServiceError(_("%(name)s is linked to the applicant organisation and cannot review it.",
                             name=user.name), "user")
    row = Reviewer(application=application, user_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def declare_conflict(application: Application, user: Any, *, conflict: bool, explanation: str | None) -> Reviewer:
    """Record the reviewer's conflict-of-interest declaration (a conflict needs the explanation)."""
    row = reviewer_of(application, user)
    if row is None:
        raise ServiceError(_("You are not a reviewer of this application."))
    review = own_review(application, user)
    if review is not None and review.submitted_at is not None:
        raise ServiceError(_("Your review has been submitted; the declaration can no longer change."))
    text = (explanation or "").strip()
    if conflict and not text:
        raise ServiceError(_("Explain the conflict of interest."), "explanation")
    row.coi_conflict, row.coi_explanation, row.coi_declared_at = conflict, text or None, utcnow()
    db.session.flush()
    return row


# --- reviews --------------------------------------------------------------------------------------


def own_review(application: Application, user: Any) -> Review | None:
    """The user's review of the application (draft or submitted)."""
    return next((r for r in application.reviews if r.reviewer_id == getattr(user, "id", None)), None)


def review_gate(application: Application, user: Any) -> str | None:
    """Why the user cannot open the review form now (a message), or None when they can."""
    row = reviewer_of(application, user)
    if row is None:
        return _("You are not a reviewer of this application.")
    ok, reason = may_review(user, application)
    if not ok:
        return reason
    if row.coi_declared_at is None:
        return _("Declare your conflicts of interest before reviewing.")
    if application.status is not S.IN_REVIEW:
        return _("The application is not in review.")
    return None


def start_review(application: Application, user: Any) -> Review:
    """The user's review: the existing one, or a new draft against the criteria version in force now."""
    review = own_review(application, user)
    if review is not None:
        return review
    version = criteria_service.current_version()
    if version is None:
        raise ServiceError(_("No review criteria have been defined."))
    review = Review(application=application, reviewer_id=user.id, criteria_version_id=version.id)
    db.session.add(review)
    db.session.flush()
    return review


def save_review(review: Review, scores: dict[int, tuple[int | None, str | None]], *, comment: str | None,
                submit: bool) -> Review:
    """Save the scores (criterion id → (score, comment)); submitting needs every required criterion scored.

    A submitted review is final. Scores must lie within each criterion's scale.
    """
    if review.submitted_at is not None:
        raise ServiceError(_("This review has been submitted and can no longer change."))
    existing = {s.criterion_id: s for s in review.scores}
    for criterion in review.criteria_version.criteria:
        score, note = scores.get(criterion.id, (None, None))
        field = f"score_{criterion.id}"
        if score is not None and not criterion.scale_min <= score <= criterion.scale_max:
            raise ServiceError(_("Give a score from %(low)d to %(high)d.", low=criterion.scale_min,
                                 high=criterion.scale_max), field)
        if submit and criterion.required and score is None:
            raise ServiceError(_("Score this criterion before submitting."), field)
        row = existing.get(criterion.id)
        if row is None:
            row = ReviewScore(criterion_id=criterion.id)
            review.scores.append(row)
        row.score, row.comment = score, (note or "").strip() or None
    review.comment = (comment or "").strip() or None
    if submit:
        review.submitted_at = utcnow()
    db.session.flush()
    return review


def may_see_reviews(application: Application, user: Any) -> bool:
    """A reviewer sees the others' reviews only after submitting their own; other members see them."""
    if reviewer_of(application, user) is None:
        return True
    mine = own_review(application, user)
    return mine is not None and mine.submitted_at is not None


def summary_for(application: Application) -> scoring.Summary:
    """The summary of the application's submitted reviews, each against its own criteria version."""
    return summaries_for([application])[application.id]


def summaries_for(applications: list[Application]) -> dict[int, scoring.Summary]:
    """Summaries of several applications: two queries whatever their number."""
    ids = [a.id for a in applications]
    reviews = list(db.session.scalars(select(Review).where(Review.application_id.in_(ids),
                                                           Review.submitted_at.is_not(None))
                                      .options(selectinload(Review.scores), selectinload(Review.reviewer))))
    found = criteria_service.criteria_of({r.criteria_version_id for r in reviews})
    by_application: dict[int, list[Review]] = {i: [] for i in ids}
    for review in reviews:
        by_application[review.application_id].append(review)
    return {i: scoring.summarise(rs, found) for i, rs in by_application.items()}


# --- the statement, its letter, the decision and the funding outcome ------------------------------


@dataclass(frozen=True)
class StatementData:
    """The statement as the form gives it."""

    kind: str
    justification: str
    conditions: str | None
    meeting: ReviewMeeting | None
    signatory_name: str
    signatory_title: str | None
    language: str


def signatory_lines(application: Application) -> list[str]:
    """The signatory's name and title (stored as two lines)."""
    return [line for line in (application.statement_signatory or "").split("\n") if line.strip()]


def letter_link(application: Application) -> str:
    """The applicant's own link to the letter (with the access key)."""
    if has_request_context():
        return url_for("applications.statement_pdf", application_id=application.id, key=application.access_key,
                       _external=True)
    return f"/applications/{application.id}/statement.pdf?key={application.access_key}"


def give_statement(application: Application, data: StatementData, *, user: Any) -> Application:
    """Record the working group's statement (DOMAIN §5.1 step 3), make the letter PDF, keep it with the
    application and e-mail the applicant a link to it. A given statement can be corrected while funding is
    not yet decided: the letter is made again."""
    from ..core.documents import store_document
    from .letter import render_statement_pdf

    if application.status is not S.STATEMENT_GIVEN and not workflow.can_move(application.status,
                                                                              S.STATEMENT_GIVEN):
        raise ServiceError(_("The statement is given after the review."), "kind")
    if data.kind not in StatementKind._value2member_map_:
        raise ServiceError(_("Choose the statement."), "kind")
    if data.language not in LANGUAGES:
        raise ServiceError(_("Choose a language."), "language")
    if data.meeting is None:
        raise ServiceError(_("Choose the meeting where the statement was decided."), "meeting")
    kind = StatementKind(data.kind)
    conditions = (data.conditions or "").strip() or None
    if kind is StatementKind.CONDITIONAL and not conditions:
        raise ServiceError(str(MISSING_MESSAGES["conditions"]), "conditions")
    application.statement = kind
    application.statement_justification = data.justification.strip()
    application.statement_conditions = conditions if kind is StatementKind.CONDITIONAL else None
    application.statement_meeting = data.meeting
    application.statement_signatory = "\n".join(filter(None, [data.signatory_name.strip(),
                                                              (data.signatory_title or "").strip()]))
    application.statement_given_at = utcnow()
    application.statement_given_by_id = getattr(user, "id", None)
    if application.status is not S.STATEMENT_GIVEN:
        _step(application, S.STATEMENT_GIVEN)
    db.session.flush()
    pdf = render_statement_pdf(application, language=data.language)
    document = store_document(pdf, f"{application.reference}-lausunto.pdf", user_id=getattr(user, "id", None))
    application.letter_document = document
    with force_locale(data.language):
        subject = _("Statement on your project-partnership application %(reference)s",
                    reference=application.reference)
        body = _("Hello %(name)s,\n\nThe project-partnership working group of the Prison and Probation Service "
                 "of Finland has given its statement on your application %(reference)s (%(project)s): "
                 "%(statement)s.\n\nThe statement letter (PDF), which you can attach to your funding "
                 "application: %(link)s\n\nKeep this link to yourself: anyone who has it can open the letter.\n",
                 name=application.contact_name, reference=application.reference,
                 project=application.project_name, statement=str(STATEMENT_LABELS[kind]).lower(),
                 link=letter_link(application))
    send_mail(application.contact_email, subject, body)
    db.session.flush()
    return application


def record_decision(application: Application, *, decided_by: str, decided_on: date, outcome: str) -> Application:
    """Record the decision on project cooperation under the rules of procedure (DOMAIN §5.2 item 4), apart from
    the working group's statement."""
    if application.statement is None:
        raise ServiceError(_("The decision is recorded after the working group's statement."), "outcome")
    if not decided_by.strip() or not outcome.strip():
        raise ServiceError(_("Give who decided and the outcome."), "outcome")
    application.decision_by, application.decision_on = decided_by.strip(), decided_on
    application.decision_outcome = outcome.strip()
    db.session.flush()
    return application


def record_funding(application: Application, outcome: str, *, decided_on: date, amount: Decimal | None,
                   unit: Unit | None = None, responsible: User | None = None, actor: Any = None) -> Project | None:
    """Record the funder's decision (DOMAIN §5.1 step 4). Granted funding after a favourable statement puts the
    project in the portfolio with the unit's named responsible person (`portfolio.add_from_application`)."""
    if outcome not in FundingOutcome._value2member_map_:
        raise ServiceError(_("Choose the funding outcome."), "outcome")
    if application.status is not S.STATEMENT_GIVEN:
        raise ServiceError(_("The funding outcome is recorded after the statement."), "outcome")
    if amount is not None and amount < 0:
        raise ServiceError(_("The amount must not be negative."), "amount")
    granted = FundingOutcome(outcome) is FundingOutcome.GRANTED
    to_portfolio = granted and application.statement in (StatementKind.FAVOURABLE, StatementKind.CONDITIONAL)
    if to_portfolio:
        if unit is None or unit.id not in {u.id for u in application.units}:
            raise ServiceError(_("Choose one of the application's Rise units."), "unit")
        if responsible is None or not responsible.active:
            raise ServiceError(_("Choose the unit's responsible person."), "responsible")
    application.funding_outcome = FundingOutcome(outcome)
    application.funding_decided_on, application.funding_amount = decided_on, amount
    _step(application, S.FUNDING_DECIDED)
    db.session.flush()
    if not to_portfolio:
        return None
    from .portfolio import add_from_application

    return add_from_application(application, unit=unit, responsible=responsible, actor=actor)
