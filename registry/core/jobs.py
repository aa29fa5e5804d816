"""Background jobs: long or bulk actions run outside the request, with progress shown to the user who started them.

Stable API (imports, exports and bulk reminders use it)::

    from registry.core.jobs import start_job

    def import_rows(progress, upload_id: int) -> dict:     # plain arguments, never ORM objects
        for done, row in enumerate(rows, 1):
            ...                                            # db.session as usual; commit when you choose
            progress(done)                                 # cheap; stored at most every PROGRESS_INTERVAL s
        return {"created": 12, "url": url_for("directory.partners")}   # JSON; becomes Job.result

    job = start_job("import", current_user, len(rows), import_rows, upload.id)   # commits, returns the Job
    return redirect(url_for("currency.job", job_id=job.id))

- `start_job(kind, user, total, func, *args)` adds a `Job` row (status queued), commits the current
  transaction, and runs `func(progress, *args)` in a daemon thread (inline when `JOBS_SYNCHRONOUS`, as in
  tests). The thread has its own app context and database session, writes with SQLite write intent, and runs
  inside a request context made from the starting request's address, so `url_for(..., _external=True)`
  works, `current_user` is the user who started the job and every change is audited as theirs.
- `progress(done)` reports how many of `total` are done. It never commits the job's own work: it stores the
  number on a separate connection (on SQLite only between the job's transactions; meanwhile this process
  still shows the live number).
- When `func` returns, anything left uncommitted is committed; status becomes `done`, `done = total`, and the
  returned dict is stored in `Job.result`. When it raises, its open transaction is rolled back (work it had
  already committed stays), status becomes `failed` and the result is `{"error": message}` (the message of a
  `ServiceError`, otherwise a generic one; the exception goes to the log).
- The progress page is `currency.job` (GET /jobs/<id>; GET /jobs/<id>.json gives id, kind, status, total,
  done, result). Only the user who started a job, or an admin, sees it. The page shows `result["url"]` as a
  "Continue" link (paths inside the application only) and renders the result with the template
  `jobs/<kind>.html` (variables `job`, `result`) when one exists, else as a plain list. `KIND_LABELS[kind]`
  (a lazy string) names the job on the page.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from sqlalchemy import update

from ..extensions import db
from .database import write_intent
from .models import Job, User, utcnow
from .services import ServiceError

PROGRESS_INTERVAL = 0.5  # seconds between stored progress updates
STATUS_LABELS = {"queued": _l("Waiting to start"), "running": _l("In progress"), "done": _l("Finished"),
                 "failed": _l("Failed")}
KIND_LABELS: dict[str, Any] = {}  # kind → lazy label, filled in by the modules that start jobs
Progress = Callable[[int], None]

_live: dict[int, int] = {}  # job id → latest progress reported in this process
_live_lock = threading.Lock()


@dataclass(frozen=True)
class _Spec:
    app: Flask
    job_id: int
    user_id: int | None
    total: int
    func: Callable[..., dict[str, Any] | None]
    args: tuple[Any, ...]
    base_url: str
    remote_addr: str | None


def start_job(kind: str, user: Any, total: int, func: Callable[..., dict[str, Any] | None], *args: Any) -> Job:
    """Record a job and run `func(progress, *args)` in the background; commits the current transaction."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    user_id = getattr(user, "id", None)
    total = max(int(total), 0)
    job = Job(kind=kind[:40], user_id=user_id, total=total, status="queued")
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    db.session.commit()  # from here on nothing may open a transaction here: SQLite would lock the job out
    if has_request_context():
        base_url, remote_addr = request.url_root, request.remote_addr
    else:
        server = app.config.get("SERVER_NAME")
        base_url = f"{app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}/" if server else "http://localhost/"
        remote_addr = None
    spec = _Spec(app, job_id, user_id, total, func, args, base_url, remote_addr)
    if app.config.get("JOBS_SYNCHRONOUS"):
        contextvars.Context().run(_run, spec)  # as if in a new thread: no request, app context or session
    else:
        threading.Thread(target=_run, args=(spec,), name=f"registry-job-{job_id}", daemon=True).start()
    return job


class _Reporter:
    """The `progress(done)` callback given to a job."""

    def __init__(self, job_id: int, total: int) -> None:
        self.job_id, self.total, self.last = job_id, total, 0.0

    def __call__(self, done: int) -> None:
        done = max(0, min(int(done), self.total)) if self.total else max(0, int(done))
        with _live_lock:
            _live[self.job_id] = done
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and done < self.total:
            return
        if db.engine.dialect.name == "sqlite" and db.session().in_transaction():
            return  # the job holds the write lock: another connection would wait for it
        self.last = now
        with db.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == self.job_id).values(done=done))


def live_done(job: Job) -> int:
    """How much of a job is done, including progress this process knows but has not stored yet."""
    with _live_lock:
        live = _live.get(job.id, 0) if job.status == "running" else 0
    return max(job.done, live)


def _finish(job_id: int, status: str, result: dict[str, Any] | None, done: int | None) -> None:
    values: dict[str, Any] = {"status": status, "result": result, "finished_at": utcnow()}
    if done is not None:
        values["done"] = done
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


def _run(spec: _Spec) -> None:
    environ = {"REMOTE_ADDR": spec.remote_addr} if spec.remote_addr else {}
    with spec.app.test_request_context(base_url=spec.base_url, environ_overrides=environ), write_intent():
        user = db.session.get(User, spec.user_id) if spec.user_id else None
        if user is not None and user.active:
            login_user(user)
            g.audit_user = user
        db.session.execute(update(Job).where(Job.id == spec.job_id).values(status="running"))
        db.session.commit()
        try:
            result = spec.func(_Reporter(spec.job_id, spec.total), *spec.args)
            db.session.commit()
            _finish(spec.job_id, "done", result, spec.total)
        except Exception as exc:
            db.session.rollback()
            spec.app.logger.exception("job %s (%s) failed", spec.job_id, getattr(spec.func, "__name__", "?"))
            message = exc.message if isinstance(exc, ServiceError) else None
            try:
                _finish(spec.job_id, "failed", {"error": message}, None)
            except Exception:
                db.session.rollback()
                spec.app.logger.exception("could not record the failure of job %s", spec.job_id)
        finally:
            with _live_lock:
                _live.pop(spec.job_id, None)


def job_as_dict(job: Job) -> dict[str, Any]:
    """The job's state for the JSON status endpoint."""
    return {"id": job.id, "kind": job.kind, "status": job.status, "total": job.total, "done": live_done(job),
            "result": job.result}


def visible_job(job: Job | None, user: Any) -> bool:
    """Only the user who started a job, or an admin, may see it."""
    return job is not None and (job.user_id == user.id or user.has_role("admin"))
