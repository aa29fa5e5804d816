"""Who may see a person's record (DESIGN §5): coordinators see everyone, directors the people of their units.

Criminal-offence data (GDPR art. 10) is shown only to those who need it: coordinators of expert-by-experience
work (all people) and the directors of the units where a person has an assignment. Admins and other roles
never see these records, and a person outside the user's reach answers 404 so existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, false, null, or_, select, true, update
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.documents import remove_document
from ..core.models import AuditEvent, Document
from ..core.queries import get_or_404
from ..core.services import ServiceError, scope_unit_ids
from ..extensions import db
from ..i18n import HELSINKI
from ..i18n import today as helsinki_today
from . import params, rules
from .models import Assignment, Person, PolicyParameterSet

# Audited tables that hold a person's data; their audit rows are scrubbed when the person is erased.
PERSONAL_TABLES = ("person", "training", "security_clearance", "induction", "sentence", "assignment",
                   "assessment", "director_decision", "concern", "document")
MAX_YEARS_AHEAD = 10  # a new parameter version takes effect within this many years
ERASED_LABEL = "erased"  # the object label left on scrubbed audit rows (no name, no description)


def _director_units(user: Any) -> set[int]:
    """The units a director's scope covers; admin rights give no reach into these records."""
    if not getattr(user, "is_authenticated", False) or not user.has_role("director"):
        return set()
    return scope_unit_ids(user.home_unit)


def may_see(user: Any, person: Person) -> bool:
    """Coordinators see everyone; a director sees a person with an assignment at a unit in scope."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("coordinator"):
        return True
    units = _director_units(user)
    if not units or person.id is None:
        return False
    return any(a.unit_id in units for a in person.assignments)


def visible_people(user: Any) -> ColumnElement[bool]:
    """A condition on Person selecting the people the user may see (use in `select(Person).where(...)`)."""
    if not getattr(user, "is_authenticated", False):
        return false()
    if user.has_role("coordinator"):
        return true()
    units = _director_units(user)
    if not units:
        return false()
    return select(Assignment.id).where(Assignment.person_id == Person.id,
                                       Assignment.unit_id.in_(sorted(units))).exists()


def require_visible(person_id: int) -> Person:
    """The person with this id when the signed-in user may see them; 404 otherwise (never 403)."""
    from flask_login import current_user

    person: Person = get_or_404(Person, person_id)
    if not may_see(current_user, person):
        abort(404)
    return person


# --- retention and erasure ---------------------------------------------------------------------------


def recorded_on(person: Person) -> date:
    """The calendar day (Finland) the record was created; today for a record not yet saved."""
    if person.created_at is None:
        return helsinki_today()
    return person.created_at.astimezone(HELSINKI).date()


def compute_retention(person: Person, versions: Sequence[rules.PolicyParameters] | None = None) -> date | None:
    """The retention date the rule gives for the person's assignments (None while one is open)."""
    ends = [a.ends_on for a in person.assignments]
    known = [end for end in ends if end is not None]
    # The retention period in force when the last assignment ends applies (versioned parameters).
    as_of = max(known) if known else recorded_on(person)
    in_force = rules.parameters_on(versions, as_of) if versions else params.current_parameters(as_of)
    return rules.retention_until(ends, recorded_on(person), in_force)


def refresh_retention(person: Person, versions: Sequence[rules.PolicyParameters] | None = None) -> date | None:
    """Set `person.retention_until` from the assignments (call after any change to them); returns it."""
    until = compute_retention(person, versions)
    if person.retention_until != until:
        person.retention_until = until
    return until


def expired_people(today: date) -> list[Person]:
    """People whose retention date has passed (kept until the end of `retention_until` itself)."""
    return list(db.session.scalars(select(Person).where(Person.retention_until < today)
                                   .order_by(Person.retention_until, Person.id)))


def expired_ids(today: date) -> list[int]:
    """The ids of the people whose retention date has passed, oldest first."""
    return list(db.session.scalars(select(Person.id).where(Person.retention_until < today)
                                   .order_by(Person.retention_until, Person.id)))


def person_objects(person: Person) -> dict[str, set[str]]:
    """Every audited row that holds data of the person, by table: the person, their records and documents."""
    objects: dict[str, set[str]] = {name: set() for name in PERSONAL_TABLES}
    objects["person"].add(str(person.id))
    objects["training"].update(str(t.id) for t in person.trainings)
    objects["security_clearance"].update(str(c.id) for c in person.clearances)
    objects["induction"].update(str(i.id) for i in person.inductions)
    objects["sentence"].update(str(s.id) for s in person.sentences)
    objects["concern"].update(str(c.id) for c in person.concerns)
    for assignment in person.assignments:
        objects["assignment"].add(str(assignment.id))
        objects["assessment"].update(str(a.id) for a in assignment.assessments)
        objects["director_decision"].update(str(d.id) for d in assignment.decisions)
    objects["document"].update(str(d.id) for d in person_documents(person))
    return objects


def person_documents(person: Person) -> list[Document]:
    """The uploaded documents of the person: the confidentiality undertaking and training evidence."""
    found: dict[int, Document] = {}
    for doc in [person.undertaking_document, *(t.document for t in person.trainings)]:
        if doc is not None:
            found[doc.id] = doc
    return list(found.values())


def scrub_audit(objects: dict[str, set[str]]) -> int:
    """Remove the personal data of these objects from the audit log: values, labels and notes; returns rows.

    Who did what and when stays (accountability), but nothing that identifies the data subject.
    """
    conditions = [and_(AuditEvent.object_type == table, AuditEvent.object_id.in_(sorted(ids)))
                  for table, ids in objects.items() if ids]
    if not conditions:
        return 0
    result = db.session.execute(
        update(AuditEvent).where(or_(*conditions))
        .values(before=null(), after=null(), object_label=ERASED_LABEL, note=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase_person(person: Person, user: Any = None, *, today: date | None = None) -> int:
    """Erase a record whose retention date has passed: every row, document and audit value of the person.

    Leaves one non-personal audit trace ("erase", the id and the retention date). Returns the erased id.
    The caller commits (document files are removed once the transaction commits).
    """
    today = today or helsinki_today()
    if person.retention_until is None or person.retention_until >= today:
        raise ServiceError(_("The retention period of this record has not ended."), "person")
    person_id, until = person.id, person.retention_until
    objects = person_objects(person)  # before deleting: afterwards the ids are gone
    documents = person_documents(person)
    db.session.delete(person)
    db.session.flush()  # the cascade's delete events are written to the audit log here ...
    for doc in documents:
        remove_document(doc)
    db.session.flush()
    scrub_audit(objects)  # ... and scrubbed here, together with every earlier event of the person
    audit.record("erase", object_type="person", object_id=str(person_id), actor=user,
                 note=f"retention expired {until.isoformat()}")
    db.session.flush()
    return person_id


def refresh_all_retention() -> int:
    """Recompute every person's retention date (after a parameter change); returns how many changed."""
    versions = params.stored_parameters() or params.seed_parameters()
    changed = 0
    people = db.session.scalars(select(Person).options(selectinload(Person.assignments)))
    for person in people:
        before = person.retention_until
        if refresh_retention(person, versions) != before:
            changed += 1
    db.session.flush()
    return changed


# --- policy parameter versions -----------------------------------------------------------------------


def parameter_sets() -> list[Any]:
    """Every version of the policy parameters, the newest effective date first.

    Stored versions (PolicyParameterSet); before the seed has stored any, the shipped file's versions.
    """
    stored = list(db.session.scalars(select(PolicyParameterSet).order_by(PolicyParameterSet.effective_from.desc())))
    if stored:
        return stored
    return sorted(params.seed_parameters(), key=lambda row: row.effective_from, reverse=True)


def in_force(sets: Sequence[Any], today: date) -> Any:
    """The version in force on `today`: the latest effective date on or before it (None before the first)."""
    started = [s for s in sets if s.effective_from <= today]
    return max(started, key=lambda s: s.effective_from) if started else None


def load_parameter_sets() -> int:
    """Store the versions of seed/policy_parameters.csv that are missing (by version); returns how many."""
    stored = db.session.execute(select(PolicyParameterSet.version, PolicyParameterSet.effective_from)).all()
    versions, dates = {v for v, _d in stored}, {d for _v, d in stored}
    added = 0
    for row in params.seed_parameters():
        if row.version in versions or row.effective_from in dates:
            continue  # a version edited or superseded here is kept as it is
        db.session.add(PolicyParameterSet(version=row.version, effective_from=row.effective_from,
                                          waiting_years=row.waiting_years,
                                          paired_waiting_years=row.paired_waiting_years,
                                          retention_years=row.retention_years, source=row.source or None))
        versions.add(row.version)
        dates.add(row.effective_from)
        added += 1
    db.session.flush()
    return added


def add_parameter_set(data: dict[str, Any], today: date) -> PolicyParameterSet:
    """Add a new version in force from a date not in the past (earlier versions are never rewritten)."""
    load_parameter_sets()  # the shipped versions first: a new version must not hide the history before it
    version = str(data["version"]).strip()
    effective_from: date = data["effective_from"]
    if effective_from < today:
        # policy decisions already made were based on the versions in force then (audit trail)
        raise ServiceError(_("The effective date cannot be in the past."), "effective_from")
    if effective_from > rules.add_years(today, MAX_YEARS_AHEAD):
        raise ServiceError(_("The effective date is too far in the future."), "effective_from")
    if db.session.scalar(select(PolicyParameterSet.id).where(PolicyParameterSet.version == version)):
        raise ServiceError(_("This version already exists."), "version")
    if db.session.scalar(select(PolicyParameterSet.id).where(PolicyParameterSet.effective_from == effective_from)):
        raise ServiceError(_("Another version already takes effect on this date."), "effective_from")
    try:
        rules.PolicyParameters(version=version, effective_from=effective_from,
                               waiting_years=data["waiting_years"],
                               paired_waiting_years=data["paired_waiting_years"],
                               retention_years=data["retention_years"], source=data.get("source") or "")
    except ValueError as error:
        if "paired" in str(error):
            raise ServiceError(_("The waiting period in pair work cannot be longer than the normal waiting "
                                 "period."), "paired_waiting_years") from error
        raise ServiceError(_("Check the numbers of years."), "waiting_years") from error
    row = PolicyParameterSet(version=version, effective_from=effective_from, waiting_years=data["waiting_years"],
                             paired_waiting_years=data["paired_waiting_years"],
                             retention_years=data["retention_years"], source=(data.get("source") or "").strip() or None)
    db.session.add(row)
    db.session.flush()
    return row
