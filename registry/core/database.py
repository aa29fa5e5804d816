"""Engine set-up: SQLite pragmas and write transactions that take the lock up front."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


@contextmanager
def write_intent() -> Iterator[None]:
    """Mark work outside a request (CLI, jobs) as writing, so SQLite begins with BEGIN IMMEDIATE."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _wants_write() -> bool:
    if _write_intent.get():
        return True
    return has_request_context() and request.method not in SAFE_METHODS


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout; we emit BEGIN ourselves (pysqlite's own is deferred and late)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock at BEGIN, so two writers never deadlock on upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write() else "BEGIN")


# Objects created by hand in migrations, not models: the search index of 0002 (FTS5 tables, the pg_trgm index)
# and the expression indexes of 0007 on lower-cased names and e-mail addresses (SQLite cannot reflect
# expression indexes, so autogenerate could not compare them).
UNMANAGED_PREFIXES = ("search_fts", "ix_search_document_folded_trgm", "ix_agreement_name_fi_lower",
                      "ix_partner_name_fi_lower", "ix_contact_name_lower", "ix_contact_email_lower")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: leave the hand-made indexes out of autogenerate comparisons."""
    return not (name or "").startswith(UNMANAGED_PREFIXES)


def register_database(app: Flask) -> None:
    """Bind SQLAlchemy and configure the engine for the dialect in use."""
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
