"""The director's agreement dashboard: what needs attention in the user's scope and the deadlines of any set
of agreements (policy §7.4, DESIGN §4; the picture is drawn by `timeline`, the matrix by `coverage`).

Scope: an admin sees every agreement; a director whose home unit is a national responsibility area sees the
national agreements of that area; any other director sees the agreements owned by their home unit or its
sub-units, or shared with one of those units as a sanction centre; other roles have no scope.

Templates never query: every function here returns plain data with the agreements it names loaded. Each
function runs a fixed number of queries, however many agreements there are, and what a scope's dashboard
shows is computed once for each state of the data (`core.cache.cached`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from ..core.cache import cached
from ..core.models import UnitKind
from ..core.pagination import PageShape
from ..core.services import scope_unit_ids
from ..directory.currency import unit_centres
from ..directory.models import LiaisonRole, LiaisonSide
from ..extensions import db
from ..i18n import HELSINKI
from . import rules, services
from .models import (
    Agreement,
    AgreementLevel,
    AgreementStatus,
    agreement_centre,
)

ALL, UNITS, NATIONAL, NONE = "all", "units", "national", "none"
LIST_SIZE = 10  # agreements shown per list on the dashboard; the count links to the whole list
DEADLINE_DAYS = 90  # notice, decision and review dates coming within this many days are listed
DEADLINE_KINDS = ("expiry", "notice", "decision", "review")
LIST_KEYS = tuple(f"expiring_{days}" for days in rules.EXPIRING_WINDOWS) + (
    "notice", "decision", "review", "no_liaison", "stalled")
ACTIVE = [AgreementStatus(s) for s in sorted(rules.ACTIVE)]
DRAFT = [AgreementStatus(s) for s in sorted(rules.DRAFT)]
CLOSED = [AgreementStatus(s) for s in sorted(rules.CLOSED)]
MONTH_SLACK = timedelta(days=4)  # month arithmetic clamps month ends: the SQL window is widened by this much
TIMELINE_ROWS = 20  # agreements in the validity timeline
CACHE_SIZE = 64  # dashboard and coverage results kept per application (core.cache.cached)


# --- scope ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose agreements a dashboard, a deadline feed or a digest covers."""

    kind: str
    unit_ids: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        """Whether the scope holds no agreements at all (staff, coordinators, users without a home unit)."""
        return self.kind == NONE or (self.kind != ALL and not self.unit_ids)


def user_scope(user: Any) -> Scope:
    """The agreements a user is responsible for (DESIGN §5): see the module docstring."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope(NONE)
    if user.has_role("admin"):
        return Scope(ALL)
    home = user.home_unit
    if not user.has_role("director") or home is None:
        return Scope(NONE)
    ids = frozenset(scope_unit_ids(home))
    return Scope(NATIONAL if home.kind is UnitKind.RESPONSIBILITY_AREA else UNITS, ids)


def scope_condition(scope: Scope) -> ColumnElement[bool]:
    """The scope as an SQL condition on `Agreement`."""
    if scope.kind == ALL:
        return true()
    if scope.empty:
        return false()
    ids = sorted(scope.unit_ids)
    if scope.kind == NATIONAL:
        return and_(Agreement.level == AgreementLevel.NATIONAL, Agreement.owner_unit_id.in_(ids))
    shared = select(agreement_centre.c.agreement_id).where(agreement_centre.c.unit_id.in_(ids))
    return or_(Agreement.owner_unit_id.in_(ids), Agreement.id.in_(shared))


def own_centre_id(user: Any) -> int | None:
    """The sanction centre at or above the user's home unit (None outside every centre)."""
    home_id = getattr(user, "home_unit_id", None)
    return unit_centres().get(home_id) if home_id is not None else None


# --- deadlines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """One date an agreement's people must act by: its end, the notice or decision deadline, a review."""

    agreement_id: int
    kind: str  # one of DEADLINE_KINDS
    on: date


_BASE = func.coalesce(Agreement.valid_from, Agreement.signed_on)  # where a review interval counts from
_FACT_COLUMNS = (Agreement.id, Agreement.valid_until, Agreement.notice_months, Agreement.lead_time_days,
                 Agreement.review_on, Agreement.review_interval_months, _BASE.label("base"))
MAX_BANDS = 120  # review-interval bands per interval; beyond this every agreement with the interval is read


@lru_cache(maxsize=65_536)
def _computed(valid_until: date | None, notice_months: int | None, lead_time_days: int | None, review_on: date | None,
              review_interval_months: int | None, base: date | None, today: date) -> tuple[tuple[str, date], ...]:
    """`rules.deadlines` of an agreement in force, by kind (memoised: the same dates recur on every page)."""
    found = rules.deadlines(rules.AgreementFacts(
        status=rules.IN_FORCE, valid_from=base, valid_until=valid_until, notice_months=notice_months,
        lead_time_days=lead_time_days, review_on=review_on, review_interval_months=review_interval_months), today)
    expiry = (("expiry", valid_until),) if valid_until else ()
    return expiry + tuple(found.dates.items())


def deadline_dates(facts: rules.AgreementFacts, today: date) -> dict[str, date]:
    """The deadlines of one agreement by kind; only an agreement in force or under renewal has any."""
    if facts.status not in rules.ACTIVE:
        return {}
    return dict(_computed(facts.valid_until, facts.notice_months, facts.lead_time_days, facts.review_on,
                          facts.review_interval_months, facts.valid_from or facts.signed_on, today))


def agreement_deadlines(agreements: Iterable[Agreement], today: date) -> list[Deadline]:
    """The deadlines of these agreements, by date."""
    found = [Deadline(a.id, kind, on) for a in agreements
             for kind, on in deadline_dates(services.facts(a, set()), today).items()]
    return sorted(found, key=_deadline_order)


def _deadline_order(deadline: Deadline) -> tuple[date, int, int]:
    return deadline.on, DEADLINE_KINDS.index(deadline.kind), deadline.agreement_id


def _groups() -> tuple[set[tuple[int, int | None]], dict[int, date]]:
    """The (notice period, lead time) pairs of the agreements in force, and for each review interval the oldest
    date it counts from (read over all agreements: cheaper than within a scope, and a superset of it)."""
    pairs: set[tuple[int, int | None]] = set()
    oldest: dict[int, date] = {}
    for months, lead, interval, base in db.session.execute(
            select(Agreement.notice_months, Agreement.lead_time_days, Agreement.review_interval_months,
                   func.min(_BASE)).where(Agreement.status.in_(ACTIVE))
            .group_by(Agreement.notice_months, Agreement.lead_time_days, Agreement.review_interval_months)):
        if months is not None:
            pairs.add((months, lead))
        if interval and interval > 0 and base is not None:
            oldest[interval] = min(oldest.get(interval, base), base)
    return pairs, oldest


def _notice_windows(pairs: set[tuple[int, int | None]], start: date, end: date, kinds: set[str]) -> list[Any]:
    """SQL conditions catching every agreement whose notice or decision deadline may fall in [start, end].

    The deadlines are month arithmetic on `valid_until`, which SQLite and PostgreSQL do differently, so the
    database narrows by each (notice period, lead time) pair, widened by MONTH_SLACK, and Python decides.
    """
    windows = []
    for months, lead in sorted(pairs, key=lambda p: (p[0], -1 if p[1] is None else p[1])):
        shifts = [relativedelta(months=months)] if "notice" in kinds else []
        if "decision" in kinds and lead is not None:
            shifts.append(relativedelta(months=months, days=lead))
        lead_match = Agreement.lead_time_days.is_(None) if lead is None else Agreement.lead_time_days == lead
        bands = [Agreement.valid_until.between(start + s - MONTH_SLACK, end + s + MONTH_SLACK) for s in shifts]
        if bands:
            windows.append(and_(Agreement.notice_months == months, lead_match, or_(*bands)))
    return windows


def _review_windows(oldest: dict[int, date], start: date, end: date) -> list[Any]:
    """SQL conditions catching every agreement whose next review by interval may fall in [start, end].

    The next review is the first of base + k × interval (k ≥ 1) that is today or later (`rules.next_review`),
    so it falls in the window when one of those steps does: one band of base dates per step, widened.
    """
    windows = []
    for months, first in sorted(oldest.items()):
        steps: list[Any] = []
        k = 1
        while len(steps) < MAX_BANDS:
            shift = relativedelta(months=k * months)
            if end - shift + MONTH_SLACK < first:
                break
            steps.append(_BASE.between(start - shift - MONTH_SLACK, end - shift + MONTH_SLACK))
            k += 1
        every = len(steps) >= MAX_BANDS or start + relativedelta(months=months) <= end + MONTH_SLACK
        windows.append(and_(Agreement.review_on.is_(None), Agreement.review_interval_months == months,
                            _BASE.is_not(None), true() if every else or_(false(), *steps)))
    return windows


def find_deadlines(condition: ColumnElement[bool], start: date, end: date, today: date, *,
                   kinds: Iterable[str] = DEADLINE_KINDS, overdue_reviews: bool = False) -> list[Deadline]:
    """The deadlines of the agreements matching `condition` that fall in [start, end], by date.

    `overdue_reviews` also keeps review dates before `start` (a review that was never done stays due).
    Two queries, whatever the number of agreements; the database reads little more than the agreements
    whose deadlines are returned.
    """
    wanted = set(kinds)
    windows: list[Any] = []
    if "expiry" in wanted:
        windows.append(Agreement.valid_until.between(start, end))
    if "review" in wanted:
        windows.append(Agreement.review_on <= end if overdue_reviews else Agreement.review_on.between(start, end))
    if wanted & {"notice", "decision", "review"}:
        pairs, oldest = _groups()
        if wanted & {"notice", "decision"}:
            windows.extend(_notice_windows(pairs, start, end, wanted))
        if "review" in wanted:
            windows.extend(_review_windows(oldest, max(start, today), end))
    if not windows:
        return []
    rows = db.session.execute(select(*_FACT_COLUMNS).where(condition, Agreement.status.in_(ACTIVE), or_(*windows)))
    found = []
    for row in rows:
        for kind, on in _computed(row.valid_until, row.notice_months, row.lead_time_days, row.review_on,
                                  row.review_interval_months, row.base, today):
            if kind in wanted and (start <= on <= end or (kind == "review" and overdue_reviews and on < start)):
                found.append(Deadline(row.id, kind, on))
    return sorted(found, key=_deadline_order)


# --- what needs attention -------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One agreement on an attention list, with the date that put it there and the liaisons it lacks."""

    agreement: Agreement
    on: date | None = None
    missing: tuple[str, ...] = ()  # liaison sides without a current liaison ('rise', 'partner')


@dataclass
class AttentionList:
    """One dashboard list: its key (see LIST_KEYS), how many agreements are on it and the first ones."""

    key: str
    count: int
    items: list[Item] = field(default_factory=list)


def _with_both_liaisons(today: date) -> Any:
    """The agreements with a Rise and a partner liaison today (uncorrelated: the database reads it once)."""
    return (select(LiaisonRole.agreement_id)
            .where(LiaisonRole.agreement_id.is_not(None),
                   or_(LiaisonRole.valid_from.is_(None), LiaisonRole.valid_from <= today),
                   or_(LiaisonRole.valid_to.is_(None), LiaisonRole.valid_to >= today))
            .group_by(LiaisonRole.agreement_id).having(func.count(LiaisonRole.side.distinct()) == len(LiaisonSide)))


def _list_condition(key: str, today: date) -> ColumnElement[bool]:
    """The SQL form of the lists that need no date arithmetic (expiring, without liaison, stalled)."""
    if key.startswith("expiring_"):  # rules.expires_within
        days = int(key.removeprefix("expiring_"))
        return and_(Agreement.status.in_(ACTIVE), Agreement.valid_until.between(today, today + timedelta(days=days)))
    if key == "no_liaison":  # rules.lacks_liaison
        return and_(Agreement.status.in_(ACTIVE), Agreement.id.not_in(_with_both_liaisons(today)))
    # rules.is_stalled: the status has not moved for STALLED_AFTER_DAYS Helsinki days
    cutoff = datetime.combine(today - timedelta(days=rules.STALLED_AFTER_DAYS - 1), time(), HELSINKI)
    return and_(Agreement.status.in_(DRAFT), Agreement.status_changed_at < cutoff)


def _list_order(key: str) -> list[Any]:
    if key.startswith("expiring_"):
        return [Agreement.valid_until, Agreement.name_fi, Agreement.id]
    if key == "stalled":
        return [Agreement.status_changed_at, Agreement.id]
    return [Agreement.name_fi, Agreement.id]


def load_agreements(ids: Iterable[int]) -> dict[int, Agreement]:
    """The agreements with these ids, owner units loaded (one query each)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = db.session.scalars(select(Agreement).where(Agreement.id.in_(wanted))
                              .options(selectinload(Agreement.owner_unit)))
    return {a.id: a for a in rows}


def _missing_sides(ids: list[int], today: date) -> dict[int, tuple[str, ...]]:
    sides = services.liaison_sides(ids, today)
    return {i: tuple(s.value for s in LiaisonSide if s not in sides.get(i, set())) for i in ids}


@dataclass(frozen=True)
class Snapshot:
    """What the dashboard shows of one scope on one day: each list's count and first (agreement id, date)
    pairs, and the agreements of the timeline."""

    counts: dict[str, int]
    first: dict[str, list[tuple[int, date | None]]]
    timeline: list[int]


def _compute(scope: Scope, today: date) -> Snapshot:
    condition, limit = scope_condition(scope), LIST_SIZE
    widest = f"expiring_{max(rules.EXPIRING_WINDOWS)}"
    counts: dict[str, int] = {}
    first: dict[str, list[tuple[int, date | None]]] = {}
    found = find_deadlines(condition, today, today + timedelta(days=DEADLINE_DAYS), today,
                           kinds=("notice", "decision", "review"), overdue_reviews=True)
    for kind in ("notice", "decision", "review"):
        of_kind = [d for d in found if d.kind == kind]
        counts[kind], first[kind] = len(of_kind), [(d.agreement_id, d.on) for d in of_kind[:limit]]
    # One read per list gives both its count and its first agreements (the lists are short beside the scope).
    for key in (widest, "no_liaison", "stalled"):
        rows = db.session.execute(select(Agreement.id, Agreement.valid_until, Agreement.status_changed_at)
                                  .where(condition, _list_condition(key, today)).order_by(*_list_order(key))).all()
        pairs: list[tuple[int, date | None]] = [
            (i, until if key == widest else changed.astimezone(HELSINKI).date() if key == "stalled" else None)
            for i, until, changed in rows]
        if key == widest:
            for days in rules.EXPIRING_WINDOWS:
                within: list[tuple[int, date | None]] = [
                    (i, on) for i, on in pairs if on is not None and on <= today + timedelta(days=days)]
                counts[f"expiring_{days}"], first[f"expiring_{days}"] = len(within), within[:limit]
        else:
            counts[key], first[key] = len(pairs), pairs[:limit]
    return Snapshot(counts, first, _timeline_ids(condition, today))


def snapshot(scope: Scope, today: date) -> Snapshot:
    """The scope's snapshot, computed once for each state of the data."""
    return cached("agreements", ("snapshot", scope, today), lambda: _compute(scope, today), size=CACHE_SIZE)


def attention(scope: Scope, today: date, *, limit: int = LIST_SIZE) -> list[AttentionList]:
    """Every dashboard list of the scope with its count and first `limit` agreements (LIST_KEYS order)."""
    if scope.empty:
        return [AttentionList(key, 0) for key in LIST_KEYS]
    snap = snapshot(scope, today)
    if limit <= 0:
        return [AttentionList(key, snap.counts[key]) for key in LIST_KEYS]
    loaded = load_agreements(i for pairs in snap.first.values() for i, _on in pairs[:limit])
    missing = _missing_sides([i for i, _on in snap.first["no_liaison"][:limit]], today)
    return [AttentionList(key, snap.counts[key], [Item(loaded[i], on, missing.get(i, ()))
                                                  for i, on in snap.first[key][:limit] if i in loaded])
            for key in LIST_KEYS]


@dataclass(frozen=True)
class ListPage(PageShape):
    """One page of a whole attention list, shaped for the pagination macro."""

    items: list[Item] = field(default_factory=list)


def attention_page(scope: Scope, key: str, today: date, page: int, per_page: int) -> ListPage:
    """One page of the whole list `key` of the scope (a key not in LIST_KEYS gives an empty page)."""
    if scope.empty or key not in LIST_KEYS:
        return ListPage(1, per_page, 0)
    condition, offset = scope_condition(scope), (page - 1) * per_page
    if key in {"notice", "decision", "review"}:
        found = find_deadlines(condition, today, today + timedelta(days=DEADLINE_DAYS), today, kinds=(key,),
                               overdue_reviews=True)
        shown = found[offset:offset + per_page]
        loaded = load_agreements(d.agreement_id for d in shown)
        items = [Item(loaded[d.agreement_id], d.on) for d in shown if d.agreement_id in loaded]
        return ListPage(page, per_page, len(found), items)
    where = and_(condition, _list_condition(key, today))
    total = db.session.scalar(select(func.count(Agreement.id)).where(where)) or 0
    ids = list(db.session.scalars(select(Agreement.id).where(where).order_by(*_list_order(key))
                                  .offset(offset).limit(per_page)))
    loaded = load_agreements(ids)
    missing = _missing_sides(ids, today) if key == "no_liaison" else {}
    items = []
    for agreement in (loaded[i] for i in ids if i in loaded):
        on = agreement.valid_until if key.startswith("expiring_") else \
            agreement.status_changed_at.astimezone(HELSINKI).date() if key == "stalled" else None
        items.append(Item(agreement, on, missing.get(agreement.id, ())))
    return ListPage(page, per_page, total, items)


# --- the validity timeline ------------------------------------------------------------------------


def timeline_window(today: date) -> tuple[date, date]:
    """The period the validity timeline shows: from a year ago to two years ahead."""
    return date(today.year - 1, today.month, 1), date(today.year + 2, today.month, 1)


def _timeline_ids(condition: ColumnElement[bool], today: date) -> list[int]:
    start, end = timeline_window(today)
    return list(db.session.scalars(
        select(Agreement.id).where(condition, Agreement.status.in_(ACTIVE),
                                   or_(Agreement.valid_until.is_(None), Agreement.valid_until >= start),
                                   or_(Agreement.valid_from.is_(None), Agreement.valid_from <= end))
        .order_by(Agreement.valid_until.asc().nulls_last(), Agreement.name_fi, Agreement.id).limit(TIMELINE_ROWS)))


def director_summary(user: Any, today: date) -> list[AttentionList] | None:
    """The counts of the attention lists for a director's panel on the main dashboard (None for others)."""
    if not user.has_role("director"):
        return None
    scope = user_scope(user)
    return None if scope.empty else attention(scope, today, limit=0)
