"""Pure agreement rules: the state machine, required fields, deadlines (month ends), reviews, the daily job's
decisions (expiry, automatic renewal), windows and date checks."""

from __future__ import annotations

from datetime import date

import pytest

from registry.agreements import rules
from registry.agreements.models import AgreementStatus
from registry.agreements.rules import AgreementFacts, DueTransition

ALL = [s.value for s in AgreementStatus]
ALLOWED = {
    ("planned", "in_preparation"), ("in_preparation", "in_force"),
    ("in_force", "under_renewal"), ("in_force", "expired"), ("in_force", "terminated"), ("in_force", "superseded"),
    ("under_renewal", "in_force"), ("under_renewal", "expired"), ("under_renewal", "terminated"),
    ("under_renewal", "superseded"),
}


def test_transition_table_covers_every_status():
    assert set(rules.TRANSITIONS) == set(ALL)
    assert rules.ACTIVE | rules.DRAFT | rules.CLOSED == set(ALL)


@pytest.mark.parametrize("from_status", ALL)
@pytest.mark.parametrize("to_status", ALL)
def test_every_allowed_and_refused_transition(from_status, to_status):
    assert rules.may_transition(from_status, to_status) is ((from_status, to_status) in ALLOWED)
    assert rules.may_transition(AgreementStatus(from_status), AgreementStatus(to_status)) is \
        ((from_status, to_status) in ALLOWED)


def test_unknown_status_has_no_transitions():
    assert rules.allowed_transitions("nonsense") == ()
    assert not rules.may_transition("planned", "nonsense")


def test_in_force_needs_signing_start_and_both_liaisons():
    bare = AgreementFacts(status="in_preparation")
    assert rules.missing_for_transition("in_force", bare) == ["signed_on", "valid_from", "rise_liaison",
                                                              "partner_liaison"]
    only_rise = AgreementFacts(status="in_preparation", signed_on=date(2026, 1, 2), valid_from=date(2026, 1, 5),
                               has_rise_liaison=True)
    assert rules.missing_for_transition("in_force", only_rise) == ["partner_liaison"]
    ready = AgreementFacts(status="in_preparation", signed_on=date(2026, 1, 2), valid_from=date(2026, 1, 5),
                           has_rise_liaison=True, has_partner_liaison=True)
    assert rules.missing_for_transition("in_force", ready) == []


def test_superseded_needs_the_replacing_agreement_and_terminated_a_note():
    facts = AgreementFacts(status="in_force")
    assert rules.missing_for_transition("superseded", facts) == ["superseded_by"]
    assert rules.missing_for_transition("superseded", facts, superseded_by=7) == []
    assert rules.missing_for_transition("terminated", facts) == ["note"]
    assert rules.missing_for_transition("terminated", facts, note="   ") == ["note"]
    assert rules.missing_for_transition("terminated", facts, note="Osapuoli irtisanoi") == []
    for free in ("in_preparation", "under_renewal", "expired"):
        assert rules.missing_for_transition(free, facts) == []


@pytest.mark.parametrize("valid_until,months,expected", [
    (date(2027, 12, 31), 3, date(2027, 9, 30)),   # the example
    (date(2027, 5, 31), 3, date(2027, 2, 28)),    # month end: 31 May − 3 months = 28 Feb
    (date(2028, 5, 31), 3, date(2028, 2, 29)),    # … and 29 Feb in a leap year
    (date(2027, 3, 31), 1, date(2027, 2, 28)),
    (date(2027, 6, 30), 6, date(2026, 12, 30)),
    (date(2027, 1, 15), 12, date(2026, 1, 15)),
    (date(2027, 1, 15), 0, date(2027, 1, 15)),    # no notice period: the end date itself
])
def test_notice_deadline_in_calendar_months(valid_until, months, expected):
    assert rules.notice_deadline(valid_until, months) == expected


def test_no_notice_deadline_without_end_or_period():
    assert rules.notice_deadline(None, 3) is None
    assert rules.notice_deadline(date(2027, 12, 31), None) is None


def test_decision_deadline_is_notice_deadline_minus_lead_time():
    notice = rules.notice_deadline(date(2027, 12, 31), 3)
    assert rules.decision_deadline(notice, 30) == date(2027, 8, 31)
    assert rules.decision_deadline(date(2028, 3, 1), 1) == date(2028, 2, 29)
    assert rules.decision_deadline(notice, 0) == notice
    assert rules.decision_deadline(notice, None) is None
    assert rules.decision_deadline(None, 30) is None


def test_deadlines_bundle():
    facts = AgreementFacts(status="in_force", valid_until=date(2027, 12, 31), notice_months=3, lead_time_days=30,
                           review_on=date(2027, 6, 1))
    found = rules.deadlines(facts, date(2026, 1, 1))
    assert (found.notice, found.decision, found.review) == (date(2027, 9, 30), date(2027, 8, 31), date(2027, 6, 1))
    assert found.dates == {"notice": date(2027, 9, 30), "decision": date(2027, 8, 31), "review": date(2027, 6, 1)}
    assert rules.deadlines(AgreementFacts(status="in_force"), date(2026, 1, 1)).dates == {}


def test_next_review_from_date_or_interval():
    today = date(2026, 11, 23)
    assert rules.next_review(AgreementFacts(status="in_force", review_on=date(2026, 1, 1)), today) == \
        date(2026, 1, 1)  # a set date wins, even when overdue
    every_two_years = AgreementFacts(status="in_force", valid_from=date(2021, 3, 1), review_interval_months=24)
    assert rules.next_review(every_two_years, today) == date(2027, 3, 1)
    assert rules.next_review(every_two_years, date(2027, 3, 1)) == date(2027, 3, 1)
    assert rules.next_review(every_two_years, date(2027, 3, 2)) == date(2029, 3, 1)
    starting_later = AgreementFacts(status="planned", valid_from=date(2027, 1, 31), review_interval_months=1)
    assert rules.next_review(starting_later, today) == date(2027, 2, 28)
    month_end = AgreementFacts(status="in_force", signed_on=date(2026, 1, 31), review_interval_months=1)
    assert rules.next_review(month_end, date(2026, 3, 1)) == date(2026, 3, 31)
    assert rules.next_review(AgreementFacts(status="in_force", review_interval_months=12), today) is None
    assert rules.next_review(AgreementFacts(status="in_force", valid_from=date(2020, 1, 1)), today) is None


def test_due_transition_expires_an_agreement_past_its_end():
    facts = AgreementFacts(status="in_force", valid_until=date(2026, 11, 22))
    assert rules.due_transitions(facts, date(2026, 11, 22)) == []  # still valid on its last day
    assert rules.due_transitions(facts, date(2026, 11, 23)) == [DueTransition("expired", date(2026, 11, 22))]
    renewing = AgreementFacts(status="under_renewal", valid_until=date(2026, 11, 22),
                              renewal_type="by_decision")
    assert rules.due_transitions(renewing, date(2027, 1, 1))[0].to_status == "expired"


def test_due_transition_renews_automatically_and_is_idempotent():
    facts = AgreementFacts(status="in_force", valid_until=date(2026, 12, 31), renewal_type="automatic",
                           renewal_months=12)
    (due,) = rules.due_transitions(facts, date(2027, 1, 1))
    assert due == DueTransition("in_force", date(2027, 12, 31), renewed=True, periods=1)
    again = AgreementFacts(status="in_force", valid_until=due.valid_until, renewal_type="automatic",
                           renewal_months=12)
    assert rules.due_transitions(again, date(2027, 1, 1)) == []


def test_due_transition_catches_up_several_periods_without_month_end_drift():
    facts = AgreementFacts(status="in_force", valid_until=date(2026, 1, 31), renewal_type="automatic",
                           renewal_months=1)
    (due,) = rules.due_transitions(facts, date(2026, 4, 15))
    assert (due.valid_until, due.periods) == (date(2026, 4, 30), 3)  # 28.2 → 31.3 → 30.4, not 28.4


@pytest.mark.parametrize("status", ["planned", "in_preparation", "expired", "terminated", "superseded"])
def test_due_transition_leaves_other_statuses_and_open_ended_alone(status):
    assert rules.due_transitions(AgreementFacts(status=status, valid_until=date(2020, 1, 1)), date(2026, 1, 1)) == []
    assert rules.due_transitions(AgreementFacts(status="in_force"), date(2026, 1, 1)) == []


def test_automatic_renewal_without_period_expires():
    facts = AgreementFacts(status="in_force", valid_until=date(2026, 1, 1), renewal_type="automatic")
    assert rules.due_transitions(facts, date(2026, 1, 2))[0].to_status == "expired"


def test_windows_stalled_and_liaison_quality():
    today = date(2026, 11, 23)
    assert rules.expires_within(date(2026, 11, 23), today, 30)
    assert rules.expires_within(date(2026, 12, 23), today, 30)
    assert not rules.expires_within(date(2026, 12, 24), today, 30)
    assert not rules.expires_within(date(2026, 11, 22), today, 30)
    assert not rules.expires_within(None, today, 30)
    assert rules.is_stalled("planned", date(2026, 5, 27), today)
    assert not rules.is_stalled("planned", date(2026, 5, 28), today)
    assert not rules.is_stalled("in_force", date(2020, 1, 1), today)
    assert rules.lacks_liaison(AgreementFacts(status="in_force", has_rise_liaison=True))
    assert not rules.lacks_liaison(AgreementFacts(status="in_force", has_rise_liaison=True,
                                                  has_partner_liaison=True))
    assert not rules.lacks_liaison(AgreementFacts(status="planned"))


def test_check_dates():
    assert rules.check_dates(AgreementFacts(status="planned")) == []
    bad = AgreementFacts(status="planned", valid_from=date(2026, 2, 1), valid_until=date(2026, 1, 31),
                         renewal_type="automatic", review_interval_months=0, notice_months=-1, lead_time_days=-1)
    assert rules.check_dates(bad) == [("valid_until", "before_start"), ("renewal_months", "renewal_months"),
                                      ("review_interval_months", "not_positive"), ("notice_months", "negative"),
                                      ("lead_time_days", "negative")]
    assert rules.check_dates(AgreementFacts(status="planned", notice_months=0, lead_time_days=0)) == []
