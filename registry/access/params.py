"""Where the policy parameters come from: the versioned table when it has rows, else the seed file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import inspect, select

from ..extensions import db
from .models import PolicyParameterSet
from .rules import PolicyParameters, parameters_on, read_parameter_file

SEED_FILE = Path(__file__).resolve().parent.parent.parent / "seed" / "policy_parameters.csv"


def seed_parameters() -> list[PolicyParameters]:
    """The parameter versions shipped in seed/policy_parameters.csv."""
    return read_parameter_file(SEED_FILE)


def stored_parameters() -> list[PolicyParameters]:
    """The parameter versions in the database; empty when the table has no rows or does not exist yet."""
    if not inspect(db.session.connection()).has_table(PolicyParameterSet.__tablename__):
        return []  # a database not yet migrated: the CLI still works from the seed file
    return [PolicyParameters(version=row.version, effective_from=row.effective_from, waiting_years=row.waiting_years,
                             paired_waiting_years=row.paired_waiting_years, retention_years=row.retention_years,
                             source=row.source or "")
            for row in db.session.scalars(select(PolicyParameterSet).order_by(PolicyParameterSet.effective_from))]


def current_parameters(as_of: date) -> PolicyParameters:
    """The policy parameters in force on `as_of` (database rows if any, otherwise the seed file)."""
    return parameters_on(stored_parameters() or seed_parameters(), as_of)
