"""Contact pages: list with filters and the stale badge, the contact page, create/edit with phone, e-mail and
organisation checks, a director's scope, liaison roles (add, end, history) and the competence keyword index."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.core.models import Unit, utcnow
from registry.directory import services
from registry.directory.models import Contact, ContactKind, LiaisonRole, LiaisonSide, LiaisonSubject, Partner, Theme
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post

NEW = {"kind": "person", "partner": "0", "unit": "0", "name": "Uusi Henkilö", "title": "Suunnittelija",
       "email": "uusi@example.org", "phone": "", "mobile": "", "keywords": "", "notes": ""}


@pytest.fixture
def client_as(client_as):
    """Signed-in clients that use the English UI, so the assertions below do not depend on the catalogues."""

    def factory(*roles, **kwargs):
        client = client_as(*roles, **kwargs)
        post(client, "/language", {"lang": "en"})
        return client

    return factory


def _unit(app, code):
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


def _contact(app, cid):
    with app.app_context():
        contact = db.session.get(Contact, cid)
        data = {"name": contact.name, "phone": contact.phone, "mobile": contact.mobile, "email": contact.email,
                "active": contact.active, "partner_id": contact.partner_id, "unit_id": contact.unit_id,
                "keywords": [k.name for k in contact.keywords], "public": contact.public, "kind": contact.kind,
                "title": contact.title, "last_confirmed_at": contact.last_confirmed_at}
        return data


def _set_confirmed(app, cid, when):
    with app.app_context():
        db.session.get(Contact, cid).last_confirmed_at = when
        db.session.commit()


def _names(page):
    return re.findall(r'<th scope="row"><a href="/directory/contacts/\d+">([^<]+)</a>', page)


# --- list and page --------------------------------------------------------------------------------


def test_contact_list_filters(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Listayhdistys ry")
    make_contact("Aino Partneri", partner_id=pid)
    make_contact("Bertta Rise", unit="HELV")
    make_contact("Cecilia Postilaatikko", partner_id=pid, kind=ContactKind.MAILBOX, email="posti@example.org")
    old = make_contact("Dora Vanhentunut", partner_id=pid)
    gone = make_contact("Eero Poistunut", unit="HELV")
    _set_confirmed(app, old, utcnow() - timedelta(days=400))
    with app.app_context():
        db.session.get(Contact, gone).active = False
        db.session.commit()
    client = client_as("staff")
    page = client.get("/directory/contacts").get_data(as_text=True)
    assert _names(page) == ["Aino Partneri", "Bertta Rise", "Cecilia Postilaatikko", "Dora Vanhentunut"]
    dora = page.split("Dora Vanhentunut")[1].split("</tr>")[0]
    assert "Stale" in dora and "Stale" not in page.split("Aino Partneri")[1].split("</tr>")[0]

    def names(**args):
        return _names(client.get("/directory/contacts", query_string=args).get_data(as_text=True))

    assert names(kind="mailbox") == ["Cecilia Postilaatikko"]
    assert names(kind="person", org="unit") == ["Bertta Rise"]
    assert names(org="partner") == ["Aino Partneri", "Cecilia Postilaatikko", "Dora Vanhentunut"]
    assert names(stale="1") == ["Dora Vanhentunut"]
    assert names(active="0") == ["Eero Poistunut"]
    assert len(names(active="all")) == 5
    assert len(names(kind="<x>", org="'; --", active="[]", stale="x" * 3000, page="-1")) == 4


def test_contact_page_shows_all_fields_keywords_and_roles(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Roolikumppani ry")
    cid = make_contact("Helmi Henkilö", partner_id=pid, title="Toiminnanjohtaja", email="helmi@example.org",
                       phone="09 123 4567", mobile="040 765 4321", keywords=("päihdetyö", "asuminen"),
                       public=True, notes="Tavoitettavissa aamuisin")
    with app.app_context():
        contact, partner = db.session.get(Contact, cid), db.session.get(Partner, pid)
        services.add_liaison_role(contact, subject=LiaisonSubject.PARTNER, side=LiaisonSide.PARTNER, partner=partner)
        services.add_liaison_role(contact, subject=LiaisonSubject.PROJECT, side=LiaisonSide.PARTNER,
                                  project="Vanha hanke", valid_from=date(2020, 1, 1), valid_to=date(2021, 6, 30))
        keyword_ids = {k.name: k.id for k in contact.keywords}
        db.session.commit()
    _set_confirmed(app, cid, utcnow() - timedelta(days=500))
    page = client_as("staff").get(f"/directory/contacts/{cid}").get_data(as_text=True)
    for text in ("Helmi Henkilö", "Toiminnanjohtaja", "helmi@example.org", "09 1234567", "040 7654321",
                 "Tavoitettavissa aamuisin", "Shown in the public directory", "Stale"):
        assert text in page, text
    assert f'href="/directory/keywords/{keyword_ids["päihdetyö"]}">päihdetyö</a>' in page
    assert f'href="/directory/partners/{pid}"' in page
    current = page.split('id="roles-current"')[1].split("</table>")[0]
    history = page.split('id="roles-history"')[1].split("</table>")[0]
    assert "Roolikumppani ry" in current and "Vanha hanke" in history and "30.6.2021" in history
    assert "/edit" not in page and "End the role" not in page and "/admin/audit" not in page
    form = client_as("director").get(f"/directory/contacts/{cid}").get_data(as_text=True)
    form = form.split('id="add-role-title"')[1]
    assert re.search(rf'<option selected value="{pid}">', form) and '<option selected value="partner">' in form


def test_unknown_and_huge_contact_ids_are_404(app, reference, client_as):
    client = client_as("admin")
    for url in ("/directory/contacts/5", "/directory/contacts/99999999999999999999", "/directory/contacts/5/edit",
                "/directory/keywords/5", "/directory/keywords/99999999999"):
        assert client.get(url).status_code == 404, url
    for url in ("/directory/contacts/5/active", "/directory/contacts/5/roles", "/directory/roles/99999999999/end"):
        assert post(client, url).status_code == 404, url


# --- create and edit ------------------------------------------------------------------------------


def test_director_creates_a_partner_contact(app, reference, client_as, make_partner):
    pid = make_partner("Yhteyskumppani ry")
    client = client_as("director")
    form = client.get(f"/directory/contacts/new?partner_id={pid}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{pid}">|<option value="{pid}" selected>', form)
    response = post(client, "/directory/contacts/new", {
        **NEW, "partner": str(pid), "phone": "040 123 4567", "mobile": "+46 8 123 456 78", "email": "Uusi@Example.org",
        "keywords": "Päihdetyö, asuminen;  päihdetyö", "public": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    cid = int(response.headers["Location"].rsplit("/", 1)[1])
    saved = _contact(app, cid)
    assert saved["phone"] == "+358401234567" and saved["mobile"] == "+46812345678"
    assert saved["email"] == "uusi@example.org" and saved["keywords"] == ["asuminen", "päihdetyö"]
    assert saved["public"] and saved["partner_id"] == pid and saved["last_confirmed_at"] is not None
    edit = client.get(f"/directory/contacts/{cid}/edit").get_data(as_text=True)
    assert 'value="040 1234567"' in edit and "asuminen, päihdetyö" in edit


@pytest.mark.parametrize("change,field,message", [
    ({"phone": "123"}, "phone", "not a valid phone number"),
    ({"mobile": "+358 40"}, "mobile", "not a valid phone number"),
    ({"email": "ei-osoite"}, "email", "Invalid email address"),
    ({"partner": "0"}, "partner", "either a partner or a Rise unit"),
    ({"unit": "UNIT"}, "partner", "either a partner or a Rise unit"),
    ({"kind": "mailbox", "email": ""}, "email", "needs its e-mail address"),
    ({"name": ""}, "name", "required"),
    ({"kind": "robot"}, "kind", "Not a valid choice"),
])
def test_bad_contact_input_is_shown_next_to_the_field(app, reference, client_as, make_partner, change, field,
                                                      message):
    pid = make_partner("Virhekumppani ry")
    client = client_as("director", unit="ESRSK")
    change = {k: (str(_unit(app, "HELV")) if v == "UNIT" else v) for k, v in change.items()}
    response = post(client, "/directory/contacts/new", {**NEW, "partner": str(pid), **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message.lower() in error.group(1).lower(), page[-2500:]
    assert 'value="Suunnittelija"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_invalid_phone_on_edit_keeps_the_saved_number(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Puhelinkumppani ry")
    cid = make_contact("Pauli Puhelin", partner_id=pid, phone="040 123 4567")
    client = client_as("director")
    response = post(client, f"/directory/contacts/{cid}/edit", {**NEW, "name": "Pauli Puhelin", "partner": str(pid),
                                                                "phone": "12"})
    assert response.status_code == 400 and 'id="phone-error"' in response.get_data(as_text=True)
    assert _contact(app, cid)["phone"] == "+358401234567"


def test_director_changes_rise_contacts_only_in_scope(app, reference, client_as, make_contact):
    own = make_contact("Oma Helsinki", unit="HELV")
    foreign = make_contact("Vieras Turku", unit="TURV")
    client = client_as("director", unit="ESRSK")
    form = client.get("/directory/contacts/new").get_data(as_text=True)
    assert f'value="{_unit(app, "HELV")}"' in form and f'value="{_unit(app, "TURV")}"' not in form
    response = post(client, f"/directory/contacts/{own}/edit", {**NEW, "name": "Oma Helsinki",
                                                                "unit": str(_unit(app, "VANV"))})
    assert response.status_code == 302 and _contact(app, own)["unit_id"] == _unit(app, "VANV")
    # another centre's unit cannot be chosen, and its contacts cannot be changed
    response = post(client, "/directory/contacts/new", {**NEW, "unit": str(_unit(app, "TURV"))})
    assert response.status_code == 400 and 'id="unit-error"' in response.get_data(as_text=True)
    assert client.get(f"/directory/contacts/{foreign}/edit").status_code == 403
    assert post(client, f"/directory/contacts/{foreign}/edit", {**NEW, "unit": str(_unit(app, "HELV"))}
                ).status_code == 403
    assert post(client, f"/directory/contacts/{foreign}/active", {"active": "0"}).status_code == 403
    assert post(client, f"/directory/contacts/{foreign}/roles", {"subject": "project", "side": "rise",
                                                                "project": "X"}).status_code == 403
    with app.app_context():
        role = services.add_liaison_role(db.session.get(Contact, foreign), subject=LiaisonSubject.PROJECT,
                                         side=LiaisonSide.RISE, project="Turun hanke")
        db.session.commit()
        role_id = role.id
    assert post(client, f"/directory/roles/{role_id}/end", {"valid_to": "2025-01-01"}).status_code == 403
    page = client.get(f"/directory/contacts/{foreign}").get_data(as_text=True)
    assert "/edit" not in page and "Add a liaison role" not in page  # staff view of it
    foreign_now = _contact(app, foreign)
    assert foreign_now["unit_id"] == _unit(app, "TURV") and foreign_now["active"]
    with app.app_context():
        assert db.session.get(LiaisonRole, role_id).valid_to is None
    # partner contacts are shared national data: any director edits them; an admin edits everything
    admin = client_as("admin")
    assert admin.get(f"/directory/contacts/{foreign}/edit").status_code == 200


def test_director_without_home_unit_edits_partner_contacts(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Kansallinen kumppani ry")
    cid = make_contact("Kaija Kumppani", partner_id=pid)
    client = client_as("director", unit="LSRSK")
    response = post(client, f"/directory/contacts/{cid}/edit", {**NEW, "name": "Kaija Kumppani-Uusi",
                                                                "partner": str(pid)})
    assert response.status_code == 302 and _contact(app, cid)["name"] == "Kaija Kumppani-Uusi"


@pytest.mark.parametrize("method,path", [
    ("get", "/directory/contacts/new"), ("post", "/directory/contacts/new"), ("get", "/directory/contacts/{}/edit"),
    ("post", "/directory/contacts/{}/edit"), ("post", "/directory/contacts/{}/active"),
    ("post", "/directory/contacts/{}/roles"), ("post", "/directory/roles/{role}/end"),
])
def test_staff_may_not_change_contacts(app, reference, client_as, make_partner, make_contact, method, path):
    pid = make_partner("Staff-kumppani ry")
    cid = make_contact("Koskematon Kontakti", partner_id=pid)
    with app.app_context():
        role_id = services.add_liaison_role(db.session.get(Contact, cid), subject=LiaisonSubject.PARTNER,
                                            side=LiaisonSide.PARTNER, partner=db.session.get(Partner, pid)).id
        db.session.commit()
    client = client_as("staff", "working_group", "coordinator")
    url = path.format(cid, role=role_id)
    data = {**NEW, "partner": str(pid), "active": "0", "subject": "project", "side": "rise", "project": "x",
            "valid_to": "2025-01-01"}
    response = post(client, url, data) if method == "post" else client.get(url)
    assert response.status_code == 403
    assert _contact(app, cid)["name"] == "Koskematon Kontakti" and _contact(app, cid)["active"]
    with app.app_context():
        assert db.session.scalar(select(func.count(LiaisonRole.id))) == 1


def test_deactivate_and_reactivate_a_contact(app, reference, client_as, make_partner, make_contact):
    cid = make_contact("Lähtevä Henkilö", partner_id=make_partner("Lähtöyhdistys ry"))
    client = client_as("director")
    assert post(client, f"/directory/contacts/{cid}/active", {"active": "0"}).status_code == 302
    assert not _contact(app, cid)["active"]
    assert "Lähtevä Henkilö" not in client.get("/directory/contacts").get_data(as_text=True)
    assert "This contact is inactive" in client.get(f"/directory/contacts/{cid}").get_data(as_text=True)
    post(client, f"/directory/contacts/{cid}/active", {"active": "1"})
    assert _contact(app, cid)["active"]


# --- liaison roles --------------------------------------------------------------------------------


def test_add_roles_of_each_subject_and_end_one(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Liaisonkumppani ry")
    cid = make_contact("Liisa Liaison", unit="HELV")
    with app.app_context():
        theme_id = db.session.scalar(select(Theme.id).where(Theme.code == "housing"))
    client = client_as("director", unit="ESRSK")
    base = {"subject": "partner", "side": "rise", "partner": "0", "theme": "0", "project": "", "valid_from": "",
            "valid_to": ""}
    assert post(client, f"/directory/contacts/{cid}/roles", {**base, "partner": str(pid),
                                                            "valid_from": "2024-01-01"}).status_code == 302
    assert post(client, f"/directory/contacts/{cid}/roles", {**base, "subject": "theme",
                                                            "theme": str(theme_id)}).status_code == 302
    assert post(client, f"/directory/contacts/{cid}/roles", {**base, "subject": "project",
                                                            "project": "Uusi Alku -hanke"}).status_code == 302
    page = client.get(f"/directory/contacts/{cid}").get_data(as_text=True)
    current = page.split('id="roles-current"')[1].split("</table>")[0]
    assert "Liaisonkumppani ry" in current and "Housing and homelessness work" in current and "Uusi Alku" in current
    partner_page = client.get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert "Liisa Liaison" in partner_page.split('id="liaisons-rise"')[1].split("</table>")[0]

    with app.app_context():
        role_id = db.session.scalar(select(LiaisonRole.id).where(LiaisonRole.project == "Uusi Alku -hanke"))
        partner_role = db.session.scalar(select(LiaisonRole.id).where(LiaisonRole.partner_id == pid))
    yesterday = helsinki_today() - timedelta(days=1)
    assert post(client, f"/directory/roles/{role_id}/end", {"valid_to": yesterday.isoformat()}).status_code == 302
    page = client.get(f"/directory/contacts/{cid}").get_data(as_text=True)
    assert "Uusi Alku" in page.split('id="roles-history"')[1].split("</table>")[0]
    assert "Uusi Alku" not in page.split('id="roles-current"')[1].split("</table>")[0]
    # ending without a date ends it today; before its start is refused next to the date
    response = post(client, f"/directory/roles/{partner_role}/end", {"valid_to": "2023-12-31"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and f'id="end-{partner_role}-error"' in text and "before the start" in text
    assert post(client, f"/directory/roles/{partner_role}/end", {"valid_to": "2026-02-31"}).status_code == 400
    assert post(client, f"/directory/roles/{partner_role}/end").status_code == 302
    with app.app_context():
        assert db.session.get(LiaisonRole, partner_role).valid_to == helsinki_today()


@pytest.mark.parametrize("change,field", [
    ({"subject": "partner"}, "partner"), ({"subject": "theme"}, "theme"), ({"subject": "project"}, "project"),
    ({"subject": "project", "project": "X", "valid_from": "2025-02-01", "valid_to": "2025-01-01"}, "valid_to"),
    ({"subject": "agreement"}, "subject"), ({"side": "both"}, "side"), ({"partner": "99999999999"}, "partner"),
])
def test_bad_role_input_is_shown_next_to_the_field(app, reference, client_as, make_partner, make_contact,
                                                   change, field):
    cid = make_contact("Roolivirhe", partner_id=make_partner("Roolivirhe ry"))
    client = client_as("admin")
    data = {"subject": "partner", "side": "partner", "partner": "0", "theme": "0", "project": "", **change}
    response = post(client, f"/directory/contacts/{cid}/roles", data)
    assert response.status_code == 400 and f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(LiaisonRole.id))) == 0


# --- competence keyword index ---------------------------------------------------------------------


def test_keyword_index_in_finnish_order_with_active_counts(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Osaamisyhdistys ry")
    make_contact("Anna Asiantuntija", partner_id=pid, title="Sosiaalityöntekijä", email="anna@example.org",
                 phone="040 111 2222", keywords=("äidinkieli", "asuminen", "zumba", "öljyntorjunta"))
    make_contact("Bruno Rise", unit="HELV", keywords=("asuminen", "ålandsfrågor", "érityinen"))
    gone = make_contact("Cilla Poissa", unit="HELV", keywords=("asuminen", "vanha taito"))
    with app.app_context():
        db.session.get(Contact, gone).active = False
        db.session.commit()
    client = client_as("staff")
    page = client.get("/directory/keywords").get_data(as_text=True)
    letters = re.findall(r'<h2 id="letter-\d+" tabindex="-1">([^<]+)</h2>', page)
    assert letters == ["A", "E", "V", "Z", "Å", "Ä", "Ö"]
    words = re.findall(r'<a href="/directory/keywords/\d+">([^<]+)</a>', page)
    assert words == ["asuminen", "érityinen", "vanha taito", "zumba", "ålandsfrågor", "äidinkieli", "öljyntorjunta"]
    assert re.search(r">asuminen</a>\s*<span class=\"muted\">\(2 contacts\)", page)
    assert re.search(r">vanha taito</a>\s*<span class=\"muted\">\(0 contacts\)", page)
    keyword_url = re.search(r'href="(/directory/keywords/\d+)">asuminen<', page).group(1)
    listing = client.get(keyword_url).get_data(as_text=True)
    assert _names(listing) == ["Anna Asiantuntija", "Bruno Rise"]
    for text in ("Sosiaalityöntekijä", "Osaamisyhdistys ry", "anna@example.org", "040 1112222", "Helsinki Prison"):
        assert text in listing, text


def test_keyword_page_paginates(app, reference, client_as, make_partner, make_contact):
    app.config["PAGE_SIZE"] = 2
    pid = make_partner("Sivutusyhdistys ry")
    for n in range(3):
        make_contact(f"Henkilö {n}", partner_id=pid, keywords=("sivutus",))
    client = client_as("staff")
    url = re.search(r'href="(/directory/keywords/\d+)"', client.get("/directory/keywords").get_data(as_text=True))
    first = client.get(url.group(1)).get_data(as_text=True)
    assert _names(first) == ["Henkilö 0", "Henkilö 1"] and f'{url.group(1)}?page=2' in first
    assert _names(client.get(url.group(1) + "?page=2").get_data(as_text=True)) == ["Henkilö 2"]


def test_hostile_input_on_existing_contacts(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Vihamielinen ry")
    cid = make_contact("Kohde Henkilö", partner_id=pid)
    with app.app_context():
        role_id = services.add_liaison_role(db.session.get(Contact, cid), subject=LiaisonSubject.PARTNER,
                                            side=LiaisonSide.PARTNER, partner=db.session.get(Partner, pid)).id
        db.session.commit()
    client = client_as("admin", "director")
    hostile = ["", "x" * 5000, "'; DROP TABLE contact; --", "<script>alert(1)</script>", "-1",
               "99999999999999999999", "2026-02-31", "[]", "ä\u202eö", "1.5"]
    for value in hostile:
        data = {k: value for k in (*NEW, "public", "subject", "side", "partner", "theme", "project", "valid_from",
                                   "valid_to", "active")}
        for url in (f"/directory/contacts/{cid}/edit", "/directory/contacts/new", f"/directory/contacts/{cid}/roles",
                    f"/directory/roles/{role_id}/end", f"/directory/contacts/{cid}/active"):
            response = post(client, url, data)
            assert response.status_code < 500, (url, value)
        for url in ("/directory/contacts", f"/directory/contacts/{cid}", "/directory/contacts/new",
                    "/directory/keywords"):
            response = client.get(url, query_string={k: value for k in ("kind", "org", "active", "stale", "page",
                                                                        "partner_id", "unit_id")})
            assert response.status_code < 500, (url, value)
    page = client.get(f"/directory/contacts/{cid}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_contact_list_issues_a_constant_number_of_queries(app, reference, client_as, make_partner, make_contact,
                                                          count_queries):
    for n in range(12):
        pid = make_partner(f"Laskuyhdistys {n:02d} ry")
        make_contact(f"Henkilö {n:02d} partnerilla", partner_id=pid, keywords=("laskenta",))
        make_contact(f"Henkilö {n:02d} Risellä", unit="HELV", keywords=("laskenta",))  # every page has both kinds
    client = client_as("staff")
    index = client.get("/directory/keywords").get_data(as_text=True)
    keyword_url = re.search(r'href="(/directory/keywords/\d+)"', index)
    for url in ("/directory/contacts", keyword_url.group(1)):
        counts = {}
        for size in (2, 24):
            app.config["PAGE_SIZE"] = size
            with count_queries() as statements:
                page = client.get(url).get_data(as_text=True)
            assert len(_names(page)) == size
            counts[size] = len(statements)
        assert counts[2] == counts[24], (url, counts)


def test_a_phone_stored_outside_e164_is_shown_as_it_is(app, reference, client_as, make_partner, make_contact):
    cid = make_contact("Tuotu Numero", partner_id=make_partner("Tuontiyhdistys ry"))
    with app.app_context():
        db.session.get(Contact, cid).phone = "puh. 0401234"  # e.g. written by a bulk import
        db.session.commit()
    client = client_as("director")
    for url in (f"/directory/contacts/{cid}", "/directory/contacts", f"/directory/contacts/{cid}/edit"):
        response = client.get(url)
        assert response.status_code == 200 and "puh. 0401234" in response.get_data(as_text=True), url
