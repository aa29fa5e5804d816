"""The networks and meetings API: list filters and pages, one network with members, liaisons and series, the
meetings of a date range (recurrence expanded, Helsinki times with their offset), 400s naming the parameter,
and the OpenAPI description."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from registry.auth.services import create_api_token
from registry.core.models import User
from registry.extensions import db
from registry.meetings import series_services
from registry.meetings.models import MeetingSeries, NetworkEvaluation


@pytest.fixture
def bearer(app: Any, make_user: Any) -> dict[str, str]:
    """Authorization headers with a fresh API token of a staff user."""
    user = make_user("staff", unit="ESRSK")
    with app.app_context():
        _token, plain = create_api_token(db.session.get(User, user.id), "test")
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def networks(app: Any, make_network: Any, make_series: Any, make_partner: Any, make_contact: Any) -> dict[str, int]:
    partner = make_partner("Kriminaalihuollon tukisäätiö")
    liaison = make_contact("Liisa Yhdyshenkilö", partner_id=partner, email="liisa@example.org", title="Johtaja")
    housing = make_network("Asunnottomuustyön verkosto", theme="housing", members=[(partner, liaison)])
    national = make_network("Syyttäjäyhteistyö", level="national", theme="criminal_justice", cadence="yearly")
    western = make_network("Länsi-Suomen päihdeverkosto", centre_code="LSRSK", theme="substance_mental",
                           active=False)
    quarterly = make_series(housing, "Neljännesvuosikokous", starts_at=datetime(2026, 2, 10, 10),
                            rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU", location="Sali 1")
    single = make_series(national, "Vuosikokous", starts_at=datetime(2026, 10, 27, 9))
    with app.app_context():
        series = db.session.get(MeetingSeries, quarterly)
        series_services.cancel_occurrence(series, datetime(2026, 5, 12, 10))
        series_services.move_occurrence(series, datetime(2026, 8, 11, 10), {"starts_at": datetime(2026, 8, 12, 13)})
        db.session.add(NetworkEvaluation(network_id=housing, year=2025, goals_met="partly", results="Hyvä vuosi"))
        db.session.commit()
    return {"housing": housing, "national": national, "western": western, "quarterly": quarterly,
            "single": single, "partner": partner, "liaison": liaison}


def test_network_list_filters_and_pages(app, networks, bearer):
    client = app.test_client()
    body = client.get("/api/v1/networks", headers=bearer).json
    assert body["total"] == 3 and body["page"] == 1 and body["pages"] == 1
    names = [n["name"]["fi"] for n in body["items"]]
    assert names == sorted(names, key=str.lower)
    housing = next(n for n in body["items"] if n["id"] == networks["housing"])
    assert housing["level"] == "centre" and housing["centre"]["code"] == "ESRSK"
    assert housing["theme"]["code"] == "housing" and housing["convenor_unit"]["code"] == "ESRSK"
    assert housing["member_count"] == 1 and housing["url"] == f"/networks/{networks['housing']}"
    assert housing["calendar_url"] == f"/networks/{networks['housing']}/calendar.ics"

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/networks?{query}", headers=bearer)
        assert response.status_code == 200, response.json
        return {n["id"] for n in response.json["items"]}

    assert ids("level=national") == {networks["national"]}
    assert ids("theme=housing") == {networks["housing"]}
    assert ids("centre=LSRSK") == {networks["western"]}
    assert ids("active=false") == {networks["western"]}
    assert ids("active=true") == {networks["housing"], networks["national"]}
    page = client.get("/api/v1/networks?per_page=2&page=2", headers=bearer).json
    assert page["pages"] == 2 and len(page["items"]) == 1
    for query, name in [("level=regional", "level"), ("theme=nope", "theme"), ("centre=ESRSKX", "centre"),
                        ("page=0", "page"), ("per_page=1000", "per_page"), ("active=maybe", "active")]:
        response = client.get(f"/api/v1/networks?{query}", headers=bearer)
        assert response.status_code == 400 and name in response.json["message"], query


def test_one_network_with_members_liaisons_series_and_evaluations(app, networks, bearer):
    client = app.test_client()
    body = client.get(f"/api/v1/networks/{networks['housing']}", headers=bearer).json
    (member,) = body["members"]
    assert member["partner"] == {"id": networks["partner"], "name": {"fi": "Kriminaalihuollon tukisäätiö",
                                                                      "sv": None, "en": None}}
    assert member["liaison"] == {"id": networks["liaison"], "name": "Liisa Yhdyshenkilö", "title": "Johtaja",
                                 "email": "liisa@example.org", "partner_id": networks["partner"]}
    (series,) = body["series"]
    assert series["rrule"] == "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU"
    assert series["starts_at"] == "2026-02-10T10:00:00+02:00" and series["duration_minutes"] == 60
    assert series["sequence"] > 0 and series["location"] == "Sali 1"
    assert series["calendar_url"] == f"/series/{networks['quarterly']}/calendar.ics"
    assert body["evaluations"] == [{"year": 2025, "goals_met": "partly", "results": "Hyvä vuosi", "changes": None}]
    assert client.get("/api/v1/networks/999999", headers=bearer).status_code == 404
    assert client.get("/api/v1/networks/99999999999", headers=bearer).status_code == 404


def test_meetings_are_expanded_with_cancellations_and_moves(app, networks, bearer):
    client = app.test_client()
    body = client.get("/api/v1/meetings?from=2026-01-01&to=2026-12-31", headers=bearer).json
    assert body["from"] == "2026-01-01" and body["to"] == "2026-12-31" and body["network"] is None
    starts = [(m["title"], m["starts_at"], m["status"], m["moved"]) for m in body["items"]]
    assert starts == [
        ("Neljännesvuosikokous", "2026-02-10T10:00:00+02:00", "scheduled", False),
        ("Neljännesvuosikokous", "2026-05-12T10:00:00+03:00", "cancelled", False),
        ("Neljännesvuosikokous", "2026-08-12T13:00:00+03:00", "scheduled", True),
        ("Vuosikokous", "2026-10-27T09:00:00+02:00", "scheduled", False),  # after the DST change: +02:00
        ("Neljännesvuosikokous", "2026-11-10T10:00:00+02:00", "scheduled", False),
    ]
    assert body["count"] == 5
    moved = body["items"][2]
    assert moved["key"] == "20260811T1000" and moved["recurrence_id"] == "2026-08-11T10:00:00+03:00"
    assert moved["ends_at"] == "2026-08-12T14:00:00+03:00"
    assert moved["url"] == f"/series/{networks['quarterly']}/occurrences/20260811T1000"
    assert moved["invitation_url"].endswith("/occurrences/20260811T1000/invitation.ics")
    scheduled = client.get("/api/v1/meetings?from=2026-01-01&to=2026-12-31&include_cancelled=false",
                           headers=bearer).json
    assert [m["status"] for m in scheduled["items"]] == ["scheduled"] * 4
    only = client.get(f"/api/v1/meetings?from=2026-01-01&to=2026-12-31&network={networks['national']}",
                      headers=bearer).json
    assert [m["title"] for m in only["items"]] == ["Vuosikokous"] and only["network"] == networks["national"]
    # `to` is inclusive; a one-day range
    day = client.get("/api/v1/meetings?from=2026-08-12&to=2026-08-12", headers=bearer).json
    assert [m["key"] for m in day["items"]] == ["20260811T1000"]


def test_mine_lists_the_callers_networks(app, networks, client_as):
    client = client_as("staff", unit="LSRSK")  # no network in scope, follows none
    assert client.get("/api/v1/meetings?from=2026-01-01&to=2026-12-31&mine=true").json["items"] == []
    director = client_as("director", unit="ESRSK")  # the housing network is in the centre's scope
    titles = {m["title"] for m in director.get("/api/v1/meetings?from=2026-01-01&to=2026-12-31&mine=true").json[
        "items"]}
    assert titles == {"Neljännesvuosikokous"}


@pytest.mark.parametrize(("query", "name"), [
    ("from=2026-13-01", "from"), ("from=1.1.2026", "from"), ("from=20260101", "from"), ("to=tomorrow", "to"),
    ("from=2026-02-01&to=2026-01-31", "to"), ("from=2026-01-01&to=2028-01-05", "to"), ("network=abc", "network"),
    ("network=0", "network"), ("network=999999", "network"), ("network=99999999999", "network"),
    ("mine=perhaps", "mine"), ("include_cancelled=2", "include_cancelled"),
])
def test_bad_meeting_parameters_are_400_naming_the_parameter(app, networks, bearer, query, name):
    response = app.test_client().get(f"/api/v1/meetings?{query}", headers=bearer)
    assert response.status_code == 400
    assert response.json["status"] == 400 and name in response.json["message"]


def test_default_window_and_limits(app, networks, bearer):
    client = app.test_client()
    body = client.get("/api/v1/meetings", headers=bearer).json
    first, last = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    assert (last - first).days == 31
    assert client.get("/api/v1/meetings?from=2026-01-01&to=2028-01-03", headers=bearer).status_code == 200
    assert client.get("/api/v1/meetings").status_code == 401  # the API needs a token or a session


def test_openapi_documents_the_meetings_api(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    schemas = set(doc["components"]["schemas"])
    assert {"Network", "NetworkDetail", "NetworkMember", "MeetingSeries", "Meeting"} <= schemas
    params = {p["name"] for p in doc["paths"]["/meetings"]["get"]["parameters"]}
    assert {"from", "to", "network", "mine", "include_cancelled"} <= params
    assert {p["name"] for p in doc["paths"]["/networks"]["get"]["parameters"]} >= {"theme", "level", "centre",
                                                                                 "page", "per_page"}
    assert "/networks/{network_id}" in doc["paths"]
    refs = {ref.split("/")[-1] for ref in _refs(doc)}
    assert refs <= set(doc["components"]["schemas"]), refs - set(doc["components"]["schemas"])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_meetings_api_query_count_does_not_grow_with_the_series(app, make_network, make_series, bearer,
                                                                 count_queries):
    network = make_network()

    def run() -> int:
        with count_queries() as statements:
            response = app.test_client().get(f"/api/v1/meetings?from=2026-01-01&to=2026-12-31&network={network}",
                                             headers=bearer)
            assert response.status_code == 200
        return len(statements)

    make_series(network, "Yksi", rrule="FREQ=WEEKLY")
    one = run()
    for n in range(4):
        make_series(network, f"Lisää {n}", rrule="FREQ=MONTHLY")
    assert run() == one
    assert json.loads(app.test_client().get("/api/v1/openapi.json").data)["openapi"] == "3.1.0"
