"""The directory API: search, partners, contacts and the public directory; bearer tokens; query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.auth.services import create_api_token
from registry.core.models import User
from registry.directory import services
from registry.directory.models import (
    Contact,
    ContactKind,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
)
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.directory import conftest as directory_fixtures

make_partner = directory_fixtures.make_partner  # the directory factories, shared with tests/directory
make_contact = directory_fixtures.make_contact


@pytest.fixture
def bearer(app, make_user):
    """Authorization headers with a fresh API token of a staff user."""
    user = make_user("staff")
    with app.app_context():
        _token, plain = create_api_token(db.session.get(User, user.id), "test")
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def directory(app, reference, make_partner, make_contact):
    ids = {
        "kokemus": make_partner("Kokemusasiantuntijat ry", regions=("PIR",), themes=("substance_mental",),
                                business_id="0116297-6", name_sv="Erfarenhetsexperterna rf"),
        "hml": make_partner("Hämeenlinnan kaupunki", category=PartnerCategory.MUNICIPALITY,
                            level=PartnerLevel.LOCAL, regions=("KAH",)),
        "old": make_partner("Lakannut yhdistys ry", active=False),
    }
    ids["maija"] = make_contact("Maija Meikäläinen", partner_id=ids["kokemus"], title="Kokemusasiantuntija",
                                email="maija@kokemus.example", phone="040 123 4567", mobile="050 765 4321",
                                keywords=("vertaistuki",), public=True, notes="Ei julkinen huomautus")
    ids["box"] = make_contact("Kokemustoiminnan postilaatikko", partner_id=ids["kokemus"],
                              kind=ContactKind.MAILBOX, email="info@kokemus.example", public=True)
    ids["secret"] = make_contact("Salainen Sami", partner_id=ids["kokemus"], email="sami@kokemus.example")
    ids["gone"] = make_contact("Entinen Eero", partner_id=ids["hml"], public=True, active=False)
    ids["rise"] = make_contact("Riitta Rise", unit="PROJ", title="Projektipäällikkö", public=True)
    ids["closed"] = make_contact("Piilo Pirjo", partner_id=ids["old"], public=True)  # the partner is inactive
    with app.app_context():
        rise = db.session.get(Contact, ids["rise"])
        partner = db.session.get(Partner, ids["kokemus"])
        services.add_liaison_role(rise, subject=LiaisonSubject.PARTNER, side=LiaisonSide.RISE, partner=partner,
                                  valid_from=helsinki_today() - timedelta(days=30))
        services.add_liaison_role(rise, subject=LiaisonSubject.PARTNER, side=LiaisonSide.RISE, partner=partner,
                                  valid_from=date(2020, 1, 1), valid_to=date(2021, 1, 1))
        db.session.commit()
    return ids


# --- search -----------------------------------------------------------------------------------------


def test_search_with_a_bearer_token(app, directory, bearer):
    response = app.test_client().get("/api/v1/search", query_string={"q": "asiantuntija"}, headers=bearer)
    assert response.status_code == 200
    results = response.json["results"]
    assert {(r["type"], r["title"]) for r in results} >= {("partner", "Kokemusasiantuntijat ry"),
                                                         ("contact", "Maija Meikäläinen")}
    assert all(set(r) >= {"type", "id", "title", "url"} for r in results)
    partner = next(r for r in results if r["type"] == "partner")
    assert partner["id"] == directory["kokemus"] and partner["url"].endswith(f"/partners/{directory['kokemus']}")
    assert response.json["total"] == len(results)


def test_search_limit(app, directory, bearer):
    client = app.test_client()
    assert len(client.get("/api/v1/search?q=a&limit=1", headers=bearer).json["results"]) == 1
    assert client.get("/api/v1/search?q=a&limit=1", headers=bearer).json["total"] > 1
    for bad in ("0", "101", "x", "-1", "1.5", "99999999999999999999"):
        response = client.get("/api/v1/search", query_string={"q": "a", "limit": bad}, headers=bearer)
        assert response.status_code == 400 and "limit" in response.json["message"], bad
    assert client.get("/api/v1/search?q=a&limit=100", headers=bearer).status_code == 200
    only = client.get("/api/v1/search?q=kokemus&kind=contact", headers=bearer).json["results"]
    assert only and {r["type"] for r in only} == {"contact"}
    assert client.get("/api/v1/search?q=a&kind=nope", headers=bearer).status_code == 400
    assert client.get("/api/v1/search", headers=bearer).json["results"] == []


def test_search_only_finds_active_records(app, directory, bearer):
    titles = [r["title"] for r in app.test_client().get("/api/v1/search?q=lakannut", headers=bearer)
              .json["results"]]
    assert titles == []


def test_the_api_needs_sign_in_except_the_public_directory(app, directory):
    client = app.test_client()
    for url in ("/api/v1/search?q=a", "/api/v1/partners", f"/api/v1/partners/{directory['kokemus']}",
                "/api/v1/contacts"):
        response = client.get(url)
        assert response.status_code == 401 and response.json["error"] == "unauthorized", url
    assert client.get("/api/v1/partners", headers={"Authorization": "Bearer rr_wrong"}).status_code == 401
    assert client.get("/api/v1/public/contacts").status_code == 200


def test_session_sign_in_works_too(app, directory, client_as):
    client = client_as("director")
    assert client.get("/api/v1/partners").status_code == 200
    assert client.get("/api/v1/search?q=hameenlinna").json["results"][0]["title"] == "Hämeenlinnan kaupunki"


# --- partners ---------------------------------------------------------------------------------------


def test_partner_list_filters_and_pages(app, directory, bearer):
    client = app.test_client()

    def names(**query):
        response = client.get("/api/v1/partners", query_string=query, headers=bearer)
        assert response.status_code == 200, response.json
        return [p["name"]["fi"] for p in response.json["items"]]

    assert names() == ["Hämeenlinnan kaupunki", "Kokemusasiantuntijat ry", "Lakannut yhdistys ry"]
    assert names(category="municipality") == ["Hämeenlinnan kaupunki"]
    assert names(region="PIR") == ["Kokemusasiantuntijat ry"]
    assert names(theme="substance_mental") == ["Kokemusasiantuntijat ry"]
    assert names(level="local") == ["Hämeenlinnan kaupunki"]
    assert names(active="false") == ["Lakannut yhdistys ry"]
    assert names(active="true", region="KAH") == ["Hämeenlinnan kaupunki"]
    assert names(region="NOPE") == []
    page = client.get("/api/v1/partners?per_page=2&page=2", headers=bearer).json
    assert page["total"] == 3 and page["pages"] == 2 and page["page"] == 2 and len(page["items"]) == 1
    item = client.get("/api/v1/partners?region=PIR", headers=bearer).json["items"][0]
    assert item["business_id"] == "0116297-6" and item["regions"] == ["PIR"]
    assert item["themes"] == ["substance_mental"] and item["category"] == "association"
    assert item["name"]["sv"] == "Erfarenhetsexperterna rf"
    for bad in ({"per_page": "101"}, {"per_page": "0"}, {"page": "0"}, {"page": "x"}, {"category": "x"},
                {"level": "x"}, {"active": "maybe"}, {"page": "99999999999999999999"}):
        response = client.get("/api/v1/partners", query_string=bad, headers=bearer)
        assert response.status_code == 400 and response.json["message"], bad


def test_partner_list_query_count_does_not_grow_with_page_size(app, reference, make_partner, bearer, count_queries):
    for n in range(30):
        make_partner(f"Kumppani {n:02d} ry", regions=("PIR", "KAH"), themes=("housing",))
    client = app.test_client()
    counts = []
    for per_page in (2, 10, 30):
        with count_queries() as statements:
            response = client.get(f"/api/v1/partners?per_page={per_page}", headers=bearer)
        assert response.status_code == 200 and len(response.json["items"]) == per_page
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts
    with count_queries() as statements:
        assert client.get("/api/v1/contacts?per_page=50", headers=bearer).status_code == 200
    few = len(statements)
    with count_queries() as statements:
        assert client.get("/api/v1/contacts?per_page=1", headers=bearer).status_code == 200
    assert len(statements) == few


def test_partner_detail_has_contacts_and_current_liaisons(app, directory, bearer):
    client = app.test_client()
    data = client.get(f"/api/v1/partners/{directory['kokemus']}", headers=bearer).json
    assert data["name"]["fi"] == "Kokemusasiantuntijat ry"
    assert {c["name"] for c in data["contacts"]} == {"Maija Meikäläinen", "Kokemustoiminnan postilaatikko",
                                                     "Salainen Sami"}
    assert len(data["liaisons"]) == 1  # the role that ended in 2021 is history
    role = data["liaisons"][0]
    assert role["contact_name"] == "Riitta Rise" and role["side"] == "rise" and role["subject"] == "partner"
    assert [c["name"] for c in data["rise_contacts"]] == ["Riitta Rise"]
    maija = next(c for c in data["contacts"] if c["name"] == "Maija Meikäläinen")
    assert maija["phone"] == {"e164": "+358401234567", "display": maija["phone"]["display"]}
    assert maija["phone"]["display"].replace(" ", "") == "0401234567"
    assert maija["keywords"] == ["vertaistuki"] and maija["organisation"]["type"] == "partner"
    assert client.get("/api/v1/partners/999999", headers=bearer).status_code == 404
    huge = client.get("/api/v1/partners/99999999999999999999", headers=bearer)
    assert huge.status_code == 404 and huge.json["status"] == 404


# --- contacts ---------------------------------------------------------------------------------------


def test_contact_list_filters(app, directory, bearer):
    client = app.test_client()

    def names(**query):
        response = client.get("/api/v1/contacts", query_string=query, headers=bearer)
        assert response.status_code == 200, response.json
        return [c["name"] for c in response.json["items"]]

    assert len(names()) == 6
    assert names(partner_id=directory["hml"]) == ["Entinen Eero"]
    assert names(unit="PROJ") == ["Riitta Rise"]
    assert names(keyword="Vertaistuki") == ["Maija Meikäläinen"]
    assert names(active="false") == ["Entinen Eero"]
    assert names(unit="NOPE") == [] and names(keyword="nope") == []
    for bad in ({"partner_id": "x"}, {"partner_id": "0"}, {"partner_id": "99999999999999999999"},
                {"per_page": "1000"}):
        assert client.get("/api/v1/contacts", query_string=bad, headers=bearer).status_code == 400, bad
    riitta = client.get("/api/v1/contacts?unit=PROJ", headers=bearer).json["items"][0]
    assert riitta["organisation"]["code"] == "PROJ" and riitta["organisation"]["type"] == "unit"


# --- the public directory ---------------------------------------------------------------------------


def test_public_directory_returns_only_public_active_contacts(app, directory):
    client = app.test_client()
    data = client.get("/api/v1/public/contacts").json
    names = [c["name"] for c in data["items"]]
    assert names == ["Kokemustoiminnan postilaatikko", "Maija Meikäläinen", "Riitta Rise"]
    assert data["total"] == 3
    maija = data["items"][1]
    assert set(maija) == {"id", "kind", "name", "title", "email", "phone", "organisation", "keywords"}
    assert maija["phone"]["e164"] == "+358401234567" and maija["keywords"] == ["vertaistuki"]
    assert maija["organisation"]["name"]["fi"] == "Kokemusasiantuntijat ry"
    assert data["items"][0]["kind"] == "mailbox"
    body = client.get("/api/v1/public/contacts").get_data(as_text=True)
    for hidden in ("Salainen", "Entinen", "Piilo", "huomautus", "0507654321"):
        assert hidden not in body


def test_public_directory_search(app, directory):
    client = app.test_client()

    def names(q):
        return [c["name"] for c in client.get("/api/v1/public/contacts", query_string={"q": q}).json["items"]]

    assert names("kokemus") == ["Kokemustoiminnan postilaatikko", "Maija Meikäläinen"] or \
        set(names("kokemus")) == {"Kokemustoiminnan postilaatikko", "Maija Meikäläinen"}
    assert names("salainen") == [] and names("entinen") == [] and names("piilo") == []
    assert names("projektipaallikko") == ["Riitta Rise"]
    assert names("😀") == []
    paged = client.get("/api/v1/public/contacts?q=kokemus&per_page=1&page=2").json
    assert paged["total"] == 2 and len(paged["items"]) == 1 and paged["pages"] == 2
    assert client.get("/api/v1/public/contacts?per_page=500").status_code == 400


def test_a_contact_made_private_leaves_the_public_directory(app, directory):
    with app.app_context():
        db.session.scalar(select(Contact).where(Contact.name == "Maija Meikäläinen")).public = False
        db.session.commit()
    client = app.test_client()
    assert "Maija" not in client.get("/api/v1/public/contacts").get_data(as_text=True)
    assert "Maija" not in client.get("/api/v1/public/contacts?q=maija").get_data(as_text=True)


def test_openapi_describes_the_directory_api(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    for path in ("/search", "/partners", "/partners/{partner_id}", "/contacts", "/public/contacts"):
        assert path in doc["paths"], path
    assert doc["paths"]["/public/contacts"]["get"]["security"] == []
    params = {p["name"] for p in doc["paths"]["/partners"]["get"]["parameters"]}
    assert params == {"page", "per_page", "category", "region", "theme", "level", "active"}
    assert {"Partner", "Contact", "PublicContact", "SearchResult"} <= set(doc["components"]["schemas"])
