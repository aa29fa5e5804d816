"""Schema and engine: migrations match the models; SQLite pragmas; scope of a director."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from registry.core.database import include_object
from registry.core.models import Unit, User
from registry.core.services import in_scope, scope_unit_ids
from registry.extensions import db


# SQLite cannot reflect the expression indexes of migration 0007; include_object leaves them out anyway.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_match_the_models(app):
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; generate a migration: {diff}"


def test_sqlite_runs_with_wal_and_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 10000


def test_director_scope_is_the_unit_and_its_sub_units(app, reference, make_user):
    director = make_user("director", unit="ESRSK")
    with app.app_context():
        user = db.session.get(User, director.id)
        ids = scope_unit_ids(user.home_unit)
        codes = set(db.session.scalars(select(Unit.code).where(Unit.id.in_(ids))))
        assert {"ESRSK", "HELV", "VANYKS"} <= codes and "OULV" not in codes and "LSRSK" not in codes
        oulu = db.session.scalar(select(Unit.id).where(Unit.code == "OULV"))
        helsinki = db.session.scalar(select(Unit.id).where(Unit.code == "HELV"))
        assert in_scope(user, helsinki) and not in_scope(user, oulu)
