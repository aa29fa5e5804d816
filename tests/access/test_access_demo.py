"""The demo people (`registry seed --demo`): every situation of the waiting-period rule, idempotent, and the demo
director sees the people of his units."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.access import assignments, demo
from registry.access.models import Assessment, Assignment, Concern, DirectorDecision, Person
from registry.core.services import user_by_email
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import csrf_token


def _seed(app):
    result = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _counts():
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, Assignment, Assessment, DirectorDecision, Concern)}


def test_demo_covers_every_situation_and_loads_once(app):
    output = _seed(app)
    assert "Demo people with access to units: people added 12" in output
    with app.app_context():
        first = _counts()
        people = {p.name: p for p in db.session.scalars(select(Person))}
        by_situation = {}
        for case in demo.cases(helsinki_today()):
            person = people[case.name]
            assert person.email.endswith("@" + demo.DEMO_DOMAIN)
            (assignment,) = person.assignments
            assert assignment.unit.code == case.unit
            by_situation[case.situation] = (person, assignment, assignments.latest_assessment(assignment))

        def result(situation):
            return by_situation[situation][2].result

        waiting = result("waiting")
        assert waiting["decision"] == "not_eligible" and "waiting_period_running" in waiting["reasons"]
        assert waiting["eligible_from"] > helsinki_today().isoformat()
        assert result("eligible")["decision"] == "eligible"
        paired = result("paired")
        assert paired["decision"] == "eligible" and paired["waiting_period_years"] == 2
        breach = result("breach")
        assert breach["decision"] == "not_eligible" and "breach_during_supervision" in breach["reasons"]
        earlier = result("earlier_offence")
        assert earlier["decision"] == "needs_review" and "earlier_offence_enforced" in earlier["reasons"]
        assert "open_criminal_case" in result("open_case")["reasons"]
        expired = result("expired_clearance")
        assert expired["decision"] == "not_eligible" and "clearance_expired" in expired["reasons"]
        assert result("never_custodial")["reasons"] == ["no_custodial_sentence"]
        remote = result("remote_staff_led_group")
        assert remote["reasons"] == ["rule_not_applicable_in_setting"] and remote["supervision_required"]
        assert "still_serving" in result("still_serving")["reasons"]
        assert by_situation["never_assessed"][2] is None

        concern_person, concern_assignment, _latest = by_situation["concern"]
        assert [c.open for c in concern_person.concerns] == [True]
        assert assignments.decision_blocker(concern_assignment) is not None  # a new assessment is required
        outcomes = {d.outcome.value for d in db.session.scalars(select(DirectorDecision))}
        assert outcomes == {"admit", "admit_with_conditions", "refuse"}
        assert first["assessment"] == 11 and first["director_decision"] >= 5

        # The demo director (ESRSK) sees most of the people, not those of other centres.
        from registry.access.protection import may_see

        director = user_by_email(demo.DIRECTOR)
        seen = {name for name, person in people.items() if may_see(director, person)}
        assert {"Pekka Laine", "Hanna Lindroos", "Timo Heikkilä"} <= seen
        assert "Ville Mäkelä" not in seen and "Minna Rantanen" not in seen
        attention = assignments.attention(director)
        assert attention["concerns"] == 1 and attention["undecided"] >= 1 and attention["unassessed"] == 1

    output = _seed(app)
    assert "people added 0" in output
    with app.app_context():
        assert _counts() == first


def test_demo_pages_render(app, english):
    _seed(app)
    client = app.test_client()
    response = client.post("/login", data={"email": demo.DIRECTOR, "password": "Demo-salasana-johtaja-2026",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})  # the demo user reads Finnish
    page = client.get("/").get_data(as_text=True)
    assert "Experts and outside workers: needs attention" in page and "Hanna Lindroos" in page
    with app.app_context():
        ids = {p.name: p.assignments[0].id for p in db.session.scalars(select(Person))}
    assert client.get(f"/people/assignments/{ids['Janne Salo']}").status_code == 200
    assert client.get(f"/people/assignments/{ids['Ville Mäkelä']}").status_code == 404
