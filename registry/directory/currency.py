"""Keeping contact data current: stale contacts per sanction centre, and confirmation requests by e-mail.

A contact is stale when it was never confirmed or not in `rules.STALE_AFTER` (12 months). Groups: a Rise-unit
contact belongs to the sanction centre above its unit (units outside centres: National); a partner contact
belongs to every centre that covers one of the partner's regions (no such region: National).

Verbs add and flush; the caller commits (the bulk job commits per contact).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from ..auth.services import digest
from ..config import LANGUAGES
from ..core import audit, jobs
from ..core.mail import send_mail
from ..core.models import Region, Unit, UnitKind, User, utcnow
from ..core.services import ServiceError, scope_unit_ids
from ..extensions import db
from ..i18n import LANGUAGE_NAMES, format_date
from . import rules
from .models import ConfirmationRequest, Contact, Partner, partner_region
from .services import format_phone, save_contact

NATIONAL = "national"
ALL = "all"
GROUP_PREVIEW = 10  # contacts shown per group on the overview of all groups
MAX_SELECTION = 10_000  # contacts in one bulk request
RECENT_REQUEST = timedelta(hours=24)  # a contact is not asked twice within this time
REPORT_NAMES = 100  # names listed per outcome in a job result
JOB_KIND = "confirmation_requests"
jobs.KIND_LABELS[JOB_KIND] = _l("Confirmation requests")


@dataclass
class StaleGroup:
    """One sanction centre's (or National's) stale contacts: the count and the contacts shown."""

    key: str
    label: str
    count: int
    contacts: list[Contact] = field(default_factory=list)


# --- groups ---------------------------------------------------------------------------------------


def unit_centres() -> dict[int, int | None]:
    """For every unit, the sanction centre at or above it (None: outside every centre)."""
    rows = db.session.execute(select(Unit.id, Unit.parent_id, Unit.kind)).all()
    parent = {uid: pid for uid, pid, _kind in rows}
    centres = {uid for uid, _pid, kind in rows if kind == UnitKind.SANCTION_CENTRE}
    found: dict[int, int | None] = {}
    for uid in parent:
        current: int | None = uid
        seen: set[int] = set()
        while current is not None and current not in centres and current not in seen:
            seen.add(current)
            current = parent.get(current)
        found[uid] = current if current in centres else None
    return found


def centre_units() -> list[Unit]:
    """The sanction centres, by name."""
    return list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE).order_by(Unit.name_fi)))


def group_choices() -> list[tuple[str, str]]:
    """(key, label) of every group: each sanction centre, then National."""
    return [(str(u.id), u.name()) for u in centre_units()] + [(NATIONAL, _("National"))]


def default_group(user: Any) -> str:
    """The group a user sees first: an admin all groups, a director their own centre (or National)."""
    if user.has_role("admin") or user.home_unit_id is None:
        return ALL
    centre = unit_centres().get(user.home_unit_id)
    return str(centre) if centre is not None else NATIONAL


def _covered_partners(centre_id: int | None) -> Select[Any]:
    stmt = select(partner_region.c.partner_id).join(Region, Region.id == partner_region.c.region_id)
    if centre_id is None:
        return stmt.where(Region.sanction_centre_id.is_not(None))
    return stmt.where(Region.sanction_centre_id == centre_id)


def _in_group(key: str, centres: dict[int, int | None]) -> ColumnElement[bool]:
    if key == NATIONAL:
        units = [uid for uid, centre in centres.items() if centre is None]
        return or_(Contact.unit_id.in_(units),
                   and_(Contact.partner_id.is_not(None), Contact.partner_id.not_in(_covered_partners(None))))
    centre_id = int(key)
    units = [uid for uid, centre in centres.items() if centre == centre_id]
    return or_(Contact.unit_id.in_(units), Contact.partner_id.in_(_covered_partners(centre_id)))


def _stale(now: datetime) -> ColumnElement[bool]:
    cutoff = now - rules.STALE_AFTER  # the SQL form of rules.is_stale
    return and_(Contact.active.is_(True), or_(Partner.id.is_(None), Partner.active.is_(True)),
                or_(Contact.last_confirmed_at.is_(None), Contact.last_confirmed_at < cutoff))


def _stale_in_group(stmt: Select[Any], key: str, now: datetime, centres: dict[int, int | None] | None) -> Select[Any]:
    centres = unit_centres() if centres is None else centres
    return (stmt.outerjoin(Partner, Contact.partner_id == Partner.id).where(_stale(now), _in_group(key, centres))
            .order_by(Contact.last_confirmed_at.asc().nulls_first(), Contact.name, Contact.id))


def stale_query(key: str, now: datetime, centres: dict[int, int | None] | None = None) -> Select[Any]:
    """Stale contacts of one group, never confirmed first, then the oldest confirmation first."""
    return _stale_in_group(select(Contact), key, now, centres).options(selectinload(Contact.partner),
                                                                        selectinload(Contact.unit))


def stale_ids(key: str, now: datetime, limit: int = MAX_SELECTION) -> list[int]:
    """The ids of a group's stale contacts (at most `limit`)."""
    return list(db.session.scalars(_stale_in_group(select(Contact.id), key, now, None).limit(limit)))


def own_centre_stale(user: Any, now: datetime) -> tuple[str, str, int] | None:
    """For a director: their group's key, its name and how many of its contacts are stale (the dashboard)."""
    if not user.has_role("director"):
        return None
    key = default_group(user)
    if key == ALL:
        return None
    stale = _stale_in_group(select(Contact.id), key, now, None).order_by(None).subquery()
    return key, dict(group_choices())[key], db.session.scalar(select(func.count()).select_from(stale)) or 0


def stale_overview(now: datetime, limit: int = GROUP_PREVIEW) -> list[StaleGroup]:
    """Every group with its count of stale contacts and the first `limit` of them."""
    centres = unit_centres()
    groups = []
    for key, label in group_choices():
        stmt = stale_query(key, now, centres)
        count = db.session.scalar(_stale_in_group(select(func.count(Contact.id)), key, now, centres)
                                  .order_by(None)) or 0
        contacts = list(db.session.scalars(stmt.limit(limit))) if count else []
        groups.append(StaleGroup(key, label, count, contacts))
    return groups


def open_requests(contact_ids: list[int], now: datetime) -> dict[int, datetime]:
    """When each of these contacts was last sent a confirmation link that is still valid."""
    if not contact_ids:
        return {}
    rows = db.session.execute(
        select(ConfirmationRequest.contact_id, func.max(ConfirmationRequest.created_at))
        .where(ConfirmationRequest.contact_id.in_(contact_ids), ConfirmationRequest.used_at.is_(None),
               ConfirmationRequest.expires_at > now)
        .group_by(ConfirmationRequest.contact_id)).all()
    return {cid: at for cid, at in rows}


# --- sending requests -----------------------------------------------------------------------------


def confirmation_targets(key: str, contact_ids: list[int], select_all: bool, now: datetime) -> list[int]:
    """The contacts a bulk request goes to: the ticked ones, or every stale contact of the group."""
    if select_all:
        if key != NATIONAL and key not in {k for k, _label in group_choices()}:
            raise ServiceError(_("Choose a sanction centre."), "centre")
        ids = stale_ids(key, now)
    else:
        ids = list(dict.fromkeys(contact_ids))[:MAX_SELECTION]
    if not ids:
        raise ServiceError(_("Choose at least one contact."), "contact")
    return ids


def confirmation_email(contact: Contact, link: str, expires_at: datetime) -> tuple[str, str]:
    """Subject and body in Finnish, Swedish and English: the contact's language is not known."""
    subjects, parts = [], []
    for lang in LANGUAGES:
        with force_locale(lang):
            subjects.append(_("Please check your contact details"))
            parts.append(render_template("email/confirmation_request.txt", contact=contact, link=link,
                                         expires=format_date(expires_at), language=LANGUAGE_NAMES[lang],
                                         phone=format_phone(contact.phone), mobile=format_phone(contact.mobile)))
    separator = "\n\n" + "-" * 60 + "\n\n"
    return " / ".join(dict.fromkeys(subjects)), separator.join(dict.fromkeys(parts))


def request_confirmation(contact: Contact, requested_by: User | None) -> tuple[ConfirmationRequest, str]:
    """Create a single-use, expiring link for the contact and queue the e-mail; returns the request and token."""
    if not contact.email:
        raise ServiceError(_("The contact has no e-mail address."), "email")
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=int(current_app.config["CONFIRMATION_DAYS"]))
    confirmation = ConfirmationRequest(contact=contact, token_hash=digest(token), expires_at=expires_at,
                                       requested_by_id=requested_by.id if requested_by else None)
    db.session.add(confirmation)
    db.session.flush()
    subject, body = confirmation_email(contact, url_for("currency.confirm", token=token, _external=True),
                                       expires_at)
    send_mail(contact.email, subject, body)
    return confirmation, token


def _note(report: dict[str, Any], outcome: str, contact: Contact | None, contact_id: int) -> None:
    report["counts"][outcome] = report["counts"].get(outcome, 0) + 1
    if outcome != "sent" and len(report[outcome]) < REPORT_NAMES:
        report[outcome].append({"id": contact_id, "name": contact.name if contact else ""})


def send_confirmation_requests(progress: jobs.Progress, contact_ids: list[int], user_id: int | None) -> dict[str, Any]:
    """The bulk job: a confirmation request to every chosen contact that has an e-mail address.

    Skipped and reported: contacts without e-mail, removed or inactive ones, Rise-unit contacts outside a
    director's scope, and contacts already sent a link within RECENT_REQUEST.
    """
    user = db.session.get(User, user_id) if user_id else None
    scope = None if user is None or user.has_role("admin") else scope_unit_ids(user.home_unit)
    report: dict[str, Any] = {"counts": {}, "no_email": [], "out_of_scope": [], "recent": [], "gone": [],
                              "url": url_for("currency.stale")}
    for done, contact_id in enumerate(contact_ids, 1):
        now = utcnow()
        contact = db.session.get(Contact, contact_id) if 0 < contact_id < 2**31 else None
        if contact is None or not contact.active:
            outcome = "gone"
        elif not contact.email:
            outcome = "no_email"
        elif scope is not None and contact.unit_id is not None and contact.unit_id not in scope:
            outcome = "out_of_scope"
        elif (last := open_requests([contact.id], now).get(contact.id)) is not None and now - last < RECENT_REQUEST:
            outcome = "recent"
        else:
            request_confirmation(contact, user)
            outcome = "sent"
        _note(report, outcome, contact, contact_id)
        db.session.commit()
        progress(done)
    return report


# --- the contact's own link -----------------------------------------------------------------------


def request_by_token(token: str) -> ConfirmationRequest | None:
    """The confirmation request of a link token (None for anything that is not one)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(ConfirmationRequest).where(ConfirmationRequest.token_hash == digest(token)))


def link_problem(confirmation: ConfirmationRequest | None, now: datetime) -> str | None:
    """Why a link cannot be used: 'unknown', 'used' or 'expired'; None when it can."""
    if confirmation is None or not confirmation.contact.active:
        return "unknown"
    if confirmation.used_at is not None:
        return "used"
    if confirmation.expires_at <= now:
        return "expired"
    return None


def _act_as_contact(confirmation: ConfirmationRequest) -> str:
    """Audit what follows as the contact's own doing; returns a note naming a signed-in user, if any."""
    signed_in = current_user.email if current_user.is_authenticated else None  # loads the user first
    contact = confirmation.contact
    g.audit_user = None
    g.audit_label = f"contact:{contact.id} <{contact.email or ''}>"[:300]
    note = f"confirmation request {confirmation.id}"
    return note + (f"; the browser was signed in as {signed_in}" if signed_in else "")


def _spend(confirmation: ConfirmationRequest, now: datetime) -> None:
    """Use up this link and any other open link of the same contact."""
    others = db.session.scalars(select(ConfirmationRequest).where(
        ConfirmationRequest.contact_id == confirmation.contact_id, ConfirmationRequest.used_at.is_(None)))
    for other in others:
        other.used_at = now
    confirmation.used_at = now


def confirm_details(confirmation: ConfirmationRequest) -> Contact:
    """The contact says the details are correct: they count as confirmed today; the link is spent."""
    now = utcnow()
    note = _act_as_contact(confirmation)
    contact = confirmation.contact
    contact.last_confirmed_at = now
    _spend(confirmation, now)
    db.session.flush()
    audit.record("confirm", contact, note=note)
    return contact


def correct_details(confirmation: ConfirmationRequest, data: dict[str, Any], keywords: list[str]) -> Contact:
    """The contact corrects their details (validated like the directory form); the link is spent."""
    now = utcnow()
    note = _act_as_contact(confirmation)
    contact = confirmation.contact
    allowed = {k: data.get(k) for k in ("name", "title", "email", "phone", "mobile")}
    contact.last_confirmed_at = now  # before saving, so the change is one audit event
    save_contact(contact, {**allowed, "partner": contact.partner, "unit": contact.unit}, keywords)
    _spend(confirmation, now)
    db.session.flush()
    audit.record("confirm", contact, note=note + "; details corrected")
    return contact
