"""TOTP enrolment and verification, recovery codes, password policy, API tokens."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from registry.auth.rules import password_problems
from registry.core.models import ApiToken, User
from registry.extensions import db
from tests.conftest import PASSWORD, TOTP_SECRET, csrf_token, login, post


def test_admin_without_totp_must_enrol_before_anything_else(app, make_user):
    admin = make_user("admin", totp=False)
    client = app.test_client()
    assert login(client, admin).status_code == 302
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/totp")
    page = client.get("/profile/totp").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = post(client, "/profile/totp", {"code": "000000"})
    assert "ei täsmää" in wrong.get_data(as_text=True)
    done = post(client, "/profile/totp", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/admin/users").status_code == 200


def _start(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": csrf_token(client)})


def test_totp_code_is_required_and_cannot_be_replayed(app, make_user):
    user = make_user("coordinator")
    client = app.test_client()
    assert _start(client, user).headers["Location"].startswith("/login/verify")
    assert client.get("/").status_code == 302  # not signed in yet
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert post(client, "/login/verify", {"code": code}).status_code == 302
    assert client.get("/").status_code == 200
    again = app.test_client()
    _start(again, user)
    assert post(again, "/login/verify", {"code": code}).status_code == 200  # same code refused
    assert again.get("/").status_code == 302


def test_recovery_code_works_once(app, make_user):
    user = make_user("staff", totp=True)
    with app.app_context():
        from registry.auth.services import regenerate_recovery_codes

        codes = regenerate_recovery_codes(db.session.get(User, user.id))
        db.session.commit()
    client = app.test_client()
    _start(client, user)
    assert post(client, "/login/verify", {"code": codes[0].upper()}).status_code == 302
    other = app.test_client()
    _start(other, user)
    assert post(other, "/login/verify", {"code": codes[0]}).status_code == 200


def test_staff_may_turn_totp_off_but_admin_may_not(app, make_user):
    staff = make_user("staff", totp=True)
    admin = make_user("admin")
    client = app.test_client()
    login(client, staff)
    post(client, "/profile/totp/disable")
    with app.app_context():
        assert db.session.get(User, staff.id).totp_enabled_at is None
    boss = app.test_client()
    login(boss, admin)
    post(boss, "/profile/totp/disable")
    with app.app_context():
        assert db.session.get(User, admin.id).totp_enabled_at is not None


@pytest.mark.parametrize("password,problems", [
    ("short", ["too_short"]),
    ("password1234", ["common"]),
    ("aaaaaaaaaaaaaaaa", ["common"]),
    ("maija.meikalainen-2026", ["like_email"]),
    ("kolme sanaa ja numero 7", []),
    ("x" * 100 + "yz" * 14, []),
    ("z" * 300, ["too_long", "common"]),
])
def test_password_policy(password, problems):
    assert password_problems(password, email="maija.meikalainen@rise.example") == problems


def test_password_policy_has_no_composition_rules_and_accepts_128_characters():
    assert password_problems("all lower case words here") == []
    long_one = ("pitkä salasana äöå " * 10)[:128]
    assert len(long_one) == 128 and password_problems(long_one) == []


def test_api_token_created_once_used_as_bearer_and_revoked(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    page = post(client, "/profile/tokens", {"name": "Integraatio"}).get_data(as_text=True)
    plain = re.search(r'value="(rr_[^"]+)"', page).group(1)
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != plain and plain not in stored.token_hash
        token_id = stored.id
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 200 and me.json["email"] == user.email
    assert plain not in client.get("/profile").get_data(as_text=True)  # never shown again
    post(client, f"/profile/tokens/{token_id}/revoke")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(app, make_user):
    owner, other = make_user("staff"), make_user("staff")
    with app.app_context():
        from registry.auth.services import create_api_token

        token, _plain = create_api_token(db.session.get(User, owner.id), "x")
        db.session.commit()
        token_id = token.id
    client = app.test_client()
    login(client, other)
    assert post(client, f"/profile/tokens/{token_id}/revoke").status_code == 404


def test_bearer_token_of_disabled_user_is_refused(app, make_user):
    user = make_user("staff")
    with app.app_context():
        from registry.auth.services import create_api_token

        _token, plain = create_api_token(db.session.get(User, user.id), "x")
        db.session.get(User, user.id).active = False
        db.session.commit()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401 and response.json["error"]
