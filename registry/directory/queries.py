"""Read-only queries for the directory pages (templates never query; views call these)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from ..core.models import Region, Unit
from ..core.queries import MAX_ID
from ..extensions import db
from . import rules
from .models import (
    Contact,
    ContactKind,
    Keyword,
    LiaisonRole,
    Partner,
    PartnerCategory,
    PartnerLevel,
    Theme,
    contact_keyword,
    partner_region,
    partner_theme,
)

MAX_CHOICES = 3000  # options in a partner drop-down; the chosen partner is always among them


@dataclass(frozen=True)
class PartnerFilters:
    """Partner filters of the lists, search, exports and API: enum values, region and theme codes,
    active True/False/None (both). An unknown category, level or code matches nothing."""

    category: str = ""
    region: str = ""
    theme: str = ""
    level: str = ""
    active: bool | None = True

    @property
    def partner_filters(self) -> bool:
        """Whether any partner filter (other than `active`) is set."""
        return bool(self.category or self.region or self.theme or self.level)


def partner_conditions(filters: PartnerFilters, partner: Any = None) -> list[Any]:
    """The category, level, region and theme filters as SQL conditions on a partner table (or alias)."""
    p = Partner.__table__ if partner is None else partner
    conditions: list[Any] = []
    if filters.category:
        conditions.append(p.c.category == PartnerCategory(filters.category)
                          if filters.category in PartnerCategory._value2member_map_ else false())
    if filters.level:
        conditions.append(p.c.level == PartnerLevel(filters.level)
                          if filters.level in PartnerLevel._value2member_map_ else false())
    for link, column, model, code in ((partner_region, partner_region.c.region_id, Region, filters.region),
                                      (partner_theme, partner_theme.c.theme_id, Theme, filters.theme)):
        if code:
            ident = select(model.__table__.c.id).where(model.__table__.c.code == code).scalar_subquery()
            conditions.append(select(link.c.partner_id).where(link.c.partner_id == p.c.id, column == ident)
                              .exists())
    return conditions


@dataclass(frozen=True)
class ContactFilters:
    """Contact list filters: kind, organisation ('partner' or 'unit'), active, stale only."""

    kind: str = ""
    org: str = ""
    active: bool | None = True
    stale: bool = False


# --- partners -------------------------------------------------------------------------------------


def partners_query(filters: PartnerFilters) -> Select[tuple[Partner]]:
    """Partners matching the filters, regions and themes loaded in one query each, by Finnish name."""
    stmt = select(Partner).options(selectinload(Partner.regions), selectinload(Partner.themes)) \
        .where(*partner_conditions(filters))
    if filters.active is not None:
        stmt = stmt.where(Partner.active.is_(filters.active))
    return stmt.order_by(func.lower(Partner.name_fi), Partner.id)


def partner_for_page(partner_id: int) -> Partner | None:
    """One partner with its regions, themes and contacts (with their keywords) loaded."""
    if not 0 < partner_id <= MAX_ID:
        return None
    return db.session.scalar(select(Partner).where(Partner.id == partner_id).options(
        selectinload(Partner.regions), selectinload(Partner.themes), selectinload(Partner.contacts)))


def themes_ordered() -> list[Theme]:
    """All themes by Finnish name."""
    return list(db.session.scalars(select(Theme).order_by(Theme.name_fi)))


def regions_by_name() -> list[Region]:
    """All wellbeing services counties by Finnish name."""
    return list(db.session.scalars(select(Region).order_by(Region.name_fi)))


def partner_choices(*selected: int | None, active_only: bool = True) -> list[tuple[int, str]]:
    """(id, Finnish name) of partners for a drop-down: active ones by name, plus any already chosen."""
    stmt = select(Partner.id, Partner.name_fi).where(Partner.merged_into_id.is_(None))
    if active_only:
        stmt = stmt.where(Partner.active.is_(True))
    rows = [(pid, name) for pid, name in db.session.execute(
        stmt.order_by(func.lower(Partner.name_fi), Partner.id).limit(MAX_CHOICES))]
    have = {pid for pid, _name in rows}
    wanted = [s for s in selected if s and s not in have and 0 < s <= MAX_ID]
    if wanted:
        rows += [(pid, name) for pid, name in db.session.execute(
            select(Partner.id, Partner.name_fi).where(Partner.id.in_(wanted)))]
    return rows


def reference_counts(partner_id: int) -> dict[str, int]:
    """How many rows of each table refer to the partner (what a merge would move), zero counts left out."""
    counts: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "partner" or (table.name == "partner" and fk.parent.name == "merged_into_id"):
                continue
            n = db.session.scalar(select(func.count()).select_from(table).where(fk.parent == partner_id)) or 0
            if n:
                counts[table.name] = counts.get(table.name, 0) + n
    return counts


def load_role_details(roles: Iterable[LiaisonRole]) -> None:
    """Load the contacts (with their organisations), partners and themes of these roles in a few queries."""
    ids = [r.id for r in roles]
    if ids:
        db.session.scalars(select(LiaisonRole).where(LiaisonRole.id.in_(ids)).options(
            selectinload(LiaisonRole.contact).selectinload(Contact.partner),
            selectinload(LiaisonRole.contact).selectinload(Contact.unit),
            selectinload(LiaisonRole.partner), selectinload(LiaisonRole.theme))).all()


def load_contact_organisations(contacts: Iterable[Contact]) -> None:
    """Load the partners and units of these contacts in a few queries."""
    ids = [c.id for c in contacts]
    if ids:
        db.session.scalars(select(Contact).where(Contact.id.in_(ids)).options(
            selectinload(Contact.partner), selectinload(Contact.unit))).all()


# --- contacts -------------------------------------------------------------------------------------


def _stale(now: datetime) -> Any:
    return or_(Contact.last_confirmed_at.is_(None), Contact.last_confirmed_at < now - rules.STALE_AFTER)


def contacts_query(filters: ContactFilters, now: datetime) -> Select[tuple[Contact]]:
    """Contacts matching the filters, their organisations loaded, by name."""
    stmt = select(Contact).options(selectinload(Contact.partner), selectinload(Contact.unit))
    if filters.kind in {k.value for k in ContactKind}:
        stmt = stmt.where(Contact.kind == ContactKind(filters.kind))
    if filters.org == "partner":
        stmt = stmt.where(Contact.partner_id.is_not(None))
    elif filters.org == "unit":
        stmt = stmt.where(Contact.unit_id.is_not(None))
    if filters.active is not None:
        stmt = stmt.where(Contact.active.is_(filters.active))
    if filters.stale:
        stmt = stmt.where(_stale(now))
    return stmt.order_by(func.lower(Contact.name), Contact.id)


def contact_for_page(contact_id: int) -> Contact | None:
    """One contact with its organisation, keywords and liaison roles (with their subjects) loaded."""
    if not 0 < contact_id <= MAX_ID:
        return None
    return db.session.scalar(select(Contact).where(Contact.id == contact_id).options(
        selectinload(Contact.partner), selectinload(Contact.unit), selectinload(Contact.keywords),
        selectinload(Contact.roles).selectinload(LiaisonRole.partner),
        selectinload(Contact.roles).selectinload(LiaisonRole.theme)))


def unit_choices(unit_ids: set[int] | None = None) -> list[tuple[int, str]]:
    """(id, name) of Rise units, by kind and Finnish name; only the given ids when a set is passed."""
    stmt = select(Unit).order_by(Unit.kind, Unit.name_fi)
    if unit_ids is not None:
        stmt = stmt.where(Unit.id.in_(unit_ids or {0}))
    return [(u.id, u.name()) for u in db.session.scalars(stmt)]


def liaison_candidates(partner_id: int, unit_ids: set[int] | None) -> tuple[list[Contact], list[Contact]]:
    """Active contacts that may become a liaison for the partner: its own, and Rise-unit ones (in scope)."""
    own = list(db.session.scalars(select(Contact).where(Contact.partner_id == partner_id,
                                                        Contact.active.is_(True)).order_by(Contact.name)))
    rise = select(Contact).options(selectinload(Contact.unit)).where(Contact.unit_id.is_not(None),
                                                                     Contact.active.is_(True))
    if unit_ids is not None:
        rise = rise.where(Contact.unit_id.in_(unit_ids or {0}))
    return own, list(db.session.scalars(rise.order_by(Contact.name).limit(MAX_CHOICES)))


# --- competence keywords --------------------------------------------------------------------------

_AFTER_Z = {"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"}  # Finnish order: … x y z å ä ö


def finnish_sort_key(text: str) -> str:
    """A sort key in Finnish alphabetical order: å, ä, ö after z; other accents ignored (é = e, ü = y)."""
    out = []
    for char in text.casefold():
        if char in _AFTER_Z:
            out.append(_AFTER_Z[char])
        elif char == "ü":
            out.append("y")
        else:
            out.append("".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)))
    return "".join(out)


def initial_letter(text: str) -> str:
    """The index letter of a word: A–Z, Å, Ä, Ö (other accents dropped), or # for anything else."""
    first = text[:1].upper()
    if first in {"Å", "Ä", "Ö"}:
        return first
    if first == "Ü":
        return "Y"
    base = "".join(c for c in unicodedata.normalize("NFKD", first) if not unicodedata.combining(c))
    return base if base.isascii() and base.isalpha() else "#"


@dataclass(frozen=True)
class KeywordEntry:
    """One keyword in the index and how many active contacts have it."""

    id: int
    name: str
    count: int


def keyword_index() -> list[tuple[str, list[KeywordEntry]]]:
    """Every competence keyword with its number of active contacts, grouped by letter in Finnish order."""
    active = (select(contact_keyword.c.keyword_id, func.count().label("n"))
              .join(Contact, Contact.id == contact_keyword.c.contact_id).where(Contact.active.is_(True))
              .group_by(contact_keyword.c.keyword_id).subquery())
    rows = db.session.execute(select(Keyword.id, Keyword.name, func.coalesce(active.c.n, 0))
                              .outerjoin(active, active.c.keyword_id == Keyword.id)).all()
    entries = sorted((KeywordEntry(kid, name, n) for kid, name, n in rows),
                     key=lambda e: (finnish_sort_key(e.name), e.name))
    groups: dict[str, list[KeywordEntry]] = {}
    for entry in entries:
        groups.setdefault(initial_letter(entry.name), []).append(entry)
    return sorted(groups.items(), key=lambda g: ("" if g[0] == "#" else finnish_sort_key(g[0])))


def keyword_contacts_query(keyword_id: int) -> Select[tuple[Contact]]:
    """Active contacts with the keyword, their organisations loaded, by name."""
    return (select(Contact).options(selectinload(Contact.partner), selectinload(Contact.unit))
            .where(Contact.active.is_(True),
                   Contact.id.in_(select(contact_keyword.c.contact_id)
                                  .where(contact_keyword.c.keyword_id == keyword_id)))
            .order_by(func.lower(Contact.name), Contact.id))
