"""Networks: who may change them, the pages (list with filters and a constant query count, creating and editing
with kept input), members and their liaisons, yearly evaluations, following, and "my" networks."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.core.models import Unit, User
from registry.core.services import ServiceError
from registry.directory.models import Contact, Partner, Theme
from registry.extensions import db
from registry.i18n import today as helsinki_today
from registry.meetings import queries, services
from registry.meetings.models import (
    Cadence,
    MeetingSeries,
    Network,
    NetworkLevel,
    NetworkMember,
    Occurrence,
    OccurrenceStatus,
)
from tests.conftest import post


def _unit_ids(app: Flask, *codes: str) -> list[str]:
    with app.app_context():
        found = {u.code: str(u.id) for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
        return [found[c] for c in codes]


def _form(app: Flask, **overrides: Any) -> dict[str, Any]:
    (esrsk,) = _unit_ids(app, "ESRSK")
    data = {"name_fi": "Asunnottomuustyön verkosto", "name_sv": "", "name_en": "", "theme": "0", "level": "centre",
            "centre": esrsk, "convenor_unit": esrsk, "facilitator_unit": "0", "cadence": "quarterly",
            "cadence_note": "", "goals": ""}
    data.update(overrides)
    return data


def _user(ref: Any) -> User:
    return db.session.get(User, ref.id)


# --- may_change ---------------------------------------------------------------------------------


def test_may_change_matrix(app: Flask, make_network: Any, make_user: Any) -> None:
    esrsk = make_network("Etelä", centre_code="ESRSK")
    lsrsk_helv = make_network("Länsi, Helsingin vankila fasilitoi", centre_code="LSRSK", facilitator_code="HELV")
    national_aspr = make_network("Kansallinen ASPR", level="national", convenor_code="RISE-ASPR")
    national_oper = make_network("Kansallinen OPER", level="national", convenor_code="RISE-OPER")
    prison_convened = make_network("Vankilan verkosto", centre_code="LSRSK", convenor_code="HELV")
    users = {
        "admin": make_user("admin"),
        "director ESRSK": make_user("director", unit="ESRSK"),
        "director HELV": make_user("director", unit="HELV"),
        "director LSRSK": make_user("director", unit="LSRSK"),
        "director RISE-ASPR": make_user("director", unit="RISE-ASPR"),
        "director without unit": make_user("director"),
        "staff ESRSK": make_user("staff", unit="ESRSK"),
        "working group ESRSK": make_user("working_group", unit="ESRSK"),
    }
    expected = {  # (esrsk, lsrsk_helv, national_aspr, national_oper, prison_convened)
        "admin": (True, True, True, True, True),
        "director ESRSK": (True, True, False, False, True),  # HELV is under ESRSK
        "director HELV": (False, True, False, False, True),
        "director LSRSK": (False, True, False, False, True),
        "director RISE-ASPR": (False, False, True, False, False),
        "director without unit": (False, False, False, False, False),
        "staff ESRSK": (False, False, False, False, False),
        "working group ESRSK": (False, False, False, False, False),
    }
    with app.app_context():
        networks = [db.session.get(Network, i) for i in (esrsk, lsrsk_helv, national_aspr, national_oper,
                                                         prison_convened)]
        for who, ref in users.items():
            got = tuple(services.may_change(_user(ref), n) for n in networks)
            assert got == expected[who], who
        assert not services.may_change(None, networks[0])


def test_a_national_area_director_changes_only_national_networks_it_convenes(app: Flask, make_network: Any,
                                                                               make_user: Any) -> None:
    centre_network = make_network("ASPR:n koolle kutsuma keskusverkosto", centre_code="IPRSK",
                                  convenor_code="IPRSK")
    national = make_network("Kansallinen", level="national", convenor_code="RISE-ASPR")
    director = make_user("director", unit="RISE-ASPR")
    with app.app_context():
        user = _user(director)
        assert services.may_change(user, db.session.get(Network, national))
        assert not services.may_change(user, db.session.get(Network, centre_network))


# --- user_network_ids ---------------------------------------------------------------------------


def test_user_network_ids(app: Flask, make_network: Any, make_series: Any, make_user: Any, make_partner: Any,
                          make_contact: Any) -> None:
    partner = make_partner()
    own_centre = make_network("Oma keskus", centre_code="ESRSK")
    facilitated = make_network("Vankila fasilitoi", centre_code="LSRSK", convenor_code="LSRSK",
                               facilitator_code="VANV")
    elsewhere = make_network("Muualla", centre_code="IPRSK")
    as_liaison = make_network("Yhdyshenkilönä", centre_code="IPRSK",
                              members=[(partner, make_contact("Liisa", partner_id=partner,
                                                              email="Liisa.Liaison@Rise.example"))])
    as_attendee = make_network("Osallistujana", level="national", convenor_code="RISE-OPER")
    followed = make_network("Seurattu", level="national", convenor_code="RISE-KEOH")
    staff = make_user("staff", unit="ESRSK", email="liisa.liaison@rise.example")
    other = make_user("staff")
    series_id = make_series(as_attendee)
    attendee = make_contact("Liisa Rise", unit="ESRSK", email="liisa.liaison@rise.example")
    with app.app_context():
        db.session.get(MeetingSeries, series_id).attendees = [db.session.get(Contact, attendee)]
        db.session.get(Network, followed).followers = [_user(staff)]
        db.session.commit()
        assert queries.user_network_ids(_user(staff)) == sorted(
            [own_centre, facilitated, as_liaison, as_attendee, followed])
        assert elsewhere not in queries.user_network_ids(_user(staff))
        assert queries.user_network_ids(_user(other)) == []
        assert queries.user_network_ids(None) == []


# --- creating and editing -----------------------------------------------------------------------


def test_new_network_form_starts_from_the_directors_own_centre(app: Flask, reference: None, client_as: Any) -> None:
    client = client_as("director", unit="HELV")
    page = client.get("/networks/new").get_data(as_text=True)
    (esrsk, helv) = _unit_ids(app, "ESRSK", "HELV")
    assert re.search(rf'<option selected value="{esrsk}">', page.split('id="centre"')[1].split("</select>")[0])
    assert re.search(rf'<option selected value="{helv}">', page.split('id="convenor_unit"')[1].split("</select>")[0])
    assert 'name="active"' not in page
    select = page.split('id="theme"')[1].split("</select>")[0]
    themes = re.findall(r'<option (?:selected )?value="\d+">([^<]+)</option>', select)
    assert themes[1:6] == ["a) Education and working life", "b) Substance abuse and mental health",
                          "c) Housing and homelessness work", "d) Young people and child welfare",
                          "e) Rehabilitation services"]
    assert themes[0] == "—" and "Research" in themes[6:]


def test_create_a_network_through_the_page(app: Flask, reference: None, client_as: Any) -> None:
    client = client_as("director", unit="ESRSK")
    with app.app_context():
        theme_id = str(db.session.scalar(select(Theme.id).where(Theme.code == "housing")))
    response = post(client, "/networks/new", _form(
        app, name_sv="Nätverket för bostadslöshet", name_en="Homelessness network", theme=theme_id,
        cadence="three_four_a_year", cadence_note="helmi-, touko- ja lokakuussa",
        goals="Asunto ensin.\nYhteiset käytännöt."))
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<dd lang="sv">Nätverket för bostadslöshet</dd>' in page
    assert '<dd lang="en">Homelessness network</dd>' in page
    assert "Housing and homelessness work" in page and "3–4 times a year" in page
    assert "helmi-, touko- ja lokakuussa" in page and "Asunto ensin." in page
    assert "<h1>Homelessness network</h1>" in page  # the English UI shows the English name
    with app.app_context():
        network = db.session.scalar(select(Network))
        assert network.level is NetworkLevel.CENTRE and network.centre.code == "ESRSK" and network.active
        assert network.cadence is Cadence.THREE_FOUR_A_YEAR and network.theme.code == "housing"


def test_form_errors_keep_the_input(app: Flask, reference: None, client_as: Any) -> None:
    client = client_as("director", unit="ESRSK")
    response = post(client, "/networks/new", _form(app, name_fi="", name_sv="Nätverk", goals="Tavoite"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name_fi-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Nätverk"' in page and "Tavoite</textarea>" in page
    response = post(client, "/networks/new", _form(app, centre="0", name_en="Kept name"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A sanction centre&#39;s network needs its sanction centre." in page
    assert 'value="Kept name"' in page
    with app.app_context():
        assert db.session.scalar(select(Network)) is None


def test_a_director_cannot_create_a_network_outside_their_scope(app: Flask, reference: None, client_as: Any) -> None:
    client = client_as("director", unit="HELV")
    (lsrsk, helv) = _unit_ids(app, "LSRSK", "HELV")
    # Convened by their own prison but for another centre: allowed (the convenor is in scope).
    assert post(client, "/networks/new", _form(app, centre=lsrsk, convenor_unit=helv)).status_code == 302
    # A convenor outside the scope is not among the choices.
    response = post(client, "/networks/new", _form(app, name_fi="Toinen", centre=lsrsk, convenor_unit=lsrsk))
    assert response.status_code == 400
    with app.app_context():
        assert [n.name_fi for n in db.session.scalars(select(Network))] == ["Asunnottomuustyön verkosto"]


def test_a_national_network_has_no_centre(app: Flask, reference: None, client_as: Any) -> None:
    client = client_as("director", unit="RISE-ASPR")
    (aspr,) = _unit_ids(app, "RISE-ASPR")
    response = post(client, "/networks/new", _form(app, level="national", convenor_unit=aspr))
    assert response.status_code == 302
    with app.app_context():
        network = db.session.scalar(select(Network))
        assert network.level is NetworkLevel.NATIONAL and network.centre_id is None


def test_edit_a_network(app: Flask, client_as: Any, make_network: Any) -> None:
    network_id = make_network("Vanha nimi", theme="housing")
    client = client_as("director", unit="ESRSK")
    page = client.get(f"/networks/{network_id}/edit").get_data(as_text=True)
    assert 'value="Vanha nimi"' in page and 'name="active"' in page
    (esrsk,) = _unit_ids(app, "ESRSK")
    response = post(client, f"/networks/{network_id}/edit", _form(app, name_fi="Uusi nimi", cadence="monthly"))
    assert response.status_code == 302
    with app.app_context():
        network = db.session.get(Network, network_id)
        assert network.name_fi == "Uusi nimi" and network.cadence is Cadence.MONTHLY and not network.active
        assert network.theme is None


def test_change_pages_are_refused(app: Flask, client_as: Any, make_network: Any, make_partner: Any) -> None:
    partner = make_partner()
    network_id = make_network(members=[partner], centre_code="LSRSK")
    with app.app_context():
        member_id = db.session.scalar(select(NetworkMember.id))
    pages = [f"/networks/{network_id}/edit", f"/networks/{network_id}/members/new",
             f"/networks/{network_id}/members/{member_id}", f"/networks/{network_id}/evaluations/new"]
    for client in (client_as("staff", unit="LSRSK"), client_as("director", unit="ESRSK")):
        for url in pages:
            assert client.get(url).status_code == 403, url
            assert post(client, url, {}).status_code == 403, url
        assert post(client, f"/networks/{network_id}/members/{member_id}/remove").status_code == 403
    staff = client_as("staff")
    assert staff.get("/networks/new").status_code == 403
    assert post(staff, "/networks/new", _form(app)).status_code == 403
    assert staff.get(f"/networks/{network_id}").status_code == 200  # everyone reads
    assert staff.get("/networks/999999").status_code == 404
    director = client_as("director", unit="LSRSK")
    assert director.get(f"/networks/{network_id}/members/999999").status_code == 404


# --- members and liaisons -----------------------------------------------------------------------


def test_add_members_with_and_without_a_liaison(app: Flask, client_as: Any, make_network: Any, make_partner: Any,
                                                make_contact: Any) -> None:
    network_id = make_network()
    kela = make_partner("Kela")
    liaison = make_contact("Kaisa Kela", partner_id=kela, email="kaisa@kela.example", phone="+358401234567")
    other = make_partner("Toinen ry")
    stranger = make_contact("Muu Henkilö", partner_id=other)
    client = client_as("director", unit="ESRSK")
    # Listing the chosen partner's contacts saves nothing.
    page = post(client, f"/networks/{network_id}/members/new", {"partner": kela, "step": "contacts"})
    assert page.status_code == 200 and "Kaisa Kela" in page.get_data(as_text=True)
    assert "Muu Henkilö" not in page.get_data(as_text=True)
    # A contact of another partner is refused, the input kept.
    response = post(client, f"/networks/{network_id}/members/new", {"partner": kela, "liaison": stranger,
                                                                    "joined_on": "2026-01-15"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The liaison must be a contact of this partner." in page and 'value="2026-01-15"' in page
    response = post(client, f"/networks/{network_id}/members/new", {"partner": kela, "liaison": liaison})
    assert response.status_code == 302
    response = post(client, f"/networks/{network_id}/members/new", {"partner": other, "liaison": "0"})
    assert response.status_code == 302
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    assert "Kaisa Kela" in page and "mailto:kaisa@kela.example" in page
    assert "No liaison named" in page and 'id="members-without-liaison"' in page
    # The same partner twice is refused.
    response = post(client, f"/networks/{network_id}/members/new", {"partner": kela, "liaison": liaison})
    assert response.status_code == 400
    assert "This partner is already a member of the network." in response.get_data(as_text=True)
    # Naming the liaison later clears the flag.
    with app.app_context():
        member_id = db.session.scalar(select(NetworkMember.id).where(NetworkMember.partner_id == other))
    assert post(client, f"/networks/{network_id}/members/{member_id}",
                {"liaison": stranger, "joined_on": ""}).status_code == 302
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    assert "No liaison named" not in page and 'id="members-without-liaison"' not in page
    assert post(client, f"/networks/{network_id}/members/{member_id}/remove").status_code == 302
    with app.app_context():
        assert [m.partner_id for m in db.session.scalars(select(NetworkMember))] == [kela]


def test_member_services(app: Flask, make_network: Any, make_partner: Any, make_contact: Any) -> None:
    network_id = make_network()
    partner_id = make_partner()
    own = make_contact(partner_id=partner_id)
    inactive = make_contact("Entinen", partner_id=partner_id, active=False)
    other = make_contact("Muu", partner_id=make_partner("Muu ry"))
    rise = make_contact("Rise-henkilö", unit="ESRSK")
    with app.app_context():
        network = db.session.get(Network, network_id)
        partner = db.session.get(Partner, partner_id)
        for contact_id in (other, rise, inactive):
            with pytest.raises(ServiceError) as refused:
                services.add_member(network, partner, liaison=db.session.get(Contact, contact_id))
            assert refused.value.field == "liaison"
        member = services.add_member(network, partner, liaison=db.session.get(Contact, own))
        with pytest.raises(ServiceError):
            services.update_member(member, liaison=db.session.get(Contact, other))
        services.update_member(member, liaison=None, joined_on=date(2025, 5, 1))
        assert member.liaison is None and member.joined_on == date(2025, 5, 1)
        partner.active = False
        with pytest.raises(ServiceError):
            services.add_member(network, db.session.get(Partner, partner_id))


# --- evaluations --------------------------------------------------------------------------------


def test_one_evaluation_per_year(app: Flask, client_as: Any, make_network: Any) -> None:
    network_id = make_network(goals="Yhteinen ohjausmalli")
    client = client_as("director", unit="ESRSK")
    page = client.get(f"/networks/{network_id}/evaluations/new").get_data(as_text=True)
    last_year = helsinki_today().year - 1
    assert f'value="{last_year}"' in page and "Yhteinen ohjausmalli" in page
    data = {"year": str(last_year), "goals_met": "partly", "results": "Kolme koulutusta", "changes": "Enemmän"}
    assert post(client, f"/networks/{network_id}/evaluations/new", data).status_code == 302
    response = post(client, f"/networks/{network_id}/evaluations/new", {**data, "results": "Toinen"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"The evaluation of {last_year} has already been recorded." in page and "Toinen</textarea>" in page
    response = post(client, f"/networks/{network_id}/evaluations/new", {**data, "year": str(last_year + 2)})
    assert response.status_code == 400
    response = post(client, f"/networks/{network_id}/evaluations/new", {"year": str(last_year - 1)})
    assert response.status_code == 400 and "Choose whether the goals were met." in response.get_data(as_text=True)
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    assert f"{last_year}: Goals partly met" in page and "Kolme koulutusta" in page


# --- following ----------------------------------------------------------------------------------


def test_follow_toggle(app: Flask, client_as: Any, make_network: Any) -> None:
    network_id = make_network(centre_code="IPRSK")
    client = client_as("staff", unit="ESRSK")
    assert "Follow this network" in client.get(f"/networks/{network_id}").get_data(as_text=True)
    response = post(client, f"/networks/{network_id}/follow")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You now follow" in page and "Stop following" in page
    with app.app_context():
        assert queries.user_network_ids(db.session.get(User, client.user.id)) == [network_id]
    post(client, f"/networks/{network_id}/follow")
    with app.app_context():
        assert queries.user_network_ids(db.session.get(User, client.user.id)) == []
        assert db.session.get(Network, network_id).followers == []


# --- the list -----------------------------------------------------------------------------------


def _listed(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/networks/\d+">([^<]+)</a>', page)


def test_list_filters(app: Flask, client_as: Any, make_network: Any, make_partner: Any) -> None:
    kela = make_partner("Kansaneläkelaitos")
    make_network("Asuminen Etelä", theme="housing", members=[kela])
    make_network("Päihteet Länsi", centre_code="LSRSK", theme="substance_mental", cadence="monthly")
    make_network("Syyttäjät", level="national", convenor_code="RISE-OPER", cadence="yearly")
    make_network("Lopetettu", active=False)
    client = client_as("staff", unit="LSRSK")
    assert _listed(client.get("/networks/").get_data(as_text=True)) == ["Asuminen Etelä", "Päihteet Länsi",
                                                                       "Syyttäjät"]
    assert _listed(client.get("/networks/?theme=housing").get_data(as_text=True)) == ["Asuminen Etelä"]
    assert _listed(client.get("/networks/?level=national").get_data(as_text=True)) == ["Syyttäjät"]
    assert _listed(client.get("/networks/?centre=LSRSK").get_data(as_text=True)) == ["Päihteet Länsi"]
    assert _listed(client.get("/networks/?cadence=yearly").get_data(as_text=True)) == ["Syyttäjät"]
    assert _listed(client.get("/networks/?q=kansanel").get_data(as_text=True)) == ["Asuminen Etelä"]
    assert _listed(client.get("/networks/?active=0").get_data(as_text=True)) == ["Lopetettu"]
    assert len(_listed(client.get("/networks/?active=all").get_data(as_text=True))) == 4
    assert _listed(client.get("/networks/?mine=1").get_data(as_text=True)) == ["Päihteet Länsi"]
    assert _listed(client.get("/networks/?level=nonsense").get_data(as_text=True)) == []
    page = client.get("/networks/").get_data(as_text=True)
    assert "1 without a liaison" in page


def test_list_query_count_is_constant(app: Flask, client_as: Any, make_network: Any, make_partner: Any,
                                      count_queries: Any) -> None:
    client = client_as("staff")
    partners = [make_partner(f"Kumppani {i}") for i in range(3)]

    def count() -> int:
        with count_queries() as statements:
            assert client.get("/networks/").status_code == 200
        return len(statements)

    make_network("Ensimmäinen", theme="housing", facilitator_code="HELV", members=partners[:1])
    few = count()
    for i in range(8):
        make_network(f"Verkosto {i}", theme="housing", facilitator_code="HELV",
                     centre_code=("ESRSK", "LSRSK")[i % 2], members=partners)
    assert count() == few


# --- the network page's meetings ----------------------------------------------------------------


def test_network_page_lists_upcoming_and_past_meetings(app: Flask, client_as: Any, make_network: Any,
                                                       make_series: Any) -> None:
    network_id = make_network()
    now = services.local_now()
    start = (now - timedelta(days=70)).replace(hour=9, minute=0)
    series_id = make_series(network_id, "Kuukausikokous", start, rrule="FREQ=WEEKLY;INTERVAL=2")
    with app.app_context():
        series = db.session.get(MeetingSeries, series_id)
        past = [start + timedelta(days=14 * i) for i in range(5)]
        future = [d for d in (start + timedelta(days=14 * i) for i in range(5, 12)) if d > now]
        db.session.add_all([
            Occurrence(series=series, recurrence_id=past[1], minutes="Pöytäkirja: päätettiin asiat."),
            Occurrence(series=series, recurrence_id=future[0], status=OccurrenceStatus.CANCELLED),
            Occurrence(series=series, recurrence_id=future[1], starts_at=future[1] + timedelta(days=1)),
        ])
        db.session.commit()
    client = client_as("staff")
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    upcoming = page.split('id="upcoming"')[1].split("</table>")[0]
    assert upcoming.count("<tr") == 1 + 10  # the header and the next ten meetings
    assert "<del>Kuukausikokous</del>" in upcoming and "Cancelled" in upcoming and "Moved" in upcoming
    past_table = page.split('id="past"')[1].split("</table>")[0]
    assert past_table.count("Minutes") >= 1 and "No minutes yet" in past_table
