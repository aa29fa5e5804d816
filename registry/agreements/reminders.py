"""Agreement reminders: e-mails before each deadline (end of validity, notice and decision deadlines, review)
to the owner unit's mailbox and to the Rise liaisons, and a weekly digest for users who prefer one.

- The steps are `AGREEMENT_REMINDER_DAYS` days before a deadline (default 90, 30 and 7). A deadline gets the
  reminder of the smallest step not yet passed, so a deadline entered 20 days ahead is reminded at once and
  again at 7 days, and a day the job did not run is caught up the next day.
- Each reminder is sent once: `SentReminder.key` names the agreement, the kind of deadline, its date and the
  step. The key is inserted in a savepoint before the e-mails are queued; a second or parallel run hits the
  unique constraint and sends nothing. A changed date is a new deadline and gets its own reminders.
- A user who chose the weekly digest gets no single reminders as a Rise liaison; instead, once in each ISO
  week (on the job's first run of the week, normally Monday's), one e-mail lists the deadlines of the coming
  `max(AGREEMENT_REMINDER_DAYS)` days of the agreements they are the Rise liaison of or responsible for.
- Users get e-mails in their own language; mailboxes and liaisons who are not users in all three languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from ..config import LANGUAGES
from ..core.daily import claim_reminder
from ..core.mail import send_mail
from ..core.models import SentReminder, User
from ..directory.models import Contact, LiaisonRole, LiaisonSide
from ..extensions import db
from ..i18n import LANGUAGE_NAMES, format_date
from .calendar import DEADLINE_LABELS
from .dashboard import ALL, NONE, Deadline, Scope, find_deadlines, scope_condition, user_scope
from .models import Agreement, Reminder

DEFAULT_REMINDER_DAYS = (90, 30, 7)
DIGEST_LINES = 200  # deadlines listed in one digest; the rest are counted and the dashboard linked
SEPARATOR = "\n\n" + "-" * 60 + "\n\n"


# --- steps and keys -------------------------------------------------------------------------------


def reminder_days() -> list[int]:
    """The reminder steps in days before a deadline (config AGREEMENT_REMINDER_DAYS), largest first."""
    raw = current_app.config.get("AGREEMENT_REMINDER_DAYS") or DEFAULT_REMINDER_DAYS
    if isinstance(raw, str):  # from the environment: "90,30,7"
        raw = [part for part in raw.replace(" ", "").split(",") if part]
    return sorted({int(value) for value in raw if int(value) >= 0}, reverse=True)


def reminder_step(days_left: int, steps: Iterable[int]) -> int | None:
    """The smallest step not yet passed: 50 days left with steps 90, 30, 7 → 90; 20 days → 30; 3 days → 7."""
    reached = [step for step in steps if 0 <= days_left <= step]
    return min(reached) if reached else None


def reminder_key(deadline: Deadline, step: int) -> str:
    """The stable key of one reminder: agreement, kind of deadline, its date and the step."""
    return f"agreement:{deadline.agreement_id}:{deadline.kind}:{deadline.on.isoformat()}:{step}"


def digest_key(user_id: int, today: date) -> str:
    """The key of a user's weekly digest: one per ISO week."""
    year, week, _day = today.isocalendar()
    return f"agreement-digest:{user_id}:{year}-W{week:02d}"




# --- recipients -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """An address to remind: a user (their language, maybe a digest reader) or a mailbox or contact."""

    email: str
    locale: str | None = None  # None: all three languages
    digest: bool = False


def _current_rise_liaison(today: date) -> ColumnElement[bool]:
    return and_(LiaisonRole.side == LiaisonSide.RISE, LiaisonRole.agreement_id.is_not(None),
                or_(LiaisonRole.valid_from.is_(None), LiaisonRole.valid_from <= today),
                or_(LiaisonRole.valid_to.is_(None), LiaisonRole.valid_to >= today),
                Contact.active.is_(True), Contact.email.is_not(None))


def rise_liaison_emails(agreement_ids: list[int], today: date) -> dict[int, list[str]]:
    """The e-mail addresses of each agreement's current Rise liaisons (one query)."""
    found: dict[int, list[str]] = {}
    if agreement_ids:
        for agreement_id, email in db.session.execute(
                select(LiaisonRole.agreement_id, Contact.email).join(Contact, Contact.id == LiaisonRole.contact_id)
                .where(LiaisonRole.agreement_id.in_(agreement_ids), _current_rise_liaison(today))
                .order_by(LiaisonRole.id)):
            if email and agreement_id is not None:
                found.setdefault(agreement_id, []).append(email)
    return found


def agreements_with_rise_liaison(email: str, today: date) -> set[int]:
    """The agreements whose current Rise liaison has this e-mail address."""
    return {i for i in db.session.scalars(
        select(LiaisonRole.agreement_id).join(Contact, Contact.id == LiaisonRole.contact_id)
        .where(func.lower(Contact.email) == email.strip().lower(), _current_rise_liaison(today))) if i}


def digest_user_ids() -> set[int]:
    """The active users who chose the weekly digest."""
    return set(db.session.scalars(select(Reminder.user_id).join(User, User.id == Reminder.user_id)
                                  .where(Reminder.weekly_digest.is_(True), User.active.is_(True))))


def recipients(agreements: Iterable[Agreement], today: date) -> dict[int, list[Recipient]]:
    """For each agreement, its owner unit's mailbox and its current Rise liaisons (a fixed number of queries)."""
    agreements = list(agreements)
    liaisons = rise_liaison_emails([a.id for a in agreements], today)
    emails = {a.owner_unit.mailbox.lower() for a in agreements if a.owner_unit and a.owner_unit.mailbox}
    emails |= {e.lower() for found in liaisons.values() for e in found}
    users = {u.email.lower(): u for u in db.session.scalars(
        select(User).where(func.lower(User.email).in_(sorted(emails)), User.active.is_(True)))} if emails else {}
    digest = digest_user_ids() if users else set()
    found: dict[int, list[Recipient]] = {}
    for agreement in agreements:
        addresses = [agreement.owner_unit.mailbox] if agreement.owner_unit and agreement.owner_unit.mailbox else []
        addresses += liaisons.get(agreement.id, [])
        chosen: dict[str, Recipient] = {}
        for address in addresses:
            user = users.get(address.lower())
            chosen.setdefault(address.lower(), Recipient(
                address, (user.locale if user.locale in LANGUAGES else "fi") if user else None,
                user is not None and user.id in digest))
        found[agreement.id] = list(chosen.values())
    return found


# --- e-mails --------------------------------------------------------------------------------------


def _link(agreement_id: int) -> str:
    try:
        return url_for("agreements.detail", agreement_id=agreement_id, _external=True)
    except BuildError:  # the agreement pages are not available in this installation
        return ""


def _in_languages(locale: str | None, render: Any) -> tuple[str, str]:
    """Subject and body in one language, or in all three (joined) when the reader's language is unknown."""
    subjects, bodies = [], []
    for lang in [locale] if locale else LANGUAGES:
        with force_locale(lang):
            subject, body = render(LANGUAGE_NAMES[lang] if locale is None else None)
        subjects.append(subject)
        bodies.append(body)
    return " / ".join(dict.fromkeys(subjects)), SEPARATOR.join(bodies)


def reminder_email(agreement: Agreement, deadline: Deadline, today: date, locale: str | None) -> tuple[str, str]:
    """Subject and body of one reminder, in `locale` or (None) in Finnish, Swedish and English."""
    from . import rules

    notice = rules.notice_deadline(agreement.valid_until, agreement.notice_months)

    def render(language: str | None) -> tuple[str, str]:
        subject = _("%(deadline)s %(date)s: %(name)s", deadline=DEADLINE_LABELS[deadline.kind],
                    date=format_date(deadline.on), name=agreement.name())
        body = render_template("email/agreement_reminder.txt", agreement=agreement, kind=deadline.kind,
                               deadline=DEADLINE_LABELS[deadline.kind], date=format_date(deadline.on),
                               days_left=(deadline.on - today).days, notice=format_date(notice),
                               link=_link(agreement.id),
                               valid_until=format_date(agreement.valid_until), language=language)
        return subject, body

    return _in_languages(locale, render)


def digest_email(user: User, entries: list[tuple[Deadline, Agreement]], today: date) -> tuple[str, str]:
    """The weekly digest of one user, in their language."""
    locale = user.locale if user.locale in LANGUAGES else "fi"
    _year, week, _day = today.isocalendar()

    def render(_language: str | None) -> tuple[str, str]:
        try:
            profile = url_for("auth.profile", _external=True, _anchor="reminders")
        except BuildError:
            profile = ""
        lines = [(format_date(d.on), str(DEADLINE_LABELS[d.kind]), a.name(), _link(a.id))
                 for d, a in entries[:DIGEST_LINES]]
        try:
            dashboard = url_for("agreements.dashboard", _external=True)
        except BuildError:
            dashboard = ""
        return (_("Agreement deadlines, week %(week)d", week=week),
                render_template("email/agreement_digest.txt", user=user, lines=lines, profile=profile,
                                more=len(entries) - len(lines), dashboard=dashboard,
                                days=max(reminder_days(), default=0)))

    return _in_languages(locale, render)


# --- sending --------------------------------------------------------------------------------------


def _agreements(ids: Iterable[int]) -> dict[int, Agreement]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {a.id: a for a in db.session.scalars(select(Agreement).where(Agreement.id.in_(wanted))
                                                .options(selectinload(Agreement.owner_unit)))}


def send_reminders(today: date) -> dict[str, Any]:
    """Queue the reminders due today, each once; commits after each reminder with its e-mails."""
    steps = reminder_days()
    summary: dict[str, Any] = {"steps_in_days": steps, "deadlines": 0, "reminders_sent": 0, "emails_queued": 0,
                               "without_recipients": 0}
    if not steps:
        return summary
    due = [(d, step) for d in find_deadlines(true(), today, today + timedelta(days=max(steps)), today)
           if (step := reminder_step((d.on - today).days, steps)) is not None]
    summary["deadlines"] = len(due)
    sent = set(db.session.scalars(select(SentReminder.key).where(
        SentReminder.key.in_([reminder_key(d, step) for d, step in due])))) if due else set()
    due = [(d, step) for d, step in due if reminder_key(d, step) not in sent]
    agreements = _agreements(d.agreement_id for d, _step in due)
    addressed = recipients(agreements.values(), today)
    for deadline, step in due:
        agreement = agreements.get(deadline.agreement_id)
        people = addressed.get(deadline.agreement_id, [])
        if agreement is None or not people:
            summary["without_recipients"] += 1  # kept unsent: a mailbox or liaison added later still gets it
            continue
        if not claim_reminder(reminder_key(deadline, step)):  # a parallel run sent it a moment ago
            continue
        for person in people:
            if person.digest:
                continue  # the weekly digest lists it
            subject, body = reminder_email(agreement, deadline, today, person.locale)
            send_mail(person.email, subject, body)
            summary["emails_queued"] += 1
        db.session.commit()  # the reminder and its e-mails together
        summary["reminders_sent"] += 1
    return summary


def digest_entries(user: User, today: date, days: int) -> list[tuple[Deadline, Agreement]]:
    """The deadlines of the coming `days` days of the agreements the user is the Rise liaison of or
    responsible for (their dashboard scope; an administrator's scope of every agreement is left out), by date."""
    scope = user_scope(user)
    condition = scope_condition(Scope(NONE) if scope.kind == ALL else scope)
    liaison_of = agreements_with_rise_liaison(user.email, today)
    if liaison_of:
        condition = or_(condition, Agreement.id.in_(sorted(liaison_of)))
    found = find_deadlines(condition, today, today + timedelta(days=days), today)
    agreements = _agreements(d.agreement_id for d in found)
    return [(d, agreements[d.agreement_id]) for d in found if d.agreement_id in agreements]


def send_digests(today: date) -> dict[str, Any]:
    """Queue this ISO week's digest for every user who chose one and has deadlines coming; each once."""
    steps = reminder_days()
    summary = {"digest_readers": 0, "digests_sent": 0}
    ids = digest_user_ids()
    summary["digest_readers"] = len(ids)
    if not ids or not steps:
        return summary
    sent = set(db.session.scalars(select(SentReminder.key).where(
        SentReminder.key.in_([digest_key(i, today) for i in ids]))))
    for user in db.session.scalars(select(User).where(User.id.in_(sorted(ids))).order_by(User.id)):
        if digest_key(user.id, today) in sent:
            continue
        entries = digest_entries(user, today, max(steps))
        if not entries or not claim_reminder(digest_key(user.id, today)):
            continue
        subject, body = digest_email(user, entries, today)
        send_mail(user.email, subject, body)
        db.session.commit()
        summary["digests_sent"] += 1
    return summary


def set_weekly_digest(user: User, on: bool) -> Reminder:
    """Choose between single reminders and one weekly digest e-mail."""
    setting = db.session.get(Reminder, user.id) or Reminder(user_id=user.id)
    setting.weekly_digest = on
    db.session.add(setting)
    db.session.flush()
    return setting


def weekly_digest(user: Any) -> bool:
    """Whether the user chose the weekly digest."""
    setting = db.session.get(Reminder, user.id)
    return bool(setting and setting.weekly_digest)
