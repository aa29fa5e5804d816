"""Directory verbs: partners (with duplicate checks and merging), contacts, keywords, liaison roles.

They add and flush; the caller commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import phonenumbers
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select, tuple_, update

from ..core import audit
from ..core.models import Unit, UnitKind, utcnow
from ..core.services import ServiceError
from ..extensions import db
from . import rules
from .models import Contact, Keyword, LiaisonRole, LiaisonSide, LiaisonSubject, Partner

SIMILAR_THRESHOLD = 0.82


class DuplicateBusinessId(ServiceError):
    """The business ID belongs to another partner, whose id is given for a link."""

    def __init__(self, existing: Partner) -> None:
        super().__init__(_("A partner with this business ID already exists: %(name)s.", name=existing.name_fi),
                         "business_id")
        self.existing_id = existing.id


# --- phones ---------------------------------------------------------------------------------------


def normalise_phone(value: str) -> str | None:
    """A phone number in E.164 (+358401234567), read as Finnish unless it has a country code; None if invalid."""
    try:
        number = phonenumbers.parse(value, "FI")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """A stored number for display: Finnish numbers in the national format (040 123 4567)."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 358 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)


# --- partners -------------------------------------------------------------------------------------


def partner_by_business_id(business_id: str) -> Partner | None:
    """The partner with this (normalised) business ID."""
    return db.session.scalar(select(Partner).where(Partner.business_id == business_id))


def similar_partners(name: str, *, exclude_id: int | None = None, limit: int = 5) -> list[Partner]:
    """Active partners whose name is close to the given one (for the duplicate warning)."""
    # Candidates share one of the two longest words of the name; the similarity is then computed in Python.
    words = [w for w in sorted(rules.search_terms(name), key=len, reverse=True)[:2] if len(w) >= 3]
    if not words:  # e.g. "-1" or "' OR 1=1 --": no word to look for
        return []
    stmt = select(Partner).where(Partner.merged_into_id.is_(None))
    stmt = stmt.where(or_(*(func.lower(Partner.name_fi).like(f"%{w}%") for w in words)))
    if exclude_id is not None:
        stmt = stmt.where(Partner.id != exclude_id)
    candidates = db.session.scalars(stmt.limit(500)).all()
    scored = [(rules.name_similarity(name, p.name_fi), p) for p in candidates]
    return [p for score, p in sorted(scored, key=lambda t: -t[0]) if score >= SIMILAR_THRESHOLD][:limit]


def save_partner(partner: Partner, data: dict[str, Any]) -> Partner:
    """Create or update a partner from validated form data (business ID normalised and unique)."""
    data = {**data, "business_id": check_business_id(data.get("business_id") or "", partner)}
    for key, value in data.items():
        setattr(partner, key, value)
    db.session.add(partner)
    db.session.flush()
    return partner


def set_active(obj: Partner | Contact, active: bool) -> None:
    """Deactivate or reactivate a partner or a contact (nothing is deleted)."""
    obj.active = active


def _references_to_partner() -> list[tuple[Any, Any, bool]]:
    """Every (table, column, is_part_of_primary_key) that refers to partner.id, found from the schema."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "partner" and not (table.name == "partner" and fk.parent.name
                                                          == "merged_into_id"):
                found.append((table, fk.parent, fk.parent.primary_key))
    return found


def merge_partners(survivor: Partner, duplicate: Partner) -> dict[str, int]:
    """Move every reference from the duplicate to the survivor, then retire the duplicate.

    References are found from the schema, so tables added later (agreements, applications …) move too.
    Returns how many rows moved per table.
    """
    if survivor.id == duplicate.id:
        raise ServiceError(_("Choose two different partners."), "duplicate")
    if duplicate.merged_into_id is not None:
        raise ServiceError(_("This partner has already been merged."), "duplicate")
    moved: dict[str, int] = {}
    for table, column, in_key in _references_to_partner():
        if in_key:
            # Link tables: copy the links the survivor lacks, then drop the duplicate's.
            others = [c for c in table.primary_key.columns if c is not column]
            have = select(*others).where(column == survivor.id)
            rows = db.session.execute(select(*others).where(column == duplicate.id,
                                                            ~tuple_(*others).in_(have))).all()
            if rows:
                db.session.execute(insert(table), [{column.name: survivor.id,
                                                    **{c.name: v for c, v in zip(others, row, strict=True)}}
                                                   for row in rows])
            db.session.execute(delete(table).where(column == duplicate.id))
            moved[table.name] = len(rows)
        else:
            result = db.session.execute(update(table).where(column == duplicate.id).values({column.name:
                                                                                             survivor.id}))
            moved[table.name] = result.rowcount or 0  # type: ignore[attr-defined]
    for field in ("name_sv", "name_en", "business_id", "legal_form", "website"):
        if not getattr(survivor, field) and getattr(duplicate, field):
            value = getattr(duplicate, field)
            if field == "business_id":
                duplicate.business_id = None
                db.session.flush()
            setattr(survivor, field, value)
    if duplicate.notes:
        survivor.notes = "\n\n".join(filter(None, [survivor.notes, duplicate.notes]))
    duplicate.active = False
    duplicate.merged_into_id = survivor.id
    db.session.flush()
    db.session.expire(survivor)
    audit.record("merge", survivor, note=f"merged partner {duplicate.id} ({duplicate.name_fi}) into {survivor.id}: "
                 + ", ".join(f"{k} {v}" for k, v in sorted(moved.items()) if v))
    return moved


# --- contacts, keywords, liaison roles ------------------------------------------------------------


def keywords_from_text(text: str) -> list[str]:
    """Competence keywords from a comma- or semicolon-separated list, lower case, unique, in order."""
    parts = [" ".join(p.split()).lower() for p in text.replace(";", ",").split(",")]
    return list(dict.fromkeys(p[:100] for p in parts if p))


def set_keywords(contact: Contact, names: list[str]) -> None:
    """Give the contact exactly these keywords, creating new ones as needed."""
    existing = {k.name: k for k in db.session.scalars(select(Keyword).where(Keyword.name.in_(names)))}
    contact.keywords = [existing.get(n) or Keyword(name=n) for n in names]


def save_contact(contact: Contact, data: dict[str, Any], keywords: list[str] | None = None) -> Contact:
    """Create or update a contact from validated data; phones are stored in E.164."""
    if bool(data.get("partner")) == bool(data.get("unit")):
        raise ServiceError(_("A contact belongs either to a partner or to a Rise unit."), "partner")
    for field in ("phone", "mobile"):
        raw = (data.get(field) or "").strip()
        if raw:
            normalised = normalise_phone(raw)
            if normalised is None:
                raise ServiceError(_("This is not a valid phone number."), field)
            data = {**data, field: normalised}
        else:
            data = {**data, field: None}
    with db.session.no_autoflush:
        for key, value in data.items():
            setattr(contact, key, value)
        if keywords is not None:
            set_keywords(contact, keywords)
    if contact.last_confirmed_at is None:
        contact.last_confirmed_at = utcnow()  # entered now by a user: the details are current today
    db.session.add(contact)
    db.session.flush()
    return contact


def add_liaison_role(contact: Contact, *, subject: LiaisonSubject, side: LiaisonSide,
                     partner: Partner | None = None, theme_id: int | None = None, project: str | None = None,
                     valid_from: date | None = None, valid_to: date | None = None) -> LiaisonRole:
    """Name a contact as the liaison for a partner, theme or project (more subjects come with their modules)."""
    if valid_from and valid_to and valid_to < valid_from:
        raise ServiceError(_("The end date must not be before the start date."), "valid_to")
    if subject is LiaisonSubject.PARTNER and partner is None:
        raise ServiceError(_("Choose the partner."), "partner")
    if subject is LiaisonSubject.THEME and theme_id is None:
        raise ServiceError(_("Choose the theme."), "theme")
    if subject is LiaisonSubject.PROJECT and not (project or "").strip():
        raise ServiceError(_("Name the project."), "project")
    role = LiaisonRole(contact=contact, subject=subject, side=side, partner=partner, theme_id=theme_id,
                       project=(project or "").strip() or None, valid_from=valid_from, valid_to=valid_to)
    db.session.add(role)
    db.session.flush()
    return role


def end_liaison_role(role: LiaisonRole, on: date) -> None:
    """End a role on the given day; it then moves to history."""
    role.valid_to = on


def partner_liaisons(partner: Partner, today: date) -> tuple[list[LiaisonRole], list[LiaisonRole]]:
    """The partner's current and past liaison roles (current first by side, then history)."""
    roles = db.session.scalars(select(LiaisonRole).where(LiaisonRole.partner_id == partner.id)
                               .order_by(LiaisonRole.side, LiaisonRole.valid_from)).all()
    current = [r for r in roles if r.current(today)]
    past = [r for r in roles if not r.current(today)]
    return current, past


def project_office_contacts() -> list[Contact]:
    """Active contacts of the project office units (where NGOs without a Rise liaison are routed)."""
    return list(db.session.scalars(
        select(Contact).join(Unit, Contact.unit_id == Unit.id)
        .where(Unit.kind == UnitKind.PROJECT_OFFICE, Contact.active.is_(True))
        .order_by(Contact.kind.desc(), Contact.name)))


def routed_contacts(partner: Partner, today: date) -> list[Contact]:
    """Rise contacts for the partner: its named Rise liaisons, or the project office (policy §14)."""
    current, _past = partner_liaisons(partner, today)
    rise = [r.contact for r in current if r.side is LiaisonSide.RISE]
    if rules.routes_to_project_office(partner.category.value, bool(rise)):
        return project_office_contacts()
    return rise



# --- page helpers: who may change a contact, (de)activating partners, ending roles ------------------


def unit_scope(user: Any) -> set[int] | None:
    """The Rise units whose contacts the user may change: None for all (admins), else the home unit's tree."""
    from ..core.services import scope_unit_ids

    return None if user.has_role("admin") else scope_unit_ids(user.home_unit)


def may_change_contact(user: Any, contact: Contact) -> bool:
    """Partner contacts are shared national data; a Rise-unit contact only inside the user's scope (DESIGN §5)."""
    from ..core.services import in_scope

    return contact.unit_id is None or in_scope(user, contact.unit_id)


def set_partner_active(partner: Partner, active: bool) -> None:
    """Deactivate or reactivate a partner; a merged partner stays retired (its survivor carries on)."""
    if active and partner.merged_into_id is not None:
        raise ServiceError(_("A merged partner cannot be reactivated."))
    set_active(partner, active)


def finish_liaison_role(role: LiaisonRole, on: date) -> None:
    """End a role on the given day, not before it began."""
    if role.valid_from is not None and on < role.valid_from:
        raise ServiceError(_("The end date must not be before the start date."), "valid_to")
    end_liaison_role(role, on)


def check_merge(survivor: Partner, duplicate: Partner | None) -> Partner:
    """The duplicate, if it can be merged into the survivor; otherwise a ServiceError for the `duplicate` field."""
    if duplicate is None:
        raise ServiceError(_("No partner has this number."), "duplicate")
    if survivor.merged_into_id is not None:
        raise ServiceError(_("This partner has itself been merged; merge into the partner that survived."),
                           "duplicate")
    if survivor.id == duplicate.id:
        raise ServiceError(_("Choose two different partners."), "duplicate")
    if duplicate.merged_into_id is not None:
        raise ServiceError(_("This partner has already been merged."), "duplicate")
    return duplicate


def add_partner_liaison(partner: Partner, contact: Contact, *, side: LiaisonSide, valid_from: date | None = None,
                        valid_to: date | None = None) -> LiaisonRole:
    """Name an existing contact as a liaison for the partner (not for a merged one: use its survivor)."""
    if partner.merged_into_id is not None:
        raise ServiceError(_("This partner has been merged; add liaisons to the partner that survived."),
                           "contact")
    return add_liaison_role(contact, subject=LiaisonSubject.PARTNER, side=side, partner=partner,
                            valid_from=valid_from, valid_to=valid_to)


def check_business_id(raw: str, partner: Partner | None = None) -> str | None:
    """The normalised business ID (None for an empty one) if it is valid and not another partner's.

    save_partner applies it; a form may call it first to refuse a duplicate before warning of similar names.
    """
    if not raw.strip():
        return None
    business_id = rules.normalise_business_id(raw.strip())
    if business_id is None:
        raise ServiceError(_("This is not a valid business ID (check digit or format 1234567-8)."), "business_id")
    existing = partner_by_business_id(business_id)
    if existing is not None and existing is not partner:
        raise DuplicateBusinessId(existing)
    return business_id
