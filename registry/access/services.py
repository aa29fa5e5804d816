"""Records of people with access to units (policy §10, §16): the person and fee basis, the confidentiality
undertaking, trainings, security clearances (also of partner organisations, §8.2), inductions and sentence facts.

They add and flush; the caller commits. Only the facts the waiting rule needs are kept of a sentence (dates and
the sanction kind, never a description of the offence), and they are checked by the engine's own input rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..core.documents import check_pdf, remove_document, store_document
from ..core.models import Document, Unit, utcnow
from ..core.services import ServiceError, in_scope
from ..directory.models import Partner
from ..directory.services import normalise_phone
from ..extensions import db
from ..i18n import format_date
from . import rules
from .inputs import MAX_DATE, MIN_DATE
from .models import (
    Assessment,
    Assignment,
    ClearanceKind,
    ClearanceResult,
    Concern,
    Induction,
    Person,
    PersonRole,
    Sanction,
    SecurityClearance,
    Sentence,
    Training,
)
from .protection import refresh_retention, visible_people

FEE_MAX = Decimal("1000")  # a typing error above this; the policy cites 25–50 €/h (policy §10.4)
CENT = Decimal("0.01")
EXPIRY_WARNING_DAYS = 60  # a clearance ending within this many days is flagged
FLAGS = ("open_concern", "clearance_expiring", "clearance_expired", "open_case")
SENTENCE_FIELDS = ("offence_date", "sanction", "enforcement_start", "left_prison", "supervision_end",
                   "serious_breach", "completed")
PERSONAL_KINDS = (ClearanceKind.BASIC, ClearanceKind.EXTENDED)


class Upload(NamedTuple):
    """An uploaded file: its bytes and the name the uploader gave it."""

    data: bytes
    filename: str


def _required(data: dict[str, Any], key: str, message: str) -> str:
    value = (data.get(key) or "").strip()
    if not value:
        raise ServiceError(message, key)
    return str(value)


def _not_future(day: date | None, today: date, field: str) -> None:
    if day is not None and day > today:
        raise ServiceError(_("The date cannot be in the future."), field)


def _attach(upload: Upload | None, current: Document | None, *, user_id: int | None, field: str) -> Document | None:
    """Store a new upload (it replaces the current document) or keep the current one."""
    if upload is None:
        return current
    return store_document(upload.data, upload.filename, user_id=user_id, field=field)


def _drop_replaced(old: Document | None, new: Document | None) -> None:
    if old is not None and new is not None and old.id != new.id:
        remove_document(old)


# --- the person -----------------------------------------------------------------------------------


def check_fee(fee: Decimal | None) -> Decimal | None:
    """An hourly fee of 0–1,000 € with at most two decimals (None: no fee agreed)."""
    if fee is None:
        return None
    if not fee.is_finite() or fee < 0 or fee > FEE_MAX:
        raise ServiceError(_("Give an hourly fee between 0 and 1,000 €."), "hourly_fee")
    if fee != fee.quantize(CENT):
        raise ServiceError(_("Give the fee in euros and cents (at most two decimals)."), "hourly_fee")
    return fee.quantize(CENT)


def save_person(person: Person, data: dict[str, Any], *, today: date, upload: Upload | None = None,
                user_id: int | None = None) -> Person:
    """Create or update a person from validated form data; the phone is stored in E.164."""
    name = _required(data, "name", _("Give the name."))
    phone_raw = (data.get("phone") or "").strip()
    phone = normalise_phone(phone_raw) if phone_raw else None
    if phone_raw and phone is None:
        raise ServiceError(_("This is not a valid phone number."), "phone")
    try:
        role = PersonRole(str(data.get("role") or ""))
    except ValueError:
        raise ServiceError(_("Choose the role."), "role") from None
    fee = check_fee(data.get("hourly_fee"))
    signed_on = data.get("undertaking_signed_on")
    _not_future(signed_on, today, "undertaking_signed_on")
    if upload is not None:
        check_pdf(upload.data, "undertaking_document")
        if signed_on is None:
            raise ServiceError(_("Give the date the undertaking was signed."), "undertaking_signed_on")
    partner = data.get("partner")
    creating = person.id is None
    with db.session.no_autoflush:
        person.name = name
        person.email = (data.get("email") or "").strip().lower() or None
        person.phone = phone
        person.role = role
        person.partner = partner if isinstance(partner, Partner) else None
        person.peer_role = bool(data.get("peer_role"))
        person.developer_role = bool(data.get("developer_role"))
        person.hourly_fee = fee
        person.travel_costs_paid = bool(data.get("travel_costs_paid"))
        person.undertaking_signed_on = signed_on
        person.open_criminal_case = bool(data.get("open_criminal_case"))
        person.notes = (data.get("notes") or "").strip() or None
    db.session.add(person)
    db.session.flush()
    if creating:
        refresh_retention(person)  # a record without assignments is kept for the retention period from today
    old = person.undertaking_document
    new = _attach(upload, old, user_id=user_id, field="undertaking_document")
    person.undertaking_document = new
    db.session.flush()
    _drop_replaced(old, new)
    return person


# --- trainings ------------------------------------------------------------------------------------


def save_training(training: Training, person: Person, data: dict[str, Any], *, today: date, user: Any,
                  upload: Upload | None = None) -> Training:
    """Create or update a training; ticking "verified" records who verified it and when (policy §10.2)."""
    provider = _required(data, "provider", _("Name the provider of the training."))
    programme = _required(data, "programme", _("Name the training programme."))
    completed_on = data.get("completed_on")
    _not_future(completed_on, today, "completed_on")
    if upload is not None:
        check_pdf(upload.data, "document")
    with db.session.no_autoflush:
        training.person = person
        training.provider, training.programme, training.completed_on = provider, programme, completed_on
        if data.get("verified"):
            if training.verified_at is None:  # the first verifier stays on record until unticked
                training.verified_by_id, training.verified_at = user.id, utcnow()
        else:
            training.verified_by_id, training.verified_at = None, None
    db.session.add(training)
    db.session.flush()
    old = training.document
    new = _attach(upload, old, user_id=user.id, field="document")
    training.document = new
    db.session.flush()
    _drop_replaced(old, new)
    return training


# --- security clearances --------------------------------------------------------------------------


def check_clearance_dates(data: dict[str, Any], today: date) -> None:
    """Consent and request come before completion, completion before the end of validity; a result only once
    completed (and then always: the eligibility engine reads it)."""
    completed = data.get("completed_on")
    valid_until = data.get("valid_until")
    _not_future(completed, today, "completed_on")
    if completed is not None:
        if data.get("requested_on") and data["requested_on"] > completed:
            raise ServiceError(_("A clearance cannot be completed before it was requested."), "completed_on")
        if data.get("consent_on") and data["consent_on"] > completed:
            raise ServiceError(_("A clearance cannot be completed before the consent was given."), "completed_on")
    if valid_until is not None:
        if completed is None:
            raise ServiceError(_("Give the completion date: a clearance is valid only once completed."),
                               "valid_until")
        if valid_until < completed:
            raise ServiceError(_("The clearance cannot end before it was completed."), "valid_until")
    if data.get("result") and completed is None:
        raise ServiceError(_("A result can be recorded only for a completed clearance."), "result")
    if completed is not None and not data.get("result"):
        raise ServiceError(_("Give the result of the completed clearance."), "result")


def _set_clearance(clearance: SecurityClearance, data: dict[str, Any]) -> None:
    clearance.requested_on = data.get("requested_on")
    clearance.completed_on = data.get("completed_on")
    clearance.result = ClearanceResult(data["result"]) if data.get("result") else None
    clearance.valid_until = data.get("valid_until")
    clearance.notes = (data.get("notes") or "").strip() or None


def save_clearance(clearance: SecurityClearance, person: Person, data: dict[str, Any], *,
                   today: date) -> SecurityClearance:
    """Create or update a person's security clearance (policy §10.3: Supo's basic clearance by default)."""
    try:
        kind = ClearanceKind(str(data.get("kind") or ""))
    except ValueError:
        kind = None
    if kind not in PERSONAL_KINDS:
        raise ServiceError(_("Choose the kind of clearance."), "kind")
    check_clearance_dates(data, today)
    with db.session.no_autoflush:
        clearance.person, clearance.partner, clearance.kind = person, None, kind
        clearance.consent_on = data.get("consent_on")
        _set_clearance(clearance, data)
    db.session.add(clearance)
    db.session.flush()
    return clearance


def save_org_clearance(clearance: SecurityClearance, data: dict[str, Any], *, today: date) -> SecurityClearance:
    """Create or update the clearance of a partner organisation whose staff visit prisons (policy §8.2)."""
    partner = data.get("partner")
    if not isinstance(partner, Partner):
        raise ServiceError(_("Choose the partner."), "partner")
    check_clearance_dates(data, today)
    with db.session.no_autoflush:
        clearance.partner, clearance.person, clearance.kind = partner, None, ClearanceKind.ORGANISATION
        clearance.consent_on = None
        _set_clearance(clearance, data)
    db.session.add(clearance)
    db.session.flush()
    return clearance


def clearance_state(valid_untils: list[date | None], today: date) -> str | None:
    """"expired", "expiring" (within 60 days) or None, from the validity of a subject's completed clearances."""
    if not valid_untils or any(day is None for day in valid_untils):
        return None  # none on record, or one without an end date
    last = max(day for day in valid_untils if day is not None)
    if last < today:
        return "expired"
    return "expiring" if last <= today + timedelta(days=EXPIRY_WARNING_DAYS) else None


# --- inductions -----------------------------------------------------------------------------------


def may_induct(user: Any, unit_id: int | None) -> bool:
    """Coordinators record any unit's inductions; a director only those of units in their scope (policy §16)."""
    if user.has_role("coordinator"):
        return True
    return user.has_role("director") and in_scope(user, unit_id)


def add_induction(person: Person, data: dict[str, Any], *, user: Any, today: date) -> Induction:
    """Record that a unit inducted the person into moving in the unit and meeting convicts (policy §16)."""
    unit = data.get("unit")
    if not isinstance(unit, Unit):
        raise ServiceError(_("Choose the unit."), "unit")
    if not may_induct(user, unit.id):
        raise ServiceError(_("You can record inductions only for the units you are responsible for."), "unit")
    inducted_on = data.get("inducted_on")
    if inducted_on is None:
        raise ServiceError(_("Give the date."), "inducted_on")
    _not_future(inducted_on, today, "inducted_on")
    by = _required(data, "inducted_by", _("Name the official who gave the induction."))
    if any(i.unit_id == unit.id and i.inducted_on == inducted_on for i in person.inductions):
        raise ServiceError(_("This induction is already on record."), "inducted_on")
    induction = Induction(person=person, unit=unit, inducted_on=inducted_on, inducted_by=by)
    db.session.add(induction)
    db.session.flush()
    return induction


# --- sentences ------------------------------------------------------------------------------------


def _sentence_json(data: dict[str, Any]) -> dict[str, Any]:
    def iso(key: str) -> str | None:
        day = data.get(key)
        return day.isoformat() if isinstance(day, date) else None

    return {"offence_date": iso("offence_date"), "sanction": str(data.get("sanction") or ""),
            "enforcement_start": iso("enforcement_start"), "left_prison": iso("left_prison"),
            "supervision_end": iso("supervision_end"), "serious_breach": bool(data.get("serious_breach")),
            "completed": iso("completed")}


def _sentence_message(field: str, value: Any) -> str:
    if isinstance(value, date) and not MIN_DATE <= value <= MAX_DATE:
        return _("Give a date between %(first)s and %(last)s.", first=format_date(MIN_DATE),
                 last=format_date(MAX_DATE))
    messages = {
        "offence_date": _("Give the offence date."),
        "sanction": _("Choose the sanction."),
        "enforcement_start": _("Enforcement cannot start before the offence date."),
        "left_prison": _("The release date cannot be before the offence date or the start of enforcement."),
        "supervision_end": _("The end of supervision needs the release date and cannot be before it."),
        "completed": _("The completion date cannot be before the offence date or the start of enforcement."),
    }
    return messages.get(field, _("Check the dates of the sentence."))


def check_sentence(data: dict[str, Any], *, role: str, today: date) -> None:
    """Refuse sentence facts the eligibility engine would refuse, naming the form field (one rule, one place)."""
    facts = {"as_of": today.isoformat(), "role": role, "setting": "outside_units", "close_pair": "none",
             "sentences": [_sentence_json(data)], "open_criminal_case": False, "concern_reported": False,
             "security_clearance": None, "training_verified": False, "confidentiality_undertaking": False,
             "inducted": False}
    try:
        rules.parse(facts)
    except rules.InputError as error:
        name = (error.field or "").rpartition(".")[2]  # sentences[0].left_prison → left_prison
        field = name if name in SENTENCE_FIELDS else None
        raise ServiceError(_sentence_message(name, data.get(name)), field) from None
    _not_future(data.get("offence_date"), today, "offence_date")
    sanction = str(data.get("sanction"))
    # Dates the rule would silently ignore are refused, so nobody believes they count.
    if sanction not in rules.CUSTODIAL:
        for key in ("left_prison", "supervision_end", "serious_breach"):
            if data.get(key):
                raise ServiceError(_("Only a prison sentence has this: leave it empty."), key)
    if sanction not in rules.COMMUNITY and data.get("completed"):
        raise ServiceError(_("Only a community sanction has a completion date: leave it empty."), "completed")


def save_sentence(sentence: Sentence, person: Person, data: dict[str, Any], *, today: date) -> Sentence:
    """Create or update the facts of one sentence (dates and the sanction kind, never the offence)."""
    check_sentence(data, role=person.role.value, today=today)
    with db.session.no_autoflush:
        sentence.person = person
        sentence.sanction = Sanction(data["sanction"])
        for key in SENTENCE_FIELDS:
            if key != "sanction":
                setattr(sentence, key, bool(data.get(key)) if key == "serious_breach" else data.get(key))
    db.session.add(sentence)
    db.session.flush()
    return sentence


def delete_sentence(sentence: Sentence) -> None:
    """Remove the facts of one sentence (the audit log keeps only that it existed, its values redacted)."""
    db.session.delete(sentence)
    db.session.flush()


# --- documents ------------------------------------------------------------------------------------


def person_document_ids(person: Person) -> set[int]:
    """The documents attached to the person: the signed undertaking and the training evidence."""
    ids = {t.document_id for t in person.trainings if t.document_id}
    if person.undertaking_document_id:
        ids.add(person.undertaking_document_id)
    return ids


# --- lists and pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleFilters:
    """The people list's filters: name text, role, partner, unit of an assignment, flag ("" or None: all)."""

    q: str = ""
    role: str = ""
    partner: int | None = None
    unit: int | None = None
    flag: str = ""


@dataclass(frozen=True)
class Summary:
    """What the people list shows of a person besides the record itself."""

    decision: str | None = None  # the latest engine decision over the person's assignments
    open_concern: bool = False
    clearance: str | None = None  # "expired", "expiring" or None


def _clearance_lasts(day: date) -> Any:
    """Condition on Person: a completed clearance that is valid on `day` (or open-ended)."""
    return exists().where(SecurityClearance.person_id == Person.id, SecurityClearance.completed_on.is_not(None),
                          or_(SecurityClearance.valid_until.is_(None), SecurityClearance.valid_until >= day))


def _flag_condition(flag: str, today: date) -> Any:
    if flag == "open_case":
        return Person.open_criminal_case.is_(True)
    if flag == "open_concern":
        return exists().where(Concern.person_id == Person.id, Concern.closed_by_decision_id.is_(None))
    completed = exists().where(SecurityClearance.person_id == Person.id, SecurityClearance.completed_on.is_not(None))
    if flag == "clearance_expired":
        return and_(completed, ~_clearance_lasts(today))
    # clearance_expiring: valid today, but not beyond the warning window
    return and_(_clearance_lasts(today), ~_clearance_lasts(today + timedelta(days=EXPIRY_WARNING_DAYS + 1)))


def people_query(user: Any, filters: PeopleFilters, today: date) -> Select[tuple[Person]]:
    """The people the user may see, filtered, by name; their partners loaded in one query."""
    stmt = select(Person).options(selectinload(Person.partner)).where(visible_people(user))
    if filters.q:
        text = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(Person.name).like(f"%{text}%", escape="\\"))
    if filters.role in {r.value for r in PersonRole}:
        stmt = stmt.where(Person.role == PersonRole(filters.role))
    if filters.partner:
        stmt = stmt.where(Person.partner_id == filters.partner)
    if filters.unit:
        stmt = stmt.where(exists().where(Assignment.person_id == Person.id, Assignment.unit_id == filters.unit))
    if filters.flag in FLAGS:
        stmt = stmt.where(_flag_condition(filters.flag, today))
    return stmt.order_by(Person.name, Person.id)


def people_summaries(person_ids: list[int], today: date) -> dict[int, Summary]:
    """Latest engine decision, open concern and clearance state of these people, in three queries."""
    if not person_ids:
        return {}
    decisions: dict[int, str] = {}
    for pid, decision in db.session.execute(
            select(Assignment.person_id, Assessment.decision).select_from(Assessment).join(Assessment.assignment)
            .where(Assignment.person_id.in_(person_ids)).order_by(Assessment.run_at, Assessment.id)):
        decisions[pid] = decision.value  # ordered by time: the last one stays
    concerned = set(db.session.scalars(select(Concern.person_id).where(
        Concern.person_id.in_(person_ids), Concern.closed_by_decision_id.is_(None))))
    validity: dict[int, list[date | None]] = {}
    for holder, until in db.session.execute(select(SecurityClearance.person_id, SecurityClearance.valid_until).where(
            SecurityClearance.person_id.in_(person_ids), SecurityClearance.completed_on.is_not(None))):
        if holder is not None:
            validity.setdefault(holder, []).append(until)
    return {pid: Summary(decision=decisions.get(pid), open_concern=pid in concerned,
                         clearance=clearance_state(validity.get(pid, []), today)) for pid in person_ids}


def people_partner_choices(user: Any) -> list[tuple[int, str]]:
    """(id, Finnish name) of the partners of the people the user may see, for the list filter."""
    rows = db.session.execute(select(Partner.id, Partner.name_fi).join(Person, Person.partner_id == Partner.id)
                              .where(visible_people(user)).distinct().order_by(Partner.name_fi))
    return [(pid, name) for pid, name in rows]


def person_for_page(person_id: int) -> Person | None:
    """One person with every section of the record loaded (a few queries, however many rows)."""
    return db.session.scalar(select(Person).where(Person.id == person_id).options(
        selectinload(Person.partner), selectinload(Person.undertaking_document),
        selectinload(Person.trainings).selectinload(Training.document),
        selectinload(Person.trainings).selectinload(Training.verified_by),
        selectinload(Person.clearances), selectinload(Person.sentences),
        selectinload(Person.inductions).selectinload(Induction.unit),
        selectinload(Person.assignments).selectinload(Assignment.unit)))


def org_clearances_query(partner_id: int | None = None) -> Select[tuple[SecurityClearance]]:
    """Partner organisations' clearances, those ending soonest first (open-ended and pending last)."""
    stmt = select(SecurityClearance).options(selectinload(SecurityClearance.partner)) \
        .where(SecurityClearance.partner_id.is_not(None))
    if partner_id:
        stmt = stmt.where(SecurityClearance.partner_id == partner_id)
    return stmt.order_by(SecurityClearance.valid_until.is_(None), SecurityClearance.valid_until,
                         SecurityClearance.id)


def org_clearance_partner_choices() -> list[tuple[int, str]]:
    """(id, Finnish name) of partners that have an organisation clearance on record, for the list filter."""
    rows = db.session.execute(select(Partner.id, Partner.name_fi).join(
        SecurityClearance, SecurityClearance.partner_id == Partner.id).distinct().order_by(Partner.name_fi))
    return [(pid, name) for pid, name in rows]
