"""Admin: users, units, regions, the audit log."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.core.models import AuditEvent, Region, Unit, User
from registry.extensions import db
from tests.conftest import PASSWORD, login, post

NEW_USER = {"email": "Uusi.Kayttaja@rise.example", "name": "Uusi Käyttäjä", "roles": ["director", "staff"],
            "home_unit": "0", "locale": "sv", "password": "pitkä ja hyvä salasana"}


def _admin(app, make_user):
    client = app.test_client()
    login(client, make_user("admin", name="Anna Admin"))
    return client


def _unit_id(app, code):
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


def test_admin_creates_a_user_who_must_change_the_password(app, make_user, reference):
    client = _admin(app, make_user)
    data = {**NEW_USER, "home_unit": str(_unit_id(app, "ESRSK"))}
    response = post(client, "/admin/users/new", data)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "uusi.kayttaja@rise.example"))
        assert user.roles == {"director", "staff"} and user.home_unit.code == "ESRSK"
        assert user.must_change_password and user.locale == "sv"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "user_account",
                                                           AuditEvent.object_id == str(user.id),
                                                           AuditEvent.action == "create"))
        assert event.actor_label == "user1@rise.example" and event.actor_id == 1
        assert event.after["password_hash"] == "[redacted]" and event.after["email"] == user.email


def test_bad_user_input_is_shown_next_to_the_field_and_kept(app, make_user, reference):
    client = _admin(app, make_user)
    response = post(client, "/admin/users/new", {**NEW_USER, "password": "short", "roles": []})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="error-summary"' in page and 'id="password-error"' in page and 'id="roles-error"' in page
    assert 'value="Uusi.Kayttaja@rise.example"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_duplicate_email_is_refused(app, make_user, reference):
    existing = make_user("staff")
    client = _admin(app, make_user)
    response = post(client, "/admin/users/new", {**NEW_USER, "email": existing.email.upper()})
    assert response.status_code == 400 and 'id="email-error"' in response.get_data(as_text=True)


def test_admin_edits_roles_and_the_change_is_audited(app, make_user, reference):
    user = make_user("staff")
    client = _admin(app, make_user)
    response = post(client, f"/admin/users/{user.id}", {"email": user.email, "name": "Uusi Nimi",
                                                        "roles": ["coordinator"], "home_unit": "0",
                                                        "locale": "fi"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).roles == {"coordinator"}
        actions = {(e.object_type, e.action) for e in db.session.scalars(select(AuditEvent))}
        assert ("user_role", "create") in actions and ("user_role", "delete") in actions
        rename = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update",
                                                            AuditEvent.object_id == str(user.id),
                                                            AuditEvent.object_type == "user_account"))
        assert rename.before == {"name": "Test User 1", "locale": None}
        assert rename.after == {"name": "Uusi Nimi", "locale": "fi"}


def test_reset_password_shows_a_temporary_one_once(app, make_user, reference):
    user = make_user("staff")
    client = _admin(app, make_user)
    page = post(client, f"/admin/users/{user.id}/password").get_data(as_text=True)
    import re

    temporary = re.search(r'<code class="secret">([0-9a-f-]+)</code>', page).group(1)
    assert login(app.test_client(), user, PASSWORD).status_code == 200  # the old one no longer works
    fresh = app.test_client()
    assert login(fresh, user, temporary).status_code == 302
    assert "/profile" in fresh.get("/").headers["Location"]


def test_users_list_filters_and_paginates_without_n_plus_one(app, make_user, reference, count_queries):
    for n in range(60):
        make_user("staff" if n % 2 else "director", name=f"Henkilö {n:02d}", unit="HELV")
    client = _admin(app, make_user)
    with count_queries() as queries:
        page = client.get("/admin/users").get_data(as_text=True)
    assert "Henkilö 00" in page and 'rel="next"' in page and "61 käyttäjää" in page
    assert page.count("/admin/users/") - page.count("/admin/users/new") == 50
    assert len(queries) <= 10, queries
    filtered = client.get("/admin/users", query_string={"role": "director", "q": "henkilö 0"}).get_data(as_text=True)
    assert "Henkilö 00" in filtered and "Henkilö 01" not in filtered


def test_admin_cannot_lock_themselves_out(app, make_user):
    client = app.test_client()
    admin = make_user("admin")
    login(client, admin)
    post(client, f"/admin/users/{admin.id}/active", {"active": "0"})
    with app.app_context():
        assert db.session.get(User, admin.id).active
    post(client, f"/admin/users/{admin.id}", {"email": admin.email, "name": "A", "roles": ["staff"],
                                              "home_unit": "0", "locale": "fi"})
    with app.app_context():
        assert "admin" in db.session.get(User, admin.id).roles


def test_units_create_edit_and_refuse_cycles(app, make_user, reference):
    client = _admin(app, make_user)
    esrsk = _unit_id(app, "ESRSK")
    data = {"code": "UUSIV", "kind": "prison", "parent": str(esrsk), "name_fi": "Uusi vankila",
            "name_sv": "Nya fängelset", "name_en": "New Prison", "mailbox": "", "valid_from": "2026-01-01",
            "valid_to": ""}
    assert post(client, "/admin/units/new", data).status_code == 302
    new_id = _unit_id(app, "UUSIV")
    # a centre cannot be placed under its own prison
    cycle = post(client, f"/admin/units/{esrsk}", {**data, "code": "ESRSK", "kind": "sanction_centre",
                                                   "parent": str(new_id)})
    assert cycle.status_code == 400 and 'id="parent-error"' in cycle.get_data(as_text=True)
    dup = post(client, "/admin/units/new", {**data, "name_fi": "Toinen"})
    assert dup.status_code == 400 and 'id="code-error"' in dup.get_data(as_text=True)
    bad_dates = post(client, f"/admin/units/{new_id}", {**data, "valid_to": "2025-01-01"})
    assert bad_dates.status_code == 400 and 'id="valid_to-error"' in bad_dates.get_data(as_text=True)
    not_a_date = post(client, f"/admin/units/{new_id}", {**data, "valid_from": "31.2.2026"})
    assert not_a_date.status_code == 400
    with app.app_context():
        unit = db.session.get(Unit, new_id)
        assert unit.parent.code == "ESRSK" and unit.valid_to is None and str(unit.valid_from) == "2026-01-01"


def test_region_sanction_centre_can_be_changed(app, make_user, reference):
    client = _admin(app, make_user)
    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.code == "KSU"))
        region_id = region.id
    iprsk = _unit_id(app, "IPRSK")
    response = post(client, f"/admin/regions/{region_id}", {"name_fi": "Keski-Suomen hyvinvointialue",
                                                            "name_sv": "Mellersta Finlands välfärdsområde",
                                                            "name_en": "Central Finland",
                                                            "sanction_centre": str(iprsk)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Region, region_id).sanction_centre.code == "IPRSK"
    listing = client.get("/admin/regions").get_data(as_text=True)
    assert "Keski-Suomen hyvinvointialue" in listing


def test_audit_log_filters(app, make_user, reference):
    client = _admin(app, make_user)
    make_user("staff", email="seurattava@rise.example")
    page = client.get("/admin/audit", query_string={"object_type": "unit", "action": "create"}).get_data(as_text=True)
    assert "Etelä-Suomen rikosseuraamuskeskus" in page and "seurattava@rise.example" not in page
    by_user = client.get("/admin/audit", query_string={"object_type": "user_account"}).get_data(as_text=True)
    assert "seurattava@rise.example" in by_user
    future = client.get("/admin/audit", query_string={"from": "2999-01-01"}).get_data(as_text=True)
    assert "Etelä-Suomen" not in future
    junk = client.get("/admin/audit", query_string={"from": "not-a-date", "page": "-3"})
    assert junk.status_code == 200


def test_non_numeric_ids_and_missing_objects_are_404(app, make_user):
    client = _admin(app, make_user)
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/abc").status_code == 404
    assert client.get("/admin/units/999999").status_code == 404
    assert client.get("/admin/units/99999999999999999999").status_code == 404
    assert client.get("/admin/regions/0").status_code == 404
