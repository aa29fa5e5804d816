"""The unit director's decision and partners' concerns (policy §10.3): who may decide, what a decision needs, and how
a concern flags the person, blocks a decision until a new assessment, and is closed by the decision after it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.access import assignments
from registry.access.models import Assignment, Concern, DecisionOutcome, DirectorDecision, Person
from registry.core.models import User
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post

pytestmark = pytest.mark.usefixtures("reference", "english")

DECIDE = {"outcome": "admit", "conditions": "", "reasoning": "Edellytykset täyttyvät; työ valvotaan."}
CONCERN = {"kind": "substance_problem", "reported_on": "", "partner": "0", "reporter_name": "Toiminnanjohtaja",
           "summary": "Epäily päihteiden ongelmakäytöstä."}


@pytest.fixture
def case(app, make_person, make_assignment, make_clearance, make_training, make_induction):
    """An eligible expert by experience with an assignment at Helsinki Prison; returns (person_id, assignment_id)."""
    person_id = make_person(name="Eeva Esimerkki", undertaking_signed_on=date(2025, 1, 5))
    make_clearance(person_id=person_id, completed_on=date(2025, 1, 10))
    make_training(person_id)
    make_induction(person_id, "HELV")
    return person_id, make_assignment(person_id, "HELV")


def _assess(client, assignment_id):
    response = post(client, f"/people/assignments/{assignment_id}/assess")
    assert response.status_code == 302 and "/people/assessments/" in response.headers["Location"]


def _decide(client, assignment_id, **data):
    return post(client, f"/people/assignments/{assignment_id}/decision", {**DECIDE, **data})


def _decisions(app):
    with app.app_context():
        return db.session.scalars(select(DirectorDecision).order_by(DirectorDecision.id)).all()


def test_director_of_the_unit_records_a_decision_beside_the_engines_result(app, client_as, case):
    _person_id, assignment_id = case
    director = client_as("director", unit="ESRSK")
    _assess(director, assignment_id)
    page = director.get(f"/people/assignments/{assignment_id}/decision")
    assert page.status_code == 200 and "The assessment your decision refers to" in page.get_data(as_text=True)
    response = _decide(director, assignment_id, outcome="admit_with_conditions",
                       conditions="Vain nimetyn työparin kanssa.")
    assert response.status_code == 302 and response.headers["Location"].endswith("#decisions")
    with app.app_context():
        decision = db.session.scalars(select(DirectorDecision)).one()
        found = db.session.get(Assignment, assignment_id)
        assert decision.outcome is DecisionOutcome.ADMIT_WITH_CONDITIONS
        assert decision.conditions == "Vain nimetyn työparin kanssa."
        assert decision.assessment_id == assignments.latest_assessment(found).id
        assert decision.decided_by_id == director.user.id
    page = director.get(f"/people/assignments/{assignment_id}").get_data(as_text=True)
    engine = page.split('id="engine-title"')[1].split("</section>")[0]
    boss = page.split('id="director-title"')[1].split("</section>")[0]
    assert "Eligible" in engine and "Admit with conditions" not in engine
    assert "Admit with conditions" in boss and "Eligible" not in boss
    assert "Vain nimetyn työparin kanssa." in page.split('id="decisions"')[1]


def test_who_may_decide(app, client_as, case):
    _person_id, assignment_id = case
    coordinator = client_as("coordinator")
    _assess(coordinator, assignment_id)
    assert coordinator.get(f"/people/assignments/{assignment_id}/decision").status_code == 403
    assert _decide(coordinator, assignment_id).status_code == 403
    assert _decide(client_as("admin"), assignment_id).status_code == 403
    outsider = client_as("director", unit="LSRSK")
    assert outsider.get(f"/people/assignments/{assignment_id}/decision").status_code == 404
    assert _decide(outsider, assignment_id).status_code == 404
    assert _decide(client_as("director", unit="ESRSK"), 999999).status_code == 404
    # A director who sees the person through another assignment still cannot decide on this unit's.
    with app.app_context():
        from tests.access.conftest import unit_id

        db.session.add(Assignment(person_id=_person_id, unit_id=unit_id("TURV"), setting="outside_units",
                                  task="Kehittämistyöpaja", starts_on=date(2025, 1, 1)))
        db.session.commit()
    assert outsider.get(f"/people/assignments/{assignment_id}").status_code == 200
    assert "Record the director's decision" not in outsider.get(f"/people/assignments/{assignment_id}").get_data(
        as_text=True)
    assert _decide(outsider, assignment_id).status_code == 404
    assert _decisions(app) == []


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"outcome": "admit_with_conditions", "conditions": ""}, "conditions", "Write down the conditions."),
    ({"outcome": "refuse", "conditions": "Vain valvottuna."}, "conditions", "Conditions are recorded only with"),
    ({"reasoning": "   "}, "reasoning", "Give the reasoning of the decision."),
    ({"outcome": ""}, "outcome", "Choose the decision."),
    ({"outcome": "maybe"}, "outcome", ""),
])
def test_what_a_decision_needs(app, client_as, case, data, field, message):
    _person_id, assignment_id = case
    director = client_as("director", unit="ESRSK")
    _assess(director, assignment_id)
    response = _decide(director, assignment_id, **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and f'id="{field}-error"' in page and message in page
    assert "Edellytykset täyttyvät" in page or field == "reasoning"  # what was typed is kept
    assert _decisions(app) == []


def test_no_decision_without_an_assessment(app, client_as, case):
    _person_id, assignment_id = case
    director = client_as("director", unit="ESRSK")
    assert "Run an assessment first" in director.get(f"/people/assignments/{assignment_id}/decision").get_data(
        as_text=True)
    response = _decide(director, assignment_id)
    assert response.status_code == 400 and "Run an assessment first" in response.get_data(as_text=True)
    assert _decisions(app) == []


def test_a_concern_flags_the_person_blocks_the_decision_and_is_closed_by_the_next(app, client_as, case):
    person_id, assignment_id = case
    director = client_as("director", unit="ESRSK")
    coordinator = client_as("coordinator")
    _assess(coordinator, assignment_id)
    assert _decide(director, assignment_id).status_code == 302

    page = coordinator.get(f"/people/{person_id}/concerns/new").get_data(as_text=True)
    assert "never details of an offence" in page and 'id="summary-hint"' in page
    response = post(director, f"/people/{person_id}/concerns/new",
                    {**CONCERN, "reported_on": helsinki_today().isoformat()})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/{person_id}#concerns")
    person_page = coordinator.get(f"/people/{person_id}").get_data(as_text=True)
    assert "New assessment and decision required." in person_page
    assert "Suspected problem use of substances" in person_page

    # The old assessment did not know of the concern: no decision on it.
    assert "A decision cannot be recorded yet." in director.get(
        f"/people/assignments/{assignment_id}/decision").get_data(as_text=True)
    refused = _decide(director, assignment_id, outcome="refuse")
    assert refused.status_code == 400 and "run a new assessment" in refused.get_data(as_text=True)
    assert "Concern reported: a new assessment and decision are required." in director.get(
        f"/people/assignments/{assignment_id}").get_data(as_text=True)

    _assess(coordinator, assignment_id)
    with app.app_context():
        found = db.session.get(Assignment, assignment_id)
        latest = assignments.latest_assessment(found)
        assert latest.inputs["concern_reported"] is True
        assert latest.decision.value == "needs_review" and "concern_reported" in latest.result["reasons"]
    assert _decide(director, assignment_id, outcome="refuse").status_code == 302
    with app.app_context():
        concern = db.session.scalars(select(Concern)).one()
        last = db.session.scalars(select(DirectorDecision).order_by(DirectorDecision.id.desc())).first()
        assert concern.closed_by_decision_id == last.id and last.outcome is DecisionOutcome.REFUSE
        assert last.assessment_id == latest.id
    person_page = coordinator.get(f"/people/{person_id}").get_data(as_text=True)
    assert "New assessment and decision required." not in person_page
    assert "Settled by the director's decision" in person_page
    # A settled concern is no change of the records: the page does not ask for yet another assessment.
    assert "The records have changed" not in coordinator.get(f"/people/assignments/{assignment_id}").get_data(
        as_text=True)


def test_concern_form_errors_and_access(app, client_as, case, make_partner):
    person_id, _assignment_id = case
    partner_id = make_partner("Kokemusyhdistys ry")
    coordinator = client_as("coordinator")
    tomorrow = (helsinki_today() + timedelta(days=1)).isoformat()
    for data, field in (({"reported_on": tomorrow}, "reported_on"), ({"reported_on": "huomenna"}, "reported_on"),
                        ({"reported_on": "2025-01-01", "kind": "gossip"}, "kind"),
                        ({"reported_on": "2025-01-01", "summary": "x" * 2001}, "summary")):
        response = post(coordinator, f"/people/{person_id}/concerns/new", {**CONCERN, **data})
        assert response.status_code == 400 and f'id="{field}-error"' in response.get_data(as_text=True), data
    response = post(coordinator, f"/people/{person_id}/concerns/new",
                    {**CONCERN, "reported_on": "2025-01-01", "partner": str(partner_id), "summary": ""})
    assert response.status_code == 302
    with app.app_context():
        concern = db.session.scalars(select(Concern)).one()
        assert concern.reported_by_partner_id == partner_id and concern.summary is None
        assert concern.recorded_by_id == coordinator.user.id and concern.open
    assert client_as("director", unit="LSRSK").get(f"/people/{person_id}/concerns/new").status_code == 404
    assert client_as("staff").get(f"/people/{person_id}/concerns/new").status_code == 403
    assert coordinator.get("/people/999999/concerns/new").status_code == 404


def test_record_decision_service_checks_scope(app, client_as, case, make_user):
    _person_id, assignment_id = case
    outsider = make_user("director", unit="LSRSK")
    with app.app_context():
        found = db.session.get(Assignment, assignment_id)
        assignments.run_assessment(found, None, helsinki_today())
        with pytest.raises(assignments.OutOfScope):
            assignments.record_decision(found, db.session.get(User, outsider.id), "admit", None, "Perustelu.")
        assert db.session.get(Person, found.person_id).concerns == []
