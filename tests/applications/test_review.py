"""Meetings and agendas, reviewers and conflicts of interest, reviews and versioned criteria."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select

from registry.applications import criteria as criteria_service
from registry.applications import services
from registry.applications.models import Application, CriteriaVersion, Review, Reviewer, ReviewMeeting
from registry.core.models import User
from registry.directory.models import LiaisonRole, LiaisonSide, LiaisonSubject
from registry.extensions import db
from tests.conftest import post


def _assign(app, application_id, user_id, *, declare=True):
    with app.app_context():
        application = db.session.get(Application, application_id)
        services.assign_reviewer(application, db.session.get(User, user_id))
        if declare:
            services.declare_conflict(application, db.session.get(User, user_id), conflict=False, explanation=None)
        db.session.commit()


def _criteria(app):
    with app.app_context():
        version = criteria_service.current_version()
        return version.id, [(c.id, c.scale_min, c.scale_max, c.required) for c in version.criteria]


def _scores(app, value=4):
    version_id, criteria = _criteria(app)
    data = {"version": str(version_id), "comment": "Hyvä hanke"}
    for cid, _lo, _hi, _req in criteria:
        data[f"score_{cid}"] = str(value)
        data[f"comment_{cid}"] = f"peruste {cid}"
    return data


def test_a_reviewer_who_is_the_partners_contact_is_blocked(app, make_application, make_partner, make_contact,
                                                           client_as, english):
    partner_id = make_partner("Hakijayhdistys ry")
    application_id = make_application(partner_id=partner_id, status="in_review")
    client = client_as("working_group", email="liisa.lahi@rise.example")
    chair = client_as("working_group")
    # Assigning the partner's own contact is refused with a clear message.
    make_contact("Liisa Lähi", partner_id=partner_id, email="Liisa.Lahi@rise.example")
    response = post(chair, f"/applications/{application_id}/reviewers", {"user": client.user.id})
    assert response.status_code == 400
    assert "is linked to the applicant organisation and cannot review it" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalars(select(Reviewer)).all()
        # Assigned before the link existed (or the link was added since): still blocked, whatever they declare.
        db.session.add(Reviewer(application_id=application_id, user_id=client.user.id))
        db.session.commit()
    assert post(client, f"/applications/{application_id}/conflict", {"conflict": "no"}).status_code == 302
    blocked = client.get(f"/applications/{application_id}/review")
    assert blocked.status_code == 409
    assert "You are a contact person of the applicant organisation." in blocked.get_data(as_text=True)
    refused = post(client, f"/applications/{application_id}/review", {**_scores(app), "action": "submit"})
    assert refused.status_code == 409
    with app.app_context():
        assert not db.session.scalars(select(Review)).all()
        with force_locale("en"):
            ok, reason = services.may_review(db.session.get(User, client.user.id),
                                             db.session.get(Application, application_id))
            assert not ok and "contact person" in str(reason)


def test_a_rise_liaison_of_the_partner_is_blocked_too(app, make_application, make_partner, make_contact, make_user):
    partner_id = make_partner("Toinen ry")
    application_id = make_application(partner_id=partner_id, contact_email="hakija@toinen.example")
    member = make_user("working_group", email="rise.liaison@rise.example")
    contact_id = make_contact("Rise Liaison", unit="HELV", email="rise.liaison@rise.example")
    other = make_application(contact_email="rise.liaison@rise.example")
    with app.app_context():
        user = db.session.get(User, member.id)
        application = db.session.get(Application, application_id)
        assert services.may_review(user, application) == (True, None)
        db.session.add(LiaisonRole(contact_id=contact_id, subject=LiaisonSubject.PARTNER, side=LiaisonSide.RISE,
                                   partner_id=partner_id))
        db.session.flush()
        with force_locale("en"):
            ok, reason = services.may_review(user, application)
            assert not ok and "liaison for the applicant organisation" in str(reason)
        # The applicant's own contact person is linked even without a partner record.
        assert not services.may_review(user, db.session.get(Application, other))[0]


def test_a_declared_conflict_blocks_and_needs_an_explanation(app, make_application, client_as, english):
    application_id = make_application(status="in_review")
    client = client_as("working_group")
    _assign(app, application_id, client.user.id, declare=False)
    assert client.get(f"/applications/{application_id}/review").headers["Location"].endswith(
        f"/applications/{application_id}/conflict")  # declare first
    missing = post(client, f"/applications/{application_id}/conflict", {"conflict": "yes", "explanation": " "})
    assert missing.status_code == 400 and "Explain the conflict of interest." in missing.get_data(as_text=True)
    assert post(client, f"/applications/{application_id}/conflict",
                {"conflict": "yes", "explanation": "Olen yhdistyksen hallituksessa"}).status_code == 302
    blocked = client.get(f"/applications/{application_id}/review")
    assert blocked.status_code == 409 and "You declared a conflict of interest" in blocked.get_data(as_text=True)
    detail = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Conflict declared" in detail and "Olen yhdistyksen hallituksessa" in detail


def test_a_reviewer_sees_the_others_reviews_only_after_submitting(app, make_application, client_as, english):
    application_id = make_application(status="in_review")
    first, second = client_as("working_group", name="Arvioija Yksi"), client_as("working_group", name="Arvioija Kaksi")
    bystander = client_as("working_group")
    for client in (first, second):
        _assign(app, application_id, client.user.id)
    assert post(first, f"/applications/{application_id}/review", {**_scores(app, 5), "action": "submit"}) \
        .status_code == 302
    hidden = second.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "You will see the other reviews" in hidden and "Arvioija Yksi" not in hidden.split('id="summary"')[1]
    seen = bystander.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Each reviewer's own total" in seen and "Arvioija Yksi" in seen  # not a reviewer: sees the summary
    # A draft does not open the others' reviews; submitting does.
    assert post(second, f"/applications/{application_id}/review", {**_scores(app, 1), "action": "draft"}) \
        .status_code == 302
    assert "You will see the other reviews" in second.get(f"/applications/{application_id}").get_data(as_text=True)
    assert post(second, f"/applications/{application_id}/review", {**_scores(app, 1), "action": "submit"}) \
        .status_code == 302
    page = second.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "You will see the other reviews" not in page and "Arvioija Yksi" in page and "dissent" in page


def test_review_form_checks_scales_required_scores_and_finality(app, make_application, client_as, english):
    application_id = make_application(status="in_review")
    client = client_as("working_group")
    _assign(app, application_id, client.user.id)
    version_id, criteria = _criteria(app)
    url = f"/applications/{application_id}/review"
    bad = _scores(app)
    bad[f"score_{criteria[0][0]}"] = "9"  # outside the scale 0–5
    response = post(client, url, {**bad, "action": "draft"})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert "peruste" in response.get_data(as_text=True)  # the input is kept
    required = next(cid for cid, _lo, _hi, req in criteria if req)
    partial = _scores(app)
    partial[f"score_{required}"] = ""
    response = post(client, url, {**partial, "action": "submit"})
    assert response.status_code == 400 and "Score this criterion before submitting." in response.get_data(as_text=True)
    assert post(client, url, {**partial, "action": "draft"}).status_code == 302  # a draft may be partial
    with app.app_context():
        review = db.session.scalar(select(Review))
        assert review.submitted_at is None and review.criteria_version_id == version_id
    assert post(client, url, {**_scores(app, 3), "action": "submit"}).status_code == 302
    assert post(client, url, {**_scores(app, 0), "action": "submit"}).status_code == 400  # final
    with app.app_context():
        review = db.session.scalar(select(Review))
        assert review.submitted_at is not None and {s.score for s in review.scores} == {3}
    assert "is final" in client.get(url).get_data(as_text=True)


def test_an_old_review_keeps_the_criteria_it_was_started_with(app, make_application, client_as, english):
    application_id = make_application(status="in_review")
    early, late = client_as("working_group"), client_as("working_group")
    for client in (early, late):
        _assign(app, application_id, client.user.id)
    old_version, old_criteria = _criteria(app)
    assert post(early, f"/applications/{application_id}/review", {**_scores(app, 2), "action": "draft"}) \
        .status_code == 302
    with app.app_context():
        criteria_service.create_version([criteria_service.CriterionData(
            code="need", name_fi="Tarve", name_sv="Behov", name_en="Need", weight=Decimal(2), scale_max=10)])
        db.session.commit()
    new_version, new_criteria = _criteria(app)
    assert new_version != old_version and len(new_criteria) == 1
    # The early reviewer's form still shows the old criteria; the late one gets the new version.
    assert post(early, f"/applications/{application_id}/review", {**{f"score_{c[0]}": "4" for c in old_criteria},
                                                                  "action": "submit"}).status_code == 302
    assert post(late, f"/applications/{application_id}/review", {
        "version": str(new_version), f"score_{new_criteria[0][0]}": "10", "action": "submit"}).status_code == 302
    with app.app_context():
        versions = {r.reviewer_id: r.criteria_version_id for r in db.session.scalars(select(Review))}
        assert versions == {early.user.id: old_version, late.user.id: new_version}
        summary = services.summary_for(db.session.get(Application, application_id))
        groups = {g.version_id: g for g in summary.groups}
        assert len(groups[old_version].criteria) == len(old_criteria) == 7
        assert groups[new_version].total == 100 and groups[old_version].total == 80


def test_criteria_new_version_page(app, reference, client_as, english):
    client = client_as("working_group")
    page = client.get("/applications/criteria").get_data(as_text=True)
    assert "Need for the activity" in page and "Version 1" in page
    form = client.get("/applications/criteria/new-version").get_data(as_text=True)
    assert 'value="need"' in form and "criteria-7-name_fi" in form  # seven criteria and one empty row
    with app.app_context():
        current = criteria_service.current_version()
        rows = [(c.code, c.name_fi, c.name_sv, c.name_en, c.weight, c.position) for c in current.criteria]
    data = {}
    for n, (code, fi, sv, en, weight, position) in enumerate(rows):
        data.update({f"criteria-{n}-code": code, f"criteria-{n}-name_fi": fi, f"criteria-{n}-name_sv": sv,
                     f"criteria-{n}-name_en": en, f"criteria-{n}-weight": str(weight),
                     f"criteria-{n}-scale_min": "0", f"criteria-{n}-scale_max": "5", f"criteria-{n}-required": "y",
                     f"criteria-{n}-position": str(position)})
    data["criteria-0-position"] = "20"  # the first goes last
    data["criteria-1-remove"] = "y"
    data.update({"criteria-7-name_fi": "Vaikuttavuus", "criteria-7-name_sv": "Effekt", "criteria-7-name_en": "Impact",
                 "criteria-7-weight": "0", "criteria-7-scale_min": "1", "criteria-7-scale_max": "4",
                 "criteria-7-position": "8", "action": "save"})
    bad = post(client, "/applications/criteria/new-version", data)
    assert bad.status_code == 400 and 'value="Vaikuttavuus"' in bad.get_data(as_text=True)
    assert "Give a weight more than 0" in bad.get_data(as_text=True)
    data["criteria-7-weight"] = "1.5"
    assert post(client, "/applications/criteria/new-version", data).status_code == 302
    with app.app_context():
        version = criteria_service.current_version()
        assert version.number == 2
        codes = [c.code for c in version.criteria]
        assert codes[-1] == "need" and "unit_cooperation" not in codes and "impact" in codes
        impact = next(c for c in version.criteria if c.code == "impact")
        assert (impact.weight, impact.scale_min, impact.scale_max) == (Decimal("1.50"), 1, 4)
        assert len(db.session.get(CriteriaVersion, 1).criteria) == 7  # version 1 unchanged
    more = post(client, "/applications/criteria/new-version", {**data, "action": "add"})
    assert more.status_code == 200 and "criteria-8-name_fi" in more.get_data(as_text=True)


def test_meeting_agenda_from_pending_applications(app, english, make_application, working_group_client):
    client = working_group_client
    first = make_application("Ensimmäinen hanke")
    second = make_application("Toinen hanke", status="in_review")
    make_application("Annettu hanke", status="statement_given")  # not pending
    bad = post(client, "/applications/meetings/new", {"title": "Kokous", "held_on": "2026-02-31"})
    assert bad.status_code == 400 and 'value="Kokous"' in bad.get_data(as_text=True)
    created = post(client, "/applications/meetings/new", {"title": "Työryhmän kokous 3/2026", "held_on": "2026-03-10"})
    assert created.status_code == 302
    with app.app_context():
        meeting_id = db.session.scalar(select(ReviewMeeting.id))
    url = f"/applications/meetings/{meeting_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Ensimmäinen hanke" in page and "Toinen hanke" in page and "Annettu hanke" not in page
    assert post(client, f"{url}/agenda", {"action": "add"}).status_code == 400  # nothing chosen
    assert post(client, f"{url}/agenda", {"action": "add", "applications": [first, second]}).status_code == 302
    with app.app_context():
        meeting = db.session.get(ReviewMeeting, meeting_id)
        assert [a.id for a in meeting.applications] == [first, second] and meeting.held_on == date(2026, 3, 10)
    assert post(client, f"{url}/agenda", {"action": "order", f"position_{first}": "x",
                                          f"position_{second}": "1"}).status_code == 400
    assert post(client, f"{url}/agenda", {"action": "order", f"position_{first}": "2",
                                          f"position_{second}": "1"}).status_code == 302
    with app.app_context():
        assert [a.id for a in db.session.get(ReviewMeeting, meeting_id).applications] == [second, first]
    agenda = client.get(url).get_data(as_text=True)
    assert agenda.index("Toinen hanke") < agenda.index("Ensimmäinen hanke")
    assert post(client, f"{url}/agenda", {"action": "remove", "application": str(first)}).status_code == 302
    with app.app_context():
        assert db.session.get(Application, first).review_meeting_id is None
    listed = client.get(f"/applications/?meeting={meeting_id}").get_data(as_text=True)
    assert "Toinen hanke" in listed and "Ensimmäinen hanke" not in listed


def test_only_working_group_members_can_be_assigned(app, english, make_application, make_user, working_group_client):
    application_id = make_application()
    staff = make_user("staff")
    response = post(working_group_client, f"/applications/{application_id}/reviewers", {"user": staff.id})
    assert response.status_code == 400  # not among the choices
    with app.app_context():
        assert not db.session.scalars(select(Reviewer)).all()
