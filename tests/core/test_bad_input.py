"""No user input causes a server error: every route gets hostile values, signed in with every role."""

from __future__ import annotations

import pytest

from registry.config import ROLES
from tests.conftest import csrf_token, login

HOSTILE = ["", " ", "x" * 5000, "'; DROP TABLE unit; --", "<script>alert(1)</script>", "ä\u202eö", "-1",
           "99999999999999999999", "1.5", "2026-02-31", "\x00nul", "%00", "../../etc/passwd", "[]", "{}"]
FIELDS = ["email", "name", "password", "current", "new", "confirm", "code", "roles", "home_unit", "locale",
          "kind", "parent", "name_fi", "name_sv", "name_en", "mailbox", "valid_from", "valid_to",
          "sanction_centre", "active", "lang", "next",
          "contact", "all", "centre", "action", "title", "phone", "mobile", "keywords",
          "business_id", "category", "level", "regions", "themes", "website", "legal_form", "notes",  # directory
          "suitability_checked_on", "suitability_outcome", "confirm_similar", "partner", "unit", "public",
          "subject", "side", "theme", "project", "duplicate",
           "convenor_unit", "facilitator_unit", "cadence", "cadence_note", "goals", "liaison", "joined_on",  # networks
           "year", "goals_met", "results", "changes", "step",
           "start_date", "start_time", "duration_minutes", "preset", "interval", "monthly_mode", "ordinal",  # series
           "weekday", "months", "end", "until", "count", "location", "video_url", "agenda", "liaisons", "contacts",
           "preview", "minutes", "holiday-20260310T1000", "skip-20260310T1000",
           "funder", "responsible", "starts_on", "ends_on", "status", "description", "progress", "risks",  # portfolio
           "next_steps", "outputs", "wider_use", "recommendation"]


PEOPLE_IDS = ("person_id", "training_id", "clearance_id", "sentence_id", "document_id", "assignment_id",
              "assessment_id", "agreement_id", "network_id", "member_id", "series_id", "application_id", "meeting_id",
              "project_id", "follow_up_id")


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_causes_a_server_error(app, make_user, reference, value):
    client = app.test_client()
    login(client, make_user(*ROLES))
    token = csrf_token(client)
    for rule in app.url_map.iter_rules():
        if rule.arguments - {"user_id", "unit_id", "region_id", "token_id",
                             "partner_id", "job_id", "message_id", "token",
                             "contact_id", "upload_id",
                             "role_id", "keyword_id", "key", *PEOPLE_IDS} or rule.endpoint == "auth.logout":
            continue
        url = rule.rule.replace("<int:user_id>", "1").replace("<int:unit_id>", "1") \
            .replace("<int:region_id>", "1").replace("<int:token_id>", "1") \
            .replace("<int:partner_id>", "1") \
            .replace("<int:job_id>", "1").replace("<int:message_id>", "1").replace("<token>", "x") \
            .replace("<int:contact_id>", "1").replace("<upload_id>", "0" * 32) \
            .replace("<int:role_id>", "1").replace("<int:keyword_id>", "1").replace("<key>", "20260310T1000")
        for name in PEOPLE_IDS:
            url = url.replace(f"<int:{name}>", "1")
        if "GET" in (rule.methods or ()):
            response = client.get(url, query_string={f: value for f in ("q", "page", "from", "to", "actor",
                                                                       "object_type", "role", "active", "next",
                                                                       "kind", "limit", "per_page", "category",
                                                                       "region", "theme", "level", "partner_id",
                                                                       "unit", "keyword", "centre", "view",
                                                                       "month", "scope", "network", "mine",
                                                                       "cadence", "partner")})
            response.close()
            assert response.status_code < 500, f"GET {url} with {value!r}"
        if "POST" in (rule.methods or ()):
            data = {f: value for f in FIELDS}
            data["csrf_token"] = token
            response = client.post(url, data=data)
            response.close()
            assert response.status_code < 500, f"POST {url} with {value!r}"
            if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
                login(client, make_user(*ROLES))  # e.g. a password change ended this session
                token = csrf_token(client)
