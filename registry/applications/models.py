"""Project partnerships (policy §8.2, §2, §15; DOMAIN §5): applications, automatic checks, reviews against
versioned weighted criteria, the working group's statement and the letter, the decision under the rules of
procedure, and the project portfolio with half-yearly follow-ups and the end evaluation."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Document, Localised, Unit, User, UTCDateTime, str_enum, utcnow
from ..directory.models import Partner, Theme
from ..extensions import db


class ApplicantForm(enum.StrEnum):
    """The applicant's legal form as the applicant states it; `rules.applicant_eligibility` judges it."""

    ASSOCIATION = "association"
    FOUNDATION = "foundation"
    OTHER_LEGAL_ENTITY = "other_legal_entity"
    EDUCATIONAL_INSTITUTION = "educational_institution"
    MUNICIPALITY = "municipality"
    JOINT_MUNICIPAL_AUTHORITY = "joint_municipal_authority"
    PARISH = "parish"
    SOCIAL_ENTERPRISE = "social_enterprise"
    COMPANY = "company"  # for-profit company: never a project partner
    PRIVATE_PERSON = "private_person"  # never a project partner


APPLICANT_FORM_LABELS = {
    ApplicantForm.ASSOCIATION: _l("Registered association"),
    ApplicantForm.FOUNDATION: _l("Foundation"),
    ApplicantForm.OTHER_LEGAL_ENTITY: _l("Other legal entity (registered community)"),
    ApplicantForm.EDUCATIONAL_INSTITUTION: _l("Educational institution"),
    ApplicantForm.MUNICIPALITY: _l("Municipality"),
    ApplicantForm.JOINT_MUNICIPAL_AUTHORITY: _l("Joint municipal authority"),
    ApplicantForm.PARISH: _l("Parish"),
    ApplicantForm.SOCIAL_ENTERPRISE: _l("Social enterprise"),
    ApplicantForm.COMPANY: _l("For-profit company"),
    ApplicantForm.PRIVATE_PERSON: _l("Private person"),
}


class Funder(enum.StrEnum):
    STEA = "stea"
    ESR = "esr"
    OTHER = "other"


FUNDER_LABELS = {Funder.STEA: _l("STEA"), Funder.ESR: _l("European Social Fund (ESR)"), Funder.OTHER: _l("Other")}


class ApplicationStatus(enum.StrEnum):
    """The application's path (DESIGN §3); the allowed steps are in `rules.TRANSITIONS`."""

    RECEIVED = "received"
    ELIGIBILITY_CHECKED = "eligibility_checked"
    IN_REVIEW = "in_review"
    STATEMENT_GIVEN = "statement_given"
    FUNDING_DECIDED = "funding_decided"
    RUNNING = "running"
    ENDED = "ended"
    EVALUATED = "evaluated"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


STATUS_LABELS = {
    ApplicationStatus.RECEIVED: _l("Received"),
    ApplicationStatus.ELIGIBILITY_CHECKED: _l("Eligibility checked"),
    ApplicationStatus.IN_REVIEW: _l("In review"),
    ApplicationStatus.STATEMENT_GIVEN: _l("Statement given"),
    ApplicationStatus.FUNDING_DECIDED: _l("Funding decided"),
    ApplicationStatus.RUNNING: _l("Running"),
    ApplicationStatus.ENDED: _l("Ended"),
    ApplicationStatus.EVALUATED: _l("Evaluated"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
    ApplicationStatus.REJECTED: _l("Rejected"),
}


class ApplicationSource(enum.StrEnum):
    WEB = "web"  # the public form
    IMPORT = "import"  # a Webropol CSV export


class StatementKind(enum.StrEnum):
    FAVOURABLE = "favourable"  # puoltava
    CONDITIONAL = "conditional"  # puoltava ehdoin
    NOT_FAVOURABLE = "not_favourable"  # kielteinen


STATEMENT_LABELS = {
    StatementKind.FAVOURABLE: _l("Favourable"),
    StatementKind.CONDITIONAL: _l("Favourable with conditions"),
    StatementKind.NOT_FAVOURABLE: _l("Not favourable"),
}


class FundingOutcome(enum.StrEnum):
    GRANTED = "granted"
    DENIED = "denied"


FUNDING_LABELS = {FundingOutcome.GRANTED: _l("Funding granted"), FundingOutcome.DENIED: _l("Funding denied")}

application_unit = Table(
    "application_unit", db.metadata,
    Column("application_id", ForeignKey("application.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="RESTRICT"), primary_key=True, index=True),
)
application_theme = Table(
    "application_theme", db.metadata,
    Column("application_id", ForeignKey("application.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ReviewMeeting(db.Model):  # type: ignore[name-defined]
    """A meeting of the project-partnership working group; its agenda is the applications put on it."""

    __tablename__ = "review_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    applications: Mapped[list[Application]] = relationship(
        back_populates="review_meeting", foreign_keys="Application.review_meeting_id",
        order_by="Application.agenda_position")

    def __str__(self) -> str:
        return f"{self.held_on:%d.%m.%Y} {self.title}"


class Application(db.Model):  # type: ignore[name-defined]
    """A project-partnership application (projektikumppanuushakemus)."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # shown to the applicant, e.g. PK-2026-0042
    # The applicant's own link to the statement letter: a random secret, never derived from the id.
    access_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus), index=True,
                                                      default=ApplicationStatus.RECEIVED)
    source: Mapped[ApplicationSource] = mapped_column(str_enum(ApplicationSource), default=ApplicationSource.WEB)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    language: Mapped[str] = mapped_column(String(2), default="fi")  # the applicant's language: letter and e-mail
    # The applicant organisation as stated; `partner` is the directory match (by business ID) or a pending one.
    organisation_name: Mapped[str] = mapped_column(String(300))
    business_id: Mapped[str | None] = mapped_column(String(9), index=True)
    applicant_form: Mapped[ApplicantForm] = mapped_column(str_enum(ApplicantForm))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"), index=True)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    address: Mapped[str | None] = mapped_column(Text)  # postal address for the letter
    project_name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    need: Mapped[str | None] = mapped_column(Text)  # the need for the activity (policy §8.2)
    target_groups: Mapped[str | None] = mapped_column(Text)
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    funder: Mapped[Funder] = mapped_column(str_enum(Funder))
    funder_other: Mapped[str | None] = mapped_column(String(200))
    funding_round: Mapped[str | None] = mapped_column(String(100))
    prison_work: Mapped[bool] = mapped_column(default=False)
    e_services: Mapped[bool] = mapped_column(default=False)
    dnro: Mapped[str | None] = mapped_column(String(60))
    review_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("review_meeting.id", ondelete="SET NULL"),
                                                          index=True)
    agenda_position: Mapped[int | None]
    # The working group's statement (kannanotto / puolto) and its letter.
    statement: Mapped[StatementKind | None] = mapped_column(str_enum(StatementKind))
    statement_justification: Mapped[str | None] = mapped_column(Text)
    statement_conditions: Mapped[str | None] = mapped_column(Text)
    statement_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("review_meeting.id", ondelete="SET NULL"))
    statement_signatory: Mapped[str | None] = mapped_column(String(200))
    statement_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    statement_given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    letter_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    # The decision under the rules of procedure (päätösvalta työjärjestyksen mukaan), recorded apart.
    decision_by: Mapped[str | None] = mapped_column(String(200))
    decision_on: Mapped[date | None]
    decision_outcome: Mapped[str | None] = mapped_column(Text)
    # Funding is applied for separately (DOMAIN §5.1 step 4); its outcome is recorded here.
    funding_outcome: Mapped[FundingOutcome | None] = mapped_column(str_enum(FundingOutcome))
    funding_decided_on: Mapped[date | None]
    funding_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    partner: Mapped[Partner | None] = relationship()
    units: Mapped[list[Unit]] = relationship(secondary=application_unit, order_by=Unit.name_fi)
    themes: Mapped[list[Theme]] = relationship(secondary=application_theme, order_by=Theme.name_fi)
    review_meeting: Mapped[ReviewMeeting | None] = relationship(back_populates="applications",
                                                               foreign_keys=[review_meeting_id])
    statement_meeting: Mapped[ReviewMeeting | None] = relationship(foreign_keys=[statement_meeting_id])
    statement_given_by: Mapped[User | None] = relationship(foreign_keys=[statement_given_by_id])
    letter_document: Mapped[Document | None] = relationship()
    reviewers: Mapped[list[Reviewer]] = relationship(back_populates="application", cascade="all, delete-orphan")
    reviews: Mapped[list[Review]] = relationship(back_populates="application", cascade="all, delete-orphan")
    project: Mapped[Project | None] = relationship(back_populates="application", uselist=False)

    def __str__(self) -> str:
        return self.reference


class CriteriaVersion(db.Model):  # type: ignore[name-defined]
    """One version of the criteria set; a change makes a new version, so old reviews keep their criteria."""

    __tablename__ = "criteria_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    criteria: Mapped[list[Criterion]] = relationship(back_populates="version", cascade="all, delete-orphan",
                                                     order_by="Criterion.position")

    def __str__(self) -> str:
        return f"criteria version {self.number}"


class Criterion(Localised, db.Model):  # type: ignore[name-defined]
    """A weighted review criterion maintained by the working group (DOMAIN §5.1 step 9)."""

    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("criteria_version.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # the same criterion across versions
    position: Mapped[int] = mapped_column(default=0)
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_fi: Mapped[str | None] = mapped_column(Text)
    description_sv: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    scale_min: Mapped[int] = mapped_column(default=0)
    scale_max: Mapped[int] = mapped_column(default=5)
    required: Mapped[bool] = mapped_column(default=True)

    version: Mapped[CriteriaVersion] = relationship(back_populates="criteria")

    def __str__(self) -> str:
        return self.code


class Reviewer(db.Model):  # type: ignore[name-defined]
    """A working-group member assigned to review an application, with their conflict-of-interest declaration."""

    __tablename__ = "reviewer"
    __table_args__ = (UniqueConstraint("application_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    coi_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    coi_conflict: Mapped[bool | None]  # the reviewer's own declaration
    coi_explanation: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="reviewers")
    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"reviewer {self.user_id} of application {self.application_id}"


class Review(db.Model):  # type: ignore[name-defined]
    """One reviewer's submitted scores, against the criteria version in force when they started."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    criteria_version_id: Mapped[int] = mapped_column(ForeignKey("criteria_version.id", ondelete="RESTRICT"))
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: a draft

    application: Mapped[Application] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()
    criteria_version: Mapped[CriteriaVersion] = relationship()
    scores: Mapped[list[ReviewScore]] = relationship(back_populates="review", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"review {self.id} of application {self.application_id}"


class ReviewScore(db.Model):  # type: ignore[name-defined]
    __tablename__ = "review_score"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="RESTRICT"))
    score: Mapped[int | None]  # None: not scored (allowed only for a criterion that is not required)
    comment: Mapped[str | None] = mapped_column(Text)

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()

    def __str__(self) -> str:
        return f"score of criterion {self.criterion_id} in review {self.review_id}"


class ProjectStatus(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ENDED = "ended"
    EVALUATED = "evaluated"


PROJECT_STATUS_LABELS = {ProjectStatus.PLANNED: _l("Planned"), ProjectStatus.RUNNING: _l("Running"),
                         ProjectStatus.ENDED: _l("Ended"), ProjectStatus.EVALUATED: _l("Evaluated")}


class ProjectOwner(enum.StrEnum):
    PARTNER = "partner"  # a partner's project (from an application)
    RISE = "rise"  # Rise's own development project


class Recommendation(enum.StrEnum):
    ADOPT_NATIONALLY = "adopt_nationally"
    ADOPT_LOCALLY = "adopt_locally"
    DEVELOP_FURTHER = "develop_further"
    DO_NOT_ADOPT = "do_not_adopt"


RECOMMENDATION_LABELS = {
    Recommendation.ADOPT_NATIONALLY: _l("Adopt nationally"),
    Recommendation.ADOPT_LOCALLY: _l("Adopt locally"),
    Recommendation.DEVELOP_FURTHER: _l("Develop further before adoption"),
    Recommendation.DO_NOT_ADOPT: _l("Do not adopt"),
}

project_theme = Table(
    "project_theme", db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Project(db.Model):  # type: ignore[name-defined]
    """A project in the portfolio (projektisalkku): a funded partnership project or Rise's own project."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"),
                                                       unique=True)
    owner: Mapped[ProjectOwner] = mapped_column(str_enum(ProjectOwner))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"), index=True)
    funder: Mapped[Funder | None] = mapped_column(str_enum(Funder), index=True)
    status: Mapped[ProjectStatus] = mapped_column(str_enum(ProjectStatus), index=True)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    # The unit's named responsible person (DOMAIN §5.1 step 6): gets the half-yearly follow-up requests.
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                       index=True)
    next_follow_up_on: Mapped[date | None] = mapped_column(index=True)
    # The end evaluation of outputs for wider use (policy §8.2) and the recommendation for adoption.
    evaluation_outputs: Mapped[str | None] = mapped_column(Text)
    evaluation_wider_use: Mapped[str | None] = mapped_column(Text)
    recommendation: Mapped[Recommendation | None] = mapped_column(str_enum(Recommendation))
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application | None] = relationship(back_populates="project")
    partner: Mapped[Partner | None] = relationship()
    unit: Mapped[Unit] = relationship()
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    evaluated_by: Mapped[User | None] = relationship(foreign_keys=[evaluated_by_id])
    themes: Mapped[list[Theme]] = relationship(secondary=project_theme, order_by=Theme.name_fi)
    follow_ups: Mapped[list[FollowUp]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                      order_by="FollowUp.due_on.desc()")

    def __str__(self) -> str:
        return self.name


class FollowUp(db.Model):  # type: ignore[name-defined]
    """A half-yearly follow-up of a portfolio project (DOMAIN §5.1 step 5)."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("project_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(index=True)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    progress: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="follow_ups")
    submitted_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"follow-up {self.due_on} of project {self.project_id}"
