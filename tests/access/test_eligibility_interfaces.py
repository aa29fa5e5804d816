"""`registry eligibility check` and POST /api/v1/eligibility/assess: the same JSON in and out."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from registry.access.models import PolicyParameterSet
from registry.access.params import current_parameters
from registry.auth.services import create_api_token
from registry.core.models import User
from registry.extensions import db
from tests.access.test_rules import case, prison
from tests.conftest import csrf_token

URL = "/api/v1/eligibility/assess"
# Released 2021-06-01: + 3 years = 2024-06-01; assessed the day before, so the period is still running.
WAITING = case(as_of="2024-05-31", sentences=[prison("2019-03-01", "2021-06-01", enforcement="2020-01-15")])
EXPECTED = {"decision": "not_eligible", "waiting_rule_applies": True, "waiting_period_years": 3,
            "period_start": "2021-06-01", "eligible_from": "2024-06-01", "supervision_required": True,
            "requirements": [{"code": c, "met": True} for c in ("security_clearance", "training_verified",
                                                               "confidentiality_undertaking", "inducted")],
            "reasons": ["waiting_period_running"]}


@pytest.fixture
def token_of(app, make_user):
    """Factory: Authorization headers with a fresh API token of a new user with the given roles."""

    def factory(*roles: str) -> dict[str, str]:
        user = make_user(*roles)
        with app.app_context():
            _token, plain = create_api_token(db.session.get(User, user.id), "test")
            db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return factory


def check(app, *args: str, stdin: str | bytes | None = None):
    return app.test_cli_runner().invoke(args=["eligibility", "check", *args], input=stdin)


# --- the command ----------------------------------------------------------------------------------------


def test_check_reads_a_file_and_prints_the_result(app, tmp_path: Path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps(WAITING), encoding="utf-8")
    result = check(app, str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == EXPECTED
    assert result.stdout.startswith("{\n  \"decision\"")  # indented for reading


def test_check_reads_stdin(app):
    result = check(app, "-", stdin=json.dumps(case(as_of="2024-06-01", sentences=WAITING["sentences"])))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decision"] == "eligible"


@pytest.mark.parametrize("stdin,needle", [
    (json.dumps({**WAITING, "as_of": "2024-02-30"}), "as_of"),
    (json.dumps({**WAITING, "sentences": [prison("2019-03-01", "2018-01-01")]}), "sentences[0].left_prison"),
    (json.dumps({k: v for k, v in WAITING.items() if k != "role"}), "role"),
    (json.dumps({**WAITING, "setting": "garden"}), "setting"),
    ("{\"as_of\": ", "not valid JSON"),
    ("", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not valid JSON"),
    ("[" * 100_000, "not valid JSON"),
    ("[]", "JSON object"),
])
def test_check_refuses_bad_input_with_exit_2_and_no_traceback(app, stdin, needle):
    result = check(app, "-", stdin=stdin)
    assert result.exit_code == 2
    assert needle in result.stderr and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output and result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_check_of_a_missing_file_is_a_usage_error(app, tmp_path: Path):
    result = check(app, str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "nope.json" in result.stderr


# --- the API --------------------------------------------------------------------------------------------


def test_api_answers_a_coordinator_with_the_same_json_as_the_command(app, token_of):
    response = app.test_client().post(URL, json=WAITING, headers=token_of("coordinator"))
    assert response.status_code == 200
    assert response.json == EXPECTED == json.loads(check(app, "-", stdin=json.dumps(WAITING)).stdout)


def test_api_with_a_session_needs_the_csrf_header(app, client_as):
    client = client_as("coordinator")
    assert client.post(URL, json=WAITING).status_code == 400  # no X-CSRFToken: refused
    response = client.post(URL, json=WAITING, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200 and response.json == EXPECTED


@pytest.mark.parametrize("roles", [("staff",), ("director",), ("admin",), ("director", "admin")])
def test_api_is_for_coordinators_only(app, token_of, roles):
    assert app.test_client().post(URL, json=WAITING, headers=token_of(*roles)).status_code == 403


def test_api_needs_sign_in(app):
    response = app.test_client().post(URL, json=WAITING, headers={"Authorization": "Bearer rr_wrong"})
    assert response.status_code == 401 and response.json["error"] == "unauthorized"
    assert app.test_client().post(URL, json=WAITING).status_code == 400  # no token, no session: CSRF first


@pytest.mark.parametrize("body,field", [
    ({**WAITING, "as_of": "2024-13-01"}, "as_of"),
    ({**WAITING, "sentences": [{**prison("2019-03-01", "2021-06-01"), "supervision_end": "2021-01-01"}]},
     "sentences[0].supervision_end"),
    ({**WAITING, "inducted": "yes"}, "inducted"),
    ({**WAITING, "extra": 1}, "extra"),
    ([WAITING], None),
])
def test_api_refuses_invalid_input_naming_the_field(app, token_of, body, field):
    response = app.test_client().post(URL, json=body, headers=token_of("coordinator"))
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and response.json["field"] == field
    assert response.json["message"]


@pytest.mark.parametrize("data,content_type", [
    (json.dumps(WAITING), "text/plain"),
    ("as_of=2024-01-01", "application/x-www-form-urlencoded"),
    ("{\"as_of\": ", "application/json"),
    ("", "application/json"),
    ("[" * 100_000, "application/json"),
])
def test_api_needs_a_json_body(app, token_of, data, content_type):
    response = app.test_client().post(URL, data=data, content_type=content_type, headers=token_of("coordinator"))
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    assert response.json["field"] is None


def test_api_is_documented(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    operation = doc["paths"]["/eligibility/assess"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}
    schemas = doc["components"]["schemas"]
    assert set(schemas["EligibilityInput"]["properties"]) == set(WAITING)
    assert set(schemas["EligibilityResult"]["properties"]) == set(EXPECTED)


# --- where the parameters come from ---------------------------------------------------------------------


def test_parameters_come_from_the_seed_file_until_the_table_has_rows(app, token_of):
    headers = token_of("coordinator")
    with app.app_context():
        assert current_parameters(date(2024, 5, 31)).version == "2021-1"
        db.session.add(PolicyParameterSet(version="2024-1", effective_from=date(2024, 1, 1), waiting_years=4,
                                          paired_waiting_years=2, retention_years=3, source="test"))
        db.session.commit()
        assert current_parameters(date(2024, 5, 31)).version == "2024-1"
        assert current_parameters(date(2023, 12, 31)).version == "2024-1"  # before every row: the earliest
    # 2021-06-01 + 4 years = 2025-06-01, in the command and the API alike.
    response = app.test_client().post(URL, json=WAITING, headers=headers)
    assert response.json["eligible_from"] == "2025-06-01" and response.json["waiting_period_years"] == 4
    assert json.loads(check(app, "-", stdin=json.dumps(WAITING)).stdout) == response.json


def test_check_works_without_a_migrated_or_reachable_database(app_factory, tmp_path: Path):
    empty = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    result = check(empty, "-", stdin=json.dumps(WAITING))
    assert result.exit_code == 0 and json.loads(result.stdout) == EXPECTED and result.stderr == ""
    gone = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    result = check(gone, "-", stdin=json.dumps(WAITING))
    assert result.exit_code == 0 and json.loads(result.stdout) == EXPECTED
    assert "seed/policy_parameters.csv" in result.stderr
