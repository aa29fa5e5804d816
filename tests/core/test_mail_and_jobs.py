"""The mail service (outbox, SMTP delivery to a local test server, the CLI, the admin outbox) and background jobs."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email import policy as email_policy
from typing import Any

import pytest
from flask import Flask, g, url_for
from sqlalchemy import func, select

from registry.core import audit, jobs, mail
from registry.core.models import AuditEvent, Job, OutboxMessage, User
from registry.core.services import ServiceError
from registry.extensions import db


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        server: FakeSMTP = self.server  # type: ignore[assignment]
        self._reply("220 test.example ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self._reply("250-test.example\r\n250 8BITMIME" if verb == "EHLO" else "250 test.example")
            elif verb == "MAIL":
                sender, recipients = command.partition(":")[2].strip(" <>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                address = command.partition(":")[2].strip(" <>")
                if address in server.refuse:
                    self._reply("550 No such user")
                else:
                    recipients.append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                server.received.append((sender, recipients, b"".join(lines)))
                self._reply("250 OK queued")
            elif verb in {"RSET", "NOOP"}:
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class FakeSMTP(socketserver.ThreadingTCPServer):
    """A local SMTP server on a free port that keeps what it receives."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def messages(self) -> list[Any]:
        return [message_from_bytes(raw, policy=email_policy.default) for _s, _r, raw in self.received]


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[FakeSMTP]:
    """The server; depending on `app` empties the database after the test."""
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll until the condition holds (background threads), failing after a while."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for background work"
        time.sleep(0.05)


def _queue(app: Flask, *messages: tuple[str, str, str]) -> list[int]:
    with app.app_context():
        rows = [mail.send_mail(*m) for m in messages]
        db.session.commit()
        g.pop("mail_queued")  # no delivery thread: the test delivers itself
        return [r.id for r in rows]


def _outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


# --- mail -----------------------------------------------------------------------------------------


def test_send_mail_queues_in_the_transaction_and_sends_nothing_itself(app):
    with app.app_context():
        mail.send_mail("a@example.org", "Hei", "Body")
        db.session.rollback()  # the caller's transaction failed: no message
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
        mail.send_mail(" b@example.org ", "Multi\r\nline  subject", "Body")
        db.session.commit()
    [message] = _outbox(app)
    assert (message.to, message.subject, message.sent_at, message.attempts) == ("b@example.org",
                                                                               "Multi line subject", None, 0)
    with app.app_context(), pytest.raises(ValueError):
        mail.send_mail("x@example.org\r\nBcc: y@example.org", "s", "b")


def test_without_smtp_messages_stay_in_the_outbox(app):
    _queue(app, ("a@example.org", "Hei", "Body"))
    report = mail.deliver_pending(app)
    assert (report.sent, report.failed) == (0, 0)
    [message] = _outbox(app)
    assert message.sent_at is None and message.attempts == 0
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "not configured" in result.output and "1 message" in result.output


def test_delivery_to_a_local_smtp_server(app_factory, smtp_server):
    app = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, MAIL_FROM="rekisteri@rise.example")
    _queue(app, ("maija@example.org", "Yhteystietojen tarkistus – ä ö å", "Hei Maija,\nlinkki: https://x/confirm/abc\n"),
           ("pekka@example.org", "Toinen", "Rivi\n.alkaa pisteellä\n"))
    report = mail.deliver_pending(app)
    assert (report.sent, report.failed, report.stopped) == (2, 0, False)
    first, second = smtp_server.messages()
    assert first["To"] == "maija@example.org" and first["From"] == "rekisteri@rise.example"
    assert first["Subject"] == "Yhteystietojen tarkistus – ä ö å"
    assert first.get_content().replace("\r\n", "\n") == "Hei Maija,\nlinkki: https://x/confirm/abc\n"
    assert second.get_content().replace("\r\n", "\n") == "Rivi\n.alkaa pisteellä\n"
    assert [r for _s, r, _m in smtp_server.received] == [["maija@example.org"], ["pekka@example.org"]]
    assert all(m.sent_at is not None and m.attempts == 1 and m.error is None for m in _outbox(app))
    assert mail.deliver_pending(app).sent == 0  # nothing is sent twice


def test_a_refused_recipient_is_recorded_and_the_rest_still_go(app_factory, smtp_server):
    app = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    smtp_server.refuse.add("gone@example.org")
    _queue(app, ("gone@example.org", "A", "a"), ("ok@example.org", "B", "b"))
    report = mail.deliver_pending(app)
    assert (report.sent, report.failed) == (1, 1)
    gone, ok = _outbox(app)
    assert gone.sent_at is None and gone.attempts == 1 and "550" in (gone.error or "")
    assert ok.sent_at is not None
    for _ in range(mail.MAX_ATTEMPTS):  # retried until the limit, then left alone
        mail.deliver_pending(app)
    assert _outbox(app)[0].attempts == mail.MAX_ATTEMPTS


def test_an_unreachable_server_stops_the_run_without_using_up_the_queue(app, app_factory):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    _queue(app, ("a@example.org", "A", "a"), ("b@example.org", "B", "b"))
    report = mail.deliver_pending(app)
    assert report.stopped and report.failed == 1
    first, second = _outbox(app)
    assert first.attempts == 1 and first.error and second.attempts == 0
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1 and "still waiting 2" in result.output


def test_mail_queued_in_an_app_context_is_delivered_afterwards_in_a_thread(app_factory, smtp_server):
    app = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    with app.app_context():
        mail.send_mail("later@example.org", "Later", "Sent after the work ended")
        db.session.commit()
        time.sleep(0.2)
        assert smtp_server.received == []  # nothing is sent while the work is going on
    wait_for(lambda: len(smtp_server.received) == 1)
    wait_for(lambda: _outbox(app)[0].sent_at is not None)


def test_mail_send_command(app_factory, smtp_server):
    app = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    _queue(app, *[(f"p{i}@example.org", "S", "b") for i in range(3)])
    result = app.test_cli_runner().invoke(args=["mail", "send", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "Sent 2, failed 0, still waiting 1." in result.output and len(smtp_server.received) == 2


def test_the_outbox_is_for_admins_newest_first(app, client_as, make_user):
    _queue(app, ("old@example.org", "Old message", "old body"),
           ("new@example.org", "New message", "Line one\nLine <two>"))
    admin = client_as("admin")
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert page.index("New message") < page.index("Old message")
    assert "REGISTRY_SMTP_HOST" in page  # says why nothing is sent
    newest = _outbox(app)[1].id
    message = admin.get(f"/admin/outbox/{newest}")
    assert message.status_code == 200 and "Line <two>" not in message.get_data(as_text=True)
    assert "Line &lt;two&gt;" in message.get_data(as_text=True)
    assert admin.get("/admin/outbox/999999999999").status_code == 404
    assert admin.get("/admin/outbox?page=-5").status_code == 200
    assert client_as("director").get("/admin/outbox").status_code == 403
    assert client_as("staff").get(f"/admin/outbox/{newest}").status_code == 403
    anonymous = app.test_client().get("/admin/outbox")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


# --- jobs -----------------------------------------------------------------------------------------


def _start(app: Flask, user_id: int, func: Callable[..., Any], *args: Any, total: int = 3) -> int:
    with app.test_request_context("/anything", base_url="https://registry.example/"):
        job = jobs.start_job("test", db.session.get(User, user_id), total, func, *args)
        return job.id


def _job(app: Flask, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _work(progress: jobs.Progress, label: str) -> dict[str, Any]:
    for done in range(1, 4):
        progress(done)
    audit.record("read", object_type="test", note=label)
    return {"label": label, "link": url_for("currency.stale", _external=True), "url": "/directory/stale"}


def test_a_synchronous_job_runs_inline_as_its_user(app, make_user):
    app.config["JOBS_SYNCHRONOUS"] = True
    user = make_user("director")
    job = _job(app, _start(app, user.id, _work, "hello"))
    assert (job.status, job.done, job.total, job.kind) == ("done", 3, 3, "test")
    assert job.result == {"label": "hello", "link": "https://registry.example/directory/stale",
                          "url": "/directory/stale"}
    assert job.finished_at is not None and job.user_id == user.id
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.note == "hello"))
        assert (event.actor_id, event.actor_label) == (user.id, user.email)


def _fail_service(progress: jobs.Progress) -> None:
    progress(1)
    raise ServiceError("The file has no rows.")


def _fail_bug(progress: jobs.Progress) -> None:
    raise RuntimeError("secret internals")


def test_a_failing_job_is_marked_failed_with_a_safe_message(app, make_user, client_as):
    app.config["JOBS_SYNCHRONOUS"] = True
    client = client_as("staff")
    service = _job(app, _start(app, client.user.id, _fail_service))
    assert service.status == "failed" and service.result == {"error": "The file has no rows."}
    bug = _job(app, _start(app, client.user.id, _fail_bug))
    assert bug.status == "failed" and bug.result == {"error": None}
    page = client.get(f"/jobs/{bug.id}").get_data(as_text=True)
    assert "secret internals" not in page and 'role="alert"' in page
    assert "The file has no rows." in client.get(f"/jobs/{service.id}").get_data(as_text=True)


def test_a_background_job_shows_progress_while_it_runs(app, client_as):
    app.config["JOBS_SYNCHRONOUS"] = False  # this test needs the real background thread
    owner = client_as("staff")
    release = threading.Event()

    def slow(progress: jobs.Progress) -> dict[str, Any]:
        progress(1)
        assert release.wait(10)
        progress(3)
        return {"rows": 3}

    job_id = _start(app, owner.user.id, slow)
    wait_for(lambda: owner.get(f"/jobs/{job_id}.json").get_json()["done"] == 1)
    state = owner.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "running" and state["total"] == 3 and state["result"] is None
    page = owner.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert '<progress id="job-bar" value="1" max="3">' in page
    assert '<meta http-equiv="refresh" content="2">' in page and "js/job.js" in page
    release.set()
    wait_for(lambda: owner.get(f"/jobs/{job_id}.json").get_json()["status"] == "done")
    done = owner.get(f"/jobs/{job_id}")
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and 'value="3" max="3"' in text and "http-equiv" not in text
    assert owner.get(f"/jobs/{job_id}.json").get_json()["result"] == {"rows": 3}


def test_only_the_owner_or_an_admin_sees_a_job(app, client_as):
    app.config["JOBS_SYNCHRONOUS"] = True
    owner = client_as("director")
    job_id = _start(app, owner.user.id, _work, "x")
    assert owner.get(f"/jobs/{job_id}").status_code == 200
    assert owner.get(f"/jobs/{job_id}.json").status_code == 200
    other = client_as("director")
    assert other.get(f"/jobs/{job_id}").status_code == 404
    assert other.get(f"/jobs/{job_id}.json").status_code == 404
    assert client_as("admin").get(f"/jobs/{job_id}").status_code == 200
    assert owner.get("/jobs/99999999999").status_code == 404
    anonymous = app.test_client().get(f"/jobs/{job_id}.json")
    assert anonymous.status_code == 302
