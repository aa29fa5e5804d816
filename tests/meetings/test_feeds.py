"""The calendar downloads and feeds: the personal feed works without a cookie and only with the current token,
carries the user's networks (and, by choice, their agreement deadlines), SEQUENCE rises with every change;
network and series calendars; the invitation to one occurrence (iTIP METHOD:REQUEST / CANCEL)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar

from registry.extensions import db
from registry.i18n import today as helsinki_today
from registry.meetings import series_services
from registry.meetings.models import MeetingSeries
from tests.agreements.conftest import make_agreement  # noqa: F401  (shared fixture)
from tests.conftest import post


def _field(client: Any, field_id: str) -> str | None:
    page = client.get("/profile").get_data(as_text=True)
    match = re.search(rf'id="{field_id}" type="text" class="token" readonly value="([^"]+)"', page)
    return match.group(1).replace("&amp;", "&") if match else None


def _subscribe(client: Any) -> str:
    assert post(client, "/profile/feed-token", {"action": "create"}).status_code == 302
    url = _field(client, "feed-url")
    assert url is not None
    return url


def _events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def _uids(data: bytes) -> set[str]:
    return {str(e["UID"]) for e in _events(data)}


def _uid(app: Any, series_id: int) -> str:
    with app.app_context():
        return db.session.get(MeetingSeries, series_id).uid


def test_personal_feed_needs_no_cookie_and_only_the_current_token(app, client_as, make_network, make_series):
    client = client_as("staff", unit="ESRSK")
    followed = make_network("Seurattu verkosto", followers=[client.user.id])
    other = make_network("Muu verkosto", centre_code="LSRSK")
    mine = make_series(followed, "Oma kokous", rrule="FREQ=MONTHLY;BYDAY=2TU")
    theirs = make_series(other, "Vieras kokous", rrule="FREQ=MONTHLY;BYDAY=2TU")
    assert _field(client, "feed-url") is None
    url = _subscribe(client)
    assert "/calendar/" in url and url.endswith(".ics") and url.startswith("http")
    outsider = app.test_client()  # a calendar program: no session cookie at all
    response = outsider.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert 'filename="meetings.ics"' in response.headers["Content-Disposition"]
    assert not response.headers.getlist("Set-Cookie")
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == f"Meetings: {client.user.name}"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Helsinki"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
    assert _uid(app, mine) in _uids(response.data) and _uid(app, theirs) not in _uids(response.data)
    assert outsider.get(url + "x").status_code == 404
    assert outsider.get(url.replace("/calendar/", "/calendar/9").replace(".ics", "x.ics")).status_code == 404
    assert outsider.get("/calendar/1.nothing.ics").status_code == 404

    post(client, "/profile/feed-token", {"action": "rotate"})
    rotated = _field(client, "feed-url")
    assert rotated and rotated != url
    assert outsider.get(url).status_code == 404 and outsider.get(rotated).status_code == 200
    post(client, "/profile/feed-token", {"action": "revoke"})
    assert _field(client, "feed-url") is None and outsider.get(rotated).status_code == 404


def test_feed_of_an_inactive_user_is_gone(app, client_as, make_network):
    from registry.core.models import User

    client = client_as("staff")
    make_network(followers=[client.user.id])
    url = _subscribe(client)
    with app.app_context():
        db.session.get(User, client.user.id).active = False
        db.session.commit()
    assert app.test_client().get(url).status_code == 404


def test_agreement_deadlines_are_in_the_feed_by_choice(app, client_as, make_network, make_agreement):  # noqa: F811
    aid = make_agreement("Etelä-Suomen sopimus", status="in_force", signed_on=date(2025, 1, 1),
                         valid_from=date(2025, 1, 1), valid_until=helsinki_today() + timedelta(days=200),
                         notice_months=3,
                         with_liaisons=True)
    client = client_as("director", unit="ESRSK")
    url = _subscribe(client)
    page = client.get("/profile").get_data(as_text=True)
    assert 'id="include_deadlines" name="include_deadlines" value="1" checked' in page
    assert _field(client, "deadlines-url") and "/agreements/deadlines.ics?token=" in _field(client, "deadlines-url")
    outsider = app.test_client()
    assert f"agreement-{aid}-expiry@registry" in _uids(outsider.get(url).data)
    response = post(client, "/profile/feed-token", {"action": "settings"})  # the box unticked
    assert response.status_code == 302
    assert f"agreement-{aid}-expiry@registry" not in _uids(outsider.get(url).data)
    assert 'id="include_deadlines" name="include_deadlines" value="1">' in client.get("/profile").get_data(as_text=True)
    post(client, "/profile/feed-token", {"action": "settings", "include_deadlines": "1"})
    assert f"agreement-{aid}-expiry@registry" in _uids(outsider.get(url).data)
    # The deadlines-only feed works with the same token.
    assert outsider.get(_field(client, "deadlines-url")).status_code == 200


def _sequence(data: bytes, uid: str) -> int:
    (master,) = [e for e in _events(data) if str(e["UID"]) == uid and "RECURRENCE-ID" not in e]
    return int(master["SEQUENCE"])


def test_sequence_rises_with_every_change(app, client_as, make_network, make_series):
    client = client_as("staff")
    network = make_network(followers=[client.user.id])
    sid = make_series(network, "Neljännesvuosikokous", starts_at=datetime(2026, 3, 10, 10),
                      rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU")
    uid = _uid(app, sid)
    url = _subscribe(client)
    outsider = app.test_client()
    before = _sequence(outsider.get(url).data, uid)
    with app.app_context():
        series_services.cancel_occurrence(db.session.get(MeetingSeries, sid), datetime(2026, 6, 9, 10))
        db.session.commit()
    data = outsider.get(url).data
    after_cancel = _sequence(data, uid)
    assert after_cancel > before
    (master,) = [e for e in _events(data) if "RECURRENCE-ID" not in e]
    assert [d.dt.replace(tzinfo=None) for d in master["EXDATE"].dts] == [datetime(2026, 6, 9, 10)]
    with app.app_context():
        series_services.move_occurrence(db.session.get(MeetingSeries, sid), datetime(2026, 9, 8, 10),
                                        {"starts_at": datetime(2026, 9, 9, 12)})
        db.session.commit()
    data = outsider.get(url).data
    assert _sequence(data, uid) > after_cancel
    (moved,) = [e for e in _events(data) if "RECURRENCE-ID" in e]
    assert moved.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 9, 9, 12)
    assert int(moved["SEQUENCE"]) == _sequence(data, uid)


def test_network_and_series_calendars(app, client_as, make_network, make_series):
    client = client_as("staff")
    network = make_network("Asunnottomuustyön verkosto", theme="housing")
    sid = make_series(network, "Kuukausikokous", rrule="FREQ=MONTHLY;BYDAY=2TU")
    make_series(network, "Vuosikokous", rrule="FREQ=YEARLY")
    response = client.get(f"/networks/{network}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="network-{network}.ics"'
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Asunnottomuustyön verkosto"
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["Kuukausikokous", "Vuosikokous"]
    assert {str(e["CATEGORIES"].cats[0]) for e in calendar.walk("VEVENT")} == {"Housing and homelessness work"}
    response = client.get(f"/series/{sid}/calendar.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Kuukausikokous" and len(calendar.walk("VEVENT")) == 1
    assert calendar.walk("VTIMEZONE")
    (event,) = calendar.walk("VEVENT")
    assert str(event["URL"]) == f"http://localhost/series/{sid}"
    assert client.get("/networks/999999/calendar.ics").status_code == 404
    assert client.get("/series/999999/calendar.ics").status_code == 404


def test_invitation_to_one_occurrence(app, client_as, make_network, make_series, make_partner, make_contact,
                                      make_user):
    client = client_as("staff")
    partner = make_partner("Kriminaalihuollon tukisäätiö")
    liaison = make_contact("Liisa Yhdyshenkilö", partner_id=partner, email="liisa@example.org")
    organizer = make_user("director", unit="ESRSK", name="Olli Organisoija", email="olli@rise.example")
    network = make_network()
    sid = make_series(network, "Kuun toinen tiistai", starts_at=datetime(2026, 3, 10, 10),
                      rrule="FREQ=MONTHLY;BYDAY=2TU", organizer_id=organizer.id, location="Sali 1")
    with app.app_context():
        from registry.directory.models import Contact

        db.session.get(MeetingSeries, sid).attendees = [db.session.get(Contact, liaison)]
        db.session.commit()
    response = client.get(f"/series/{sid}/occurrences/20260414T1000/invitation.ics")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="invitation-{sid}-20260414T1000.ics"'
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == _uid(app, sid)
    assert event.decoded("RECURRENCE-ID").replace(tzinfo=None) == datetime(2026, 4, 14, 10)
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 4, 14, 10)
    assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:liisa@example.org"
    assert attendee.params["CN"] == "Liisa Yhdyshenkilö"
    assert (attendee.params["ROLE"], attendee.params["PARTSTAT"], attendee.params["RSVP"]) == \
        ("REQ-PARTICIPANT", "NEEDS-ACTION", "TRUE")
    assert str(event["ORGANIZER"]) == "mailto:olli@rise.example"
    assert event["ORGANIZER"].params["CN"] == "Olli Organisoija"
    assert str(event["LOCATION"]) == "Sali 1" and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]).endswith(f"/series/{sid}/occurrences/20260414T1000")

    with app.app_context():
        series_services.cancel_occurrence(db.session.get(MeetingSeries, sid), datetime(2026, 4, 14, 10))
        db.session.commit()
    calendar = Calendar.from_ical(client.get(f"/series/{sid}/occurrences/20260414T1000/invitation.ics").data)
    assert str(calendar["METHOD"]) == "CANCEL" and str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert client.get(f"/series/{sid}/occurrences/20260415T1000/invitation.ics").status_code == 404  # not generated
    assert client.get(f"/series/{sid}/occurrences/nonsense/invitation.ics").status_code == 404


def test_invitation_to_a_single_meeting_has_no_recurrence_id(app, client_as, make_network, make_series):
    client = client_as("staff")
    sid = make_series(make_network(), "Kertaluonteinen", starts_at=datetime(2026, 5, 5, 9))
    calendar = Calendar.from_ical(client.get(f"/series/{sid}/occurrences/20260505T0900/invitation.ics").data)
    (event,) = calendar.walk("VEVENT")
    assert "RECURRENCE-ID" not in event and "RRULE" not in event
    assert str(event["URL"]) == f"http://localhost/series/{sid}"


def test_an_unchanged_feed_is_served_again_and_a_follow_renews_it(app, client_as, make_network, make_series):
    client = client_as("staff")
    first = make_network(name="Ensimmäinen verkosto", followers=[client.user.id])
    make_series(first, "Ensimmäinen kokous", starts_at=datetime(2026, 3, 10, 10), rrule="FREQ=MONTHLY")
    second = make_network(name="Toinen verkosto")
    make_series(second, "Toinen kokous", starts_at=datetime(2026, 3, 11, 10), rrule="FREQ=MONTHLY")
    url = _subscribe(client)
    outsider = app.test_client()
    once = outsider.get(url).data
    assert outsider.get(url).data == once  # the same bytes, DTSTAMP included: rendered once for this state
    assert b"Toinen kokous" not in once
    post(client, f"/networks/{second}/follow")
    assert b"Toinen kokous" in outsider.get(url).data
