"""Assignments, eligibility assessments, the unit director's decisions and partners' concerns (policy §10.3, §16).

An assessment is a snapshot: the engine's input built from the records, the engine and policy-parameter versions,
the result, who ran it and when. It never changes afterwards. The director's decision is recorded apart from the
engine's result and refers to the assessment it was based on; the two are shown side by side, never merged.
These verbs add and flush; the caller commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..core.models import Unit, User, utcnow
from ..core.services import ServiceError, in_scope, scope_unit_ids
from ..directory.models import Partner
from ..extensions import db
from ..i18n import format_date
from ..i18n import today as helsinki_today
from .inputs import MAX_DATE, MIN_DATE
from .models import (
    Assessment,
    Assignment,
    ClosePair,
    Concern,
    ConcernKind,
    DecisionOutcome,
    DirectorDecision,
    EngineDecision,
    Person,
    SecurityClearance,
    Setting,
)

ATTENTION_LIST_LENGTH = 5


class OutOfScope(ServiceError):
    """The assignment's unit is outside the director's scope: the page answers 404, existence is not revealed."""


# --- assignments ----------------------------------------------------------------------------------


def _refresh_retention(person: Person) -> None:
    from .protection import refresh_retention

    refresh_retention(person)


def _apply(assignment: Assignment, data: dict[str, Any]) -> Assignment:
    unit = data.get("unit")
    if not isinstance(unit, Unit):
        raise ServiceError(_("Choose the unit."), "unit")
    if assignment.id is not None and assignment.unit_id != unit.id and assignment.decisions:
        raise ServiceError(_("The unit cannot be changed after a director's decision: create a new assignment "
                             "for the other unit."), "unit")
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts_on, date):
        raise ServiceError(_("Give the start date."), "starts_on")
    for key, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if day is not None and not MIN_DATE <= day <= MAX_DATE:
            raise ServiceError(_("Give a date between %(first)s and %(last)s.", first=format_date(MIN_DATE),
                                 last=format_date(MAX_DATE)), key)
    if ends_on is not None and ends_on < starts_on:
        raise ServiceError(_("The end date must not be before the start date."), "ends_on")
    close_pair = ClosePair(data.get("close_pair") or ClosePair.NONE)
    pair_name = (data.get("pair_name") or "").strip() or None
    if close_pair is not ClosePair.NONE and pair_name is None:
        raise ServiceError(_("Name the Rise official or partner employee who works as the close pair."), "pair_name")
    if close_pair is ClosePair.NONE and pair_name is not None:
        raise ServiceError(_("Choose the kind of close pair work, or leave the name empty."), "pair_name")
    task = (data.get("task") or "").strip()
    if not task:
        raise ServiceError(_("Describe the task."), "task")
    assignment.unit = unit
    assignment.setting = Setting(data["setting"])
    assignment.close_pair = close_pair
    assignment.pair_name = pair_name
    assignment.task = task
    assignment.starts_on = starts_on
    assignment.ends_on = ends_on
    db.session.add(assignment)
    db.session.flush()
    _refresh_retention(assignment.person)
    return assignment


def create_assignment(person: Person, data: dict[str, Any]) -> Assignment:
    """A new assignment of the person (unit, setting, close pair and its name, task, start and end)."""
    assignment = Assignment(person=person)
    with db.session.no_autoflush:
        return _apply(assignment, data)


def update_assignment(assignment: Assignment, data: dict[str, Any]) -> Assignment:
    """Change an assignment; earlier assessments keep the facts they were computed from."""
    with db.session.no_autoflush:
        return _apply(assignment, data)


# --- the engine's input and the assessment snapshot -----------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def relevant_clearance(person: Person, as_of: date) -> SecurityClearance | None:
    """The person's own clearance completed (with a result) on or before `as_of`, the latest completed."""
    done = [c for c in person.clearances
            if c.completed_on is not None and c.completed_on <= as_of and c.result is not None]
    return max(done, key=lambda c: (c.completed_on, c.id), default=None)


def engine_input(assignment: Assignment, as_of: date) -> dict[str, Any]:
    """The engine's input JSON (issue 7 specification) built from the records as they stand on `as_of`."""
    person = assignment.person
    clearance = relevant_clearance(person, as_of)
    return {
        "as_of": as_of.isoformat(),
        "role": person.role.value,
        "setting": assignment.setting.value,
        "close_pair": assignment.close_pair.value,
        "sentences": [{
            "offence_date": s.offence_date.isoformat(),
            "sanction": s.sanction.value,
            "enforcement_start": _iso(s.enforcement_start),
            "left_prison": _iso(s.left_prison),
            "supervision_end": _iso(s.supervision_end),
            "serious_breach": bool(s.serious_breach),
            "completed": _iso(s.completed),
        } for s in sorted(person.sentences, key=lambda s: (s.offence_date, s.id or 0))],
        "open_criminal_case": bool(person.open_criminal_case),
        # Any concern not yet closed by a director's decision (policy §10.3: the partner's duty to notify).
        "concern_reported": any(c.open for c in person.concerns),
        "security_clearance": None if clearance is None else {
            "completed": _iso(clearance.completed_on),
            "valid_until": _iso(clearance.valid_until),
            "result": clearance.result.value if clearance.result else None,
        },
        "training_verified": any(t.verified for t in person.trainings),  # policy §10.2: verifiable training
        "confidentiality_undertaking": person.undertaking_signed_on is not None
        and person.undertaking_signed_on <= as_of,  # policy §16
        # Each unit inducts its own outside workers (policy §16).
        "inducted": any(i.unit_id == assignment.unit_id and i.inducted_on <= as_of for i in person.inductions),
    }


def run_assessment(assignment: Assignment, user: User | None, as_of: date) -> Assessment:
    """Run the eligibility engine on the records and store the snapshot (inputs, versions, result, who, when)."""
    from . import rules
    from .params import current_parameters

    inputs = engine_input(assignment, as_of)
    parameters = current_parameters(as_of)
    try:
        result = rules.assess(rules.parse(inputs), parameters)
    except rules.InputError as error:
        # The records themselves are contradictory (e.g. left prison before the offence): say which fact.
        raise ServiceError(_("The records cannot be assessed: %(problem)s. Correct them and try again.",
                             problem=str(error))) from error
    snapshot = result.to_json()
    assessment = Assessment(assignment=assignment, as_of=as_of, engine_version=rules.ENGINE_VERSION,
                            parameters_version=str(parameters.version), inputs=inputs, result=snapshot,
                            decision=EngineDecision(snapshot["decision"]), run_by=user, run_at=utcnow())
    db.session.add(assessment)
    db.session.flush()
    return assessment


def latest_assessment(assignment: Assignment) -> Assessment | None:
    """The assignment's most recent assessment."""
    return max(assignment.assessments, key=lambda a: (a.run_at, a.id or 0), default=None)


def latest_decision(assignment: Assignment) -> DirectorDecision | None:
    """The director's most recent decision on the assignment."""
    return max(assignment.decisions, key=lambda d: (d.decided_at, d.id or 0), default=None)


def records_changed(assessment: Assessment) -> bool:
    """Whether the records now give the engine other input than the snapshot had (same `as_of`).

    A concern settled since then is no new fact: the decision that closed it was based on this assessment.
    """
    now = engine_input(assessment.assignment, assessment.as_of)
    if assessment.inputs.get("concern_reported") and not now["concern_reported"]:
        now["concern_reported"] = True
    return now != assessment.inputs


def concerns_after(assignment: Assignment, assessment: Assessment | None) -> list[Concern]:
    """Concerns about the person recorded after the assessment (all of them when there is none)."""
    return [c for c in assignment.person.concerns if assessment is None or c.recorded_at > assessment.run_at]


# --- the unit director's decision -----------------------------------------------------------------


def may_decide(user: Any, assignment: Assignment) -> bool:
    """Only a director whose scope covers the assignment's unit decides (policy §10.3: the unit director)."""
    return bool(user.has_role("director")) and in_scope(user, assignment.unit_id)


def decision_blocker(assignment: Assignment) -> str | None:
    """Why a decision cannot be recorded yet, or None."""
    latest = latest_assessment(assignment)
    if latest is None:
        return _("Run an assessment first: a decision refers to the engine's latest assessment.")
    if concerns_after(assignment, latest):
        return _("A concern was reported after the latest assessment: run a new assessment, then decide.")
    return None


def record_decision(assignment: Assignment, user: User, outcome: DecisionOutcome | str, conditions: str | None,
                    reasoning: str | None) -> DirectorDecision:
    """Record the director's decision on the latest assessment; it closes the concerns that assessment saw."""
    if not may_decide(user, assignment):
        raise OutOfScope(_("This assignment is not at a unit of yours."))
    try:
        outcome = DecisionOutcome(outcome)
    except ValueError as error:
        raise ServiceError(_("Choose the decision."), "outcome") from error
    conditions = (conditions or "").strip() or None
    reasoning = (reasoning or "").strip()
    if outcome is DecisionOutcome.ADMIT_WITH_CONDITIONS and conditions is None:
        raise ServiceError(_("Write down the conditions."), "conditions")
    if outcome is not DecisionOutcome.ADMIT_WITH_CONDITIONS and conditions is not None:
        raise ServiceError(_("Conditions are recorded only with the decision “admit with conditions”."),
                           "conditions")
    if not reasoning:
        raise ServiceError(_("Give the reasoning of the decision."), "reasoning")
    blocker = decision_blocker(assignment)
    if blocker is not None:
        raise ServiceError(blocker)
    latest = latest_assessment(assignment)
    assert latest is not None  # decision_blocker refuses a decision without an assessment
    decision = DirectorDecision(assignment=assignment, assessment=latest, outcome=outcome, conditions=conditions,
                                reasoning=reasoning, decided_by=user, decided_at=utcnow())
    db.session.add(decision)
    db.session.flush()
    # The assessment is newer than every concern (checked above): this decision settles them.
    for concern in assignment.person.concerns:
        if concern.open and concern.recorded_at <= latest.run_at:
            concern.closed_by_decision_id = decision.id
    db.session.flush()
    return decision


# --- concerns -------------------------------------------------------------------------------------


def record_concern(person: Person, user: User | None, kind: ConcernKind | str, reported_on: date | None,
                   partner: Partner | None, reporter_name: str | None, summary: str | None) -> Concern:
    """Record a partner's report about the person (policy §10.3); it flags the person until a new decision."""
    try:
        kind = ConcernKind(kind)
    except ValueError as error:
        raise ServiceError(_("Choose what was reported."), "kind") from error
    if reported_on is None:
        raise ServiceError(_("Give the date of the report."), "reported_on")
    if reported_on > helsinki_today():
        raise ServiceError(_("The date of the report cannot be in the future."), "reported_on")
    concern = Concern(person=person, kind=kind, reported_on=reported_on, reported_by_partner=partner,
                      reporter_name=(reporter_name or "").strip() or None, summary=(summary or "").strip() or None,
                      recorded_by=user, recorded_at=utcnow())
    db.session.add(concern)
    db.session.flush()
    return concern


def open_concerns(person: Person) -> list[Concern]:
    """The person's concerns not yet settled by a director's decision."""
    return [c for c in person.concerns if c.open]


# --- the dashboard --------------------------------------------------------------------------------


def _scope(user: Any) -> set[int] | None:
    """None for coordinators (every unit), else the director's units (empty for other roles)."""
    if user.has_role("coordinator"):
        return None
    return scope_unit_ids(user.home_unit) if user.has_role("director") else set()


def _count(stmt: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def attention(user: Any) -> dict[str, Any]:
    """What needs a coordinator's or director's action: open concerns, undecided and unassessed assignments."""
    from .protection import visible_people

    scope = _scope(user)
    today = helsinki_today()
    current = select(Assignment.id).where(or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today))
    if scope is not None:
        current = current.where(Assignment.unit_id.in_(sorted(scope) or [0]))
    assessed = select(Assessment.id).where(Assessment.assignment_id == Assignment.id).exists()
    decided = select(DirectorDecision.id).where(DirectorDecision.assignment_id == Assignment.id).exists()
    undecided = current.where(assessed, ~decided)
    unassessed = current.where(~assessed)
    concerns = select(Concern.id).join(Person, Concern.person_id == Person.id).where(
        Concern.closed_by_decision_id.is_(None), visible_people(user))

    def assignments(ids: Select[Any]) -> list[Assignment]:
        return list(db.session.scalars(
            select(Assignment).options(selectinload(Assignment.person), selectinload(Assignment.unit))
            .where(Assignment.id.in_(ids)).order_by(Assignment.starts_on, Assignment.id)
            .limit(ATTENTION_LIST_LENGTH)))

    concern_items = list(db.session.scalars(
        select(Concern).options(selectinload(Concern.person)).where(Concern.id.in_(concerns))
        .order_by(Concern.reported_on, Concern.id).limit(ATTENTION_LIST_LENGTH)))
    return {
        "concerns": _count(concerns), "concern_items": concern_items,
        "undecided": _count(undecided), "undecided_items": assignments(undecided),
        "unassessed": _count(unassessed), "unassessed_items": assignments(unassessed),
    }
