"""The `registry export` commands: the public directory as open data."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from . import exports


@click.group("export", cls=AppGroup)
def export_cli() -> None:
    """Export data from the registry."""


@export_cli.command("open-data")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def open_data(path: Path, force: bool) -> None:
    """Write the public directory (public, active contacts) to PATH as SQLite with full-text search.

    The file is ready for Datasette: `datasette PATH` serves it, and ?_search= uses the FTS5 index.
    """
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it.")
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    count = exports.write_open_data(path, force=force)
    click.echo(f"Wrote {count} public contacts to {path}.")
