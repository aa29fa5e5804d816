"""The applications API for the working group: the list (paged, filtered) and one application with its checks,
review summary, statement, decision, funding and portfolio project. Routes on `registry.api.views.bp`."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from ..applications import exports, services
from ..applications.checks import run_checks
from ..applications.models import Application, ApplicationStatus, Funder
from ..core.queries import MAX_ID
from ..extensions import db
from .views import BadParameter, _choice_arg, _paged, bp


def _day(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(_("%(name)s must be a date as YYYY-MM-DD.", name=name)) from None


def _url(endpoint: str, **values: Any) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:  # that part of the application is not installed
        return None


def application_json(application: Application) -> dict[str, Any]:
    """The API representation of an application (list form); the applicant's access key is never shown."""
    return {
        "id": application.id, "reference": application.reference, "status": application.status.value,
        "received_at": application.submitted_at.isoformat(), "source": application.source.value,
        "language": application.language,
        "organisation": {"name": application.organisation_name, "business_id": application.business_id,
                         "applicant_form": application.applicant_form.value, "partner_id": application.partner_id},
        "project_name": application.project_name, "funder": application.funder.value,
        "funder_other": application.funder_other, "funding_round": application.funding_round,
        "planned_start": _day(application.planned_start), "planned_end": _day(application.planned_end),
        "units": [u.code for u in application.units], "statement": application.statement.value
        if application.statement else None,
        "url": _url("applications.detail", application_id=application.id),
    }


def application_detail_json(application: Application) -> dict[str, Any]:
    """Everything about one application for the working group."""
    project, meeting = application.project, application.review_meeting
    summary = services.summary_for(application)
    return {
        **application_json(application),
        "contact": {"name": application.contact_name, "email": application.contact_email,
                    "phone": application.contact_phone, "address": application.address},
        "description": application.description, "need": application.need,
        "target_groups": application.target_groups, "prison_work": application.prison_work,
        "e_services": application.e_services, "dnro": application.dnro,
        "themes": [t.code for t in application.themes],
        "unit_details": [{"id": u.id, "code": u.code, "kind": u.kind.value,
                          "name": {"fi": u.name_fi, "sv": u.name_sv, "en": u.name_en}} for u in application.units],
        "partner": {"id": application.partner.id, "name": application.partner.name_fi,
                    "active": application.partner.active} if application.partner else None,
        "eligible": exports.eligible(application),
        "checks": [{"code": c.code, "outcome": c.outcome, "message": str(c.message), "rule": c.rule}
                   for c in run_checks(application)],
        "review_meeting": {"id": meeting.id, "held_on": meeting.held_on.isoformat(), "title": meeting.title}
        if meeting else None,
        "reviews": {"assigned": len(application.reviewers), "submitted": summary.review_count},
        "review_summary": summary.as_dict() if summary.review_count else None,
        "statement_details": {
            "kind": application.statement.value if application.statement else None,
            "justification": application.statement_justification, "conditions": application.statement_conditions,
            "meeting_id": application.statement_meeting_id, "signatory": application.statement_signatory,
            "given_at": _day(application.statement_given_at),
            "letter_url": _url("applications.statement_pdf", application_id=application.id)
            if application.letter_document_id else None},
        "decision": {"by": application.decision_by, "on": _day(application.decision_on),
                     "outcome": application.decision_outcome},
        "funding": {"outcome": application.funding_outcome.value if application.funding_outcome else None,
                    "decided_on": _day(application.funding_decided_on),
                    "amount": float(application.funding_amount) if application.funding_amount is not None else None},
        "project": {"id": project.id, "status": project.status.value,
                    "next_follow_up_on": _day(project.next_follow_up_on),
                    "url": _url("applications.project", project_id=project.id)} if project else None,
    }


@bp.get("/applications")
def applications() -> Response:
    received_from, received_to = _date_arg("received_from"), _date_arg("received_to")
    if received_from and received_to and received_to < received_from:
        raise BadParameter(_("received_to must not be before received_from."))
    filters = services.ApplicationFilters(
        status=_choice_arg("status", [s.value for s in ApplicationStatus]),
        funder=_choice_arg("funder", [f.value for f in Funder]), q=request.args.get("q", "").strip()[:200])
    stmt = services.applications_query(filters).where(*exports.received_conditions(received_from, received_to))
    return _paged(stmt, application_json)


@bp.get("/applications/<int:application_id>")
def application(application_id: int) -> Response:
    if not 0 < application_id <= MAX_ID:
        abort(404)
    item = db.session.scalar(select(Application).where(Application.id == application_id).options(
        selectinload(Application.units), selectinload(Application.themes), selectinload(Application.partner),
        selectinload(Application.reviewers), selectinload(Application.project),
        selectinload(Application.review_meeting)))
    if item is None:
        abort(404)
    return jsonify(application_detail_json(item))
