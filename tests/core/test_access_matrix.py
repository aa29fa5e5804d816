"""Every route against the access table, for every role and for anonymous users; and CSRF on every
state-changing route."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask

from registry.config import ROLES
from registry.core.access import ACCESS, PUBLIC, SIGNED_IN
from registry.core.models import ApiToken, Region, Unit
from registry.directory.models import Contact, Partner, PartnerCategory, PartnerLevel
from registry.extensions import db
from tests.conftest import csrf_token, login

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints that end the session they are called with: the matrix signs in again after them.
SESSION_ENDING = {"auth.logout", "auth.change_password"}


def _samples(app: Flask, make_user: Any) -> dict[str, Any]:
    target = make_user("staff", email="target@rise.example")
    with app.app_context():
        token = ApiToken(user_id=target.id, name="t", prefix="rr_x", token_hash="0" * 64)
        db.session.add(token)
        partner = Partner(name_fi="Matriisiyhdistys ry", category=PartnerCategory.ASSOCIATION,
                          level=PartnerLevel.LOCAL)  # search and the directory API
        db.session.add(partner)
        contact = Contact(name="Matriisi Maija", partner=partner)  # vCard export
        db.session.add(contact)
        from registry.directory.models import Keyword, LiaisonRole, LiaisonSide, LiaisonSubject

        keyword = Keyword(name="matriisi")  # directory pages: keyword index, liaison roles
        contact.keywords = [keyword]
        role = LiaisonRole(contact=contact, subject=LiaisonSubject.PARTNER, side=LiaisonSide.PARTNER,
                           partner=partner)
        db.session.add(role)
        people = _people_samples(partner)
        from registry.applications.models import ApplicantForm, Application, Funder, ReviewMeeting

        application = Application(reference="PK-2026-9999", access_key="matrix-key", organisation_name="Matriisi ry",
                                  applicant_form=ApplicantForm.ASSOCIATION, contact_name="Matriisi Maija",
                                  contact_email="maija@matriisi.example", project_name="Matriisihanke",
                                  description="Matriisi", funder=Funder.STEA)  # application pages
        meeting = ReviewMeeting(held_on=date(2026, 3, 1), title="Matriisikokous")  # working-group meetings
        db.session.add_all([application, meeting])
        from registry.applications.models import FollowUp, Project, ProjectOwner, ProjectStatus

        project = Project(owner=ProjectOwner.RISE, name="Matriisiprojekti", status=ProjectStatus.RUNNING,
                          unit=people["assignment_id"].unit,
                          follow_ups=[FollowUp(due_on=date(2026, 3, 1))])  # portfolio pages
        db.session.add(project)
        db.session.commit()
        return {**{key: obj.id for key, obj in people.items()},
                "user_id": target.id, "unit_id": db.session.scalars(db.select(Unit.id).order_by(Unit.id)).first(),
                "region_id": db.session.scalars(db.select(Region.id)).first(), "token_id": token.id,
                "filename": "css/app.css",
                "job_id": 1, "message_id": 1, "token": "no-such-token",  # jobs, outbox, confirmation links
                "partner_id": partner.id,
                "contact_id": contact.id, "upload_id": "0" * 32,  # import and export (an unknown upload: 404)
                 "role_id": role.id, "keyword_id": keyword.id, "key": "20260310T1000",  # key: an occurrence
                 "application_id": application.id, "meeting_id": meeting.id,
                 "project_id": project.id, "follow_up_id": project.follow_ups[0].id}


def _people_samples(partner: Partner) -> dict[str, Any]:
    """One record of each kind of the people-with-access-to-units and agreement pages (URL parameters)."""
    from registry.access.models import (
        Assessment,
        Assignment,
        ClearanceKind,
        EngineDecision,
        Person,
        PersonRole,
        Sanction,
        SecurityClearance,
        Sentence,
        Setting,
        Training,
    )
    from registry.core.models import Document

    unit = db.session.scalars(db.select(Unit).order_by(Unit.id)).first()
    document = Document(filename="a.pdf", content_type="application/pdf", size=1, sha256="0" * 64)
    person = Person(name="Matriisi Mikko", role=PersonRole.EXPERT_BY_EXPERIENCE, partner=partner,
                    undertaking_document=document)
    assignment = Assignment(person=person, unit=unit, setting=Setting.IN_PREMISES, task="t",
                            starts_on=date(2026, 1, 1))
    records = {
        "person_id": person, "document_id": document, "assignment_id": assignment,
        "training_id": Training(person=person, provider="p", programme="p"),
        "clearance_id": SecurityClearance(person=person, kind=ClearanceKind.BASIC),
        "sentence_id": Sentence(person=person, offence_date=date(2020, 1, 1), sanction=Sanction.FINE),
        "assessment_id": Assessment(assignment=assignment, as_of=date(2026, 1, 1), engine_version="1",
                                    parameters_version="x", inputs={}, result={},
                                    decision=EngineDecision.ELIGIBLE),
    }
    from registry.agreements.models import Agreement, AgreementKind, AgreementLevel

    records["agreement_id"] = Agreement(name_fi="Matriisisopimus", kind=AgreementKind.AGREEMENT,
                                        level=AgreementLevel.LOCAL, owner_unit=unit)
    from registry.meetings.models import Cadence, Network, NetworkLevel, NetworkMember

    records["network_id"] = Network(name_fi="Matriisiverkosto", level=NetworkLevel.NATIONAL, convenor_unit=unit,
                                    cadence=Cadence.YEARLY)  # convened by the matrix director's home unit
    records["member_id"] = NetworkMember(network=records["network_id"], partner=partner)
    from registry.meetings.models import MeetingSeries

    records["series_id"] = MeetingSeries(network=records["network_id"], uid="series-matrix@rise-registry",
                                         title="Matriisikokous", starts_at=datetime(2026, 3, 10, 10),
                                         duration_minutes=60, rrule="FREQ=MONTHLY;BYDAY=2TU")  # key 20260310T1000
    db.session.add_all(records.values())
    return records


def _routes(app: Flask, samples: dict[str, Any]) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        missing = set(rule.arguments) - set(samples)
        assert not missing, f"no sample value for {missing} of {rule.endpoint}: add one to _samples"
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{a: samples[a] for a in rule.arguments})
        method = "GET" if "GET" in (rule.methods or ()) else sorted((rule.methods or set()) & UNSAFE)[0]
        routes.append((rule.endpoint, method, url))
    return routes


def _expected(endpoint: str, roles: tuple[str, ...] | None) -> str:
    rule = ACCESS[endpoint]
    if rule == PUBLIC:
        return "allowed"
    if roles is None:
        return "sign_in"
    if rule == SIGNED_IN or set(roles) & set(rule):
        return "allowed"
    return "forbidden"


def _outcome(response: Any) -> str:
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 401 or (response.status_code == 302
                                       and "/login" in response.headers.get("Location", "")
                                       and "next=" in response.headers.get("Location", "")):
        return "sign_in"
    return "allowed"


def test_every_endpoint_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ACCESS) == set()
    assert set(ACCESS) - endpoints == set(), "the table names endpoints that no longer exist"


@pytest.mark.parametrize("roles", [None] + [(r,) for r in ROLES], ids=lambda r: r[0] if r else "anonymous")
def test_role_matrix(app, make_user, reference, roles):
    samples = _samples(app, make_user)
    client = app.test_client()
    with app.app_context():  # a director's scope covers the sample records (others are refused per object)
        home = db.session.get(Unit, samples["unit_id"]).code
    user = make_user(*roles, unit=home if roles == ("director",) else None) if roles else None
    if user:
        assert login(client, user).status_code == 302
    failures = []
    for endpoint, method, url in _routes(app, samples):
        data = {"csrf_token": csrf_token(client)} if method != "GET" else None
        response = client.open(url, method=method, data=data)
        response.close()
        expected, got = _expected(endpoint, roles), _outcome(response)
        if expected != got:
            failures.append(f"{method} {url} ({endpoint}): expected {expected}, got {got} "
                            f"[{response.status_code}]")
        assert response.status_code < 500, f"{method} {url} gave {response.status_code}"
        if user and endpoint in SESSION_ENDING | {"admin.user_reset_password", "admin.user_set_active"}:
            client = app.test_client()
            login(client, user)
    assert not failures, "\n".join(failures)


def test_every_state_changing_route_requires_a_csrf_token(app, make_user, reference):
    samples = _samples(app, make_user)
    everything = make_user(*ROLES)
    signed_in = app.test_client()
    login(signed_in, everything)
    checked = 0
    for rule in app.url_map.iter_rules():
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{a: samples[a] for a in rule.arguments})
        for method in sorted((rule.methods or set()) & UNSAFE):
            for client in (signed_in, app.test_client()):
                response = client.open(url, method=method, data={"field": "value"})
                response.close()
                assert response.status_code == 400, f"{method} {url} accepted a request without a CSRF token"
                checked += 1
    assert checked >= 20


def test_json_request_with_session_needs_csrf_header_but_bearer_does_not(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    assert client.post("/language", json={"lang": "sv"}).status_code == 400
    ok = client.post("/language", data={"lang": "sv"}, headers={"X-CSRFToken": csrf_token(client)})
    assert ok.status_code == 302
    bearer = app.test_client().post("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert bearer.status_code != 400  # exempt from CSRF; then refused for the bad token / method
