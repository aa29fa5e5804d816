"""The OpenAPI description of the applications API (merged into `openapi.openapi_document`)."""

from __future__ import annotations

from typing import Any

from ..applications.models import ApplicantForm, ApplicationStatus, Funder, FundingOutcome, StatementKind

DATE = {"type": ["string", "null"], "format": "date"}
TEXT = {"type": ["string", "null"]}
STATUSES = [s.value for s in ApplicationStatus]
FUNDERS = [f.value for f in Funder]
STATEMENTS = [s.value for s in StatementKind]

APPLICATION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string", "example": "PK-2026-0042"},
    "status": {"type": "string", "enum": STATUSES}, "received_at": {"type": "string", "format": "date-time"},
    "source": {"type": "string", "enum": ["web", "import"]}, "language": {"type": "string", "enum": ["fi", "sv", "en"]},
    "organisation": {"type": "object", "properties": {
        "name": {"type": "string"}, "business_id": TEXT,
        "applicant_form": {"type": "string", "enum": [f.value for f in ApplicantForm]},
        "partner_id": {"type": ["integer", "null"], "description": "The matched (or pending) directory partner."}}},
    "project_name": {"type": "string"}, "funder": {"type": "string", "enum": FUNDERS}, "funder_other": TEXT,
    "funding_round": TEXT, "planned_start": DATE, "planned_end": DATE,
    "units": {"type": "array", "items": {"type": "string"}, "description": "Codes of the Rise units involved."},
    "statement": {"type": ["string", "null"], "enum": [*STATEMENTS, None]},
    "url": {"type": ["string", "null"], "description": "The application's page in the web application."}}}

CHECK = {"type": "object", "properties": {
    "code": {"type": "string"}, "outcome": {"type": "string", "enum": ["ok", "fail", "attention", "info"]},
    "message": {"type": "string"}, "rule": {"type": "string", "description": "The policy rule, e.g. §8.2."}}}

REVIEW_SUMMARY = {"type": ["object", "null"], "description": (
    "The weighted summary of the submitted reviews, each against the criteria version it was made with: per "
    "criterion its weight, every reviewer's score, mean, min, max, spread and weighted mean; the totals and "
    "each reviewer's own weighted total (null: no submitted reviews)."), "additionalProperties": True}

APPLICATION_DETAIL = {"allOf": [{"$ref": "#/components/schemas/Application"}, {"type": "object", "properties": {
    "contact": {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"},
                                                 "phone": TEXT, "address": TEXT}},
    "description": {"type": "string"}, "need": TEXT, "target_groups": TEXT, "prison_work": {"type": "boolean"},
    "e_services": {"type": "boolean"}, "dnro": TEXT, "themes": {"type": "array", "items": {"type": "string"}},
    "unit_details": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "code": {"type": "string"}, "kind": {"type": "string"},
        "name": {"type": "object", "properties": {k: {"type": "string"} for k in ("fi", "sv", "en")}}}}},
    "partner": {"type": ["object", "null"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                           "active": {"type": "boolean"}}},
    "eligible": {"type": ["boolean", "null"], "description": "The applicant may be a project partner and "
                                                             "cooperation with a unit is planned (policy §8.2)."},
    "checks": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/ApplicationCheck"}},
    "review_meeting": {"type": ["object", "null"], "properties": {"id": {"type": "integer"}, "held_on": DATE,
                                                                 "title": {"type": "string"}}},
    "reviews": {"type": "object", "properties": {"assigned": {"type": "integer"}, "submitted": {"type": "integer"}}},
    "review_summary": REVIEW_SUMMARY,
    "statement_details": {"type": "object", "properties": {
        "kind": {"type": ["string", "null"], "enum": [*STATEMENTS, None]}, "justification": TEXT,
        "conditions": TEXT, "meeting_id": {"type": ["integer", "null"]}, "signatory": TEXT,
        "given_at": {"type": ["string", "null"], "format": "date-time"},
        "letter_url": {"type": ["string", "null"], "description": "The statement letter (PDF)."}}},
    "decision": {"type": "object", "description": "The decision under the rules of procedure.",
                 "properties": {"by": TEXT, "on": DATE, "outcome": TEXT}},
    "funding": {"type": "object", "properties": {
        "outcome": {"type": ["string", "null"], "enum": [*(o.value for o in FundingOutcome), None]},
        "decided_on": DATE, "amount": {"type": ["number", "null"]}}},
    "project": {"type": ["object", "null"], "description": "The project in the portfolio.", "properties": {
        "id": {"type": "integer"}, "status": {"type": "string", "enum": ["planned", "running", "ended", "evaluated"]},
        "next_follow_up_on": DATE, "url": {"type": ["string", "null"]}}}}}]}

APPLICATION_SCHEMAS = {"Application": APPLICATION, "ApplicationDetail": APPLICATION_DETAIL,
                       "ApplicationCheck": CHECK}


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "required": required, "schema": schema}


def _responses(schema: dict[str, Any], *, not_found: bool = False) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    found = {
        "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
        "400": {"description": "A parameter is invalid (the message names it)", "content": error},
        "401": {"description": "Not signed in", "content": error},
        "403": {"description": "Not a member of the project-partnership working group", "content": error}}
    if not_found:
        found["404"] = {"description": "No such application", "content": error}
    return found


PAGE = {"type": "object", "properties": {
    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}},
    "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
    "pages": {"type": "integer"}}}

APPLICATION_PATHS = {
    "/applications": {"get": {
        "summary": "Project-partnership applications, newest first (working group only)",
        "parameters": [
            _param("page", "Page number (1–100000).", {"type": "integer", "minimum": 1, "maximum": 100000,
                                                       "default": 1}),
            _param("per_page", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
            _param("status", "Status of the application.", {"type": "string", "enum": STATUSES}),
            _param("funder", "The funder applied to.", {"type": "string", "enum": FUNDERS}),
            _param("q", "Words in the reference, organisation, business ID or project name.", {"type": "string"}),
            _param("received_from", "Received on or after this day (Finnish time).",
                   {"type": "string", "format": "date"}),
            _param("received_to", "Received on or before this day (Finnish time).",
                   {"type": "string", "format": "date"})],
        "responses": _responses(PAGE)}},
    "/applications/{application_id}": {"get": {
        "summary": "One application with its checks, review summary, statement, decision, funding and project "
                   "(working group only)",
        "parameters": [_param("application_id", "The application's id.", {"type": "integer"}, "path", True)],
        "responses": _responses({"$ref": "#/components/schemas/ApplicationDetail"}, not_found=True)}},
}
