"""The review summary (DOMAIN §5.1 step 9, §5.2): each criterion's weighted score, the total and the spread.

Pure: reviews and criteria are any objects with the attributes below (ORM rows or test doubles); numbers are
exact `Fraction`s (`as_dict` gives floats for JSON and spreadsheets).

- Only submitted reviews count (`submitted_at` set).
- Reviews are grouped by the criteria version they were made with; each group is summarised against ITS
  version's criteria, so changing the criteria never rewrites an old review.
- Per criterion: the reviewers' scores, mean, min, max, spread = max − min, weighted = mean × weight.
  A criterion not scored by a reviewer (allowed for one that is not required) is left out of its mean.
- `weighted_sum` = Σ weighted (the plain weighted sum, in scale points × weight).
- `total` (the normalised total, 0–100): each criterion's mean is put on 0…1 by its own scale,
  (mean − scale_min) / (scale_max − scale_min), then averaged with the weights and multiplied by 100:
  total = 100 × Σ weight·normalised / Σ weight, over the criteria that have a mean. Criteria with different
  scales so weigh only by their weight.
- Each reviewer's own `weighted_sum` and `total` are computed the same way from their scores alone, so dissent
  is visible instead of averaged away; `spread` of the totals is max − min.
- Dissent: a criterion whose spread is at least half its scale (scale_max − scale_min) / 2, and totals whose
  spread is at least 50 (half the 0–100 scale).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

HUNDRED = Fraction(100)


def _fraction(value: Any) -> Fraction:
    return Fraction(Decimal(value)) if isinstance(value, Decimal | str) else Fraction(value)


def _name(criterion: Any) -> str:
    name = getattr(criterion, "name", None)
    if callable(name):
        return str(name())
    return str(name if name is not None else getattr(criterion, "name_fi", criterion.code))


@dataclass(frozen=True)
class CriterionSummary:
    """One criterion of one criteria version, over the submitted reviews made with that version."""

    criterion_id: int
    code: str
    name: str
    weight: Fraction
    scale_min: int
    scale_max: int
    required: bool
    scores: list[int | None]  # one per reviewer, in the order of `VersionSummary.reviewer_ids`
    mean: Fraction | None
    min: int | None
    max: int | None
    spread: int | None
    weighted: Fraction | None  # mean × weight

    @property
    def dissent(self) -> bool:
        """Whether the reviewers' scores lie at least half the scale apart."""
        return self.spread is not None and 2 * self.spread >= self.scale_max - self.scale_min

    @property
    def normalised(self) -> Fraction | None:
        """The mean on 0…1 by the criterion's own scale."""
        if self.mean is None:
            return None
        return (self.mean - self.scale_min) / (self.scale_max - self.scale_min)


@dataclass(frozen=True)
class ReviewerTotal:
    """One reviewer's own total."""

    reviewer_id: int
    name: str
    weighted_sum: Fraction
    total: Fraction | None  # 0–100


@dataclass(frozen=True)
class VersionSummary:
    """The submitted reviews made with one criteria version."""

    version_id: int
    version_number: int | None
    reviewer_ids: list[int]
    criteria: list[CriterionSummary]
    reviewer_totals: list[ReviewerTotal]
    weighted_sum: Fraction
    total: Fraction | None  # 0–100
    max_weighted_sum: Fraction  # Σ weight × scale_max: the best possible weighted sum

    @property
    def review_count(self) -> int:
        """How many submitted reviews the group has."""
        return len(self.reviewer_ids)

    @property
    def total_min(self) -> Fraction | None:
        """The lowest reviewer total."""
        totals = [t.total for t in self.reviewer_totals if t.total is not None]
        return min(totals) if totals else None

    @property
    def total_max(self) -> Fraction | None:
        """The highest reviewer total."""
        totals = [t.total for t in self.reviewer_totals if t.total is not None]
        return max(totals) if totals else None

    @property
    def spread(self) -> Fraction | None:
        """The highest reviewer total less the lowest."""
        low, high = self.total_min, self.total_max
        return high - low if low is not None and high is not None else None

    @property
    def dissent(self) -> bool:
        """Whether the reviewers' totals lie at least half the 0–100 scale apart, or any criterion does."""
        return (self.spread is not None and 2 * self.spread >= HUNDRED) or any(c.dissent for c in self.criteria)


@dataclass(frozen=True)
class Summary:
    """All groups; the headline numbers are those of the main group (most reviews, then the newest version)."""

    groups: list[VersionSummary] = field(default_factory=list)

    @property
    def main(self) -> VersionSummary | None:
        """The group the headline numbers come from."""
        if not self.groups:
            return None
        return max(self.groups, key=lambda g: (g.review_count, g.version_number or 0, g.version_id))

    @property
    def review_count(self) -> int:
        """Submitted reviews over all groups."""
        return sum(g.review_count for g in self.groups)

    @property
    def criteria(self) -> list[CriterionSummary]:
        """The main group's criteria."""
        return self.main.criteria if self.main else []

    @property
    def total(self) -> Fraction | None:
        """The main group's normalised total (0–100)."""
        return self.main.total if self.main else None

    @property
    def weighted_sum(self) -> Fraction | None:
        """The main group's plain weighted sum."""
        return self.main.weighted_sum if self.main else None

    @property
    def reviewer_totals(self) -> list[ReviewerTotal]:
        """The main group's reviewer totals."""
        return self.main.reviewer_totals if self.main else []

    @property
    def spread(self) -> Fraction | None:
        """The spread of the main group's reviewer totals."""
        return self.main.spread if self.main else None

    @property
    def dissent(self) -> bool:
        """Whether any group shows dissent."""
        return any(g.dissent for g in self.groups)

    def as_dict(self) -> dict[str, Any]:
        """The summary with floats rounded to two decimals (for the API and the exports)."""
        def num(value: Fraction | None) -> float | None:
            return round(float(value), 2) if value is not None else None

        return {
            "review_count": self.review_count, "total": num(self.total), "weighted_sum": num(self.weighted_sum),
            "spread": num(self.spread), "dissent": self.dissent,
            "groups": [{
                "criteria_version": g.version_number, "review_count": g.review_count, "total": num(g.total),
                "weighted_sum": num(g.weighted_sum), "total_min": num(g.total_min), "total_max": num(g.total_max),
                "spread": num(g.spread), "dissent": g.dissent,
                "criteria": [{"code": c.code, "name": c.name, "weight": num(c.weight), "mean": num(c.mean),
                              "min": c.min, "max": c.max, "spread": c.spread, "weighted": num(c.weighted),
                              "dissent": c.dissent} for c in g.criteria],
                "reviewers": [{"reviewer_id": t.reviewer_id, "name": t.name, "weighted_sum": num(t.weighted_sum),
                               "total": num(t.total)} for t in g.reviewer_totals],
            } for g in self.groups],
        }


def _totals(pairs: Iterable[tuple[Any, Fraction]]) -> tuple[Fraction, Fraction | None]:
    """(weighted sum, normalised total 0–100) of (criterion, value) pairs."""
    weighted = Fraction(0)
    normal = Fraction(0)
    weights = Fraction(0)
    for criterion, value in pairs:
        weight = _fraction(criterion.weight)
        weighted += value * weight
        normal += weight * (value - criterion.scale_min) / (criterion.scale_max - criterion.scale_min)
        weights += weight
    return weighted, (HUNDRED * normal / weights if weights else None)


def _group(version_id: int, reviews: Sequence[Any], criteria: Sequence[Any]) -> VersionSummary:
    ordered = sorted(criteria, key=lambda c: (getattr(c, "position", 0), c.code))
    reviewer_ids = [r.reviewer_id for r in reviews]
    given: list[dict[int, int | None]] = [{s.criterion_id: s.score for s in r.scores} for r in reviews]
    summaries = []
    for c in ordered:
        scores = [g.get(c.id) for g in given]
        present = [s for s in scores if s is not None]
        mean = Fraction(sum(present), len(present)) if present else None
        summaries.append(CriterionSummary(
            criterion_id=c.id, code=c.code, name=_name(c), weight=_fraction(c.weight), scale_min=c.scale_min,
            scale_max=c.scale_max, required=bool(getattr(c, "required", True)), scores=scores, mean=mean,
            min=min(present) if present else None, max=max(present) if present else None,
            spread=max(present) - min(present) if present else None,
            weighted=mean * _fraction(c.weight) if mean is not None else None))
    reviewer_totals = []
    for review, own in zip(reviews, given, strict=True):
        pairs = [(c, Fraction(own[c.id] or 0)) for c in ordered if own.get(c.id) is not None]
        weighted, total = _totals(pairs)
        reviewer = getattr(review, "reviewer", None)
        reviewer_totals.append(ReviewerTotal(reviewer_id=review.reviewer_id, weighted_sum=weighted, total=total,
                                             name=str(getattr(reviewer, "name", "") or review.reviewer_id)))
    weighted, total = _totals((c, s.mean) for c, s in zip(ordered, summaries, strict=True) if s.mean is not None)
    version = getattr(ordered[0], "version", None) if ordered else None
    return VersionSummary(
        version_id=version_id, version_number=getattr(version, "number", None), reviewer_ids=reviewer_ids,
        criteria=summaries, reviewer_totals=reviewer_totals, weighted_sum=weighted, total=total,
        max_weighted_sum=sum((_fraction(c.weight) * c.scale_max for c in ordered), Fraction(0)))


def summarise(reviews: Iterable[Any], criteria: Iterable[Any]) -> Summary:
    """Summarise the submitted reviews, each group of reviews against its own criteria version.

    `reviews`: objects with reviewer_id, criteria_version_id, submitted_at, scores (criterion_id, score) and
    optionally reviewer (with name). `criteria`: objects with id, version_id, code, name (or name()), weight,
    scale_min, scale_max, position, required — the criteria of every version the reviews used.
    """
    by_version: dict[int, list[Any]] = {}
    for c in criteria:
        by_version.setdefault(c.version_id, []).append(c)
    grouped: dict[int, list[Any]] = {}
    for r in reviews:
        if r.submitted_at is not None:
            grouped.setdefault(r.criteria_version_id, []).append(r)
    groups = [_group(vid, sorted(rs, key=lambda r: r.reviewer_id), by_version.get(vid, []))
              for vid, rs in sorted(grouped.items(), reverse=True)]
    return Summary(groups=groups)
