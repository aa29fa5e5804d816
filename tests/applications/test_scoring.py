"""The review summary (scoring.py) against a hand calculation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace as NS

from registry.applications.scoring import summarise

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _criterion(cid, code, weight, version_id=1, lo=0, hi=5, required=True, number=1):
    return NS(id=cid, code=code, name=code.upper(), weight=Decimal(weight), scale_min=lo, scale_max=hi,
              position=cid, required=required, version_id=version_id, version=NS(number=number))


def _review(reviewer_id, scores, version_id=1, submitted=True):
    return NS(reviewer_id=reviewer_id, criteria_version_id=version_id, submitted_at=NOW if submitted else None,
              reviewer=NS(name=f"R{reviewer_id}"),
              scores=[NS(criterion_id=cid, score=s) for cid, s in scores.items()])


CRITERIA = [_criterion(1, "need", 3), _criterion(2, "units", 2), _criterion(3, "eval", 1)]


def test_three_reviewers_with_weights_3_2_1_give_the_hand_calculated_totals():
    # Scale 0–5. R1: 5, 4, 3   R2: 3, 3, 3   R3: 4, 2, 5
    reviews = [_review(1, {1: 5, 2: 4, 3: 3}), _review(2, {1: 3, 2: 3, 3: 3}), _review(3, {1: 4, 2: 2, 3: 5})]
    summary = summarise(reviews, CRITERIA)
    need, units, evaluation = summary.criteria
    assert (need.scores, units.scores, evaluation.scores) == ([5, 3, 4], [4, 3, 2], [3, 3, 5])
    assert need.mean == 4 and units.mean == 3 and evaluation.mean == Fraction(11, 3)
    assert need.weighted == 12 and units.weighted == 6 and evaluation.weighted == Fraction(11, 3)
    # Plain weighted sum: 12 + 6 + 11/3 = 65/3 (= the mean of the reviewers' own sums 26, 18, 21).
    assert summary.weighted_sum == Fraction(65, 3)
    # Normalised: 100 × (3·4/5 + 2·3/5 + 1·(11/3)/5) / 6 = 100 × (65/15) / 6 = 650/9 ≈ 72.22.
    assert summary.total == Fraction(650, 9)
    totals = {t.name: t for t in summary.reviewer_totals}
    assert (totals["R1"].weighted_sum, totals["R2"].weighted_sum, totals["R3"].weighted_sum) == (26, 18, 21)
    assert totals["R1"].total == Fraction(260, 3) and totals["R2"].total == 60 and totals["R3"].total == 70
    assert summary.main.total_min == 60 and summary.main.total_max == Fraction(260, 3)
    assert summary.spread == Fraction(80, 3)  # 86.67 − 60
    assert (need.spread, need.min, need.max) == (2, 3, 5)
    assert not summary.dissent  # every spread is below half the scale (2.5) and the totals within 50
    assert summary.as_dict()["total"] == 72.22 and summary.as_dict()["groups"][0]["spread"] == 26.67


def test_dissent_is_flagged_when_scores_lie_half_the_scale_apart():
    reviews = [_review(1, {1: 5, 2: 3, 3: 0}), _review(2, {1: 5, 2: 3, 3: 3})]
    summary = summarise(reviews, CRITERIA)
    assert [c.dissent for c in summary.criteria] == [False, False, True]  # spread 3 ≥ 5 / 2
    assert summary.dissent


def test_only_submitted_reviews_count_and_unscored_optional_criteria_are_left_out():
    criteria = [_criterion(1, "need", 3), _criterion(2, "opt", 1, required=False, lo=1, hi=3)]
    reviews = [_review(1, {1: 5, 2: None}), _review(2, {1: 1, 2: 3}), _review(3, {1: 0, 2: 1}, submitted=False)]
    summary = summarise(reviews, criteria)
    need, optional = summary.criteria
    assert summary.review_count == 2 and need.scores == [5, 1] and need.mean == 3
    assert optional.scores == [None, 3] and optional.mean == 3 and optional.normalised == 1
    r1, r2 = summary.reviewer_totals
    assert r1.weighted_sum == 15 and r1.total == 100  # the unscored criterion weighs nothing
    assert r2.weighted_sum == 6 and r2.total == Fraction(100 * (3 * Fraction(1, 5) + 1), 4)


def test_reviews_with_an_older_version_are_summarised_against_their_own_criteria():
    old = [_criterion(1, "need", 1, version_id=1, number=1)]
    new = [_criterion(11, "need", 3, version_id=2, number=2), _criterion(12, "fit", 1, version_id=2, number=2)]
    reviews = [_review(1, {1: 4}, version_id=1), _review(2, {11: 2, 12: 5}, version_id=2),
               _review(3, {11: 4, 12: 5}, version_id=2)]
    summary = summarise(reviews, old + new)
    by_number = {g.version_number: g for g in summary.groups}
    assert set(by_number) == {1, 2}
    assert [c.code for c in by_number[1].criteria] == ["need"] and by_number[1].weighted_sum == 4
    assert [c.code for c in by_number[2].criteria] == ["need", "fit"]
    assert by_number[2].weighted_sum == 3 * 3 + 5  # the headline is the group with most reviews
    assert summary.main is by_number[2] and summary.review_count == 3


def test_no_reviews_gives_an_empty_summary():
    summary = summarise([], CRITERIA)
    assert summary.total is None and summary.criteria == [] and not summary.dissent
    assert summary.as_dict()["review_count"] == 0
