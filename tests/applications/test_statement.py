"""The statement, its PDF letter (read back in Finnish and Swedish), the applicant's key link, the decision and the
funding outcome."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader
from sqlalchemy import select

from registry.applications import services
from registry.applications.letter import render_statement_pdf
from registry.applications.models import Application, ApplicationStatus, Project, ReviewMeeting
from registry.core.models import OutboxMessage, User
from registry.extensions import db
from tests.conftest import post

JUSTIFICATION = "Hanke vastaa vapautuvien asumisen tarpeeseen ja sen yhteistyö Helsingin vankilan kanssa on sovittu."
CONDITIONS = "Vankilatyötä tekevien turvallisuusselvitykset tehdään ennen toiminnan alkua."


@pytest.fixture(autouse=True)
def _documents(app, tmp_path):
    app.config["DOCUMENT_FOLDER"] = str(tmp_path / "documents")


@pytest.fixture
def reviewed(app, make_application, make_user):
    """An application in review on a meeting's agenda, with two submitted reviews; returns (id, meeting id)."""
    application_id = make_application("Asumisen tuki -hanke", status="in_review", dnro="VN/1234/2026",
                                      organisation_name="Vapautuvien tuki ry", address="Tukikatu 2\n00500 Helsinki")
    members = [make_user("working_group").id for _n in range(2)]
    with app.app_context():
        meeting = services.create_meeting(held_on=date(2026, 3, 10), title="Työryhmän kokous 3/2026")
        application = db.session.get(Application, application_id)
        services.add_to_agenda(meeting, [application])
        for score, member in zip((4, 2), members, strict=True):
            user = db.session.get(User, member)
            services.assign_reviewer(application, user)
            services.declare_conflict(application, user, conflict=False, explanation=None)
            review = services.start_review(application, user)
            services.save_review(review, {c.id: (score, None) for c in review.criteria_version.criteria},
                                 comment=None, submit=True)
        db.session.commit()
        return application_id, meeting.id


def _statement(meeting_id, **changes):
    return {"kind": "conditional", "justification": JUSTIFICATION, "conditions": CONDITIONS,
            "meeting": str(meeting_id), "signatory_name": "Maija Puheenjohtaja",
            "signatory_title": "Projektikumppanuustyöryhmän puheenjohtaja", "language": "fi", **changes}


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_statement_letter_in_finnish_and_swedish(app, reviewed):
    application_id, meeting_id = reviewed
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        data = services.StatementData(kind="conditional", justification=JUSTIFICATION, conditions=CONDITIONS,
                                      meeting=db.session.get(ReviewMeeting, meeting_id),
                                      signatory_name="Maija Puheenjohtaja", signatory_title="Puheenjohtaja",
                                      language="fi")
        services.give_statement(application, data, user=None)
        for language, place, criterion in (("fi", "Helsinki", "Toiminnan tarve"),
                                           ("sv", "Helsingfors", "Behovet av verksamheten")):
            text = _text(render_statement_pdf(application, language=language))
            with force_locale(language):
                statement_word, title = _("Favourable with conditions"), _("Statement")
            assert "Rikosseuraamuslaitos / Brottspåföljdsmyndigheten" in text  # the letterhead
            assert "VN/1234/2026" in text and application.reference in text  # dnro and reference
            assert re.search(rf"{place} \d{{1,2}}\.\d{{1,2}}\.20\d\d", text)  # dated in Helsinki
            assert "Vapautuvien tuki ry" in text and "Tukikatu 2" in text and "Maija Meikäläinen" in text
            assert "Asumisen tuki -hanke" in text and title.upper() in text and statement_word in text
            assert "yhteistyö Helsingin vankilan kanssa on sovittu" in text  # the justification
            assert "turvallisuusselvitykset tehdään ennen toiminnan alkua" in text  # the conditions
            assert criterion in text  # the criteria summary in the letter's language
            assert "Maija Puheenjohtaja" in text and "10.3.2026" in text  # signatory and the meeting


def test_giving_the_statement_stores_and_mails_the_letter(app, english, reviewed, working_group_client):
    application_id, meeting_id = reviewed
    client = working_group_client
    url = f"/applications/{application_id}/statement"
    assert "Toiminnan tarve" not in client.get(url).get_data(as_text=True)  # English UI: English criteria names
    no_conditions = post(client, url, _statement(meeting_id, conditions=""))
    assert no_conditions.status_code == 400
    page = no_conditions.get_data(as_text=True)
    assert "A favourable statement with conditions needs the conditions." in page and "Helsingin vankilan" in page
    assert post(client, url, _statement(meeting_id, meeting="0")).status_code == 400
    response = post(client, url, _statement(meeting_id, language="sv"))
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is ApplicationStatus.STATEMENT_GIVEN
        assert application.statement_conditions == CONDITIONS and application.letter_document_id is not None
        assert application.statement_meeting_id == meeting_id
        key = application.access_key
        mail = db.session.scalar(select(OutboxMessage))
        assert mail.to == "maija.meikalainen@example.org" and application.reference in mail.subject
        assert f"/applications/{application_id}/statement.pdf?key={key}" in mail.body
    # The applicant's own link, without signing in; the working group by session.
    anonymous = app.test_client()
    letter = anonymous.get(f"/applications/{application_id}/statement.pdf?key={key}")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    assert "Helsingfors" in _text(letter.data)  # Swedish on request
    assert anonymous.get(f"/applications/{application_id}/statement.pdf?key={key[:-1]}x").status_code == 404
    assert anonymous.get(f"/applications/{application_id}/statement.pdf").status_code == 404
    assert anonymous.get(f"/applications/{application_id + 1}/statement.pdf?key={key}").status_code == 404
    assert client.get(f"/applications/{application_id}/statement.pdf").status_code == 200
    detail = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Statement letter (PDF)" in detail and "Favourable with conditions" in detail


def test_a_staff_member_gets_no_letter_without_the_key(app, reviewed, client_as):
    application_id, meeting_id = reviewed
    post(client_as("working_group"), f"/applications/{application_id}/statement", _statement(meeting_id))
    staff = client_as("staff")
    assert staff.get(f"/applications/{application_id}/statement.pdf").status_code == 404
    assert staff.get(f"/applications/{application_id}").status_code == 403
    assert staff.get(f"/applications/{application_id}/statement").status_code == 403
    assert post(staff, f"/applications/{application_id}/statement", _statement(meeting_id)).status_code == 403


def test_decision_and_funding_are_recorded(app, english, reviewed, working_group_client, make_user):
    application_id, meeting_id = reviewed
    client = working_group_client
    assert post(client, f"/applications/{application_id}/decision",
                {"decided_by": "Pääjohtaja", "decided_on": "2026-03-20", "outcome": "x"}).status_code == 400
    post(client, f"/applications/{application_id}/statement", _statement(meeting_id, kind="favourable"))
    bad = post(client, f"/applications/{application_id}/decision",
               {"decided_by": "Pääjohtaja", "decided_on": "20.3.2026", "outcome": "Hyväksytään yhteistyö"})
    assert bad.status_code == 400 and "Hyväksytään yhteistyö" in bad.get_data(as_text=True)
    assert post(client, f"/applications/{application_id}/decision",
                {"decided_by": "Pääjohtaja", "decided_on": "2026-03-20",
                 "outcome": "Hyväksytään yhteistyö"}).status_code == 302
    responsible = make_user("staff", name="Vastuu Henkilö")
    with app.app_context():
        unit_id = db.session.get(Application, application_id).units[0].id
    url = f"/applications/{application_id}/funding"
    missing = post(client, url, {"outcome": "granted", "decided_on": "2026-06-01", "amount": "120000",
                                 "unit": str(unit_id), "responsible": "0"})
    assert missing.status_code == 400 and "Choose the unit&#39;s responsible person." in missing.get_data(as_text=True)
    negative = post(client, url, {"outcome": "granted", "decided_on": "2026-06-01", "amount": "-5"})
    assert negative.status_code == 400
    assert post(client, url, {"outcome": "granted", "decided_on": "2026-06-01", "amount": "120000.50",
                              "unit": str(unit_id), "responsible": str(responsible.id)}).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert (application.decision_by, application.decision_on) == ("Pääjohtaja", date(2026, 3, 20))
        assert application.funding_outcome.value == "granted" and application.funding_amount == Decimal("120000.50")
        assert application.status in (ApplicationStatus.FUNDING_DECIDED, ApplicationStatus.RUNNING)
        project = db.session.scalar(select(Project).where(Project.application_id == application_id))
        assert project.unit_id == unit_id and project.responsible_id == responsible.id


def test_denied_funding_makes_no_project(app, reviewed, working_group_client):
    application_id, meeting_id = reviewed
    client = working_group_client
    post(client, f"/applications/{application_id}/statement", _statement(meeting_id))
    assert post(client, f"/applications/{application_id}/funding",
                {"outcome": "denied", "decided_on": "2026-06-01"}).status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.FUNDING_DECIDED
        assert not db.session.scalars(select(Project)).all()
    # Funding is recorded once, after the statement.
    assert post(client, f"/applications/{application_id}/funding",
                {"outcome": "granted", "decided_on": "2026-06-01"}).status_code == 400
