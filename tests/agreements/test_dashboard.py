"""The director's agreement dashboard: scope, the attention lists with their counts and whole lists, deadlines,
the validity timeline, the coverage matrix and the panel on the main dashboard."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from flask import Flask
from sqlalchemy import select

from registry.agreements import coverage, dashboard, rules
from registry.agreements.models import Agreement
from registry.core.models import Region, Unit
from registry.extensions import db
from registry.i18n import HELSINKI
from tests.directory.conftest import english  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("english")

TODAY = date(2027, 1, 15)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page sees TODAY as today in Finland."""
    monkeypatch.setattr("registry.agreements.dashboard_views.helsinki_today", lambda: TODAY)
    monkeypatch.setattr("registry.core.views.helsinki_today", lambda: TODAY)


def _in_force(make_agreement: Any, name: str, **fields: Any) -> int:
    fields.setdefault("with_liaisons", True)
    return make_agreement(name, status="in_force", signed_on=date(2025, 1, 1), valid_from=date(2025, 1, 1), **fields)


def _scope(app: Flask, roles: tuple[str, ...], unit: str | None) -> dashboard.Scope:
    class FakeUser:
        is_authenticated = True

        def __init__(self) -> None:
            self.home_unit = db.session.scalar(select(Unit).where(Unit.code == unit)) if unit else None
            self.home_unit_id = self.home_unit.id if self.home_unit else None

        def has_role(self, *wanted: str) -> bool:
            return bool(set(wanted) & set(roles))

    return dashboard.user_scope(FakeUser())


def _set_status_changed(app: Flask, agreement_id: int, day: date) -> None:
    with app.app_context():
        db.session.get(Agreement, agreement_id).status_changed_at = datetime.combine(day, time(12), HELSINKI)
        db.session.commit()


@pytest.fixture
def spread(app: Flask, make_agreement: Any) -> dict[str, int]:
    """Agreements of the Southern Finland centre (ESRSK) in every state the dashboard lists, and others."""
    ids = {
        "ends_20": _in_force(make_agreement, "Päättyy pian", valid_until=TODAY + timedelta(days=20), owner="HELV"),
        "ends_60": _in_force(make_agreement, "Päättyy keväällä", valid_until=TODAY + timedelta(days=60)),
        "ends_150": _in_force(make_agreement, "Päättyy kesällä", valid_until=TODAY + timedelta(days=150)),
        "ends_300": _in_force(make_agreement, "Päättyy syksyllä", valid_until=TODAY + timedelta(days=300)),
        "no_liaison": _in_force(make_agreement, "Ilman yhdyshenkilöä", with_liaisons=False),
        "shared": _in_force(make_agreement, "Yhteinen vakuutuspiiri", owner="LSRSK", centres=("LSRSK", "ESRSK"),
                            valid_until=TODAY + timedelta(days=25)),
        "review": _in_force(make_agreement, "Tarkistettava", review_on=TODAY + timedelta(days=40)),
        "review_late": _in_force(make_agreement, "Tarkistus myöhässä", review_on=TODAY - timedelta(days=10)),
        "stalled": make_agreement("Jumittunut luonnos", status="in_preparation"),
        "fresh_draft": make_agreement("Tuore luonnos", status="planned"),
        "expired": make_agreement("Päättynyt", status="expired", valid_until=TODAY + timedelta(days=10)),
        "elsewhere": _in_force(make_agreement, "Länsi-Suomen sopimus", owner="LSRSK",
                               valid_until=TODAY + timedelta(days=10)),
    }
    _set_status_changed(app, ids["stalled"], TODAY - timedelta(days=rules.STALLED_AFTER_DAYS))
    _set_status_changed(app, ids["fresh_draft"], TODAY - timedelta(days=rules.STALLED_AFTER_DAYS - 1))
    return ids


def _lists(app: Flask, scope: dashboard.Scope) -> dict[str, dashboard.AttentionList]:
    with app.app_context():
        found = dashboard.attention(scope, TODAY)
        return {lst.key: dashboard.AttentionList(lst.key, lst.count, lst.items) for lst in found}


def _names(lst: dashboard.AttentionList) -> list[str]:
    return [item.agreement.name_fi for item in lst.items]


def test_a_directors_lists_cover_their_centre_and_its_units(app, spread):
    with app.app_context():
        scope = _scope(app, ("director",), "ESRSK")
    lists = _lists(app, scope)
    assert _names(lists["expiring_30"]) == ["Päättyy pian", "Yhteinen vakuutuspiiri"]
    assert _names(lists["expiring_90"]) == ["Päättyy pian", "Yhteinen vakuutuspiiri", "Päättyy keväällä"]
    assert lists["expiring_180"].count == 4
    assert _names(lists["no_liaison"]) == ["Ilman yhdyshenkilöä"]
    assert lists["no_liaison"].items[0].missing == ("rise", "partner")
    assert _names(lists["stalled"]) == ["Jumittunut luonnos"]
    assert {item.agreement.name_fi: item.on for item in lists["review"].items} == {
        "Tarkistus myöhässä": TODAY - timedelta(days=10), "Tarkistettava": TODAY + timedelta(days=40)}
    every = {name for lst in lists.values() for name in _names(lst)}
    assert "Länsi-Suomen sopimus" not in every and "Päättynyt" not in every


def test_scope_by_role_and_home_unit(app, make_agreement):
    national = _in_force(make_agreement, "Valtakunnallinen", level="national", owner="RISE-OPER",
                         valid_until=TODAY + timedelta(days=20))
    _in_force(make_agreement, "Toisen alueen", level="national", owner="RISE-ASPR",
              valid_until=TODAY + timedelta(days=20))
    _in_force(make_agreement, "Alueellinen", owner="RISE-OPER", valid_until=TODAY + timedelta(days=20))
    with app.app_context():
        area = _scope(app, ("director",), "RISE-OPER")
        staff = _scope(app, ("staff",), "ESRSK")
        admin = _scope(app, ("admin",), None)
        nowhere = _scope(app, ("director",), None)
    assert area.kind == dashboard.NATIONAL
    assert [i.agreement.id for i in _lists(app, area)["expiring_30"].items] == [national]
    assert staff.empty and nowhere.empty and not admin.empty
    assert _lists(app, staff)["expiring_30"].count == 0
    assert _lists(app, admin)["expiring_30"].count == 3


def test_three_month_notice_period_gives_notice_and_decision_deadlines(app, make_agreement, client_as):
    # 31.5.2027 minus three months is 28.2.2027 (the month end clamps); minus a 14-day lead time is 14.2.2027.
    aid = _in_force(make_agreement, "Kolmen kuukauden irtisanomisaika", valid_until=date(2027, 5, 31),
                    notice_months=3, lead_time_days=14, renewal_type="by_decision")
    with app.app_context():
        found = dashboard.find_deadlines(dashboard.scope_condition(dashboard.Scope(dashboard.ALL)), TODAY,
                                         TODAY + timedelta(days=90), TODAY)
    assert [(d.agreement_id, d.kind, d.on) for d in found] == [(aid, "decision", date(2027, 2, 14)),
                                                               (aid, "notice", date(2027, 2, 28))]
    page = client_as("director", unit="ESRSK").get("/agreements/dashboard").get_data(as_text=True)
    notice = page[page.index('id="list-notice"'):page.index('id="list-decision"')]
    decision = page[page.index('id="list-decision"'):page.index('id="list-review"')]
    assert "Kolmen kuukauden irtisanomisaika" in notice and "28.2.2027" in notice
    assert "Kolmen kuukauden irtisanomisaika" in decision and "14.2.2027" in decision


def test_deadline_windows_catch_month_ends_exactly(app, make_agreement):
    """The SQL pre-selection is widened and Python decides: no deadline at the edge of the window is lost."""
    edge = date(2027, 4, 30)
    inside = {_in_force(make_agreement, f"Irtisanomisaika {months}", notice_months=months, lead_time_days=1,
                        valid_until=edge + relativedelta(months=months)) for months in (1, 2, 6, 10, 25)}
    inside.add(_in_force(make_agreement, "Kuun lopussa", notice_months=1, valid_until=date(2027, 5, 31)))
    outside = _in_force(make_agreement, "Liian myöhään", notice_months=1, valid_until=date(2027, 6, 1))
    with app.app_context():
        found = dashboard.find_deadlines(dashboard.scope_condition(dashboard.Scope(dashboard.ALL)), TODAY, edge,
                                         TODAY, kinds=("notice",))
    assert {d.agreement_id for d in found} == inside
    assert max(d.on for d in found) == edge and outside not in {d.agreement_id for d in found}


def test_counts_link_to_whole_lists(app, spread, client_as, monkeypatch):
    client = client_as("director", unit="ESRSK")
    page = client.get("/agreements/dashboard").get_data(as_text=True)
    assert re.search(r'href="/agreements/dashboard\?list=expiring_90"><span class="stat">3</span>', page)
    assert 'href="/agreements/dashboard?list=no_liaison"><span class="stat">1</span>' in page
    app.config["PAGE_SIZE"] = 2
    whole = client.get("/agreements/dashboard?list=expiring_180").get_data(as_text=True)
    assert "4 agreements" in whole and "Page 1 of 2" in whole
    assert whole.count('<th scope="row">') == 2
    second = client.get("/agreements/dashboard?list=expiring_180&page=2").get_data(as_text=True)
    assert "Päättyy kesällä" in second
    assert client.get("/agreements/dashboard?list=nonsense").status_code == 200


def test_staff_see_an_explanation_instead_of_lists(app, spread, client_as):
    page = client_as("staff", unit="ESRSK").get("/agreements/dashboard").get_data(as_text=True)
    assert "Your account has no such responsibility" in page and "Päättyy pian" not in page


def test_timeline_picture_has_a_table_equivalent_and_no_inline_style(app, spread, client_as):
    page = client_as("director", unit="ESRSK").get("/agreements/dashboard").get_data(as_text=True)
    svg = page[page.index("<svg class=\"timeline\""):page.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="timeline-title timeline-desc"' in svg
    assert svg.count('class="timeline-bar') == 8  # the agreements in force of the centre
    assert "timeline-ending" in svg and "timeline-today" in svg
    assert "style=" not in page and "<script>" not in page
    table = page[page.index("Validity of the agreements in the picture"):]
    assert "Päättyy pian" in table and "open-ended" in table


def test_dashboard_query_count_does_not_grow(app, make_agreement, client_as, count_queries):
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            _in_force(make_agreement, f"Sopimus {i}", valid_until=TODAY + timedelta(days=10 + i),
                      notice_months=1 + i % 4, lead_time_days=i % 3 * 7, review_on=TODAY + timedelta(days=i),
                      with_liaisons=bool(i % 2))
            make_agreement(f"Luonnos {i}", status="in_preparation")

    client = client_as("director", unit="ESRSK")
    client.get("/agreements/dashboard")
    add(3, 0)
    with count_queries() as few:
        assert client.get("/agreements/dashboard").status_code == 200
    add(12, 3)
    with count_queries() as many:
        assert client.get("/agreements/dashboard").status_code == 200
    assert 5 < len(many) == len(few), "\n".join(many)


def test_dashboard_is_computed_once_per_state_of_the_data(app, spread, make_agreement, client_as, count_queries):
    client = client_as("director", unit="ESRSK")
    client.get("/agreements/dashboard")
    with count_queries() as again:
        page = client.get("/agreements/dashboard").get_data(as_text=True)
    assert 'list=expiring_30"><span class="stat">2</span>' in page
    assert not any("HAVING" in q or "min(coalesce(" in q for q in again)  # the lists came from the snapshot
    _in_force(make_agreement, "Uusi päättyvä", valid_until=TODAY + timedelta(days=5))
    page = client.get("/agreements/dashboard").get_data(as_text=True)
    assert 'list=expiring_30"><span class="stat">3</span>' in page and "Uusi päättyvä" in page


# --- the coverage matrix --------------------------------------------------------------------------


@pytest.fixture
def covered(app: Flask, make_agreement: Any) -> dict[str, int]:
    return {
        "esrsk_kela": _in_force(make_agreement, "Uudenmaan vakuutuspiiri", centres=("ESRSK",),
                                counterpart="kela_district", valid_until=TODAY + timedelta(days=400)),
        "esrsk_police": make_agreement("Poliisilaitoksen toimintamalli", status="in_preparation",
                                       centres=("ESRSK",), counterpart="police"),
        "lsrsk_kela": _in_force(make_agreement, "Lounais-Suomen vakuutuspiiri", owner="LSRSK", centres=("LSRSK",),
                                counterpart="kela_district", valid_until=TODAY + timedelta(days=60)),
        "iprsk_police_old": make_agreement("Vanha poliisisopimus", owner="IPRSK", centres=("IPRSK",),
                                           counterpart="police", status="expired"),
        "helsinki_social": _in_force(make_agreement, "Helsingin asiakasohjaus", owner="HELYKS", level="local",
                                     regions=("HKI",), counterpart="social_welfare"),
    }


def _ids(app: Flask, model: Any, *codes: str) -> list[int]:
    with app.app_context():
        found = dict(db.session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())
    return [found[c] for c in codes]


def _cell(matrix: coverage.Coverage, row_id: int, kind_code: str, county: bool = False) -> coverage.Cell:
    kinds = matrix.region_kinds if county else matrix.centre_kinds
    rows = matrix.regions if county else matrix.centres
    row = next(r for r in rows if r.ident == row_id)
    return row.cells[[k.code for k in kinds].index(kind_code)]


def test_coverage_matrix_marks_each_state(app, covered):
    south, west, east = _ids(app, Unit, "ESRSK", "LSRSK", "IPRSK")
    helsinki, kanta_hame, lapland = _ids(app, Region, "HKI", "KAH", "LAP")
    with app.app_context():
        matrix = coverage.coverage(TODAY, south)
    assert _cell(matrix, south, "kela_district").state == coverage.IN_FORCE
    assert _cell(matrix, south, "kela_district").agreement_id == covered["esrsk_kela"]
    assert _cell(matrix, south, "police").state == coverage.PREPARING
    assert _cell(matrix, west, "kela_district").state == coverage.EXPIRING
    assert _cell(matrix, east, "police").state == coverage.MISSING  # only an expired agreement
    assert _cell(matrix, east, "kela_district").state == coverage.MISSING
    assert _cell(matrix, helsinki, "social_welfare", county=True).state == coverage.IN_FORCE
    assert _cell(matrix, lapland, "social_welfare", county=True).state == coverage.MISSING
    assert [r.ident for r in matrix.centres if r.own] == [south]
    assert {helsinki, kanta_hame} <= {r.ident for r in matrix.regions if r.own}
    assert lapland not in {r.ident for r in matrix.regions if r.own}
    assert matrix.counts[coverage.IN_FORCE] == 2 and matrix.counts[coverage.EXPIRING] == 1


def test_best_agreement_of_a_cell_is_shown():
    older = coverage.Cell(coverage.IN_FORCE, 1, "a", date(2027, 6, 1))
    later = coverage.Cell(coverage.IN_FORCE, 2, "b", date(2028, 6, 1))
    draft = coverage.Cell(coverage.PREPARING, 3, "c")
    best = coverage.best_cell([draft, older, later])
    assert (best.agreement_id, best.others) == (2, 2)
    assert coverage.best_cell([]).state == coverage.MISSING
    assert coverage.cell_state("in_force", TODAY + timedelta(days=90), TODAY) == coverage.EXPIRING
    assert coverage.cell_state("under_renewal", None, TODAY) == coverage.IN_FORCE
    assert coverage.cell_state("terminated", None, TODAY) == coverage.MISSING


def test_coverage_page_shows_states_in_text_and_a_directors_centre(app, covered, client_as):
    page = client_as("director", unit="HELV").get("/agreements/coverage").get_data(as_text=True)
    assert '<th scope="col">Police department</th>' in page
    own = re.search(r'<tr class="own">\s*<th scope="row">Southern Finland Criminal Sanctions Centre '
                    r'<strong class="own-marker">\(your centre\)</strong>', page)
    assert own
    assert re.search(r'<td class="cov cov-in_preparation">\s*<span class="cov-state">In preparation</span>', page)
    assert re.search(r'<td class="cov cov-expiring">\s*<span class="cov-state">Expiring</span>', page)
    assert f'href="/agreements/{covered["esrsk_kela"]}"' in page
    # A missing agreement of the director's own centre links to a prefilled form; other centres' do not.
    links = re.findall(r'href="/agreements/new\?([^"]+)"', page)
    assert links and all("centres=" in link and "counterpart_kind=" in link for link in links)
    with app.app_context():
        esrsk = db.session.scalar(select(Unit.id).where(Unit.code == "ESRSK"))
    assert all(f"owner_unit={esrsk}" in link.replace("&amp;", "&") for link in links)
    assert "style=" not in page
    staff = client_as("staff").get("/agreements/coverage").get_data(as_text=True)
    assert "/agreements/new" not in staff and 'class="own"' not in staff


def test_main_dashboard_panel_for_directors(app, spread, client_as):
    page = client_as("director", unit="ESRSK").get("/").get_data(as_text=True)
    panel = page[page.index("Agreements needing attention"):]
    assert 'href="/agreements/dashboard?list=expiring_90"><span class="stat">3</span>' in panel
    assert 'href="/agreements/dashboard"' in panel
    assert "Agreements needing attention" not in client_as("staff", unit="ESRSK").get("/").get_data(as_text=True)
