"""The `registry` console script: init-db, seed, users create, tokens create."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from registry.core.models import ApiToken, Region, Unit, User
from registry.extensions import db

BIN = Path(sys.executable).parent / "registry"


def test_console_script_on_a_fresh_instance(tmp_path):
    env = {**os.environ, "REGISTRY_INSTANCE_PATH": str(tmp_path / "inst")}
    env.pop("REGISTRY_DATABASE_URL", None)
    for _ in range(2):  # both commands are idempotent
        init = subprocess.run([BIN, "init-db"], env=env, capture_output=True, text=True, check=True)
        assert "up to date" in init.stdout
        seed = subprocess.run([BIN, "seed", "--demo"], env=env, capture_output=True, text=True, check=True)
        assert "anna.admin@demo.rise.example" in seed.stdout and "TOTP secret" in seed.stdout
    assert (tmp_path / "inst" / "registry.db").exists() and (tmp_path / "inst" / "secret_key").exists()
    assert "units added 0" in seed.stdout  # second run added nothing


def test_users_create_reads_the_password_from_stdin(app, reference):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Uusi@Rise.example", "--role", "director",
                                 "--role", "staff", "--unit", "ESRSK"],
                           input="hyvä pitkä salasana\nhyvä pitkä salasana\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "uusi@rise.example"))
        assert user.roles == {"director", "staff"} and user.home_unit.code == "ESRSK"


def test_users_create_refuses_bad_input(app, reference):
    runner = app.test_cli_runner()
    mismatch = runner.invoke(args=["users", "create", "--email", "a@rise.example", "--role", "staff"],
                             input="hyvä pitkä salasana\ntoinen salasana\n")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    weak = runner.invoke(args=["users", "create", "--email", "a@rise.example", "--role", "staff"], input="short\n")
    assert weak.exit_code != 0
    unit = runner.invoke(args=["users", "create", "--email", "a@rise.example", "--role", "staff", "--unit", "NOPE"],
                         input="hyvä pitkä salasana\n")
    assert unit.exit_code != 0 and "NOPE" in unit.output
    role = runner.invoke(args=["users", "create", "--email", "a@rise.example", "--role", "king"],
                         input="hyvä pitkä salasana\n")
    assert role.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_tokens_create_prints_the_token_alone_on_the_last_line(app, make_user):
    user = make_user("staff")
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", user.email])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("rr_") and " " not in token
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["email"] == user.email
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 1
    missing = app.test_cli_runner().invoke(args=["tokens", "create", "--email", "nobody@rise.example"])
    assert missing.exit_code != 0


def test_seed_loads_reference_data_and_keeps_admin_edits(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Region.id))) == 22
        centres = db.session.scalars(select(Unit).where(Unit.kind == "sanction_centre")).all()
        assert len(centres) == 3
        assert all(r.sanction_centre is not None for r in db.session.scalars(select(Region)))
        kinds = set(db.session.scalars(select(Unit.kind)))
        assert {"responsibility_area", "prison", "community_sanctions_office", "project_office",
                "training_centre"} <= {k.value for k in kinds}
        db.session.scalar(select(Unit).where(Unit.code == "HELV")).name_fi = "Helsingin vankila (muokattu)"
        db.session.commit()
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Unit.name_fi).where(Unit.code == "HELV")) == "Helsingin vankila (muokattu)"
        assert db.session.scalar(select(func.count(Unit.id))) == 35
