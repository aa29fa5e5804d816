"""The coverage matrix: for every sanction centre and wellbeing services county, whether the regional
agreement the policy requires with each kind of counterpart is missing, in preparation, in force or
expiring (policy §7.4, DOMAIN §3.5). A fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ..core.cache import cached
from ..core.models import Region, Unit, UnitKind
from ..directory.currency import unit_centres
from ..extensions import db
from ..i18n import current_language
from . import rules
from .dashboard import CACHE_SIZE, CLOSED
from .models import Agreement, AgreementLevel, CounterpartKind, agreement_centre, agreement_region

EXPIRING_SOON = 90  # an agreement in force that ends within this many days is marked as expiring

MISSING, PREPARING, IN_FORCE, EXPIRING = "missing", "in_preparation", "in_force", "expiring"
_RANK = {IN_FORCE: 3, EXPIRING: 2, PREPARING: 1, MISSING: 0}  # the best agreement of a cell is shown


@dataclass(frozen=True)
class Cell:
    """One cell: its state (MISSING, PREPARING, IN_FORCE, EXPIRING) and the agreement that gives it."""

    state: str = MISSING
    agreement_id: int | None = None
    name: str = ""
    valid_until: date | None = None
    others: int = 0  # further agreements of the same cell


@dataclass
class CoverageRow:
    """A sanction centre or a wellbeing services county with one cell per counterpart kind."""

    ident: int
    label: str
    own: bool
    cells: list[Cell]
    centre_id: int | None = None  # the sanction centre (of a county: the one covering it)


@dataclass(frozen=True)
class Kind:
    """A counterpart kind as a column of the matrix (plain data: a computed matrix is kept between requests)."""

    id: int
    code: str
    label: str


@dataclass
class Coverage:
    """Both matrices: sanction centre × per-centre kinds, wellbeing county × per-region kinds."""

    centre_kinds: list[Kind]
    centres: list[CoverageRow]
    region_kinds: list[Kind]
    regions: list[CoverageRow]
    counts: dict[str, int]


def cell_state(status: str, valid_until: date | None, today: date) -> str:
    """What one agreement means for its cell (a closed agreement leaves the cell missing)."""
    if status in rules.ACTIVE:
        ending = valid_until is not None and valid_until <= today + timedelta(days=EXPIRING_SOON)
        return EXPIRING if ending else IN_FORCE
    return PREPARING if status in rules.DRAFT else MISSING


def _rank(state: str, valid_until: date | None, agreement_id: int) -> tuple[int, date, int]:
    return _RANK[state], valid_until or date.max, -agreement_id


def best_cell(candidates: list[Cell]) -> Cell:
    """The cell shown for several agreements: in force before expiring before in preparation, then the one
    valid longest; the rest are counted in `others`."""
    shown = [c for c in candidates if c.state != MISSING]
    if not shown:
        return Cell()
    best = max(shown, key=lambda c: _rank(c.state, c.valid_until, c.agreement_id or 0))
    return Cell(best.state, best.agreement_id, best.name, best.valid_until, len(shown) - 1)


_FILLS = (Agreement.counterpart_kind_id.is_not(None), Agreement.level != AgreementLevel.NATIONAL,
          Agreement.status.not_in(CLOSED))  # the agreements that can fill a cell


def _links(table: Any, column: Any) -> dict[int, set[int]]:
    """The sanction centres (or counties) each agreement that can fill a cell is shared with."""
    found: dict[int, set[int]] = {}
    for aid, other in db.session.execute(select(table.c.agreement_id, column)
                                         .join(Agreement, Agreement.id == table.c.agreement_id).where(*_FILLS)):
        found.setdefault(aid, set()).add(other)
    return found


def coverage(today: date, own_centre: int | None) -> Coverage:
    """The coverage matrices of every sanction centre and county; `own_centre` is highlighted (DOMAIN §3.5).

    Computed once for each state of the data (`core.cache.cached`)."""
    return cached("agreements", ("coverage", today, own_centre, current_language()),
                  lambda: _coverage(today, own_centre), size=CACHE_SIZE)


def _coverage(today: date, own_centre: int | None) -> Coverage:
    """The coverage matrices, computed.

    A regional or local agreement with a counterpart kind fills the cell of each sanction centre it is
    shared with and of the centre its owner unit belongs to; a per-region kind fills the cells of its
    wellbeing services counties.
    """
    kinds = list(db.session.scalars(select(CounterpartKind).order_by(CounterpartKind.position,
                                                                      CounterpartKind.code)))
    centre_kinds, region_kinds = [k for k in kinds if not k.per_region], [k for k in kinds if k.per_region]
    centres = list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE)
                                      .order_by(Unit.name_fi)))
    regions = list(db.session.scalars(select(Region).order_by(Region.name_fi)))
    language = current_language()
    rows = db.session.execute(
        select(Agreement.id, Agreement.name_fi, getattr(Agreement, f"name_{language}").label("shown"),
               Agreement.status, Agreement.valid_until, Agreement.owner_unit_id, Agreement.counterpart_kind_id)
        .where(*_FILLS)).all()
    shared_centres = _links(agreement_centre, agreement_centre.c.unit_id) if rows else {}
    shared_regions = _links(agreement_region, agreement_region.c.region_id) if rows else {}
    owner_centre = unit_centres() if rows else {}
    best: dict[tuple[str, int, int], tuple[tuple[int, date, int], Any, str]] = {}
    seen: dict[tuple[str, int, int], int] = {}
    for r in rows:
        state = cell_state(str(r.status), r.valid_until, today)
        if state == MISSING:
            continue
        rank = _rank(state, r.valid_until, r.id)
        keys = [("centre", c, r.counterpart_kind_id)
                for c in shared_centres.get(r.id, set()) | {owner_centre.get(r.owner_unit_id)} if c is not None]
        keys += [("region", g, r.counterpart_kind_id) for g in shared_regions.get(r.id, ())]
        for key in keys:
            seen[key] = seen.get(key, 0) + 1
            if key not in best or rank > best[key][0]:
                best[key] = (rank, r, state)
    found = {key: Cell(state, r.id, r.shown or r.name_fi, r.valid_until, seen[key] - 1)
             for key, (_rank_, r, state) in best.items()}
    centre_rows = [CoverageRow(c.id, c.name(), c.id == own_centre,
                               [found.get(("centre", c.id, k.id), Cell()) for k in centre_kinds], c.id)
                   for c in centres]
    region_rows = [CoverageRow(g.id, g.name(), own_centre is not None and g.sanction_centre_id == own_centre,
                               [found.get(("region", g.id, k.id), Cell()) for k in region_kinds],
                               g.sanction_centre_id) for g in regions]
    counts = dict.fromkeys(_RANK, 0)
    for row in [*centre_rows, *region_rows]:
        for cell in row.cells:
            counts[cell.state] += 1
    columns = {k.id: Kind(k.id, k.code, k.name()) for k in kinds}
    return Coverage([columns[k.id] for k in centre_kinds], centre_rows, [columns[k.id] for k in region_kinds],
                    region_rows, counts)
