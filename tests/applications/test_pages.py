"""The working group's application pages: the list with its filters and flags, one application with its checks
and duplicates, corrections, the dashboard panel and the navigation; who may see them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.applications import services
from registry.applications.models import Application
from registry.core.models import User
from registry.extensions import db
from tests.conftest import post

WORKING_GROUP_PAGES = ["/applications/", "/applications/{id}", "/applications/{id}/edit", "/applications/meetings",
                       "/applications/meetings/new", "/applications/{id}/conflict", "/applications/{id}/review",
                       "/applications/criteria", "/applications/criteria/new-version", "/applications/{id}/statement",
                       "/applications/{id}/decision", "/applications/{id}/funding"]
WORKING_GROUP_POSTS = ["/applications/{id}/status", "/applications/{id}/reviewers", "/applications/{id}/edit",
                       "/applications/meetings/new", "/applications/{id}/statement", "/applications/{id}/decision",
                       "/applications/{id}/funding", "/applications/criteria/new-version"]


@pytest.mark.parametrize("roles", [("staff",), ("director",), ("coordinator",), ("admin",)])
def test_only_the_working_group_reaches_the_pages(app, make_application, client_as, roles):
    application_id = make_application()
    client = client_as(*roles)
    for url in WORKING_GROUP_PAGES:
        assert client.get(url.format(id=application_id)).status_code == 403, url
    for url in WORKING_GROUP_POSTS:
        assert post(client, url.format(id=application_id), {"step": "rejected", "note": "x"}).status_code == 403, url
    with app.app_context():
        assert db.session.get(Application, application_id).status.value == "received"
    assert "/applications/\"" not in client.get("/").get_data(as_text=True)  # no nav item


def test_list_filters_flags_and_progress(app, english, make_application, working_group_client, make_user):
    ok_id = make_application("Asumisen tuki", funder="esr")
    bad_id = make_application("Voittoa tavoitteleva palvelu", applicant_form="company",
                              organisation_name="Voitto Oy", prison_work=True)
    member = make_user("working_group")
    with app.app_context():
        application = db.session.get(Application, ok_id)
        services.assign_reviewer(application, db.session.get(User, member.id))
        db.session.commit()
    client = working_group_client
    page = client.get("/applications/").get_data(as_text=True)
    assert "Voitto Oy" in page and "Asumisen tuki" in page and "2 applications" in page
    row = page[page.index("Voittoa tavoitteleva"):]
    row = row[:row.index("</tr>")]
    assert "Not met" in row and "badge-not_eligible" in row  # the word, not only the colour
    assert "Needs attention" in row  # prison work: security clearances
    assert "0 of 1 submitted" in page
    assert "Asumisen tuki" not in client.get("/applications/?funder=stea").get_data(as_text=True)
    assert "Voitto Oy" not in client.get("/applications/?q=asumisen").get_data(as_text=True)
    assert "No applications match" in client.get("/applications/?status=running").get_data(as_text=True)
    for junk in ("?status=%00", "?meeting=99999999999999", "?page=-4", "?q=" + "x" * 500):
        assert client.get("/applications/" + junk).status_code in (200, 400)
    assert client.get(f"/applications/{bad_id + 100}").status_code == 404


def test_list_query_count_does_not_grow_with_rows(app, make_application, working_group_client, count_queries):
    make_application("Yksi")
    working_group_client.get("/applications/")
    with count_queries() as few:
        working_group_client.get("/applications/")
    for n in range(6):
        make_application(f"Hanke {n}", units=("HELV", "ESRSK"))
    with count_queries() as many:
        working_group_client.get("/applications/")
    assert len(many) == len(few)


def test_detail_shows_checks_with_rules_and_duplicates(app, english, make_application, working_group_client):
    make_application("Vapautuvien vankien asumisen tuki", organisation_name="Ensimmäinen ry")
    company = make_application("Vapautuvien vankien asumisen tukipalvelu", applicant_form="company",
                               organisation_name="Voitto Oy", e_services=True)
    page = working_group_client.get(f"/applications/{company}").get_data(as_text=True)
    checks = page[page.index('id="checks"'):page.index('id="duplicates"')]
    assert "Not met" in checks and "8.2" in checks  # ineligible, with the policy rule
    assert "Needs attention" in checks  # e-services: the position of Rise's experts
    duplicates = page[page.index('id="duplicates"'):]
    assert "Vapautuvien vankien asumisen tuki<" in duplicates and "Ensimmäinen ry" in duplicates
    assert "Voitto Oy" in page and "Esimerkkikatu 1" in page


def test_edit_keeps_input_on_errors_and_saves(app, english, reference, make_application, working_group_client):
    application_id = make_application()
    client = working_group_client
    url = f"/applications/{application_id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="Esimerkkiyhdistys ry"' in form
    with app.app_context():
        units = [u.id for u in db.session.get(Application, application_id).units]
    data = {"organisation_name": "Korjattu ry", "applicant_form": "association", "contact_name": "Maija M",
            "contact_email": "maija@example.org", "project_name": "Korjattu hanke", "description": "Kuvaus",
            "funder": "stea", "language": "sv", "units": units, "dnro": "VN/1/2026", "business_id": "1234567-8",
            "planned_start": "2027-01-01", "planned_end": "2026-01-01"}
    bad = post(client, url, data)
    assert bad.status_code == 400 and 'value="Korjattu ry"' in bad.get_data(as_text=True)
    assert "valid business ID" in bad.get_data(as_text=True)
    data["business_id"] = "1572860-0"
    dates = post(client, url, data)
    assert dates.status_code == 400
    assert "The end date must not be before the start date." in dates.get_data(as_text=True)
    data["planned_end"] = "2028-01-01"
    no_units = post(client, url, {**data, "units": []})
    assert no_units.status_code == 400 and "Choose at least one Rise unit" in no_units.get_data(as_text=True)
    assert post(client, url, data).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert (application.organisation_name, application.dnro, application.language) == \
            ("Korjattu ry", "VN/1/2026", "sv")


def test_dashboard_panel_and_navigation(app, english, make_application, client_as):
    received = make_application("Uusi hakemus")
    in_review = make_application("Arvioitava hakemus", status="in_review")
    client = client_as("working_group")
    with app.app_context():
        services.assign_reviewer(db.session.get(Application, in_review), db.session.get(User, client.user.id))
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'href="/applications/"' in page  # the nav item
    panel = page[page.index('id="applications-title"'):]
    assert "Uusi hakemus" in panel and "Arvioitava hakemus" in panel
    assert f"/applications/{received}" in panel
    other = client_as("director").get("/").get_data(as_text=True)
    assert 'href="/applications/"' not in other and 'id="applications-title"' not in other
    with app.app_context():
        assert db.session.scalar(select(Application.status).where(Application.id == received)).value == "received"


HOSTILE = ["", " ", "x" * 5000, "'; DROP TABLE application; --", "<script>alert(1)</script>", "-1",
           "99999999999999999999", "1.5", "2026-02-31", "%00", "[]"]
FIELDS = ["step", "note", "user", "conflict", "explanation", "comment", "version", "action", "held_on", "title",
          "notes", "applications", "application", "kind", "justification", "conditions", "meeting", "signatory_name",
          "signatory_title", "language", "decided_by", "decided_on", "outcome", "amount", "unit", "responsible",
          "dnro", "units", "themes", "organisation_name", "business_id", "applicant_form", "contact_email",
          "planned_start", "planned_end", "funder", "criteria-0-weight", "criteria-0-scale_min", "criteria-0-code",
          "criteria-0-name_fi", "criteria-0-position", "criteria-1-remove", "key"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_on_every_application_page(app, make_application, client_as, value):
    application_id = make_application(status="in_review")
    client = client_as("working_group")
    with app.app_context():
        meeting = services.create_meeting(held_on=date(2026, 3, 1), title="Kokous")
        application = db.session.get(Application, application_id)
        services.assign_reviewer(application, db.session.get(User, client.user.id))
        services.declare_conflict(application, db.session.get(User, client.user.id), conflict=False,
                                  explanation=None)
        db.session.commit()
        meeting_id = meeting.id
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("applications.") or rule.endpoint in ("applications.apply",):
            continue
        if rule.arguments - {"application_id", "meeting_id"}:
            continue
        url = rule.rule.replace("<int:application_id>", str(application_id)) \
            .replace("<int:meeting_id>", str(meeting_id))
        if "GET" in (rule.methods or ()):
            response = client.get(url, query_string={f: value for f in ("q", "status", "funder", "meeting", "page",
                                                                       "version", "key")})
            assert response.status_code < 500, f"GET {url} with {value!r}"
        if "POST" in (rule.methods or ()):
            response = post(client, url, {f: value for f in FIELDS})
            assert response.status_code < 500, f"POST {url} with {value!r}"
