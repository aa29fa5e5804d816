"""Pure agreement rules: the lifecycle state machine, deadlines, review dates, what passing dates do.

Statuses are the plain string values of `models.AgreementStatus` (a StrEnum compares and hashes equal to
them), so this module needs neither the database nor the request; the clock is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

PLANNED = "planned"
IN_PREPARATION = "in_preparation"
IN_FORCE = "in_force"
UNDER_RENEWAL = "under_renewal"
EXPIRED = "expired"
TERMINATED = "terminated"
SUPERSEDED = "superseded"

# The lifecycle (DESIGN §3, issue 4): planned → in preparation → in force → under renewal → in force …;
# an agreement in force (or under renewal) ends by expiry, termination or a superseding new version.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    PLANNED: (IN_PREPARATION,),
    IN_PREPARATION: (IN_FORCE,),
    IN_FORCE: (UNDER_RENEWAL, EXPIRED, TERMINATED, SUPERSEDED),
    UNDER_RENEWAL: (IN_FORCE, EXPIRED, TERMINATED, SUPERSEDED),
    EXPIRED: (),
    TERMINATED: (),
    SUPERSEDED: (),
}
ACTIVE = frozenset({IN_FORCE, UNDER_RENEWAL})  # the agreement binds the parties
DRAFT = frozenset({PLANNED, IN_PREPARATION})
CLOSED = frozenset({EXPIRED, TERMINATED, SUPERSEDED})

# What each target status needs (names of `AgreementFacts` fields or of the transition form's fields).
# Policy §7.4 / DOMAIN §3.6: the Rise liaison is written into every agreement; the issue adds the partner's.
REQUIRED: dict[str, tuple[str, ...]] = {
    IN_FORCE: ("signed_on", "valid_from", "rise_liaison", "partner_liaison"),
    SUPERSEDED: ("superseded_by",),
    TERMINATED: ("note",),
}

EXPIRING_WINDOWS = (30, 90, 180)  # days: the dashboard's "expiring within" lists
STALLED_AFTER_DAYS = 180  # a draft whose status has not moved for this long is shown as stalled

RENEWAL_NONE = "none"
RENEWAL_AUTOMATIC = "automatic"
RENEWAL_BY_DECISION = "by_decision"


@dataclass(frozen=True)
class AgreementFacts:
    """What the rules need to know of one agreement (statuses and renewal types as string values)."""

    status: str
    signed_on: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None  # None: open-ended
    renewal_type: str = RENEWAL_NONE
    renewal_months: int | None = None
    notice_months: int | None = None
    lead_time_days: int | None = None
    review_on: date | None = None
    review_interval_months: int | None = None
    has_rise_liaison: bool = False
    has_partner_liaison: bool = False


@dataclass(frozen=True)
class DueTransition:
    """A change the daily job must make: a new status, or the same status with a new `valid_until`."""

    to_status: str
    valid_until: date | None  # the agreement's valid_until after the change
    renewed: bool = False  # an automatic renewal (status unchanged, validity extended)
    periods: int = 0  # how many renewal periods were added (more than one if the job did not run for long)


@dataclass(frozen=True)
class Deadlines:
    """The computed dates of one agreement (None when the data do not give one)."""

    notice: date | None
    decision: date | None
    review: date | None
    dates: dict[str, date] = field(default_factory=dict)  # the same, by name, only those that exist


# --- the state machine ----------------------------------------------------------------------------


def allowed_transitions(status: str) -> tuple[str, ...]:
    """The statuses an agreement in `status` may move to, in the order the buttons are shown."""
    return TRANSITIONS.get(str(status), ())


def may_transition(from_status: str, to_status: str) -> bool:
    """Whether the lifecycle allows this step."""
    return str(to_status) in allowed_transitions(from_status)


def missing_for_transition(to_status: str, facts: AgreementFacts, *, superseded_by: int | None = None,
                           note: str | None = None) -> list[str]:
    """The required things (see `REQUIRED`) the transition to `to_status` still lacks; empty when it may go."""
    have = {
        "signed_on": facts.signed_on is not None,
        "valid_from": facts.valid_from is not None,
        "rise_liaison": facts.has_rise_liaison,
        "partner_liaison": facts.has_partner_liaison,
        "superseded_by": superseded_by is not None,
        "note": bool((note or "").strip()),
    }
    return [name for name in REQUIRED.get(str(to_status), ()) if not have[name]]


# --- dates and deadlines --------------------------------------------------------------------------


def notice_deadline(valid_until: date | None, notice_months: int | None) -> date | None:
    """The last day to give notice: valid_until minus the notice period in calendar months.

    Month ends clamp (31.5. − 3 months = 28.2. or 29.2.); no end date or no notice period gives None.
    """
    if valid_until is None or notice_months is None:
        return None
    return valid_until - relativedelta(months=notice_months)


def decision_deadline(notice: date | None, lead_time_days: int | None) -> date | None:
    """The day Rise must decide by: the notice deadline minus the internal lead time (DESIGN §4).

    None without a notice deadline or without a lead time (then the notice deadline is the only one).
    """
    if notice is None or lead_time_days is None:
        return None
    return notice - timedelta(days=lead_time_days)


def next_review(facts: AgreementFacts, today: date) -> date | None:
    """The next review date: the set review date (even if overdue), else the first interval step from the
    start of validity (or signing) that is today or later (e.g. the KRP agreement, DOMAIN §3.4)."""
    if facts.review_on is not None:
        return facts.review_on
    base = facts.valid_from or facts.signed_on
    if not facts.review_interval_months or facts.review_interval_months <= 0 or base is None:
        return None
    if base >= today:
        return base + relativedelta(months=facts.review_interval_months)
    months = (today.year - base.year) * 12 + today.month - base.month
    steps = max(1, months // facts.review_interval_months)
    candidate = base + relativedelta(months=steps * facts.review_interval_months)
    while candidate < today:
        steps += 1
        candidate = base + relativedelta(months=steps * facts.review_interval_months)
    return candidate


def deadlines(facts: AgreementFacts, today: date) -> Deadlines:
    """Notice deadline, decision deadline and next review date of one agreement."""
    notice = notice_deadline(facts.valid_until, facts.notice_months)
    decision = decision_deadline(notice, facts.lead_time_days)
    review = next_review(facts, today)
    named = {k: v for k, v in (("notice", notice), ("decision", decision), ("review", review)) if v is not None}
    return Deadlines(notice=notice, decision=decision, review=review, dates=named)


def expires_within(valid_until: date | None, today: date, days: int) -> bool:
    """Whether an end date falls between today and `days` days from now (both ends included)."""
    return valid_until is not None and today <= valid_until <= today + timedelta(days=days)


def is_stalled(status: str, status_changed_on: date, today: date, days: int = STALLED_AFTER_DAYS) -> bool:
    """A draft (planned or in preparation) whose status has not moved for `days` days."""
    return str(status) in DRAFT and (today - status_changed_on).days >= days


def lacks_liaison(facts: AgreementFacts) -> bool:
    """An agreement in force without a Rise or partner liaison: a data-quality error (DESIGN §4)."""
    return facts.status in ACTIVE and not (facts.has_rise_liaison and facts.has_partner_liaison)


def check_dates(facts: AgreementFacts) -> list[tuple[str, str]]:
    """Inconsistent dates as (field, problem code): 'before_start', 'renewal_months', 'not_positive',
    'negative'."""
    problems: list[tuple[str, str]] = []
    if facts.valid_from and facts.valid_until and facts.valid_until < facts.valid_from:
        problems.append(("valid_until", "before_start"))
    if facts.renewal_type == RENEWAL_AUTOMATIC and not facts.renewal_months:
        problems.append(("renewal_months", "renewal_months"))
    for name in ("renewal_months", "review_interval_months"):
        value = getattr(facts, name)
        if value is not None and value <= 0:
            problems.append((name, "not_positive"))
    for name in ("notice_months", "lead_time_days"):  # zero is a real value: no notice period, no lead time
        value = getattr(facts, name)
        if value is not None and value < 0:
            problems.append((name, "negative"))
    return problems


# --- what passing dates do (the daily job) --------------------------------------------------------


def due_transitions(facts: AgreementFacts, today: date) -> list[DueTransition]:
    """What the daily job must do to one agreement today: an empty list, or one `DueTransition`.

    Only an agreement in force or under renewal whose `valid_until` is before `today` changes:
    automatic renewal (with `renewal_months`) extends `valid_until` by whole periods until it is today or
    later, keeping the status; otherwise the agreement expires. Applying the result and calling again with
    the same day returns nothing, so a job run twice changes nothing twice.
    """
    if facts.status not in ACTIVE or facts.valid_until is None or facts.valid_until >= today:
        return []
    if facts.renewal_type == RENEWAL_AUTOMATIC and facts.renewal_months and facts.renewal_months > 0:
        until, periods = facts.valid_until, 0
        while until < today:
            periods += 1
            # Each period counts from the original end date, so month ends do not drift (31.1 + 1 m = 28.2 …).
            until = facts.valid_until + relativedelta(months=periods * facts.renewal_months)
        return [DueTransition(to_status=facts.status, valid_until=until, renewed=True, periods=periods)]
    return [DueTransition(to_status=EXPIRED, valid_until=facts.valid_until)]
