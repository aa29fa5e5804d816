"""Read-only agreement queries: the one filter set of the list, the exports and the API; page loaders; choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from ..core.models import Region, Unit, UnitKind
from ..core.queries import MAX_ID
from ..directory.models import Contact, Partner, Theme
from ..extensions import db
from . import rules
from .models import (
    Agreement,
    AgreementKind,
    AgreementLevel,
    AgreementStatus,
    AgreementTransition,
    CounterpartKind,
    LegalBasis,
    agreement_centre,
    agreement_party,
    agreement_region,
    agreement_theme,
)

MAX_EXPIRING_DAYS = 3650
MAX_CHOICES = 3000


@dataclass(frozen=True)
class AgreementFilters:
    """Filters of the agreement list, exports and API: enum values (status, level, kind), codes (centre = a
    sanction centre's unit code, counterpart kind, theme, region), free text `q` (names, diary number, parties)
    and `expiring_within_days` (in force or under renewal, ending between today and that many days ahead).
    An unknown value matches nothing; empty values do not filter."""

    status: str = ""
    level: str = ""
    kind: str = ""
    centre: str = ""
    counterpart: str = ""
    theme: str = ""
    region: str = ""
    q: str = ""
    expiring_within_days: int | None = None
    partner_id: int | None = None

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any((self.status, self.level, self.kind, self.centre, self.counterpart, self.theme, self.region,
                    self.q, self.expiring_within_days is not None, self.partner_id))

    def args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for links to the exports and the next page)."""
        values = {"status": self.status, "level": self.level, "kind": self.kind, "centre": self.centre,
                  "counterpart": self.counterpart, "theme": self.theme, "region": self.region, "q": self.q,
                  "expiring_within_days": self.expiring_within_days}
        return {k: v for k, v in values.items() if v not in ("", None)}


def filters_from(args: Any) -> AgreementFilters:
    """Filters from request arguments (a MultiDict or dict); junk is cut to size, never an error."""
    def text(name: str, length: int = 40) -> str:
        return str(args.get(name, "") or "").strip()[:length]

    days_raw = text("expiring_within_days", 10)
    days = int(days_raw) if days_raw.isdigit() else None
    return AgreementFilters(status=text("status"), level=text("level"), kind=text("kind"), centre=text("centre"),
                            counterpart=text("counterpart"), theme=text("theme"), region=text("region"),
                            q=text("q", 200), expiring_within_days=min(days, MAX_EXPIRING_DAYS) if days is not None
                            else None)


def filter_labels(filters: AgreementFilters) -> list[tuple[str, str]]:
    """The set filters as (translated label, shown value) pairs, e.g. for the header of an export."""
    from flask_babel import gettext as _

    from .models import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

    def named(model: Any, code: str) -> str:
        row = db.session.scalar(select(model).where(model.code == code))
        return row.name() if row is not None else code

    pairs: list[tuple[str, str]] = []
    enums: tuple[tuple[str, str, dict[Any, Any], Any], ...] = (
        (_("Status"), filters.status, STATUS_LABELS, AgreementStatus),
        (_("Level"), filters.level, LEVEL_LABELS, AgreementLevel),
        (_("Kind"), filters.kind, KIND_LABELS, AgreementKind))
    for label, value, labels, enum in enums:
        if value:
            pairs.append((label, str(labels[enum(value)]) if value in enum._value2member_map_ else value))
    for label, model, code in ((_("Sanction centre"), Unit, filters.centre),
                               (_("Counterpart kind"), CounterpartKind, filters.counterpart),
                               (_("Theme"), Theme, filters.theme),
                               (_("Wellbeing services county"), Region, filters.region)):
        if code:
            pairs.append((label, named(model, code)))
    if filters.q:
        pairs.append((_("Search"), filters.q))
    if filters.expiring_within_days is not None:
        pairs.append((_("Expiring within"), _("%(days)d days", days=filters.expiring_within_days)))
    if filters.partner_id is not None:
        partner = db.session.get(Partner, filters.partner_id)
        pairs.append((_("Partner"), partner.name_fi if partner is not None else str(filters.partner_id)))
    return pairs


def _enum_condition(column: Any, enum: Any, value: str) -> Any:
    return column == enum(value) if value in enum._value2member_map_ else false()


def _linked(link: Any, column: Any, model: Any, code: str, *, extra: Any = None) -> Any:
    # Conditions on linked rows are uncorrelated IN lists: the link table's index finds the agreements once,
    # where a correlated EXISTS would be tested against each of tens of thousands of agreements.
    ident = select(model.id).where(model.code == code)
    if extra is not None:
        ident = ident.where(extra)
    return Agreement.id.in_(select(link.c.agreement_id).where(column == ident.scalar_subquery()))


def agreement_conditions(filters: AgreementFilters, today: date) -> list[Any]:
    """The filters as SQL conditions on `Agreement` (one definition for the list, the exports and the API)."""
    conditions: list[Any] = []
    if filters.status:
        conditions.append(_enum_condition(Agreement.status, AgreementStatus, filters.status))
    if filters.level:
        conditions.append(_enum_condition(Agreement.level, AgreementLevel, filters.level))
    if filters.kind:
        conditions.append(_enum_condition(Agreement.kind, AgreementKind, filters.kind))
    if filters.centre:
        conditions.append(_linked(agreement_centre, agreement_centre.c.unit_id, Unit, filters.centre,
                                  extra=Unit.kind == UnitKind.SANCTION_CENTRE))
    if filters.theme:
        conditions.append(_linked(agreement_theme, agreement_theme.c.theme_id, Theme, filters.theme))
    if filters.region:
        conditions.append(_linked(agreement_region, agreement_region.c.region_id, Region, filters.region))
    if filters.counterpart:
        conditions.append(Agreement.counterpart_kind_id == select(CounterpartKind.id).where(
            CounterpartKind.code == filters.counterpart).scalar_subquery())
    if filters.partner_id is not None:
        conditions.append(Agreement.id.in_(select(agreement_party.c.agreement_id).where(
            agreement_party.c.partner_id == filters.partner_id)))
    if filters.expiring_within_days is not None:
        conditions += [Agreement.status.in_([AgreementStatus(s) for s in rules.ACTIVE]),
                       Agreement.valid_until >= today,
                       Agreement.valid_until <= today + timedelta(days=filters.expiring_within_days)]
    for word in filters.q.lower().split()[:8]:
        like = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        conditions.append(or_(func.lower(Agreement.name_fi).like(like), func.lower(Agreement.name_sv).like(like),
                              func.lower(Agreement.name_en).like(like), func.lower(Agreement.dnro).like(like),
                              Agreement.id.in_(select(agreement_party.c.agreement_id).where(
                                  agreement_party.c.partner_id.in_(select(Partner.id).where(
                                      func.lower(Partner.name_fi).like(like)))))))
    return conditions


def scope_condition(unit_ids: set[int] | None) -> Any:
    """Agreements owned by one of the units or with one of them as a sanction centre (None: no limit)."""
    if unit_ids is None:
        return None
    ids = unit_ids or {0}
    return or_(Agreement.owner_unit_id.in_(ids),
               select(agreement_centre.c.agreement_id).where(agreement_centre.c.agreement_id == Agreement.id,
                                                             agreement_centre.c.unit_id.in_(ids)).exists())


def agreements_query(filters: AgreementFilters, today: date) -> Select[tuple[Agreement]]:
    """Agreements matching the filters, with owner, counterpart kind, parties and centres loaded, by name."""
    return (select(Agreement)
            .options(selectinload(Agreement.owner_unit), selectinload(Agreement.counterpart_kind),
                     selectinload(Agreement.parties), selectinload(Agreement.centres))
            .where(*agreement_conditions(filters, today))
            .order_by(func.lower(Agreement.name_fi), Agreement.id))


def agreement_for_page(agreement_id: int) -> Agreement | None:
    """One agreement with everything its page shows loaded."""
    if not 0 < agreement_id <= MAX_ID:
        return None
    return db.session.scalar(select(Agreement).where(Agreement.id == agreement_id).options(
        selectinload(Agreement.owner_unit), selectinload(Agreement.counterpart_kind),
        selectinload(Agreement.parent), selectinload(Agreement.children), selectinload(Agreement.amends),
        selectinload(Agreement.amendments), selectinload(Agreement.parties), selectinload(Agreement.centres),
        selectinload(Agreement.regions), selectinload(Agreement.themes), selectinload(Agreement.legal_bases),
        selectinload(Agreement.transitions).selectinload(AgreementTransition.by)))


def partner_agreements(partner_id: int) -> list[Agreement]:
    """The agreements a partner is a party to (status and owner loaded), by name; one query per relation."""
    return list(db.session.scalars(select(Agreement).options(selectinload(Agreement.owner_unit))
                                   .where(*agreement_conditions(AgreementFilters(partner_id=partner_id), date.min))
                                   .order_by(func.lower(Agreement.name_fi), Agreement.id)))


# --- choices for the forms and filters ------------------------------------------------------------


def sanction_centres() -> list[Unit]:
    """The sanction centres, by code."""
    return list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE).order_by(Unit.code)))


def counterpart_kinds() -> list[CounterpartKind]:
    """The regional counterpart kinds in their order."""
    return list(db.session.scalars(select(CounterpartKind).order_by(CounterpartKind.position, CounterpartKind.code)))


def legal_bases() -> list[LegalBasis]:
    """All legal bases by code."""
    return list(db.session.scalars(select(LegalBasis).order_by(LegalBasis.code)))


def national_agreements(exclude_id: int | None = None) -> list[tuple[int, str]]:
    """(id, Finnish name) of national agreements, for the parent drop-down."""
    stmt = select(Agreement.id, Agreement.name_fi).where(Agreement.level == AgreementLevel.NATIONAL)
    if exclude_id is not None:
        stmt = stmt.where(Agreement.id != exclude_id)
    return [(i, n) for i, n in db.session.execute(stmt.order_by(func.lower(Agreement.name_fi)).limit(MAX_CHOICES))]


def superseding_candidates(agreement: Agreement) -> list[tuple[int, str]]:
    """(id, Finnish name) of agreements that could replace this one: its new versions first, then others that
    do not yet change another agreement."""
    stmt = select(Agreement.id, Agreement.name_fi, Agreement.amends_id).where(
        Agreement.id != agreement.id, or_(Agreement.amends_id.is_(None), Agreement.amends_id == agreement.id))
    rows = db.session.execute(stmt.order_by(func.lower(Agreement.name_fi)).limit(MAX_CHOICES)).all()
    return [(i, n) for i, n, a in rows if a == agreement.id] + [(i, n) for i, n, a in rows if a != agreement.id]


def liaison_candidates(agreement: Agreement, unit_ids: set[int] | None) -> tuple[list[Contact], list[Contact]]:
    """Active contacts who may become liaisons: (contacts of the parties, contacts at Rise units in scope)."""
    party_ids = [p.id for p in agreement.parties] or [0]
    own = list(db.session.scalars(select(Contact).options(selectinload(Contact.partner)).where(
        Contact.partner_id.in_(party_ids), Contact.active.is_(True)).order_by(Contact.name)))
    rise = select(Contact).options(selectinload(Contact.unit)).where(Contact.unit_id.is_not(None),
                                                                     Contact.active.is_(True))
    if unit_ids is not None:
        rise = rise.where(Contact.unit_id.in_(unit_ids or {0}))
    return own, list(db.session.scalars(rise.order_by(Contact.name).limit(MAX_CHOICES)))

