"""The OpenAPI 3 document of the JSON API (grows with every capability)."""

from __future__ import annotations

from typing import Any

from ..access import rules
from .openapi_applications import APPLICATION_PATHS, APPLICATION_SCHEMAS

# Finnish is always there; Swedish and English names are optional (null when not given).
NAME = {"type": "object", "required": ["fi"], "properties": {
    "fi": {"type": "string"}, "sv": {"type": ["string", "null"]}, "en": {"type": ["string", "null"]}}}
UNIT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "code": {"type": "string"},
        "kind": {"type": "string", "enum": ["responsibility_area", "sanction_centre", "prison",
                                            "community_sanctions_office", "project_office",
                                            "training_centre", "other"]},
        "parent_id": {"type": ["integer", "null"]}, "name": NAME, "mailbox": {"type": ["string", "null"]},
        "valid_from": {"type": ["string", "null"], "format": "date"},
        "valid_to": {"type": ["string", "null"], "format": "date"},
    },
}
REGION = {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": NAME,
                                           "sanction_centre_id": {"type": ["integer", "null"]}}}
ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                          "status": {"type": "integer"}}}


PHONE = {"type": ["object", "null"], "properties": {"e164": {"type": "string", "example": "+358401234567"},
                                                   "display": {"type": "string", "example": "040 1234567"}}}
ORGANISATION = {"type": ["object", "null"], "description": "The partner or the Rise unit the contact belongs to.",
                "properties": {"type": {"type": "string", "enum": ["partner", "unit"]}, "id": {"type": "integer"},
                               "code": {"type": "string", "description": "Units only."}, "name": NAME}}
CATEGORIES = ["state_authority", "wellbeing_county", "municipality", "joint_municipal_authority", "association",
              "foundation", "parish", "educational_institution", "research_body", "social_enterprise", "company",
              "international_organisation", "other"]
LEVELS = ["national", "regional", "local", "international"]
SEARCH_RESULT = {"type": "object", "properties": {
    "type": {"type": "string", "enum": ["partner", "contact"], "description": "The kind of record (more later)."},
    "id": {"type": "integer"}, "title": {"type": "string"}, "subtitle": {"type": "string"},
    "url": {"type": "string", "description": "The record's page in the web application."}}}
PARTNER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": NAME, "business_id": {"type": ["string", "null"], "example": "0116297-6"},
    "category": {"type": "string", "enum": CATEGORIES}, "legal_form": {"type": ["string", "null"]},
    "level": {"type": "string", "enum": LEVELS}, "website": {"type": ["string", "null"]},
    "active": {"type": "boolean"}, "merged_into_id": {"type": ["integer", "null"]},
    "regions": {"type": "array", "items": {"type": "string"}, "description": "Codes of the regions served."},
    "themes": {"type": "array", "items": {"type": "string"}, "description": "Theme codes."},
    "url": {"type": "string"}}}
CONTACT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["person", "mailbox"]}, "name": {"type": "string"},
    "title": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]},
    "phone": {"$ref": "#/components/schemas/Phone"}, "mobile": {"$ref": "#/components/schemas/Phone"},
    "public": {"type": "boolean"}, "active": {"type": "boolean"}, "partner_id": {"type": ["integer", "null"]},
    "unit_id": {"type": ["integer", "null"]}, "organisation": {"$ref": "#/components/schemas/Organisation"},
    "keywords": {"type": "array", "items": {"type": "string"}},
    "last_confirmed_at": {"type": ["string", "null"], "format": "date-time"}, "url": {"type": "string"}}}
PUBLIC_CONTACT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["person", "mailbox"]}, "name": {"type": "string"},
    "title": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]},
    "phone": {"$ref": "#/components/schemas/Phone"}, "organisation": {"$ref": "#/components/schemas/Organisation"},
    "keywords": {"type": "array", "items": {"type": "string"}}}}
LIAISON = {"type": "object", "properties": {
    "id": {"type": "integer"}, "subject": {"type": "string", "enum": ["partner", "agreement", "network", "project",
                                                                     "theme"]},
    "side": {"type": "string", "enum": ["rise", "partner"]}, "contact_id": {"type": "integer"},
    "contact_name": {"type": "string"}, "partner_id": {"type": ["integer", "null"]},
    "theme": {"type": ["string", "null"]}, "project": {"type": ["string", "null"]},
    "valid_from": {"type": ["string", "null"], "format": "date"},
    "valid_to": {"type": ["string", "null"], "format": "date"}}}
PARTNER_DETAIL = {"allOf": [{"$ref": "#/components/schemas/Partner"}, {"type": "object", "properties": {
    "notes": {"type": ["string", "null"]},
    "suitability": {"type": "object", "description": "The documented suitability check of a third-sector partner.",
                    "properties": {"checked_on": {"type": ["string", "null"], "format": "date"},
                                   "checked_by": {"type": ["string", "null"]},
                                   "outcome": {"type": ["string", "null"],
                                               "enum": ["suitable", "suitable_with_conditions", "not_suitable",
                                                        None]},
                                   "notes": {"type": ["string", "null"]}}},
    "contacts": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
    "liaisons": {"type": "array", "items": {"$ref": "#/components/schemas/Liaison"},
                 "description": "Liaison roles for this partner in force today."},
    "rise_contacts": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"},
                      "description": "Whom to contact at Rise: the named Rise liaisons, or the project office "
                                     "for a third-sector partner without one."}}}]}


def _date(description: str, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "format": "date", "description": description}


def _codes(values: tuple[str, ...] | list[str], description: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


_SENTENCE = {"type": "object", "additionalProperties": False,
             "required": ["offence_date", "sanction", "serious_breach"],
             "description": "The facts of one sentence; nullable fields may be left out.", "properties": {
                 "offence_date": _date("When the offence was committed."),
                 "sanction": _codes(rules.SANCTIONS, "unconditional_prison and fine_conversion_prison are "
                                                     "custodial; community_service, monitoring_sentence and "
                                                     "juvenile_punishment are community sanctions."),
                 "enforcement_start": _date("When enforcement started (orders the sentences).", True),
                 "left_prison": _date("Custodial: the day the person left prison, also into supervised "
                                      "probationary freedom or parole.", True),
                 "supervision_end": _date("Custodial: end of supervised probationary freedom or parole "
                                          "supervision.", True),
                 "serious_breach": {"type": "boolean", "description": "An intentional or gross breach during "
                                                                      "that supervision."},
                 "completed": _date("Community sanctions: the completion date.", True)}}
ELIGIBILITY_INPUT = {
    "type": "object", "additionalProperties": False,
    "required": ["as_of", "role", "setting", "close_pair", "sentences", "open_criminal_case", "concern_reported",
                 "training_verified", "confidentiality_undertaking", "inducted"],
    "properties": {
        "as_of": _date("The assessment date."),
        "role": _codes(rules.ROLES, "The person's role."),
        "setting": _codes(rules.SETTINGS, "Where and how the person works."),
        "close_pair": _codes(rules.CLOSE_PAIRS, "Close pair work (two-year period for experts by experience)."),
        "sentences": {"type": "array", "maxItems": 200, "items": _SENTENCE},
        "open_criminal_case": {"type": "boolean"}, "concern_reported": {"type": "boolean"},
        "security_clearance": {"type": ["object", "null"], "additionalProperties": False,
                               "required": ["completed", "result"], "properties": {
                                   "completed": _date("When the clearance was completed."),
                                   "valid_until": _date("Last day of validity (null: no end).", True),
                                   "result": _codes(rules.CLEARANCE_RESULTS, "The clearance's result.")}},
        "training_verified": {"type": "boolean"}, "confidentiality_undertaking": {"type": "boolean"},
        "inducted": {"type": "boolean"}}}
ELIGIBILITY_RESULT = {
    "type": "object", "properties": {
        "decision": _codes(rules.DECISIONS, "The engine's result; the unit director decides in the end."),
        "waiting_rule_applies": {"type": "boolean"},
        "waiting_period_years": {"type": ["integer", "null"], "description": "3 or 2 (policy parameters); "
                                                                             "null when the rule does not apply."},
        "period_start": _date("Start of the crime-free period (the anchor); null when the rule does not apply "
                              "or a sentence is still being served.", True),
        "eligible_from": _date("period_start plus the waiting period in calendar years.", True),
        "supervision_required": {"type": "boolean"},
        "requirements": {"type": "array", "items": {"type": "object", "properties": {
            "code": _codes(rules.REQUIREMENTS, "A minimum condition for this role and setting."),
            "met": {"type": "boolean"}}}},
        "reasons": {"type": "array", "items": _codes(rules.REASONS, "Why: one code per finding.")}}}
INPUT_ERROR = {"type": "object", "properties": {
    "error": {"type": "string", "enum": ["bad_request"]}, "message": {"type": "string"},
    "field": {"type": ["string", "null"], "description": "Path of the invalid field, e.g. sentences[0].left_prison."},
    "status": {"type": "integer"}}}
DATE = {"type": ["string", "null"], "format": "date"}
AGREEMENT_REF = {"type": ["object", "null"], "properties": {"id": {"type": "integer"}, "name": NAME}}
AGREEMENT_STATUSES = ["planned", "in_preparation", "in_force", "under_renewal", "expired", "terminated", "superseded"]
AGREEMENT_LEVELS = ["national", "regional", "local"]
AGREEMENT_KINDS = ["agreement", "operating_model", "process", "framework", "commitment", "licence", "placement",
                   "bilateral", "guideline", "performance"]
AGREEMENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": NAME, "kind": {"type": "string", "enum": AGREEMENT_KINDS},
    "level": {"type": "string", "enum": AGREEMENT_LEVELS}, "status": {"type": "string", "enum": AGREEMENT_STATUSES},
    "owner_unit": {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                                    "name": NAME}},
    "centres": {"type": "array", "items": {"type": "string"}, "description": "Codes of the sanction centres."},
    "parties": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                             "name": NAME}}},
    "counterpart_kind": {"type": ["string", "null"], "description": "Code of the regional counterpart kind."},
    "dnro": {"type": ["string", "null"], "description": "Diary number."}, "signed_on": DATE,
    "valid_from": DATE, "valid_until": {**DATE, "description": "null: open-ended."},
    "renewal_type": {"type": "string", "enum": ["none", "automatic", "by_decision"]},
    "renewal_months": {"type": ["integer", "null"]}, "notice_months": {"type": ["integer", "null"]},
    "lead_time_days": {"type": ["integer", "null"]}, "review_on": DATE,
    "review_interval_months": {"type": ["integer", "null"]},
    "deadlines": {"type": "object", "description": "Computed: notice deadline = valid_until − notice period; "
                                                   "decision deadline = notice deadline − lead time; next review.",
                  "properties": {"notice": DATE, "decision": DATE, "review": DATE}},
    "url": {"type": "string", "description": "The agreement's page in the web application."}}}
AGREEMENT_DOCUMENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "role": {"type": "string", "enum": ["signed", "annex"]}, "title": {"type": "string"},
    "version_no": {"type": "integer"}, "replaces_id": {"type": ["integer", "null"]},
    "confidential": {"type": "boolean"}, "filename": {"type": "string"}, "size": {"type": "integer"},
    "sha256": {"type": "string"}, "uploaded_at": {"type": "string", "format": "date-time"},
    "url": {"type": "string", "description": "Download (PDF attachment) in the web application."}}}
AGREEMENT_DETAIL = {"allOf": [{"$ref": "#/components/schemas/Agreement"}, {"type": "object", "properties": {
    "notes": {"type": ["string", "null"]}, "regions": {"type": "array", "items": {"type": "string"}},
    "themes": {"type": "array", "items": {"type": "string"}},
    "legal_bases": {"type": "array", "items": {"type": "string"}},
    "parent": {**AGREEMENT_REF, "description": "The national agreement this one is under."},
    "children": {"type": "array", "items": AGREEMENT_REF},
    "amends": {"type": ["object", "null"], "description": "The agreement this amendment or new version changes.",
               "properties": {"id": {"type": "integer"}, "name": NAME,
                              "relation": {"type": "string", "enum": ["amendment", "new_version"]}}},
    "amendments": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": NAME, "relation": {"type": "string"}}}},
    "liaisons": {"type": "array", "items": {"$ref": "#/components/schemas/Liaison"},
                 "description": "Liaison roles for this agreement in force today."},
    "transitions": {"type": "array", "items": {"type": "object", "properties": {
        "from": {"type": ["string", "null"]}, "to": {"type": "string"},
        "at": {"type": "string", "format": "date-time"}, "note": {"type": ["string", "null"]}}}},
    "documents": {"type": "array", "items": {"$ref": "#/components/schemas/AgreementDocument"},
                  "description": "Every version of every document the caller may see (confidential ones only for "
                                 "directors and admins)."}}}]}


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "required": required, "schema": schema}


PAGING = [_param("page", "Page number (1–100000).", {"type": "integer", "minimum": 1, "maximum": 100000,
                                                     "default": 1}),
          _param("per_page", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})]
BAD_REQUEST = {"description": "A parameter is invalid (the message names it)",
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _page_of(schema: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": schema}},
                                             "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                             "total": {"type": "integer"}, "pages": {"type": "integer"}}}


def _with(operation: dict[str, Any], parameters: list[dict[str, Any]], *, public: bool = False,
          not_found: bool = False) -> dict[str, Any]:
    """Add parameters and the 400 (and 404) responses to a GET operation; public ones need no sign-in."""
    get = operation["get"]
    get["parameters"] = parameters
    get["responses"]["400"] = BAD_REQUEST
    if not_found:
        get["responses"]["404"] = {"description": "No such record", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
    if public:
        get["security"] = []
        del get["responses"]["401"]
    return operation


def _list_of(schema: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": schema}}}}


def _get(summary: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
        "401": {"description": "Not signed in", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}}}}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of /api/v1/."""
    from .openapi_meetings import add_meetings

    return add_meetings({
        "openapi": "3.1.0",
        "info": {"title": "Rise stakeholder-cooperation registry API", "version": "1",
                 "description": "Authenticate with the session cookie (state-changing calls then need the "
                                "X-CSRFToken header) or with `Authorization: Bearer <token>`; create tokens "
                                "in the profile page or with `registry tokens create --email E`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "registry_session"}},
            "schemas": {"Unit": UNIT, "Region": REGION, "Error": ERROR, "Phone": PHONE,
                        "Organisation": ORGANISATION, "SearchResult": SEARCH_RESULT, "Partner": PARTNER,
                        "PartnerDetail": PARTNER_DETAIL, "Contact": CONTACT, "PublicContact": PUBLIC_CONTACT,
                        "Liaison": LIAISON, "EligibilityInput": ELIGIBILITY_INPUT,
                        "EligibilityResult": ELIGIBILITY_RESULT, "InputError": INPUT_ERROR,
                        "Agreement": AGREEMENT, "AgreementDetail": AGREEMENT_DETAIL,
                        "AgreementDocument": AGREEMENT_DOCUMENT, **APPLICATION_SCHEMAS},
        },
        "paths": {
            "/me": _get("The signed-in user", {"type": "object", "properties": {
                "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string"}},
                "home_unit_id": {"type": ["integer", "null"]}, "locale": {"type": "string"}}}),
            "/units": _get("Organisational units of Rise", _list_of("#/components/schemas/Unit")),
            "/regions": _get("Wellbeing services counties and their sanction centres",
                             _list_of("#/components/schemas/Region")),
            "/search": _with(_get(
                "Search partners and contacts: every word must occur (a part of a word will do; letters with "
                "diacritics match without them), exact spellings first; only active records",
                {"type": "object", "properties": {
                    "query": {"type": "string"},
                    "total": {"type": "integer", "description": "Matches, counted up to 2000."},
                    "total_capped": {"type": "boolean", "description": "More matches than the count shows; "
                                                                      "the best of the first 2000 are ranked."},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}}}}), [
                _param("q", "Search words; any text is accepted (the first 200 characters are read).",
                       {"type": "string"}),
                _param("limit", "Results to return.", {"type": "integer", "minimum": 1, "maximum": 100,
                                                       "default": 20}),
                _param("kind", "Only this kind of record.", {"type": "string", "enum": ["partner", "contact"]})]),
            "/partners": _with(_get("Partner organisations, by Finnish name", _page_of(
                "#/components/schemas/Partner")), [
                *PAGING,
                _param("category", "Partner category.", {"type": "string", "enum": CATEGORIES}),
                _param("region", "Code of a region the partner serves.", {"type": "string"}),
                _param("theme", "Theme code.", {"type": "string"}),
                _param("level", "Level of operation.", {"type": "string", "enum": LEVELS}),
                _param("active", "Only active (true) or inactive (false) partners.", {"type": "boolean"})]),
            "/partners/{partner_id}": _with(_get("A partner with its contacts and current liaison roles",
                                                 {"$ref": "#/components/schemas/PartnerDetail"}), [
                _param("partner_id", "The partner's id.", {"type": "integer"}, "path", True)], not_found=True),
            "/contacts": _with(_get("Contact persons and mailboxes, by name", _page_of(
                "#/components/schemas/Contact")), [
                *PAGING,
                _param("partner_id", "Contacts of this partner.", {"type": "integer"}),
                _param("unit", "Contacts of the Rise unit with this code.", {"type": "string"}),
                _param("keyword", "Contacts with this competence keyword.", {"type": "string"}),
                _param("active", "Only active (true) or inactive (false) contacts.", {"type": "boolean"})]),
            "/agreements": _with(_get("Agreements and operating models, by Finnish name", _page_of(
                "#/components/schemas/Agreement")), [
                *PAGING,
                _param("status", "Lifecycle status.", {"type": "string", "enum": AGREEMENT_STATUSES}),
                _param("level", "National, regional or local.", {"type": "string", "enum": AGREEMENT_LEVELS}),
                _param("kind", "Kind of instrument.", {"type": "string", "enum": AGREEMENT_KINDS}),
                _param("centre", "Code of a sanction centre party to the agreement.", {"type": "string"}),
                _param("counterpart", "Code of the regional counterpart kind.", {"type": "string"}),
                _param("expiring_within_days", "In force or under renewal, ending between today and this many "
                       "days ahead.", {"type": "integer", "minimum": 0, "maximum": 3650})]),
            "/agreements/{agreement_id}": _with(_get(
                "An agreement with its parties, liaisons, relations, transitions and documents",
                {"$ref": "#/components/schemas/AgreementDetail"}), [
                _param("agreement_id", "The agreement's id.", {"type": "integer"}, "path", True)], not_found=True),
            "/public/contacts": _with(_get(
                "The public directory (no sign-in): active contacts and mailboxes flagged public",
                _page_of("#/components/schemas/PublicContact")), [
                *PAGING,
                _param("q", "Search words, as in /search.", {"type": "string"})], public=True),
            "/eligibility/assess": {"post": {
                "summary": "Run the crime-free waiting-period rule (policy §10.3, §16) on the given facts; "
                           "nothing is stored. Coordinators only. Same JSON as `registry eligibility check`.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EligibilityInput"}}}},
                "responses": {
                    "200": {"description": "The assessment", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/EligibilityResult"}}}},
                    "400": {"description": "Invalid input; `field` names the field", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/InputError"}}}},
                    "401": {"description": "Not signed in", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}},
                    "403": {"description": "Not a coordinator", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            **APPLICATION_PATHS,
        },
    })
