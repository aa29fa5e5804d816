"""Daily tasks of the project portfolio (DOMAIN §5.1 steps 5–6): project statuses that follow their dates, then
the half-yearly follow-ups — the due `FollowUp` rows are created, the responsible person gets the request e-mail
once per follow-up (`followups.REQUEST_DAYS_BEFORE` days ahead, in their language, with the link to the form)
and one reminder when it is `followups.REMINDER_AFTER_DAYS` days overdue.

Registered with `registry.core.daily` on import; `registry jobs daily` runs them. Both are idempotent: the
follow-up rows are unique per project and due date, each e-mail is claimed by its `SentReminder` key first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from ..config import LANGUAGES
from ..core.daily import claim_reminder, daily_task
from ..core.mail import send_mail
from ..core.models import utcnow
from ..extensions import db
from ..i18n import format_date
from . import followups, portfolio
from .models import FollowUp, Project, ProjectStatus

FOLLOW_UP_LOCK = 4_000_061  # PostgreSQL advisory lock of the follow-up task (SQLite: the job's BEGIN IMMEDIATE)


def _one_run_at_a_time() -> None:
    """Make a parallel run wait until this one commits, so it sees the new rows and does nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLLOW_UP_LOCK})


def request_key(follow_up: FollowUp) -> str:
    """The stable key of a follow-up's request e-mail."""
    return f"follow-up:{follow_up.id}:request"


def reminder_key(follow_up: FollowUp) -> str:
    """The stable key of a follow-up's overdue reminder."""
    return f"follow-up:{follow_up.id}:overdue"


def _link(follow_up: FollowUp) -> str:
    try:
        return url_for("applications.follow_up", project_id=follow_up.project_id, follow_up_id=follow_up.id,
                       _external=True)
    except BuildError:  # the portfolio pages are not available in this installation
        return ""


def follow_up_email(follow_up: FollowUp, today: date, *, reminder: bool, locale: str) -> tuple[str, str]:
    """Subject and body of the request (or the overdue reminder) in the responsible person's language."""
    project = follow_up.project
    with force_locale(locale):
        if reminder:
            subject = _("Reminder: the follow-up of %(project)s was due on %(date)s", project=project.name,
                        date=format_date(follow_up.due_on))
        else:
            subject = _("Half-yearly follow-up of %(project)s, due on %(date)s", project=project.name,
                        date=format_date(follow_up.due_on))
        body = render_template("email/follow_up_request.txt", project=project, follow_up=follow_up,
                               due=format_date(follow_up.due_on), reminder=reminder, link=_link(follow_up),
                               days_overdue=followups.days_overdue(follow_up.due_on, today))
    return subject, body


def create_due_follow_ups(today: date) -> int:
    """Add the follow-up row of every project whose next follow-up's request time has come (once per due date:
    a row that exists already, or one a parallel run added, is left alone)."""
    made = 0
    projects = db.session.scalars(
        select(Project).where(Project.next_follow_up_on.is_not(None), Project.status != ProjectStatus.EVALUATED)
        .options(selectinload(Project.follow_ups)).order_by(Project.id))
    for project in projects:
        due = project.next_follow_up_on
        if due is None or not followups.request_due(due, today) or any(f.due_on == due for f in project.follow_ups):
            continue
        try:
            with db.session.begin_nested():
                db.session.add(FollowUp(project_id=project.id, due_on=due))
                db.session.flush()
        except IntegrityError:
            continue
        made += 1
    db.session.expire_all()
    return made


def _open_follow_ups() -> list[FollowUp]:
    return list(db.session.scalars(
        select(FollowUp).join(Project, Project.id == FollowUp.project_id)
        .where(FollowUp.submitted_at.is_(None), Project.status != ProjectStatus.EVALUATED,
               Project.responsible_id.is_not(None))
        .options(selectinload(FollowUp.project).selectinload(Project.responsible))
        .order_by(FollowUp.due_on, FollowUp.id)))


def send_follow_up_mail(today: date) -> dict[str, int]:
    """Queue the requests and overdue reminders due today, each once; commits after each with its e-mail.
    A project without a responsible person (or an inactive one) waits until one is named."""
    summary = {"requests_sent": 0, "reminders_sent": 0}
    for follow_up in _open_follow_ups():
        person = follow_up.project.responsible
        if person is None or not person.active:
            continue
        locale = person.locale if person.locale in LANGUAGES else "fi"
        requested_now = False
        if follow_up.requested_at is None and followups.request_due(follow_up.due_on, today):
            if claim_reminder(request_key(follow_up)):
                send_mail(person.email, *follow_up_email(follow_up, today, reminder=False, locale=locale))
                summary["requests_sent"] += 1
                requested_now = True
            follow_up.requested_at = follow_up.requested_at or utcnow()
            db.session.commit()
        if (not requested_now and followups.reminder_due(follow_up.due_on, False, today)
                and claim_reminder(reminder_key(follow_up))):
            send_mail(person.email, *follow_up_email(follow_up, today, reminder=True, locale=locale))
            summary["reminders_sent"] += 1
            db.session.commit()
    return summary


@daily_task("portfolio_statuses")
def update_statuses(today: date) -> dict[str, Any]:
    """Start the planned projects whose start date came and end those whose end date passed."""
    _one_run_at_a_time()
    return portfolio.apply_dates(today)


@daily_task("portfolio_follow_ups")
def follow_ups(today: date) -> dict[str, Any]:
    """Create the due half-yearly follow-ups and e-mail their requests and overdue reminders."""
    _one_run_at_a_time()
    created = create_due_follow_ups(today)
    db.session.commit()
    summary: dict[str, Any] = {"follow_ups_created": created}
    summary.update(send_follow_up_mail(today))
    summary["overdue"] = len(portfolio.overdue_follow_ups(today))
    return summary
