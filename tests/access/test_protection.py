"""Who sees a person's record, the data-subject exports (JSON, PDF) and the policy-parameter versions."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from registry.access import params, protection
from registry.access.assignments import run_assessment
from registry.access.models import (
    Assignment,
    Concern,
    ConcernKind,
    DecisionOutcome,
    DirectorDecision,
    Person,
    PolicyParameterSet,
)
from registry.core.models import AuditEvent, User
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post

pytestmark = pytest.mark.usefixtures("reference", "english")


# --- who may see a person ---------------------------------------------------------------------------


@pytest.fixture
def people(make_person, make_assignment):
    """Two people: one with an assignment at Helsinki Prison (ESRSK), one at Turku Prison (LSRSK)."""
    south = make_person(name="Eteläinen Esimerkki")
    make_assignment(south, "HELV")
    west = make_person(name="Läntinen Esimerkki")
    make_assignment(west, "TURV")
    lonely = make_person(name="Ilman Tehtävää")  # no assignment: only coordinators see them
    return {"south": south, "west": west, "lonely": lonely}


@pytest.mark.parametrize(("roles", "unit", "expected"), [
    (("coordinator",), None, {"south", "west", "lonely"}),
    (("director",), "ESRSK", {"south"}),  # the centre's prisons are in scope
    (("director",), "HELV", {"south"}),
    (("director",), "LSRSK", {"west"}),
    (("director",), "VANV", set()),  # another prison of the same centre: not the unit concerned
    (("director",), None, set()),
    (("admin",), "ESRSK", set()),  # admins see everything else, never these records
    (("admin", "director"), "ESRSK", {"south"}),  # admin rights add nothing
    (("staff",), "ESRSK", set()),
    (("working_group",), None, set()),
])
def test_may_see_matrix(app, make_user, client_as, people, roles, unit, expected):
    user_ref = make_user(*roles, unit=unit)
    with app.app_context():
        user = db.session.get(User, user_ref.id)
        seen = {key for key, pid in people.items() if protection.may_see(user, db.session.get(Person, pid))}
        assert seen == expected
        # The SQL condition agrees with the Python check.
        listed = set(db.session.scalars(select(Person.id).where(protection.visible_people(user))))
        assert listed == {people[key] for key in expected}


def test_pages_answer_404_outside_the_scope(client_as, people):
    director = client_as("director", unit="LSRSK")
    assert director.get(f"/people/{people['south']}").status_code == 404
    assert director.get(f"/people/{people['west']}").status_code == 200
    coordinator = client_as("coordinator")
    assert coordinator.get(f"/people/{people['south']}/export.json").status_code == 200
    assert coordinator.get("/people/2147483648/export.json").status_code == 404
    assert coordinator.get("/people/999999/export.pdf").status_code == 404
    assert client_as("admin").get(f"/people/{people['south']}/export.json").status_code == 403
    assert director.get(f"/people/{people['west']}/export.json").status_code == 403  # coordinators only


def test_anonymous_users_see_nobody(app, people):
    from flask_login import AnonymousUserMixin

    with app.app_context():
        anonymous = AnonymousUserMixin()
        assert not protection.may_see(anonymous, db.session.get(Person, people["south"]))
        assert db.session.scalar(select(func.count(Person.id)).where(protection.visible_people(anonymous))) == 0


# --- data-subject exports -----------------------------------------------------------------------------


@pytest.fixture
def full_record(app, make_person, make_assignment, make_sentence, make_clearance, make_training, make_induction,
                make_partner, make_user):
    """A person with something in every part of the record; returns the id."""
    partner = make_partner("Kokemusasiantuntijat ry")
    pid = make_person(name="Åsa Överström", email="asa@example.fi", partner_id=partner, notes="Puhuu ruotsia")
    make_sentence(pid, offence_date=date(2014, 2, 3), left_prison=date(2017, 8, 9))
    make_clearance(person_id=pid, valid_until=date(2030, 1, 31))
    make_training(pid, programme="Kokemusasiantuntijakoulutus")
    make_induction(pid, inducted_by="Vartija Virtanen")
    assignment_id = make_assignment(pid, "HELV", task="Vertaisryhmä torstaisin")
    director = make_user("director", unit="HELV", name="Johtaja Järvinen")
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        assessment = run_assessment(assignment, db.session.get(User, director.id), helsinki_today())
        db.session.add(DirectorDecision(assignment=assignment, assessment=assessment, outcome=DecisionOutcome.ADMIT,
                                        reasoning="Hyvä valmistautuminen", decided_by_id=director.id))
        db.session.add(Concern(person_id=pid, kind=ConcernKind.OTHER, reported_on=date(2026, 1, 2),
                               reporter_name="Raportoija Rautio", summary="Myöhästeli"))
        db.session.commit()
    return pid


def test_json_export_contains_everything_and_is_logged(app, client_as, full_record):
    coordinator = client_as("coordinator")
    coordinator.get(f"/people/{full_record}")  # a view, which the export's audit trail shows
    response = coordinator.get(f"/people/{full_record}/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["person"]["name"] == "Åsa Överström" and data["person"]["partner_name"] == "Kokemusasiantuntijat ry"
    assert data["sentences"][0]["offence_date"] == "2014-02-03"
    assert data["sentences"][0]["left_prison"] == "2017-08-09"
    assert data["security_clearances"][0]["valid_until"] == "2030-01-31"
    assert data["trainings"][0]["programme"] == "Kokemusasiantuntijakoulutus"
    assert data["inductions"][0]["inducted_by"] == "Vartija Virtanen"
    assignment = data["assignments"][0]
    assert assignment["task"] == "Vertaisryhmä torstaisin" and assignment["unit_code"] == "HELV"
    assert assignment["assessments"][0]["result"]["decision"] == assignment["assessments"][0]["decision"]
    assert assignment["assessments"][0]["inputs"]["sentences"]
    assert assignment["decisions"][0]["reasoning"] == "Hyvä valmistautuminen"
    assert data["concerns"][0]["reporter_name"] == "Raportoija Rautio"
    actions = {(e["action"], e["object_type"]) for e in data["audit_trail"]}
    assert ("view", "person") in actions and ("create", "sentence") in actions
    with app.app_context():
        logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
        assert [(e.object_type, e.object_id, e.note) for e in logged] == [("person", str(full_record), "json")]
        assert logged[0].actor_label == coordinator.user.email


@pytest.mark.parametrize(("language", "heading"), [("en", "Sentences"), ("fi", None), ("sv", None)])
def test_pdf_export_in_the_users_language(app, client_as, full_record, language, heading):
    coordinator = client_as("coordinator")
    with app.app_context():
        db.session.get(User, coordinator.user.id).locale = language
        db.session.commit()
    response = coordinator.get(f"/people/{full_record}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Åsa Överström" in text and "Kokemusasiantuntijat ry" in text
    assert "3.2.2014" in text and "9.8.2017" in text and "31.1.2030" in text  # sentence and clearance dates
    assert "Vertaisryhmä torstaisin" in text and "Hyvä valmistautuminen" in text and "Myöhästeli" in text
    assert "Kokemusasiantuntijakoulutus" in text and "Vartija Virtanen" in text
    if heading:
        assert heading in text
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "export", AuditEvent.note == "pdf")) == 1


def test_builders_return_bytes_for_an_empty_record(app, make_person):
    pid = make_person(name="Tyhjä Tietue")
    with app.app_context(), app.test_request_context():
        from registry.access.exports import build_person_json, build_person_pdf

        person = db.session.get(Person, pid)
        data = json.loads(build_person_json(person))
        assert data["sentences"] == [] and data["assignments"] == []
        pdf = build_person_pdf(person, "fi")
        assert pdf.startswith(b"%PDF-")
        assert "Tyhjä Tietue" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


# --- policy parameters --------------------------------------------------------------------------------


def test_parameters_page_lists_versions_and_the_one_in_force(client_as):
    page = client_as("coordinator").get("/people/parameters")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2021-1" in text and "In force today" in text
    assert client_as("director", unit="ESRSK").get("/people/parameters").status_code == 403
    assert client_as("admin").get("/people/parameters").status_code == 403


def test_a_new_version_is_used_from_its_effective_date(app, client_as):
    coordinator = client_as("coordinator")
    start = helsinki_today() + timedelta(days=30)
    response = post(coordinator, "/people/parameters/new", {
        "version": "2027-1", "effective_from": start.isoformat(), "waiting_years": "4",
        "paired_waiting_years": "2", "retention_years": "3", "source": "Linjaus 2027"})
    assert response.status_code == 302, response.get_data(as_text=True)
    text = coordinator.get("/people/parameters").get_data(as_text=True)
    assert "2027-1" in text and "Future" in text
    with app.app_context():
        assert params.current_parameters(start - timedelta(days=1)).version == "2021-1"
        on_start = params.current_parameters(start)
        assert (on_start.version, on_start.waiting_years, on_start.retention_years) == ("2027-1", 4, 3)
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.object_type == "policy_parameter_set", AuditEvent.action == "create")) >= 1


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"effective_from": "2000-01-01"}, "effective_from", "cannot be in the past"),
    ({"effective_from": "2021-01-01", "version": "x"}, "effective_from", "cannot be in the past"),
    ({"effective_from": "9999-12-31"}, "effective_from", "too far in the future"),
    ({"effective_from": "31.2.2027"}, "effective_from", "valid date"),
    ({"version": "2021-1"}, "version", "already exists"),
    ({"version": "<script>"}, "version", "Use letters"),
    ({"paired_waiting_years": "4", "waiting_years": "3"}, "paired_waiting_years", "cannot be longer"),
    ({"waiting_years": "0"}, "waiting_years", "between"),
    ({"retention_years": "99"}, "retention_years", "between"),
    ({"retention_years": "kaksi"}, "retention_years", "valid integer"),
    ({"waiting_years": "99999999999999999999"}, "waiting_years", "between"),
    ({"source": ""}, "source", "required"),
])
def test_invalid_versions_are_refused_next_to_the_field(app, client_as, changes, field, message):
    coordinator = client_as("coordinator")
    form = {"version": "2030-1", "effective_from": (helsinki_today() + timedelta(days=400)).isoformat(),
            "waiting_years": "3", "paired_waiting_years": "2", "retention_years": "2", "source": "Linjaus", **changes}
    response = post(coordinator, "/people/parameters/new", form)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f'id="{field}-error"' in text and message in text
    assert 'value="Linjaus"' in text or "Linjaus" in text or field == "source"  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(func.count(PolicyParameterSet.id))) == 1


def test_two_versions_cannot_take_effect_on_the_same_day(app, client_as):
    coordinator = client_as("coordinator")
    day = (helsinki_today() + timedelta(days=10)).isoformat()
    form = {"version": "A", "effective_from": day, "waiting_years": "3", "paired_waiting_years": "2",
            "retention_years": "2", "source": "Linjaus"}
    assert post(coordinator, "/people/parameters/new", form).status_code == 302
    again = post(coordinator, "/people/parameters/new", {**form, "version": "B"})
    assert again.status_code == 400 and "already takes effect" in again.get_data(as_text=True)


def test_seed_loads_the_parameter_file_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert "policy parameter versions added 0" in first.output  # the reference fixture loaded them already
    with app.app_context():
        rows = db.session.scalars(select(PolicyParameterSet)).all()
        assert [(r.version, r.waiting_years, r.paired_waiting_years, r.retention_years) for r in rows] == \
            [(p.version, p.waiting_years, p.paired_waiting_years, p.retention_years) for p in params.seed_parameters()]
