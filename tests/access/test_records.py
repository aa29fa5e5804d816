"""Records of people with access to units: the person, trainings, clearances (also of partner organisations),
inductions and sentence facts through the UI; who may see them; the audit log."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry.access.models import (
    Induction,
    Person,
    SecurityClearance,
    Sentence,
    Training,
)
from registry.core.models import AuditEvent
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.access.conftest import unit_id
from tests.conftest import post

PERSON = {"name": "Kaisa Kokemus", "role": "expert_by_experience", "partner": "0", "email": "", "phone": "",
          "hourly_fee": "", "undertaking_signed_on": "", "notes": ""}


@pytest.fixture
def client_as(client_as):
    """Signed-in clients that use the English UI, so the assertions below do not depend on the catalogues."""

    def factory(*roles, **kwargs):
        client = client_as(*roles, **kwargs)
        post(client, "/language", {"lang": "en"})
        return client

    return factory


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error next to {field}"
    return match.group(1)


def _value(page: str, field: str) -> str | None:
    match = re.search(rf'<input[^>]*id="{field}"[^>]*value="([^"]*)"', page) or \
        re.search(rf'<input[^>]*value="([^"]*)"[^>]*id="{field}"', page)
    return match.group(1) if match else None


def _person(app, pid):
    with app.app_context():
        p = db.session.get(Person, pid)
        return {k: getattr(p, k) for k in ("name", "email", "phone", "role", "partner_id", "peer_role",
                                            "developer_role", "hourly_fee", "travel_costs_paid",
                                            "undertaking_signed_on", "open_criminal_case", "notes")}


def _events(app, **where):
    with app.app_context():
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return [(e.action, e.object_type, e.object_id, e.before, e.after, e.actor_id)
                for e in db.session.scalars(stmt)]


# --- the person -----------------------------------------------------------------------------------


def test_coordinator_creates_and_edits_a_person(app, reference, client_as, make_partner):
    pid = make_partner("Kokemusasiantuntijat ry")
    client = client_as("coordinator")
    form = client.get(f"/people/new?partner={pid}").get_data(as_text=True)
    assert f'<option selected value="{pid}">' in form
    assert "never write offence descriptions here" in form.lower() and "25–50 €" in form
    response = post(client, "/people/new", {**PERSON, "partner": str(pid), "email": "Kaisa@Example.org",
                                            "phone": "040 123 4567", "hourly_fee": "32,50", "peer_role": "y",
                                            "travel_costs_paid": "y", "undertaking_signed_on": "2025-03-01",
                                            "notes": "Tavattavissa tiistaisin"})
    assert response.status_code == 302
    person_id = int(response.headers["Location"].rsplit("/", 1)[1])
    saved = _person(app, person_id)
    assert saved["email"] == "kaisa@example.org" and saved["phone"] == "+358401234567"
    assert saved["hourly_fee"] == Decimal("32.50") and saved["partner_id"] == pid
    assert saved["peer_role"] and not saved["developer_role"] and saved["travel_costs_paid"]
    with app.app_context():  # no assignment yet: kept for the retention period from today
        assert db.session.get(Person, person_id).retention_until > helsinki_today()
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    for text in ("Kaisa Kokemus", "Kokemusasiantuntijat ry", "kaisa@example.org", "040 1234567", "€32.50",
                 "Reimbursed", "1.3.2025", "Tavattavissa tiistaisin", "Peer role"):
        assert text in page, text

    edit = client.get(f"/people/{person_id}/edit").get_data(as_text=True)
    assert _value(edit, "phone") == "040 1234567" and _value(edit, "hourly_fee") == "32.50"
    response = post(client, f"/people/{person_id}/edit", {**PERSON, "name": "Kaisa Kokemus-Virta",
                                                          "role": "volunteer", "hourly_fee": "",
                                                          "open_criminal_case": "y"})
    assert response.status_code == 302
    saved = _person(app, person_id)
    assert saved["name"] == "Kaisa Kokemus-Virta" and saved["role"].value == "volunteer"
    assert saved["hourly_fee"] is None and saved["partner_id"] is None and saved["open_criminal_case"]
    assert saved["phone"] is None and not saved["peer_role"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": "  "}, "name", "This field is required."),
    ({"email": "not-an-address"}, "email", "Invalid email address."),
    ({"phone": "12"}, "phone", "This is not a valid phone number."),
    ({"hourly_fee": "abc"}, "hourly_fee", "Not a valid decimal value."),
    ({"hourly_fee": "1000,01"}, "hourly_fee", "between 0 and 1,000"),
    ({"hourly_fee": "-1"}, "hourly_fee", "between 0 and 1,000"),
    ({"hourly_fee": "25,555"}, "hourly_fee", "at most two decimals"),
    ({"hourly_fee": "NaN"}, "hourly_fee", "Not a valid decimal value."),
    ({"undertaking_signed_on": "2025-02-30"}, "undertaking_signed_on", "Not a valid date value."),
    ({"role": "warden"}, "role", "Not a valid choice."),
    ({"partner": "999999999999"}, "partner", "Not a valid choice."),
])
def test_person_form_errors_are_next_to_the_field_and_input_is_kept(app, client_as, changes, field, message):
    client = client_as("coordinator")
    data = {**PERSON, "name": "Olli Oikea", "email": "olli@example.org", "phone": "040 765 4321",
            "hourly_fee": "30", "notes": "Muistiinpano", **changes}
    response = post(client, "/people/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in _field_error(page, field)
    for kept in ("name", "email", "phone", "hourly_fee"):
        if kept not in changes:
            assert _value(page, kept) == data[kept], kept
    assert "Muistiinpano" in page
    with app.app_context():
        assert db.session.scalar(select(Person.id)) is None


def test_undertaking_date_in_the_future_is_refused(app, client_as):
    tomorrow = (helsinki_today() + timedelta(days=1)).isoformat()
    response = post(client_as("coordinator"), "/people/new", {**PERSON, "undertaking_signed_on": tomorrow})
    assert response.status_code == 400
    assert "future" in _field_error(response.get_data(as_text=True), "undertaking_signed_on")


# --- trainings ------------------------------------------------------------------------------------


def test_training_is_added_verified_and_unverified(app, client_as, make_person):
    person_id = make_person()
    client = client_as("coordinator")
    assert client.get(f"/people/{person_id}/training/new").status_code == 200
    response = post(client, f"/people/{person_id}/training/new",
                    {"provider": "Valo-Valmennus", "programme": "Keijo-koulutus", "completed_on": "2024-05-31",
                     "verified": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/{person_id}#trainings")
    with app.app_context():
        training = db.session.scalar(select(Training))
        training_id, verifier, verified_at = training.id, training.verified_by_id, training.verified_at
    assert verifier == client.user.id and verified_at is not None
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    assert "Keijo-koulutus" in page and f"Verified by {client.user.name}" in page

    other = client_as("coordinator")  # saving again with the box still ticked keeps the first verifier
    post(other, f"/people/training/{training_id}", {"provider": "Valo-Valmennus", "programme": "Keijo",
                                                    "completed_on": "2024-05-31", "verified": "y"})
    with app.app_context():
        assert db.session.get(Training, training_id).verified_by_id == client.user.id
    post(other, f"/people/training/{training_id}", {"provider": "Valo-Valmennus", "programme": "Keijo",
                                                    "completed_on": "2024-05-31"})
    with app.app_context():
        training = db.session.get(Training, training_id)
        assert training.verified_by_id is None and training.verified_at is None and training.programme == "Keijo"
    assert "Not verified" in client.get(f"/people/{person_id}").get_data(as_text=True)


def test_training_errors_keep_the_input(app, client_as, make_person):
    person_id = make_person()
    client = client_as("coordinator")
    future = (helsinki_today() + timedelta(days=3)).isoformat()
    response = post(client, f"/people/{person_id}/training/new",
                    {"provider": "Silta-Valmennus", "programme": "Keijo", "completed_on": future, "verified": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "future" in _field_error(page, "completed_on")
    assert _value(page, "provider") == "Silta-Valmennus" and _value(page, "completed_on") == future
    assert re.search(r'<input[^>]* checked id="verified"', page)
    response = post(client, f"/people/{person_id}/training/new", {"provider": "", "programme": "Keijo"})
    assert "required" in _field_error(response.get_data(as_text=True), "provider")
    with app.app_context():
        assert db.session.scalar(select(Training.id)) is None


# --- personal clearances --------------------------------------------------------------------------


CLEARANCE = {"kind": "basic", "consent_on": "2025-01-02", "requested_on": "2025-01-03", "completed_on": "2025-02-01",
             "result": "no_remarks", "valid_until": "2030-02-01", "notes": ""}


def test_clearance_is_added_and_edited(app, client_as, make_person):
    person_id = make_person()
    client = client_as("coordinator")
    response = post(client, f"/people/{person_id}/clearances/new", CLEARANCE)
    assert response.status_code == 302
    with app.app_context():
        clearance = db.session.scalar(select(SecurityClearance))
        clearance_id = clearance.id
        assert clearance.person_id == person_id and clearance.valid_until == date(2030, 2, 1)
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    assert "Basic personnel security clearance" in page and "1.2.2030" in page and "No remarks" in page
    edit = client.get(f"/people/clearances/{clearance_id}").get_data(as_text=True)
    assert '<option selected value="no_remarks">' in edit
    soon = (helsinki_today() + timedelta(days=30)).isoformat()
    response = post(client, f"/people/clearances/{clearance_id}", {**CLEARANCE, "result": "remarks",
                                                                   "valid_until": soon})
    assert response.status_code == 302
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    assert "Remarks" in page and "Expires within 60 days" in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"requested_on": "2025-03-01"}, "completed_on", "before it was requested"),
    ({"consent_on": "2025-03-01"}, "completed_on", "before the consent"),
    ({"valid_until": "2025-01-31"}, "valid_until", "cannot end before it was completed"),
    ({"completed_on": "", "valid_until": "2030-01-01", "result": ""}, "valid_until", "Give the completion date"),
    ({"completed_on": "", "valid_until": ""}, "result", "only for a completed clearance"),
    ({"result": ""}, "result", "Give the result"),
    ({"kind": "organisation"}, "kind", "Not a valid choice."),
])
def test_clearance_dates_must_be_in_order(app, client_as, make_person, changes, field, message):
    person_id = make_person()
    data = {**CLEARANCE, "notes": "Pyydetty Supolta", **changes}
    response = post(client_as("coordinator"), f"/people/{person_id}/clearances/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in _field_error(page, field)
    assert _value(page, "requested_on") == data["requested_on"] and "Pyydetty Supolta" in page
    with app.app_context():
        assert db.session.scalar(select(SecurityClearance.id)) is None


# --- inductions -----------------------------------------------------------------------------------


def test_inductions_by_coordinator_and_by_a_director_in_scope(app, reference, client_as, make_person,
                                                             make_assignment):
    person_id = make_person()
    make_assignment(person_id, unit="HELV")
    with app.app_context():
        helv, turv = unit_id("HELV"), unit_id("TURV")
    coordinator = client_as("coordinator")
    response = post(coordinator, f"/people/{person_id}/inductions/new",
                    {"unit": str(turv), "inducted_on": "2025-02-01", "inducted_by": "Ville Vartija"})
    assert response.status_code == 302
    again = post(coordinator, f"/people/{person_id}/inductions/new",
                 {"unit": str(turv), "inducted_on": "2025-02-01", "inducted_by": "Ville Vartija"})
    assert "already on record" in _field_error(again.get_data(as_text=True), "inducted_on")

    director = client_as("director", unit="ESRSK")  # Southern Finland: Helsinki, not Turku
    form = director.get(f"/people/{person_id}/inductions/new").get_data(as_text=True)
    assert f'value="{helv}"' in form and f'value="{turv}"' not in form
    refused = post(director, f"/people/{person_id}/inductions/new",
                   {"unit": str(turv), "inducted_on": "2025-03-01", "inducted_by": "Outi Ohjaaja"})
    assert refused.status_code == 400 and "Not a valid choice" in _field_error(refused.get_data(as_text=True), "unit")
    assert _value(refused.get_data(as_text=True), "inducted_by") == "Outi Ohjaaja"
    future = (helsinki_today() + timedelta(days=1)).isoformat()
    refused = post(director, f"/people/{person_id}/inductions/new",
                   {"unit": str(helv), "inducted_on": future, "inducted_by": "Outi Ohjaaja"})
    assert "future" in _field_error(refused.get_data(as_text=True), "inducted_on")
    ok = post(director, f"/people/{person_id}/inductions/new",
              {"unit": str(helv), "inducted_on": "2025-03-01", "inducted_by": "Outi Ohjaaja"})
    assert ok.status_code == 302
    with app.app_context():
        rows = db.session.execute(select(Induction.unit_id, Induction.inducted_by).order_by(Induction.id)).all()
    assert rows == [(turv, "Ville Vartija"), (helv, "Outi Ohjaaja")]
    page = director.get(f"/people/{person_id}").get_data(as_text=True)
    assert "Turku Prison" in page and "Outi Ohjaaja" in page

    outsider = client_as("director", unit="LSRSK")
    assert outsider.get(f"/people/{person_id}/inductions/new").status_code == 404
    assert post(outsider, f"/people/{person_id}/inductions/new",
                {"unit": str(turv), "inducted_on": "2025-03-01", "inducted_by": "X"}).status_code == 404


# --- sentences ------------------------------------------------------------------------------------


SENTENCE = {"offence_date": "2015-03-01", "sanction": "unconditional_prison", "enforcement_start": "2016-01-04",
            "left_prison": "2018-06-01", "supervision_end": "2019-06-01", "completed": ""}


def test_sentence_facts_are_added_edited_and_deleted(app, client_as, make_person):
    person_id = make_person()
    client = client_as("coordinator")
    form = client.get(f"/people/{person_id}/sentences/new").get_data(as_text=True)
    assert "Never describe the offence" in form and "<textarea" not in form  # no free text about the offence
    response = post(client, f"/people/{person_id}/sentences/new", {**SENTENCE, "serious_breach": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#sentences")
    with app.app_context():
        sentence = db.session.scalar(select(Sentence))
        sentence_id = sentence.id
        assert (sentence.left_prison, sentence.serious_breach) == (date(2018, 6, 1), True)
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    assert "Unconditional imprisonment" in page and "1.6.2018" in page
    edit = client.get(f"/people/sentences/{sentence_id}").get_data(as_text=True)
    assert _value(edit, "left_prison") == "2018-06-01" and '<option selected value="unconditional_prison">' in edit
    response = post(client, f"/people/sentences/{sentence_id}", {**SENTENCE, "sanction": "community_service",
                                                                 "left_prison": "", "supervision_end": "",
                                                                 "completed": "2016-12-31"})
    assert response.status_code == 302
    with app.app_context():
        sentence = db.session.get(Sentence, sentence_id)
        assert (sentence.sanction.value, sentence.completed, sentence.left_prison, sentence.serious_breach) == \
            ("community_service", date(2016, 12, 31), None, False)
    assert client.get(f"/people/sentences/{sentence_id}/delete").status_code == 405
    assert client.post(f"/people/sentences/{sentence_id}/delete").status_code == 400  # no CSRF token
    response = post(client, f"/people/sentences/{sentence_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Sentence, sentence_id) is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"left_prison": "2015-02-01", "supervision_end": ""}, "left_prison", "release date cannot be before"),
    ({"enforcement_start": "2014-01-01"}, "enforcement_start", "cannot start before the offence"),
    ({"left_prison": "", "supervision_end": "2019-06-01"}, "supervision_end", "needs the release date"),
    ({"supervision_end": "2018-05-01"}, "supervision_end", "needs the release date and cannot be before it"),
    ({"offence_date": "1850-01-01"}, "offence_date", "between 1.1.1900 and 31.12.2199"),
    ({"offence_date": ""}, "offence_date", "Give the offence date."),
    ({"completed": "2019-01-01"}, "completed", "Only a community sanction"),
    ({"sanction": "fine", "supervision_end": ""}, "left_prison", "Only a prison sentence"),
    ({"sanction": "community_service", "left_prison": "", "supervision_end": "",
      "completed": "2015-01-01"}, "completed", "completion date cannot be before"),
    ({"sanction": "probation"}, "sanction", "Not a valid choice."),
])
def test_sentence_checks_come_from_the_engine_and_name_the_field(app, client_as, make_person, changes, field,
                                                                 message):
    person_id = make_person()
    data = {**SENTENCE, **changes}
    response = post(client_as("coordinator"), f"/people/{person_id}/sentences/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in _field_error(page, field)
    for kept in ("offence_date", "enforcement_start", "left_prison", "supervision_end", "completed"):
        assert _value(page, kept) == data[kept], kept
    with app.app_context():
        assert db.session.scalar(select(Sentence.id)) is None


def test_offence_date_in_the_future_is_refused(app, client_as, make_person):
    person_id = make_person()
    future = (helsinki_today() + timedelta(days=1)).isoformat()
    response = post(client_as("coordinator"), f"/people/{person_id}/sentences/new",
                    {**SENTENCE, "offence_date": future, "enforcement_start": "", "left_prison": "",
                     "supervision_end": ""})
    assert "future" in _field_error(response.get_data(as_text=True), "offence_date")


def test_sentence_facts_are_redacted_in_the_audit_log(app, client_as, make_person):
    person_id = make_person()
    client = client_as("coordinator")
    post(client, f"/people/{person_id}/sentences/new", SENTENCE)
    with app.app_context():
        sentence_id = db.session.scalar(select(Sentence.id))
    post(client, f"/people/sentences/{sentence_id}", {**SENTENCE, "left_prison": "2018-07-01"})
    client.get(f"/people/sentences/{sentence_id}")
    post(client, f"/people/sentences/{sentence_id}/delete")
    events = _events(app, object_type="sentence")
    assert [e[0] for e in events] == ["create", "update", "view", "delete"]
    for _action, _type, _id, before, after, actor in events:
        assert actor == client.user.id
        for values in (before or {}, after or {}):
            for key in ("offence_date", "sanction", "enforcement_start", "left_prison", "supervision_end",
                        "serious_breach", "completed"):
                assert values.get(key, "[redacted]") == "[redacted]", (key, values)
    assert "2018" not in repr(events) and "unconditional" not in repr(events)
    post(client, f"/people/{person_id}/edit", {**PERSON, "open_criminal_case": "y"})
    update = _events(app, object_type="person", action="update")[-1]
    assert update[4]["open_criminal_case"] == "[redacted]"


# --- organisation-level clearances (policy §8.2) --------------------------------------------------


def test_organisation_clearances_list_expiring_first_and_filter(app, client_as, make_partner, make_clearance,
                                                                make_person):
    today = helsinki_today()
    a, b = make_partner("Vankilavierailijat ry"), make_partner("Toinen yhdistys ry")
    make_clearance(partner_id=a, kind="organisation", valid_until=today + timedelta(days=400))
    make_clearance(partner_id=b, kind="organisation", valid_until=today + timedelta(days=20))
    make_clearance(partner_id=a, kind="organisation", valid_until=today - timedelta(days=5))
    make_clearance(partner_id=b, kind="organisation", completed_on=None, result=None, requested_on=today)
    personal = make_clearance(person_id=make_person(), valid_until=today)
    client = client_as("coordinator")
    page = client.get("/people/organisations").get_data(as_text=True)
    rows = re.findall(r'<tr><th scope="row"><a href="/directory/partners/(\d+)">.*?</tr>', page, re.S)
    assert rows == [str(a), str(b), str(a), str(b)]
    body = page.split("<tbody>")[1]
    assert body.index("Expired") < body.index("Expires within 60 days") and "Pending" in body
    filtered = client.get(f"/people/organisations?partner={b}").get_data(as_text=True)
    assert re.findall(r'<a href="/directory/partners/(\d+)">', filtered.split("<tbody>")[1]) == [str(b), str(b)]
    assert client.get("/people/organisations?partner=x&page=-3").status_code == 200
    assert client.get(f"/people/organisations/{personal}").status_code == 404
    # the partner page is public to all staff: organisation clearances are not shown there
    assert "Security clearance" not in client.get(f"/directory/partners/{a}").get_data(as_text=True)


def test_organisation_clearance_is_created_and_edited(app, client_as, make_partner, make_person, make_clearance):
    pid = make_partner("Vankilavierailijat ry")
    client = client_as("coordinator")
    form = client.get(f"/people/organisations/new?partner={pid}").get_data(as_text=True)
    assert f'<option selected value="{pid}">' in form
    data = {"partner": str(pid), "requested_on": "2025-01-01", "completed_on": "2025-02-01",
            "result": "no_remarks", "valid_until": "2027-02-01", "notes": ""}
    response = post(client, "/people/organisations/new", {**data, "valid_until": "2024-12-31"})
    assert response.status_code == 400
    assert "cannot end before" in _field_error(response.get_data(as_text=True), "valid_until")
    assert post(client, "/people/organisations/new", {**data, "partner": "0"}).status_code == 400
    response = post(client, "/people/organisations/new", data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/organisations?partner={pid}")
    with app.app_context():
        clearance = db.session.scalar(select(SecurityClearance))
        clearance_id = clearance.id
        assert (clearance.partner_id, clearance.person_id, clearance.kind.value) == (pid, None, "organisation")
    assert post(client, f"/people/organisations/{clearance_id}", {**data, "result": "remarks"}).status_code == 302
    with app.app_context():
        assert db.session.get(SecurityClearance, clearance_id).result.value == "remarks"
    assert client.get(f"/people/clearances/{clearance_id}").status_code == 404  # not a person's clearance


# --- who may see the records ----------------------------------------------------------------------


def test_only_coordinators_and_directors_in_scope_see_a_person(app, reference, client_as, make_person,
                                                              make_assignment):
    person_id = make_person(name="Salainen Henkilö")
    make_assignment(person_id, unit="HELV")
    for role in ("staff", "admin", "working_group"):
        client = client_as(role)
        for url in ("/people/", f"/people/{person_id}", "/people/new", f"/people/{person_id}/edit",
                    "/people/organisations"):
            assert client.get(url).status_code == 403, (role, url)
    insider = client_as("director", unit="ESRSK")
    assert "Salainen Henkilö" in insider.get(f"/people/{person_id}").get_data(as_text=True)
    assert "Salainen Henkilö" in insider.get("/people/").get_data(as_text=True)
    assert insider.get(f"/people/{person_id}/edit").status_code == 403  # changes are for coordinators
    assert insider.get("/people/organisations").status_code == 403
    outsider = client_as("director", unit="LSRSK")
    assert outsider.get(f"/people/{person_id}").status_code == 404
    assert "Salainen Henkilö" not in outsider.get("/people/").get_data(as_text=True)
    homeless = client_as("director")
    assert homeless.get(f"/people/{person_id}").status_code == 404
    coordinator = client_as("coordinator")
    for url in (f"/people/{person_id + 1}", "/people/99999999999", "/people/training/5", "/people/clearances/5",
                "/people/sentences/5", "/people/organisations/5", f"/people/{person_id}/documents/1"):
        assert coordinator.get(url).status_code == 404, url


def test_every_view_of_a_person_is_audit_logged(app, client_as, make_person):
    person_id = make_person()
    client = client_as("coordinator")
    client.get(f"/people/{person_id}")
    client.get(f"/people/{person_id}")
    views = _events(app, action="view", object_type="person")
    assert [(e[2], e[5]) for e in views] == [(str(person_id), client.user.id)] * 2
    client_as("director").get(f"/people/{person_id}")  # refused: nothing was seen, nothing logged
    assert len(_events(app, action="view", object_type="person")) == 2
