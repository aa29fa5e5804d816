"""The list of people with access to units: latest engine decision, flags, filters, a director's reach and a
query count that does not grow with the rows."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from registry.access.models import Assessment, Concern, ConcernKind, EngineDecision
from registry.core.models import utcnow
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.access.conftest import unit_id
from tests.conftest import post


@pytest.fixture
def client_as(client_as):
    """Signed-in clients that use the English UI, so the assertions below do not depend on the catalogues."""

    def factory(*roles, **kwargs):
        client = client_as(*roles, **kwargs)
        post(client, "/language", {"lang": "en"})
        return client

    return factory


# --- the list -------------------------------------------------------------------------------------


def _names(page):
    return re.findall(r'<th scope="row"><a href="/people/\d+">([^<]+)</a>', page)


def _assess(app, assignment_id, decision, minutes_ago):
    with app.app_context():
        db.session.add(Assessment(assignment_id=assignment_id, as_of=date(2025, 1, 1), engine_version="1",
                                  parameters_version="test", inputs={}, result={},
                                  decision=EngineDecision(decision), run_at=utcnow() - timedelta(minutes=minutes_ago)))
        db.session.commit()


def test_people_list_shows_decisions_and_flags_and_filters(app, reference, client_as, make_person, make_partner,
                                                           make_assignment, make_clearance):
    today = helsinki_today()
    pid = make_partner("Kokemusasiantuntijat ry")
    aino = make_person(name="Aino Arvio", partner_id=pid)
    bertta = make_person(name="Bertta Huoli", role="volunteer")
    cecilia = make_person(name="Cecilia Vanhenee", role="partner_employee", partner_id=pid)
    make_person(name="Dora Rikosasia", open_criminal_case=True)
    eero = make_person(name="Eero 100%_Erikoinen")
    first = make_assignment(aino, unit="HELV")
    _assess(app, first, "not_eligible", 10)
    _assess(app, make_assignment(aino, unit="TURV"), "eligible", 5)
    make_assignment(bertta, unit="TURV")
    with app.app_context():
        db.session.add(Concern(person_id=bertta, kind=ConcernKind.SUBSTANCE_PROBLEM, reported_on=today))
        db.session.commit()
    make_clearance(person_id=cecilia, valid_until=today + timedelta(days=59))
    make_clearance(person_id=eero, valid_until=today - timedelta(days=1))
    make_clearance(person_id=aino, valid_until=today - timedelta(days=1))
    make_clearance(person_id=aino, valid_until=None)  # an open-ended one: nothing expires
    client = client_as("coordinator")
    page = client.get("/people/").get_data(as_text=True)
    assert _names(page) == ["Aino Arvio", "Bertta Huoli", "Cecilia Vanhenee", "Dora Rikosasia",
                            "Eero 100%_Erikoinen"]
    row = {name: page.split(f">{name}</a>")[1].split("</tr>")[0] for name in _names(page)}
    assert "Eligible" in row["Aino Arvio"] and "Not eligible" not in row["Aino Arvio"]
    assert "Kokemusasiantuntijat ry" in row["Aino Arvio"] and "Clearance" not in row["Aino Arvio"]
    assert "Open concern" in row["Bertta Huoli"] and "Not assessed" in row["Bertta Huoli"]
    assert "Clearance expiring within 60 days" in row["Cecilia Vanhenee"]
    assert "Open criminal case" in row["Dora Rikosasia"]
    assert "Clearance expired" in row["Eero 100%_Erikoinen"]

    def names(**args):
        return _names(client.get("/people/", query_string=args).get_data(as_text=True))

    assert names(q="huoli") == ["Bertta Huoli"]
    assert names(q="100%_") == ["Eero 100%_Erikoinen"] and names(q="%") == ["Eero 100%_Erikoinen"]
    assert names(role="volunteer") == ["Bertta Huoli"]
    assert names(partner=pid) == ["Aino Arvio", "Cecilia Vanhenee"]
    with app.app_context():
        turku = unit_id("TURV")
    assert names(unit=turku) == ["Aino Arvio", "Bertta Huoli"]
    assert names(flag="open_concern") == ["Bertta Huoli"]
    assert names(flag="clearance_expiring") == ["Cecilia Vanhenee"]
    assert names(flag="clearance_expired") == ["Eero 100%_Erikoinen"]
    assert names(flag="open_case") == ["Dora Rikosasia"]
    assert len(names(role="<x>", partner="abc", unit="99999999999999", flag="'; --", page="-1")) == 5
    assert names(q="x" * 3000) == []
    director = client_as("director", unit="LSRSK")  # Turku is in Western Finland
    assert _names(director.get("/people/").get_data(as_text=True)) == ["Aino Arvio", "Bertta Huoli"]


def test_people_list_query_count_does_not_grow_with_rows(app, reference, client_as, make_person, make_partner,
                                                        make_assignment, make_clearance, count_queries):
    client = client_as("coordinator")
    today = helsinki_today()

    def add(n):
        for i in range(n):
            pid = make_partner(f"Kumppani {i} ry")
            person_id = make_person(name=f"Henkilö {i}", partner_id=pid, open_criminal_case=i % 2 == 0)
            _assess(app, make_assignment(person_id), "needs_review", i)
            make_clearance(person_id=person_id, valid_until=today + timedelta(days=i))
            with app.app_context():
                db.session.add(Concern(person_id=person_id, kind=ConcernKind.OTHER, reported_on=today))
                db.session.commit()

    def count():
        client.get("/people/")
        with count_queries() as statements:
            assert client.get("/people/").status_code == 200
        return len(statements)

    add(2)
    few = count()
    add(12)
    assert count() == few
