"""API endpoints (session or bearer-token authentication; see openapi.py for the contract)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from ..access import rules as eligibility
from ..access.params import current_parameters
from ..agreements import documents as agreement_documents
from ..agreements import queries as agreement_queries
from ..agreements import rules as agreement_rules
from ..agreements import services as agreement_services
from ..agreements.models import Agreement, AgreementDocument, AgreementKind, AgreementLevel, AgreementStatus
from ..core import queries
from ..core.models import Region, Unit
from ..core.pagination import MAX_PAGE
from ..directory import queries as directory_queries
from ..directory import search
from ..directory import services as directory_services
from ..directory.models import (
    Contact,
    Keyword,
    LiaisonRole,
    Partner,
    PartnerCategory,
    PartnerLevel,
)
from ..directory.services import format_phone
from ..extensions import db
from ..i18n import today as helsinki_today
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def unit_json(unit: Unit) -> dict[str, Any]:
    """The API representation of a unit."""
    return {
        "id": unit.id, "code": unit.code, "kind": unit.kind.value, "parent_id": unit.parent_id,
        "name": {"fi": unit.name_fi, "sv": unit.name_sv, "en": unit.name_en}, "mailbox": unit.mailbox,
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
    }


def region_json(region: Region) -> dict[str, Any]:
    """The API representation of a wellbeing services county."""
    return {"id": region.id, "code": region.code,
            "name": {"fi": region.name_fi, "sv": region.name_sv, "en": region.name_en},
            "sanction_centre_id": region.sanction_centre_id}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/me")
def me() -> Response:
    user = current_user
    return jsonify(id=user.id, email=user.email, name=user.name, roles=sorted(user.roles),
                   home_unit_id=user.home_unit_id, locale=user.locale or "fi")


@bp.get("/units")
def units() -> Response:
    return jsonify(items=[unit_json(u) for u in queries.units_ordered()])


@bp.get("/regions")
def regions() -> Response:
    return jsonify(items=[region_json(r) for r in queries.regions_ordered()])


# --- search and the partner directory ---------------------------------------------------------------

MAX_PER_PAGE = 100


class BadParameter(Exception):
    """A query parameter the API cannot use; answered with 400 and a message naming it."""


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> tuple[Response, int]:
    return jsonify(error=_("Bad request"), message=str(error), status=400), 400


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadParameter(_("%(name)s must be a whole number from %(low)d to %(high)d.", name=name, low=low,
                             high=high))
    return value


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in {"1", "true", "yes"}:
        return True
    if raw in {"0", "false", "no"}:
        return False
    raise BadParameter(_("%(name)s must be true or false.", name=name))


def _choice_arg(name: str, allowed: Iterable[str]) -> str:
    raw = request.args.get(name, "").strip()
    if raw and raw not in allowed:
        raise BadParameter(_("%(name)s must be one of: %(values)s.", name=name, values=", ".join(allowed)))
    return raw


def _paged(stmt: Any, serialise: Any) -> Response:
    page = _int_arg("page", 1, 1, MAX_PAGE)
    per_page = _int_arg("per_page", 20, 1, MAX_PER_PAGE)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    return jsonify(items=[serialise(obj) for obj in result.items], page=page, per_page=per_page,
                   total=result.total, pages=result.pages)


def _names(obj: Any) -> dict[str, str | None]:
    return {"fi": obj.name_fi, "sv": obj.name_sv, "en": obj.name_en}


def _phone(e164: str | None) -> dict[str, str] | None:
    return {"e164": e164, "display": format_phone(e164)} if e164 else None


def _organisation(contact: Contact) -> dict[str, Any] | None:
    if contact.partner is not None:
        return {"type": "partner", "id": contact.partner.id, "name": _names(contact.partner)}
    if contact.unit is not None:
        return {"type": "unit", "id": contact.unit.id, "code": contact.unit.code, "name": _names(contact.unit)}
    return None


def partner_json(partner: Partner) -> dict[str, Any]:
    """The API representation of a partner (list form)."""
    return {
        "id": partner.id, "name": _names(partner), "business_id": partner.business_id,
        "category": partner.category.value, "legal_form": partner.legal_form, "level": partner.level.value,
        "website": partner.website, "active": partner.active, "merged_into_id": partner.merged_into_id,
        "regions": [r.code for r in partner.regions], "themes": [t.code for t in partner.themes],
        "url": search.result_url("partner", partner.id),
    }


def contact_json(contact: Contact) -> dict[str, Any]:
    """The API representation of a contact person or mailbox."""
    return {
        "id": contact.id, "kind": contact.kind.value, "name": contact.name, "title": contact.title,
        "email": contact.email, "phone": _phone(contact.phone), "mobile": _phone(contact.mobile),
        "public": contact.public, "active": contact.active, "partner_id": contact.partner_id,
        "unit_id": contact.unit_id, "organisation": _organisation(contact),
        "keywords": [k.name for k in contact.keywords],
        "last_confirmed_at": contact.last_confirmed_at.isoformat() if contact.last_confirmed_at else None,
        "url": search.result_url("contact", contact.id),
    }


def public_contact_json(contact: Contact) -> dict[str, Any]:
    """What the public directory shows of a contact: no notes, no mobile numbers, no internal flags."""
    return {"id": contact.id, "kind": contact.kind.value, "name": contact.name, "title": contact.title,
            "email": contact.email, "phone": _phone(contact.phone), "organisation": _organisation(contact),
            "keywords": [k.name for k in contact.keywords]}


def liaison_json(role: LiaisonRole) -> dict[str, Any]:
    """The API representation of a liaison role."""
    return {"id": role.id, "subject": role.subject.value, "side": role.side.value, "contact_id": role.contact_id,
            "contact_name": role.contact.name, "partner_id": role.partner_id,
            "theme": role.theme.code if role.theme else None, "project": role.project,
            "valid_from": role.valid_from.isoformat() if role.valid_from else None,
            "valid_to": role.valid_to.isoformat() if role.valid_to else None}


@bp.get("/search", endpoint="search")
def search_api() -> Response:
    q = request.args.get("q", "")
    limit = _int_arg("limit", 20, 1, 100)
    kind = _choice_arg("kind", search.KINDS)
    total, results = search.search(q, kinds=[kind] if kind else None, limit=limit)
    return jsonify(query=q[:search.MAX_QUERY], total=total, total_capped=total >= search.WINDOW,
                   results=[{"type": r.type, "id": r.id, "title": r.title, "subtitle": r.subtitle, "url": r.url}
                            for r in results])


_CONTACT_LOADS = (selectinload(Contact.keywords), joinedload(Contact.partner), joinedload(Contact.unit))


@bp.get("/partners")
def partners() -> Response:
    filters = directory_queries.PartnerFilters(
        category=_choice_arg("category", [c.value for c in PartnerCategory]),
        level=_choice_arg("level", [v.value for v in PartnerLevel]),
        region=request.args.get("region", "").strip(), theme=request.args.get("theme", "").strip(),
        active=_bool_arg("active"))
    return _paged(directory_queries.partners_query(filters), partner_json)


@bp.get("/partners/<int:partner_id>")
def partner(partner_id: int) -> Response:
    item = queries.get_or_404(Partner, partner_id)
    today = helsinki_today()
    current, _past = directory_services.partner_liaisons(item, today)
    contacts = db.session.scalars(select(Contact).options(*_CONTACT_LOADS).where(Contact.partner_id == item.id)
                                  .order_by(Contact.name, Contact.id)).all()
    return jsonify({
        **partner_json(item), "notes": item.notes,
        "suitability": {"checked_on": item.suitability_checked_on.isoformat() if item.suitability_checked_on
                        else None, "checked_by": item.suitability_checked_by,
                        "outcome": item.suitability_outcome.value if item.suitability_outcome else None,
                        "notes": item.suitability_notes},
        "contacts": [contact_json(c) for c in contacts],
        "liaisons": [liaison_json(r) for r in current],
        "rise_contacts": [contact_json(c) for c in directory_services.routed_contacts(item, today)],
    })


@bp.get("/contacts")
def contacts() -> Response:
    stmt = select(Contact).options(*_CONTACT_LOADS).order_by(Contact.name, Contact.id)
    partner_id = _int_arg("partner_id", 0, 1, queries.MAX_ID)
    if partner_id:
        stmt = stmt.where(Contact.partner_id == partner_id)
    unit = request.args.get("unit", "").strip()
    if unit:
        stmt = stmt.where(Contact.unit.has(Unit.code == unit))
    keyword = " ".join(request.args.get("keyword", "").split()).lower()
    if keyword:
        stmt = stmt.where(Contact.keywords.any(Keyword.name == keyword))
    active = _bool_arg("active")
    if active is not None:
        stmt = stmt.where(Contact.active.is_(active))
    return _paged(stmt, contact_json)


@bp.get("/public/contacts")
def public_contacts() -> Response:
    page = _int_arg("page", 1, 1, MAX_PAGE)
    per_page = _int_arg("per_page", 20, 1, MAX_PER_PAGE)
    q = request.args.get("q", "")
    if q.strip():
        total, found = search.search(q, kinds=["contact"], public_only=True, limit=per_page,
                                     offset=(page - 1) * per_page)
        ids = [r.id for r in found]
        by_id = {c.id: c for c in db.session.scalars(select(Contact).options(*_CONTACT_LOADS)
                                                     .where(Contact.id.in_(ids), Contact.public.is_(True),
                                                            Contact.active.is_(True)))}
        items = [by_id[i] for i in ids if i in by_id]
    else:
        stmt = select(Contact).options(*_CONTACT_LOADS).where(
            Contact.public.is_(True), Contact.active.is_(True),
            or_(Contact.partner_id.is_(None), Contact.partner.has(Partner.active.is_(True)))) \
            .order_by(Contact.name, Contact.id)
        result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
        total, items = result.total or 0, list(result.items)
    return jsonify(items=[public_contact_json(c) for c in items], page=page, per_page=per_page, total=total,
                   pages=max(1, -(-total // per_page)))


# --- the eligibility engine (access/rules.py) -------------------------------------------------------


def _input_error(message: str, field: str | None) -> tuple[Response, int]:
    return jsonify(error="bad_request", message=message, field=field, status=400), 400


@bp.post("/eligibility/assess", endpoint="eligibility_assess")
def eligibility_assess() -> Response | tuple[Response, int]:
    """The same JSON in and out as `registry eligibility check`; nothing is stored."""
    if not request.is_json:
        return _input_error(_("Send the engine input as a JSON body (Content-Type: application/json)."), None)
    try:
        data = json.loads(request.get_data())
    except (ValueError, RecursionError):
        return _input_error(_("The request body is not valid JSON."), None)
    try:
        facts = eligibility.parse(data)
    except eligibility.InputError as error:
        return _input_error(error.message, error.field)
    return jsonify(eligibility.assess(facts, current_parameters(facts.as_of)).to_json())


# --- agreements -------------------------------------------------------------------------------------


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(agreement: Agreement | None) -> dict[str, Any] | None:
    return {"id": agreement.id, "name": _names(agreement)} if agreement is not None else None


def agreement_json(agreement: Agreement, today: Any = None) -> dict[str, Any]:
    """The API representation of an agreement (list form), with its computed deadlines."""
    due = agreement_rules.deadlines(agreement_services.facts(agreement, set()), today or helsinki_today())
    return {
        "id": agreement.id, "name": _names(agreement), "kind": agreement.kind.value, "level": agreement.level.value,
        "status": agreement.status.value,
        "owner_unit": {"id": agreement.owner_unit.id, "code": agreement.owner_unit.code,
                       "name": _names(agreement.owner_unit)},
        "centres": [c.code for c in agreement.centres],
        "parties": [{"id": p.id, "name": _names(p)} for p in agreement.parties],
        "counterpart_kind": agreement.counterpart_kind.code if agreement.counterpart_kind else None,
        "dnro": agreement.dnro, "signed_on": _day(agreement.signed_on), "valid_from": _day(agreement.valid_from),
        "valid_until": _day(agreement.valid_until), "renewal_type": agreement.renewal_type.value,
        "renewal_months": agreement.renewal_months, "notice_months": agreement.notice_months,
        "lead_time_days": agreement.lead_time_days, "review_on": _day(agreement.review_on),
        "review_interval_months": agreement.review_interval_months,
        "deadlines": {"notice": _day(due.notice), "decision": _day(due.decision), "review": _day(due.review)},
        "url": url_for("agreements.detail", agreement_id=agreement.id),
    }


def agreement_document_json(doc: AgreementDocument) -> dict[str, Any]:
    """What the API tells of an agreement's document (the file is downloaded from `url`)."""
    return {"id": doc.id, "role": doc.role.value, "title": doc.title, "version_no": doc.version_no,
            "replaces_id": doc.replaces_id, "confidential": doc.confidential, "filename": doc.document.filename,
            "size": doc.document.size, "sha256": doc.document.sha256, "uploaded_at": doc.uploaded_at.isoformat(),
            "url": url_for("agreements.document", agreement_id=doc.agreement_id, document_id=doc.id)}


@bp.get("/agreements")
def agreements() -> Response:
    days = request.args.get("expiring_within_days", "").strip()
    filters = agreement_queries.AgreementFilters(
        status=_choice_arg("status", [s.value for s in AgreementStatus]),
        level=_choice_arg("level", [v.value for v in AgreementLevel]),
        kind=_choice_arg("kind", [k.value for k in AgreementKind]),
        centre=_choice_arg("centre", [u.code for u in agreement_queries.sanction_centres()]),
        counterpart=request.args.get("counterpart", "").strip()[:40],
        expiring_within_days=_int_arg("expiring_within_days", 0, 0, agreement_queries.MAX_EXPIRING_DAYS)
        if days else None)
    today = helsinki_today()
    return _paged(agreement_queries.agreements_query(filters, today), lambda a: agreement_json(a, today))


@bp.get("/agreements/<int:agreement_id>")
def agreement(agreement_id: int) -> Response:
    item = agreement_queries.agreement_for_page(agreement_id)
    if item is None:
        abort(404)
    today = helsinki_today()
    current, _others = agreement_services.current_liaisons(item.id, today)
    groups = agreement_documents.document_groups(item.id, current_user)
    return jsonify({
        **agreement_json(item, today), "notes": item.notes,
        "regions": [r.code for r in item.regions], "themes": [t.code for t in item.themes],
        "legal_bases": [b.code for b in item.legal_bases], "parent": _ref(item.parent),
        "children": [_ref(c) for c in item.children],
        "amends": {**(_ref(item.amends) or {}), "relation": item.relation.value if item.relation else None}
        if item.amends is not None else None,
        "amendments": [{**(_ref(a) or {}), "relation": a.relation.value if a.relation else None}
                       for a in item.amendments],
        "liaisons": [liaison_json(r) for r in current],
        "transitions": [{"from": t.from_status.value if t.from_status else None, "to": t.to_status.value,
                         "at": t.at.isoformat(), "note": t.note} for t in item.transitions],
        "documents": [agreement_document_json(d) for g in groups for d in (g.current, *g.earlier)],
    })


# Imported last: they add routes to `bp`.
from . import applications as _applications  # noqa: E402,F401
from . import meetings as _meetings  # noqa: E402,F401
