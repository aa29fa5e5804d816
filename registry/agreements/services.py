"""Agreement verbs: who may change an agreement, saving with optimistic concurrency, lifecycle transitions,
amendments and new versions, liaisons, and what the daily job does when dates pass.

They add and flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..core.models import UnitKind, utcnow
from ..core.services import ServiceError
from ..directory.models import Contact, LiaisonRole, LiaisonSide, LiaisonSubject
from ..extensions import db
from ..i18n import format_date
from . import rules
from .models import Agreement, AgreementLevel, AgreementStatus, AgreementTransition, RelationKind

# --- who may change an agreement ------------------------------------------------------------------


def may_change(user: Any, agreement: Agreement) -> bool:
    """Whether the user may change this agreement (DESIGN §5).

    Admins change everything. A director changes an agreement whose owner unit or one of whose sanction
    centres is in their scope (their home unit and its sub-units); a director whose home unit is a national
    responsibility area changes the national agreements that area owns. Other roles only read.
    """
    from ..core.services import scope_unit_ids

    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("admin"):
        return True
    if not user.has_role("director") or user.home_unit is None:
        return False
    home = user.home_unit
    # The relationship, not the column: on a form that has just set a new owner the column is not yet flushed.
    owner_id = agreement.owner_unit.id if agreement.owner_unit is not None else agreement.owner_unit_id
    if home.kind is UnitKind.RESPONSIBILITY_AREA and agreement.level is AgreementLevel.NATIONAL \
            and owner_id == home.id:
        return True
    scope = scope_unit_ids(home)
    return owner_id in scope or any(c.id in scope for c in agreement.centres)


# --- facts for the pure rules ---------------------------------------------------------------------


def liaison_sides(agreement_ids: Iterable[int], today: date) -> dict[int, set[LiaisonSide]]:
    """For each agreement id, the sides (rise / partner) that have a liaison role current today; one query."""
    ids = list(agreement_ids)
    found: dict[int, set[LiaisonSide]] = {i: set() for i in ids}
    if not ids:
        return found
    rows = db.session.execute(select(LiaisonRole.agreement_id, LiaisonRole.side, LiaisonRole.valid_from,
                                     LiaisonRole.valid_to).where(LiaisonRole.agreement_id.in_(ids)))
    for agreement_id, side, valid_from, valid_to in rows:
        current = (valid_from is None or valid_from <= today) and (valid_to is None or today <= valid_to)
        if agreement_id is not None and current:
            found[agreement_id].add(side)
    return found


def facts(agreement: Agreement, sides: set[LiaisonSide] | None = None, *,
          today: date | None = None) -> rules.AgreementFacts:
    """The agreement as `rules.AgreementFacts`; liaison sides are looked up (for `today`) unless given."""
    if sides is None:
        from ..i18n import today as helsinki_today

        sides = liaison_sides([agreement.id], today or helsinki_today()).get(agreement.id, set()) \
            if agreement.id is not None else set()
    return rules.AgreementFacts(
        status=agreement.status.value if agreement.status else rules.PLANNED,
        signed_on=agreement.signed_on, valid_from=agreement.valid_from, valid_until=agreement.valid_until,
        renewal_type=agreement.renewal_type.value if agreement.renewal_type else rules.RENEWAL_NONE,
        renewal_months=agreement.renewal_months, notice_months=agreement.notice_months,
        lead_time_days=agreement.lead_time_days, review_on=agreement.review_on,
        review_interval_months=agreement.review_interval_months,
        has_rise_liaison=LiaisonSide.RISE in sides, has_partner_liaison=LiaisonSide.PARTNER in sides)


def current_liaisons(agreement_id: int, today: date) -> tuple[list[LiaisonRole], list[LiaisonRole]]:
    """The agreement's liaison roles: (current today, the others: ended or starting later), Rise side first."""
    roles = db.session.scalars(select(LiaisonRole).where(LiaisonRole.agreement_id == agreement_id)
                               .options(selectinload(LiaisonRole.contact).selectinload(Contact.partner),
                                        selectinload(LiaisonRole.contact).selectinload(Contact.unit))
                               .order_by(LiaisonRole.side.desc(), LiaisonRole.valid_from, LiaisonRole.id)).all()
    current = [r for r in roles if r.current(today)]
    return current, [r for r in roles if not r.current(today)]


# --- saving with optimistic concurrency -----------------------------------------------------------


class StaleAgreement(ServiceError):
    """Someone saved the agreement after the form was opened; `changes` says what they changed."""

    def __init__(self, changes: list[Any], current_version: int) -> None:
        super().__init__(_("Someone else saved this agreement after you opened the form. Your changes were not "
                           "saved; check the changes below, then save again to keep yours."))
        self.changes = changes
        self.current_version = current_version


def _check(agreement: Agreement, user: Any) -> None:
    """The data rules of one agreement (after the form's own checks)."""
    f = facts(agreement, set())
    messages = {
        "before_start": _("The end date must not be before the start date."),
        "renewal_months": _("An automatic renewal needs the length of the renewal period."),
        "not_positive": _("Give a positive number."),
        "negative": _("The number must not be negative."),
    }
    for name, problem in rules.check_dates(f):
        raise ServiceError(messages[problem], name)
    if agreement.status in rules.ACTIVE:
        for name in ("signed_on", "valid_from"):
            if getattr(agreement, name) is None:
                raise ServiceError(_("An agreement in force needs this date."), name)
    if agreement.level is AgreementLevel.REGIONAL and not agreement.centres:
        raise ServiceError(_("A regional agreement needs at least one sanction centre."), "centres")
    if any(c.kind is not UnitKind.SANCTION_CENTRE for c in agreement.centres):
        raise ServiceError(_("Choose sanction centres only."), "centres")
    if agreement.level is AgreementLevel.NATIONAL and agreement.counterpart_kind is not None:
        raise ServiceError(_("The counterpart kind applies to regional and local agreements."), "counterpart_kind")
    parent = agreement.parent
    if parent is not None:
        if agreement.level is AgreementLevel.NATIONAL:
            raise ServiceError(_("A national agreement cannot be under another agreement."), "parent")
        if parent.level is not AgreementLevel.NATIONAL or parent is agreement:
            raise ServiceError(_("Choose a national agreement."), "parent")
    if user is not None and not may_change(user, agreement):
        raise ServiceError(_("Choose an owner unit or sanction centre within your own scope."), "owner_unit")


def _bump(agreement: Agreement, expected: int | None) -> None:
    """Increment the version, atomically refusing a stale one (an UPDATE that matches no row)."""
    if agreement.id is None:
        agreement.version = 1
        return
    current = agreement.version
    if expected is not None:
        if expected != current:
            raise StaleAgreement(changes_since(agreement.id, expected), current)
        table = Agreement.__table__
        result = db.session.execute(update(table).where(table.c.id == agreement.id, table.c.version == expected)
                                    .values(version=expected + 1))
        if not result.rowcount:  # type: ignore[attr-defined]
            raise StaleAgreement(changes_since(agreement.id, expected), expected + 1)
    agreement.version = current + 1


def save_agreement(agreement: Agreement, data: dict[str, Any], *, user: Any = None,
                   version: int | None = None) -> Agreement:
    """Create or update an agreement from validated form data.

    `version` is the version the form was opened at: an update of a newer agreement raises `StaleAgreement`
    (nothing is written). Every save increments the version. A new agreement starts with a transition row
    into its first status. With `user`, the result must stay within the user's scope (`may_change`).
    """
    if agreement.id is not None and version is None:
        raise ServiceError(_("The form is missing its version; open the agreement again."))
    new = agreement.id is None
    with db.session.no_autoflush:
        _bump(agreement, version if not new else None)
        for key, value in data.items():
            setattr(agreement, key, value)
        if new and agreement.status is None:
            agreement.status = AgreementStatus.PLANNED
        _check(agreement, user)
    if new:
        if agreement.status not in rules.DRAFT:
            raise ServiceError(_("A new agreement starts as planned or in preparation."), "status")
        agreement.transitions.append(AgreementTransition(from_status=None, to_status=agreement.status,
                                                         by_id=getattr(user, "id", None)))
        db.session.add(agreement)
    db.session.flush()
    return agreement


def changes_since(agreement_id: int, version: int) -> list[Any]:
    """What changed in the agreement after `version`: one `history.Change` per field, oldest value first."""
    from .history import changes_since as collect

    return collect(agreement_id, version)


# --- lifecycle ------------------------------------------------------------------------------------


TRANSITION_LABELS = {
    rules.IN_PREPARATION: _l("Start preparing"),
    rules.IN_FORCE: _l("Put in force"),
    rules.UNDER_RENEWAL: _l("Start renewal"),
    rules.EXPIRED: _l("Mark as expired"),
    rules.TERMINATED: _l("Terminate"),
    rules.SUPERSEDED: _l("Mark as superseded"),
}
REQUIREMENT_MESSAGES = {
    "signed_on": _l("Give the date of signing."),
    "valid_from": _l("Give the start of validity."),
    "rise_liaison": _l("Name the Rise liaison before the agreement can be in force."),
    "partner_liaison": _l("Name the partner's liaison before the agreement can be in force."),
    "superseded_by": _l("Choose the agreement that replaces this one."),
    "note": _l("Give the reason."),
}


def _record(agreement: Agreement, to_status: AgreementStatus, *, user: Any, note: str | None) -> AgreementTransition:
    row = AgreementTransition(from_status=agreement.status, to_status=to_status, by_id=getattr(user, "id", None),
                              note=(note or "").strip() or None, at=utcnow())
    agreement.transitions.append(row)
    if to_status != agreement.status:
        agreement.status = to_status
        agreement.status_changed_at = row.at
    return row


def _superseding(agreement: Agreement, superseded_by: Agreement | None) -> Agreement | None:
    """The agreement that replaces this one, linked as its new version (refused if it cannot be)."""
    if superseded_by is None:
        return None
    if superseded_by.id == agreement.id:
        raise ServiceError(_("An agreement cannot replace itself."), "superseded_by")
    if superseded_by.amends_id not in (None, agreement.id):
        raise ServiceError(_("That agreement already changes another agreement."), "superseded_by")
    if superseded_by.amends_id is None:
        superseded_by.amends_id = agreement.id
        superseded_by.relation = RelationKind.NEW_VERSION
    return superseded_by


def transition(agreement: Agreement, to_status: str, *, user: Any, today: date, note: str | None = None,
               superseded_by: Agreement | None = None, signed_on: date | None = None,
               valid_from: date | None = None, valid_until: date | None = None) -> AgreementTransition:
    """Move the agreement to `to_status` if the lifecycle allows it and what the step needs is there.

    Going in force, the given dates fill in (or replace) the agreement's own; an agreement in force needs its
    signing date, start of validity and both liaisons, and must not already have ended. A new version that
    goes in force supersedes the agreement it replaces.
    """
    if to_status not in AgreementStatus._value2member_map_ or not rules.may_transition(agreement.status, to_status):
        raise ServiceError(_("This change of status is not allowed."), "to_status")
    target = AgreementStatus(to_status)
    if target is AgreementStatus.IN_FORCE:
        for name, value in (("signed_on", signed_on), ("valid_from", valid_from), ("valid_until", valid_until)):
            if value is not None:
                setattr(agreement, name, value)
    replacing = _superseding(agreement, superseded_by) if target is AgreementStatus.SUPERSEDED else None
    missing = rules.missing_for_transition(target, facts(agreement, today=today),
                                           superseded_by=replacing.id if replacing else None, note=note)
    if missing:
        raise ServiceError(str(REQUIREMENT_MESSAGES[missing[0]]), missing[0])
    if target is AgreementStatus.IN_FORCE:
        if agreement.valid_until is not None and agreement.valid_from and agreement.valid_until < agreement.valid_from:
            raise ServiceError(_("The end date must not be before the start date."), "valid_until")
        if agreement.valid_until is not None and agreement.valid_until < today:
            raise ServiceError(_("This end date has already passed; give the new end date."), "valid_until")
    if replacing is not None:
        note = "\n".join(filter(None, [_("Replaced by: %(name)s (no. %(id)d)", name=replacing.name_fi,
                                         id=replacing.id), (note or "").strip()]))
    _bump(agreement, None)
    row = _record(agreement, target, user=user, note=note)
    old = agreement.amends
    if target is AgreementStatus.IN_FORCE and agreement.relation is RelationKind.NEW_VERSION and old is not None \
            and old.status in rules.ACTIVE:
        _bump(old, None)
        _record(old, AgreementStatus.SUPERSEDED, user=user,
                note=_("Replaced by: %(name)s (no. %(id)d)", name=agreement.name_fi, id=agreement.id))
    db.session.flush()
    return row


def next_steps(agreement: Agreement) -> list[str]:
    """The statuses the agreement may move to next (for the buttons of the agreement page)."""
    return list(rules.allowed_transitions(agreement.status))


# --- amendments and new versions ------------------------------------------------------------------

COPIED = ("kind", "level", "owner_unit_id", "counterpart_kind_id", "parent_id", "renewal_type", "renewal_months",
          "notice_months", "lead_time_days", "review_interval_months")


def amend(agreement: Agreement, *, relation: str, user: Any, today: date, name_fi: str, name_sv: str | None = None,
          name_en: str | None = None, notes: str | None = None) -> Agreement:
    """A new agreement that amends this one or is its new version: parties, centres, counties, themes, legal
    bases, terms and current liaisons are copied; it starts as planned and the old one stays as it is."""
    if relation not in RelationKind._value2member_map_:
        raise ServiceError(_("Choose whether this is an amendment or a new version."), "relation")
    kind = RelationKind(relation)
    if kind is RelationKind.AMENDMENT and agreement.status in rules.CLOSED:
        raise ServiceError(_("An agreement that has ended cannot be amended; make a new version instead."),
                           "relation")
    new = Agreement(name_fi=name_fi, name_sv=name_sv or None, name_en=name_en or None, amends_id=agreement.id,
                    relation=kind, status=AgreementStatus.PLANNED, notes=(notes or "").strip() or None,
                    **{key: getattr(agreement, key) for key in COPIED})
    new.parties = list(agreement.parties)
    new.centres = list(agreement.centres)
    new.regions = list(agreement.regions)
    new.themes = list(agreement.themes)
    new.legal_bases = list(agreement.legal_bases)
    new.transitions.append(AgreementTransition(from_status=None, to_status=AgreementStatus.PLANNED,
                                               by_id=getattr(user, "id", None)))
    if user is not None and not may_change(user, new):
        raise ServiceError(_("Choose an owner unit or sanction centre within your own scope."), "relation")
    db.session.add(new)
    db.session.flush()
    current, _others = current_liaisons(agreement.id, today)
    for role in current:
        db.session.add(LiaisonRole(contact_id=role.contact_id, subject=LiaisonSubject.AGREEMENT, side=role.side,
                                   agreement_id=new.id, valid_from=role.valid_from, valid_to=role.valid_to))
    db.session.flush()
    return new


# --- liaisons -------------------------------------------------------------------------------------


def add_liaison(agreement: Agreement, contact: Contact, *, side: str, today: date, valid_from: date | None = None,
                valid_to: date | None = None) -> LiaisonRole:
    """Name a contact as the Rise liaison (a contact at a Rise unit) or the partner liaison (a contact of one
    of the parties) of the agreement (policy §7.4, DOMAIN §3.6)."""
    if side not in LiaisonSide._value2member_map_:
        raise ServiceError(_("Choose the side."), "side")
    which = LiaisonSide(side)
    if not contact.active:
        raise ServiceError(_("This contact is inactive."), "contact")
    if which is LiaisonSide.RISE and contact.unit_id is None:
        raise ServiceError(_("The Rise liaison must be a contact at a Rise unit."), "contact")
    if which is LiaisonSide.PARTNER and contact.partner_id not in {p.id for p in agreement.parties}:
        raise ServiceError(_("The partner's liaison must be a contact of one of the parties."), "contact")
    if valid_from and valid_to and valid_to < valid_from:
        raise ServiceError(_("The end date must not be before the start date."), "valid_to")
    current, _others = current_liaisons(agreement.id, today)
    if any(r.contact_id == contact.id and r.side is which for r in current):
        raise ServiceError(_("This contact is already a liaison of this agreement."), "contact")
    role = LiaisonRole(contact_id=contact.id, subject=LiaisonSubject.AGREEMENT, side=which, agreement_id=agreement.id,
                       valid_from=valid_from, valid_to=valid_to)
    db.session.add(role)
    db.session.flush()
    return role


# --- the daily job --------------------------------------------------------------------------------


def apply_due_transitions(today: date) -> dict[str, int]:
    """Expire or automatically renew the agreements whose validity ended before `today` (`rules.due_transitions`).

    Idempotent: a second run on the same day finds nothing to do. Returns {"expired": n, "renewed": n}.
    """
    counts = {"expired": 0, "renewed": 0}
    candidates = list(db.session.scalars(select(Agreement).where(
        Agreement.status.in_([AgreementStatus.IN_FORCE, AgreementStatus.UNDER_RENEWAL]),
        Agreement.valid_until.is_not(None), Agreement.valid_until < today).order_by(Agreement.id)))
    sides = liaison_sides([a.id for a in candidates], today)
    for agreement in candidates:
        for due in rules.due_transitions(facts(agreement, sides[agreement.id]), today):
            _bump(agreement, None)
            if due.renewed:
                agreement.valid_until = due.valid_until
                _record(agreement, AgreementStatus(due.to_status), user=None,
                        note=_("Renewed automatically until %(date)s.", date=format_date(due.valid_until)))
                counts["renewed"] += 1
            else:
                _record(agreement, AgreementStatus(due.to_status), user=None,
                        note=_("Validity ended on %(date)s.", date=format_date(agreement.valid_until)))
                counts["expired"] += 1
    db.session.flush()
    return counts
