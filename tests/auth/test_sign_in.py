"""Sign-in, throttling, server-side session ending, timeouts, safe redirects, cookie flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from registry.core.models import AuditEvent, User, UserSession, utcnow
from registry.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, post


def _attempt(client, email, password="wrong password here"):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


def test_wrong_password_is_refused_with_a_message_and_logged(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    response = _attempt(client, user.email)
    assert response.status_code == 200
    assert "Sähköpostiosoite tai salasana on väärä" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")) is not None


def test_unknown_and_disabled_accounts_are_refused(app, make_user):
    disabled = make_user("staff", active=False)
    client = app.test_client()
    assert _attempt(client, "nobody@rise.example", PASSWORD).status_code == 200
    assert _attempt(client, disabled.email, PASSWORD).status_code == 200
    assert client.get("/").status_code == 302


def test_login_is_throttled_per_account(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    for _ in range(5):
        assert _attempt(client, user.email).status_code == 200
    blocked = _attempt(client, user.email, PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "Liian monta yritystä" in blocked.get_data(as_text=True)
    # another account from the same address is not blocked by this account's limit
    other = make_user("staff")
    assert login(client, other).status_code == 302


def test_login_is_throttled_per_address(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    client = app.test_client()
    for n in range(3):
        assert _attempt(client, f"someone{n}@rise.example").status_code == 200
    response = client.post("/login", data={"email": "x@rise.example", "password": "y",
                                           "csrf_token": csrf_token(client)}, headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_successful_sign_ins_do_not_count_towards_the_limit(app, make_user):
    user = make_user("staff")
    for _ in range(7):
        client = app.test_client()
        assert login(client, user).status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/profile", "/profile"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_only_redirects_inside_the_application(app, make_user, target, expected):
    user = make_user("staff")
    client = app.test_client()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == expected


def test_old_cookie_is_refused_after_logout(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    cookie = client.get_cookie("registry_session").value
    post(client, "/logout")
    replay = app.test_client()
    replay.set_cookie("registry_session", cookie)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_a_user_ends_their_open_session(app, make_user):
    user = make_user("staff")
    admin = make_user("admin")
    victim, boss = app.test_client(), app.test_client()
    login(victim, user)
    login(boss, admin)
    assert victim.get("/").status_code == 200
    assert post(boss, f"/admin/users/{user.id}/active", {"active": "0"}).status_code == 302
    assert victim.get("/").status_code == 302
    assert login(app.test_client(), user).status_code == 200  # and cannot sign in again


def test_admin_can_end_a_users_sessions(app, make_user):
    user = make_user("staff")
    admin = make_user("admin")
    victim, boss = app.test_client(), app.test_client()
    login(victim, user)
    login(boss, admin)
    post(boss, f"/admin/users/{user.id}/sessions")
    assert victim.get("/").status_code == 302
    assert login(app.test_client(), user).status_code == 302  # the account itself still works


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make_user):
    user = make_user("staff")
    first, second = app.test_client(), app.test_client()
    login(first, user)
    login(second, user)
    new = "a brand new passphrase for rise"
    response = post(first, "/profile/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302
    assert login(app.test_client(), user, new).status_code == 302


def test_wrong_current_password_keeps_the_old_one(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    new = "a brand new passphrase for rise"
    response = post(client, "/profile/password", {"current": "not it at all", "new": new, "confirm": new})
    assert response.status_code == 400
    assert "Nykyinen salasana on väärä" in response.get_data(as_text=True)
    assert login(app.test_client(), user).status_code == 302


@pytest.mark.parametrize("column,age", [("last_seen_at", timedelta(minutes=31)),
                                        ("created_at", timedelta(hours=13))])
def test_idle_and_absolute_session_timeouts(app, make_user, column, age):
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.execute(update(UserSession).values({column: utcnow() - age}))
        db.session.commit()
    assert client.get("/").status_code == 302


def test_activity_keeps_the_session_alive(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=20)))
        db.session.commit()
    assert client.get("/").status_code == 200
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))
        assert utcnow() - seen < timedelta(minutes=1)


def test_session_cookie_flags(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    response = secure.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"email": user.email, "password": PASSWORD,
                                 "csrf_token": csrf_token(secure)})
    assert "Secure" in response.headers["Set-Cookie"]


def test_user_must_change_a_reset_password_before_anything_else(app, make_user):
    user = make_user("staff")
    with app.app_context():
        db.session.get(User, user.id).must_change_password = True
        db.session.commit()
    client = app.test_client()
    login(client, user)
    response = client.get("/")
    assert response.status_code == 302 and "/profile" in response.headers["Location"]
    new = "another long passphrase here"
    post(client, "/profile/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert client.get("/").status_code == 200
