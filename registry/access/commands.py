"""The `registry eligibility` commands: run the waiting-period engine on a JSON file."""

from __future__ import annotations

import json
from typing import IO, NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from . import rules
from .params import current_parameters, seed_parameters

EXIT_INVALID = 2  # the input cannot be assessed (as click's own usage errors)


@click.group("eligibility", cls=AppGroup)
def eligibility_cli() -> None:
    """The crime-free waiting-period rule (policy §10.3, §16)."""


def _invalid(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(EXIT_INVALID)


def _parameters(facts: rules.Facts) -> rules.PolicyParameters:
    try:
        return current_parameters(facts.as_of)
    except SQLAlchemyError:
        # The rule itself needs no database; without one the shipped parameters are the ones in force.
        db.session.rollback()
        click.echo("Warning: the database could not be read; using seed/policy_parameters.csv.", err=True)
        return rules.parameters_on(seed_parameters(), facts.as_of)


@eligibility_cli.command("check")
@click.argument("source", metavar="FILE", type=click.File("rb"))
def check(source: IO[bytes]) -> None:
    """Assess the engine input JSON in FILE (- for stdin) and print the result JSON.

    Exit status 0 when assessed, 2 when the input is invalid (the message names the field).
    """
    try:
        data = json.loads(source.read())
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        _invalid(f"The input is not valid JSON: {error}")
    try:
        facts = rules.parse(data)
    except rules.InputError as error:
        _invalid(error.message)
    result = rules.assess(facts, _parameters(facts))
    click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
