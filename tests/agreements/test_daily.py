"""The daily job of the agreement tracker: statuses follow passing dates, idempotently."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.agreements.models import Agreement, AgreementStatus, AgreementTransition
from registry.core import daily
from registry.extensions import db

TASKS = ("agreement_statuses", "agreement_reminders")


@pytest.fixture(autouse=True)
def _agreement_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the agreement tasks (other modules' tasks are tested with those modules)."""
    monkeypatch.setattr(daily, "TASK_MODULES", ("registry.agreements.daily",))


def run(app: Flask, day: date) -> dict[str, Any]:
    with app.app_context():
        return daily.run_daily(day)


def _state(app: Flask, agreement_id: int) -> tuple[AgreementStatus, date | None, list[tuple[Any, Any, Any]]]:
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        rows = db.session.scalars(select(AgreementTransition).where(AgreementTransition.agreement_id == agreement_id)
                                  .order_by(AgreementTransition.id))
        return agreement.status, agreement.valid_until, [(r.from_status, r.to_status, r.by_id) for r in rows]


def _in_force(make_agreement: Any, **fields: Any) -> int:
    return make_agreement("Kolmen kuukauden irtisanomisaika", status="in_force", signed_on=date(2025, 1, 1),
                          valid_from=date(2025, 6, 1), with_liaisons=True, **fields)


def test_agreement_expires_by_itself_the_day_after_its_validity(app, make_agreement):
    aid = _in_force(make_agreement, valid_until=date(2027, 5, 31), notice_months=3, lead_time_days=14)
    assert run(app, date(2027, 5, 31))["agreement_statuses"] == {"expired": 0, "renewed": 0}
    assert _state(app, aid)[0] is AgreementStatus.IN_FORCE
    result = run(app, date(2027, 6, 1))
    assert set(TASKS) <= set(result) and result["agreement_statuses"] == {"expired": 1, "renewed": 0}
    status, until, transitions = _state(app, aid)
    assert status is AgreementStatus.EXPIRED and until == date(2027, 5, 31)
    assert transitions[-1] == (AgreementStatus.IN_FORCE, AgreementStatus.EXPIRED, None)  # by the system
    run(app, date(2027, 6, 1))
    run(app, date(2027, 6, 2))
    assert _state(app, aid)[2] == transitions  # nothing happens twice


def test_automatic_renewal_extends_validity(app, make_agreement):
    aid = _in_force(make_agreement, valid_until=date(2027, 1, 31), renewal_type="automatic", renewal_months=12,
                    notice_months=3)
    assert run(app, date(2027, 2, 1))["agreement_statuses"] == {"expired": 0, "renewed": 1}
    status, until, transitions = _state(app, aid)
    assert status is AgreementStatus.IN_FORCE and until == date(2028, 1, 31)
    assert transitions[-1] == (AgreementStatus.IN_FORCE, AgreementStatus.IN_FORCE, None)
    assert run(app, date(2027, 2, 1))["agreement_statuses"] == {"expired": 0, "renewed": 0}
    assert _state(app, aid)[1] == date(2028, 1, 31)


def test_agreements_without_an_end_or_not_in_force_stay(app, make_agreement):
    open_ended = _in_force(make_agreement)
    draft = make_agreement("Luonnos", status="in_preparation", valid_until=date(2026, 1, 1))
    run(app, date(2027, 6, 1))
    assert _state(app, open_ended)[0] is AgreementStatus.IN_FORCE
    assert _state(app, draft)[0] is AgreementStatus.IN_PREPARATION


def test_the_command_runs_the_daily_tasks(app, make_agreement):
    aid = _in_force(make_agreement, valid_until=date(2027, 5, 31))
    result = app.test_cli_runner().invoke(args=["jobs", "daily", "--date", "2027-06-01"])
    assert result.exit_code == 0, result.output
    assert "agreement_statuses:" in result.output and "expired: 1" in result.output
    assert "agreement_reminders:" in result.output
    assert _state(app, aid)[0] is AgreementStatus.EXPIRED
