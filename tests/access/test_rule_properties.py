"""Properties of the waiting-period engine that must hold for every input (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.access.rules import (
    CLEARANCE_RESULTS,
    CLOSE_PAIRS,
    COMMUNITY,
    CUSTODIAL,
    ROLES,
    SANCTIONS,
    SETTINGS,
    Clearance,
    Facts,
    PolicyParameters,
    Result,
    Sentence,
    assess,
    parse,
)

P = PolicyParameters("test", date(2021, 1, 1), waiting_years=3, paired_waiting_years=2, retention_years=2)
RANK = {"eligible": 0, "needs_review": 1, "not_eligible": 2}
days = st.integers(min_value=0, max_value=1500).map(lambda n: timedelta(days=n))
dates = st.dates(min_value=date(2012, 1, 1), max_value=date(2026, 12, 31))

# Pure and fast, but a busy CI machine must not turn slowness into a failure: no per-example deadline.
PROPERTIES = settings(database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def sentences(draw: st.DrawFn, enforced_from: date | None = None) -> Sentence:
    """A valid sentence; with `enforced_from`, one whose enforcement starts on or after that day."""
    if enforced_from is not None:
        enforcement: date | None = enforced_from + draw(days)
        offence = draw(st.dates(min_value=date(1990, 1, 1), max_value=enforcement))
    else:
        offence = draw(dates)
        enforcement = draw(st.none() | days.map(lambda d: offence + d))
    sanction = draw(st.sampled_from(SANCTIONS))
    start = enforcement or offence
    left = supervision = completed = None
    breach = False
    if sanction in CUSTODIAL:
        left = draw(st.none() | days.map(lambda d: start + d))
        if left is not None:
            supervision = draw(st.none() | days.map(lambda d: left + d))
        breach = draw(st.booleans())
    elif sanction in COMMUNITY:
        completed = draw(st.none() | days.map(lambda d: start + d))
    return Sentence(offence, sanction, enforcement, left, supervision, breach, completed)


@st.composite
def clearances(draw: st.DrawFn, valid_from: date | None = None) -> Clearance | None:
    """A clearance or none; with `valid_from`, one that does not expire before that day."""
    if not draw(st.booleans()):
        return None
    completed = draw(dates)
    last = completed if valid_from is None else max(completed, valid_from)
    valid_until = draw(st.none() | days.map(lambda d: last + d))
    return Clearance(completed, valid_until, draw(st.sampled_from(CLEARANCE_RESULTS)))


@st.composite
def facts(draw: st.DrawFn, as_of: date | None = None, clearance_valid_from: date | None = None) -> Facts:
    return Facts(
        as_of=as_of or draw(dates), role=draw(st.sampled_from(ROLES)), setting=draw(st.sampled_from(SETTINGS)),
        close_pair=draw(st.sampled_from(CLOSE_PAIRS)), sentences=tuple(draw(st.lists(sentences(), max_size=5))),
        open_criminal_case=draw(st.booleans()), concern_reported=draw(st.booleans()),
        security_clearance=draw(clearances(clearance_valid_from)), training_verified=draw(st.booleans()),
        confidentiality_undertaking=draw(st.booleans()), inducted=draw(st.booleans()))


def key(sentence: Sentence) -> date:
    return sentence.enforcement_start or sentence.offence_date


def later_or_same(after: Result, before: Result) -> bool:
    """eligible_from did not become earlier; None (a sentence still served) counts as latest of all."""
    if before.eligible_from is None:
        return after.eligible_from is None
    return after.eligible_from is None or after.eligible_from >= before.eligible_from


@settings(PROPERTIES, max_examples=300)
@given(data=st.data(), first=dates, gap=days)
def test_a_later_as_of_never_turns_eligible_into_not_eligible(data, first, gap):
    # An expiring clearance is the one fact that rightly worsens with time: here it stays valid throughout.
    later = first + gap
    person = data.draw(facts(as_of=first, clearance_valid_from=later))
    before, after = assess(person, P), assess(replace(person, as_of=later), P)
    if before.decision == "eligible":
        assert after.decision != "not_eligible"
    if "waiting_period_running" in after.reasons:  # time only ever ends the waiting period
        assert "waiting_period_running" in before.reasons


@settings(PROPERTIES, max_examples=300)
@given(person=facts())
def test_pairing_never_makes_eligible_from_later_or_the_decision_worse(person):
    alone = assess(replace(person, close_pair="none"), P)
    for pair in ("rise_official", "trusted_partner_employee"):
        paired = assess(replace(person, close_pair=pair), P)
        assert (paired.eligible_from is None) == (alone.eligible_from is None)
        if paired.eligible_from is not None:
            assert paired.eligible_from <= alone.eligible_from
        assert RANK[paired.decision] <= RANK[alone.decision]
        assert paired.period_start == alone.period_start


@settings(PROPERTIES, max_examples=300)
@given(data=st.data(), person=facts())
def test_a_sentence_enforced_after_all_others_never_makes_eligible_from_earlier(data, person):
    latest = max((key(s) for s in person.sentences), default=date(2000, 1, 1))
    added = data.draw(sentences(enforced_from=latest))
    before = assess(person, P)
    after = assess(replace(person, sentences=(*person.sentences, added)), P)
    if before.waiting_rule_applies and after.waiting_rule_applies:
        assert later_or_same(after, before)
    assert RANK[after.decision] >= RANK[before.decision] or not before.waiting_rule_applies


@settings(PROPERTIES, max_examples=500)
@given(data=st.data(), person=facts())
def test_adding_any_sentence_moves_eligible_from_earlier_only_with_an_earlier_offence_review(data, person):
    # Rule 4 taken literally: a sentence enforced before others can make a later one an "earlier offence"
    # (see test_rules); that is the only way the date can come earlier, and it always asks for a review.
    added = data.draw(sentences())
    position = data.draw(st.integers(min_value=0, max_value=len(person.sentences)))
    more = (*person.sentences[:position], added, *person.sentences[position:])
    before, after = assess(person, P), assess(replace(person, sentences=more), P)
    if before.waiting_rule_applies and after.waiting_rule_applies and not later_or_same(after, before):
        assert "earlier_offence_enforced" in after.reasons
        assert after.decision != "eligible"


@settings(PROPERTIES, max_examples=300)
@given(person=facts())
def test_result_invariants(person):
    result = assess(person, P)
    assert parse(person.to_json()) == person
    if not all(r.met for r in result.requirements):
        assert result.decision == "not_eligible"
    if result.decision == "eligible":
        assert not {"open_criminal_case", "concern_reported", "clearance_remarks",
                    "earlier_offence_enforced", "still_serving", "waiting_period_running"} & set(result.reasons)
    if result.period_start is not None:
        assert result.waiting_rule_applies and result.waiting_period_years in (2, 3)
        assert result.period_start in {t.anchor for t in result.sentences if t.moved}
        assert result.eligible_from is not None and result.eligible_from > result.period_start
    if not result.waiting_rule_applies:
        assert result.period_start is None and result.eligible_from is None and result.waiting_period_years is None
    assert sorted(t.index for t in result.sentences) == list(range(len(person.sentences)))


@settings(PROPERTIES, max_examples=300)
@given(person=facts(), seed=st.randoms(use_true_random=False))
def test_input_order_does_not_matter_when_ordering_dates_differ(person, seed):
    if len({key(s) for s in person.sentences}) < len(person.sentences):
        return  # equal dates are ordered by position in the input, as documented
    shuffled = list(person.sentences)
    seed.shuffle(shuffled)
    assert assess(replace(person, sentences=tuple(shuffled)), P).to_json() == assess(person, P).to_json()
