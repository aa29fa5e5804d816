"""Networks and recurring meetings (policy §6–7, §15; DOMAIN §7): stakeholder networks, meeting series with an
RFC 5545 recurrence rule, and per-occurrence exceptions (cancelled, moved, own agenda, minutes).

Times are stored as naive Europe/Helsinki wall-clock times: a meeting at 10:00 stays at 10:00 local time across
the DST changes, which is what the recurrence rule means. Conversion to UTC happens only at the edges.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Document, Localised, Unit, User, UTCDateTime, str_enum, utcnow
from ..directory.models import Contact, Partner, Theme
from ..extensions import db


class NetworkLevel(enum.StrEnum):
    CENTRE = "centre"  # convened by a sanction centre for its area (policy §7.2)
    NATIONAL = "national"  # national areas, central administration (DOMAIN §7.1–7.2, §7.5)


LEVEL_LABELS = {NetworkLevel.CENTRE: _l("Sanction centre"), NetworkLevel.NATIONAL: _l("National")}


class Cadence(enum.StrEnum):
    """The meeting frequency agreed in the network (policy §7.2: "a jointly agreed meeting frequency")."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    THREE_FOUR_A_YEAR = "three_four_a_year"
    TWICE_A_YEAR = "twice_a_year"
    YEARLY = "yearly"
    AS_NEEDED = "as_needed"
    CONTINUOUS = "continuous"


CADENCE_LABELS = {
    Cadence.WEEKLY: _l("Weekly"),
    Cadence.MONTHLY: _l("Monthly"),
    Cadence.QUARTERLY: _l("Quarterly"),
    Cadence.THREE_FOUR_A_YEAR: _l("3–4 times a year"),
    Cadence.TWICE_A_YEAR: _l("Twice a year"),
    Cadence.YEARLY: _l("Yearly"),
    Cadence.AS_NEEDED: _l("As needed"),
    Cadence.CONTINUOUS: _l("Continuous"),
}


class GoalsMet(enum.StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


GOALS_MET_LABELS = {GoalsMet.YES: _l("Goals met"), GoalsMet.PARTLY: _l("Goals partly met"),
                    GoalsMet.NO: _l("Goals not met")}


class OccurrenceStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


OCCURRENCE_STATUS_LABELS = {OccurrenceStatus.SCHEDULED: _l("Scheduled"),
                            OccurrenceStatus.CANCELLED: _l("Cancelled")}

network_follower = Table(
    "network_follower", db.metadata,
    Column("network_id", ForeignKey("network.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Network(Localised, db.Model):  # type: ignore[name-defined]
    """A stakeholder or cooperation network (sidosryhmäverkosto / yhteistyöverkosto)."""

    __tablename__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(300))
    name_sv: Mapped[str | None] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"), index=True)
    level: Mapped[NetworkLevel] = mapped_column(str_enum(NetworkLevel), index=True)
    # The sanction centre whose network this is (None for national networks).
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    convenor_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    facilitator_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    cadence: Mapped[Cadence] = mapped_column(str_enum(Cadence))
    cadence_note: Mapped[str | None] = mapped_column(String(300))
    goals: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    theme: Mapped[Theme | None] = relationship()
    centre: Mapped[Unit | None] = relationship(foreign_keys=[centre_id])
    convenor_unit: Mapped[Unit] = relationship(foreign_keys=[convenor_unit_id])
    facilitator_unit: Mapped[Unit | None] = relationship(foreign_keys=[facilitator_unit_id])
    members: Mapped[list[NetworkMember]] = relationship(back_populates="network", cascade="all, delete-orphan")
    evaluations: Mapped[list[NetworkEvaluation]] = relationship(
        back_populates="network", cascade="all, delete-orphan", order_by="NetworkEvaluation.year.desc()")
    series: Mapped[list[MeetingSeries]] = relationship(back_populates="network", cascade="all, delete-orphan")
    followers: Mapped[list[User]] = relationship(secondary=network_follower)

    def __str__(self) -> str:
        return self.name_fi


class NetworkMember(db.Model):  # type: ignore[name-defined]
    """A member partner and the liaison it names (policy §7.3: every member names one)."""

    __tablename__ = "network_member"
    __table_args__ = (UniqueConstraint("network_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    joined_on: Mapped[date | None]

    network: Mapped[Network] = relationship(back_populates="members")
    partner: Mapped[Partner] = relationship()
    liaison: Mapped[Contact | None] = relationship()

    def __str__(self) -> str:
        return f"partner {self.partner_id} in network {self.network_id}"


class NetworkEvaluation(db.Model):  # type: ignore[name-defined]
    """The network's yearly evaluation of its goals and results (policy §7.2)."""

    __tablename__ = "network_evaluation"
    __table_args__ = (UniqueConstraint("network_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    goals_met: Mapped[GoalsMet] = mapped_column(str_enum(GoalsMet))
    results: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    network: Mapped[Network] = relationship(back_populates="evaluations")
    recorded_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"evaluation {self.year} of network {self.network_id}"


series_attendee = Table(
    "series_attendee", db.metadata,
    Column("series_id", ForeignKey("meeting_series.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MeetingSeries(db.Model):  # type: ignore[name-defined]
    """A meeting or a recurring series of meetings; `rrule` is None for a single meeting."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True)  # iCalendar UID, stable for the series' life
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime]  # first occurrence, naive Europe/Helsinki wall-clock time (DTSTART)
    duration_minutes: Mapped[int]
    rrule: Mapped[str | None] = mapped_column(String(500))  # RFC 5545 RRULE value, e.g. FREQ=MONTHLY;BYDAY=2TU
    location: Mapped[str | None] = mapped_column(String(300))
    video_url: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str | None] = mapped_column(Text)  # the agenda template every occurrence starts from
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE: raised on every change
    # "Change from this occurrence on" ends the old series (UNTIL) and starts this one after it.
    continues_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    network: Mapped[Network] = relationship(back_populates="series")
    organizer: Mapped[User | None] = relationship()
    attendees: Mapped[list[Contact]] = relationship(secondary=series_attendee, order_by=Contact.name)
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="Occurrence.recurrence_id")

    def __str__(self) -> str:
        return self.title


occurrence_document = Table(
    "occurrence_document", db.metadata,
    Column("occurrence_id", ForeignKey("occurrence.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", ForeignKey("document.id", ondelete="RESTRICT"), primary_key=True),
)


class Occurrence(db.Model):  # type: ignore[name-defined]
    """An exception to one occurrence of a series: cancelled, moved, its own agenda, or its minutes.

    `recurrence_id` is the occurrence's original start as the rule generates it (iCalendar RECURRENCE-ID).
    Only occurrences that differ from the rule (or carry minutes) have a row.
    """

    __tablename__ = "occurrence"
    __table_args__ = (UniqueConstraint("series_id", "recurrence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("meeting_series.id", ondelete="CASCADE"), index=True)
    recurrence_id: Mapped[datetime]  # naive Helsinki time
    status: Mapped[OccurrenceStatus] = mapped_column(str_enum(OccurrenceStatus), default=OccurrenceStatus.SCHEDULED)
    starts_at: Mapped[datetime | None]  # moved to (naive Helsinki time); None: as the rule says
    duration_minutes: Mapped[int | None]
    location: Mapped[str | None] = mapped_column(String(300))
    video_url: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str | None] = mapped_column(Text)  # None: the series' agenda
    minutes: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    series: Mapped[MeetingSeries] = relationship(back_populates="occurrences")
    documents: Mapped[list[Document]] = relationship(secondary=occurrence_document, order_by=Document.id)

    def __str__(self) -> str:
        return f"occurrence {self.recurrence_id:%Y-%m-%d %H:%M} of series {self.series_id}"
