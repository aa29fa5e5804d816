"""The application's path (workflow.py): which steps are allowed, what each needs, and the status button."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.applications import services, workflow
from registry.applications.models import Application
from registry.applications.models import ApplicationStatus as S
from registry.core.models import AuditEvent
from registry.extensions import db
from tests.conftest import post

CHAIN = [S.RECEIVED, S.ELIGIBILITY_CHECKED, S.IN_REVIEW, S.STATEMENT_GIVEN, S.FUNDING_DECIDED, S.RUNNING,
         S.ENDED, S.EVALUATED]


def test_the_chain_moves_one_step_forward_only():
    for here, there in zip(CHAIN, CHAIN[1:], strict=False):
        assert workflow.can_move(here, there)
        assert not workflow.can_move(there, here)  # never backwards
    assert not workflow.can_move(S.RECEIVED, S.IN_REVIEW)  # no skipping the checks
    assert not workflow.can_move(S.ELIGIBILITY_CHECKED, S.STATEMENT_GIVEN)  # no statement without review
    assert not workflow.can_move(S.RECEIVED, S.RECEIVED)


@pytest.mark.parametrize("status", [S.RECEIVED, S.ELIGIBILITY_CHECKED, S.IN_REVIEW, S.STATEMENT_GIVEN,
                                    S.FUNDING_DECIDED])
def test_an_open_application_can_be_withdrawn(status):
    assert workflow.can_move(status, S.WITHDRAWN)


@pytest.mark.parametrize("status", [S.RUNNING, S.ENDED, S.EVALUATED, S.WITHDRAWN, S.REJECTED])
def test_a_running_or_closed_application_cannot_be_withdrawn(status):
    assert not workflow.can_move(status, S.WITHDRAWN)


def test_rejection_only_before_the_statement():
    assert {s for s in S if workflow.can_move(s, S.REJECTED)} == {S.RECEIVED, S.ELIGIBILITY_CHECKED, S.IN_REVIEW}
    assert workflow.next_steps(S.WITHDRAWN) == workflow.next_steps(S.REJECTED) == []
    assert workflow.next_steps(S.RECEIVED) == [S.ELIGIBILITY_CHECKED, S.WITHDRAWN, S.REJECTED]
    assert not workflow.can_move("nonsense", S.REJECTED) and not workflow.can_move(None, S.RECEIVED)


def test_required_facts_per_step():
    facts = workflow.StepFacts
    assert workflow.missing_for(S.ELIGIBILITY_CHECKED, facts(eligible=False)) == ["eligible"]
    assert workflow.missing_for(S.ELIGIBILITY_CHECKED, facts(unit_count=0)) == ["units"]
    assert workflow.missing_for(S.STATEMENT_GIVEN, facts()) == ["statement", "justification"]
    assert workflow.missing_for(S.STATEMENT_GIVEN, facts(statement="conditional", justification=True)) == \
        ["conditions"]
    assert workflow.missing_for(S.STATEMENT_GIVEN, facts(statement="favourable", justification=True)) == []
    assert workflow.missing_for(S.FUNDING_DECIDED, facts(funding_outcome="denied")) == ["funding_decided_on"]
    assert workflow.missing_for(S.RUNNING, facts(funding_outcome="denied", has_project=False)) == \
        ["funding_granted", "project"]
    assert workflow.missing_for(S.RUNNING, facts(funding_outcome="granted", has_project=True)) == []
    assert workflow.missing_for(S.EVALUATED, facts(has_project=True)) == ["evaluation"]
    assert workflow.missing_for(S.REJECTED, facts()) == ["note"]
    assert workflow.missing_for(S.REJECTED, facts(note=True)) == []


def _status(app, application_id):
    with app.app_context():
        return db.session.get(Application, application_id).status


def test_status_button_moves_and_refuses(app, english, make_application, working_group_client):
    application_id = make_application()
    client = working_group_client
    url = f"/applications/{application_id}/status"
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Mark eligibility checked" in page and "Start the review" not in page  # only allowed steps
    assert post(client, url, {"step": "in_review"}).status_code == 400  # skipping is refused
    assert _status(app, application_id) is S.RECEIVED
    response = post(client, url, {"step": "eligibility_checked"})
    assert response.status_code == 302
    assert _status(app, application_id) is S.ELIGIBILITY_CHECKED
    refused = post(client, url, {"step": "statement_given"})  # a step with its own form
    assert refused.status_code == 400 and "Use the form of this step." in refused.get_data(as_text=True)
    no_reason = post(client, url, {"step": "rejected", "note": "  "})
    assert no_reason.status_code == 400 and "Give the reason." in no_reason.get_data(as_text=True)
    assert post(client, url, {"step": "rejected", "note": "Ei resursseja"}).status_code == 302
    assert _status(app, application_id) is S.REJECTED
    with app.app_context():
        notes = db.session.scalars(select(AuditEvent.note).where(
            AuditEvent.object_type == "application", AuditEvent.object_id == str(application_id))).all()
        assert any(n and "Ei resursseja" in n for n in notes)
    history = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Ei resursseja" in history and "This application's path has ended." in history


def test_an_ineligible_applicant_cannot_pass_the_check(app, english, make_application, working_group_client):
    application_id = make_application(applicant_form="company", organisation_name="Voitto Oy")
    page = working_group_client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "not eligible as a project partner" in page  # the reason instead of the button
    response = post(working_group_client, f"/applications/{application_id}/status", {"step": "eligibility_checked"})
    assert response.status_code == 400
    assert _status(app, application_id) is S.RECEIVED


def test_offered_steps_match_the_facts(app, make_application):
    application_id = make_application(status="funding_decided", funding_outcome="denied")
    with app.app_context():
        application = db.session.get(Application, application_id)
        options = dict(services.offered_steps(application))
        assert set(options) == {S.RUNNING, S.WITHDRAWN}
        assert options[S.RUNNING] is not None and options[S.WITHDRAWN] is None
