"""The daily job framework: registered tasks, their options and transactions, and `registry jobs daily`."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import func, select

from registry.core import daily
from registry.core.models import AuditEvent, Unit, UnitKind
from registry.core.services import ServiceError
from registry.extensions import db


@pytest.fixture
def tasks(monkeypatch: pytest.MonkeyPatch) -> dict[str, daily.DailyTask]:
    """An empty task registry for the test (the real modules are not imported)."""
    registry: dict[str, daily.DailyTask] = {}
    monkeypatch.setattr(daily, "_TASKS", registry)
    monkeypatch.setattr(daily, "TASK_MODULES", ())
    return registry


def test_tasks_run_in_order_with_their_options_and_a_readable_summary(app, tasks):
    calls: list[Any] = []

    @daily.daily_task("first")
    def first(today: date) -> dict[str, Any]:
        calls.append(("first", today))
        return {"checked": 3, "ids": [4, 5]}

    def second(today: date, erase_expired: bool = False) -> dict[str, Any]:
        calls.append(("second", today, erase_expired))
        return {}

    daily.register_daily("second", second, options=("erase_expired",))
    result = app.test_cli_runner().invoke(args=["jobs", "daily", "--date", "2027-02-28", "--erase-expired"])
    assert result.exit_code == 0, result.output
    assert calls == [("first", date(2027, 2, 28)), ("second", date(2027, 2, 28), True)]
    assert result.output.splitlines() == ["first:", "  checked: 3", "  ids: 4, 5", "second: nothing to do"]


def test_a_failing_task_is_rolled_back_and_the_others_still_run(app, tasks):
    @daily.daily_task("breaks")
    def breaks(today: date) -> dict[str, Any]:
        db.session.add(Unit(code="HALF", kind=UnitKind.OTHER, name_fi="Puolikas", name_sv="Halv", name_en="Half"))
        db.session.flush()
        raise RuntimeError("secret detail")

    @daily.daily_task("refuses")
    def refuses(today: date) -> dict[str, Any]:
        raise ServiceError("Nothing to do today.")

    @daily.daily_task("works")
    def works(today: date) -> dict[str, Any]:
        db.session.add(Unit(code="KEPT", kind=UnitKind.OTHER, name_fi="Pysyvä", name_sv="Kvar", name_en="Kept"))
        return {"added": 1, "link": url_for("main.healthz", _external=True)}

    result = app.test_cli_runner().invoke(args=["jobs", "daily"])
    assert result.exit_code == 1
    assert "error: RuntimeError" in result.output and "secret detail" not in result.output
    assert "error: Nothing to do today." in result.output
    assert "link: http://localhost/healthz" in result.output
    assert "failed: breaks, refuses" in result.output
    with app.app_context():
        assert set(db.session.scalars(select(Unit.code))) == {"KEPT"}
        assert db.session.scalar(select(AuditEvent.actor_label).where(AuditEvent.object_type == "unit")) == "daily"


def test_run_daily_returns_each_summary_and_registering_again_replaces(app, tasks):
    daily.register_daily("count", lambda today: {"n": 1})
    daily.register_daily("count", lambda today: {"n": 2})
    with app.app_context():
        assert daily.run_daily(date(2026, 1, 1)) == {"count": {"n": 2}}


def test_the_real_tasks_are_registered(app):
    names = [task.name for task in daily.load_tasks()]
    assert names[:2] == ["clearance_reminders", "retention"]
    with app.app_context():
        results = daily.run_daily(date(2026, 6, 1))
        assert results["retention"]["expired_records"] == 0
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "erase")) == 0


def test_format_summary():
    assert daily.format_summary({"a": {"ids": []}, "b": {}}) == ["a:", "  ids: –", "b: nothing to do"]


def test_tasks_come_in_module_order_whatever_was_imported_first(monkeypatch):
    monkeypatch.setattr(daily, "_TASKS", {})

    def task(module: str):
        def func(today):
            return {}
        func.__module__ = module
        return func

    daily.register_daily("agreements", task("registry.agreements.daily"))  # imported first, e.g. by a test
    daily.register_daily("elsewhere", task("some.plugin"))
    daily.register_daily("access", task("registry.access.daily"))
    assert [t.name for t in daily.load_tasks()] == ["access", "agreements", "elsewhere"]
