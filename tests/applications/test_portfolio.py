"""The project portfolio: funded applications and Rise's own projects enter it, the list's filters and chart,
who may see and change what, the responsible person's follow-up, the evaluation only after the end, the overdue
list and the dashboard panels."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from registry.applications import portfolio, services
from registry.applications.models import (
    Application,
    ApplicationStatus,
    FollowUp,
    Funder,
    Project,
    ProjectOwner,
    ProjectStatus,
    Recommendation,
    StatementKind,
)
from registry.core.models import Unit, User
from registry.core.services import ServiceError
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


def _project(app, pid: int) -> Project:
    with app.app_context():
        project = db.session.get(Project, pid)
        project.follow_ups, project.application  # noqa: B018  (load before leaving the context)
        db.session.expunge_all()
        return project


def _unit_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


# --- entering the portfolio ---------------------------------------------------------------------------


def test_a_funded_application_enters_the_portfolio_with_its_data(app, make_application, make_user, make_partner):
    today = helsinki_today()
    partner = make_partner("Kotipolku ry")
    person = make_user("staff", unit="HELV")
    aid = make_application("Asumispolku", units=("HELV", "VANV"), themes=("housing",), partner_id=partner,
                           status="funding_decided", planned_start=today - timedelta(days=30),
                           planned_end=today + timedelta(days=700), funder="esr")
    with app.app_context():
        application = db.session.get(Application, aid)
        project = portfolio.add_from_application(application, responsible=db.session.get(User, person.id))
        db.session.commit()
        assert project.owner is ProjectOwner.PARTNER and project.name == "Asumispolku"
        assert project.partner_id == partner and project.funder is Funder.ESR
        assert project.unit.code == "HELV" and [t.code for t in project.themes] == ["housing"]
        assert project.description == application.description
        assert (project.starts_on, project.ends_on) == (application.planned_start, application.planned_end)
        assert project.status is ProjectStatus.RUNNING and application.status is ApplicationStatus.RUNNING
        assert project.next_follow_up_on == application.planned_start + relativedelta(months=6)
        assert portfolio.add_from_application(application) is project  # entered once

    later = make_application("Myöhemmin alkava", status="funding_decided", planned_start=today + timedelta(days=60),
                             planned_end=today + timedelta(days=400))
    with app.app_context():
        application = db.session.get(Application, later)
        project = portfolio.add_from_application(application, unit=db.session.scalar(
            select(Unit).where(Unit.code == "TURV")))
        assert project.status is ProjectStatus.PLANNED and project.unit.code == "TURV"
        assert application.status is ApplicationStatus.FUNDING_DECIDED  # running only once it starts
        assert project.responsible is None


def test_granted_funding_puts_the_project_in_the_portfolio(app, make_application, make_user):
    today = helsinki_today()
    person = make_user("staff", unit="HELV")
    aid = make_application("Rahoitettu hanke", status="statement_given", statement="favourable",
                           planned_start=today - timedelta(days=5), planned_end=today + timedelta(days=365))
    with app.app_context():
        application = db.session.get(Application, aid)
        project = services.record_funding(application, "granted", decided_on=today, amount=Decimal("50000"),
                                          unit=application.units[0], responsible=db.session.get(User, person.id))
        db.session.commit()
        assert project is not None and project.application_id == aid and project.responsible_id == person.id
        assert application.status is ApplicationStatus.RUNNING
        assert application.statement is StatementKind.FAVOURABLE


# --- pages and who may use them -----------------------------------------------------------------------


@pytest.fixture
def running(make_project, make_user):
    """A running project whose responsible person is a staff member, with an open follow-up."""
    today = helsinki_today()
    person = make_user("staff", unit="HELV", email="vastuu@rise.example")
    pid = make_project("Asumispolku", starts_on=today - timedelta(days=200), ends_on=today + timedelta(days=500),
                       responsible_id=person.id, next_follow_up_on=today - timedelta(days=17),
                       follow_ups=((today - timedelta(days=17), False),))
    return {"project": pid, "person": person}


@pytest.mark.parametrize(("roles", "allowed"), [
    (("staff",), {"/portfolio/", "/portfolio/{p}", "/portfolio/report.pdf", "/portfolio/{p}/follow-ups/{f}"}),
    (("admin",), {"/portfolio/", "/portfolio/{p}", "/portfolio/report.pdf", "/portfolio/{p}/follow-ups/{f}"}),
    (("director",), {"/portfolio/", "/portfolio/{p}", "/portfolio/report.pdf", "/portfolio/{p}/follow-ups/{f}"}),
    (("working_group",), {"/portfolio/", "/portfolio/{p}", "/portfolio/report.pdf", "/portfolio/{p}/follow-ups/{f}",
                          "/portfolio/new", "/portfolio/{p}/edit", "/applications/export.csv",
                          "/applications/export.xlsx"}),
])
def test_pages_per_role(app, client_as, running, roles, allowed):
    client = client_as(*roles)
    with app.app_context():
        fid = db.session.scalar(select(FollowUp.id))
    pages = {"/portfolio/", "/portfolio/{p}", "/portfolio/report.pdf", "/portfolio/{p}/follow-ups/{f}",
             "/portfolio/new", "/portfolio/{p}/edit", "/portfolio/{p}/evaluation", "/applications/export.csv",
             "/applications/export.xlsx"}
    for page in sorted(pages):
        url = page.format(p=running["project"], f=fid)
        status = client.get(url).status_code
        if page in allowed:
            assert status == 200, url
        elif page == "/portfolio/{p}/evaluation" and "working_group" in roles:
            assert status == 409, url  # a running project: evaluated after its end
        else:
            assert status == 403, url
    assert client.get("/portfolio/999999").status_code == 404
    assert client.get(f"/portfolio/{running['project']}/follow-ups/999999").status_code == 404


def test_the_responsible_person_fills_their_follow_up_but_another_staff_member_cannot(app, client_as, running,
                                                                                     make_project):
    from tests.conftest import login

    with app.app_context():
        fid = db.session.scalar(select(FollowUp.id))
    url = f"/portfolio/{running['project']}/follow-ups/{fid}"
    other = client_as("staff")
    page = other.get(url)
    assert page.status_code == 200 and 'name="progress"' not in page.get_data(as_text=True)  # read only
    assert post(other, url, {"progress": "Kaapattu"}).status_code == 403
    assert _project(app, running["project"]).follow_ups[0].submitted_at is None

    mine = app.test_client()
    login(mine, running["person"])
    post(mine, "/language", {"lang": "en"})
    form = mine.get(url).get_data(as_text=True)
    assert 'name="progress"' in form and "Overdue" in form
    empty = post(mine, url, {"progress": "  ", "risks": "Ei riskejä"})
    assert empty.status_code == 400
    body = empty.get_data(as_text=True)
    assert "Describe the progress of the project." in body and "Ei riskejä" in body  # the input is kept
    done = post(mine, url, {"progress": "Tukiasunnot käytössä.", "risks": "", "next_steps": "Laajennus Vantaalle."})
    assert done.status_code == 302
    project = _project(app, running["project"])
    (follow_up,) = project.follow_ups
    assert follow_up.progress == "Tukiasunnot käytössä." and follow_up.submitted_by_id == running["person"].id
    assert follow_up.next_steps == "Laajennus Vantaalle." and follow_up.risks is None
    today = helsinki_today()
    assert project.next_follow_up_on is not None and project.next_follow_up_on >= today

    other_project = make_project("Toinen hanke", follow_ups=((today, False),))
    with app.app_context():
        foreign = db.session.scalar(select(FollowUp.id).where(FollowUp.project_id == other_project))
    assert mine.get(f"/portfolio/{running['project']}/follow-ups/{foreign}").status_code == 404
    assert post(mine, f"/portfolio/{other_project}/follow-ups/{foreign}", {"progress": "x"}).status_code == 403
    assert post(client_as("working_group"), f"/portfolio/{other_project}/follow-ups/{foreign}",
                {"progress": "Työryhmä täytti."}).status_code == 302


def _project_form(app, **overrides: Any) -> dict[str, Any]:
    data = {"name": "Digitaidot vankilassa", "description": "Rikosseuraamuslaitoksen oma kehittämishanke.",
            "funder": "", "unit": str(_unit_id(app, "PROJ")), "responsible": "0", "starts_on": "", "ends_on": "",
            "themes": []}
    data.update(overrides)
    return data


def test_working_group_adds_an_own_project_and_input_errors_are_shown(app, client_as, reference):
    client = client_as("working_group")
    today = helsinki_today()
    start = today - timedelta(days=10)
    response = post(client, "/portfolio/new", _project_form(app, starts_on=start.isoformat(), responsible=str(
        client.user.id), ends_on=(today + timedelta(days=700)).isoformat()))
    assert response.status_code == 302
    pid = int(response.headers["Location"].rstrip("/").split("/")[-1])
    project = _project(app, pid)
    assert project.owner is ProjectOwner.RISE and project.status is ProjectStatus.RUNNING and project.funder is None
    assert project.responsible_id == client.user.id and project.application is None
    assert project.next_follow_up_on == start + relativedelta(months=6)

    bad = post(client, "/portfolio/new", _project_form(app, name="Takaperin", starts_on="2026-05-01",
                                                       ends_on="2026-04-01"))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "The end date must not be before the start date." in page and 'value="Takaperin"' in page
    for junk in ({"name": ""}, {"unit": "0"}, {"unit": "999999"}, {"starts_on": "31.2.2026"}, {"funder": "x"},
                 {"responsible": "abc"}, {"themes": ["999999"]}, {"name": "x" * 400}):
        response = post(client, "/portfolio/new", _project_form(app, **junk))
        assert response.status_code == 400, junk
    with app.app_context():
        assert db.session.scalar(select(Project.id).where(Project.name == "Takaperin")) is None


def test_evaluation_only_after_the_end(app, client_as, make_application, make_user):
    today = helsinki_today()
    aid = make_application("Arvioitava hanke", status="funding_decided", planned_start=today - timedelta(days=400),
                           planned_end=today + timedelta(days=30))
    with app.app_context():
        project = portfolio.add_from_application(db.session.get(Application, aid))
        db.session.commit()
        pid = project.id
    client = client_as("working_group")
    form = {"outputs": "Toimintamalli ja opas.", "wider_use": "Sopii kaikkiin vankiloihin.",
            "recommendation": "adopt_nationally"}
    early = client.get(f"/portfolio/{pid}/evaluation")
    assert early.status_code == 409 and "evaluated after it has ended" in early.get_data(as_text=True)
    assert post(client, f"/portfolio/{pid}/evaluation", form).status_code == 409
    with app.app_context(), pytest.raises(ServiceError):
        portfolio.record_evaluation(db.session.get(Project, pid), "a", "b", Recommendation.DO_NOT_ADOPT, None)
    assert _project(app, pid).status is ProjectStatus.RUNNING

    # The working group ends the project on its edit page; the evaluation form opens.
    edit = client.get(f"/portfolio/{pid}/edit").get_data(as_text=True)
    values = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', edit))
    ended = post(client, f"/portfolio/{pid}/edit", _project_form(
        app, name=values["name"], unit=str(_unit_id(app, "HELV")), starts_on=values["starts_on"],
        ends_on=values["ends_on"], status="ended", funder="stea"))
    assert ended.status_code == 302
    project = _project(app, pid)
    assert project.status is ProjectStatus.ENDED and project.ends_on == today
    assert project.application.status is ApplicationStatus.ENDED

    missing = post(client, f"/portfolio/{pid}/evaluation", {**form, "wider_use": ""})
    assert missing.status_code == 400 and "usability beyond the project" in missing.get_data(as_text=True)
    assert post(client, f"/portfolio/{pid}/evaluation", {**form, "recommendation": "bogus"}).status_code == 400
    assert post(client, f"/portfolio/{pid}/evaluation", form).status_code == 302
    project = _project(app, pid)
    assert project.status is ProjectStatus.EVALUATED and project.recommendation is Recommendation.ADOPT_NATIONALLY
    assert project.evaluation_wider_use == "Sopii kaikkiin vankiloihin." and project.evaluated_by_id == client.user.id
    assert project.application.status is ApplicationStatus.EVALUATED and project.next_follow_up_on is None
    page = client.get(f"/portfolio/{pid}").get_data(as_text=True)
    assert "Adopt nationally" in page and "Toimintamalli ja opas." in page
    # An evaluated project's status no longer changes on the edit page.
    assert 'name="status"' not in client.get(f"/portfolio/{pid}/edit").get_data(as_text=True)


# --- the list: filters, chart, query count --------------------------------------------------------------


@pytest.fixture
def listed(make_project, make_partner):
    partner = make_partner("Polkuyhdistys ry")
    return {
        "Asumispolku": make_project("Asumispolku", unit="HELV", themes=("housing",), partner_id=partner),
        "Opintopolku": make_project("Opintopolku", status="planned", funder="esr", unit="TURV",
                                    themes=("education_work",)),
        "Digikehitys": make_project("Digikehitys", owner="rise", funder=None, unit="PROJ"),
        "Päättynyt vertaistuki": make_project("Päättynyt vertaistuki", status="ended", unit="OULV"),
        "Arvioitu malli": make_project("Arvioitu malli", status="evaluated", funder="other", unit="HELYKS"),
    }


def _names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/portfolio/\d+">([^<]+)</a>', page)


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["Arvioitu malli", "Asumispolku", "Digikehitys", "Opintopolku", "Päättynyt vertaistuki"]),
    ("status=running", ["Asumispolku", "Digikehitys"]),
    ("funder=stea", ["Asumispolku", "Päättynyt vertaistuki"]),
    ("funder=none", ["Digikehitys"]),
    ("centre=ESRSK", ["Arvioitu malli", "Asumispolku"]),
    ("centre=IPRSK&status=ended", ["Päättynyt vertaistuki"]),
    ("theme=housing", ["Asumispolku"]),
    ("owner=rise", ["Digikehitys"]),
    ("owner=partner&funder=esr", ["Opintopolku"]),
    ("q=polku", ["Asumispolku", "Opintopolku"]),
    ("q=polkuyhdistys", ["Asumispolku"]),  # the partner's name
    ("status=bogus", []), ("centre=HELV", []), ("q=polku+eiole", []),
])
def test_portfolio_filters(app, client_as, listed, query, expected):
    response = client_as("staff").get(f"/portfolio/?{query}")
    assert response.status_code == 200
    assert _names(response.get_data(as_text=True)) == expected


def _chart_table(page: str) -> dict[str, list[str]]:
    table = page.split('id="chart-table"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">([^<]+)</th>(.*?)</tr>", table, re.S):
        rows[row[0]] = re.findall(r"<td>(\d+)</td>", row[1])
    return rows


def test_chart_counts_projects_by_status_and_funder_with_a_table_of_the_same(app, client_as, listed):
    page = client_as("staff").get("/portfolio/").get_data(as_text=True)
    assert '<svg class="timeline"' in page and 'role="img"' in page
    assert 'aria-labelledby="chart-title chart-desc"' in page
    header = page.split('id="chart-table"', 1)[1].split("</thead>", 1)[0]
    assert re.findall(r'<th scope="col">([^<]+)</th>', header) == [
        "Status", "STEA", "European Social Fund (ESR)", "Other", "No external funder", "Total"]
    rows = _chart_table(page)
    assert rows["Running"] == ["1", "0", "0", "1", "2"]
    assert rows["Planned"] == ["0", "1", "0", "0", "1"]
    assert rows["Ended"] == ["1", "0", "0", "0", "1"] and rows["Evaluated"] == ["0", "0", "1", "0", "1"]
    assert rows["Total"] == ["2", "1", "1", "1", "5"]
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count("<rect") == 5  # one bar per non-zero count, each with its label and number as text
    assert "<title>Running, STEA: 1</title>" in svg and "No external funder" in svg

    filtered = _chart_table(client_as("staff").get("/portfolio/?centre=ESRSK").get_data(as_text=True))
    assert filtered["Total"] == ["1", "0", "1", "0", "2"]


def test_the_list_needs_the_same_queries_for_few_and_many_projects(app, client_as, make_project, make_user,
                                                                   count_queries):
    client = client_as("staff")
    person = make_user("staff")
    for n in range(3):
        make_project(f"Hanke {n}", responsible_id=person.id, themes=("housing",))
    with count_queries() as few:
        assert client.get("/portfolio/").status_code == 200
    for n in range(3, 12):
        make_project(f"Hanke {n}", responsible_id=person.id, themes=("housing",), owner="rise")
    with count_queries() as many:
        assert client.get("/portfolio/").status_code == 200
    assert len(many) == len(few)


# --- overdue follow-ups and the dashboard ---------------------------------------------------------------


def test_overdue_list_and_dashboard_panels(app, client_as, make_project, make_user):
    from tests.conftest import login

    today = helsinki_today()
    person = make_user("staff", email="vastuuhenkilo@rise.example")
    overdue = make_project("Myöhässä oleva", responsible_id=person.id,
                           follow_ups=((today - timedelta(days=1), False), (today - timedelta(days=190), True)))
    make_project("Tänään erääntyvä", responsible_id=person.id, follow_ups=((today, False),))
    make_project("Ajallaan", follow_ups=((today - timedelta(days=3), True),))
    make_project("Arvioitu", status="evaluated", follow_ups=((today - timedelta(days=100), False),))
    with app.app_context():
        found = portfolio.overdue_follow_ups(today)
        assert [(f.project.name, f.due_on) for f in found] == [("Myöhässä oleva", today - timedelta(days=1))]
        assert portfolio.overdue_follow_ups(today, responsible_id=person.id)[0].project_id == overdue
        assert portfolio.overdue_follow_ups(today + timedelta(days=1), responsible_id=person.id)[1].due_on == today

    group = client_as("working_group").get("/").get_data(as_text=True)
    assert "Overdue follow-ups" in group and "Myöhässä oleva" in group and "Tänään erääntyvä" not in group

    mine = app.test_client()
    login(mine, person)
    post(mine, "/language", {"lang": "en"})
    page = mine.get("/").get_data(as_text=True)
    assert "Your follow-ups due" in page and "Myöhässä oleva" in page and "Tänään erääntyvä" in page
    assert "Overdue follow-ups" not in page
    assert "Project follow-ups" not in client_as("staff").get("/").get_data(as_text=True)
    assert 'href="/portfolio/"' in client_as("staff").get("/").get_data(as_text=True)  # the navigation


def test_editing_keeps_the_status_and_the_dates_consistent(app, client_as, make_project):
    today = helsinki_today()
    pid = make_project("Muokattava", starts_on=today - timedelta(days=100), ends_on=today + timedelta(days=300))
    client = client_as("working_group")
    later = (today + timedelta(days=20)).isoformat()
    form = _project_form(app, name="Muokattava", unit=str(_unit_id(app, "HELV")), funder="stea",
                         starts_on=later, ends_on=(today + timedelta(days=300)).isoformat(), status="running")
    refused = post(client, f"/portfolio/{pid}/edit", form)
    assert refused.status_code == 400 and "planned, not running" in refused.get_data(as_text=True)
    ended = post(client, f"/portfolio/{pid}/edit", {**form, "starts_on": (today - timedelta(days=100)).isoformat(),
                                                   "status": "ended"})
    assert ended.status_code == 302  # ended by hand today: the end date becomes today
    project = _project(app, pid)
    assert project.status is ProjectStatus.ENDED and project.ends_on == today and project.next_follow_up_on is None
    future_end = post(client, f"/portfolio/{pid}/edit", {**form, "starts_on": (today - timedelta(days=100))
                                                        .isoformat(), "status": "ended"})
    assert future_end.status_code == 400 and "cannot be in the future" in future_end.get_data(as_text=True)
    planned = post(client, f"/portfolio/{pid}/edit", {**form, "status": "planned"})
    assert planned.status_code == 302
    project = _project(app, pid)
    assert project.status is ProjectStatus.PLANNED
    assert project.next_follow_up_on == today + timedelta(days=20) + relativedelta(months=6)
