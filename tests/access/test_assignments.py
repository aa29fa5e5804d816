"""Assignments and assessments: creating and editing assignments, the engine's input built from the records, the
stored snapshot (versions, decision, who and when), the timeline picture, audit-logged pages and the dashboard."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from registry.access import assignments, timeline
from registry.access.models import (
    Assessment,
    Assignment,
    ClearanceResult,
    ClosePair,
    Person,
    Sanction,
    Sentence,
    Setting,
)
from registry.access.rules import ENGINE_VERSION
from registry.core.models import AuditEvent, Unit, User
from registry.core.services import ServiceError
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.access.conftest import unit_id
from tests.conftest import post

pytestmark = pytest.mark.usefixtures("reference", "english")

FORM = {"unit": "", "task": "Vertaisryhmä", "setting": "in_premises", "close_pair": "none", "pair_name": "",
        "starts_on": "2026-01-05", "ends_on": ""}


@pytest.fixture
def ready_person(app, make_person, make_clearance, make_training, make_induction):
    """Factory: an expert by experience who meets every minimum condition at Helsinki Prison; returns the id."""

    def factory(name: str = "Kalle Kokemus", **fields):
        person_id = make_person(name=name, undertaking_signed_on=date(2025, 1, 5), **fields)
        make_clearance(person_id=person_id, completed_on=date(2025, 1, 10))
        make_training(person_id)
        make_induction(person_id, "HELV")
        return person_id

    return factory


def _assess(client, assignment_id):
    response = post(client, f"/people/assignments/{assignment_id}/assess")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    match = re.search(r"/people/assessments/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


# --- creating and editing ---------------------------------------------------------------------------


def test_coordinator_creates_and_edits_an_assignment(app, client_as, make_person):
    person_id = make_person()
    client = client_as("coordinator")
    page = client.get(f"/people/{person_id}/assignments/new")
    assert page.status_code == 200 and "Close pair work" in page.get_data(as_text=True)
    with app.app_context():
        helv = unit_id("HELV")
    response = post(client, f"/people/{person_id}/assignments/new", {**FORM, "unit": str(helv),
                                                                       "ends_on": "2026-12-31"})
    assert response.status_code == 302
    assignment_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        saved = db.session.get(Assignment, assignment_id)
        assert (saved.unit.code, saved.setting, saved.close_pair, saved.task) == \
            ("HELV", Setting.IN_PREMISES, ClosePair.NONE, "Vertaisryhmä")
        # The retention date follows the assignments (policy parameters: 2 years after the last end).
        assert saved.person.retention_until == date(2028, 12, 31)

    response = post(client, f"/people/assignments/{assignment_id}/edit", {
        **FORM, "unit": str(helv), "setting": "direct_contact", "close_pair": "rise_official",
        "pair_name": "Ohjaaja Oksanen", "ends_on": ""})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Assignment, assignment_id)
        assert (saved.setting, saved.close_pair, saved.pair_name) == \
            (Setting.DIRECT_CONTACT, ClosePair.RISE_OFFICIAL, "Ohjaaja Oksanen")
        assert saved.person.retention_until is None  # an open assignment: kept while it lasts


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"ends_on": "2025-12-31"}, "ends_on", "The end date must not be before the start date."),
    ({"close_pair": "rise_official"}, "pair_name", "Name the Rise official or partner employee"),
    ({"pair_name": "Ohjaaja Oksanen"}, "pair_name", "Choose the kind of close pair work"),
    ({"unit": "0"}, "unit", "Choose the unit."),
    ({"unit": "99999999999"}, "unit", ""),
    ({"task": ""}, "task", "Describe the task."),
    ({"starts_on": "31.2.2026"}, "starts_on", ""),
    ({"ends_on": "9999-12-31"}, "ends_on", "Give a date between 1.1.1900 and 31.12.2199."),
    ({"setting": "on_the_moon"}, "setting", ""),
])
def test_assignment_form_errors_are_shown_next_to_the_field(app, client_as, make_person, changes, field, message):
    person_id = make_person()
    client = client_as("coordinator")
    with app.app_context():
        data = {**FORM, "unit": str(unit_id("HELV")), **changes}
    response = post(client, f"/people/{person_id}/assignments/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page and message in page
    assert 'value="Vertaisryhmä"' in page or field == "task"  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(Assignment.id)) is None


def test_only_coordinators_create_assignments_and_others_get_404(app, client_as, make_person, make_assignment):
    person_id = make_person()
    make_assignment(person_id, "HELV")
    assert client_as("director", unit="ESRSK").get(f"/people/{person_id}/assignments/new").status_code == 403
    assert client_as("admin").get(f"/people/{person_id}/assignments/new").status_code == 403
    assert client_as("coordinator").get("/people/999999/assignments/new").status_code == 404


def test_the_unit_cannot_change_after_a_decision(app, ready_person, make_assignment, make_user):
    person_id = ready_person()
    assignment_id = make_assignment(person_id, "HELV")
    director = make_user("director", unit="ESRSK")
    with app.app_context():
        found = db.session.get(Assignment, assignment_id)
        boss = db.session.get(User, director.id)
        assignments.run_assessment(found, boss, helsinki_today())
        assignments.record_decision(found, boss, "admit", None, "Kaikki ehdot täyttyvät.")
        db.session.commit()
        data = {"unit": db.session.get(Unit, unit_id("VANV")), "setting": "in_premises",
                "close_pair": "none", "pair_name": "", "task": "X", "starts_on": date(2025, 1, 1), "ends_on": None}
        with pytest.raises(ServiceError) as error:
            assignments.update_assignment(found, data)
        assert error.value.field == "unit"


# --- the engine's input ---------------------------------------------------------------------------


def test_engine_input_is_built_from_the_records(app, make_person, make_assignment, make_sentence, make_clearance,
                                                make_training, make_induction):
    person_id = make_person(undertaking_signed_on=date(2025, 3, 1), open_criminal_case=True)
    assignment_id = make_assignment(person_id, "HELV", setting=Setting.DIRECT_CONTACT,
                                    close_pair=ClosePair.TRUSTED_PARTNER_EMPLOYEE, pair_name="Työntekijä Tuominen")
    make_sentence(person_id, offence_date=date(2019, 5, 1), sanction=Sanction.COMMUNITY_SERVICE,
                  enforcement_start=date(2019, 9, 1), left_prison=None, completed=date(2020, 2, 1))
    make_sentence(person_id, offence_date=date(2015, 3, 1))
    make_clearance(person_id=person_id, completed_on=date(2023, 1, 10), valid_until=date(2024, 1, 10))
    make_clearance(person_id=person_id, completed_on=date(2025, 1, 10), valid_until=date(2030, 1, 10),
                   result=ClearanceResult.REMARKS)
    make_clearance(person_id=person_id, completed_on=date(2026, 5, 1))  # completed after the assessment date
    make_clearance(person_id=person_id, completed_on=None, requested_on=date(2025, 2, 1), result=None)
    make_training(person_id, verified=False)
    make_induction(person_id, "VANV", inducted_on=date(2025, 2, 1))  # another unit: does not count here
    with app.app_context():
        found = db.session.get(Assignment, assignment_id)
        data = assignments.engine_input(found, date(2025, 6, 1))
    assert data == {
        "as_of": "2025-06-01", "role": "expert_by_experience", "setting": "direct_contact",
        "close_pair": "trusted_partner_employee",
        "sentences": [
            {"offence_date": "2015-03-01", "sanction": "unconditional_prison", "enforcement_start": "2016-01-01",
             "left_prison": "2018-06-01", "supervision_end": None, "serious_breach": False, "completed": None},
            {"offence_date": "2019-05-01", "sanction": "community_service", "enforcement_start": "2019-09-01",
             "left_prison": None, "supervision_end": None, "serious_breach": False, "completed": "2020-02-01"},
        ],
        "open_criminal_case": True, "concern_reported": False,
        "security_clearance": {"completed": "2025-01-10", "valid_until": "2030-01-10", "result": "remarks"},
        "training_verified": False, "confidentiality_undertaking": True, "inducted": False,
    }
    with app.app_context():
        found = db.session.get(Assignment, assignment_id)
        early = assignments.engine_input(found, date(2024, 12, 1))
    # Before the undertaking was signed and with only the older clearance known.
    assert early["confidentiality_undertaking"] is False
    assert early["security_clearance"] == {"completed": "2023-01-10", "valid_until": "2024-01-10",
                                           "result": "no_remarks"}


def test_no_clearance_gives_null(app, make_person, make_assignment):
    person_id = make_person(role="volunteer")
    assignment_id = make_assignment(person_id)
    with app.app_context():
        data = assignments.engine_input(db.session.get(Assignment, assignment_id), date(2025, 6, 1))
    assert data["security_clearance"] is None and data["role"] == "volunteer" and data["inducted"] is False


# --- running an assessment ------------------------------------------------------------------------


def test_waiting_period_running_then_eligible(app, client_as, ready_person, make_assignment, make_sentence):
    today = helsinki_today()
    left = today - relativedelta(years=1)
    person_id = ready_person()
    assignment_id = make_assignment(person_id, "HELV")
    sentence_id = make_sentence(person_id, offence_date=left - relativedelta(years=5),
                                enforcement_start=left - relativedelta(years=4), left_prison=left)
    client = client_as("coordinator")
    assessment_id = _assess(client, assignment_id)
    with app.app_context():
        stored = db.session.get(Assessment, assessment_id)
        assert stored.decision.value == "not_eligible"
        assert stored.result["eligible_from"] == (left + relativedelta(years=3)).isoformat()
        assert stored.result["period_start"] == left.isoformat()
        assert "waiting_period_running" in stored.result["reasons"]
        assert stored.engine_version == ENGINE_VERSION and stored.parameters_version == "2021-1"
        assert stored.as_of == today and stored.run_by_id == client.user.id and stored.run_at is not None
        assert stored.inputs == assignments.engine_input(stored.assignment, today)
        snapshot = (dict(stored.inputs), dict(stored.result), stored.decision)

    page = client.get(f"/people/assessments/{assessment_id}").get_data(as_text=True)
    assert "Not eligible" in page and "The crime-free waiting period is still running" in page
    assert (left + relativedelta(years=3)).strftime("%-d.%-m.%Y") in page
    assert "Yes: a Rise official present supervises the work" in page

    # The release was earlier than first recorded: a new assessment says eligible, the old one is unchanged.
    with app.app_context():
        sentence = db.session.get(Sentence, sentence_id)
        sentence.left_prison = today - relativedelta(years=3) - timedelta(days=1)
        db.session.commit()
    assert "The records have changed since the latest assessment" in \
        client.get(f"/people/assignments/{assignment_id}").get_data(as_text=True)
    newer = _assess(client, assignment_id)
    with app.app_context():
        old = db.session.get(Assessment, assessment_id)
        assert (old.inputs, old.result, old.decision) == snapshot
        fresh = db.session.get(Assessment, newer)
        assert fresh.decision.value == "eligible" and fresh.result["reasons"] == []
        assert fresh.result["eligible_from"] == (today - timedelta(days=1)).isoformat()
    page = client.get(f"/people/assignments/{assignment_id}").get_data(as_text=True)
    assert "The records have changed" not in page
    assert page.index(f"/people/assessments/{newer}") < page.index(f"/people/assessments/{assessment_id}")
    assert "A newer assessment exists." in client.get(f"/people/assessments/{assessment_id}").get_data(as_text=True)


def test_eligible_on_the_day_and_not_the_day_before(app, ready_person, make_assignment, make_sentence):
    today = helsinki_today()
    person_id = ready_person()
    assignment_id = make_assignment(person_id, "HELV", close_pair=ClosePair.RISE_OFFICIAL, pair_name="Ohjaaja")
    make_sentence(person_id, offence_date=date(2010, 1, 1), enforcement_start=date(2011, 1, 1),
                  left_prison=today - relativedelta(years=2))
    with app.app_context():
        found = db.session.get(Assignment, assignment_id)
        on_the_day = assignments.run_assessment(found, None, today)
        day_before = assignments.run_assessment(found, None, today - timedelta(days=1))
        assert on_the_day.result["waiting_period_years"] == 2 and on_the_day.decision.value == "eligible"
        assert day_before.decision.value == "not_eligible"


def test_contradictory_records_give_a_message_not_an_error(app, client_as, ready_person, make_assignment,
                                                           make_sentence):
    person_id = ready_person()
    assignment_id = make_assignment(person_id)
    make_sentence(person_id, offence_date=date(2020, 1, 1), enforcement_start=date(2019, 1, 1))
    client = client_as("coordinator")
    response = post(client, f"/people/assignments/{assignment_id}/assess", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The records cannot be assessed" in page and "enforcement_start" in page
    with app.app_context():
        assert db.session.scalar(select(Assessment.id)) is None


def test_a_director_assesses_only_at_own_units(app, client_as, ready_person, make_assignment):
    person_id = ready_person()
    here = make_assignment(person_id, "HELV")
    elsewhere = make_assignment(person_id, "TURV", task="Toinen tehtävä")
    director = client_as("director", unit="ESRSK")
    _assess(director, here)
    assert post(director, f"/people/assignments/{elsewhere}/assess").status_code == 404
    assert post(client_as("staff"), f"/people/assignments/{here}/assess").status_code == 403


# --- pages, access and the audit log --------------------------------------------------------------


def test_pages_are_audit_logged_and_hidden_from_others(app, client_as, ready_person, make_assignment):
    person_id = ready_person()
    assignment_id = make_assignment(person_id, "HELV")
    coordinator = client_as("coordinator")
    assessment_id = _assess(coordinator, assignment_id)
    assert coordinator.get(f"/people/assignments/{assignment_id}").status_code == 200
    assert coordinator.get(f"/people/assessments/{assessment_id}").status_code == 200
    with app.app_context():
        views = db.session.execute(select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.actor_id)
                                   .where(AuditEvent.action == "view")).all()
    assert ("assignment", str(assignment_id), coordinator.user.id) in views
    assert ("assessment", str(assessment_id), coordinator.user.id) in views

    outsider = client_as("director", unit="LSRSK")
    for url in (f"/people/assignments/{assignment_id}", f"/people/assessments/{assessment_id}",
                f"/people/assignments/{assignment_id}/edit", "/people/assignments/999999",
                "/people/assessments/99999999999"):
        assert outsider.get(url).status_code in (403, 404), url
    assert outsider.get(f"/people/assignments/{assignment_id}").status_code == 404
    assert client_as("admin").get(f"/people/assignments/{assignment_id}").status_code == 403
    assert client_as("director", unit="ESRSK").get(f"/people/assessments/{assessment_id}").status_code == 200


def test_person_page_lists_assignments_with_both_results(app, client_as, ready_person, make_assignment):
    person_id = ready_person()
    assignment_id = make_assignment(person_id, "HELV", task="Kuntoutusryhmä")
    client = client_as("coordinator")
    _assess(client, assignment_id)
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    section = page.split('id="assignments"')[1].split("</section>")[0]
    assert "Kuntoutusryhmä" in section and "Eligible" in section and "No decision" in section
    assert f"/people/{person_id}/assignments/new" in section


# --- the timeline picture -------------------------------------------------------------------------


def test_timeline_is_drawn_with_its_text_equivalent(app, client_as, ready_person, make_assignment, make_sentence):
    today = helsinki_today()
    person_id = ready_person()
    assignment_id = make_assignment(person_id)
    make_sentence(person_id, offence_date=date(2016, 4, 1), enforcement_start=date(2017, 1, 2),
                  left_prison=date(2019, 3, 4), supervision_end=today - relativedelta(years=1), serious_breach=True)
    client = client_as("coordinator")
    assessment_id = _assess(client, assignment_id)
    page = client.get(f"/people/assessments/{assessment_id}").get_data(as_text=True)
    svg = page.split("<svg")[1].split("</svg>")[0]
    tl_id = f"timeline-{assessment_id}"
    assert 'role="img"' in svg and f'aria-labelledby="{tl_id}-title {tl_id}-desc"' in svg
    assert "style=" not in page.split("<main")[1] and "<script" not in svg
    for label in ("In prison", "Supervision, serious breach", "Waiting period (3 years)", "Offence", "Assessment date"):
        assert label in svg, label
    table = page.split('class="timeline-table"')[1].split("</table>")[0]
    for text in ("2.1.2017", "Sentence 1: imprisonment began", "4.3.2019", "left prison",
                 "intentional or gross breach during supervision", "The waiting period starts", "Eligible from"):
        assert text in table, text
    assert "There was an intentional or gross breach" in page  # the reason, in plain language


def test_timeline_geometry(app):
    inputs = {"as_of": "2025-06-01", "sentences": [
        {"offence_date": "2015-03-01", "sanction": "unconditional_prison", "enforcement_start": "2016-01-01",
         "left_prison": None, "supervision_end": None, "serious_breach": False, "completed": None},
        {"offence_date": "2012-03-01", "sanction": "community_service", "enforcement_start": "2012-06-01",
         "left_prison": None, "supervision_end": None, "serious_breach": False, "completed": "2013-01-01"},
        {"offence_date": "2011-01-01", "sanction": "fine", "enforcement_start": None, "left_prison": None,
         "supervision_end": None, "serious_breach": False, "completed": None}]}
    result = {"decision": "not_eligible", "waiting_rule_applies": True, "waiting_period_years": 3,
              "period_start": None, "eligible_from": None, "reasons": ["still_serving"]}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        _check_geometry(inputs, result)


def _check_geometry(inputs, result):
    drawn = timeline.build(inputs, result, {0: "still_serving"})
    assert drawn.ticks[0][1] == 2011 and drawn.ticks[-1][1] == 2026
    assert all(timeline.LABEL_WIDTH <= x <= timeline.RIGHT for x, _year in drawn.ticks)
    prison = [b for row in drawn.rows for b in row.bars if b.kind == "prison"]
    assert len(prison) == 1 and prison[0].open_end  # still in prison: the bar runs to the assessment date
    assert any("Still being served" in row.label for row in drawn.rows if row.group)
    assert [e.on for e in drawn.events][-1] is None  # "not yet released" comes last, without a date
    dated = [e.on for e in drawn.events if e.on is not None]
    assert dated == sorted(dated)
    assert "Waiting period: not started" in [row.label for row in drawn.rows]
    empty = timeline.build({"as_of": "2025-06-01", "sentences": []}, {"waiting_rule_applies": False})
    assert empty.empty and "No sentences are recorded." in empty.summary


# --- the dashboard --------------------------------------------------------------------------------


def test_dashboard_shows_what_needs_attention_in_scope(app, client_as, ready_person, make_assignment):
    here = ready_person("Helmi Helsinki")
    there = ready_person("Tuomas Turku")
    assessed = make_assignment(here, "HELV", task="Arvioitu tehtävä")
    make_assignment(here, "VANV", task="Arvioimaton tehtävä")
    make_assignment(there, "TURV", task="Turun tehtävä")
    make_assignment(there, "TURV", task="Päättynyt tehtävä", ends_on=date(2025, 3, 1))
    coordinator = client_as("coordinator")
    _assess(coordinator, assessed)
    post(coordinator, f"/people/{there}/concerns/new", {"kind": "substance_problem", "reported_on": "2025-05-01",
                                                        "partner": "0", "reporter_name": "", "summary": ""})
    page = coordinator.get("/").get_data(as_text=True)
    panel = page.split('id="access-attention-title"')[1].split("</section>")[0]
    assert re.findall(r'<span class="stat">(\d+)</span>', panel) == ["1", "1", "2"]
    assert "Tuomas Turku" in panel and "Arvioitu tehtävä" in panel and "Arvioimaton tehtävä" in panel
    assert "Päättynyt tehtävä" not in panel  # an ended assignment needs nothing

    director = client_as("director", unit="ESRSK")
    panel = director.get("/").get_data(as_text=True).split('id="access-attention-title"')[1].split("</section>")[0]
    assert re.findall(r'<span class="stat">(\d+)</span>', panel) == ["0", "1", "1"]
    assert "Tuomas Turku" not in panel and "Turun tehtävä" not in panel
    assert 'id="access-attention-title"' not in client_as("staff").get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Person.id).where(Person.name == "Helmi Helsinki")) == here
