"""Daily tasks of the agreement tracker: statuses that follow passing dates, then deadline reminders and the
weekly digests. Registered with `registry.core.daily` on import; `registry jobs daily` runs them.

Both are idempotent: a second run on the same day, or a parallel run, changes and sends nothing more.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

from ..core.daily import daily_task
from ..extensions import db
from . import reminders, services

STATUS_LOCK = 4_000_001  # PostgreSQL advisory lock of the status task (SQLite: the job's BEGIN IMMEDIATE)


def _one_run_at_a_time() -> None:
    """Make a parallel run wait until this one commits, so it sees the new statuses and does nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STATUS_LOCK})


@daily_task("agreement_statuses")
def update_statuses(today: date) -> dict[str, Any]:
    """Expire the agreements whose validity ended and extend those that renew automatically (`rules`)."""
    _one_run_at_a_time()
    return dict(services.apply_due_transitions(today))


@daily_task("agreement_reminders")
def send_reminders(today: date) -> dict[str, Any]:
    """E-mail the owner units' mailboxes and the Rise liaisons before each deadline, and the weekly digests."""
    summary = reminders.send_reminders(today)
    summary.update(reminders.send_digests(today))
    return summary

