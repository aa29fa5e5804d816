"""Schemathesis against the OpenAPI document: generated requests to every operation get no 5xx, and every
response matches the schema the document gives for it."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from registry.agreements.demo import load_agreements_demo
from registry.auth.services import create_api_token
from registry.core.models import User
from registry.directory.demo import load_directory_demo
from registry.extensions import db

ALL_ROLES = ("staff", "director", "working_group", "coordinator")


@pytest.fixture
def bearer(app: Flask, reference: None, make_user: Any) -> dict[str, str]:
    """Demo data, and the token of a user holding every role that reads through the API."""
    ref = make_user(*ALL_ROLES, unit="ESRSK")
    with app.app_context():
        load_directory_demo()
        load_agreements_demo()
        user = db.session.get(User, ref.id)
        assert user is not None
        _token, plain = create_api_token(user, "schemathesis")
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_every_api_operation_answers_within_its_schema(app: Flask, bearer: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_within_schema(case: Any) -> None:
            case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance,
                                                           content_type_conformance])

        answers_within_schema()
