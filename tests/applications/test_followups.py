"""Half-yearly follow-ups: the pure date rules (month ends, no drift, the end of a project) and the daily job that
creates the due follow-ups and e-mails each request and overdue reminder exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from registry.applications import followups, portfolio
from registry.applications.models import FollowUp, Project, ProjectStatus
from registry.core import daily
from registry.core.models import OutboxMessage, SentReminder, User
from registry.extensions import db

# --- the pure rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "number", "due"), [
    (date(2025, 8, 31), 1, date(2026, 2, 28)),  # 31.8. + 6 months: the last day of February
    (date(2027, 8, 31), 1, date(2028, 2, 29)),  # … in a leap year
    (date(2025, 8, 31), 2, date(2026, 8, 31)),  # counted from the start: back to the 31st, no drift
    (date(2025, 8, 31), 3, date(2027, 2, 28)),
    (date(2026, 3, 31), 1, date(2026, 9, 30)),
    (date(2026, 1, 15), 1, date(2026, 7, 15)),
    (date(2026, 1, 15), 4, date(2028, 1, 15)),
])
def test_due_dates_are_six_months_apart_from_the_start_and_month_end_safe(start, number, due):
    assert followups.due_date(start, number) == due


def test_due_dates_list_and_number_guard():
    assert followups.due_dates(date(2025, 8, 31), date(2026, 8, 31)) == [date(2026, 2, 28), date(2026, 8, 31)]
    assert followups.due_dates(date(2025, 8, 31), date(2026, 2, 27)) == []
    with pytest.raises(ValueError):
        followups.due_date(date(2025, 1, 1), 0)


def test_next_follow_up_is_after_the_last_submitted_one_and_not_in_the_past():
    start = date(2025, 8, 31)
    nxt = followups.next_follow_up_due
    assert nxt(start, None, date(2025, 9, 1)) == date(2026, 2, 28)  # the first half-year
    assert nxt(start, None, date(2026, 2, 28)) == date(2026, 2, 28)  # due today is still this one
    assert nxt(start, date(2026, 2, 28), date(2026, 2, 20)) == date(2026, 8, 31)  # submitted early
    assert nxt(start, date(2026, 2, 28), date(2026, 3, 10)) == date(2026, 8, 31)  # submitted a little late
    # Submitted very late: the report covers the time up to now; the next is the first half-year still ahead.
    assert nxt(start, date(2026, 2, 28), date(2026, 9, 5)) == date(2027, 2, 28)
    # A project entered into the portfolio late is not asked for the half-years before it came in.
    assert nxt(start, None, date(2027, 1, 10)) == date(2027, 2, 28)
    assert nxt(None, None, date(2026, 1, 1)) is None  # no start date: nothing to schedule


def test_an_ended_project_gets_no_follow_ups_after_its_end():
    start, end = date(2025, 1, 31), date(2026, 5, 31)
    nxt = followups.next_follow_up_due
    assert nxt(start, None, date(2025, 2, 1), end) == date(2025, 7, 31)
    assert nxt(start, date(2026, 1, 31), date(2026, 2, 1), end) is None  # 31.7.2026 is after the end
    assert nxt(start, date(2025, 7, 31), date(2025, 8, 1), date(2026, 1, 31)) == date(2026, 1, 31)  # the end day


def test_overdue_request_and_reminder_rules():
    due = date(2026, 2, 28)
    assert not followups.is_overdue(due, False, due)  # due today: not yet overdue
    assert followups.is_overdue(due, False, due + timedelta(days=1))
    assert not followups.is_overdue(due, True, due + timedelta(days=100))  # submitted: never overdue
    assert not followups.is_overdue(None, False, due)
    assert not followups.request_due(due, due - timedelta(days=15))
    assert followups.request_due(due, due - timedelta(days=14))
    assert not followups.reminder_due(due, False, due + timedelta(days=13))
    assert followups.reminder_due(due, False, due + timedelta(days=14))
    assert not followups.reminder_due(due, True, due + timedelta(days=30))
    assert followups.days_overdue(due, due - timedelta(days=3)) == 0


def test_status_follows_the_dates():
    today = date(2026, 6, 1)
    assert followups.status_on(None, None, today) == "planned"
    assert followups.status_on(date(2026, 7, 1), None, today) == "planned"
    assert followups.status_on(date(2026, 6, 1), date(2027, 1, 1), today) == "running"
    assert followups.status_on(date(2025, 1, 1), date(2026, 5, 31), today) == "ended"
    assert followups.status_on(date(2025, 1, 1), date(2026, 6, 1), today) == "running"  # the last day


# --- the daily job ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _portfolio_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run only the portfolio's daily tasks (the other modules test theirs)."""
    monkeypatch.setattr(daily, "TASK_MODULES", ("registry.applications.daily",))


def run(app: Flask, day: date) -> dict[str, Any]:
    with app.app_context():
        return daily.run_daily(day)


def _outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(messages)


def _follow_ups(app: Flask, project_id: int) -> list[tuple[date, bool, bool]]:
    with app.app_context():
        return [(f.due_on, f.requested_at is not None, f.submitted_at is not None) for f in db.session.scalars(
            select(FollowUp).where(FollowUp.project_id == project_id).order_by(FollowUp.due_on))]


@pytest.fixture
def responsible(app: Flask, make_user: Any) -> Any:
    """A staff member who reads Swedish, named responsible for projects."""
    user = make_user("staff", email="vastuu@rise.example", name="Vera Vastuuhenkilö")
    with app.app_context():
        db.session.get(User, user.id).locale = "sv"
        db.session.commit()
    return user


def test_daily_job_requests_each_follow_up_once_and_reminds_once_when_overdue(app, make_project, responsible):
    pid = make_project("Asumispolku", starts_on=date(2026, 1, 31), ends_on=date(2027, 12, 31),
                       responsible_id=responsible.id, next_follow_up_on=date(2026, 7, 31))
    assert run(app, date(2026, 7, 16))["portfolio_follow_ups"]["follow_ups_created"] == 0  # 15 days ahead
    assert _follow_ups(app, pid) == [] and _outbox(app) == []

    first = run(app, date(2026, 7, 17))["portfolio_follow_ups"]
    assert first["follow_ups_created"] == 1 and first["requests_sent"] == 1 and first["reminders_sent"] == 0
    assert _follow_ups(app, pid) == [(date(2026, 7, 31), True, False)]
    (message,) = _outbox(app)
    assert message.to == "vastuu@rise.example"
    assert "Asumispolku" in message.subject and "31.7.2026" in message.subject
    with app.app_context():
        fid = db.session.scalar(select(FollowUp.id).where(FollowUp.project_id == pid))
    assert f"/portfolio/{pid}/follow-ups/{fid}" in message.body

    # Running again (the same day, or in the days before the due date) sends nothing more.
    again = run(app, date(2026, 7, 17))["portfolio_follow_ups"]
    assert again == {"follow_ups_created": 0, "requests_sent": 0, "reminders_sent": 0, "overdue": 0}
    run(app, date(2026, 7, 31))
    assert run(app, date(2026, 8, 1))["portfolio_follow_ups"]["overdue"] == 1
    run(app, date(2026, 8, 13))  # 13 days overdue: no reminder yet
    assert len(_outbox(app)) == 1

    reminded = run(app, date(2026, 8, 14))["portfolio_follow_ups"]
    assert reminded["reminders_sent"] == 1 and reminded["requests_sent"] == 0
    assert run(app, date(2026, 8, 14))["portfolio_follow_ups"]["reminders_sent"] == 0
    assert run(app, date(2026, 9, 30))["portfolio_follow_ups"]["reminders_sent"] == 0
    messages = _outbox(app)
    assert len(messages) == 2 and "31.7.2026" in messages[1].subject and messages[1].subject != messages[0].subject
    with app.app_context():
        keys = set(db.session.scalars(select(SentReminder.key)))
    assert keys == {f"follow-up:{fid}:request", f"follow-up:{fid}:overdue"}
    assert _follow_ups(app, pid) == [(date(2026, 7, 31), True, False)]  # still one row, no new one piles up


def test_after_submission_the_next_half_year_is_requested(app, make_project, responsible):
    pid = make_project("Vertaistuki", starts_on=date(2026, 1, 31), ends_on=date(2027, 12, 31),
                       responsible_id=responsible.id, next_follow_up_on=date(2026, 7, 31))
    run(app, date(2026, 7, 20))
    with app.app_context():
        follow_up = db.session.scalar(select(FollowUp).where(FollowUp.project_id == pid))
        user = db.session.get(User, responsible.id)
        portfolio.submit_follow_up(follow_up, {"progress": "Ryhmät käynnissä."}, user, today=date(2026, 7, 25))
        db.session.commit()
        assert db.session.get(Project, pid).next_follow_up_on == date(2027, 1, 31)
    assert run(app, date(2027, 1, 16))["portfolio_follow_ups"]["follow_ups_created"] == 0
    assert run(app, date(2027, 1, 17))["portfolio_follow_ups"]["requests_sent"] == 1
    assert [due for due, _r, _s in _follow_ups(app, pid)] == [date(2026, 7, 31), date(2027, 1, 31)]


def test_a_project_without_a_responsible_person_waits_for_one(app, make_project, responsible):
    pid = make_project("Ilman vastuuhenkilöä", starts_on=date(2026, 1, 31), next_follow_up_on=date(2026, 7, 31))
    result = run(app, date(2026, 7, 20))["portfolio_follow_ups"]
    assert result["follow_ups_created"] == 1 and result["requests_sent"] == 0
    assert _follow_ups(app, pid) == [(date(2026, 7, 31), False, False)]
    with app.app_context():
        db.session.get(Project, pid).responsible_id = responsible.id
        db.session.commit()
    assert run(app, date(2026, 7, 21))["portfolio_follow_ups"]["requests_sent"] == 1
    assert run(app, date(2026, 7, 22))["portfolio_follow_ups"]["requests_sent"] == 0


def test_statuses_follow_the_dates_and_an_ended_project_gets_no_new_follow_ups(app, make_project, responsible):
    ended = make_project("Päättyvä hanke", starts_on=date(2026, 1, 31), ends_on=date(2026, 6, 30),
                         responsible_id=responsible.id, next_follow_up_on=date(2026, 7, 31))
    planned = make_project("Alkava hanke", status="planned", starts_on=date(2026, 7, 1),
                           responsible_id=responsible.id, next_follow_up_on=date(2027, 1, 1))
    result = run(app, date(2026, 7, 1))
    assert result["portfolio_statuses"] == {"started": 1, "ended": 1}
    assert run(app, date(2026, 7, 1))["portfolio_statuses"] == {"started": 0, "ended": 0}
    with app.app_context():
        assert db.session.get(Project, planned).status is ProjectStatus.RUNNING
        project = db.session.get(Project, ended)
        assert project.status is ProjectStatus.ENDED and project.next_follow_up_on is None
    run(app, date(2026, 7, 31))
    assert _follow_ups(app, ended) == []


def test_the_command_runs_the_portfolio_tasks(app, make_project, responsible):
    make_project("Komennolla", starts_on=date(2026, 1, 31), responsible_id=responsible.id,
                 next_follow_up_on=date(2026, 7, 31))
    result = app.test_cli_runner().invoke(args=["jobs", "daily", "--date", "2026-07-20"])
    assert result.exit_code == 0, result.output
    assert "portfolio_follow_ups:" in result.output and "requests sent: 1" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(FollowUp.id))) == 1
