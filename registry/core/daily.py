"""The daily job: housekeeping tasks of every module, run once a day by `registry jobs daily` (cron, systemd).

Modules register their tasks on import::

    from registry.core.daily import daily_task

    @daily_task("clearance_reminders")
    def remind(today: date) -> dict[str, Any]:
        ...                                   # db.session as usual; idempotent: running twice changes nothing
        return {"sent": 3}                    # a JSON-able summary, printed by the command

    @daily_task("retention", options=("erase_expired",))
    def retention(today: date, erase_expired: bool = False) -> dict[str, Any]: ...

- `run_daily(today, **options)` runs every task in the order of `TASK_MODULES`, each in its own transaction
  (committed when it returns, rolled back when it raises; the other tasks still run). A task receives only
  the options it declared. The result maps each task name to its summary (`{"error": message}` on failure).
- Tasks run inside a request context made from `SERVER_NAME` (so `url_for(..., _external=True)` works in
  e-mails), with SQLite write intent, audited as the actor `daily`.
- Every task must be idempotent: the command may run twice a day, or in two places at once (reminders rely on
  the unique `SentReminder.key`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .database import write_intent
from .models import SentReminder
from .services import ServiceError

DailyFunc = Callable[..., dict[str, Any]]
ACTOR = "daily"
# Modules whose tasks the daily job runs: importing them registers their tasks.
TASK_MODULES = ("registry.access.daily", "registry.agreements.daily", "registry.applications.daily")


@dataclass(frozen=True)
class DailyTask:
    """A registered daily task: its name, the function and the options it accepts."""

    name: str
    func: DailyFunc
    options: tuple[str, ...] = ()


_TASKS: dict[str, DailyTask] = {}


def register_daily(name: str, func: DailyFunc, *, options: tuple[str, ...] = ()) -> DailyFunc:
    """Register `func(today, **options) -> dict` as a daily task (registering a name again replaces it)."""
    _TASKS[name] = DailyTask(name, func, tuple(options))
    return func


def daily_task(name: str, *, options: tuple[str, ...] = ()) -> Callable[[DailyFunc], DailyFunc]:
    """Decorator form of `register_daily`."""

    def decorator(func: DailyFunc) -> DailyFunc:
        return register_daily(name, func, options=options)

    return decorator


def load_tasks() -> list[DailyTask]:
    """Import the modules that register daily tasks; the tasks in the order of TASK_MODULES (within a module,
    of registration), whichever module happened to be imported first; tasks of other modules come last."""
    for module in TASK_MODULES:
        importlib.import_module(module)
    rank = {module: n for n, module in enumerate(TASK_MODULES)}
    return sorted(_TASKS.values(), key=lambda task: rank.get(task.func.__module__, len(rank)))


def _base_url(app: Flask) -> str:
    server = app.config.get("SERVER_NAME")
    return f"{app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}/" if server else "http://localhost/"


def run_task(task: DailyTask, today: date, options: dict[str, Any]) -> dict[str, Any]:
    """Run one task in its own transaction; a failure is rolled back and reported, never raised."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    kwargs = {key: options[key] for key in task.options if key in options}
    try:
        summary = task.func(today, **kwargs)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        app.logger.exception("daily task %s failed", task.name)
        message = exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}"
        return {"error": message}
    return summary if isinstance(summary, dict) else {}


def run_daily(today: date, **options: Any) -> dict[str, dict[str, Any]]:
    """Run every daily task for `today`; the summary of each task by its name."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    results: dict[str, dict[str, Any]] = {}
    with app.test_request_context(base_url=_base_url(app)), write_intent():
        previous = g.get("audit_label")
        g.audit_label = ACTOR
        try:
            for task in load_tasks():
                results[task.name] = run_task(task, today, options)
        finally:
            g.audit_label = previous
    return results


# --- the command ------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else "–"
    return str(value)


def format_summary(results: dict[str, dict[str, Any]]) -> list[str]:
    """Readable lines of a daily run: each task's name, then its summary values indented."""
    lines = []
    for name, summary in results.items():
        lines.append(f"{name}:" if summary else f"{name}: nothing to do")
        lines.extend(f"  {key.replace('_', ' ')}: {_shown(value)}" for key, value in summary.items())
    return lines


@click.group("jobs", cls=AppGroup)
def jobs_cli() -> None:
    """Scheduled jobs (run `registry jobs daily` once a day from cron or a systemd timer)."""


@jobs_cli.command("daily")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Run as if today were this date (default: today in Finland).")
@click.option("--erase-expired", is_flag=True,
              help="Also erase the person records whose retention period has ended (otherwise only listed).")
def jobs_daily(day: datetime | None, erase_expired: bool) -> None:
    """Run the daily tasks: reminders, and the list (or erasure) of records past their retention date."""
    from ..i18n import today as helsinki_today
    from .audit import set_cli_actor

    set_cli_actor(ACTOR)
    results = run_daily(day.date() if day else helsinki_today(), erase_expired=erase_expired)
    for line in format_summary(results):
        click.echo(line)
    failed = [name for name, summary in results.items() if "error" in summary]
    if failed:
        raise click.ClickException(f"failed: {', '.join(failed)}")


def claim_reminder(key: str) -> bool:
    """Record a reminder as sent unless it already is: False when it was (the unique key also guards runs in
    parallel). Call it before queueing the e-mail, in the same transaction."""
    try:
        with db.session.begin_nested():
            db.session.add(SentReminder(key=key))
            db.session.flush()
    except IntegrityError:
        return False
    return True
