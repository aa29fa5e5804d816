"""Directory models: partners, contacts (persons and theme mailboxes), keywords, liaison roles."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Localised, Region, Unit, UTCDateTime, str_enum, utcnow
from ..extensions import db


class PartnerCategory(enum.StrEnum):
    STATE_AUTHORITY = "state_authority"
    WELLBEING_COUNTY = "wellbeing_county"
    MUNICIPALITY = "municipality"
    JOINT_MUNICIPAL_AUTHORITY = "joint_municipal_authority"
    ASSOCIATION = "association"
    FOUNDATION = "foundation"
    PARISH = "parish"
    EDUCATIONAL_INSTITUTION = "educational_institution"
    RESEARCH_BODY = "research_body"
    SOCIAL_ENTERPRISE = "social_enterprise"
    COMPANY = "company"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    OTHER = "other"


CATEGORY_LABELS = {
    PartnerCategory.STATE_AUTHORITY: _l("State authority"),
    PartnerCategory.WELLBEING_COUNTY: _l("Wellbeing services county"),
    PartnerCategory.MUNICIPALITY: _l("Municipality"),
    PartnerCategory.JOINT_MUNICIPAL_AUTHORITY: _l("Joint municipal authority"),
    PartnerCategory.ASSOCIATION: _l("Association"),
    PartnerCategory.FOUNDATION: _l("Foundation"),
    PartnerCategory.PARISH: _l("Parish or church"),
    PartnerCategory.EDUCATIONAL_INSTITUTION: _l("Educational institution"),
    PartnerCategory.RESEARCH_BODY: _l("Research body"),
    PartnerCategory.SOCIAL_ENTERPRISE: _l("Social enterprise"),
    PartnerCategory.COMPANY: _l("For-profit company"),
    PartnerCategory.INTERNATIONAL_ORGANISATION: _l("International organisation"),
    PartnerCategory.OTHER: _l("Other"),
}


class PartnerLevel(enum.StrEnum):
    NATIONAL = "national"
    REGIONAL = "regional"
    LOCAL = "local"
    INTERNATIONAL = "international"


LEVEL_LABELS = {
    PartnerLevel.NATIONAL: _l("National"),
    PartnerLevel.REGIONAL: _l("Regional"),
    PartnerLevel.LOCAL: _l("Local"),
    PartnerLevel.INTERNATIONAL: _l("International"),
}


class SuitabilityOutcome(enum.StrEnum):
    SUITABLE = "suitable"
    SUITABLE_WITH_CONDITIONS = "suitable_with_conditions"
    NOT_SUITABLE = "not_suitable"


SUITABILITY_LABELS = {
    SuitabilityOutcome.SUITABLE: _l("Suitable"),
    SuitabilityOutcome.SUITABLE_WITH_CONDITIONS: _l("Suitable with conditions"),
    SuitabilityOutcome.NOT_SUITABLE: _l("Not suitable"),
}


class ContactKind(enum.StrEnum):
    PERSON = "person"
    MAILBOX = "mailbox"  # a theme or task mailbox (teemakohtainen osoite), policy §14


class LiaisonSubject(enum.StrEnum):
    PARTNER = "partner"
    AGREEMENT = "agreement"
    NETWORK = "network"
    PROJECT = "project"
    THEME = "theme"


SUBJECT_LABELS = {
    LiaisonSubject.PARTNER: _l("Partner"),
    LiaisonSubject.AGREEMENT: _l("Agreement"),
    LiaisonSubject.NETWORK: _l("Network"),
    LiaisonSubject.PROJECT: _l("Project"),
    LiaisonSubject.THEME: _l("Theme"),
}


class LiaisonSide(enum.StrEnum):
    RISE = "rise"
    PARTNER = "partner"


SIDE_LABELS = {LiaisonSide.RISE: _l("Rise"), LiaisonSide.PARTNER: _l("Partner")}

partner_region = Table(
    "partner_region", db.metadata,
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id", ondelete="CASCADE"), primary_key=True, index=True),
)
partner_theme = Table(
    "partner_theme", db.metadata,
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)
contact_keyword = Table(
    "contact_keyword", db.metadata,
    Column("contact_id", ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
    Column("keyword_id", ForeignKey("keyword.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Theme(Localised, db.Model):  # type: ignore[name-defined]
    """A cooperation theme (policy §7.2 a–e and others); reference data."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.name()


class Partner(Localised, db.Model):  # type: ignore[name-defined]
    """A partner organisation."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(300))
    name_sv: Mapped[str | None] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    business_id: Mapped[str | None] = mapped_column(String(9), unique=True)  # Y-tunnus 1234567-8
    category: Mapped[PartnerCategory] = mapped_column(str_enum(PartnerCategory), index=True)
    legal_form: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[PartnerLevel] = mapped_column(str_enum(PartnerLevel), index=True)
    website: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    # The documented suitability check for third-sector partners (policy commission, DOMAIN §2.3).
    suitability_checked_on: Mapped[date | None]
    suitability_checked_by: Mapped[str | None] = mapped_column(String(200))
    suitability_outcome: Mapped[SuitabilityOutcome | None] = mapped_column(str_enum(SuitabilityOutcome))
    suitability_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"), index=True)

    regions: Mapped[list[Region]] = relationship(secondary=partner_region, order_by=Region.name_fi)
    themes: Mapped[list[Theme]] = relationship(secondary=partner_theme, order_by=Theme.name_fi)
    contacts: Mapped[list[Contact]] = relationship(back_populates="partner", order_by="Contact.name")

    def __str__(self) -> str:
        return self.name_fi


class Keyword(db.Model):  # type: ignore[name-defined]
    """A competence keyword (osaamisprofiilin asiasana), stored in lower case."""

    __tablename__ = "keyword"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    def __str__(self) -> str:
        return self.name


class Contact(db.Model):  # type: ignore[name-defined]
    """A contact person or a theme/task mailbox, at a partner or at a Rise unit."""

    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_last_confirmed", "last_confirmed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind), default=ContactKind.PERSON)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    mobile: Mapped[str | None] = mapped_column(String(20))  # E.164
    public: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    last_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    partner: Mapped[Partner | None] = relationship(back_populates="contacts")
    unit: Mapped[Unit | None] = relationship()
    keywords: Mapped[list[Keyword]] = relationship(secondary=contact_keyword, order_by=Keyword.name)
    roles: Mapped[list[LiaisonRole]] = relationship(back_populates="contact", order_by="LiaisonRole.valid_from")

    @property
    def organisation(self) -> Partner | Unit | None:
        """The partner or the Rise unit the contact belongs to."""
        return self.partner or self.unit

    def __str__(self) -> str:
        return self.name


class LiaisonRole(db.Model):  # type: ignore[name-defined]
    """Who is the liaison for what, on which side, from when to when (policy §14)."""

    __tablename__ = "liaison_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    subject: Mapped[LiaisonSubject] = mapped_column(str_enum(LiaisonSubject))
    side: Mapped[LiaisonSide] = mapped_column(str_enum(LiaisonSide))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="RESTRICT"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"),
                                                     index=True)
    project: Mapped[str | None] = mapped_column(String(300))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)

    contact: Mapped[Contact] = relationship(back_populates="roles")
    partner: Mapped[Partner | None] = relationship()
    theme: Mapped[Theme | None] = relationship()

    def current(self, today: date) -> bool:
        """Whether the role is in force on the given day."""
        return (self.valid_from is None or self.valid_from <= today) and (self.valid_to is None
                                                                          or today <= self.valid_to)

    def __str__(self) -> str:
        return f"{self.subject.value}/{self.side.value}: contact {self.contact_id}"


class ConfirmationRequest(db.Model):  # type: ignore[name-defined]
    """A signed, single-use, expiring link sent to a contact to confirm or correct their details."""

    __tablename__ = "confirmation_request"
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contact: Mapped[Contact] = relationship()

    def __str__(self) -> str:
        return f"confirmation of contact {self.contact_id}"


class SearchDocument(db.Model):  # type: ignore[name-defined]
    """One searchable record (partner, contact, …): `folded` is lower-case text without diacritics.

    SQLite indexes it with an FTS5 trigram table, PostgreSQL with a pg_trgm GIN index (migration 0002).
    """

    __tablename__ = "search_document"
    __audit__ = False
    __table_args__ = (Index("ix_search_document_ref", "kind", "ref_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    subtitle: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)  # original spelling, for ranking exact matches first
    folded: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    public: Mapped[bool] = mapped_column(default=False)
