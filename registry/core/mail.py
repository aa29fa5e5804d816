"""The one mail service: messages are queued in the database and delivered later, never during a request.

- `send_mail(to, subject, body)` adds an `OutboxMessage` to the current transaction: it goes out only if the
  caller commits, and it never talks to a mail server.
- `deliver_pending(app, limit)` sends queued messages by SMTP when `SMTP_HOST` is configured (`SMTP_PORT`,
  `SMTP_USER`, `SMTP_PASSWORD`, `SMTP_STARTTLS`, `MAIL_FROM`; environment `REGISTRY_SMTP_HOST` …; port 465
  means implicit TLS). Each message records `attempts`, `sent_at` and the last `error`; a message is tried at
  most `MAX_ATTEMPTS` times.
- After a request (or a background job) that queued mail, a daemon thread runs the delivery
  (`JOBS_SYNCHRONOUS`: inline). `registry mail send` delivers from the command line (cron, after an outage).
- Without `SMTP_HOST` messages stay in the outbox, which an admin reads at /admin/outbox.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import click
from flask import Flask, current_app, g, has_app_context
from flask.cli import AppGroup
from sqlalchemy import func, select, update

from ..extensions import db
from .database import write_intent
from .models import OutboxMessage, utcnow

MAX_ATTEMPTS = 5
BATCH = 100
SMTP_TIMEOUT = 30
SENDING = "sending since "  # the error column holds this lease while a worker sends the message
LEASE = timedelta(minutes=10)


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    stopped: bool = False  # the server could not be reached: the rest waits for the next run


def send_mail(to: str, subject: str, body: str) -> OutboxMessage:
    """Queue a plain-text message in the current transaction (delivered after the caller commits)."""
    address = to.strip()
    if not address or any(c in address for c in "\r\n"):
        raise ValueError("invalid recipient address")
    message = OutboxMessage(to=address[:254], subject=" ".join(subject.split())[:300], body=body)
    db.session.add(message)
    if has_app_context():
        g.mail_queued = True  # the end of this request or job starts a delivery
    return message


def smtp_configured(app: Flask) -> bool:
    """Whether messages are delivered by SMTP (otherwise they stay in the outbox)."""
    return bool(app.config.get("SMTP_HOST"))


def pending_count() -> int:
    """Messages not sent yet that will still be tried."""
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)) or 0


def _connect(config: dict[str, Any]) -> smtplib.SMTP:
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25)
    smtp: smtplib.SMTP
    if port == 465:
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
    if config.get("SMTP_USER"):
        smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    return smtp


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message for an outbox row (plain text, UTF-8)."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at or utcnow())
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or "localhost")
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body, cte="quoted-printable")
    return email


def _leased(error: str | None, now: datetime) -> bool:
    """Whether another worker is sending the message right now (its lease has not run out)."""
    if not error or not error.startswith(SENDING):
        return False
    try:
        since = datetime.fromisoformat(error[len(SENDING):].strip())
    except ValueError:
        return False
    return now - since < LEASE


def message_status(message: OutboxMessage, now: datetime | None = None) -> str:
    """sent, sending, failed (no more attempts), retrying (an attempt failed) or waiting."""
    if message.sent_at is not None:
        return "sent"
    if _leased(message.error, now or utcnow()):
        return "sending"
    if message.attempts >= MAX_ATTEMPTS:
        return "failed"
    return "retrying" if message.error else "waiting"


def _claim(message_id: int, attempts: int, sender: str) -> EmailMessage | None:
    """Take the message for sending (one attempt, a lease) unless another worker took it first."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.attempts == attempts, OutboxMessage.sent_at.is_(None))
        .values(attempts=attempts + 1, error=f"{SENDING}{utcnow().isoformat()}"))
    if not result.rowcount:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    message = db.session.get(OutboxMessage, message_id)
    try:
        email = build_email(message, sender) if message is not None else None
    except ValueError as exc:  # a header the mail library refuses: record it and move on
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(error=f"{type(exc).__name__}: {exc}"[:1000]))
        email = None
    db.session.commit()  # no transaction stays open while talking to the server
    return email


def _record(message_id: int, error: str | None) -> None:
    values: dict[str, Any] = {"error": error[:1000]} if error else {"sent_at": utcnow(), "error": None}
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.session.commit()


def deliver_pending(app: Flask, limit: int = BATCH) -> DeliveryReport:
    """Send up to `limit` queued messages by SMTP (oldest first); nothing happens without SMTP_HOST.

    Safe to run in several threads or processes at once: a message is claimed with a conditional update and
    a lease, so it is never sent twice (a lease left by a crashed worker runs out after LEASE).
    """
    report = DeliveryReport()
    if not smtp_configured(app):
        return report
    config = app.config
    with app.app_context(), write_intent():
        now = utcnow()
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.error)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id).limit(limit)).all()
        db.session.rollback()
        smtp: smtplib.SMTP | None = None
        try:
            for message_id, attempts, error in rows:
                if _leased(error, now):
                    continue
                email = _claim(message_id, attempts, config["MAIL_FROM"])
                if email is None:
                    continue
                try:
                    if smtp is None:
                        smtp = _connect(config)
                    smtp.send_message(email)
                except (OSError, smtplib.SMTPException) as exc:
                    _record(message_id, f"{type(exc).__name__}: {exc}")
                    report.failed += 1
                    if smtp is None:  # no connection at all: stop, the rest is tried next time
                        report.stopped = True
                        break
                    _quit(smtp)
                    smtp = None
                    continue
                _record(message_id, None)
                report.sent += 1
        finally:
            _quit(smtp)
    return report


def _state(app: Flask) -> dict[str, Any]:
    return app.extensions.setdefault("registry_mail", {"lock": threading.Lock(), "again": False})


def _drain(app: Flask) -> None:
    """Deliver until the outbox is empty; one drain per process at a time (a second request asks for another
    round instead of running in parallel)."""
    state = _state(app)
    if not state["lock"].acquire(blocking=False):
        state["again"] = True
        return
    try:
        while True:
            state["again"] = False
            try:
                report = deliver_pending(app)
            except Exception:  # never let a delivery thread die silently
                app.logger.exception("mail delivery failed")
                return
            if report.stopped or (report.sent + report.failed < BATCH and not state["again"]):
                return
    finally:
        state["lock"].release()


def deliver_in_background(app: Flask) -> None:
    """Start a delivery after the current work (a daemon thread; inline when JOBS_SYNCHRONOUS)."""
    if not smtp_configured(app):
        return
    if app.config.get("JOBS_SYNCHRONOUS"):
        _drain(app)
        return
    threading.Thread(target=_drain, args=(app,), name="registry-mail", daemon=True).start()


def _after_context(exc: BaseException | None) -> None:
    if g.pop("mail_queued", False) and exc is None:
        deliver_in_background(current_app._get_current_object())  # type: ignore[attr-defined]


def register_mail(app: Flask) -> None:
    """Deliver mail at the end of every request or job that queued some."""
    app.teardown_appcontext(_after_context)


@click.group("mail", cls=AppGroup)
def mail_cli() -> None:
    """Outgoing e-mail."""


@mail_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1, max=100_000), default=1000, show_default=True,
              help="Send at most this many messages in this run.")
def mail_send(limit: int) -> None:
    """Deliver the messages waiting in the outbox by SMTP (REGISTRY_SMTP_HOST …)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not smtp_configured(app):
        raise click.ClickException(f"SMTP is not configured (REGISTRY_SMTP_HOST); {pending_count()} message(s) "
                                   "wait in the outbox (/admin/outbox).")
    total = DeliveryReport()
    while limit > 0:
        report = deliver_pending(app, min(limit, BATCH))
        total.sent, total.failed, limit = total.sent + report.sent, total.failed + report.failed, \
            limit - report.sent - report.failed
        if report.stopped or report.sent + report.failed < BATCH:
            total.stopped = report.stopped
            break
    click.echo(f"Sent {total.sent}, failed {total.failed}, still waiting {pending_count()}.")
    if total.stopped or total.failed:
        raise click.exceptions.Exit(1)
