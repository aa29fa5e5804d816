"""Retention dates, erasure without personal traces, the daily job's clearance reminders and retention task."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from registry.access import daily, protection
from registry.access.assignments import create_assignment, run_assessment, update_assignment
from registry.access.models import (
    Assessment,
    Assignment,
    ClearanceKind,
    Concern,
    ConcernKind,
    DecisionOutcome,
    DirectorDecision,
    Induction,
    Person,
    PolicyParameterSet,
    SecurityClearance,
    Sentence,
    Training,
)
from registry.core.daily import claim_reminder
from registry.core.documents import document_path, store_document
from registry.core.models import AuditEvent, Document, OutboxMessage, SentReminder, Unit, User
from registry.core.services import ServiceError
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post

pytestmark = pytest.mark.usefixtures("reference", "english")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _assignment_data(starts: date, ends: date | None) -> dict:
    unit = db.session.scalar(select(Unit).where(Unit.code == "HELV"))
    return {"unit": unit, "setting": "in_premises", "close_pair": "none", "pair_name": None, "task": "Vertaisryhmä",
            "starts_on": starts, "ends_on": ends}


# --- the retention date -------------------------------------------------------------------------------


def test_retention_date_follows_the_assignments(app, make_person):
    pid = make_person(created_at=datetime(2024, 5, 6, 21, 30, tzinfo=UTC))  # 7.5.2024 in Helsinki
    with app.app_context():
        person = db.session.get(Person, pid)
        assert protection.refresh_retention(person) == date(2026, 5, 7)  # no assignments: created + 2 years
        first = create_assignment(person, _assignment_data(date(2025, 1, 1), None))
        assert person.retention_until is None  # an open assignment keeps the record
        update_assignment(first, _assignment_data(date(2025, 1, 1), date(2025, 12, 31)))
        assert person.retention_until == date(2027, 12, 31)
        create_assignment(person, _assignment_data(date(2026, 1, 1), date(2028, 2, 29)))
        assert person.retention_until == date(2030, 2, 28)  # the last end counts; 29.2 + 2 years → 28.2
        db.session.commit()


def test_the_retention_period_in_force_when_the_last_assignment_ends_applies(app, make_person, make_assignment):
    pid = make_person()
    make_assignment(pid, starts_on=date(2026, 1, 1), ends_on=date(2027, 6, 30))
    with app.app_context():
        person = db.session.get(Person, pid)
        assert protection.refresh_retention(person) == date(2029, 6, 30)
        db.session.add(PolicyParameterSet(version="2027-1", effective_from=date(2027, 1, 1), waiting_years=3,
                                          paired_waiting_years=2, retention_years=5, source="test"))
        db.session.flush()
        assert protection.refresh_retention(person) == date(2032, 6, 30)
        person.assignments[0].ends_on = date(2026, 12, 31)  # ends before the new version
        assert protection.refresh_retention(person) == date(2028, 12, 31)
        db.session.rollback()


def test_only_records_past_their_date_are_expired(app, make_person):
    today = helsinki_today()
    gone = make_person(name="A", retention_until=today - timedelta(days=1))
    make_person(name="B", retention_until=today)  # kept until the end of its last day
    make_person(name="C", retention_until=None)
    with app.app_context():
        assert [p.id for p in protection.expired_people(today)] == [gone]
        assert protection.expired_ids(today) == [gone]
        with pytest.raises(ServiceError):
            protection.erase_person(db.session.scalar(select(Person).where(Person.name == "B")), None, today=today)


# --- erasure ----------------------------------------------------------------------------------------------


@pytest.fixture
def expired_record(app, make_person, make_assignment, make_sentence, make_clearance, make_induction, make_user,
                   make_partner):
    """A person whose last assignment ended three years ago, with something in every part of the record."""
    today = helsinki_today()
    partner = make_partner("Kumppani ry")
    pid = make_person(name="Unto Unohdettava", email="unto@example.fi", phone="+358401234567",
                      notes="Erityinen muistiinpano")
    make_sentence(pid, offence_date=date(2011, 4, 13), enforcement_start=date(2012, 5, 14),
                  left_prison=date(2013, 6, 15))
    make_clearance(person_id=pid, valid_until=date(2019, 7, 16), notes="Selvitys tehty")
    org_clearance = make_clearance(partner_id=partner, kind=ClearanceKind.ORGANISATION)
    make_induction(pid, inducted_by="Perehdyttäjä Pekkarinen")
    assignment_id = make_assignment(pid, "HELV", task="Tehtävä Ainutlaatuinen", pair_name="Pari Parinen",
                                    starts_on=today - relativedelta(years=4), ends_on=today - relativedelta(years=3))
    director = make_user("director", unit="HELV")
    with app.app_context():
        person = db.session.get(Person, pid)
        person.undertaking_document = store_document(PDF + b"undertaking", "Unto_Unohdettava_sitoumus.pdf",
                                                     user_id=None)
        evidence = store_document(PDF + b"training", "Unto_Unohdettava_todistus.pdf", user_id=None)
        db.session.add(Training(person=person, provider="Koulutus Oy", programme="Ohjelma Harvinainen",
                                completed_on=date(2018, 8, 17), document=evidence))
        assignment = db.session.get(Assignment, assignment_id)
        assessment = run_assessment(assignment, db.session.get(User, director.id), today - relativedelta(years=4))
        decision = DirectorDecision(assignment=assignment, assessment=assessment, outcome=DecisionOutcome.ADMIT,
                                    reasoning="Perustelu Yksilöllinen", decided_by_id=director.id)
        db.session.add(decision)
        db.session.flush()
        db.session.add(Concern(person=person, kind=ConcernKind.OTHER, reported_on=date(2020, 9, 18),
                               reporter_name="Ilmoittaja Ilmonen", summary="Huoli Kuvattu",
                               closed_by_decision_id=decision.id))
        protection.refresh_retention(person)
        db.session.commit()
        files = [document_path(d.sha256) for d in protection.person_documents(person)]
    assert all(f.exists() for f in files)
    return {"id": pid, "files": files, "org_clearance": org_clearance, "partner": partner}


PERSONAL = ["Unto Unohdettava", "Unohdettava", "unto@example.fi", "+358401234567", "Erityinen muistiinpano",
            "2011-04-13", "2012-05-14", "2013-06-15", "2019-07-16", "2018-08-17", "2020-09-18", "Selvitys tehty",
            "Perehdyttäjä Pekkarinen", "Tehtävä Ainutlaatuinen", "Pari Parinen", "Ohjelma Harvinainen",
            "Perustelu Yksilöllinen", "Ilmoittaja Ilmonen", "Huoli Kuvattu", "13.4.2011", "15.6.2013"]


def _audit_dump() -> str:
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    return json.dumps([{c.key: getattr(e, c.key) for c in AuditEvent.__table__.columns} for e in rows],
                      default=str, ensure_ascii=False)


def _assert_erased(app, record: dict) -> None:
    pid = record["id"]
    with app.app_context():
        assert db.session.get(Person, pid) is None
        for model in (Training, Induction, Sentence, Assignment, Concern):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
        for model in (Assessment, DirectorDecision, Document):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
        clearances = db.session.scalars(select(SecurityClearance)).all()
        assert [c.id for c in clearances] == [record["org_clearance"]]  # the partner's own clearance stays
        dump = _audit_dump()
        found = [value for value in PERSONAL if value in dump]
        assert not found, f"personal data left in the audit log: {found}"
        traces = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).all()
        assert len(traces) == 1
        trace = traces[0]
        assert (trace.object_type, trace.object_id, trace.object_label) == ("person", str(pid), None)
        expected = (helsinki_today() - relativedelta(years=3) + relativedelta(years=2)).isoformat()
        assert trace.note == f"retention expired {expected}"
        assert trace.before is None and trace.after is None
        # who did what and when stays: the scrubbed rows are still there, without values
        scrubbed = db.session.scalars(select(AuditEvent).where(AuditEvent.object_label == protection.ERASED_LABEL))
        assert {e.object_type for e in scrubbed} >= {"person", "sentence", "assignment", "assessment", "document"}
    assert not any(f.exists() for f in record["files"])


def test_erase_from_the_retention_page(app, client_as, expired_record):
    coordinator = client_as("coordinator")
    page = coordinator.get("/people/retention")
    assert page.status_code == 200 and "Unto Unohdettava" in page.get_data(as_text=True)
    coordinator.get(f"/people/{expired_record['id']}")  # a logged view, scrubbed too
    unconfirmed = post(coordinator, "/people/retention/erase", {"person": str(expired_record["id"])})
    assert unconfirmed.status_code == 400 and 'id="confirm-error"' in unconfirmed.get_data(as_text=True)
    nothing = post(coordinator, "/people/retention/erase", {"confirm": "y"})
    assert nothing.status_code == 400 and "Choose at least one record" in nothing.get_data(as_text=True)
    junk = post(coordinator, "/people/retention/erase", {"person": "x' or 1=1", "confirm": "y"})
    assert junk.status_code == 400
    with app.app_context():
        assert db.session.get(Person, expired_record["id"]) is not None  # nothing happened yet
    done = post(coordinator, "/people/retention/erase", {"person": str(expired_record["id"]), "confirm": "y"},
                follow_redirects=True)
    assert done.status_code == 200 and "1 record erased" in done.get_data(as_text=True)
    _assert_erased(app, expired_record)
    with app.app_context():
        trace = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "erase"))
        assert trace.actor_label == coordinator.user.email


def test_a_record_not_yet_expired_cannot_be_erased_through_the_form(app, client_as, make_person):
    pid = make_person(retention_until=helsinki_today() + timedelta(days=1))
    coordinator = client_as("coordinator")
    response = post(coordinator, "/people/retention/erase", {"person": str(pid), "confirm": "y"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Person, pid) is not None


def test_only_coordinators_reach_the_retention_pages(client_as):
    for roles in (("director",), ("admin",), ("staff",)):
        client = client_as(*roles, unit="ESRSK")
        assert client.get("/people/retention").status_code == 403
        assert post(client, "/people/retention/erase", {"confirm": "y"}).status_code == 403


# --- the daily job --------------------------------------------------------------------------------------


def test_daily_job_lists_expired_records_and_erases_only_when_asked(app, expired_record, make_person):
    kept = make_person(name="Tuore Tietue")  # created today: kept for two years
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "daily"])
    assert listed.exit_code == 0, listed.output
    assert "expired records: 1" in listed.output and f"ids: {expired_record['id']}" in listed.output
    assert "Unto" not in listed.output and "Tuore" not in listed.output  # ids only, never names
    with app.app_context():
        assert db.session.get(Person, expired_record["id"]) is not None
        assert db.session.get(Person, kept).retention_until == helsinki_today() + relativedelta(years=2)
    erased = runner.invoke(args=["jobs", "daily", "--erase-expired"])
    assert erased.exit_code == 0, erased.output
    assert f"erased: {expired_record['id']}" in erased.output
    _assert_erased(app, expired_record)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.actor_label).where(AuditEvent.action == "erase")) == "daily"
        assert db.session.get(Person, kept) is not None
    again = runner.invoke(args=["jobs", "daily", "--erase-expired"])
    assert again.exit_code == 0 and "expired records: 0" in again.output


def test_daily_job_with_a_date(app, make_person, make_assignment):
    pid = make_person()
    make_assignment(pid, starts_on=date(2025, 1, 1), ends_on=date(2026, 1, 31))
    runner = app.test_cli_runner()
    before = runner.invoke(args=["jobs", "daily", "--date", "2028-01-31"])
    assert "expired records: 0" in before.output
    after = runner.invoke(args=["jobs", "daily", "--date", "2028-02-01"])
    assert "expired records: 1" in after.output and f"ids: {pid}" in after.output
    bad = runner.invoke(args=["jobs", "daily", "--date", "31.1.2028"])
    assert bad.exit_code == 2


@pytest.fixture
def clearances(app, make_person, make_partner, make_clearance, make_user):
    """Clearances around the reminder steps, and two coordinators; returns the ids."""
    today = helsinki_today()
    pid = make_person(name="Salainen Henkilö")
    partner = make_partner("Vierailijat ry")
    ids = {
        "person_50": make_clearance(person_id=pid, valid_until=today + timedelta(days=50)),
        "org_10": make_clearance(partner_id=partner, kind=ClearanceKind.ORGANISATION,
                                 valid_until=today + timedelta(days=10)),
        "far": make_clearance(person_id=make_person(), valid_until=today + timedelta(days=100)),
        "expired": make_clearance(person_id=make_person(), valid_until=today - timedelta(days=1)),
    }
    renewed = make_person()
    ids["renewed_old"] = make_clearance(person_id=renewed, valid_until=today + timedelta(days=20))
    make_clearance(person_id=renewed, valid_until=today + timedelta(days=400))
    make_user("coordinator", email="koordinaattori@rise.example")
    make_user("coordinator", email="samordnare@rise.example")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "samordnare@rise.example")).locale = "sv"
        db.session.commit()
    make_user("coordinator", email="passive@rise.example", active=False)
    make_user("director", email="johtaja@rise.example", unit="ESRSK")
    ids["person"] = pid
    return ids


def test_clearance_reminders_are_sent_once(app, clearances):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "daily"])
    assert first.exit_code == 0, first.output
    assert "reminders sent: 2" in first.output and "emails queued: 4" in first.output
    second = runner.invoke(args=["jobs", "daily"])
    assert "reminders sent: 0" in second.output
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert sorted(m.to for m in messages) == ["koordinaattori@rise.example"] * 2 + ["samordnare@rise.example"] * 2
        keys = set(db.session.scalars(select(SentReminder.key)))
        today = helsinki_today()
        assert keys == {f"clearance:{clearances['person_50']}:{today + timedelta(days=50)}:60",
                        f"clearance:{clearances['org_10']}:{today + timedelta(days=10)}:14"}
        person_mail = next(m for m in messages if f"/people/{clearances['person']}" in m.body)
        assert "Salainen" not in person_mail.body + person_mail.subject  # the outbox is readable by admins
        with force_locale("fi"):  # the coordinator has no language of their own: Finnish
            assert gettext("person record no. %(id)d", id=clearances["person"]) in person_mail.body
        org_mail = next(m for m in messages if "Vierailijat ry" in m.body)
        assert f"/people/organisations/{clearances['org_10']}" in org_mail.body
    # Forty days later the personal clearance reaches the 14-day step and the far one the 60-day step.
    later = runner.invoke(args=["jobs", "daily", "--date", (helsinki_today() + timedelta(days=40)).isoformat()])
    assert "reminders sent: 2" in later.output
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 8
        assert db.session.scalar(select(func.count(SentReminder.id)).where(
            SentReminder.key.like(f"clearance:{clearances['person_50']}:%:14"))) == 1


def test_the_unique_key_guards_parallel_runs(app, clearances):
    with app.app_context(), app.test_request_context():
        assert claim_reminder("clearance:1:2030-01-01:60") is True
        assert claim_reminder("clearance:1:2030-01-01:60") is False  # a second run inserting the same key
        db.session.commit()
        assert db.session.scalar(select(func.count(SentReminder.id))) == 1
        # A reminder another process already recorded is not sent again.
        today = helsinki_today()
        db.session.add(SentReminder(key=f"clearance:{clearances['person_50']}:{today + timedelta(days=50)}:60"))
        db.session.commit()
        summary = daily.send_clearance_reminders(today)
        db.session.commit()
        assert summary["reminders_sent"] == 1


@pytest.mark.parametrize(("days_left", "step"), [(61, None), (60, 60), (15, 60), (14, 14), (0, 14)])
def test_reminder_steps(days_left, step):
    assert daily.reminder_step(days_left, [60, 14]) == step


def test_reminder_days_are_configurable(app, clearances):
    app.config["CLEARANCE_REMINDER_DAYS"] = "30, 7"
    result = app.test_cli_runner().invoke(args=["jobs", "daily"])
    assert "steps in days: 30, 7" in result.output and "reminders sent: 1" in result.output  # only org_10
