"""The public application form: signed out, in three languages, bot-protected, rate-limited, hostile-input safe."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.applications import intake
from registry.applications.models import ApplicantForm, Application, ApplicationSource, ApplicationStatus, Funder
from registry.applications.public_forms import issue_token, token_problem
from registry.core.models import OutboxMessage, Unit
from registry.directory.models import Partner
from registry.extensions import db
from registry.i18n import today

VALID_BUSINESS_ID = "1572860-0"
NEW_BUSINESS_ID = "0737546-2"


def _unit_ids(app: Flask, *codes: str) -> list[int]:
    with app.app_context():
        found = {u.code: u.id for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
        return [found[c] for c in codes]


def _tokens(client: FlaskClient) -> dict[str, str]:
    page = client.get("/applications/new").get_data(as_text=True)
    tokens = {}
    for name in ("csrf_token", "form_token"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', page) or re.search(
            rf'value="([^"]+)"[^>]*name="{name}"', page)
        assert match, f"no {name} on the form"
        tokens[name] = match.group(1)
    return tokens


def _answers(app: Flask, **overrides: Any) -> dict[str, Any]:
    year = today().year
    data: dict[str, Any] = {
        "organisation_name": "Uusi Polku ry", "applicant_form": "association", "business_id": NEW_BUSINESS_ID,
        "address": "Polkutie 3\n00100 Helsinki", "contact_name": "Ville Virtanen",
        "contact_email": "ville.virtanen@uusipolku.example", "contact_phone": "040 123 4567",
        "project_name": "Polku vapauteen", "description": "Tukea vapautuville vangeille asumiseen ja työhön.",
        "need": "Vapautuvilla ei ole tukiverkostoa.", "target_groups": "Vapautuvat vangit",
        "units": _unit_ids(app, "HELV", "HELYKS"), "planned_start": f"{year + 1}-01-01",
        "planned_end": f"{year + 2}-12-31", "funder": "stea", "funder_other": "", "funding_round": "STEA 2027",
        "prison_work": "yes", "e_services": "no", "consent": "y", "website": "",
    }
    data.update(overrides)
    return data


def _submit(app: Flask, client: FlaskClient, *, age: float = 10, **overrides: Any) -> Any:
    """Send the form as a person would: the page's CSRF token and a form token issued `age` seconds ago."""
    tokens = _tokens(client)
    data = _answers(app, **overrides)
    data["csrf_token"] = tokens["csrf_token"]
    data["form_token"] = issue_token(app.secret_key, time.time() - age)
    return client.post("/applications/new", data=data)


def _english(client: FlaskClient) -> None:
    client.post("/language", data={"lang": "en", "next": "/applications/new",
                                   "csrf_token": _tokens(client)["csrf_token"]})


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def client(app: Flask, reference: None) -> FlaskClient:
    return app.test_client()


def test_the_form_is_public_and_groups_units_by_centre(client):
    response = client.get("/applications/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fi">' in page  # Finnish by default
    centre = page.index("<legend>Etelä-Suomen rikosseuraamuskeskus</legend>")
    assert centre < page.index("Helsingin vankila") < page.index("<legend>Itä- ja Pohjois-Suomen")
    assert not re.search(r'name="units" required', page)  # one unit is enough: no box is required by itself
    _english(client)
    page = client.get("/applications/new").get_data(as_text=True)
    assert '<html lang="en">' in page and "Apply for a project partnership" in page
    assert "<legend>National units</legend>" in page
    honeypot = re.search(r'<input[^>]*name="website"[^>]*>', page).group(0)
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot
    assert 'class="visually-hidden"' in page and "Leave this field empty" in page
    assert 'name="form_token"' in page and 'name="csrf_token"' in page


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_the_form_is_translated(client, lang):
    client.post("/language", data={"lang": lang, "csrf_token": _tokens(client)["csrf_token"]})
    page = client.get("/applications/new").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert {"fi": "Kyllä", "sv": "Ja"}[lang] in page  # the yes/no answers


def test_an_association_applies_signed_out_end_to_end(app, client):
    _english(client)
    response = _submit(app, client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/applications/thanks")
    year = today().year
    thanks = client.get("/applications/thanks").get_data(as_text=True)
    assert f"PK-{year}-0001" in thanks and "Application received" in thanks
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.reference == f"PK-{year}-0001"
        assert application.status is ApplicationStatus.RECEIVED and application.source is ApplicationSource.WEB
        assert application.language == "en"
        assert application.applicant_form is ApplicantForm.ASSOCIATION and application.funder is Funder.STEA
        assert application.contact_phone == "+358401234567"  # E.164
        assert application.business_id == NEW_BUSINESS_ID
        assert sorted(u.code for u in application.units) == ["HELV", "HELYKS"]
        assert application.prison_work is True and application.e_services is False
        assert application.address == "Polkutie 3\n00100 Helsinki"
        assert len(application.access_key) >= 40
        # A new applicant becomes a pending (inactive) partner naming the application.
        partner = application.partner
        assert partner is not None and partner.active is False and partner.business_id == NEW_BUSINESS_ID
        assert application.reference in partner.notes
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert mail.to == "ville.virtanen@uusipolku.example"
        assert application.reference in mail.subject and application.reference in mail.body
        assert "Hello Ville Virtanen," in mail.body and "What happens next" in mail.body
        assert "security clearance" in mail.body  # prison work: told up front


@pytest.mark.parametrize("lang,greeting,project", [("fi", "Hei Ville Virtanen,", "Projekti:"),
                                                   ("sv", "Hej Ville Virtanen,", "Projekt:")])
def test_the_confirmation_is_in_the_language_of_the_form(app, client, lang, greeting, project):
    client.post("/language", data={"lang": lang, "csrf_token": _tokens(client)["csrf_token"]})
    assert _submit(app, client).status_code == 302
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert application.language == lang
        assert greeting in mail.body and project in mail.body and application.reference in mail.body


def test_an_existing_partner_is_matched_by_business_id(app, client, make_partner):
    partner_id = make_partner("Esimerkkiyhdistys ry", business_id=VALID_BUSINESS_ID)
    assert _submit(app, client, business_id="1572860-0", organisation_name="Esimerkkiyhdistys").status_code == 302
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.partner_id == partner_id
        assert _count(app, Partner) == 1  # no pending partner created


def test_references_run_per_year(app, client, make_application):
    year = today().year
    make_application(reference=f"PK-{year}-0041")
    make_application(reference=f"PK-{year - 1}-0099")
    assert _submit(app, client).status_code == 302
    assert client.get("/applications/thanks").get_data(as_text=True).count(f"PK-{year}-0042") == 1


def test_a_reference_taken_meanwhile_is_computed_again(app, make_application, monkeypatch):
    year = today().year
    make_application(reference=f"PK-{year}-0001")
    calls: list[int] = []
    original = intake.next_reference

    def racing(y: int) -> str:  # the first answer is a number another request has just taken
        calls.append(y)
        return f"PK-{y}-0001" if len(calls) == 1 else original(y)

    monkeypatch.setattr(intake, "next_reference", racing)
    with app.test_request_context():
        data = {"organisation_name": "Kilpa ry", "applicant_form": "association", "contact_name": "K",
                "contact_email": "k@example.org", "project_name": "Kilpa", "description": "D", "funder": "esr",
                "unit_ids": _unit_ids(app, "HELV")}
        application = intake.submit_application(data, source=ApplicationSource.WEB, language="fi")
        db.session.commit()
        assert application.reference == f"PK-{year}-0002"
    assert len(calls) == 2


def test_errors_keep_the_input_and_are_shown_next_to_the_fields(app, client):
    _english(client)
    response = _submit(app, client, business_id="1234567-8", units=[], contact_email="not-an-address",
                       planned_end=f"{today().year}-01-01", planned_start=f"{today().year}-06-01",
                       funder="other", funder_other="", consent="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    for anchor in ("#business_id", "#units", "#contact_email", "#planned_end", "#funder_other", "#consent"):
        assert f'href="{anchor}"' in page
    assert "not a valid business ID" in page and "Choose at least one Rise unit." in page
    assert "The end must be after the start." in page and "Name the funder." in page
    assert 'aria-describedby="business_id-hint business_id-error"' in page
    assert 'value="Uusi Polku ry"' in page and "Tukea vapautuville vangeille" in page  # kept
    assert 'value="not-an-address"' in page
    assert _count(app, Application) == 0 and _count(app, OutboxMessage) == 0


def test_a_private_person_needs_no_business_id_but_others_do(app, client):
    _english(client)
    missing = _submit(app, client, business_id="")
    assert missing.status_code == 400 and "Give the organisation" in missing.get_data(as_text=True)
    person = _submit(app, client, business_id="", applicant_form="private_person", organisation_name="Maija M")
    assert person.status_code == 302
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.partner is None and application.business_id is None  # never a partner
    assert _count(app, Partner) == 0


def test_a_company_may_apply_and_is_flagged_later(app, client):
    assert _submit(app, client, applicant_form="company", organisation_name="Voitto Oy").status_code == 302
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.applicant_form is ApplicantForm.COMPANY


def test_the_honeypot_refuses_quietly(app, client):
    _english(client)
    response = _submit(app, client, website="http://spam.example")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "could not be sent" in page
    assert "honeypot" not in page.lower() and "too fast" not in page.lower()
    assert 'value="Uusi Polku ry"' in page  # a person who tripped it keeps their answers
    assert _count(app, Application) == 0 and _count(app, OutboxMessage) == 0 and _count(app, Partner) == 0


@pytest.mark.parametrize("age", [0, 1, -60, 2 * 86400], ids=["instant", "one-second", "future", "two-days-old"])
def test_too_fast_or_too_old_submissions_are_refused(app, client, age):
    _english(client)
    response = _submit(app, client, age=age)
    assert response.status_code == 400 and "could not be sent" in response.get_data(as_text=True)
    assert _count(app, Application) == 0 and _count(app, OutboxMessage) == 0


def test_forged_or_missing_form_tokens_are_refused(app, client):
    tokens = _tokens(client)
    for token in ("", "123", issue_token("another secret", time.time() - 60), "1.2.3"):
        data = {**_answers(app), "csrf_token": tokens["csrf_token"], "form_token": token}
        assert client.post("/applications/new", data=data).status_code == 400
    assert _count(app, Application) == 0


def test_token_problem_uses_the_clock_passed_in():
    token = issue_token("s", 1_000_000)
    assert token_problem("s", token, 1_000_001) == "too_fast"
    assert token_problem("s", token, 1_000_010) is None
    assert token_problem("s", token, 1_000_000 + 86_401) == "expired"
    assert token_problem("t", token, 1_000_010) == "invalid"
    assert token_problem("s", None, 1_000_010) == "missing"


def test_csrf_is_required(app, client):
    data = {**_answers(app), "form_token": issue_token(app.secret_key, time.time() - 60)}
    response = client.post("/applications/new", data=data)
    assert response.status_code == 400
    assert _count(app, Application) == 0


def test_submissions_are_rate_limited_per_address(app, client):
    for n in range(5):
        assert _submit(app, client, project_name=f"Hanke {n}").status_code == 302
    limited = _submit(app, client, project_name="Kuudes")
    assert limited.status_code == 429
    assert "Liian monta yritystä" in limited.get_data(as_text=True) or "Too many" in limited.get_data(as_text=True)
    assert _count(app, Application) == 5
    other = app.test_client()  # another address is not affected
    assert _tokens_status(other) == 200


def _tokens_status(client: FlaskClient) -> int:
    return client.get("/applications/new", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code


def test_failed_validation_does_not_use_up_the_submission_limit(app, client):
    for _n in range(6):
        assert _submit(app, client, units=[]).status_code == 400
    assert _submit(app, client).status_code == 302


HOSTILE = {
    "organisation_name": "<script>alert(1)</script> ry",
    "project_name": "Hanke \u202egnp.exe\u202c",
    "contact_name": "Maija\r\nBcc: victim@example.org",
    "description": "'; DROP TABLE application; --\r\n<img src=x onerror=alert(1)>",
    "need": "ä" * 5000, "target_groups": "{{ 7*7 }} {% raw %}",
}


def test_hostile_input_is_kept_and_escaped(app, client):
    response = _submit(app, client, **HOSTILE)
    assert response.status_code == 302
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.organisation_name == HOSTILE["organisation_name"]
        assert application.project_name == HOSTILE["project_name"]  # the RTL override is kept, not executed
        assert application.contact_name == "Maija Bcc: victim@example.org"  # no line break in a one-line field
        assert application.description == "'; DROP TABLE application; --\n<img src=x onerror=alert(1)>"
        assert application.target_groups == "{{ 7*7 }} {% raw %}"
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert "\n" not in mail.subject and mail.to == "ville.virtanen@uusipolku.example"
    thanks = client.get("/applications/thanks").get_data(as_text=True)
    assert "<script>alert(1)" not in thanks


def test_hostile_input_on_errors_is_escaped_in_the_page(app, client):
    response = _submit(app, client, units=[], organisation_name="<script>alert(1)</script>",
                       description="</textarea><script>alert(2)</script>")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "</textarea><script>alert(2)" not in page


@pytest.mark.parametrize("field,value", [("description", "x" * 1_000_000), ("organisation_name", "y" * 100_000),
                                         ("contact_email", "a@b.fi\r\nBcc: x@y.fi"), ("planned_start", "2026-02-31"),
                                         ("units", "999999"), ("units", "abc"), ("funder", "lottery"),
                                         ("applicant_form", "pirate"), ("prison_work", "maybe"),
                                         ("contact_phone", "+999 1"), ("business_id", "x" * 5000)])
def test_bad_values_give_field_errors_never_500(app, client, field, value):
    response = _submit(app, client, **{field: value})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert _count(app, Application) == 0


def test_nul_bytes_are_refused_without_storing(app, client):
    response = _submit(app, client, description="a\x00b")
    assert response.status_code == 400
    assert _count(app, Application) == 0


def test_thanks_without_an_application(client):
    _english(client)
    page = client.get("/applications/thanks").get_data(as_text=True)
    assert "No application has been sent" in page and "PK-" not in page
