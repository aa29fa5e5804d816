"""The OpenAPI paths and schemas of the networks and meetings API (merged into openapi.openapi_document)."""

from __future__ import annotations

from typing import Any

from .openapi import NAME, PAGING, _get, _page_of, _param, _with

LOCAL_TIME = {"type": "string", "format": "date-time", "example": "2026-03-10T10:00:00+02:00",
              "description": "Europe/Helsinki local time with its UTC offset (+02:00 in winter, +03:00 in summer)."}
NULLABLE_TEXT = {"type": ["string", "null"]}
UNIT_REF = {"type": ["object", "null"], "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                                       "name": NAME}}
LEVELS = ["centre", "national"]
CADENCES = ["weekly", "monthly", "quarterly", "three_four_a_year", "twice_a_year", "yearly", "as_needed",
            "continuous"]
NETWORK = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": NAME, "level": {"type": "string", "enum": LEVELS},
    "theme": {"type": ["object", "null"], "properties": {"code": {"type": "string"}, "name": NAME}},
    "centre": {**UNIT_REF, "description": "The sanction centre of a centre network; null for a national one."},
    "convenor_unit": UNIT_REF, "facilitator_unit": UNIT_REF,
    "cadence": {"type": "string", "enum": CADENCES, "description": "The meeting frequency agreed in the network."},
    "cadence_note": NULLABLE_TEXT, "goals": NULLABLE_TEXT, "active": {"type": "boolean"},
    "member_count": {"type": "integer"},
    "url": {"type": "string", "description": "The network's page in the web application."},
    "calendar_url": {"type": "string", "description": "The network's iCalendar file."}}}
SERIES = {"type": "object", "properties": {
    "id": {"type": "integer"}, "uid": {"type": "string", "description": "The iCalendar UID, stable."},
    "network_id": {"type": "integer"}, "title": {"type": "string"},
    "starts_at": {**LOCAL_TIME, "description": "The first meeting (DTSTART), Helsinki time."},
    "duration_minutes": {"type": "integer"},
    "rrule": {"type": ["string", "null"], "example": "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU",
              "description": "RFC 5545 RRULE value (UNTIL as a Helsinki wall-clock time); null: a single meeting."},
    "rule_text": {"type": "string", "description": "The rule in words, in the caller's language."},
    "location": NULLABLE_TEXT, "video_url": NULLABLE_TEXT, "agenda": NULLABLE_TEXT,
    "sequence": {"type": "integer", "description": "iCalendar SEQUENCE, raised on every change."},
    "continues_id": {"type": ["integer", "null"], "description": "The series this one continues "
                                                                 "(\"changed from this occurrence on\")."},
    "attendees": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "email": NULLABLE_TEXT}}},
    "url": {"type": "string"}, "calendar_url": {"type": "string"}}}
MEMBER = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "partner": {"type": "object", "properties": {"id": {"type": "integer"}, "name": NAME}},
    "liaison": {"type": ["object", "null"], "description": "The liaison the member has named.", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "title": NULLABLE_TEXT, "email": NULLABLE_TEXT,
        "partner_id": {"type": ["integer", "null"]}}},
    "joined_on": {"type": ["string", "null"], "format": "date"}}}
NETWORK_DETAIL = {"allOf": [{"$ref": "#/components/schemas/Network"}, {"type": "object", "properties": {
    "members": {"type": "array", "items": {"$ref": "#/components/schemas/NetworkMember"}},
    "series": {"type": "array", "items": {"$ref": "#/components/schemas/MeetingSeries"}},
    "evaluations": {"type": "array", "items": {"type": "object", "properties": {
        "year": {"type": "integer"}, "goals_met": {"type": "string", "enum": ["yes", "partly", "no"]},
        "results": NULLABLE_TEXT, "changes": NULLABLE_TEXT}}}}}]}
MEETING = {"type": "object", "properties": {
    "series_id": {"type": "integer"}, "network_id": {"type": "integer"}, "uid": {"type": "string"},
    "key": {"type": "string", "example": "20260310T1000",
            "description": "The occurrence's key in URLs: its recurrence id as YYYYMMDDTHHMM."},
    "title": {"type": "string"},
    "recurrence_id": {**LOCAL_TIME, "description": "The start the rule generated (iCalendar RECURRENCE-ID)."},
    "starts_at": LOCAL_TIME, "ends_at": LOCAL_TIME,
    "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
    "moved": {"type": "boolean", "description": "Moved to another time or given another duration."},
    "location": NULLABLE_TEXT, "video_url": NULLABLE_TEXT, "agenda": NULLABLE_TEXT,
    "holiday": {"type": ["string", "null"], "description": "The Finnish public holiday on the meeting's date."},
    "url": {"type": "string"},
    "invitation_url": {"type": "string", "description": "An iCalendar invitation (METHOD:REQUEST) to this one."}}}

SCHEMAS: dict[str, Any] = {"Network": NETWORK, "NetworkDetail": NETWORK_DETAIL, "NetworkMember": MEMBER,
                           "MeetingSeries": SERIES, "Meeting": MEETING}


def paths() -> dict[str, Any]:
    """The networks and meetings paths."""
    return {
        "/networks": _with(_get("Networks, by Finnish name", _page_of("#/components/schemas/Network")), [
            *PAGING,
            _param("theme", "Theme code.", {"type": "string"}),
            _param("level", "Sanction centre or national network.", {"type": "string", "enum": LEVELS}),
            _param("centre", "Code of the sanction centre whose network it is.", {"type": "string"}),
            _param("active", "Only active (true) or inactive (false) networks.", {"type": "boolean"})]),
        "/networks/{network_id}": _with(_get(
            "A network with its members and their liaisons, its meeting series (with their RRULE) and evaluations",
            {"$ref": "#/components/schemas/NetworkDetail"}), [
            _param("network_id", "The network's id.", {"type": "integer"}, "path", True)], not_found=True),
        "/meetings": _with(_get(
            "Meetings starting in a date range, recurrence expanded, cancellations and moves applied, by start",
            {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Meeting"}},
                "count": {"type": "integer"}, "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"}, "network": {"type": ["integer", "null"]}}}), [
            _param("from", "First day (YYYY-MM-DD, Helsinki); default today.", {"type": "string", "format": "date"}),
            _param("to", "Last day, inclusive (YYYY-MM-DD); default 31 days after from; at most 732 days after "
                   "from.", {"type": "string", "format": "date"}),
            _param("network", "Only this network's meetings.", {"type": "integer", "minimum": 1}),
            _param("mine", "Only the meetings of the caller's networks (scope, liaison, attendee, followed).",
                   {"type": "boolean"}),
            _param("include_cancelled", "Include cancelled occurrences (default true).", {"type": "boolean"})]),
    }


def add_meetings(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the networks and meetings schemas and paths added."""
    document["components"]["schemas"].update(SCHEMAS)
    document["paths"].update(paths())
    return document
