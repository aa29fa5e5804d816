"""The half-yearly follow-up of portfolio projects as pure date rules (no database, the clock passed in).

Policy: "the progress of started projects is followed in the project portfolio every half year"
(DOMAIN §5.1 step 5, puolivuosittain), by the responsible person named in the unit (step 6).

- The due dates are six, twelve, eighteen … months from the project's start, each counted from the start
  itself (never from the previous due date), so a start on 31 August gives 28 (29) February and then 31 August
  again instead of drifting to the 28th (`dateutil.relativedelta` clips to the month's last day).
- The next follow-up is the first due date after the last submitted one that is not already past: a late
  report covers the time up to its submission, and a project entered into the portfolio late is not asked
  for the half-years before it came in.
- A project that has ended gets no follow-ups due after its end (`end`).
- A follow-up is requested `REQUEST_DAYS_BEFORE` days before it is due, is overdue the day after its due date
  when not submitted, and the responsible person is reminded once when it is `REMINDER_AFTER_DAYS` overdue.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

INTERVAL_MONTHS = 6  # "every half year" (DOMAIN §5.1 step 5)
REQUEST_DAYS_BEFORE = 14  # the request e-mail goes out two weeks before the due date
REMINDER_AFTER_DAYS = 14  # one reminder when a follow-up is two weeks overdue
MAX_FOLLOW_UPS = 400  # 200 years of half-years: a guard against absurd dates, never reached in practice


def due_date(start: date, number: int) -> date:
    """The `number`th due date (1, 2, …) counted from the start: start + 6 × number months, month-end safe."""
    if number < 1:
        raise ValueError("follow-ups are numbered from 1")
    return start + relativedelta(months=INTERVAL_MONTHS * number)


def due_dates(start: date, until: date) -> list[date]:
    """Every due date from the start up to and including `until`."""
    found = []
    for number in range(1, MAX_FOLLOW_UPS + 1):
        due = due_date(start, number)
        if due > until:
            break
        found.append(due)
    return found


def next_follow_up_due(start: date | None, last_due: date | None, today: date,
                       end: date | None = None) -> date | None:
    """The next follow-up's due date: the first half-year from `start` after `last_due` (the due date of the
    last submitted follow-up, None when there is none) and not before `today`; None when the project has no
    start date or the date would fall after its `end` (an ended project gets no new follow-ups)."""
    if start is None:
        return None
    for number in range(1, MAX_FOLLOW_UPS + 1):
        due = due_date(start, number)
        if end is not None and due > end:
            return None
        if (last_due is None or due > last_due) and due >= today:
            return due
    return None


def request_due(due_on: date, today: date) -> bool:
    """Whether the follow-up request should have gone out by today (`REQUEST_DAYS_BEFORE` days ahead)."""
    return today >= due_on - timedelta(days=REQUEST_DAYS_BEFORE)


def is_overdue(due_on: date | None, submitted: bool, today: date) -> bool:
    """Overdue: the due date has passed and the follow-up was not submitted."""
    return due_on is not None and not submitted and due_on < today


def days_overdue(due_on: date, today: date) -> int:
    """How many days past its due date a follow-up is (0 when not yet due)."""
    return max((today - due_on).days, 0)


def reminder_due(due_on: date, submitted: bool, today: date) -> bool:
    """Whether the one reminder is due: not submitted and at least `REMINDER_AFTER_DAYS` days overdue."""
    return not submitted and days_overdue(due_on, today) >= REMINDER_AFTER_DAYS


def status_on(starts_on: date | None, ends_on: date | None, today: date) -> str:
    """The portfolio status the dates give a project that is not ended by hand: planned before its start,
    running from the start to its end date, ended after it ("planned", "running" or "ended")."""
    if ends_on is not None and ends_on < today:
        return "ended"
    if starts_on is not None and starts_on <= today:
        return "running"
    return "planned"
