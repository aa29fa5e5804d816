"""The `registry` console script: Flask's CLI for this application plus init-db, seed, users, tokens."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from flask_migrate import upgrade

from .config import ROLES
from .core import audit
from .core.database import write_intent
from .core.mail import mail_cli
from .extensions import db


def _create() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create)
def main() -> None:
    """Rise stakeholder-cooperation registry."""


def register_commands(app: Flask) -> None:
    """Attach the application's own commands."""
    app.cli.add_command(init_db)
    app.cli.add_command(seed)
    app.cli.add_command(users)
    app.cli.add_command(tokens)
    app.cli.add_command(mail_cli)
    from .core.daily import jobs_cli

    app.cli.add_command(jobs_cli)
    from .directory.search import search_cli

    app.cli.add_command(search_cli)
    from .directory.commands import export_cli

    app.cli.add_command(export_cli)
    from .access.commands import eligibility_cli

    app.cli.add_command(eligibility_cli)
    from .core.backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Apply all database migrations (safe to run again)."""
    upgrade()
    click.echo("Database is up to date.")


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also add the deterministic demo data set.")
@click.option("--scale", type=click.IntRange(min=0, max=10_000_000), default=0, metavar="N",
              help="With --demo: generate N partners and proportional contacts, N/2 agreements "
                   "and N/100 networks with their meeting series (for benchmarks).")
def seed(demo: bool, scale: int) -> None:
    """Load reference data (idempotent); --demo adds demo data and prints demo sign-ins."""
    from .access.demo import load_access_demo
    from .agreements.demo import load_agreements_demo
    from .agreements.reference import load_national_reference
    from .agreements.scale import generate_agreements
    from .applications.demo import load_applications_demo
    from .directory.demo import generate_partners
    from .meetings.demo import load_meetings_demo
    from .meetings.scale import generate_meetings
    from .seed import load_demo, load_reference

    if scale and not demo:
        raise click.UsageError("--scale needs --demo.")

    audit.set_cli_actor("seed")
    with write_intent():
        counts = {**load_reference(), **load_national_reference()}
        db.session.commit()
        click.echo("Reference data: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if demo:
            summary: dict[str, int] = {}
            logins = load_demo(summary)
            db.session.commit()
            click.echo("Demo directory: " + ", ".join(f"{k} added {v}" for k, v in summary.items()))
            people = load_access_demo()
            db.session.commit()
            click.echo("Demo people with access to units: " + ", ".join(f"{k} added {v}" for k, v in people.items()))
            agreements_added = load_agreements_demo()
            db.session.commit()
            click.echo("Demo agreements: " + ", ".join(f"{k} added {v}" for k, v in agreements_added.items()))
            meetings_added = load_meetings_demo()
            db.session.commit()
            click.echo("Demo networks and meetings: " + ", ".join(f"{k} added {v}"
                                                                 for k, v in meetings_added.items()))
            partnerships = load_applications_demo()
            db.session.commit()
            click.echo("Demo project partnerships: " + ", ".join(f"{k} added {v}" for k, v in partnerships.items()))
            if scale:
                shown = [0]

                def progress(done: int, total: int) -> None:
                    if done == total or done - shown[0] >= total // 10:
                        shown[0] = done
                        click.echo(f"  generated {done}/{total} partners", err=True)

                generated = generate_partners(scale, progress=progress)
                click.echo(f"Generated (--scale {scale}): " + ", ".join(f"{k} added {v}"
                                                                        for k, v in generated.items()))
                shown[0] = 0

                def agreement_progress(done: int, total: int) -> None:
                    if done == total or done - shown[0] >= total // 10:
                        shown[0] = done
                        click.echo(f"  generated {done}/{total} agreements", err=True)

                made = generate_agreements(scale // 2, progress=agreement_progress)
                click.echo(f"Generated agreements (--scale {scale}: {scale // 2}): "
                           + ", ".join(f"{k} added {v}" for k, v in made.items()))
                networks = generate_meetings(scale // 100)
                click.echo(f"Generated networks (--scale {scale}: {scale // 100}): "
                           + ", ".join(f"{k} added {v}" for k, v in networks.items()))
            click.echo("\nDemo sign-ins (fictional users):")
            for login in logins:
                extra = f"  TOTP secret: {login['totp']}" if login.get("totp") else ""
                click.echo(f"  {login['role']:<14} {login['email']:<32} {login['password']}{extra}")


@click.group(cls=AppGroup)
def users() -> None:
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Display name (defaults to the e-mail's local part).")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--unit", default=None, help="Home unit code.")
def users_create(email: str, name: str | None, roles: tuple[str, ...], unit: str | None) -> None:
    """Create a user; the password is read from stdin (a second line, if present, must match)."""
    from .auth.forms import PASSWORD_MESSAGES
    from .auth.rules import password_problems
    from .core.services import ServiceError, create_user, unit_by_code

    lines = sys.stdin.read().splitlines()
    password = lines[0] if lines else ""
    if len(lines) > 1 and lines[1] != password:
        raise click.ClickException("The passwords do not match.")
    problems = password_problems(password, email=email)
    if problems:
        raise click.ClickException(" ".join(str(PASSWORD_MESSAGES[p]) for p in problems))
    audit.set_cli_actor("cli")
    with write_intent():
        home = None
        if unit:
            home = unit_by_code(unit)
            if home is None:
                raise click.ClickException(f"No unit with code {unit!r}.")
        try:
            user = create_user(email=email, name=name or email.split("@")[0], password=password,
                               roles=roles, home_unit=home)
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        db.session.commit()
    click.echo(f"Created user {user.email} with roles {', '.join(sorted(user.roles))}.")


@click.group(cls=AppGroup)
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.option("--email", required=True)
@click.option("--name", default="CLI", help="A name that says what the token is for.")
def tokens_create(email: str, name: str) -> None:
    """Create an API token for a user; the token is printed alone on the last line."""
    from .auth.services import create_api_token
    from .core.services import user_by_email

    audit.set_cli_actor("cli")
    with write_intent():
        user = user_by_email(email)
        if user is None:
            raise click.ClickException(f"No user with e-mail {email!r}.")
        _token, plain = create_api_token(user, name)
        db.session.commit()
    click.echo(f"API token for {user.email} (shown once, store it safely):")
    click.echo(plain)
