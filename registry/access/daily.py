"""Daily tasks of the people registry: clearance expiry reminders and the retention of records.

Registered with `registry.core.daily` on import; `registry jobs daily` runs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from ..config import LANGUAGES
from ..core.daily import claim_reminder, daily_task
from ..core.mail import send_mail
from ..core.models import SentReminder, User, UserRole
from ..extensions import db
from ..i18n import format_date
from . import protection
from .models import Person, SecurityClearance

DEFAULT_REMINDER_DAYS = (60, 14)


@dataclass(frozen=True)
class DueReminder:
    """A clearance that expires soon and the reminder step (days before `valid_until`) it has reached."""

    clearance: SecurityClearance
    offset: int
    days_left: int

    @property
    def key(self) -> str:
        """The stable key of this reminder: one per clearance, validity date and step."""
        return f"clearance:{self.clearance.id}:{self.clearance.valid_until}:{self.offset}"


def reminder_days() -> list[int]:
    """The reminder steps in days before expiry (config CLEARANCE_REMINDER_DAYS), largest first."""
    raw = current_app.config.get("CLEARANCE_REMINDER_DAYS") or DEFAULT_REMINDER_DAYS
    if isinstance(raw, str):  # from the environment: "60,14"
        raw = [part for part in raw.replace(" ", "").split(",") if part]
    days = {int(value) for value in raw if int(value) >= 0}
    return sorted(days, reverse=True)


def reminder_step(days_left: int, steps: Iterable[int]) -> int | None:
    """The smallest step not yet passed: 50 days left with steps 60 and 14 → 60; 10 days left → 14."""
    reached = [step for step in steps if days_left <= step]
    return min(reached) if reached else None


def _renewed(clearance: SecurityClearance, others: list[SecurityClearance]) -> bool:
    """Whether the same subject has a later clearance that is valid longer (no reminder is needed)."""
    assert clearance.valid_until is not None
    for other in others:
        if other.id == clearance.id or other.completed_on is None:
            continue
        if other.valid_until is None or other.valid_until > clearance.valid_until:
            return True
    return False


def due_reminders(today: date, steps: list[int]) -> list[DueReminder]:
    """Clearances of people and organisations that expire within the largest step and are not renewed."""
    if not steps:
        return []
    horizon = today + timedelta(days=max(steps))
    expiring = list(db.session.scalars(
        select(SecurityClearance).where(SecurityClearance.valid_until >= today,
                                        SecurityClearance.valid_until <= horizon)
        .options(selectinload(SecurityClearance.partner)).order_by(SecurityClearance.valid_until,
                                                                   SecurityClearance.id)))
    if not expiring:
        return []
    person_ids = {c.person_id for c in expiring if c.person_id}
    partner_ids = {c.partner_id for c in expiring if c.partner_id}
    siblings: dict[tuple[str, int], list[SecurityClearance]] = {}
    for other in db.session.scalars(select(SecurityClearance).where(or_(
            SecurityClearance.person_id.in_(person_ids), SecurityClearance.partner_id.in_(partner_ids)))):
        subject = ("person", other.person_id) if other.person_id else ("partner", other.partner_id or 0)
        siblings.setdefault(subject, []).append(other)
    due = []
    for clearance in expiring:
        assert clearance.valid_until is not None
        subject = ("person", clearance.person_id) if clearance.person_id else ("partner", clearance.partner_id or 0)
        if _renewed(clearance, siblings.get(subject, [])):
            continue
        days_left = (clearance.valid_until - today).days
        step = reminder_step(days_left, steps)
        if step is not None:
            due.append(DueReminder(clearance, step, days_left))
    return due


def coordinators() -> list[User]:
    """The active users with the coordinator role (they follow every person's clearances)."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.id.in_(select(UserRole.user_id)
                                                               .where(UserRole.role == "coordinator")))
        .order_by(User.id)))


def _link(endpoint: str, **values: Any) -> str:
    try:
        return url_for(endpoint, _external=True, **values)
    except BuildError:  # the page is not available in this installation
        return ""


def reminder_email(due: DueReminder, locale: str) -> tuple[str, str]:
    """Subject and body in the recipient's language.

    No name: the outbox is readable by admins, who must not see these records (DESIGN §5), so a person is
    named by the number of their record and reached through the link.
    """
    clearance = due.clearance
    with force_locale(locale):
        if clearance.person_id:
            subject_text = _("person record no. %(id)d", id=clearance.person_id)
            link = _link("access.person", person_id=clearance.person_id)
        else:
            subject_text = clearance.partner.name() if clearance.partner else ""
            link = _link("access.org_clearance_edit", clearance_id=clearance.id)
        subject = _("Security clearance expires on %(date)s", date=format_date(clearance.valid_until))
        body = render_template("email/clearance_reminder.txt", clearance=clearance, subject_text=subject_text,
                               person=bool(clearance.person_id), days_left=due.days_left,
                               valid_until=format_date(clearance.valid_until), link=link)
    return subject, body




@daily_task("clearance_reminders")
def send_clearance_reminders(today: date) -> dict[str, Any]:
    """E-mail the coordinators once per clearance and step before a security clearance expires."""
    steps = reminder_days()
    due = due_reminders(today, steps)
    sent_keys = set(db.session.scalars(select(SentReminder.key).where(SentReminder.key.in_([d.key for d in due]))))
    recipients = coordinators()
    reminders = messages = 0
    for item in due:
        if item.key in sent_keys or not recipients:
            continue
        if not claim_reminder(item.key):  # a parallel run sent it a moment ago
            continue
        for user in recipients:
            locale = user.locale if user.locale in LANGUAGES else "fi"
            subject, body = reminder_email(item, locale)
            send_mail(user.email, subject, body)
            messages += 1
        db.session.commit()  # the reminder and its e-mails together
        reminders += 1
    return {"steps_in_days": steps, "clearances_expiring": len(due), "reminders_sent": reminders,
            "emails_queued": messages, "coordinators": len(recipients)}


@daily_task("retention", options=("erase_expired",))
def retention(today: date, erase_expired: bool = False) -> dict[str, Any]:
    """List the records past their retention date (ids only, never names); erase them when asked to."""
    updated = protection.refresh_all_retention()
    db.session.commit()
    ids = protection.expired_ids(today)
    summary: dict[str, Any] = {"retention_dates_updated": updated, "expired_records": len(ids), "ids": ids}
    if not erase_expired:
        if ids:
            summary["to_erase"] = "run again with --erase-expired"
        return summary
    erased = []
    for person_id in ids:
        person = db.session.get(Person, person_id)
        if person is None:  # erased meanwhile by a coordinator or a parallel run
            continue
        protection.erase_person(person, None, today=today)
        db.session.commit()  # one record at a time: an error leaves the others erased
        erased.append(person_id)
    summary["erased"] = erased
    return summary
