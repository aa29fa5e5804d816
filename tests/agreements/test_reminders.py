"""Agreement reminders: before each deadline to the owner unit's mailbox and the Rise liaisons, each exactly once
(even when the job runs twice or in parallel), in the reader's language, and the weekly digest."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from registry.agreements import reminders
from registry.agreements.dashboard import Deadline
from registry.agreements.models import Agreement, Reminder
from registry.core import daily
from registry.core.daily import claim_reminder
from registry.core.models import OutboxMessage, SentReminder, Unit, User
from registry.directory.models import Contact
from registry.extensions import db
from tests.conftest import post

MAILBOX = "kirjaamo.esrsk@rise.example"
DEADLINE = date(2027, 3, 1)  # a Monday; 1.2.2027 and 8.2.2027 are Mondays too


@pytest.fixture(autouse=True)
def _agreement_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daily, "TASK_MODULES", ("registry.agreements.daily",))


def run(app: Flask, day: date) -> dict[str, Any]:
    with app.app_context():
        return daily.run_daily(day)["agreement_reminders"]


def _mailbox(app: Flask, address: str | None = MAILBOX) -> None:
    with app.app_context():
        db.session.scalar(select(Unit).where(Unit.code == "ESRSK")).mailbox = address
        db.session.commit()


def _outbox(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(m.to, m.subject, m.body) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def _liaison_email(app: Flask, agreement_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Contact.email).where(Contact.name == f"Rise-yhdyshenkilö {agreement_id}"))


@pytest.fixture
def agreement(app: Flask, make_agreement: Any) -> int:
    _mailbox(app)
    return make_agreement("Kelan vakuutuspiirin toimintamalli", status="in_force", signed_on=date(2025, 1, 1),
                          valid_from=date(2025, 3, 1), valid_until=DEADLINE, with_liaisons=True, dnro="12/2025")


def test_reminder_steps():
    steps = [90, 30, 7]
    assert [reminders.reminder_step(days, steps) for days in (120, 91, 90, 50, 30, 20, 7, 1, 0, -1)] == \
        [None, None, 90, 90, 30, 30, 7, 7, 7, None]
    key = reminders.reminder_key(Deadline(5, "notice", date(2027, 2, 28)), 30)
    assert key == "agreement:5:notice:2027-02-28:30"
    assert reminders.digest_key(3, date(2027, 2, 1)) == reminders.digest_key(3, date(2027, 2, 7)) \
        != reminders.digest_key(3, date(2027, 2, 8))


def test_running_the_job_twice_sends_each_reminder_once(app, agreement):
    liaison = _liaison_email(app, agreement)
    first = run(app, date(2027, 1, 30))  # 30 days before the end of validity
    assert first["reminders_sent"] == 1 and first["emails_queued"] == 2
    sent = _outbox(app)
    assert sorted(to for to, _s, _b in sent) == sorted([MAILBOX, liaison])
    assert run(app, date(2027, 1, 30))["reminders_sent"] == 0
    assert run(app, date(2027, 2, 5))["reminders_sent"] == 0  # still the 30-day step
    assert len(_outbox(app)) == 2
    with app.app_context():
        assert db.session.scalars(select(SentReminder.key)).all() == [f"agreement:{agreement}:expiry:2027-03-01:30"]
    assert run(app, date(2027, 2, 22))["reminders_sent"] == 1  # the 7-day step
    assert run(app, date(2027, 2, 23))["reminders_sent"] == 0
    assert len(_outbox(app)) == 4


def test_mailbox_reminder_is_in_three_languages_and_links_to_the_agreement(app, agreement):
    run(app, date(2027, 1, 30))
    to, subject, body = next(m for m in _outbox(app) if m[0] == MAILBOX)
    assert "Kelan vakuutuspiirin toimintamalli" in subject and "1.3.2027" in subject
    assert "[suomi]" in body and "[svenska]" in body and "[English]" in body
    assert f"/agreements/{agreement}" in body and "12/2025" in body


def test_a_liaison_who_is_a_user_gets_their_own_language(app, agreement, make_user):
    liaison = _liaison_email(app, agreement)
    user = make_user("staff", email=liaison)
    with app.app_context():
        db.session.get(User, user.id).locale = "en"
        db.session.commit()
    run(app, date(2027, 1, 30))
    _to, subject, body = next(m for m in _outbox(app) if m[0] == liaison)
    assert "[suomi]" not in body and "End of validity 1.3.2027" in subject
    assert "The agreement is valid until 1.3.2027." in body


def test_notice_and_decision_deadlines_are_reminded(app, make_agreement):
    _mailbox(app)
    aid = make_agreement("Irtisanottava", status="in_force", signed_on=date(2025, 1, 1), valid_from=date(2025, 1, 1),
                         valid_until=date(2027, 5, 31), notice_months=3, lead_time_days=14, with_liaisons=True)
    run(app, date(2027, 2, 7))  # the decision deadline 14.2. is 7 days ahead, the notice deadline 28.2. 21 days
    with app.app_context():
        keys = set(db.session.scalars(select(SentReminder.key)))
    assert keys == {f"agreement:{aid}:decision:2027-02-14:7", f"agreement:{aid}:notice:2027-02-28:30"}
    subjects = [s for to, s, _b in _outbox(app) if to == MAILBOX]
    assert len(subjects) == 2 and any("Decision deadline 14.2.2027: Irtisanottava" in s for s in subjects)
    assert any("Notice deadline 28.2.2027: Irtisanottava" in s for s in subjects)


def test_parallel_runs_send_once(app, agreement):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                daily.run_daily(date(2027, 1, 30))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(_outbox(app)) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count(SentReminder.id))) == 1


def test_claim_refuses_a_key_already_taken(app):
    with app.app_context():
        assert claim_reminder("agreement:1:review:2027-01-01:7")
        assert not claim_reminder("agreement:1:review:2027-01-01:7")
        db.session.commit()  # the session is still usable after the refused insert
        assert db.session.scalar(select(func.count(SentReminder.id))) == 1


def test_without_recipients_the_reminder_waits(app, make_agreement):
    _mailbox(app, None)
    make_agreement("Ilman osoitteita", status="in_force", signed_on=date(2025, 1, 1), valid_from=date(2025, 1, 1),
                   valid_until=DEADLINE)
    assert run(app, date(2027, 1, 30))["without_recipients"] == 1
    assert _outbox(app) == []
    _mailbox(app)
    assert run(app, date(2027, 1, 31))["reminders_sent"] == 1
    assert [to for to, _s, _b in _outbox(app)] == [MAILBOX]


def test_reminder_days_are_configurable(app, agreement):
    app.config["AGREEMENT_REMINDER_DAYS"] = "14, 3"
    assert run(app, date(2027, 1, 30))["reminders_sent"] == 0
    assert run(app, date(2027, 2, 15))["reminders_sent"] == 1
    with app.app_context():
        assert db.session.scalars(select(SentReminder.key)).all() == [f"agreement:{agreement}:expiry:2027-03-01:14"]


def test_weekly_digest_replaces_single_reminders(app, agreement, make_user, client_as):
    liaison = _liaison_email(app, agreement)
    user = make_user("director", email=liaison, unit="ESRSK")
    with app.app_context():
        db.session.add(Reminder(user_id=user.id, weekly_digest=True))
        db.session.commit()
    monday = run(app, date(2027, 2, 1))
    assert monday["reminders_sent"] == 1 and monday["digests_sent"] == 1
    sent = _outbox(app)
    assert sorted(to for to, _s, _b in sent) == sorted([MAILBOX, liaison])  # the liaison only the digest
    digest = next(body for to, _s, body in sent if to == liaison)
    assert "1.3.2027" in digest and "Kelan vakuutuspiirin toimintamalli" in digest
    assert run(app, date(2027, 2, 2))["digests_sent"] == 0
    assert run(app, date(2027, 2, 8))["digests_sent"] == 1  # a new ISO week
    assert len(_outbox(app)) == 3
    with app.app_context():
        assert db.session.get(Agreement, agreement) is not None


def test_profile_switches_the_weekly_digest(app, client_as):
    client = client_as("director", unit="ESRSK")
    assert 'id="weekly_digest" name="weekly_digest" value="1">' in client.get("/profile").get_data(as_text=True)
    response = post(client, "/profile/reminders", {"weekly_digest": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile#reminders")
    with app.app_context():
        assert db.session.get(Reminder, client.user.id).weekly_digest is True
    assert 'value="1" checked>' in client.get("/profile").get_data(as_text=True)
    post(client, "/profile/reminders", {})
    with app.app_context():
        assert db.session.get(Reminder, client.user.id).weekly_digest is False
