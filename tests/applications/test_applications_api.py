"""The applications API: the working group's paged, filtered list and one application with its checks, review
summary, statement, decision, funding and project; bad parameters answer 400, other roles 403."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from registry.applications import criteria, portfolio
from registry.applications.models import Application, Review, ReviewScore
from registry.core.models import utcnow
from registry.extensions import db


@pytest.fixture
def listed(make_application):
    return {
        "old": make_application("Vanha hakemus", submitted_at=datetime(2025, 3, 1, 10, tzinfo=UTC),
                                status="rejected", funder="esr"),
        # 31.12.2025 23.30 UTC is already 1.1.2026 in Helsinki: the received date is the Finnish day.
        "new_year": make_application("Uudenvuoden hakemus", submitted_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
        "company": make_application("Henkilöstöpalvelut", submitted_at=datetime(2026, 2, 1, 9, tzinfo=UTC),
                                    applicant_form="company", organisation_name="Vartija Oy", business_id=None),
    }


def test_list_shape_order_and_filters(app, client_as, listed):
    client = client_as("working_group")
    response = client.get("/api/v1/applications")
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 3 and data["page"] == 1 and data["per_page"] == 20 and data["pages"] == 1
    assert [i["project_name"] for i in data["items"]] == ["Henkilöstöpalvelut", "Uudenvuoden hakemus",
                                                          "Vanha hakemus"]  # newest first
    item = data["items"][0]
    assert set(item) == {"id", "reference", "status", "received_at", "source", "language", "organisation",
                         "project_name", "funder", "funder_other", "funding_round", "planned_start", "planned_end",
                         "units", "statement", "url"}
    assert item["organisation"] == {"name": "Vartija Oy", "business_id": None, "applicant_form": "company",
                                    "partner_id": None}
    assert item["units"] == ["HELV"] and item["url"] == f"/applications/{listed['company']}"
    assert "access_key" not in response.get_data(as_text=True)

    def names(query: str) -> list[str]:
        result = client.get(f"/api/v1/applications?{query}")
        assert result.status_code == 200, result.get_json()
        return [i["project_name"] for i in result.get_json()["items"]]

    assert names("status=rejected") == ["Vanha hakemus"]
    assert names("funder=esr") == ["Vanha hakemus"]
    assert names("received_from=2026-01-01") == ["Henkilöstöpalvelut", "Uudenvuoden hakemus"]
    assert names("received_to=2025-12-31") == ["Vanha hakemus"]
    assert names("received_from=2026-01-01&received_to=2026-01-01") == ["Uudenvuoden hakemus"]
    assert names("q=vartija") == ["Henkilöstöpalvelut"]
    paged = client.get("/api/v1/applications?per_page=2&page=2").get_json()
    assert paged["total"] == 3 and paged["pages"] == 2 and [i["project_name"] for i in paged["items"]] == \
        ["Vanha hakemus"]


@pytest.mark.parametrize("query", ["status=bogus", "funder=steaa", "received_from=2026-13-01",
                                   "received_from=1.1.2026", "received_to=20260101", "per_page=0",
                                   "per_page=101", "page=abc", "received_from=2026-02-01&received_to=2026-01-01"])
def test_bad_parameters_answer_400(app, client_as, listed, query):
    response = client_as("working_group").get(f"/api/v1/applications?{query}")
    assert response.status_code == 400, query
    assert response.is_json and response.get_json()["status"] == 400 and response.get_json()["message"]


def test_only_the_working_group(app, client_as, listed, make_user):
    for roles in (("staff",), ("admin",), ("director",), ("coordinator",)):
        client = client_as(*roles)
        assert client.get("/api/v1/applications").status_code == 403, roles
        assert client.get(f"/api/v1/applications/{listed['old']}").status_code == 403, roles
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/applications").status_code == 401
    # A bearer token of a working-group member works like the session.
    member = make_user("working_group")
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", member.email])
    token = result.output.strip().splitlines()[-1]
    assert app.test_client().get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"}
                                 ).status_code == 200


def test_detail_has_checks_review_summary_statement_and_project(app, client_as, make_application, make_user):
    today = date(2026, 3, 1)
    reviewers = [make_user("working_group") for _ in range(3)]
    aid = make_application("Asumispolku", status="funding_decided", statement="favourable",
                           statement_justification="Tarve on selvä.", decision_by="Kehittämisjohtaja",
                           decision_on=date(2026, 1, 20), decision_outcome="Hyväksytty", funding_outcome="granted",
                           funding_decided_on=date(2026, 2, 1), planned_start=date(2026, 2, 15),
                           planned_end=date(2027, 12, 31), dnro="VN/123/2026", prison_work=True)
    company = make_application("Henkilöstöpalvelut", applicant_form="company", business_id=None)
    with app.app_context():
        version = criteria.current_version()
        for n, user in enumerate(reviewers):
            review = Review(application_id=aid, reviewer_id=user.id, criteria_version_id=version.id,
                            submitted_at=utcnow() if n < 2 else None)
            review.scores = [ReviewScore(criterion_id=c.id, score=c.scale_max - n) for c in version.criteria]
            db.session.add(review)
        portfolio.add_from_application(db.session.get(Application, aid), today=today)
        db.session.commit()
        project_id = db.session.get(Application, aid).project.id
    client = client_as("working_group")
    data = client.get(f"/api/v1/applications/{aid}").get_json()
    assert data["reference"] and data["dnro"] == "VN/123/2026" and data["prison_work"] is True
    assert data["contact"]["email"] == "maija.meikalainen@example.org"
    assert data["unit_details"][0]["code"] == "HELV" and data["unit_details"][0]["name"]["fi"] == "Helsingin vankila"
    assert data["eligible"] is True
    checks = {c["code"]: c for c in data["checks"]}
    assert checks["prison_work"]["outcome"] == "attention" and checks["prison_work"]["rule"]
    assert data["reviews"] == {"assigned": 0, "submitted": 2}  # the draft does not count
    summary = data["review_summary"]
    assert summary["review_count"] == 2 and 0 < summary["total"] <= 100
    assert {c["code"] for c in summary["groups"][0]["criteria"]} == {c.code for c in _criteria(app)}
    assert data["statement"] == "favourable" and data["statement_details"]["justification"] == "Tarve on selvä."
    assert data["decision"] == {"by": "Kehittämisjohtaja", "on": "2026-01-20", "outcome": "Hyväksytty"}
    assert data["funding"]["outcome"] == "granted" and data["funding"]["decided_on"] == "2026-02-01"
    assert data["project"] == {"id": project_id, "status": "running", "next_follow_up_on": "2026-08-15",
                               "url": f"/portfolio/{project_id}"}
    assert "access_key" not in data

    other = client.get(f"/api/v1/applications/{company}").get_json()
    assert other["eligible"] is False and other["review_summary"] is None and other["project"] is None
    assert {c["code"]: c["outcome"] for c in other["checks"]}["applicant_eligibility"] == "fail"
    assert client.get("/api/v1/applications/999999").status_code == 404
    assert client.get("/api/v1/applications/99999999999").status_code == 404


def _criteria(app):
    with app.app_context():
        found = list(criteria.current_version().criteria)
        db.session.expunge_all()
        return found


def test_openapi_documents_the_applications_api(app, client_as):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    listing = document["paths"]["/applications"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"status", "funder", "received_from", "received_to",
                                                         "page", "per_page"}
    assert set(listing["responses"]) >= {"200", "400", "401", "403"}
    assert "404" in document["paths"]["/applications/{application_id}"]["get"]["responses"]
    schemas = document["components"]["schemas"]
    assert {"Application", "ApplicationDetail", "ApplicationCheck"} <= set(schemas)
    assert "received_at" in schemas["Application"]["properties"]
