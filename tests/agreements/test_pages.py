"""Agreement pages: the list with filters and a constant query count, creating and editing (with the refusal of a
stale version that keeps the user's input), lifecycle buttons, amendments, liaisons, the readable history,
the partner page's agreements, and who may do what."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.agreements.models import Agreement, AgreementStatus, RelationKind
from registry.core.models import Region, Unit
from registry.directory.models import LiaisonRole, LiaisonSide, Theme
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post


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
        found = {row.code: str(row.id) for row in db.session.scalars(select(model).where(model.code.in_(codes)))}
        return [found[c] for c in codes]


def _agreement(app, aid):
    with app.app_context():
        agreement = db.session.get(Agreement, aid)
        db.session.expunge(agreement)
        return agreement


def _names(page):
    return re.findall(r'<th scope="row"><a href="/agreements/\d+">([^<]+)</a>', page)


def _form(app, **overrides):
    (esrsk,) = _ids(app, Unit, "ESRSK")
    data = {"name_fi": "Poliisiyhteistyö Etelä-Suomi", "name_sv": "", "name_en": "", "kind": "agreement",
            "level": "regional", "status": "planned", "owner_unit": esrsk, "centres": [esrsk], "regions": [],
            "counterpart_kind": "0", "parent": "0", "parties": [], "dnro": "", "legal_bases": [], "themes": [],
            "signed_on": "", "valid_from": "", "valid_until": "", "renewal_type": "none", "renewal_months": "",
            "notice_months": "", "lead_time_days": "", "review_on": "", "review_interval_months": "", "notes": ""}
    data.update(overrides)
    return data


def _edit_data(app, aid, page, **changes):
    """The edit form as the browser would send it: every value as shown on the page, then the changes."""
    agreement = _agreement(app, aid)
    version = re.search(r'name="version" type="hidden" value="(\d+)"|type="hidden" name="version" value="(\d+)"',
                        page) or re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page)
    assert version, "no version field"
    with app.app_context():
        fresh = db.session.get(Agreement, aid)
        data = _form(app, name_fi=fresh.name_fi, kind=fresh.kind.value, level=fresh.level.value,
                     owner_unit=str(fresh.owner_unit_id), centres=[str(u.id) for u in fresh.centres],
                     parties=[str(p.id) for p in fresh.parties], dnro=fresh.dnro or "",
                     notice_months=str(fresh.notice_months or ""), lead_time_days=str(fresh.lead_time_days or ""),
                     valid_until=fresh.valid_until.isoformat() if fresh.valid_until else "",
                     notes=fresh.notes or "")
    del data["status"]
    data["version"] = next(g for g in version.groups() if g)
    data.update(changes)
    assert agreement.id == aid
    return data


# --- the list -------------------------------------------------------------------------------------


def test_list_filters(app, client_as, make_agreement, make_partner):
    today = helsinki_today()
    kela = make_partner("Kela")
    make_agreement("Aamu", status="in_force", valid_until=today + timedelta(days=20), counterpart="police",
                   themes=("criminal_justice",), centres=("ESRSK", "LSRSK"))
    make_agreement("Bussi", status="in_force", valid_until=today + timedelta(days=100), parties=(kela,),
                   dnro="32/021/2021", kind="operating_model")
    make_agreement("Cello", level="national", owner="RISE-OPER")
    make_agreement("Delta", owner="IPRSK", status="expired", valid_until=today - timedelta(days=5))
    client = client_as("staff")

    def names(**args):
        return _names(client.get("/agreements/", query_string=args).get_data(as_text=True))

    assert names() == ["Aamu", "Bussi", "Cello", "Delta"]
    assert names(status="in_force") == ["Aamu", "Bussi"]
    assert names(level="national") == ["Cello"]
    assert names(kind="operating_model") == ["Bussi"]
    assert names(centre="LSRSK") == ["Aamu"]
    assert names(centre="IPRSK") == ["Delta"]
    assert names(counterpart="police") == ["Aamu"]
    assert names(theme="criminal_justice") == ["Aamu"]
    assert names(expiring_within_days="30") == ["Aamu"]
    assert names(expiring_within_days="180") == ["Aamu", "Bussi"]
    assert names(q="kela") == ["Bussi"] and names(q="32/021") == ["Bussi"] and names(q="CELLO") == ["Cello"]
    assert names(status="nonsense") == [] and names(centre="x" * 500) == [] and names(counterpart="<b>") == []
    assert names(expiring_within_days="-4") == names() and names(expiring_within_days="9" * 30) == ["Aamu", "Bussi"]
    assert names(q="%") == names() and names(q="'; drop table agreement; --") == []


def test_list_query_count_is_constant(app, client_as, make_agreement, make_partner, count_queries):
    client = client_as("staff")
    partner = make_partner("Osapuoli ry")

    def add(n, start):
        for i in range(start, start + n):
            make_agreement(f"Sopimus {i:02d}", parties=(partner,), centres=("ESRSK", "LSRSK"), counterpart="police",
                           with_liaisons=bool(i % 2), status="in_force" if i % 3 else "planned")

    add(2, 0)
    client.get("/agreements/")
    with count_queries() as few:
        assert client.get("/agreements/").status_code == 200
    add(8, 2)
    with count_queries() as many:
        page = client.get("/agreements/").get_data(as_text=True)
    assert len(_names(page)) == 10
    assert len(many) == len(few)
    assert "Liaison missing" in page


# --- creating and editing -------------------------------------------------------------------------


def test_director_creates_an_agreement(app, reference, client_as, make_partner):
    kela, other = make_partner("Kela"), make_partner("Kelan vakuutuspiiri")
    director = client_as("director", unit="ESRSK")
    form_page = director.get("/agreements/new").get_data(as_text=True)
    assert "Helsingin vankila" in form_page or "Helsinki Prison" in form_page
    assert "Oulu Prison" not in form_page  # owner units only within the director's scope
    (lsrsk,) = _ids(app, Unit, "LSRSK")
    (hki,) = _ids(app, Region, "HKI")
    (theme,) = _ids(app, Theme, "rehabilitation")
    data = _form(app, centres=_ids(app, Unit, "ESRSK") + [lsrsk], parties=[str(kela), str(other)], regions=[hki],
                 themes=[theme], dnro="5/2026", valid_until="2027-12-31", notice_months="3", lead_time_days="30",
                 counterpart_kind="1", status="in_preparation")
    response = post(director, "/agreements/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        agreement = db.session.scalar(select(Agreement).where(Agreement.name_fi == "Poliisiyhteistyö Etelä-Suomi"))
        assert agreement.status is AgreementStatus.IN_PREPARATION and agreement.version == 1
        assert sorted(u.code for u in agreement.centres) == ["ESRSK", "LSRSK"]
        assert sorted(p.id for p in agreement.parties) == sorted([kela, other])
        assert [t.to_status.value for t in agreement.transitions] == ["in_preparation"]
        aid = agreement.id
    page = director.get(f"/agreements/{aid}").get_data(as_text=True)
    assert re.search(r'id="notice-deadline">30\.9\.2027', page)
    assert re.search(r'id="decision-deadline">31\.8\.2027', page)


def test_create_shows_errors_next_to_fields_and_never_fails(app, reference, client_as):
    admin = client_as("admin")
    no_centre = post(admin, "/agreements/new", _form(app, centres=[]))
    assert no_centre.status_code == 400
    assert "A regional agreement needs at least one sanction centre." in no_centre.get_data(as_text=True)
    assert 'value="Poliisiyhteistyö Etelä-Suomi"' in no_centre.get_data(as_text=True)
    for junk in ({"owner_unit": "99999999999999"}, {"parties": ["abc"]}, {"centres": ["-1"]},
                 {"parent": "2147483648"}, {"notice_months": "1e9"}, {"valid_until": "31.12.2027"},
                 {"kind": "nonsense"}, {"renewal_type": "automatic"}, {"status": "in_force"},
                 {"name_fi": ""}, {"counterpart_kind": "99999"}):
        response = post(admin, "/agreements/new", _form(app, **junk))
        assert response.status_code == 400, junk
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Agreement)) == 0


def test_edit_saves_and_history_shows_the_diff(app, client_as, make_agreement):
    aid = make_agreement("Muokattava", notice_months=3, dnro="1/2026")
    admin = client_as("admin")
    page = admin.get(f"/agreements/{aid}/edit").get_data(as_text=True)
    response = post(admin, f"/agreements/{aid}/edit", _edit_data(app, aid, page, notice_months="6",
                                                                 dnro="2/2026"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    detail = admin.get(f"/agreements/{aid}").get_data(as_text=True)
    history = detail[detail.index('id="history"'):]
    assert re.search(r"Notice period \(months\)</dt>\s*<dd><del>.*?3</del> → <ins>.*?6</ins>", history, re.S)
    assert re.search(r"Diary number</dt>\s*<dd><del>.*?1/2026</del> → <ins>.*?2/2026</ins>", history, re.S)
    assert _agreement(app, aid).version == 2


def test_a_stale_edit_is_refused_with_the_changes_and_the_input_kept(app, client_as, make_agreement):
    aid = make_agreement("Yhteinen sopimus", notice_months=3)
    first, second = client_as("admin"), client_as("admin")
    page_first = first.get(f"/agreements/{aid}/edit").get_data(as_text=True)
    page_second = second.get(f"/agreements/{aid}/edit").get_data(as_text=True)
    assert post(first, f"/agreements/{aid}/edit", _edit_data(app, aid, page_first, notice_months="6")) \
        .status_code == 302
    mine = _edit_data(app, aid, page_second, notes="Toisen selaimen huomautus")
    mine["version"] = "1"
    mine["notice_months"] = "3"
    refused = post(second, f"/agreements/{aid}/edit", mine)
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "Someone else saved this agreement after you opened the form." in text
    assert re.search(r"Notice period \(months\)</th><td><del>3</del></td><td><ins>6</ins></td>", text)
    assert "Toisen selaimen huomautus" in text  # the user's input is kept
    assert 'value="2"' in text  # saving again is a conscious choice
    assert _agreement(app, aid).notes is None and _agreement(app, aid).notice_months == 6
    for junk in ("9" * 40, "abc", ""):
        assert post(second, f"/agreements/{aid}/edit", dict(mine, version=junk)).status_code == 409
    again = dict(mine, version="2")
    assert post(second, f"/agreements/{aid}/edit", again).status_code == 302
    saved = _agreement(app, aid)
    assert (saved.notes, saved.notice_months, saved.version) == ("Toisen selaimen huomautus", 3, 3)


# --- lifecycle, amendments, liaisons --------------------------------------------------------------


def _buttons(page):
    return re.findall(r'<input type="hidden" name="step" value="([a-z_]+)">', page)


def test_only_allowed_next_steps_are_offered_and_done(app, client_as, make_agreement):
    aid = make_agreement("Elinkaari", status="in_preparation", with_liaisons=True)
    admin = client_as("admin")
    assert _buttons(admin.get(f"/agreements/{aid}").get_data(as_text=True)) == ["in_force"]
    refused = post(admin, f"/agreements/{aid}/transition", {"step": "expired"})
    assert refused.status_code == 400 and "This change of status is not allowed." in refused.get_data(as_text=True)
    missing = post(admin, f"/agreements/{aid}/transition", {"step": "in_force", "in_force-signed_on": "2026-11-01"})
    assert missing.status_code == 400
    assert "Give the start of validity." in missing.get_data(as_text=True)
    assert 'value="2026-11-01"' in missing.get_data(as_text=True)  # the input is kept
    done = post(admin, f"/agreements/{aid}/transition", {"step": "in_force", "in_force-signed_on": "2026-11-01",
                                                         "in_force-valid_from": "2026-11-02"})
    assert done.status_code == 302
    page = admin.get(f"/agreements/{aid}").get_data(as_text=True)
    assert _buttons(page) == ["under_renewal", "expired", "terminated", "superseded"]
    no_reason = post(admin, f"/agreements/{aid}/transition", {"step": "terminated", "terminated-note": ""})
    assert no_reason.status_code == 400 and "Give the reason." in no_reason.get_data(as_text=True)
    assert post(admin, f"/agreements/{aid}/transition", {"step": "terminated", "terminated-note": "Päättyi"}) \
        .status_code == 302
    page = admin.get(f"/agreements/{aid}").get_data(as_text=True)
    assert _buttons(page) == [] and "Päättyi" in page
    assert _agreement(app, aid).status is AgreementStatus.TERMINATED


def test_putting_in_force_without_liaisons_is_refused_on_the_page(app, client_as, make_agreement):
    aid = make_agreement("Ilman yhdyshenkilöä", status="in_preparation", signed_on=date(2026, 1, 1),
                         valid_from=date(2026, 1, 1))
    admin = client_as("admin")
    page = admin.get(f"/agreements/{aid}").get_data(as_text=True)
    assert "Still needed before the agreement can be in force:" in page and "the Rise liaison" in page
    refused = post(admin, f"/agreements/{aid}/transition", {"step": "in_force"})
    assert refused.status_code == 400
    assert "Name the Rise liaison before the agreement can be in force." in refused.get_data(as_text=True)


def test_amend_creates_a_linked_agreement_and_keeps_the_old(app, client_as, make_agreement):
    aid = make_agreement("Vanha sopimus", status="in_force", with_liaisons=True, signed_on=date(2024, 1, 1),
                         valid_from=date(2024, 1, 1))
    admin = client_as("admin")
    form = admin.get(f"/agreements/{aid}/amend").get_data(as_text=True)
    assert 'value="Vanha sopimus"' in form
    response = post(admin, f"/agreements/{aid}/amend", {"relation": "new_version", "name_fi": "Uusi sopimus",
                                                        "name_sv": "", "name_en": "", "notes": ""})
    assert response.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(Agreement).where(Agreement.name_fi == "Uusi sopimus"))
        assert (new.amends_id, new.relation) == (aid, RelationKind.NEW_VERSION)
        assert response.headers["Location"].endswith(f"/agreements/{new.id}/edit")
        new_id = new.id
    old_page = admin.get(f"/agreements/{aid}").get_data(as_text=True)
    assert f'href="/agreements/{new_id}">Uusi sopimus</a>' in old_page
    assert "Vanha sopimus" in admin.get(f"/agreements/{new_id}").get_data(as_text=True)
    bad = post(admin, f"/agreements/{aid}/amend", {"relation": "sideways", "name_fi": "X"})
    assert bad.status_code == 400


def test_liaisons_are_added_from_the_agreement_page(app, client_as, make_agreement, make_partner, make_contact):
    party = make_partner("Osapuoli ry")
    aid = make_agreement("Yhdyshenkilöt", parties=(party,))
    rise, own = make_contact("Riikka Rise", unit="HELV"), make_contact("Kalle Kumppani", partner_id=party)
    far = make_contact("Olli Oulu", unit="OULV")
    director = client_as("director", unit="ESRSK")
    form = director.get(f"/agreements/{aid}/liaisons/new").get_data(as_text=True)
    assert "Riikka Rise" in form and "Kalle Kumppani" in form and "Olli Oulu" not in form
    wrong = post(director, f"/agreements/{aid}/liaisons/new", {"side": "partner", "contact": str(rise)})
    assert wrong.status_code == 400
    assert "The partner&#39;s liaison must be a contact of one of the parties." in wrong.get_data(as_text=True)
    assert post(director, f"/agreements/{aid}/liaisons/new", {"side": "partner", "contact": str(far)}) \
        .status_code == 400  # not among the choices
    for side, contact in (("rise", rise), ("partner", own)):
        response = post(director, f"/agreements/{aid}/liaisons/new", {"side": side, "contact": str(contact),
                                                                      "valid_from": "", "valid_to": ""})
        assert response.status_code == 302
    page = director.get(f"/agreements/{aid}").get_data(as_text=True)
    rise_table = page[page.index('id="liaisons-rise"'):page.index('id="liaisons-partner"')]
    assert "Riikka Rise" in rise_table and "Kalle Kumppani" in page[page.index('id="liaisons-partner"'):]
    assert "Liaison named" in page[page.index('id="history"'):]
    with app.app_context():
        assert {r.side for r in db.session.scalars(select(LiaisonRole).where(LiaisonRole.agreement_id == aid))} \
            == {LiaisonSide.RISE, LiaisonSide.PARTNER}


# --- who may do what ------------------------------------------------------------------------------


def test_scope_and_roles(app, client_as, make_agreement, make_contact):
    inside = make_agreement("Sisällä", owner="HELV")
    outside = make_agreement("Ulkona", owner="OULV", centres=("IPRSK",), level="local")
    rise = make_contact("Riikka Rise", unit="HELV")
    director = client_as("director", unit="ESRSK")
    staff = client_as("staff", unit="ESRSK")
    assert director.get(f"/agreements/{inside}/edit").status_code == 200
    assert f'href="/agreements/{inside}/edit"' in director.get(f"/agreements/{inside}").get_data(as_text=True)
    outside_page = director.get(f"/agreements/{outside}")
    assert outside_page.status_code == 200 and "/edit" not in outside_page.get_data(as_text=True)
    for url in (f"/agreements/{outside}/edit", f"/agreements/{outside}/amend", f"/agreements/{outside}/liaisons/new"):
        assert director.get(url).status_code == 403, url
    assert post(director, f"/agreements/{outside}/transition", {"step": "in_preparation"}).status_code == 403
    assert post(director, f"/agreements/{outside}/liaisons/new", {"side": "rise", "contact": str(rise)}) \
        .status_code == 403
    assert staff.get("/agreements/").status_code == 200
    staff_page = staff.get(f"/agreements/{inside}").get_data(as_text=True)
    assert "/edit" not in staff_page and 'name="step"' not in staff_page
    for url in ("/agreements/new", f"/agreements/{inside}/edit", f"/agreements/{inside}/amend"):
        assert staff.get(url).status_code == 403, url
    assert post(staff, f"/agreements/{inside}/transition", {"step": "in_preparation"}).status_code == 403
    assert _agreement(app, outside).status is AgreementStatus.PLANNED
    for url in ("/agreements/999999", "/agreements/99999999999999", "/agreements/0/edit"):
        assert director.get(url).status_code == 404, url


def test_partner_page_lists_its_agreements_with_a_constant_query_count(app, client_as, make_agreement,
                                                                        make_partner, count_queries):
    party = make_partner("Kumppani ry")
    make_agreement("Ensimmäinen", parties=(party,))
    client = client_as("staff")
    client.get(f"/directory/partners/{party}")
    with count_queries() as few:
        client.get(f"/directory/partners/{party}")
    for n in range(4):
        make_agreement(f"Lisäsopimus {n}", parties=(party,), owner=("HELV", "OULV", "LSRSK", "RISE-OPER")[n])
    with count_queries() as many:
        page = client.get(f"/directory/partners/{party}").get_data(as_text=True)
    section = page[page.index('id="partner-agreements"'):]
    assert "Ensimmäinen" in section and "Lisäsopimus 3" in section
    assert len(many) == len(few)


def test_a_coverage_gap_link_opens_a_prefilled_form(app, reference, client_as):
    from registry.agreements.models import CounterpartKind

    with app.app_context():
        centre = db.session.scalar(select(Unit.id).where(Unit.code == "ESRSK"))
        other = db.session.scalar(select(Unit.id).where(Unit.code == "LSRSK"))
        region = db.session.scalar(select(Region.id).where(Region.code == "PIR"))
        kind = db.session.scalar(select(CounterpartKind.id).order_by(CounterpartKind.position))
    director = client_as("director", unit="ESRSK")
    page = director.get("/agreements/new", query_string={
        "level": "regional", "counterpart_kind": kind, "owner_unit": centre, "centres": [centre, other],
        "regions": region}).get_data(as_text=True)

    def selected(name: str, value: object) -> bool:
        tag = re.search(rf'<(?:option|input)[^>]*(?:name="{name}"[^>]*value="{value}"|value="{value}"[^>]*'
                        rf'name="{name}")[^>]*>', page)
        return tag is not None and ("selected" in tag.group(0) or "checked" in tag.group(0))

    assert re.search(r'<option selected value="regional"|<option value="regional" selected', page)
    assert selected("centres", centre) and selected("centres", other) and selected("regions", region)
    # unknown or hostile values are ignored, never an error
    assert director.get("/agreements/new", query_string={"owner_unit": "x", "centres": ["999999", "y"],
                                                         "level": "<b>"}).status_code == 200
