"""The agreement API: the list's filters and pages, one agreement with its computed deadlines, relations,
liaisons and documents, and the OpenAPI description."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from registry.agreements.demo import demo_pdf
from registry.agreements.models import Agreement, RelationKind
from registry.auth.services import create_api_token
from registry.core.models import User
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post


@pytest.fixture
def bearer(app, make_user):
    """Authorization headers with a fresh API token of a staff user."""
    user = make_user("staff")
    with app.app_context():
        _token, plain = create_api_token(db.session.get(User, user.id), "test")
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def agreements(make_agreement):
    today = helsinki_today()
    ids = {
        "national": make_agreement("Kelan valtakunnallinen yhteistyömalli", level="national", owner="RISE-ASPR",
                                   status="in_force", valid_from=today - timedelta(days=900)),
        "soon": make_agreement("Kelan Etelän vakuutuspiiri", status="in_force", centres=("ESRSK", "LSRSK"),
                               counterpart="kela_district", valid_from=today - timedelta(days=400),
                               valid_until=today + timedelta(days=25), notice_months=3, lead_time_days=14,
                               dnro="ESRSK/12/2024", with_liaisons=True),
        "later": make_agreement("Poliisiyhteistyö Lounais-Suomi", status="in_force", centres=("LSRSK",),
                                counterpart="police", valid_from=today - timedelta(days=30),
                                valid_until=today + timedelta(days=200), review_interval_months=12),
        "planned": make_agreement("Vankilaopetus Itä-Suomi", status="planned", centres=("IPRSK",),
                                  level="regional"),
        "local": make_agreement("Sijoitussopimus Helsingin vankila", status="expired", level="local",
                                owner="HELV", centres=("ESRSK",), valid_until=today - timedelta(days=5)),
    }
    return ids


def _names(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["name"]["fi"] for item in response.json["items"]]


def test_list_filters_and_pages(app, agreements, bearer):
    client = app.test_client()
    everything = client.get("/api/v1/agreements", headers=bearer)
    assert everything.json["total"] == 5 and everything.json["page"] == 1
    assert _names(client.get("/api/v1/agreements?status=in_force&level=regional", headers=bearer)) == [
        "Kelan Etelän vakuutuspiiri", "Poliisiyhteistyö Lounais-Suomi"]
    assert _names(client.get("/api/v1/agreements?centre=LSRSK", headers=bearer)) == [
        "Kelan Etelän vakuutuspiiri", "Poliisiyhteistyö Lounais-Suomi"]
    assert _names(client.get("/api/v1/agreements?expiring_within_days=30", headers=bearer)) == [
        "Kelan Etelän vakuutuspiiri"]
    assert _names(client.get("/api/v1/agreements?expiring_within_days=365&centre=LSRSK", headers=bearer)) == [
        "Kelan Etelän vakuutuspiiri", "Poliisiyhteistyö Lounais-Suomi"]
    assert _names(client.get("/api/v1/agreements?level=local", headers=bearer)) == [
        "Sijoitussopimus Helsingin vankila"]
    paged = client.get("/api/v1/agreements?per_page=2&page=3", headers=bearer).json
    assert (paged["total"], paged["pages"], len(paged["items"])) == (5, 3, 1)

    for query in ("status=valid", "level=global", "centre=HELV", "expiring_within_days=-1",
                  "expiring_within_days=abc", "page=0", "per_page=1000"):
        bad = client.get(f"/api/v1/agreements?{query}", headers=bearer)
        assert bad.status_code == 400 and bad.json["status"] == 400 and bad.json["message"], query
    assert client.get("/api/v1/agreements").status_code == 401


def test_list_items_have_the_computed_deadlines(app, agreements, bearer):
    items = {i["id"]: i for i in app.test_client().get("/api/v1/agreements", headers=bearer).json["items"]}
    soon = items[agreements["soon"]]
    until = helsinki_today() + timedelta(days=25)
    notice = until - relativedelta(months=3)
    assert soon["valid_until"] == until.isoformat()
    assert soon["deadlines"] == {"notice": notice.isoformat(), "decision": (notice - timedelta(days=14)).isoformat(),
                                 "review": None}
    assert soon["centres"] == ["ESRSK", "LSRSK"] and soon["counterpart_kind"] == "kela_district"
    assert soon["owner_unit"]["code"] == "ESRSK" and soon["status"] == "in_force"
    assert soon["url"] == f"/agreements/{agreements['soon']}"
    later = items[agreements["later"]]
    review = date.fromisoformat(later["deadlines"]["review"])
    assert helsinki_today() <= review and later["deadlines"]["notice"] is None


def test_list_query_count_does_not_grow_with_page_size(app, make_agreement, bearer, count_queries):
    for n in range(12):
        make_agreement(f"Sopimus {n:02d}", centres=("ESRSK",), with_liaisons=n % 2 == 0)
    client = app.test_client()
    with count_queries() as small:
        assert client.get("/api/v1/agreements?per_page=2", headers=bearer).status_code == 200
    with count_queries() as large:
        assert client.get("/api/v1/agreements?per_page=12", headers=bearer).status_code == 200
    assert len(large) == len(small)


def test_one_agreement_with_relations_liaisons_and_documents(app, agreements, make_agreement, client_as, tmp_path):
    app.config["DOCUMENT_FOLDER"] = str(tmp_path)
    with app.app_context():
        regional = db.session.get(Agreement, agreements["soon"])
        regional.parent_id = agreements["national"]
        db.session.commit()
    amendment = make_agreement("Kelan Etelän vakuutuspiiri, muutos 1", status="in_force", centres=("ESRSK",),
                               amends_id=agreements["soon"], relation=RelationKind.AMENDMENT)
    director = client_as("director", unit="ESRSK")
    for title, confidential in (("Allekirjoitettu sopimus", ""), ("Hinnoitteluliite", "y")):
        response = post(director, f"/agreements/{agreements['soon']}/documents/new", {
            "role": "signed", "title": title, "confidential": confidential,
            "file": (io.BytesIO(demo_pdf(title, [])), "sopimus.pdf")}, content_type="multipart/form-data")
        assert response.status_code == 302

    staff = client_as("staff")
    data = staff.get(f"/api/v1/agreements/{agreements['soon']}").json
    assert data["name"]["fi"] == "Kelan Etelän vakuutuspiiri" and data["dnro"] == "ESRSK/12/2024"
    assert data["parent"] == {"id": agreements["national"], "name": {
        "fi": "Kelan valtakunnallinen yhteistyömalli", "sv": None, "en": None}}
    assert [(a["id"], a["relation"]) for a in data["amendments"]] == [(amendment, "amendment")]
    assert data["amends"] is None
    assert len(data["parties"]) == 1 and data["parties"][0]["name"]["fi"].startswith("Osapuoli")
    assert sorted(r["side"] for r in data["liaisons"]) == ["partner", "rise"]
    assert all(r["subject"] == "agreement" for r in data["liaisons"])
    assert all(set(t) == {"from", "to", "at", "note"} for t in data["transitions"])
    (document,) = data["documents"]  # the confidential one is not listed for staff
    assert document["title"] == "Allekirjoitettu sopimus" and document["version_no"] == 1
    assert len(document["sha256"]) == 64 and document["url"].endswith(f"/documents/{document['id']}")
    assert [d["title"] for d in director.get(f"/api/v1/agreements/{agreements['soon']}").json["documents"]] == [
        "Allekirjoitettu sopimus", "Hinnoitteluliite"]

    child = staff.get(f"/api/v1/agreements/{amendment}").json
    assert child["amends"] == {"id": agreements["soon"], "name": {"fi": "Kelan Etelän vakuutuspiiri", "sv": None,
                                                                   "en": None}, "relation": "amendment"}
    national = staff.get(f"/api/v1/agreements/{agreements['national']}").json
    assert [c["id"] for c in national["children"]] == [agreements["soon"]] and national["centres"] == []
    assert staff.get("/api/v1/agreements/999999").status_code == 404
    assert staff.get("/api/v1/agreements/99999999999").status_code == 404


def test_openapi_documents_the_agreement_api(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    params = {p["name"] for p in doc["paths"]["/agreements"]["get"]["parameters"]}
    assert {"status", "level", "centre", "expiring_within_days", "page", "per_page"} <= params
    assert "/agreements/{agreement_id}" in doc["paths"]
    assert {"Agreement", "AgreementDetail", "AgreementDocument"} <= set(doc["components"]["schemas"])
    documented = {"/api/v1" + path.replace("{", "<").replace("}", ">") for path in doc["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            plain = rule.rule.replace("<int:", "<")
            assert plain in documented, rule.rule
