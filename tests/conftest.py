"""Shared fixtures: a migrated test database (SQLite, or PostgreSQL via TEST_DATABASE_URL), the app,
clients signed in as any role, and factories."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from registry import create_app
from registry.auth.services import hash_password
from registry.core.models import User, utcnow
from registry.core.services import set_roles, unit_by_code
from registry.extensions import db, limiter

PASSWORD = "correct horse battery staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MFA_ROLES = {"admin", "coordinator"}


def pytest_report_header(config: Any) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {url.split('@')[-1] if url else 'SQLite (set TEST_DATABASE_URL for PostgreSQL)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated database for the whole run."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _pg_clean(tables: list[Any]) -> None:
    """PostgreSQL: empty the tables a test touched and restart their id sequences, in one round trip each.

    DELETE with the foreign-key triggers off (session_replication_role) is far cheaper than TRUNCATE, whose
    cost per table is the same whether it holds a row or not."""
    sequences = {t.name: f"{t.name}_id_seq" for t in tables
                 if "id" in t.c and t.c.id.primary_key and t.c.id.autoincrement is not False}
    checks = []
    for table in tables:
        used = f'EXISTS (SELECT 1 FROM "{table.name}")'
        if table.name in sequences:
            used += (f" OR (SELECT last_value FROM pg_sequences WHERE schemaname = 'public' "
                     f"AND sequencename = '{sequences[table.name]}') IS NOT NULL")
        checks.append(f"SELECT '{table.name}' WHERE {used}")
    used_tables = list(db.session.scalars(text(" UNION ALL ".join(checks))))
    if used_tables:
        statements = ["SET LOCAL session_replication_role = replica"]
        statements += [f'DELETE FROM "{name}"' for name in used_tables]
        statements += [f"SELECT setval('{sequences[name]}', 1, false)" for name in used_tables if name in sequences]
        db.session.execute(text("; ".join(statements)))
    db.session.commit()


def _truncate() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        _pg_clean(tables)
        return
    raw = db.engine.raw_connection()  # autocommit: foreign keys can only be switched outside a transaction
    try:
        raw.execute("PRAGMA foreign_keys = OFF")
        for table in tables:
            raw.execute(f'DELETE FROM "{table.name}"')
        raw.execute("PRAGMA foreign_keys = ON")
    finally:
        raw.close()


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    """The application bound to the test database, emptied after each test."""
    application = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
        "TEMPLATES_STRICT": True, "RATELIMIT_STORAGE_URI": "memory://", "JOBS_SYNCHRONOUS": True,
        "DOCUMENT_FOLDER": str(tmp_path / "documents"),  # never the checkout's instance folder
    })
    # No app context stays pushed during the test: each request must get its own, as in production.
    with application.app_context():
        limiter.reset()
    yield application
    with application.app_context():
        _truncate()
        db.engine.dispose()


@pytest.fixture
def app_factory(database_url: str) -> Iterator[Any]:
    """Factory: another app on the test database with extra configuration (disposed afterwards)."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                                  "SECRET_KEY": "test-secret", "RATELIMIT_STORAGE_URI": "memory://", **overrides})
        made.append(application)
        return application

    yield factory
    for application in made:
        with application.app_context():
            db.engine.dispose()


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def reference(app: Flask) -> None:
    """Load the reference units and regions."""
    from registry.seed import load_reference

    with app.app_context():
        load_reference()
        db.session.commit()


@dataclass(frozen=True)
class UserRef:
    """What a test needs to know of a user it created (ORM objects do not outlive their context)."""

    id: int
    email: str
    name: str
    totp_secret: str | None


@pytest.fixture
def make_user(app: Flask) -> Any:
    """Factory: a user with roles (admin/coordinator get TOTP enrolled), password PASSWORD."""
    counter = iter(range(1, 10_000))

    def factory(*roles: str, email: str | None = None, unit: str | None = None, active: bool = True,
                totp: bool | None = None, name: str | None = None) -> UserRef:
        n = next(counter)
        with app.app_context():
            user = User(email=email or f"user{n}@rise.example", name=name or f"Test User {n}",
                        password_hash=_password_hash(), active=active,
                        home_unit=unit_by_code(unit) if unit else None)
            if totp or (totp is None and MFA_ROLES & set(roles)):
                user.totp_secret, user.totp_enabled_at = TOTP_SECRET, utcnow()
            db.session.add(user)
            set_roles(user, roles or ("staff",))
            db.session.commit()
            return UserRef(user.id, user.email, user.name, user.totp_secret)

    return factory


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, user: UserRef, password: str = PASSWORD) -> Any:
    """Sign in through the real form (and the TOTP step when the user has one)."""
    response = client.post("/login", data={"email": user.email, "password": password,
                                           "csrf_token": csrf_token(client)})
    if response.status_code == 302 and "/login/verify" in response.headers["Location"]:
        code = pyotp.TOTP(user.totp_secret).now()
        response = client.post(response.headers["Location"],
                               data={"code": code, "csrf_token": csrf_token(client)})
        with client.application.app_context():
            # Allow the same code again in a later sign-in of the same test.
            db.session.get(User, user.id).totp_last_step = None
            db.session.commit()
    return response


@pytest.fixture
def client_as(app: Flask, make_user: Any) -> Any:
    """Factory: a test client signed in as a new user with the given roles."""

    def factory(*roles: str, **kwargs: Any) -> FlaskClient:
        user = make_user(*roles, **kwargs)
        client = app.test_client()
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        client.user = user  # type: ignore[attr-defined]
        return client

    return factory


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form with the session's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


@pytest.fixture
def count_queries(app: Flask) -> Any:
    """Context manager factory counting the SQL statements executed inside it."""

    @contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", _record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", _record)

    return counter
