"""Backup and restore: one tar archive holding the database, the uploaded documents and a manifest.

SQLite is copied with its online backup API, so a backup is a consistent snapshot even while the application
is writing. PostgreSQL is dumped with `pg_dump --format=custom` and restored with `pg_restore` in one
transaction. The manifest records the format, the database kind, the schema revision and a row count per
table; a restore refuses an archive for another database kind or a newer schema than this code knows.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, make_url

from ..extensions import db
from .documents import SHA256, document_folder
from .models import utcnow

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
DOCUMENTS = "documents"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


# --- a canonical form of the data, to compare two databases ----------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def canonical_dump(conn: Connection | None = None) -> dict[str, list[list[Any]]]:
    """Every row of every table, ordered by primary key, as JSON-ready lists (the schema revision included)."""
    conn = conn or db.session.connection()
    dump: dict[str, list[list[Any]]] = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = conn.execute(select(*table.columns).order_by(*order))
        dump[table.name] = [[_plain(v) for v in row] for row in rows]
    dump["alembic_version"] = [[current_revision(conn)]]
    return dump


def current_revision(conn: Connection) -> str | None:
    """The migration revision the database is at."""
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from .. import MIGRATIONS

    config = current_app.extensions["migrate"].migrate.get_config(MIGRATIONS)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


# --- backup --------------------------------------------------------------------------------------


def _sqlite_file() -> Path:
    database = make_url(str(db.engine.url)).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _pg_url() -> str:
    """The database URL in the form libpq's tools take (no SQLAlchemy driver suffix)."""
    return make_url(str(db.engine.url)).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_env() -> dict[str, str]:
    return {**os.environ, "PGCONNECT_TIMEOUT": "10"}


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=_pg_env(), check=False)
    if result.returncode:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def _document_files() -> Iterator[Path]:
    folder = document_folder()
    if folder.is_dir():
        for path in sorted(folder.glob("*/*")):
            if path.is_file() and SHA256.match(path.name):
                yield path


def create_backup(target: Path) -> dict[str, Any]:
    """Write the archive to `target` (atomically: a partial archive never has the final name)."""
    dialect = db.engine.dialect.name
    with db.engine.connect() as conn:
        counts = {table.name: conn.execute(select(db.func.count()).select_from(table)).scalar_one()
                  for table in db.metadata.sorted_tables}
        revision = current_revision(conn)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        if dialect == "sqlite":
            database = Path(work) / SQLITE_FILE
            source = sqlite3.connect(_sqlite_file())
            copy = sqlite3.connect(database)
            try:
                source.backup(copy)  # the online backup API: a consistent snapshot while others write
            finally:
                copy.close()
                source.close()
        elif dialect == "postgresql":
            database = Path(work) / PG_FILE
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={database}", _pg_url()])
        else:
            raise BackupError(f"Backups of {dialect} databases are not supported.")
        documents = list(_document_files())
        manifest = {"format": FORMAT, "dialect": dialect, "revision": revision, "created_at": utcnow().isoformat(),
                    "tables": counts, "documents": len(documents)}
        partial = Path(work) / "archive.tar"
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(utcnow().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(database, arcname=database.name)
            for path in documents:
                archive.add(path, arcname=f"{DOCUMENTS}/{path.parent.name}/{path.name}")
        os.replace(partial, target)
    return manifest


# --- restore -------------------------------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    """The archive's manifest, checked for a format and database kind this code can restore."""
    try:
        member = archive.extractfile(MANIFEST)
        manifest = json.loads(member.read()) if member else None
    except (KeyError, ValueError) as error:
        raise BackupError("This is not a registry backup: it has no readable manifest.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This backup was made in a format this version cannot read.")
    return manifest


def restore_backup(source: Path) -> dict[str, Any]:
    """Replace this instance's database and documents with the archive's; then migrate to the current schema."""
    from flask_migrate import upgrade

    dialect = db.engine.dialect.name
    try:
        archive = tarfile.open(Path(source), "r")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"Cannot read the backup: {error}") from error
    with archive, tempfile.TemporaryDirectory() as work:
        manifest = read_manifest(archive)
        if manifest.get("dialect") != dialect:
            raise BackupError(f"The backup is of a {manifest.get('dialect')} database; this instance uses {dialect}.")
        name = SQLITE_FILE if dialect == "sqlite" else PG_FILE
        _extract(archive, name, Path(work) / name)
        db.session.remove()
        db.engine.dispose()
        if dialect == "sqlite":
            source_db = sqlite3.connect(Path(work) / name)
            target_db = sqlite3.connect(_sqlite_file())
            try:
                source_db.backup(target_db)  # replaces every page of the target in one step
            finally:
                target_db.close()
                source_db.close()
        else:
            with db.engine.begin() as conn:  # pg_restore --clean cannot drop what the dump does not know
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            db.engine.dispose()
            _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                  f"--dbname={_pg_url()}", str(Path(work) / name)])
        folder = document_folder()
        for member in archive.getmembers():
            if member.name.startswith(f"{DOCUMENTS}/"):
                parts = member.name.split("/")
                if len(parts) != 3 or not member.isfile() or not SHA256.match(parts[2]) or parts[1] != parts[2][:2]:
                    raise BackupError(f"Unexpected file in the backup: {member.name}")
                _extract(archive, member.name, folder / parts[1] / parts[2])
    with db.engine.connect() as conn:
        revision = current_revision(conn)
    if revision != _head_revision():
        upgrade()
    return manifest


def _extract(archive: tarfile.TarFile, name: str, target: Path) -> None:
    try:
        member = archive.extractfile(name)
    except KeyError as error:
        raise BackupError(f"The backup has no {name}.") from error
    if member is None:
        raise BackupError(f"The backup has no {name}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Readable by the service user only, as stored documents are (core.documents writes them with mkstemp).
    with member, os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        shutil.copyfileobj(member, out)


# --- commands ------------------------------------------------------------------------------------


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a backup archive (database, documents, manifest) to PATH; safe while the application runs."""
    try:
        manifest = create_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(manifest["tables"].values())
    click.echo(f"Backup written to {path}: {rows} rows in {len(manifest['tables'])} tables, "
               f"{manifest['documents']} documents, schema {manifest['revision']}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace this instance's database and documents with the backup at PATH (stop the application first)."""
    if not yes:
        click.confirm("This replaces all data of this instance. Continue?", abort=True)
    try:
        manifest = restore_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored the backup of {manifest['created_at']} (schema {manifest['revision']}, "
               f"{manifest['documents']} documents).")

