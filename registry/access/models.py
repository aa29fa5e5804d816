"""People with access to units: experts by experience, volunteers and partner employees (policy §10, §16).

These records hold criminal-offence data (GDPR art. 10): only the facts the waiting-period rule needs are
kept (dates and sanction kinds, never offence descriptions), sensitive columns are redacted from the audit
log's before/after values, and every record has a retention date after which it is erased.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Document, Unit, User, UTCDateTime, str_enum, utcnow
from ..directory.models import Partner
from ..extensions import db


class PersonRole(enum.StrEnum):
    """The engine's `role`: policy §10 (experts by experience) and §16 (anyone working in a unit)."""

    EXPERT_BY_EXPERIENCE = "expert_by_experience"
    VOLUNTEER = "volunteer"
    PARTNER_EMPLOYEE = "partner_employee"


class Setting(enum.StrEnum):
    """Where and how the person works (policy §10.3)."""

    IN_PREMISES = "in_premises"
    DIRECT_CONTACT = "direct_contact"
    REMOTE_EXPERT_LED = "remote_expert_led"
    REMOTE_INDEPENDENT = "remote_independent"
    REMOTE_STAFF_LED_GROUP = "remote_staff_led_group"
    OUTSIDE_UNITS = "outside_units"


class ClosePair(enum.StrEnum):
    """Close pair work that shortens the waiting period to two years (policy §10.3)."""

    NONE = "none"
    RISE_OFFICIAL = "rise_official"
    TRUSTED_PARTNER_EMPLOYEE = "trusted_partner_employee"


class Sanction(enum.StrEnum):
    UNCONDITIONAL_PRISON = "unconditional_prison"
    FINE_CONVERSION_PRISON = "fine_conversion_prison"
    COMMUNITY_SERVICE = "community_service"
    MONITORING_SENTENCE = "monitoring_sentence"
    JUVENILE_PUNISHMENT = "juvenile_punishment"
    CONDITIONAL_PRISON = "conditional_prison"
    FINE = "fine"


class ClearanceKind(enum.StrEnum):
    """Security clearance kinds (Supo's basic personnel clearance is the policy's default, §10.3)."""

    BASIC = "basic"  # perusmuotoinen henkilöturvallisuusselvitys
    EXTENDED = "extended"  # laaja henkilöturvallisuusselvitys
    ORGANISATION = "organisation"  # yritysturvallisuusselvitys / organisation-level (policy §8.2)


class ClearanceResult(enum.StrEnum):
    NO_REMARKS = "no_remarks"
    REMARKS = "remarks"


class EngineDecision(enum.StrEnum):
    ELIGIBLE = "eligible"
    NEEDS_REVIEW = "needs_review"
    NOT_ELIGIBLE = "not_eligible"


class DecisionOutcome(enum.StrEnum):
    """The unit director's decision (policy §10.3: the director decides in the final instance)."""

    ADMIT = "admit"
    ADMIT_WITH_CONDITIONS = "admit_with_conditions"
    REFUSE = "refuse"


class ConcernKind(enum.StrEnum):
    """What a partner reported (policy §10.3: the partner's duty to notify)."""

    SUSPECTED_OFFENCE = "suspected_offence"
    SUBSTANCE_PROBLEM = "substance_problem"
    OTHER = "other"


class PolicyParameterSet(db.Model):  # type: ignore[name-defined]
    """A version of the waiting-period and retention parameters, in force from `effective_from`."""

    __tablename__ = "policy_parameter_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    effective_from: Mapped[date] = mapped_column(unique=True)
    waiting_years: Mapped[int]
    paired_waiting_years: Mapped[int]
    retention_years: Mapped[int]
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __str__(self) -> str:
        return f"policy parameters {self.version}"


class Person(db.Model):  # type: ignore[name-defined]
    """An expert by experience, volunteer or partner employee who may work in Rise units."""

    __tablename__ = "person"
    __audit_redact__ = frozenset({"open_criminal_case"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    role: Mapped[PersonRole] = mapped_column(str_enum(PersonRole), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"), index=True)
    peer_role: Mapped[bool] = mapped_column(default=False)  # vertaisrooli (policy §10.1)
    developer_role: Mapped[bool] = mapped_column(default=False)  # kehittämisrooli
    hourly_fee: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))  # policy §10.4 cites 25–50 €/h
    travel_costs_paid: Mapped[bool] = mapped_column(default=False)
    undertaking_signed_on: Mapped[date | None]  # salassapitositoumus (policy §16)
    undertaking_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    open_criminal_case: Mapped[bool] = mapped_column(default=False)  # policy §10.3
    notes: Mapped[str | None] = mapped_column(Text)
    retention_until: Mapped[date | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    partner: Mapped[Partner | None] = relationship()
    undertaking_document: Mapped[Document | None] = relationship()
    trainings: Mapped[list[Training]] = relationship(back_populates="person", cascade="all, delete-orphan",
                                                     order_by="Training.completed_on")
    clearances: Mapped[list[SecurityClearance]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="SecurityClearance.id")
    inductions: Mapped[list[Induction]] = relationship(back_populates="person", cascade="all, delete-orphan",
                                                       order_by="Induction.inducted_on")
    sentences: Mapped[list[Sentence]] = relationship(back_populates="person", cascade="all, delete-orphan",
                                                     order_by="Sentence.offence_date")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="person", cascade="all, delete-orphan",
                                                         order_by="Assignment.starts_on")
    concerns: Mapped[list[Concern]] = relationship(back_populates="person", cascade="all, delete-orphan",
                                                   order_by="Concern.reported_on")

    def __str__(self) -> str:
        return f"person {self.id}"  # never the name: audit labels outlive an erased record


class Training(db.Model):  # type: ignore[name-defined]
    """Expert-by-experience training; it counts only once verified (policy §10.2: verifiable training)."""

    __tablename__ = "training"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date | None]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship(back_populates="trainings")
    document: Mapped[Document | None] = relationship()
    verified_by: Mapped[User | None] = relationship()

    @property
    def verified(self) -> bool:
        """Verified means a Rise user checked the evidence and recorded it."""
        return self.verified_at is not None

    def __str__(self) -> str:
        return f"training {self.id} of person {self.person_id}"


class SecurityClearance(db.Model):  # type: ignore[name-defined]
    """A security clearance of a person, or of a partner organisation whose staff visit prisons (§8.2)."""

    __tablename__ = "security_clearance"
    __table_args__ = (CheckConstraint("(person_id IS NULL) <> (partner_id IS NULL)", name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[ClearanceKind] = mapped_column(str_enum(ClearanceKind))
    requested_on: Mapped[date | None]
    consent_on: Mapped[date | None]  # the person's consent to the clearance
    completed_on: Mapped[date | None]
    result: Mapped[ClearanceResult | None] = mapped_column(str_enum(ClearanceResult))
    valid_until: Mapped[date | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person | None] = relationship(back_populates="clearances")
    partner: Mapped[Partner | None] = relationship()

    def __str__(self) -> str:
        subject = f"person {self.person_id}" if self.person_id else f"partner {self.partner_id}"
        return f"clearance {self.id} of {subject}"


class Induction(db.Model):  # type: ignore[name-defined]
    """Induction into moving in a unit and meeting convicts (policy §16); each unit inducts its own."""

    __tablename__ = "induction"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    inducted_on: Mapped[date]
    inducted_by: Mapped[str] = mapped_column(String(200))  # the Rise official who gave the induction

    person: Mapped[Person] = relationship(back_populates="inductions")
    unit: Mapped[Unit] = relationship()

    def __str__(self) -> str:
        return f"induction {self.id} of person {self.person_id}"


class Sentence(db.Model):  # type: ignore[name-defined]
    """The facts of one sentence the waiting rule needs: dates and the sanction kind, nothing else."""

    __tablename__ = "sentence"
    __audit_redact__ = frozenset({"offence_date", "sanction", "enforcement_start", "left_prison",
                                  "supervision_end", "serious_breach", "completed"})

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    offence_date: Mapped[date]
    sanction: Mapped[Sanction] = mapped_column(str_enum(Sanction))
    enforcement_start: Mapped[date | None]
    left_prison: Mapped[date | None]
    supervision_end: Mapped[date | None]
    serious_breach: Mapped[bool] = mapped_column(default=False)
    completed: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="sentences")

    def __str__(self) -> str:
        return f"sentence {self.id} of person {self.person_id}"


class Assignment(db.Model):  # type: ignore[name-defined]
    """A task of a person at a unit, in a setting, possibly in close pair work."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    setting: Mapped[Setting] = mapped_column(str_enum(Setting))
    close_pair: Mapped[ClosePair] = mapped_column(str_enum(ClosePair), default=ClosePair.NONE)
    pair_name: Mapped[str | None] = mapped_column(String(200))  # the official or partner employee
    task: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", order_by="Assessment.run_at")
    decisions: Mapped[list[DirectorDecision]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", order_by="DirectorDecision.decided_at")

    def __str__(self) -> str:
        return f"assignment {self.id} of person {self.person_id}"


class Assessment(db.Model):  # type: ignore[name-defined]
    """A snapshot of one run of the eligibility engine: its inputs, versions, result, who and when."""

    __tablename__ = "assessment"
    __audit_redact__ = frozenset({"inputs", "result"})

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date]
    engine_version: Mapped[str] = mapped_column(String(16))
    parameters_version: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[EngineDecision] = mapped_column(str_enum(EngineDecision))
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    run_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="assessments")
    run_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"assessment {self.id} of assignment {self.assignment_id}"


class DirectorDecision(db.Model):  # type: ignore[name-defined]
    """The unit director's decision, recorded apart from the engine's result (policy §10.3)."""

    __tablename__ = "director_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="SET NULL"))
    outcome: Mapped[DecisionOutcome] = mapped_column(str_enum(DecisionOutcome))
    conditions: Mapped[str | None] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="decisions")
    assessment: Mapped[Assessment | None] = relationship()
    decided_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"decision {self.id} on assignment {self.assignment_id}"


class Concern(db.Model):  # type: ignore[name-defined]
    """A partner's report of a suspected offence or substance problem (policy §10.3).

    An open concern flags the person: a new assessment and a new director's decision are required; the
    concern is closed by the first decision recorded after it (`closed_by_decision_id`).
    """

    __tablename__ = "concern"
    __audit_redact__ = frozenset({"summary"})

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ConcernKind] = mapped_column(str_enum(ConcernKind))
    reported_on: Mapped[date]
    reported_by_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("director_decision.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="concerns")
    reported_by_partner: Mapped[Partner | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def open(self) -> bool:
        """Open until a director's decision recorded after it closes it."""
        return self.closed_by_decision_id is None

    def __str__(self) -> str:
        return f"concern {self.id} of person {self.person_id}"
