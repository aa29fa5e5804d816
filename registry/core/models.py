"""Core models: organisational units, wellbeing services counties, users, sessions, tokens, audit."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def str_enum(cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value in a plain VARCHAR, identically on SQLite and PostgreSQL."""
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class UTCDateTime(db.TypeDecorator):  # type: ignore[name-defined]
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = db.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Localised:
    """Mixin for records with official names in Finnish, Swedish and English."""

    name_fi: Mapped[str]
    name_sv: Mapped[str] | Mapped[str | None]
    name_en: Mapped[str] | Mapped[str | None]

    def name(self, locale: str | None = None) -> str:
        """The name in the given (or current) UI language, falling back to Finnish."""
        if locale is None:
            from ..i18n import current_language

            locale = current_language()
        return getattr(self, f"name_{locale}", None) or self.name_fi


class UnitKind(enum.StrEnum):
    RESPONSIBILITY_AREA = "responsibility_area"
    SANCTION_CENTRE = "sanction_centre"
    PRISON = "prison"
    COMMUNITY_SANCTIONS_OFFICE = "community_sanctions_office"
    PROJECT_OFFICE = "project_office"
    TRAINING_CENTRE = "training_centre"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(UNIT_KIND_LABELS[self])


UNIT_KIND_LABELS = {
    UnitKind.RESPONSIBILITY_AREA: _l("National responsibility area"),
    UnitKind.SANCTION_CENTRE: _l("Sanction centre"),
    UnitKind.PRISON: _l("Prison"),
    UnitKind.COMMUNITY_SANCTIONS_OFFICE: _l("Community sanctions office"),
    UnitKind.PROJECT_OFFICE: _l("Project office"),
    UnitKind.TRAINING_CENTRE: _l("Training centre"),
    UnitKind.OTHER: _l("Other unit"),
}


class Unit(Localised, db.Model):  # type: ignore[name-defined]
    """An organisational unit of Rise (reference data an admin can change)."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    mailbox: Mapped[str | None] = mapped_column(String(254))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")

    def __str__(self) -> str:
        return self.name()


class Region(Localised, db.Model):  # type: ignore[name-defined]
    """A wellbeing services county (or the City of Helsinki) and the sanction centre that covers it."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    sanction_centre_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"),
                                                           index=True)
    sanction_centre: Mapped[Unit | None] = relationship()

    def __str__(self) -> str:
        return self.name()


class User(db.Model):  # type: ignore[name-defined]
    """A Rise employee who signs in to the application."""

    __tablename__ = "user_account"
    __audit_redact__ = frozenset({"password_hash", "totp_secret", "feed_token"})
    __audit_ignore__ = frozenset({"totp_last_step"})  # bookkeeping of every sign-in, not a change

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    home_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None]  # the last accepted time step: a code is never accepted twice
    # The secret of the personal calendar feed URLs (subscribable without a cookie); revocable and rotatable.
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    feed_includes_deadlines: Mapped[bool] = mapped_column(default=True)  # agreement deadlines in the personal feed
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    home_unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     back_populates="user")

    # Flask-Login protocol
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def roles(self) -> frozenset[str]:
        """The user's role names."""
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        """True when the user holds at least one of the roles."""
        return bool(self.roles.intersection(roles))

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class UserRole(db.Model):  # type: ignore[name-defined]
    """One role held by a user (a user may hold several)."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")

    def __str__(self) -> str:
        return f"{self.user.email if self.user else self.user_id}: {self.role}"


class UserSession(db.Model):  # type: ignore[name-defined]
    """A server-side sign-in session; deleting the row ends the session on the next request."""

    __tablename__ = "user_session"
    __audit__ = False  # sessions are logged as sign-in/sign-out events instead

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A personal API token; only its hash is stored."""

    __tablename__ = "api_token"
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RecoveryCode(db.Model):  # type: ignore[name-defined]
    """A single-use second-factor recovery code (hashed)."""

    __tablename__ = "recovery_code"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Who did what to which object, when (UTC), with the values before and after."""

    __tablename__ = "audit_event"
    __audit__ = False
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                 index=True)
    actor_label: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(32), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    object_label: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """An outgoing e-mail: queued by the mail service, delivered by SMTP when configured."""

    __tablename__ = "outbox_message"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Job(db.Model):  # type: ignore[name-defined]
    """A long or bulk action run in the background; its progress is shown to the user who started it."""

    __tablename__ = "job"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, running, done, failed
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Document(db.Model):  # type: ignore[name-defined]
    """An uploaded file (a signed PDF, training evidence …), stored outside the web root under its SHA-256."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))  # the uploader's name, cleaned; sent back as attachment
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __str__(self) -> str:
        return f"document {self.id}"


class SentReminder(db.Model):  # type: ignore[name-defined]
    """A reminder that was sent, by a stable key: a daily job run twice never sends it again."""

    __tablename__ = "sent_reminder"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


__all__ = [
    "ApiToken", "AuditEvent", "Document", "Job", "OutboxMessage", "Region", "RecoveryCode", "SentReminder", "Unit",
    "UnitKind", "UNIT_KIND_LABELS", "User", "UserRole", "UserSession", "utcnow",
]
