"""Keeping contact data current: stale contacts per sanction centre, bulk confirmation requests with progress,
and the contact's own single-use link (confirm or correct, audited as the contact)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.core.models import AuditEvent, Job, OutboxMessage, Unit, utcnow
from registry.directory import currency
from registry.directory.models import ConfirmationRequest, Contact
from registry.extensions import db
from tests.conftest import csrf_token, login, post
from tests.core.test_mail_and_jobs import FakeSMTP, wait_for

pytestmark = pytest.mark.usefixtures("english")  # these tests read the English messages

LINK = re.compile(r"https?://[^\s]+/confirm/([A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _synchronous_jobs(app: Flask) -> None:
    app.config["JOBS_SYNCHRONOUS"] = True


def _age(app: Flask, contact_id: int, days: int | None) -> None:
    """Set when the contact was last confirmed: `days` ago, or never."""
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        contact.last_confirmed_at = None if days is None else utcnow() - timedelta(days=days)
        db.session.commit()


def _unit_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


@pytest.fixture
def directory(app: Flask, reference: None, make_partner: Any, make_contact: Any) -> dict[str, int]:
    """Stale and current contacts in every kind of place."""
    both = make_partner("Kahden keskuksen yhdistys ry", regions=("HKI", "VSS"))  # ESRSK and LSRSK
    nowhere = make_partner("Valtakunnallinen säätiö sr")  # no regions: National
    ids = {
        "helsinki_prison": make_contact("Hanna Helsinki", unit="HELV", email="hanna@rise.example"),
        "turku_prison": make_contact("Tuomas Turku", unit="TURV", email="tuomas@rise.example"),
        "project_office": make_contact("Pirjo Projekti", unit="PROJ", email="pirjo@rise.example"),
        "both": make_contact("Bertta Molemmat", partner_id=both, email="bertta@example.org",
                             phone="09 123 4567", title="Toiminnanjohtaja", keywords=("päihdetyö",)),
        "national": make_contact("Niilo Kansallinen", partner_id=nowhere, email="niilo@example.org"),
        "no_email": make_contact("Eemeli Eiosoitetta", partner_id=both),
        "fresh": make_contact("Tuore Tieto", partner_id=both, email="tuore@example.org"),
        "inactive": make_contact("Poissa Oleva", partner_id=both, email="poissa@example.org", active=False),
    }
    for key in ("helsinki_prison", "turku_prison", "both", "inactive"):
        _age(app, ids[key], None)
    for key in ("project_office", "national", "no_email"):
        _age(app, ids[key], 400)
    _age(app, ids["fresh"], 30)
    return ids


def _names(app: Flask, key: str) -> set[str]:
    with app.app_context():
        return {c.name for c in db.session.scalars(currency.stale_query(key, utcnow()))}


def test_stale_contacts_are_grouped_per_sanction_centre(app, directory):
    esrsk, lsrsk, iprsk = (str(_unit_id(app, code)) for code in ("ESRSK", "LSRSK", "IPRSK"))
    assert _names(app, esrsk) == {"Hanna Helsinki", "Bertta Molemmat", "Eemeli Eiosoitetta"}
    assert _names(app, lsrsk) == {"Tuomas Turku", "Bertta Molemmat", "Eemeli Eiosoitetta"}
    assert _names(app, iprsk) == set()
    assert _names(app, currency.NATIONAL) == {"Pirjo Projekti", "Niilo Kansallinen"}
    with app.app_context():
        overview = {g.key: g.count for g in currency.stale_overview(utcnow())}
        assert overview == {esrsk: 3, lsrsk: 3, iprsk: 0, currency.NATIONAL: 2}
        never_first = [c.name for c in db.session.scalars(currency.stale_query(esrsk, utcnow()))]
        assert never_first[-1] == "Eemeli Eiosoitetta"  # confirmed 400 days ago: after the never-confirmed


def test_a_director_sees_their_own_centre_and_an_admin_all(app, directory, client_as):
    director = client_as("director", unit="HELV")
    page = director.get("/directory/stale").get_data(as_text=True)
    assert "Hanna Helsinki" in page and "Bertta Molemmat" in page
    assert "Tuomas Turku" not in page and "Niilo Kansallinen" not in page and "Tuore Tieto" not in page
    assert "Poissa Oleva" not in page
    other = director.get(f"/directory/stale?centre={_unit_id(app, 'LSRSK')}").get_data(as_text=True)
    assert "Tuomas Turku" in other and "Hanna Helsinki" not in other
    national = director.get("/directory/stale?centre=national").get_data(as_text=True)
    assert "Niilo Kansallinen" in national and "Pirjo Projekti" in national
    admin_page = client_as("admin").get("/directory/stale").get_data(as_text=True)
    for name in ("Hanna Helsinki", "Tuomas Turku", "Niilo Kansallinen", "Bertta Molemmat"):
        assert name in admin_page
    assert "Tuore Tieto" not in admin_page
    for hostile in ("x", "-1", "99999999999999999999", "'; --"):
        assert director.get("/directory/stale", query_string={"centre": hostile, "page": hostile}).status_code == 200
    assert client_as("staff").get("/directory/stale").status_code == 403


def _send(client: FlaskClient, data: dict[str, Any]) -> Any:
    response = post(client, "/directory/stale/confirmations", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def _job_id(response: Any) -> int:
    match = re.search(r"/jobs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _links(app: Flask) -> dict[str, str]:
    """The confirmation link (path) in each outbox message, by recipient."""
    with app.app_context():
        found = {}
        for message in db.session.scalars(select(OutboxMessage)):
            match = LINK.search(message.body)
            assert match, message.body
            found[message.to] = match.group(0).split("://", 1)[1].split("/", 1)[1]
        return {to: "/" + path for to, path in found.items()}


def test_bulk_requests_create_links_and_mail_and_report_what_was_skipped(app, directory, client_as):
    director = client_as("director", unit="HELV")
    ids = [directory[k] for k in ("helsinki_prison", "both", "no_email", "turku_prison", "inactive")]
    job_id = _job_id(_send(director, {"contact": [str(i) for i in ids] + ["junk", "0", "99999999999999"]}))
    page = director.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Eemeli Eiosoitetta" in page and "Tuomas Turku" in page and "Poissa Oleva" in page
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert (job.status, job.done, job.total) == ("done", 5, 5)
        assert job.result["counts"] == {"sent": 2, "no_email": 1, "out_of_scope": 1, "gone": 1}
        requests = list(db.session.scalars(select(ConfirmationRequest)))
        assert {r.contact_id for r in requests} == {directory["helsinki_prison"], directory["both"]}
        for request in requests:
            assert len(request.token_hash) == 64 and request.used_at is None
            days = (request.expires_at - request.created_at).total_seconds() / 86400
            assert 13.99 < days < 14.01
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "bertta@example.org"))
        assert message.sent_at is None  # no SMTP configured: it waits in the outbox
        for language in ("[suomi]", "[svenska]", "[English]"):
            assert language in message.body
        assert "Bertta Molemmat" in message.body and "09 1234567" in message.body
    assert set(_links(app)) == {"hanna@rise.example", "bertta@example.org"}
    # Asking again within a day sends nothing new.
    again = _job_id(_send(director, {"contact": [str(directory["both"])]}))
    with app.app_context():
        assert db.session.get(Job, again).result["counts"] == {"recent": 1}
    assert client_as("director", unit="HELV").get(f"/jobs/{job_id}").status_code == 404  # not theirs


def test_select_all_in_a_centre_and_empty_selections(app, directory, client_as):
    admin = client_as("admin")
    refused = _send(admin, {"centre": "national"})
    assert "/directory/stale" in refused.headers["Location"]
    assert "Choose at least one contact" in admin.get(refused.headers["Location"]).get_data(as_text=True)
    assert "/directory/stale" in _send(admin, {"centre": "nonsense", "all": "1"}).headers["Location"]
    job_id = _job_id(_send(admin, {"centre": "national", "all": "1"}))
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.total == 2 and job.result["counts"] == {"sent": 2}
    assert set(_links(app)) == {"pirjo@rise.example", "niilo@example.org"}


def _request_link(app: Flask, client: FlaskClient, contact_id: int) -> str:
    _send(client, {"contact": [str(contact_id)]})
    with app.app_context():
        email = db.session.get(Contact, contact_id).email
    return _links(app)[email]


def test_confirming_through_the_link(app, directory, client_as):
    link = _request_link(app, client_as("director", unit="HELV"), directory["both"])
    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bertta Molemmat" in text and "Toiminnanjohtaja" in text and "päihdetyö" in text
    before = utcnow()
    confirmed = post(visitor, link, {"action": "confirm"})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(link)
    thanks = visitor.get(link)
    assert thanks.status_code == 200 and 'class="flash flash-success"' in thanks.get_data(as_text=True)
    with app.app_context():
        contact = db.session.get(Contact, directory["both"])
        assert contact.last_confirmed_at >= before
        request = db.session.scalar(select(ConfirmationRequest))
        assert request.used_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "confirm"))
        assert event.actor_label == f"contact:{contact.id} <bertta@example.org>" and event.actor_id is None
    second = app.test_client()
    assert second.get(link).status_code == 410
    assert post(second, link, {"action": "confirm"}).status_code == 410


def test_correcting_through_the_link_is_audited_as_the_contact(app, directory, client_as):
    link = _request_link(app, client_as("director", unit="HELV"), directory["both"])
    visitor = app.test_client()
    data = {"action": "correct", "name": "Bertta Molemmat", "title": "Hallituksen puheenjohtaja",
            "email": "Bertta.Uusi@Example.org", "phone": "040 123 4567", "mobile": "",
            "keywords": "päihdetyö, Asunnottomuus"}
    response = post(visitor, link, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        contact = db.session.get(Contact, directory["both"])
        assert (contact.title, contact.email, contact.phone, contact.mobile) == (
            "Hallituksen puheenjohtaja", "bertta.uusi@example.org", "+358401234567", None)
        assert [k.name for k in contact.keywords] == ["asunnottomuus", "päihdetyö"]
        assert utcnow() - contact.last_confirmed_at < timedelta(minutes=1)
        change = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "contact",
                                                            AuditEvent.action == "update")
                                   .order_by(AuditEvent.id.desc()).limit(1))
        assert change.actor_label == f"contact:{contact.id} <bertta@example.org>"
        assert change.after["title"] == "Hallituksen puheenjohtaja"
    assert app.test_client().get(link).status_code == 410


def test_an_invalid_phone_is_shown_next_to_the_field_and_nothing_is_lost(app, directory, client_as):
    link = _request_link(app, client_as("director", unit="HELV"), directory["both"])
    visitor = app.test_client()
    data = {"action": "correct", "name": "Bertta Molemmat", "title": "Uusi titteli", "email": "bertta@example.org",
            "phone": "12", "mobile": "abc", "keywords": "päihdetyö"}
    response = post(visitor, link, data)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert text.count("This is not a valid phone number.") >= 2 and 'aria-invalid="true"' in text
    assert 'value="Uusi titteli"' in text and 'value="12"' in text
    bad_email = post(visitor, link, {**data, "phone": "", "mobile": "", "email": "not an address"})
    assert bad_email.status_code == 400 and 'value="not an address"' in bad_email.get_data(as_text=True)
    with app.app_context():
        contact = db.session.get(Contact, directory["both"])
        assert contact.title == "Toiminnanjohtaja" and contact.last_confirmed_at is None
        assert db.session.scalar(select(ConfirmationRequest)).used_at is None  # the link still works
    assert visitor.get(link).status_code == 200


def test_unknown_and_expired_links_are_refused_with_a_clear_page(app, directory, client_as):
    link = _request_link(app, client_as("director", unit="HELV"), directory["helsinki_prison"])
    with app.app_context():
        request = db.session.scalar(select(ConfirmationRequest))
        request.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    visitor = app.test_client()
    expired = visitor.get(link)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert post(visitor, link, {"action": "confirm"}).status_code == 410
    for bad in ("nonsense", "x" * 500, "%00", "'; DROP TABLE contact; --"):
        unknown = visitor.get(f"/confirm/{bad}")
        assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)
    swedish = visitor.get("/confirm/nonsense", headers={"Accept-Language": "sv"})
    assert '<html lang="sv">' in swedish.get_data(as_text=True)


def test_the_link_page_is_rate_limited_per_address(app_factory, app, directory):
    limited = app_factory(CONFIRM_LIMIT_PER_ADDRESS="3 per hour")
    client = limited.test_client()
    assert [client.get("/confirm/nonsense").status_code for _ in range(4)] == [404, 404, 404, 429]


def test_bulk_requests_in_the_background_are_delivered_by_smtp(app_factory, app, directory, make_user):
    server = FakeSMTP()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        live = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, JOBS_SYNCHRONOUS=False)
        client = live.test_client()
        assert login(client, make_user("director", unit="HELV")).status_code == 302
        response = client.post("/directory/stale/confirmations",
                               data={"contact": [str(directory["both"]), str(directory["helsinki_prison"])],
                                     "csrf_token": csrf_token(client)})
        job_id = _job_id(response)
        wait_for(lambda: client.get(f"/jobs/{job_id}.json").get_json()["status"] == "done")
        wait_for(lambda: len(server.received) == 2)
        bodies = [m.get_content() for m in server.messages()]
        assert all(LINK.search(b) for b in bodies)

        def all_sent() -> bool:
            with live.app_context():
                return all(m.sent_at for m in db.session.scalars(select(OutboxMessage)))

        wait_for(all_sent)
    finally:
        server.shutdown()
        server.server_close()


def test_the_stale_list_issues_a_constant_number_of_queries(app, directory, client_as, make_partner, make_contact,
                                                           count_queries):
    admin = client_as("admin")
    esrsk = _unit_id(app, "ESRSK")

    def queries(url: str) -> int:
        with count_queries() as statements:
            assert admin.get(url).status_code == 200
        return len(statements)

    before = (queries("/directory/stale"), queries(f"/directory/stale?centre={esrsk}"))
    partner = make_partner("Lisäyhdistys ry", regions=("KAH",))
    for n in range(6):
        _age(app, make_contact(f"Lisä Henkilö {n}", partner_id=partner, email=f"lisa{n}@example.org"), None)
    assert (queries("/directory/stale"), queries(f"/directory/stale?centre={esrsk}")) == before
