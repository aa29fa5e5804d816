"""Partner pages: list with filters and a constant query count, the partner page, create/edit with the duplicate
checks, deactivation, liaisons from the partner page, merging through the UI, and who may do what."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.core.models import AuditEvent, Region
from registry.directory import services
from registry.directory.models import (
    Contact,
    ContactKind,
    LiaisonRole,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
    SuitabilityOutcome,
    Theme,
)
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post

NEW = {"name_fi": "Uusi Polku ry", "name_sv": "", "name_en": "", "business_id": "", "category": "association",
       "legal_form": "rekisteröity yhdistys", "level": "regional", "website": "", "notes": "",
       "suitability_checked_on": "", "suitability_checked_by": "", "suitability_outcome": "", "suitability_notes": ""}


@pytest.fixture
def client_as(client_as):
    """Signed-in clients that use the English UI, so the assertions below do not depend on the catalogues."""

    def factory(*roles, **kwargs):
        client = client_as(*roles, **kwargs)
        post(client, "/language", {"lang": "en"})
        return client

    return factory


def _ids(app, model, *codes):
    with app.app_context():
        return [str(i) for i in db.session.scalars(select(model.id).where(model.code.in_(codes)))]


def _partner(app, pid):
    with app.app_context():
        partner = db.session.get(Partner, pid)
        db.session.expunge(partner)
        return partner


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _role(app, contact_id, partner_id, side, *, valid_from=None, valid_to=None):
    with app.app_context():
        role = services.add_liaison_role(db.session.get(Contact, contact_id), subject=LiaisonSubject.PARTNER,
                                         side=side, partner=db.session.get(Partner, partner_id),
                                         valid_from=valid_from, valid_to=valid_to)
        db.session.commit()
        return role.id


def _rows(page: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert match, f"no table {table_id}"
    return match.group(1)


# --- list -----------------------------------------------------------------------------------------


def test_list_filters_and_sorts_by_finnish_name(app, reference, client_as, make_partner):
    make_partner("Örebro-seura ry", regions=("HKI",), themes=("housing",))
    make_partner("Ahjo-säätiö sr", category=PartnerCategory.FOUNDATION, level=PartnerLevel.NATIONAL,
                 regions=("PIR",), themes=("housing", "substance_mental"))
    make_partner("Betania ry", regions=("HKI",), themes=("research",))
    make_partner("Lopettanut ry", active=False)
    client = client_as("staff")
    page = client.get("/directory/partners").get_data(as_text=True)
    names = re.findall(r'<th scope="row"><a href="/directory/partners/\d+">([^<]+)</a>', page)
    assert names == ["Ahjo-säätiö sr", "Betania ry", "Örebro-seura ry"]  # active only by default
    assert "Pirkanmaa Wellbeing Services County" in page and "Housing and homelessness work" in page

    def names_for(**args):
        text = client.get("/directory/partners", query_string=args).get_data(as_text=True)
        return re.findall(r'<th scope="row"><a href="/directory/partners/\d+">([^<]+)</a>', text)

    assert names_for(category="foundation") == ["Ahjo-säätiö sr"]
    assert names_for(level="national") == ["Ahjo-säätiö sr"]
    assert names_for(region="HKI") == ["Betania ry", "Örebro-seura ry"]
    assert names_for(theme="housing") == ["Ahjo-säätiö sr", "Örebro-seura ry"]
    assert names_for(region="HKI", theme="housing") == ["Örebro-seura ry"]
    assert names_for(active="0") == ["Lopettanut ry"]
    assert len(names_for(active="all")) == 4
    assert names_for(category="no-such", level="'; --") == ["Ahjo-säätiö sr", "Betania ry", "Örebro-seura ry"]
    assert names_for(region="x" * 500) == [] and names_for(theme="<script>") == []  # no such county or theme


def test_list_paginates(app, reference, client_as, make_partner):
    app.config["PAGE_SIZE"] = 2
    for n in range(5):
        make_partner(f"Yhdistys {n} ry")
    client = client_as("staff")
    first = client.get("/directory/partners").get_data(as_text=True)
    assert "Yhdistys 0 ry" in first and "Yhdistys 2 ry" not in first and 'rel="next"' in first
    last = client.get("/directory/partners?page=99999999999").get_data(as_text=True)
    assert client.get("/directory/partners?page=3").status_code == 200
    assert "Yhdistys 4 ry" in client.get("/directory/partners?page=3").get_data(as_text=True)
    assert "Yhdistys" not in last  # clamped to a page with nothing on it, no error


def test_partner_list_issues_a_constant_number_of_queries(app, reference, client_as, make_partner,
                                                          count_queries):
    for n in range(30):
        make_partner(f"Kumppani {n:02d} ry", regions=("HKI", "PIR"), themes=("housing", "research"))
    client = client_as("staff")
    counts = {}
    for size in (3, 30):
        app.config["PAGE_SIZE"] = size
        with count_queries() as statements:
            page = client.get("/directory/partners").get_data(as_text=True)
        assert page.count('<th scope="row"><a href="/directory/partners/') == size
        counts[size] = len(statements)
    assert counts[3] == counts[30], counts


# --- partner page ---------------------------------------------------------------------------------


def test_partner_page_shows_everything(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Kriminaalihuollon tukisäätiö sr", name_sv="Kriminalvårdens stödstiftelse",
                       name_en="Criminal Sanctions Support Foundation", business_id="0116297-6",
                       category=PartnerCategory.FOUNDATION, legal_form="säätiö", level=PartnerLevel.NATIONAL,
                       website="https://www.krits.fi", notes="Valtakunnallinen toimija",
                       suitability_checked_on=date(2025, 3, 4), suitability_checked_by="Tiina Työryhmä",
                       suitability_outcome=SuitabilityOutcome.SUITABLE,
                       suitability_notes="Kaikki kunnossa", regions=("HKI",), themes=("housing",))
    person = make_contact("Pekka Partneri", partner_id=pid, phone="040 123 4567", email="pekka@krits.example")
    make_contact("Teemaosoite asuminen", partner_id=pid, kind=ContactKind.MAILBOX, email="asuminen@krits.example")
    rise = make_contact("Riikka Rise", unit="HELV", email="riikka@rise.example")
    old = make_contact("Olli Entinen", partner_id=pid)
    _role(app, rise, pid, LiaisonSide.RISE)
    _role(app, person, pid, LiaisonSide.PARTNER, valid_from=date(2024, 1, 1))
    _role(app, old, pid, LiaisonSide.PARTNER, valid_from=date(2020, 1, 1), valid_to=date(2023, 12, 31))

    client = client_as("staff")
    page = client.get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert "<h1>Criminal Sanctions Support Foundation</h1>" in page or "<h1>Kriminaalihuollon" in page
    for text in ("Kriminalvårdens stödstiftelse", "0116297-6", "säätiö", "Valtakunnallinen toimija",
                 "City of Helsinki", "Housing and homelessness work", "4.3.2025", "Tiina Työryhmä",
                 "Kaikki kunnossa", "040 1234567", "asuminen@krits.example", "pekka@krits.example"):
        assert text in page, text
    assert '<a href="https://www.krits.fi" rel="noopener noreferrer">' in page
    assert "Riikka Rise" in _rows(page, "liaisons-rise") and "Pekka Partneri" in _rows(page, "liaisons-partner")
    assert "Olli Entinen" in _rows(page, "liaisons-history") and "Olli Entinen" not in _rows(page, "liaisons-partner")
    assert "31.12.2023" in _rows(page, "liaisons-history")
    rise_box = page.split('id="rise-contact-title"')[1].split("</section>")[0]
    assert "Riikka Rise" in rise_box and "§14" not in rise_box
    assert "/admin/audit" not in page and "/edit" not in page and "/merge" not in page

    admin = client_as("admin")
    admin_page = admin.get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert f"/admin/audit?object_type=partner&amp;object_id={pid}" in admin_page
    assert f"/directory/partners/{pid}/edit" in admin_page and f"/directory/partners/{pid}/merge" in admin_page


def test_names_are_shown_in_the_ui_language_first(app, reference, client_as, make_partner):
    pid = make_partner("Suomenkielinen nimi ry", name_sv="Svenska namnet rf", name_en="English name")
    client = client_as("staff")
    post(client, "/language", {"lang": "sv"})
    page = client.get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert "<h1>Svenska namnet rf</h1>" in page
    assert page.index('lang="sv">Svenska namnet rf') < page.index('lang="fi">Suomenkielinen nimi ry') \
        < page.index('lang="en">English name')


def test_ngo_without_rise_liaison_is_routed_to_the_project_office(app, reference, client_as, make_partner,
                                                                    make_contact):
    ngo = make_partner("Pieni yhdistys ry")
    company = make_partner("Yritys Oy", category=PartnerCategory.COMPANY)
    make_contact("Projektitoimiston osoite", unit="PROJ", kind=ContactKind.MAILBOX, email="projektit@rise.example")
    client = client_as("staff")
    box = client.get(f"/directory/partners/{ngo}").get_data(as_text=True).split('id="rise-contact-title"')[1]
    box = box.split("</section>")[0]
    assert "projektit@rise.example" in box and "§14" in box
    company_box = client.get(f"/directory/partners/{company}").get_data(as_text=True)
    company_box = company_box.split('id="rise-contact-title"')[1].split("</section>")[0]
    assert "projektit@rise.example" not in company_box and "No Rise liaison" in company_box


def test_unknown_and_huge_ids_are_404(app, reference, client_as):
    client = client_as("admin")
    for url in ("/directory/partners/999", "/directory/partners/99999999999999999999",
                "/directory/partners/999/edit", "/directory/partners/99999999999/merge"):
        assert client.get(url).status_code == 404, url
    assert post(client, "/directory/partners/99999999999/active").status_code == 404


# --- create and edit ------------------------------------------------------------------------------


def test_director_creates_a_partner_with_all_fields(app, reference, client_as):
    client = client_as("director")
    data = {**NEW, "name_sv": "Ny Stig rf", "business_id": "116297-6", "website": "www.uusipolku.example",
            "regions": _ids(app, Region, "HKI", "ITU"), "themes": _ids(app, Theme, "housing"),
            "suitability_checked_on": "2025-05-06", "suitability_checked_by": "Tiina",
            "suitability_outcome": "suitable_with_conditions", "suitability_notes": "Ehdot"}
    response = post(client, "/directory/partners/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        partner = db.session.scalar(select(Partner).where(Partner.name_fi == "Uusi Polku ry"))
        assert response.headers["Location"].endswith(f"/directory/partners/{partner.id}")
        assert partner.business_id == "0116297-6" and partner.website == "https://www.uusipolku.example"
        assert {r.code for r in partner.regions} == {"HKI", "ITU"} and [t.code for t in partner.themes] == ["housing"]
        assert partner.suitability_checked_on == date(2025, 5, 6) and partner.suitability_outcome.value == \
            "suitable_with_conditions" and partner.name_sv == "Ny Stig rf" and partner.name_en is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Uusi Polku ry" in page and "Suitable with conditions" in page and "Ny Stig rf" in page


def test_invalid_business_id_is_shown_next_to_the_field(app, reference, client_as):
    client = client_as("director")
    response = post(client, "/directory/partners/new", {**NEW, "business_id": "1234567-8"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="business_id-error"' in page and 'href="#business_id"' in page
    assert 'value="Uusi Polku ry"' in page  # nothing typed is lost
    assert _count(app, Partner) == 0


def test_existing_business_id_is_refused_with_a_link_to_the_existing_partner(app, reference, client_as,
                                                                           make_partner):
    existing = make_partner("Vanha Tuttu ry", business_id="0116297-6")
    client = client_as("director")
    response = post(client, "/directory/partners/new", {**NEW, "business_id": "0116297-6"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'<p class="field-error" id="business_id-error">(.*?)</p>', page, re.S).group(1)
    assert "Vanha Tuttu ry" in error and f'href="/directory/partners/{existing}"' in error
    assert _count(app, Partner) == 1
    # editing another partner to take the same ID is refused too
    other = make_partner("Toinen ry")
    response = post(client, f"/directory/partners/{other}/edit", {**NEW, "name_fi": "Toinen ry",
                                                                  "business_id": "116297-6"})
    assert response.status_code == 400 and f'href="/directory/partners/{existing}"' in response.get_data(as_text=True)
    assert _partner(app, other).business_id is None


def test_duplicate_business_id_is_refused_before_the_similar_name_warning(app, reference, client_as, make_partner):
    existing = make_partner("Kriminaalihuollon tukisäätiö sr", business_id="0116297-6")
    client = client_as("director")
    for extra in ({}, {"confirm_similar": "y"}):
        response = post(client, "/directory/partners/new", {**NEW, "name_fi": "Kriminaalihuollon tukisaatio",
                                                            "business_id": "0116297-6", **extra})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and 'id="similar-partners"' not in page
        assert f'href="/directory/partners/{existing}"' in page.split('id="business_id-error"')[1].split("</p>")[0]
    assert _count(app, Partner) == 1


def test_similar_name_warns_with_links_then_create_anyway_saves(app, reference, client_as, make_partner):
    similar = make_partner("Kriminaalihuollon tukisäätiö sr")
    client = client_as("director")
    data = {**NEW, "name_fi": "Kriminaalihuollon tukisaatio", "category": "foundation"}
    response = post(client, "/directory/partners/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    warning = page.split('id="similar-partners"')[1].split("</div>")[0]
    assert f'href="/directory/partners/{similar}"' in warning and "Kriminaalihuollon tukisäätiö sr" in warning
    assert 'name="confirm_similar"' in page
    assert _count(app, Partner) == 1
    response = post(client, "/directory/partners/new", {**data, "confirm_similar": "y"})
    assert response.status_code == 302
    assert _count(app, Partner) == 2


def test_edit_keeps_the_form_filled_and_saves(app, reference, client_as, make_partner):
    pid = make_partner("Muokattava ry", regions=("HKI",), themes=("housing",), website="https://a.example")
    make_partner("Muokattava ry:n tytär ry")
    client = client_as("director")
    form = client.get(f"/directory/partners/{pid}/edit").get_data(as_text=True)
    assert 'value="Muokattava ry"' in form and 'value="https://a.example"' in form
    region_id, = _ids(app, Region, "HKI")
    assert re.search(rf'<input checked[^>]*value="{region_id}"|<input[^>]*value="{region_id}"[^>]*checked', form)
    response = post(client, f"/directory/partners/{pid}/edit", {**NEW, "name_fi": "Muokattava ry",
                                                                "level": "local", "regions": [],
                                                                "website": "javascript:alert(1)"})
    assert response.status_code == 400 and 'id="website-error"' in response.get_data(as_text=True)
    response = post(client, f"/directory/partners/{pid}/edit", {**NEW, "name_fi": "Muokattava ry", "level": "local"})
    assert response.status_code == 302  # a similar name is only warned about when creating
    with app.app_context():
        partner = db.session.get(Partner, pid)
        assert partner.level is PartnerLevel.LOCAL and partner.regions == [] and partner.website is None


def test_deactivate_and_reactivate(app, reference, client_as, make_partner):
    pid = make_partner("Tauolla ry")
    client = client_as("director")
    assert post(client, f"/directory/partners/{pid}/active", {"active": "0"}).status_code == 302
    assert _partner(app, pid).active is False
    assert "Tauolla ry" not in client.get("/directory/partners").get_data(as_text=True)
    assert post(client, f"/directory/partners/{pid}/active", {"active": "1"}).status_code == 302
    assert _partner(app, pid).active is True


@pytest.mark.parametrize("method,path", [
    ("get", "/directory/partners/new"), ("post", "/directory/partners/new"), ("get", "/directory/partners/{}/edit"),
    ("post", "/directory/partners/{}/edit"), ("post", "/directory/partners/{}/active"),
    ("post", "/directory/partners/{}/liaisons"), ("get", "/directory/partners/{}/merge"),
    ("post", "/directory/partners/{}/merge"),
])
def test_staff_may_not_change_partners(app, reference, client_as, make_partner, method, path):
    pid = make_partner("Koskematon ry")
    client = client_as("staff", "working_group", "coordinator")
    url = path.format(pid)
    response = post(client, url, {**NEW, "active": "0"}) if method == "post" else client.get(url)
    assert response.status_code == 403
    assert _partner(app, pid).active is True and _partner(app, pid).name_fi == "Koskematon ry"


def test_director_may_not_merge(app, reference, client_as, make_partner):
    a, b = make_partner("Yksi ry"), make_partner("Kaksi ry")
    client = client_as("director")
    assert client.get(f"/directory/partners/{a}/merge").status_code == 403
    assert post(client, f"/directory/partners/{a}/merge", {"duplicate": str(b)}).status_code == 403
    assert _partner(app, b).merged_into_id is None


# --- liaisons from the partner page ---------------------------------------------------------------


def test_director_adds_a_liaison_from_the_partner_page(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Yhteistyöyhdistys ry")
    make_contact("Projektitoimisto", unit="PROJ", kind=ContactKind.MAILBOX, email="projektit@rise.example")
    own = make_contact("Oma Yhteyshenkilö", partner_id=pid)
    rise = make_contact("Rise Yhdyshenkilö", unit="HELYKS")
    foreign = make_contact("Vieras Turku", unit="TURYKS")
    client = client_as("director", unit="ESRSK")
    page = client.get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert "Oma Yhteyshenkilö" in page and f'value="{rise}"' in page
    assert f'value="{foreign}"' not in page  # a Rise contact outside the director's centre is not offered
    response = post(client, f"/directory/partners/{pid}/liaisons", {"contact": str(rise), "side": "rise",
                                                                    "valid_from": "2025-01-01"})
    assert response.status_code == 302
    page = client.get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert "Rise Yhdyshenkilö" in _rows(page, "liaisons-rise")
    box = page.split('id="rise-contact-title"')[1].split("</section>")[0]
    assert "Rise Yhdyshenkilö" in box and "projektit@rise.example" not in box  # a named liaison replaces routing
    # bad input: an out-of-scope contact, dates the wrong way round
    assert post(client, f"/directory/partners/{pid}/liaisons", {"contact": str(foreign), "side": "rise"}
                ).status_code == 400
    response = post(client, f"/directory/partners/{pid}/liaisons", {"contact": str(own), "side": "partner",
                                                                    "valid_from": "2025-02-01",
                                                                    "valid_to": "2025-01-01"})
    assert response.status_code == 400 and 'id="valid_to-error"' in response.get_data(as_text=True)
    assert _count(app, LiaisonRole) == 1


# --- merging --------------------------------------------------------------------------------------


def test_admin_merges_a_duplicate_through_the_ui(app, reference, client_as, make_partner, make_contact):
    survivor = make_partner("Sininauhasäätiö sr", regions=("HKI",))
    duplicate = make_partner("Sininauhasaatio", business_id="0116297-6", regions=("PIR",), notes="Vanha merkintä")
    c1 = make_contact("Siirtyvä Yksi", partner_id=duplicate)
    make_contact("Siirtyvä Kaksi", partner_id=duplicate)
    _role(app, c1, duplicate, LiaisonSide.PARTNER)
    client = client_as("admin")
    choose = client.get(f"/directory/partners/{survivor}/merge").get_data(as_text=True)
    assert f"duplicate={duplicate}" in choose  # the similar name is offered as a candidate
    preview = client.get(f"/directory/partners/{survivor}/merge?duplicate={duplicate}")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert re.search(r"Contacts</th><td>2<", text) and re.search(r"Liaison roles</th><td>1<", text)
    assert _partner(app, duplicate).merged_into_id is None  # the preview changes nothing
    response = post(client, f"/directory/partners/{survivor}/merge", {"duplicate": str(duplicate)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/directory/partners/{survivor}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "was merged into" in page and "contacts 2" in page and "liaison roles 1" in page
    assert "Siirtyvä Yksi" in page and "Siirtyvä Kaksi" in page and "0116297-6" in page
    assert "Siirtyvä Yksi" in _rows(page, "liaisons-partner")
    retired = client.get(f"/directory/partners/{duplicate}").get_data(as_text=True)
    assert "was merged" in retired and f'href="/directory/partners/{survivor}"' in retired
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "merge", AuditEvent.object_id == str(survivor))) == 1
        assert {r.code for r in db.session.get(Partner, survivor).regions} == {"HKI", "PIR"}


@pytest.mark.parametrize("value,message", [
    ("", "Give the number"), ("abc", "integer"), ("-1", "No partner has this number"),
    ("99999999999999999999", "No partner has this number"), ("424242", "No partner has this number"),
    ("self", "two different partners"), ("merged", "already been merged"),
])
def test_merge_validates_the_duplicate(app, reference, client_as, make_partner, value, message):
    survivor = make_partner("Säilyvä ry")
    gone = make_partner("Jo yhdistetty ry")
    third = make_partner("Kolmas ry")
    with app.app_context():
        services.merge_partners(db.session.get(Partner, third), db.session.get(Partner, gone))
        db.session.commit()
    value = {"self": str(survivor), "merged": str(gone)}.get(value, value)
    client = client_as("admin")
    for response in (client.get(f"/directory/partners/{survivor}/merge", query_string={"duplicate": value}),
                     post(client, f"/directory/partners/{survivor}/merge", {"duplicate": value})):
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and 'id="duplicate-error"' in page and message in page, page[-3000:]
    assert _partner(app, survivor).merged_into_id is None


def test_merged_partner_cannot_be_reactivated_or_given_liaisons(app, reference, client_as, make_partner,
                                                                make_contact):
    survivor, gone = make_partner("Jatkaja ry"), make_partner("Poistuva ry")
    contact = make_contact("Joku Jatkajalta", partner_id=survivor)
    with app.app_context():
        services.merge_partners(db.session.get(Partner, survivor), db.session.get(Partner, gone))
        db.session.commit()
    client = client_as("admin")
    response = post(client, f"/directory/partners/{gone}/active", {"active": "1"}, follow_redirects=True)
    assert "cannot be reactivated" in response.get_data(as_text=True)
    assert _partner(app, gone).active is False
    page = client.get(f"/directory/partners/{gone}").get_data(as_text=True)
    assert "/liaisons" not in page and "Reactivate" not in page and f"/directory/partners/{gone}/merge" not in page
    response = post(client, f"/directory/partners/{gone}/liaisons", {"contact": str(contact), "side": "partner"})
    assert response.status_code == 400
    assert _count(app, LiaisonRole) == 0


def test_hostile_input_on_existing_partners(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Kohde ry")
    make_contact("Kohteen Henkilö", partner_id=pid)
    other = make_partner("Toinen kohde ry")
    client = client_as("admin", "director")
    hostile = ["", "x" * 5000, "'; DROP TABLE partner; --", "<script>alert(1)</script>", "-1",
               "99999999999999999999", "2026-02-31", "[]", "ä\u202eö"]
    for value in hostile:
        data = {k: value for k in (*NEW, "regions", "themes", "contact", "side", "valid_from", "valid_to",
                                   "duplicate", "confirm_similar", "active")}
        for url in (f"/directory/partners/{pid}/edit", "/directory/partners/new", f"/directory/partners/{pid}/merge",
                    f"/directory/partners/{pid}/liaisons", f"/directory/partners/{pid}/active"):
            response = post(client, url, data)
            assert response.status_code < 500, (url, value)
            if url.endswith("/active"):
                post(client, url, {"active": "1"})
        response = client.get("/directory/partners", query_string={k: value for k in (
            "category", "region", "theme", "level", "active", "page")})
        assert response.status_code == 200
        assert client.get(f"/directory/partners/{pid}/merge", query_string={"duplicate": value}).status_code < 500
    assert "<script>alert(1)</script>" not in client.get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert _partner(app, other).merged_into_id is None


def test_partner_list_is_in_the_navigation(app, reference, client_as):
    page = client_as("staff").get("/").get_data(as_text=True)
    assert 'href="/directory/partners"' in page and 'href="/directory/contacts"' in page
    assert 'href="/directory/keywords"' in page


def test_contacts_are_shown_with_finnish_phone_format(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Puhelinyhdistys ry")
    make_contact("Soitettava", partner_id=pid, phone="+358295688500", mobile="+46 8 123 456 78")
    page = client_as("staff").get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert services.format_phone("+358295688500") in page and "+46 8 123 456 78" in page
    assert "+358295688500" not in page


def test_upcoming_roles_are_not_history(app, reference, client_as, make_partner, make_contact):
    pid = make_partner("Tuleva ry")
    cid = make_contact("Tuleva Yhdyshenkilö", partner_id=pid)
    _role(app, cid, pid, LiaisonSide.PARTNER, valid_from=helsinki_today() + timedelta(days=30))
    page = client_as("staff").get(f"/directory/partners/{pid}").get_data(as_text=True)
    assert "Tuleva Yhdyshenkilö" in _rows(page, "liaisons-upcoming")
    assert "liaisons-history" not in page
