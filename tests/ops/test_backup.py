"""`registry backup` and `registry restore`: a fresh instance restored from a backup holds identical data."""

from __future__ import annotations

import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from registry.agreements.demo import load_agreements_demo
from registry.core.backup import canonical_dump
from registry.directory.demo import load_directory_demo
from registry.extensions import db


@pytest.fixture
def second_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database, for the fresh instance."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = make_url(database_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS registry_restore_test WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE registry_restore_test"))
    yield url.set(database="registry_restore_test").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS registry_restore_test WITH (FORCE)"))
    admin.dispose()


def _documents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob("*/*")}


def test_a_restored_fresh_instance_is_identical(app: Flask, reference: None, app_factory: Any, tmp_path: Path,
                                                second_database: str) -> None:
    app.config["DOCUMENT_FOLDER"] = str(tmp_path / "documents")
    with app.app_context():
        load_directory_demo()
        load_agreements_demo()  # with signed PDFs in the document folder
        db.session.commit()
        before = canonical_dump()
    archive = tmp_path / "backups" / "registry.tar"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and any(n.startswith("documents/") for n in names)

    fresh = app_factory(SQLALCHEMY_DATABASE_URI=second_database, DOCUMENT_FOLDER=str(tmp_path / "fresh-documents"))
    restored = fresh.test_cli_runner().invoke(args=["restore", "--yes", str(archive)])
    assert restored.exit_code == 0, restored.output
    with fresh.app_context():
        after = canonical_dump()
        db.session.remove()
    assert after == before
    assert sum(len(rows) for rows in after.values()) > 500
    assert _documents(tmp_path / "fresh-documents") == _documents(tmp_path / "documents")
    assert _documents(tmp_path / "documents")
    restored_files = [p for p in (tmp_path / "fresh-documents").rglob("*") if p.is_file()]
    assert restored_files and all(p.stat().st_mode & 0o077 == 0 for p in restored_files)  # the service user's only


def test_restore_refuses_what_is_not_a_backup(app: Flask, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(b"not a tar archive at all")
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0 and "Cannot read the backup" in result.output
    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w"):
        pass
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(empty)])
    assert result.exit_code != 0 and "no readable manifest" in result.output


def test_a_backup_taken_during_writes_is_a_consistent_snapshot(app: Flask, reference: None, app_factory: Any,
                                                               database_url: str, second_database: str,
                                                               tmp_path: Path) -> None:
    engine = create_engine(database_url)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO keyword (name) VALUES (:name)"), {"name": f"avainsana {n}"})
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 50:
            threading.Event().wait(0.01)
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "hot.tar")])
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert result.exit_code == 0, result.output
    fresh = app_factory(SQLALCHEMY_DATABASE_URI=second_database, DOCUMENT_FOLDER=str(tmp_path / "fresh-documents"))
    restored = fresh.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "hot.tar")])
    assert restored.exit_code == 0, restored.output
    with fresh.app_context():
        names = list(db.session.scalars(text("SELECT name FROM keyword ORDER BY id")))
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        db.session.remove()
    # A snapshot: the first k writes, for some k, and nothing torn.
    assert len(names) >= 50
    assert names == [f"avainsana {n}" for n in range(1, len(names) + 1)]
