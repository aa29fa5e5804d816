"""Agreements and jointly approved operating models (policy §7.4, §6; DOMAIN §3): national, regional, local."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Document, Localised, Region, Unit, User, UTCDateTime, str_enum, utcnow
from ..directory.models import Partner, Theme
from ..extensions import db


class AgreementKind(enum.StrEnum):
    """Instrument types the policy names (DOMAIN §3.1)."""

    AGREEMENT = "agreement"  # sopimus
    OPERATING_MODEL = "operating_model"  # yhdessä hyväksytty toimintamalli
    PROCESS = "process"  # prosessi / kuvaus
    FRAMEWORK = "framework"  # puitesopimus
    COMMITMENT = "commitment"  # yhteistyösitoumus
    LICENCE = "licence"  # lisenssi
    PLACEMENT = "placement"  # sijoitussopimus (VankL 8 luku, VankA 20–21 §)
    BILATERAL = "bilateral"  # kahdenvälinen yhteistyösopimus
    GUIDELINE = "guideline"  # linjaus
    PERFORMANCE = "performance"  # tulossopimus


KIND_LABELS = {
    AgreementKind.AGREEMENT: _l("Agreement"),
    AgreementKind.OPERATING_MODEL: _l("Jointly approved operating model"),
    AgreementKind.PROCESS: _l("Process or description"),
    AgreementKind.FRAMEWORK: _l("Framework agreement"),
    AgreementKind.COMMITMENT: _l("Cooperation commitment"),
    AgreementKind.LICENCE: _l("Licence"),
    AgreementKind.PLACEMENT: _l("Placement agreement"),
    AgreementKind.BILATERAL: _l("Bilateral cooperation agreement"),
    AgreementKind.GUIDELINE: _l("National guideline"),
    AgreementKind.PERFORMANCE: _l("Performance agreement"),
}


class AgreementLevel(enum.StrEnum):
    NATIONAL = "national"
    REGIONAL = "regional"  # one or more sanction centres (e.g. a Kela insurance district shared by centres)
    LOCAL = "local"  # one unit


LEVEL_LABELS = {AgreementLevel.NATIONAL: _l("National"), AgreementLevel.REGIONAL: _l("Regional"),
                AgreementLevel.LOCAL: _l("Local")}


class AgreementStatus(enum.StrEnum):
    """Lifecycle states; the allowed transitions are in `rules.TRANSITIONS`."""

    PLANNED = "planned"
    IN_PREPARATION = "in_preparation"
    IN_FORCE = "in_force"
    UNDER_RENEWAL = "under_renewal"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"


STATUS_LABELS = {
    AgreementStatus.PLANNED: _l("Planned"),
    AgreementStatus.IN_PREPARATION: _l("In preparation"),
    AgreementStatus.IN_FORCE: _l("In force"),
    AgreementStatus.UNDER_RENEWAL: _l("Under renewal"),
    AgreementStatus.EXPIRED: _l("Expired"),
    AgreementStatus.TERMINATED: _l("Terminated"),
    AgreementStatus.SUPERSEDED: _l("Superseded"),
}


class RenewalType(enum.StrEnum):
    NONE = "none"
    AUTOMATIC = "automatic"
    BY_DECISION = "by_decision"


RENEWAL_LABELS = {RenewalType.NONE: _l("No renewal"), RenewalType.AUTOMATIC: _l("Renews automatically"),
                  RenewalType.BY_DECISION: _l("Renewed by decision")}


class RelationKind(enum.StrEnum):
    """How an agreement relates to the earlier one it changes (`Agreement.amends`)."""

    AMENDMENT = "amendment"
    NEW_VERSION = "new_version"


RELATION_LABELS = {RelationKind.AMENDMENT: _l("Amendment"), RelationKind.NEW_VERSION: _l("New version")}


class CounterpartKind(Localised, db.Model):  # type: ignore[name-defined]
    """A kind of regional counterpart every sanction centre must have an agreement with (policy §7.4)."""

    __tablename__ = "counterpart_kind"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_fi: Mapped[str] = mapped_column(String(300))
    name_sv: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    # Whether the matrix is per wellbeing services county (social welfare, employment …) or per centre.
    per_region: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.code


class LegalBasis(db.Model):  # type: ignore[name-defined]
    """A statute reference an agreement can rest on (DOMAIN §9)."""

    __tablename__ = "legal_basis"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. "VankL 8:8"
    statute_fi: Mapped[str] = mapped_column(String(300))
    statute_sv: Mapped[str | None] = mapped_column(String(300))
    statute_en: Mapped[str | None] = mapped_column(String(300))
    section: Mapped[str | None] = mapped_column(String(100))
    subject_en: Mapped[str | None] = mapped_column(String(300))

    def __str__(self) -> str:
        return self.code


agreement_party = Table(
    "agreement_party", db.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True, index=True),
)
agreement_centre = Table(
    "agreement_centre", db.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)
agreement_region = Table(
    "agreement_region", db.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id", ondelete="CASCADE"), primary_key=True, index=True),
)
agreement_theme = Table(
    "agreement_theme", db.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)
agreement_legal_basis = Table(
    "agreement_legal_basis", db.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("legal_basis_id", ForeignKey("legal_basis.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Agreement(Localised, db.Model):  # type: ignore[name-defined]
    """An agreement, operating model or process description with its parties, dates and lifecycle."""

    __tablename__ = "agreement"
    __table_args__ = (Index("ix_agreement_status_until", "status", "valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(300))
    name_sv: Mapped[str | None] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[AgreementKind] = mapped_column(str_enum(AgreementKind))
    level: Mapped[AgreementLevel] = mapped_column(str_enum(AgreementLevel), index=True)
    status: Mapped[AgreementStatus] = mapped_column(str_enum(AgreementStatus), default=AgreementStatus.PLANNED,
                                                    index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    counterpart_kind_id: Mapped[int | None] = mapped_column(
        ForeignKey("counterpart_kind.id", ondelete="SET NULL"), index=True)  # fills a coverage-matrix cell
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="SET NULL"),
                                                  index=True)  # the national agreement a regional one is under
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="SET NULL"), index=True)
    relation: Mapped[RelationKind | None] = mapped_column(str_enum(RelationKind))
    dnro: Mapped[str | None] = mapped_column(String(60), index=True)  # diary number
    signed_on: Mapped[date | None]
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None] = mapped_column(index=True)  # None: open-ended
    renewal_type: Mapped[RenewalType] = mapped_column(str_enum(RenewalType), default=RenewalType.NONE)
    renewal_months: Mapped[int | None]  # automatic renewal: the length of each new period
    notice_months: Mapped[int | None]  # irtisanomisaika
    lead_time_days: Mapped[int | None]  # Rise's internal lead time before the notice deadline
    review_on: Mapped[date | None] = mapped_column(index=True)
    review_interval_months: Mapped[int | None]  # e.g. the KRP agreement "renewed at regular intervals"
    notes: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic concurrency: a save carries the version it was edited from (no lost updates).
    version: Mapped[int] = mapped_column(default=1)

    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id])
    counterpart_kind: Mapped[CounterpartKind | None] = relationship()
    parent: Mapped[Agreement | None] = relationship(remote_side=[id], foreign_keys=[parent_id],
                                                    back_populates="children")
    children: Mapped[list[Agreement]] = relationship(foreign_keys=[parent_id], back_populates="parent",
                                                     order_by="Agreement.name_fi")
    amends: Mapped[Agreement | None] = relationship(remote_side=[id], foreign_keys=[amends_id],
                                                    back_populates="amendments")
    amendments: Mapped[list[Agreement]] = relationship(foreign_keys=[amends_id], back_populates="amends",
                                                       order_by="Agreement.created_at")
    parties: Mapped[list[Partner]] = relationship(secondary=agreement_party, order_by=Partner.name_fi)
    centres: Mapped[list[Unit]] = relationship(secondary=agreement_centre, order_by=Unit.code)
    regions: Mapped[list[Region]] = relationship(secondary=agreement_region, order_by=Region.name_fi)
    themes: Mapped[list[Theme]] = relationship(secondary=agreement_theme, order_by=Theme.name_fi)
    legal_bases: Mapped[list[LegalBasis]] = relationship(secondary=agreement_legal_basis,
                                                         order_by=LegalBasis.code)
    transitions: Mapped[list[AgreementTransition]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementTransition.at")
    documents: Mapped[list[AgreementDocument]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementDocument.uploaded_at")

    def __str__(self) -> str:
        return self.name_fi


class AgreementTransition(db.Model):  # type: ignore[name-defined]
    """One lifecycle step: from which status to which, by whom (None: the daily job), when, why."""

    __tablename__ = "agreement_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[AgreementStatus | None] = mapped_column(str_enum(AgreementStatus))
    to_status: Mapped[AgreementStatus] = mapped_column(str_enum(AgreementStatus))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    agreement: Mapped[Agreement] = relationship(back_populates="transitions")
    by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"agreement {self.agreement_id}: {self.from_status} → {self.to_status}"


class DocumentRole(enum.StrEnum):
    SIGNED = "signed"  # the signed agreement
    ANNEX = "annex"


class AgreementDocument(db.Model):  # type: ignore[name-defined]
    """A signed PDF or an annex of an agreement; a new upload with `replaces` keeps the older versions."""

    __tablename__ = "agreement_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"))
    role: Mapped[DocumentRole] = mapped_column(str_enum(DocumentRole))
    title: Mapped[str] = mapped_column(String(200))
    version_no: Mapped[int] = mapped_column(default=1)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_document.id", ondelete="SET NULL"))
    confidential: Mapped[bool] = mapped_column(default=False)  # staff do not see confidential documents
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="documents")
    document: Mapped[Document] = relationship()

    def __str__(self) -> str:
        return f"document {self.id} of agreement {self.agreement_id}"


class Reminder(db.Model):  # type: ignore[name-defined]
    """A user's choice of agreement reminders: each deadline e-mail, or a weekly digest instead."""

    __tablename__ = "agreement_reminder_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    weekly_digest: Mapped[bool] = mapped_column(default=False)
